//! Workflows (definitions, versions) and running workflows (runs, their steps).

use std::path::PathBuf;

use super::models::{
    RunningWorkflowGetAllResponse, RunningWorkflowGetResponse, RunningWorkflowStepsGetResponse,
    WorkflowDefinitionGetResponse, WorkflowGetAllResponse, WorkflowGetResponse,
    WorkflowPatchResponse, WorkflowPostResponse, WorkflowRunPostResponse,
    WorkflowVersionPutResponse,
};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::client::{Api, Client};
use crate::request::call;

/// The workflow scope is the Python client's one `ScopeEnum`, shared with the assets of the
/// Account Server API, sent by its Python name (`USER`, `PRODUCT`, `UNIT`, `ORGANISATION`,
/// `GLOBAL`).
pub use crate::as_api::ScopeEnum;

/// Lists the workflows the caller can see: `GET /workflow`.
pub fn get_workflows(client: &Client) -> ApiRv<WorkflowGetAllResponse> {
    call!(Api::Dm, "GET", "/workflow")
        .error("Failed to get workflows")
        .run(client)
}

/// Optional arguments of [`create_workflow`].
#[derive(Clone, Debug, Default)]
pub struct CreateWorkflowOptions {
    /// The identity of the scope (an organisation, unit, ...); not sent for
    /// [`ScopeEnum::Global`].
    pub scope_id: Option<String>,
    /// The definition, as YAML text.
    pub definition: Option<String>,
    /// A local file holding the definition (YAML).
    pub definition_file: Option<PathBuf>,
}

/// Creates a workflow: `POST /workflow`, multipart. Give the definition as text
/// (`opts.definition`) or as a file (`opts.definition_file`). `msg` is
/// `{"id": ..., "validated": ...}`.
///
///
/// Without a definition file a `definition_file` part with `filename=""` and no content is
/// sent, which the server reads as "no file" ([D8](crate::python_differences)).
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use squonk2::dm_api::{self, CreateWorkflowOptions, ScopeEnum};
/// let client = squonk2::Client::from_env()?;
/// let opts = CreateWorkflowOptions {
///     definition_file: Some("workflow.yaml".into()),
///     ..Default::default()
/// };
/// let rv = dm_api::create_workflow(&client, "my workflow", ScopeEnum::Global, &opts);
/// let workflow_id = rv.into_result()?["id"].clone();
/// # Ok(())
/// # }
/// ```
pub fn create_workflow(
    client: &Client,
    name: &str,
    scope: ScopeEnum,
    opts: &CreateWorkflowOptions,
) -> ApiRv<WorkflowPostResponse> {
    // Python sends the scope id (when not None) for every scope but GLOBAL.
    let scope_id = match scope {
        ScopeEnum::Global => None,
        _ => opts.scope_id.as_deref(),
    };
    call!(Api::Dm, "POST", "/workflow")
        .text_part_always("name", name)
        .text_part_always("scope", scope.as_str())
        .text_part_some("scope_id", scope_id)
        .text_part("definition", &opts.definition)
        .file_part("definition_file", definition_file(&opts.definition_file))
        .error("Failed to create workflow")
        .run(client)
}

/// The definition file to send: Python sends none for `None` and for an empty path.
fn definition_file(path: &Option<PathBuf>) -> Option<&std::path::Path> {
    path.as_deref().filter(|p| !p.as_os_str().is_empty())
}

/// One workflow: `GET /workflow/{workflow_id}`.
pub fn get_workflow(client: &Client, workflow_id: &str) -> ApiRv<WorkflowGetResponse> {
    call!(Api::Dm, "GET", "/workflow/{workflow_id}")
        .path("workflow_id", workflow_id)
        .error("Failed to get workflow")
        .run(client)
}

/// Optional arguments of [`update_workflow`].
#[derive(Clone, Debug, Default)]
pub struct UpdateWorkflowOptions {
    /// A new name.
    pub name: Option<String>,
    /// A new definition, as YAML text.
    pub definition: Option<String>,
    /// A local file holding a new definition (YAML).
    pub definition_file: Option<PathBuf>,
}

/// Changes a workflow's name or definition: `PATCH /workflow/{workflow_id}`, multipart
/// (with the `filename=""` part when no definition file is given, as [`create_workflow`]).
/// `msg` is `{"validated": ...}`.
pub fn update_workflow(
    client: &Client,
    workflow_id: &str,
    opts: &UpdateWorkflowOptions,
) -> ApiRv<WorkflowPatchResponse> {
    call!(Api::Dm, "PATCH", "/workflow/{workflow_id}")
        .path("workflow_id", workflow_id)
        .text_part("name", &opts.name)
        .text_part("definition", &opts.definition)
        .file_part("definition_file", definition_file(&opts.definition_file))
        .error("Failed to update workflow")
        .run(client)
}

/// Deletes a workflow: `DELETE /workflow/{workflow_id}`.
pub fn delete_workflow(client: &Client, workflow_id: &str) -> ApiRv<NoContent> {
    call!(Api::Dm, "DELETE", "/workflow/{workflow_id}")
        .path("workflow_id", workflow_id)
        .error("Failed to delete workflow")
        .run(client)
}

/// A workflow's definition: `GET /workflow/{workflow_id}/definition`.
/// `msg` is `{"definition": <the YAML text>}`.
pub fn get_workflow_definition(
    client: &Client,
    workflow_id: &str,
) -> ApiRv<WorkflowDefinitionGetResponse> {
    call!(Api::Dm, "GET", "/workflow/{workflow_id}/definition")
        .path("workflow_id", workflow_id)
        .error("Failed to get workflow definition")
        .run(client)
}

