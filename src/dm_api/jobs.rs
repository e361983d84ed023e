//! Jobs: the catalogue of Jobs that can run in projects, and their exchange (coin) rates.

use serde_json::json;

use super::models::{
    GetAllExchangeRatesResponse, GetExchangeRatesResponse, JobGetResponse, JobsGetResponse,
};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::client::{Api, Client};
use crate::error::ErrorKind;
use crate::request::{call, function};

/// The Jobs the caller can run: `GET /job`. `msg` is `{"count", "jobs": [...]}`.
pub fn get_available_jobs(client: &Client) -> ApiRv<JobsGetResponse> {
    call!(Api::Dm, "GET", "/job")
        .error("Failed to get available jobs")
        .run(client)
}

/// Options of [`get_jobs`].
#[derive(Clone, Debug, Default)]
pub struct GetJobsOptions {
    /// The project the Jobs would run in.
    pub project_id: Option<String>,
}

/// The Jobs, optionally for a project: `GET /job[?project_id=]`.
pub fn get_jobs(client: &Client, opts: &GetJobsOptions) -> ApiRv<JobsGetResponse> {
    call!(Api::Dm, "GET", "/job")
        .query("project_id", opts.project_id.as_deref())
        .error("Failed to get jobs")
        .run(client)
}

/// Options of [`get_job`].
#[derive(Clone, Debug, Default)]
pub struct GetJobOptions {
    /// The project the Job would run in.
    pub project_id: Option<String>,
}

/// One Job's definition by its numeric id: `GET /job/{job_id}[?project_id=]`.
/// `job_id` must be 1 or more (nothing is sent otherwise).
pub fn get_job(client: &Client, job_id: i64, opts: &GetJobOptions) -> ApiRv<JobGetResponse> {
    let call = call!(Api::Dm, "GET", "/job/{job_id}")
        .path("job_id", job_id)
        .query("project_id", opts.project_id.as_deref())
        .error("Failed to get job");
    if job_id < 1 {
        return call
            .reject(format!("job_id must be 1 or more (got {job_id})"))
            .run(client);
    }
    call.run(client)
}

/// Options of [`get_job_by_version`].
#[derive(Clone, Debug, Default)]
pub struct GetJobByVersionOptions {
    /// The project the Job would run in.
    pub project_id: Option<String>,
}

/// One Job's definition by collection, job and version:
/// `GET /job/get-by-version?collection=&job=&version=[&project_id=]`.
pub fn get_job_by_version(
    client: &Client,
    job_collection: &str,
    job_job: &str,
    job_version: &str,
    opts: &GetJobByVersionOptions,
) -> ApiRv<JobGetResponse> {
    call!(Api::Dm, "GET", "/job/get-by-version")
        .require("job_collection", job_collection)
        .require("job_job", job_job)
        .require("job_version", job_version)
        .query_always("collection", job_collection)
        .query_always("job", job_job)
        .query_always("version", job_version)
        .query("project_id", opts.project_id.as_deref())
        .error("Failed to get job")
        .run(client)
}

/// Options of [`get_job_exchange_rates`].
#[derive(Clone, Debug, Default)]
pub struct GetJobExchangeRatesOptions {
    /// Only the Jobs that have no rate yet.
    pub only_undefined: bool,
}

/// The current exchange rate of every Job: `GET /job-exchange-rates[?only_undefined=True]`.
pub fn get_job_exchange_rates(
    client: &Client,
    opts: &GetJobExchangeRatesOptions,
) -> ApiRv<GetAllExchangeRatesResponse> {
    call!(Api::Dm, "GET", "/job-exchange-rates")
        .query("only_undefined", opts.only_undefined)
        .error("Failed to get exchange rates")
        .run(client)
}

/// Options of [`get_job_exchange_rate`].
#[derive(Clone, Debug, Default)]
pub struct GetJobExchangeRateOptions {
    /// Only the current rate, not the history.
    pub current: bool,
}

/// One Job's exchange-rate history (or current rate):
/// `GET /job/{job_id}/exchange-rate?current=` (`current` always sent). A `job_id` below 1
/// fails before anything is sent ([D18](crate::python_differences)).
pub fn get_job_exchange_rate(
    client: &Client,
    job_id: i64,
    opts: &GetJobExchangeRateOptions,
) -> ApiRv<GetExchangeRatesResponse> {
    call!(Api::Dm, "GET", "/job/{job_id}/exchange-rate")
        .require_positive("job_id", job_id)
        .path("job_id", job_id)
        .query_always("current", opts.current)
        .error("Failed to get exchange rates")
        .run(client)
}

