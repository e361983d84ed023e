//! The Job catalogue and the Jobs' exchange rates.

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;

use super::admin::require_admin_rights;
use super::applications::ApplicationSummary;
use super::catalogue::JobDefinition;
use super::instances::{JOB_APPLICATION_ID, JOB_APPLICATION_VERSION};
use super::state::{bad_request, not_found, DmState};
use super::{time, Caller, Params};
use crate::error::ApiError;
use crate::state::{lock, AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/job", get(list_jobs))
        .route("/job/get-by-version", get(get_job_by_version))
        .route("/job/{job_id}", get(get_job))
        .route("/job-exchange-rates", get(list_exchange_rates))
        .route(
            "/job/{job_id}/exchange-rate",
            get(get_exchange_rates).put(set_exchange_rate),
        )
}

#[derive(Serialize)]
struct JobSummary {
    id: u64,
    collection: String,
    job: String,
    version: String,
    image_type: &'static str,
    category: String,
    keywords: Vec<String>,
    name: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc_url: Option<String>,
    required_assets: Vec<String>,
    disabled: bool,
}

#[derive(Serialize)]
struct JobsGetResponse {
    count: usize,
    jobs: Vec<JobSummary>,
}

/// Checks the optional `project_id` a Job listing is for.
fn check_project(dm: &DmState, caller: &Caller, params: &Params) -> Result<(), ApiError> {
    match params.get_set("project_id") {
        Some(project_id) => dm.readable_project(project_id, caller).map(|_| ()),
        None => Ok(()),
    }
}

/// `GET /job[?project_id=]`
async fn list_jobs(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<JobsGetResponse>, ApiError> {
    let dm = lock(&shared.dm);
    check_project(&dm, &caller, &params)?;
    let jobs: Vec<JobSummary> = dm
        .jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| !j.removed)
        .map(|(i, j)| JobSummary {
            id: i as u64 + 1,
            collection: j.collection.clone(),
            job: j.job.clone(),
            version: j.version.clone(),
            image_type: "SIMPLE",
            category: j.category.clone(),
            keywords: j.keywords.clone(),
            name: j.name.clone(),
            description: j.description.clone(),
            doc_url: j.doc_url.clone(),
            required_assets: Vec::new(),
            disabled: false,
        })
        .collect();
    Ok(Json(JobsGetResponse {
        count: jobs.len(),
        jobs,
    }))
}

#[derive(Serialize)]
struct JobGetResponse {
    id: u64,
    application: ApplicationSummary,
    collection: String,
    job: String,
    version: String,
    command: String,
    command_encoding: &'static str,
    image_name: String,
    image_tag: String,
    image_project_directory: String,
    image_working_directory: String,
    image_type: &'static str,
    name: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc_url: Option<String>,
    category: String,
    keywords: Vec<String>,
    variables: Value,
    exchange_rate: String,
    required_assets: Vec<String>,
    disabled: bool,
}

fn job_response(dm: &DmState, id: u64, job: &JobDefinition) -> JobGetResponse {
    JobGetResponse {
        id,
        application: ApplicationSummary {
            kind: "DataManagerJob",
            group: "squonk.it",
            application_id: JOB_APPLICATION_ID,
            latest_version: JOB_APPLICATION_VERSION,
        },
        collection: job.collection.clone(),
        job: job.job.clone(),
        version: job.version.clone(),
        command: job.command.clone(),
        command_encoding: "JINJA2_3_0",
        image_name: job.image_name.clone(),
        image_tag: job.image_tag.clone(),
        image_project_directory: job.image_project_directory.clone(),
        image_working_directory: job.image_working_directory.clone(),
        image_type: "SIMPLE",
        name: job.name.clone(),
        description: job.description.clone(),
        doc_url: job.doc_url.clone(),
        category: job.category.clone(),
        keywords: job.keywords.clone(),
        variables: job.variables.clone(),
        exchange_rate: dm
            .current_rate(id)
            .map(|r| r.rate.clone())
            .unwrap_or_else(|| "0.0".into()),
        required_assets: Vec::new(),
        disabled: false,
    }
}

/// A Job id from the path (404 when it is not a known Job's).
fn job_id(dm: &DmState, text: &str) -> Result<u64, ApiError> {
    text.parse::<u64>()
        .ok()
        .filter(|id| dm.job(*id).is_some())
        .ok_or_else(|| not_found(format!("Job {text} does not exist")))
}

/// `GET /job/{job_id}[?project_id=]`
async fn get_job(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
    params: Params,
) -> Result<Json<JobGetResponse>, ApiError> {
    let dm = lock(&shared.dm);
    check_project(&dm, &caller, &params)?;
    let id = job_id(&dm, &id)?;
    let job = dm
        .job(id)
        .ok_or_else(|| not_found(format!("Job {id} does not exist")))?;
    Ok(Json(job_response(&dm, id, job)))
}