/// Optional arguments of [`run_workflow`] (fields of the API's run body the Python client
/// never sends).
#[derive(Clone, Debug, Default)]
pub struct RunWorkflowOptions {
    /// JSON text of the variables given to the workflow.
    pub variables: Option<String>,
    /// A debug value the instances may use.
    pub debug: Option<String>,
}

/// Runs a workflow in a project, its instances named after `as_name`:
/// `POST /workflow/{workflow_id}/run` with a form. `msg` is `{"id": <running workflow id>}`.
///
///
/// The Python client sends no body, though the API requires `project_id` and `as_name`; this
/// function sends them ([D7](crate::python_differences)), and `variables` and `debug` when set.
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use squonk2::dm_api::{self, RunWorkflowOptions};
/// let client = squonk2::Client::from_env()?;
/// let rv = dm_api::run_workflow(
///     &client,
///     "workflow-00000000-0000-0000-0000-000000000001",
///     "project-00000000-0000-0000-0000-000000000001",
///     "nightly run",
///     &RunWorkflowOptions::default(),
/// );
/// let running_workflow_id = rv.into_result()?["id"].clone();
/// # Ok(())
/// # }
/// ```
pub fn run_workflow(
    client: &Client,
    workflow_id: &str,
    project_id: &str,
    as_name: &str,
    opts: &RunWorkflowOptions,
) -> ApiRv<WorkflowRunPostResponse> {
    call!(Api::Dm, "POST", "/workflow/{workflow_id}/run")
        .path("workflow_id", workflow_id)
        .require("project_id", project_id)
        .require("as_name", as_name)
        .form_always("project_id", project_id)
        .form_always("as_name", as_name)
        .form("variables", &opts.variables)
        .form("debug", &opts.debug)
        .error("Failed to run the workflow")
        .run(client)
}

/// Freezes a workflow under a version string (e.g. `1.0.0`):
/// `PUT /workflow/{workflow_id}/version` with a form. `msg` is `{"id": <new workflow id>}`.
pub fn apply_workflow_version(
    client: &Client,
    workflow_id: &str,
    version_str: &str,
) -> ApiRv<WorkflowVersionPutResponse> {
    call!(Api::Dm, "PUT", "/workflow/{workflow_id}/version")
        .path("workflow_id", workflow_id)
        .form_always("version", version_str)
        // Python says "Failed to run the workflow" here, which is not what failed.
        .error("Failed to apply workflow version")
        .run(client)
}

/// Optional arguments of [`get_running_workflows`].
#[derive(Clone, Debug, Default)]
pub struct GetRunningWorkflowsOptions {
    /// Only runs of this workflow.
    pub workflow_id: Option<String>,
    /// Only runs in this project.
    pub project_id: Option<String>,
}

/// Lists running workflows: `GET /running-workflow`, the filters in the query ([D7](crate::python_differences): the
/// Python client sends them as a form body on the GET).
pub fn get_running_workflows(
    client: &Client,
    opts: &GetRunningWorkflowsOptions,
) -> ApiRv<RunningWorkflowGetAllResponse> {
    call!(Api::Dm, "GET", "/running-workflow")
        .query("workflow_id", &opts.workflow_id)
        .query("project_id", &opts.project_id)
        .error("Failed to get the running workflows")
        .run(client)
}

/// One running workflow: `GET /running-workflow/{running_workflow_id}`.
///
///
/// The id is required: an empty one fails before anything is sent ([D3](crate::python_differences); the Python client
/// would call `/running-workflow/None`).
pub fn get_running_workflow(
    client: &Client,
    running_workflow_id: &str,
) -> ApiRv<RunningWorkflowGetResponse> {
    call!(Api::Dm, "GET", "/running-workflow/{running_workflow_id}")
        .path("running_workflow_id", running_workflow_id)
        .error("Failed to get the workflow")
        .run(client)
}

/// Deletes a running workflow's record: `DELETE /running-workflow/{running_workflow_id}`
/// (the id is required, as for [`get_running_workflow`]).
pub fn delete_running_workflow(client: &Client, running_workflow_id: &str) -> ApiRv<NoContent> {
    call!(Api::Dm, "DELETE", "/running-workflow/{running_workflow_id}")
        .path("running_workflow_id", running_workflow_id)
        .error("Failed to delete running workflow")
        .run(client)
}

/// Asks a running workflow to stop: `PUT /running-workflow/{running_workflow_id}/stop`
/// (the id is required, as for [`get_running_workflow`]).
pub fn stop_running_workflow(client: &Client, running_workflow_id: &str) -> ApiRv<NoContent> {
    call!(
        Api::Dm,
        "PUT",
        "/running-workflow/{running_workflow_id}/stop",
    )
    .path("running_workflow_id", running_workflow_id)
    .error("Failed to stop running workflow")
    .run(client)
}

/// The steps of a running workflow: `GET /running-workflow/{running_workflow_id}/steps`
/// (the id is required, as for [`get_running_workflow`]).
pub fn get_running_workflow_steps(
    client: &Client,
    running_workflow_id: &str,
) -> ApiRv<RunningWorkflowStepsGetResponse> {
    call!(
        Api::Dm,
        "GET",
        "/running-workflow/{running_workflow_id}/steps",
    )
    .path("running_workflow_id", running_workflow_id)
    .error("Failed to get running workflow steps")
    .run(client)
}