/// One rate for [`set_job_exchange_rates`]: the Job (collection, job, version) and its new
/// rate, a decimal number as text (`"0.05"`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobExchangeRate {
    /// The Job's collection, e.g. `im-test`.
    pub collection: String,
    /// The Job's name in its collection, e.g. `nop`.
    pub job: String,
    /// The Job's version, e.g. `1.0.0`.
    pub version: String,
    /// The rate: a decimal number such as `"0.05"`.
    pub rate: String,
    /// A comment stored with the rate.
    pub comment: Option<String>,
}

impl JobExchangeRate {
    /// `collection/job/version`, as error messages name a Job.
    fn job_name(&self) -> String {
        format!("{}/{}/{}", self.collection, self.job, self.version)
    }
}

/// Whether `text` is a plain decimal number: an optional sign, digits with an optional
/// fraction, and an optional exponent (what Python's `Decimal` reads, less NaN, infinities,
/// white space and `_`).
fn is_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mantissa_ok =
        digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    mantissa_ok && exponent.is_none_or(|e| !e.is_empty() && digits(e))
}

/// Sets the exchange rates of Jobs, one after the other. For each rate the Job's id is
/// looked up (`GET /job/get-by-version?collection=&job=&version=`), then the rate is set
/// (`PUT /job/{id}/exchange-rate` with the form `rate`[, `comment`]).
///
///
/// Every rate is checked first: an empty collection, job or version, or a rate that is not
/// a decimal number, fails the call before anything is sent (the Python client raised
/// `InvalidOperation`). The first failing request ends the loop (earlier rates stay set).
/// On success `msg` is `{}` and `http_status_code` is 0, as in the Python client. Admins
/// only.
pub fn set_job_exchange_rates(client: &Client, rates: &[JobExchangeRate]) -> ApiRv<NoContent> {
    const CALL: &str = "PUT /job/{job_id}/exchange-rate";
    for rate in rates {
        let problem = if rate.collection.is_empty() {
            Some("collection is required".to_string())
        } else if rate.job.is_empty() {
            Some("job is required".to_string())
        } else if rate.version.is_empty() {
            Some("version is required".to_string())
        } else if !is_decimal(&rate.rate) {
            Some(format!(
                "The rate {:?} for {} is not a decimal number",
                rate.rate,
                rate.job_name()
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            return ApiRv::failure(ErrorKind::InvalidInput, problem, 0, CALL)
                .with_function(function!());
        }
    }
    for rate in rates {
        let found = call!(Api::Dm, "GET", "/job/get-by-version")
            .query_always("collection", rate.collection.as_str())
            .query_always("job", rate.job.as_str())
            .query_always("version", rate.version.as_str())
            .error(format!("Failed getting job by version {}", rate.job_name()))
            .run(client);
        if !found.success {
            return found;
        }
        let Some(job_id) = found.msg["id"].as_i64() else {
            return ApiRv::failure(
                ErrorKind::Decode,
                format!(
                    "Failed getting job by version {} (the answer has no numeric id)",
                    rate.job_name()
                ),
                found.http_status_code,
                "GET /job/get-by-version",
            )
            .with_function(function!());
        };
        // The Python client's text ends with the Python repr of the rate dict; we name the
        // rate alone.
        let set = call!(Api::Dm, "PUT", "/job/{job_id}/exchange-rate")
            .path("job_id", job_id)
            .form_always("rate", rate.rate.as_str())
            .form_some("comment", rate.comment.as_deref())
            .error(format!(
                "Failed setting rate for job {job_id} ({}) rate={}",
                rate.job_name(),
                rate.rate
            ))
            .run(client);
        if !set.success {
            return set;
        }
    }
    ApiRv::done(json!({}), 0)
}

#[cfg(test)]
mod tests {
    use super::is_decimal;

    #[test]
    fn decimal_rates() {
        for good in [
            "0.05", "1", "-1.5", "+2", ".5", "5.", "1e3", "1.5E-2", "007",
        ] {
            assert!(is_decimal(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "-",
            "not-a-number",
            "1,5",
            " 1",
            "NaN",
            "inf",
            "1e",
            "1.2.3",
            "1_0",
        ] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }
}
