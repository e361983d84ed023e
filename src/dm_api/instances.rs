//! Instances: starting Jobs in projects (or checking that they would start), looking at
//! them, archiving and deleting them, and revoking their callback tokens.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::models::{
    InstanceDryRunPostResponse, InstanceGetResponse, InstancePostResponse, InstancesGetResponse,
    TaskIdentity,
};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::client::{Api, Client};
use crate::request::{call, site, Auth, Call, Site};

/// The application every Job instance is launched with.
const DM_JOB_APPLICATION_ID: &str = "datamanagerjobs.squonk.it";

/// Options of [`start_job_instance`] and [`dry_run_job_instance`].
#[derive(Clone, Default)]
pub struct StartJobInstanceOptions {
    /// A URL the Data Manager calls as the instance progresses. The three callback options
    /// below are sent only with it, as in the Python client.
    pub callback_url: Option<String>,
    /// A callback token of your own, instead of `generate_callback_token`.
    pub callback_token: Option<String>,
    /// A string passed to the callback URL.
    pub callback_context: Option<String>,
    /// Ask the Data Manager for a callback token (returned as `msg["callback_token"]`),
    /// usable with [`get_unmanaged_project_file_with_token`](super::get_unmanaged_project_file_with_token).
    pub generate_callback_token: bool,
    /// Keeps the instance from being removed automatically; only for debugging.
    pub debug: Option<String>,
}

impl std::fmt::Debug for StartJobInstanceOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartJobInstanceOptions")
            .field("callback_url", &self.callback_url)
            .field(
                "callback_token",
                &self.callback_token.as_ref().map(|_| "***"),
            )
            .field("callback_context", &self.callback_context)
            .field("generate_callback_token", &self.generate_callback_token)
            .field("debug", &self.debug)
            .finish()
    }
}

/// Options of [`dry_run_job_instance`] (the same as [`StartJobInstanceOptions`]).
pub type DryRunJobInstanceOptions = StartJobInstanceOptions;

/// A Job specification: which Job to run and its variables, what Python passes as the dict
/// `{"collection": ..., "job": ..., "version": ..., "variables": {...}}`.
///
/// Accepted by [`start_job_instance`] and [`dry_run_job_instance`] wherever a specification
/// [`Value`] is, and sent exactly as that dict would be, the four keys in this order.
///
/// ```
/// use serde_json::json;
/// use squonk2::dm_api::JobSpecification;
///
/// let spec = JobSpecification::new("im-test", "copy-file", "1.0.0")
///     .variable("inputFile", "in.smi")
///     .variable("outputFile", "out.smi");
/// assert_eq!(
///     serde_json::to_value(&spec)?,
///     json!({"collection": "im-test", "job": "copy-file", "version": "1.0.0",
///            "variables": {"inputFile": "in.smi", "outputFile": "out.smi"}})
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobSpecification {
    /// The Job's collection, e.g. `im-test`.
    pub collection: String,
    /// The Job's name in its collection, e.g. `copy-file`.
    pub job: String,
    /// The Job's version, e.g. `1.0.0`.
    pub version: String,
    /// The Job's variables (its inputs, outputs and options), in the order they are sent.
    pub variables: Map<String, Value>,
}

impl JobSpecification {
    /// A specification of the Job `collection`/`job`/`version`, with no variables yet.
    pub fn new(
        collection: impl Into<String>,
        job: impl Into<String>,
        version: impl Into<String>,
    ) -> JobSpecification {
        JobSpecification {
            collection: collection.into(),
            job: job.into(),
            version: version.into(),
            variables: Map::new(),
        }
    }

    /// Adds (or replaces) the variable `name`.
    #[must_use]
    pub fn variable(
        mut self,
        name: impl Into<String>,
        value: impl Into<Value>,
    ) -> JobSpecification {
        self.variables.insert(name.into(), value.into());
        self
    }

    fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert("collection".into(), self.collection.clone().into());
        map.insert("job".into(), self.job.clone().into());
        map.insert("version".into(), self.version.clone().into());
        map.insert("variables".into(), Value::Object(self.variables.clone()));
        Value::Object(map)
    }
}

/// What [`start_job_instance`] and [`dry_run_job_instance`] accept as a specification: a
/// `&JobSpecification` or a `&Value` (a JSON object).
// Only references implement it, so `&json!({...})` at a call site is not a needless borrow.
// Sealed: only this crate implements it.
pub trait IntoSpecification: crate::sealed::Sealed {
    /// The specification as the JSON value that is sent.
    fn into_specification(self) -> Value;
}

impl crate::sealed::Sealed for &JobSpecification {}
impl crate::sealed::Sealed for &Value {}

impl IntoSpecification for &JobSpecification {
    fn into_specification(self) -> Value {
        self.to_value()
    }
}

impl IntoSpecification for &Value {
    fn into_specification(self) -> Value {
        self.clone()
    }
}

/// `value` as Python's `json.dumps` writes it by default: `", "` and `": "` separators,
/// everything outside printable ASCII escaped as `\uXXXX`, object keys in the value's own
/// order.
fn python_json(value: &Value) -> String {
    let mut out = String::new();
    write_python_json(value, &mut out);
    out
}

fn write_python_json(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_string(key, out);
                out.push_str(": ");
                write_python_json(item, out);
            }
            out.push('}');
        }
        Value::String(s) => write_python_string(s, out),
        Value::Number(n) => match n.as_f64() {
            Some(x) if n.is_f64() => write_python_float(x, out),
            _ => out.push_str(&n.to_string()),
        },
        other => out.push_str(&other.to_string()),
    }
}

