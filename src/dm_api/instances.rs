//! Instances: starting Jobs in projects (or checking that they would start), looking at
//! them, archiving and deleting them, and revoking their callback tokens.

use serde_json::Value;

use crate::api_rv::ApiRv;
use crate::client::{Api, Client};
use crate::request::{Auth, Call};

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
        other => out.push_str(&other.to_string()),
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

/// The shared body of [`start_job_instance`] and [`dry_run_job_instance`].
fn launch(
    client: &Client,
    template: &'static str,
    project_id: &str,
    name: &str,
    specification: &Value,
    opts: &StartJobInstanceOptions,
) -> ApiRv {
    let mut call = Call::new(Api::Dm, "POST", template)
        .require("project_id", project_id)
        .require("name", name)
        .form_always("application_id", DM_JOB_APPLICATION_ID)
        .form_always("as_name", name)
        .form_always("project_id", project_id)
        .form_always("specification", python_json(specification))
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
/// The specification names the Job (`collection`, `job`, `version`) and its `variables`.
/// Its keys are written in the order they were inserted into the [`Value`] (as Python
/// writes a dict's keys).
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use serde_json::json;
/// use squonk2::dm_api::{self, StartJobInstanceOptions, WaitOptions};
///
/// let client = squonk2::Client::from_env()?;
/// let spec = json!({
///     "collection": "rdkit",
///     "job": "rdkit-molprops",
///     "version": "1.0.0",
///     "variables": {"inputFile": "work/100.smi", "outputFile": "work/props.smi"},
/// });
/// let started = dm_api::start_job_instance(
///     &client,
///     "project-123",
///     "molprops",
///     &spec,
///     &StartJobInstanceOptions::default(),
/// )
/// .into_result()?;
/// let instance_id = started["instance_id"].as_str().unwrap_or_default();
/// let done = dm_api::wait_for_instance(&client, instance_id, &WaitOptions::default())
///     .into_result()?;
/// println!("finished: {}", done["phase"]);
/// # Ok(())
/// # }
/// ```
pub fn start_job_instance(
    client: &Client,
    project_id: &str,
    name: &str,
    specification: &Value,
    opts: &StartJobInstanceOptions,
) -> ApiRv {
    launch(client, "/instance", project_id, name, specification, opts)
}

/// Checks that a Job would start, without starting it: `POST /instance/dry-run` with the
/// same form as [`start_job_instance`]. `msg` is `{["callback_token"][, "command"]}`, the
/// command the Job would run.
pub fn dry_run_job_instance(
    client: &Client,
    project_id: &str,
    name: &str,
    specification: &Value,
    opts: &DryRunJobInstanceOptions,
) -> ApiRv {
    launch(
        client,
        "/instance/dry-run",
        project_id,
        name,
        specification,
        opts,
    )
}

/// One instance: `GET /instance/{instance_id}`. Its `phase` is `PENDING`, `RUNNING`,
/// then `COMPLETED` or `FAILED` (see [`wait_for_instance`](super::wait_for_instance)).
pub fn get_instance(client: &Client, instance_id: &str) -> ApiRv {
    Call::new(Api::Dm, "GET", "/instance/{instance_id}")
        .path("instance_id", instance_id)
        .error("Failed to get instance")
        .run(client)
}

/// The instances of one project: `GET /instance?project_id=`.
pub fn get_project_instances(client: &Client, project_id: &str) -> ApiRv {
    Call::new(Api::Dm, "GET", "/instance")
        .require("project_id", project_id)
        .query_always("project_id", project_id)
        .error("Failed to get project instances")
        .run(client)
}

/// Every instance the caller can see: `GET /instance`.
pub fn get_available_instances(client: &Client) -> ApiRv {
    Call::new(Api::Dm, "GET", "/instance")
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
pub fn update_instance(client: &Client, instance_id: &str, opts: &UpdateInstanceOptions) -> ApiRv {
    Call::new(Api::Dm, "PATCH", "/instance/{instance_id}")
        .path("instance_id", instance_id)
        .query("archive", opts.archive)
        .error("Failed to update instance")
        .run(client)
}

/// Stops an instance and removes it with its directory in the project:
/// `DELETE /instance/{instance_id}`. `msg` is `{"task_id": "..."}`.
pub fn delete_instance(client: &Client, instance_id: &str) -> ApiRv {
    Call::new(Api::Dm, "DELETE", "/instance/{instance_id}")
        .path("instance_id", instance_id)
        .error("Failed to delete instance")
        .run(client)
}

/// Revokes an instance's callback token: `DELETE /instance/{instance_id}/token/{token}`,
/// sent without an `Authorization` header (the token is the credential).
pub fn delete_instance_token(client: &Client, instance_id: &str, token: &str) -> ApiRv {
    Call::new(Api::Dm, "DELETE", "/instance/{instance_id}/token/{token}")
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
}