/// `GET /job/get-by-version?collection=&job=&version=[&project_id=]`
async fn get_job_by_version(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<JobGetResponse>, ApiError> {
    let (collection, job, version) = (
        params.required("collection")?,
        params.required("job")?,
        params.required("version")?,
    );
    let dm = lock(&shared.dm);
    check_project(&dm, &caller, &params)?;
    let id = dm
        .find_job(collection, job, version)
        .ok_or_else(|| not_found(format!("There is no Job {collection}/{job}/{version}")))?;
    let definition = dm
        .job(id)
        .ok_or_else(|| not_found(format!("There is no Job {collection}/{job}/{version}")))?;
    Ok(Json(job_response(&dm, id, definition)))
}

#[derive(Serialize)]
struct JobExchangeRateSummary {
    id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate: Option<String>,
    collection: String,
    job: String,
    version: String,
}

#[derive(Serialize)]
struct GetAllExchangeRatesResponse {
    count: usize,
    only_undefined: bool,
    exchange_rates: Vec<JobExchangeRateSummary>,
}

/// `GET /job-exchange-rates[?only_undefined=]`: the current rate of every Job that has one;
/// with `only_undefined`, the Jobs that have none instead. ("For every Job that has an
/// exchange rate the current rate is returned. If you want a list of all Jobs that have no
/// exchange rate, set the `only_undefined` query option.")
async fn list_exchange_rates(
    State(shared): State<AppState>,
    _caller: Caller,
    params: Params,
) -> Result<Json<GetAllExchangeRatesResponse>, ApiError> {
    let only_undefined = params.flag("only_undefined")?;
    let dm = lock(&shared.dm);
    let exchange_rates: Vec<JobExchangeRateSummary> = dm
        .jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| !j.removed)
        .map(|(i, j)| {
            let id = i as u64 + 1;
            JobExchangeRateSummary {
                id,
                rate: dm.current_rate(id).map(|r| r.rate.clone()),
                collection: j.collection.clone(),
                job: j.job.clone(),
                version: j.version.clone(),
            }
        })
        .filter(|r| r.rate.is_none() == only_undefined)
        .collect();
    Ok(Json(GetAllExchangeRatesResponse {
        count: exchange_rates.len(),
        only_undefined,
        exchange_rates,
    }))
}

#[derive(Serialize)]
struct ExchangeRateDetail {
    id: u64,
    rate: String,
    created: String,
    user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Serialize)]
struct GetExchangeRatesResponse {
    id: u64,
    count: usize,
    exchange_rates: Vec<ExchangeRateDetail>,
}

/// `GET /job/{job_id}/exchange-rate[?current=]`: the history, newest first, or the
/// current rate alone.
async fn get_exchange_rates(
    State(shared): State<AppState>,
    _caller: Caller,
    UrlPath(id): UrlPath<String>,
    params: Params,
) -> Result<Json<GetExchangeRatesResponse>, ApiError> {
    let current = params.flag("current")?;
    let dm = lock(&shared.dm);
    let id = job_id(&dm, &id)?;
    let history = dm.exchange_rates.get(&id).cloned().unwrap_or_default();
    let exchange_rates: Vec<ExchangeRateDetail> = history
        .iter()
        .rev()
        .take(if current { 1 } else { usize::MAX })
        .map(|r| ExchangeRateDetail {
            id: r.id,
            rate: r.rate.clone(),
            created: time::iso(r.created),
            user_id: r.user_id.clone(),
            comment: r.comment.clone(),
        })
        .collect();
    Ok(Json(GetExchangeRatesResponse {
        id,
        count: exchange_rates.len(),
        exchange_rates,
    }))
}

/// Whether `text` is a decimal number (`0.05`, `-1`, `2e3`).
fn is_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    digits(whole)
        && digits(fraction)
        && !(whole.is_empty() && fraction.is_empty())
        && exponent.is_none_or(|e| !e.is_empty() && digits(e))
}

/// `PUT /job/{job_id}/exchange-rate` (form `rate`, `comment`): admins only ("You need
/// `admin` privilege"), in admin mode or not.
async fn set_exchange_rate(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    require_admin_rights(&caller, "set exchange rates")?;
    let rate = params.required("rate")?.to_string();
    if !is_decimal(&rate) {
        return Err(bad_request(format!(
            "The rate {rate:?} is not a decimal number"
        )));
    }
    let comment = params.get("comment").map(str::to_string);
    let mut dm = lock(&shared.dm);
    let id = job_id(&dm, &id)?;
    dm.add_rate(id, rate, &caller.username, comment);
    Ok(StatusCode::NO_CONTENT)
}