/// A float as Python's `repr` writes it (and so `json.dumps`): the shortest digits that read
/// back the same, in fixed notation when the decimal point falls within 16 digits of them
/// (`0.0001`, `1e+16` is the first that is not), else `d.ddde±XX` with at least two exponent
/// digits (`1e-05`, `1.5e+22`); a whole number keeps `.0`.
fn write_python_float(x: f64, out: &mut String) {
    // `{:e}` gives the shortest round-trip digits, as `d.ddde-7`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // Where the decimal point falls after the first `point` digits (Python's `decpt`).
    let point = exponent + 1;
    if x.is_sign_negative() {
        out.push('-');
    }
    if point > -4 && point <= 16 {
        let n = digits.len() as i32;
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if point >= n {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', (point - n) as usize));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        out.push_str(&format!("e{sign}{:02}", exponent.abs()));
    }
}

fn write_python_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// The shared body of [`start_job_instance`] and [`dry_run_job_instance`]; `site` is the
/// caller's, so failures name it.
fn launch<T>(
    client: &Client,
    site: Site,
    template: &'static str,
    project_id: &str,
    name: &str,
    specification: Value,
    opts: &StartJobInstanceOptions,
) -> ApiRv<T> {
    let mut call = Call::new(Api::Dm, "POST", template, site)
        .require("project_id", project_id)
        .require("name", name)
        .form_always("application_id", DM_JOB_APPLICATION_ID)
        .form_always("as_name", name)
        .form_always("project_id", project_id)
        .form_always("specification", python_json(&specification))
        .form("debug", opts.debug.as_deref())
        .form("callback_url", opts.callback_url.as_deref())
        .error("Failed to start instance");
    if opts.callback_url.as_deref().is_some_and(|u| !u.is_empty()) {
        call = call
            .form("callback_context", opts.callback_context.as_deref())
            .form("generate_callback_token", opts.generate_callback_token)
            .form("callback_token", opts.callback_token.as_deref())
            .secret(opts.callback_token.as_deref());
    }
    if !matches!(specification, Value::Object(_) | Value::Null) {
        call = call.reject("specification must be a JSON object");
    }
    call.run(client)
}

/// Starts a Job in a project: `POST /instance` with the form `application_id`, `as_name`,
/// `project_id`, `specification` (the JSON text of `specification`, written as Python's
/// `json.dumps` writes it), then `debug` and `callback_url` when set, and the other callback
/// options only with `callback_url`. `msg` is `{"instance_id", "task_id"[, "callback_token"]
/// [, "command"]}`.
///
///
/// The specification names the Job (`collection`, `job`, `version`) and its `variables`:
/// a [`JobSpecification`], or a [`Value`] whose keys are written in the order they were
/// inserted (as Python writes a dict's keys). Floats are written as Python writes them
/// (`1e-07`), integers as integers.
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use squonk2::dm_api::models::{InstanceGetResponse, InstancePostResponse};
/// use squonk2::dm_api::{self, JobSpecification, StartJobInstanceOptions, WaitOptions};
///
/// let client = squonk2::Client::from_env()?;
/// let spec = JobSpecification::new("rdkit", "rdkit-molprops", "1.0.0")
///     .variable("inputFile", "work/100.smi")
///     .variable("outputFile", "work/props.smi");
/// let started: InstancePostResponse = dm_api::start_job_instance(
///     &client,
///     "project-123",
///     "molprops",
///     &spec,
///     &StartJobInstanceOptions::default(),
/// )
/// .parse()?;
/// let done: InstanceGetResponse =
///     dm_api::wait_for_instance(&client, &started.instance_id, &WaitOptions::default())
///         .parse()?;
/// println!("finished: {}", done.phase);
/// # Ok(())
/// # }
/// ```
pub fn start_job_instance(
    client: &Client,
    project_id: &str,
    name: &str,
    specification: impl IntoSpecification,
    opts: &StartJobInstanceOptions,
) -> ApiRv<InstancePostResponse> {
    let specification = specification.into_specification();
    launch(
        client,
        site!(),
        "/instance",
        project_id,
        name,
        specification,
        opts,
    )
}

/// Checks that a Job would start, without starting it: `POST /instance/dry-run` with the
/// same form as [`start_job_instance`]. `msg` is `{["callback_token"][, "command"]}`, the
/// command the Job would run.
pub fn dry_run_job_instance(
    client: &Client,
    project_id: &str,
    name: &str,
    specification: impl IntoSpecification,
    opts: &DryRunJobInstanceOptions,
) -> ApiRv<InstanceDryRunPostResponse> {
    let specification = specification.into_specification();
    launch(
        client,
        site!(),
        "/instance/dry-run",
        project_id,
        name,
        specification,
        opts,
    )
}

/// One instance: `GET /instance/{instance_id}`. Its `phase` is `PENDING`, `RUNNING`,
/// then `COMPLETED` or `FAILED` (see [`wait_for_instance`](super::wait_for_instance)).
pub fn get_instance(client: &Client, instance_id: &str) -> ApiRv<InstanceGetResponse> {
    call!(Api::Dm, "GET", "/instance/{instance_id}")
        .path("instance_id", instance_id)
        .error("Failed to get instance")
        .run(client)
}

/// The instances of one project: `GET /instance?project_id=`.
pub fn get_project_instances(client: &Client, project_id: &str) -> ApiRv<InstancesGetResponse> {
    call!(Api::Dm, "GET", "/instance")
        .require("project_id", project_id)
        .query_always("project_id", project_id)
        .error("Failed to get project instances")
        .run(client)
}

/// Every instance the caller can see: `GET /instance`.
pub fn get_available_instances(client: &Client) -> ApiRv<InstancesGetResponse> {
    call!(Api::Dm, "GET", "/instance")
        .error("Failed to get instances")
        .run(client)
}

/// Options of [`update_instance`].
#[derive(Clone, Debug, Default)]
pub struct UpdateInstanceOptions {
    /// Archive the instance.
    pub archive: bool,
}

/// Changes an instance: `PATCH /instance/{instance_id}[?archive=True]`.
pub fn update_instance(
    client: &Client,
    instance_id: &str,
    opts: &UpdateInstanceOptions,
) -> ApiRv<NoContent> {
    call!(Api::Dm, "PATCH", "/instance/{instance_id}")
        .path("instance_id", instance_id)
        .query("archive", opts.archive)
        .error("Failed to update instance")
        .run(client)
}

/// Stops an instance and removes it with its directory in the project:
/// `DELETE /instance/{instance_id}`. `msg` is `{"task_id": "..."}`.
pub fn delete_instance(client: &Client, instance_id: &str) -> ApiRv<TaskIdentity> {
    call!(Api::Dm, "DELETE", "/instance/{instance_id}")
        .path("instance_id", instance_id)
        .error("Failed to delete instance")
        .run(client)
}

/// Revokes an instance's callback token: `DELETE /instance/{instance_id}/token/{token}`,
/// sent without an `Authorization` header (the token is the credential).
pub fn delete_instance_token(client: &Client, instance_id: &str, token: &str) -> ApiRv<NoContent> {
    call!(Api::Dm, "DELETE", "/instance/{instance_id}/token/{token}")
        .auth(Auth::Never)
        .path("instance_id", instance_id)
        .secret_path("token", token)
        .error("Failed to delete instance token")
        .run(client)
}

#[cfg(test)]
mod tests {
    use super::python_json;
    use serde_json::json;

    #[test]
    fn python_json_escapes_and_spaces_like_json_dumps() {
        assert_eq!(
            python_json(&json!({"a": [1, true, null], "s": "é\u{1F600}\"\\\n\u{7f}"})),
            r#"{"a": [1, true, null], "s": "\u00e9\ud83d\ude00\"\\\n\u007f"}"#
        );
        assert_eq!(python_json(&json!(null)), "null");
        assert_eq!(python_json(&json!({})), "{}");
    }

    #[test]
    fn floats_are_written_as_python_writes_them() {
        // Each pair: a float and Python 3's `repr` (and `json.dumps`) of it.
        let cases: &[(f64, &str)] = &[
            (1e-7, "1e-07"),
            (1e16, "1e+16"),
            (1.5e-05, "1.5e-05"),
            (0.0001, "0.0001"),
            (1e22, "1e+22"),
            (0.1, "0.1"),
            (0.5, "0.5"),
            (1.0, "1.0"),
            (2.5, "2.5"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (-1e-7, "-1e-07"),
            (123456789.123, "123456789.123"),
            (1e15, "1000000000000000.0"),
            (9999999999999998.0, "9999999999999998.0"),
            (1e-5, "1e-05"),
            (0.00012345, "0.00012345"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (std::f64::consts::PI, "3.141592653589793"),
            (1.0 / 3.0, "0.3333333333333333"),
            (-2.5e-10, "-2.5e-10"),
            (12345678901234567890.0, "1.2345678901234567e+19"),
            (100.0, "100.0"),
            (1e100, "1e+100"),
            (0.001, "0.001"),
            (9007199254740992.0, "9007199254740992.0"),
            (1.2345e-300, "1.2345e-300"),
            (4.35, "4.35"),
            (1e-6, "1e-06"),
        ];
        for (x, python) in cases {
            assert_eq!(python_json(&json!(x)), *python, "{x:e}");
            // What is written reads back as the same float.
            assert_eq!(python.parse::<f64>().ok(), Some(*x), "{python}");
        }
        // Integers stay integers, also in a specification.
        assert_eq!(
            python_json(&json!({"t": 1e-7, "n": 5, "m": -3, "big": u64::MAX, "f": 5.0})),
            r#"{"t": 1e-07, "n": 5, "m": -3, "big": 18446744073709551615, "f": 5.0}"#
        );
    }
}
