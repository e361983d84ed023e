//! Workflows and running workflows.
//!
//! A workflow is a YAML definition (`kind: DataManagerWorkflow`) of Job steps, checked when
//! it is created or changed: a definition with problems is kept, `validated: false`, its
//! problems in `validation_error_msg`, and cannot run. The sandbox understands this much of
//! the definition language:
//!
//! ```yaml
//! kind: DataManagerWorkflow
//! kind-version: "2025.1"
//! name: copy-twice
//! description: Copies a file, then copies the copy
//! variable-mapping:
//!   inputs:                        # workflow inputs, given as run variables
//!   - name: candidateMolecules
//!   options:                       # run variables (or defaults) given to step options
//!   - name: greeting
//!     default: hello
//!     as:
//!     - option: message
//!       step: step-1
//! steps:
//! - name: step-1
//!   specification:                 # a Job of the catalogue, and fixed variables
//!     collection: im-test
//!     job: copy-file
//!     version: "1.0.0"
//!     variables: {}
//!   inputs:
//!   - input: inputFile
//!     from:
//!       workflow-input: candidateMolecules
//!   outputs:
//!   - output: outputFile
//!     as: step-1.smi
//! - name: step-2
//!   specification: {collection: im-test, job: copy-file, version: "1.0.0"}
//!   inputs:
//!   - input: inputFile
//!     from:
//!       step: step-1
//!       output: outputFile
//!   outputs:
//!   - output: outputFile
//!     as: step-2.smi
//! ```
//!
//! A run goes through the steps in order, each an instance of its Job launched in the run's
//! project by the running user (through `instances::launch_instance`); when a step's
//! instance ends (`instance_ended`, called by the instance's life) the step succeeds or
//! fails, and the next step starts or the run ends. Run variables not taken by the
//! variable mapping are given to every step whose Job declares them.

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Map, Value};

use super::instances::{launch_instance, JOB_APPLICATION_ID};
use super::state::{bad_request, forbidden, not_found, DmState};
use super::{stream, time, yaml, Caller, Params};
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// The scopes a workflow can have, as the API answers them.
const SCOPES: [&str; 3] = ["GLOBAL", "AS_ORGANISATION", "AS_UNIT"];
/// The largest workflow definition read.
const MAX_DEFINITION: u64 = 1024 * 1024;
/// The version a running workflow reports for an unversioned workflow.
const UNVERSIONED: &str = "Unversioned";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/workflow", get(list_workflows).post(create_workflow))
        .route(
            "/workflow/{workflow_id}",
            get(get_workflow)
                .patch(update_workflow)
                .delete(delete_workflow),
        )
        .route("/workflow/{workflow_id}/definition", get(get_definition))
        .route("/workflow/{workflow_id}/run", post(run_workflow))
        .route("/workflow/{workflow_id}/version", put(version_workflow))
        .route("/running-workflow", get(list_running_workflows))
        .route(
            "/running-workflow/{running_workflow_id}",
            get(get_running_workflow).delete(delete_running_workflow),
        )
        .route(
            "/running-workflow/{running_workflow_id}/stop",
            put(stop_running_workflow),
        )
        .route(
            "/running-workflow/{running_workflow_id}/steps",
            get(get_running_workflow_steps),
        )
}

/// A workflow: its definition (as sent, and read) and what checking it found.
#[derive(Debug, Clone)]
pub(crate) struct Workflow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) creating_user: String,
    pub(crate) created: f64,
    pub(crate) scope: &'static str,
    pub(crate) scope_id: Option<String>,
    /// The YAML text.
    pub(crate) definition: String,
    /// The YAML read as JSON.
    pub(crate) parsed: Value,
    /// Problems found; none means it can run.
    pub(crate) errors: Vec<String>,
    /// Set on a frozen copy (`PUT /workflow/{id}/version`).
    pub(crate) version: Option<String>,
    /// The workflow a frozen copy was made from.
    pub(crate) source_id: Option<String>,
}

impl Workflow {
    fn validated(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The status of a running workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunStatus {
    Running,
    Success,
    Failure,
    UserStopped,
}

impl RunStatus {
    fn name(self) -> &'static str {
        match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Success => "SUCCESS",
            RunStatus::Failure => "FAILURE",
            RunStatus::UserStopped => "USER_STOPPED",
        }
    }
}

/// The status of a running workflow's step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepStatus {
    Running,
    Success,
    Failure,
}

impl StepStatus {
    fn name(self) -> &'static str {
        match self {
            StepStatus::Running => "RUNNING",
            StepStatus::Success => "SUCCESS",
            StepStatus::Failure => "FAILURE",
        }
    }
}

/// A run of a workflow.
#[derive(Debug, Clone)]
pub(crate) struct RunningWorkflow {
    pub(crate) id: String,
    pub(crate) workflow_id: String,
    pub(crate) workflow_name: String,
    pub(crate) workflow_version: Option<String>,
    pub(crate) project_id: String,
    pub(crate) project_name: String,
    pub(crate) name: String,
    pub(crate) running_user: String,
    /// Started in admin mode: its steps launch as an admin would.
    pub(crate) admin: bool,
    pub(crate) variables: Map<String, Value>,
    pub(crate) debug: Option<String>,
    pub(crate) status: RunStatus,
    pub(crate) started: f64,
    pub(crate) stopped: Option<f64>,
    pub(crate) stopping_user: Option<String>,
    pub(crate) error: Option<String>,
    /// The steps started so far, in order.
    pub(crate) steps: Vec<RunStep>,
    /// What each step of the definition runs.
    plan: Vec<StepPlan>,
}

/// A step of a run.
#[derive(Debug, Clone)]
pub(crate) struct RunStep {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) variables: Map<String, Value>,
    pub(crate) instance_id: Option<String>,
    pub(crate) task_id: Option<String>,
    pub(crate) status: StepStatus,
    pub(crate) started: f64,
    pub(crate) stopped: Option<f64>,
    pub(crate) error: Option<String>,
}

/// Where a step input comes from.
#[derive(Debug, Clone)]
enum Source {
    /// A run variable.
    Workflow(String),
    /// A variable (an output) of an earlier step: (step, variable).
    Step(String, String),
}

/// What a step runs.
#[derive(Debug, Clone)]
struct StepPlan {
    name: String,
    collection: String,
    job: String,
    version: String,
    /// Fixed variables, and the options mapped from run variables.
    variables: Map<String, Value>,
    inputs: Vec<(String, Source)>,
    outputs: Vec<(String, String)>,
}

// ---- definitions --------------------------------------------------------------------------

/// A scalar as text (YAML may read `1.0` as a number).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// Reads a definition (400 when it is not a YAML mapping) and lists its problems.
fn check_definition(dm: &DmState, text: &str) -> Result<(Value, Vec<String>), ApiError> {
    let parsed = yaml::parse(text)
        .map_err(|e| bad_request(format!("The workflow definition is not YAML: {e}")))?;
    if !parsed.is_object() {
        return Err(bad_request(
            "The workflow definition must be a YAML mapping (kind, kind-version, name, steps)",
        ));
    }
    let mut errors = Vec::new();
    if parsed["kind"] != "DataManagerWorkflow" {
        errors.push("'kind' must be DataManagerWorkflow".to_string());
    }
    if scalar(&parsed["kind-version"]).is_none() {
        errors.push("'kind-version' is missing".to_string());
    }
    if yaml::text(&parsed, "name").is_none() {
        errors.push("'name' is missing".to_string());
    }
    let mapping = &parsed["variable-mapping"];
    let declared_inputs: Vec<&str> = list(&mapping["inputs"])
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    let steps = list(&parsed["steps"]);
    if steps.is_empty() {
        errors.push("'steps' must list at least one step".to_string());
    }
    let mut names: Vec<String> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let Some(name) = yaml::text(step, "name") else {
            errors.push(format!("Step {} has no 'name'", i + 1));
            continue;
        };
        if names.iter().any(|n| n == name) {
            errors.push(format!("Two steps are named '{name}'"));
        }
        let spec = &step["specification"];
        match (
            scalar(&spec["collection"]),
            scalar(&spec["job"]),
            scalar(&spec["version"]),
        ) {
            (Some(c), Some(j), Some(v)) => {
                if dm.find_job(&c, &j, &v).is_none() {
                    errors.push(format!("Step '{name}': there is no Job {c}/{j}/{v}"));
                }
            }
            _ => errors.push(format!(
                "Step '{name}': 'specification' needs a collection, job and version"
            )),
        }
        if !(spec["variables"].is_null() || spec["variables"].is_object()) {
            errors.push(format!(
                "Step '{name}': 'specification.variables' must be a mapping"
            ));
        }
        for input in list(&step["inputs"]) {
            let from = &input["from"];
            let Some(variable) = yaml::text(input, "input") else {
                errors.push(format!("Step '{name}': an input has no 'input'"));
                continue;
            };
            if let Some(source) = yaml::text(from, "workflow-input") {
                if !declared_inputs.contains(&source) {
                    errors.push(format!(
                        "Step '{name}': input '{variable}' comes from workflow input \
                         '{source}', which variable-mapping.inputs does not declare"
                    ));
                }
            } else if let (Some(source), Some(_)) =
                (yaml::text(from, "step"), yaml::text(from, "output"))
            {
                if !names.iter().any(|n| n == source) {
                    errors.push(format!(
                        "Step '{name}': input '{variable}' comes from step '{source}', which \
                         is not an earlier step"
                    ));
                }
            } else {
                errors.push(format!(
                    "Step '{name}': input '{variable}' needs 'from' with a workflow-input, \
                     or a step and an output"
                ));
            }
        }
        for output in list(&step["outputs"]) {
            if yaml::text(output, "output").is_none() || yaml::text(output, "as").is_none() {
                errors.push(format!(
                    "Step '{name}': each output needs an 'output' and an 'as'"
                ));
            }
        }
        names.push(name.to_string());
    }
    for option in list(&mapping["options"]) {
        let Some(option_name) = yaml::text(option, "name") else {
            errors.push("A variable-mapping option has no 'name'".to_string());
            continue;
        };
        for target in list(&option["as"]) {
            match yaml::text(target, "step") {
                Some(step) if names.iter().any(|n| n == step) => {}
                _ => errors.push(format!(
                    "Option '{option_name}' maps to a step the workflow does not have"
                )),
            }
        }
    }
    Ok((parsed, errors))
}

/// The steps of a valid definition, with the run's variables mapped onto their options.
fn plan(parsed: &Value, variables: &Map<String, Value>) -> Result<Vec<StepPlan>, ApiError> {
    for input in list(&parsed["variable-mapping"]["inputs"]) {
        if let Some(name) = input["name"].as_str() {
            if !variables.contains_key(name) {
                return Err(bad_request(format!(
                    "The workflow input '{name}' is missing from the run's variables"
                )));
            }
        }
    }
    let mut steps: Vec<StepPlan> = list(&parsed["steps"])
        .iter()
        .map(|step| {
            let spec = &step["specification"];
            StepPlan {
                name: yaml::text(step, "name").unwrap_or_default().to_string(),
                collection: scalar(&spec["collection"]).unwrap_or_default(),
                job: scalar(&spec["job"]).unwrap_or_default(),
                version: scalar(&spec["version"]).unwrap_or_default(),
                variables: spec["variables"].as_object().cloned().unwrap_or_default(),
                inputs: list(&step["inputs"])
                    .iter()
                    .filter_map(|input| {
                        let variable = yaml::text(input, "input")?.to_string();
                        let from = &input["from"];
                        let source = match yaml::text(from, "workflow-input") {
                            Some(name) => Source::Workflow(name.to_string()),
                            None => Source::Step(
                                yaml::text(from, "step")?.to_string(),
                                yaml::text(from, "output")?.to_string(),
                            ),
                        };
                        Some((variable, source))
                    })
                    .collect(),
                outputs: list(&step["outputs"])
                    .iter()
                    .filter_map(|o| {
                        Some((
                            yaml::text(o, "output")?.to_string(),
                            yaml::text(o, "as")?.to_string(),
                        ))
                    })
                    .collect(),
            }
        })
        .collect();
    for option in list(&parsed["variable-mapping"]["options"]) {
        let Some(name) = option["name"].as_str() else {
            continue;
        };
        let Some(value) = variables.get(name).or(option.get("default")).cloned() else {
            continue;
        };
        for target in list(&option["as"]) {
            let (Some(step), Some(variable)) = (target["step"].as_str(), target["option"].as_str())
            else {
                continue;
            };
            if let Some(plan) = steps.iter_mut().find(|s| s.name == step) {
                plan.variables.insert(variable.to_string(), value.clone());
            }
        }
    }
    Ok(steps)
}

/// The run variables no mapping takes.
fn unmapped(parsed: &Value, variables: &Map<String, Value>) -> Map<String, Value> {
    let mapping = &parsed["variable-mapping"];
    let taken: Vec<&str> = list(&mapping["inputs"])
        .iter()
        .chain(list(&mapping["options"]))
        .filter_map(|v| v["name"].as_str())
        .collect();
    variables
        .iter()
        .filter(|(k, _)| !taken.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

// ---- workflows ----------------------------------------------------------------------------

/// The fields of a create or update body and the definition it carries.
struct WorkflowForm {
    fields: Params,
    definition: Option<String>,
}

/// Reads a multipart create or update body: text fields and the `definition_file` part (a
/// part with an empty file name is no file, as the Python client sends it).
async fn read_form(shared: &AppState, request: Request) -> Result<WorkflowForm, ApiError> {
    let temp = lock(&shared.dm)
        .upload_dir()
        .join(format!("{}.part", shared.key.random_uuid()));
    let upload = stream::receive_upload(request, "definition_file", &temp).await?;
    let file = match &upload.file {
        Some((_, name, size)) if !name.is_empty() => {
            if *size > MAX_DEFINITION {
                let _ = std::fs::remove_file(&temp);
                return Err(bad_request(format!(
                    "The definition file is too large ({size} bytes; at most {MAX_DEFINITION})"
                )));
            }
            Some(std::fs::read(&temp).map_err(|e| super::state::disk_error("read", &temp, e)))
        }
        _ => None,
    };
    let _ = std::fs::remove_file(&temp);
    let file = file
        .transpose()?
        .map(|bytes| {
            String::from_utf8(bytes)
                .map_err(|_| bad_request("The definition file is not UTF-8 text"))
        })
        .transpose()?;
    let fields = Params(upload.fields);
    let inline = fields.get_set("definition").map(str::to_string);
    let definition = match (inline, file) {
        (Some(_), Some(_)) => {
            return Err(bad_request(
                "Give the definition either inline ('definition') or as a file \
                 ('definition_file'), not both",
            ))
        }
        (inline, file) => inline.or(file),
    };
    Ok(WorkflowForm { fields, definition })
}

/// Checks a workflow name (2 to 80 characters).
fn check_name(name: &str) -> Result<(), ApiError> {
    if (2..=80).contains(&name.chars().count()) {
        Ok(())
    } else {
        Err(bad_request(format!(
            "A workflow name has 2 to 80 characters, not {name:?}"
        )))
    }
}

#[derive(Serialize)]
struct WorkflowPostResponse {
    id: String,
    validated: bool,
}

/// `POST /workflow`: multipart `name`, `scope`, `scope_id`, `definition` or
/// `definition_file`.
async fn create_workflow(
    State(shared): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<(StatusCode, Json<WorkflowPostResponse>), ApiError> {
    let form = read_form(&shared, request).await?;
    let name = form.fields.required("name")?.to_string();
    check_name(&name)?;
    let scope_text = form.fields.required("scope")?;
    let scope = SCOPES
        .into_iter()
        .find(|s| *s == scope_text)
        .ok_or_else(|| {
            bad_request(format!(
                "'scope' must be one of {}, not {scope_text:?}",
                SCOPES.join(", ")
            ))
        })?;
    let scope_id = form.fields.get_set("scope_id").map(str::to_string);
    if scope != "GLOBAL" && scope_id.is_none() {
        return Err(bad_request(format!(
            "A workflow of scope {scope} needs a 'scope_id'"
        )));
    }
    let definition = form.definition.ok_or_else(|| {
        bad_request("A workflow needs a definition: the 'definition' field or a 'definition_file'")
    })?;
    let id = format!("workflow-{}", shared.key.random_uuid());
    let mut dm = lock(&shared.dm);
    let (parsed, errors) = check_definition(&dm, &definition)?;
    let validated = errors.is_empty();
    dm.workflows.insert(
        id.clone(),
        Workflow {
            id: id.clone(),
            name,
            creating_user: caller.username.clone(),
            created: time::now(),
            scope,
            scope_id: scope_id.filter(|_| scope != "GLOBAL"),
            definition,
            parsed,
            errors,
            version: None,
            source_id: None,
        },
    );
    Ok((
        StatusCode::CREATED,
        Json(WorkflowPostResponse { id, validated }),
    ))
}

#[derive(Serialize)]
struct WorkflowSummary {
    id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    workflow_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workflow_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    validated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_id: Option<String>,
    scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope_id: Option<String>,
}

#[derive(Serialize)]
struct WorkflowGetAllResponse {
    count: usize,
    workflows: Vec<WorkflowSummary>,
}

fn definition_text(workflow: &Workflow, key: &str) -> Option<String> {
    yaml::text(&workflow.parsed, key).map(|t| t.trim().to_string())
}

/// `GET /workflow`
async fn list_workflows(
    State(shared): State<AppState>,
    _caller: Caller,
) -> Json<WorkflowGetAllResponse> {
    let dm = lock(&shared.dm);
    let workflows: Vec<WorkflowSummary> = dm
        .workflows
        .values()
        .map(|w| WorkflowSummary {
            id: w.id.clone(),
            name: w.name.clone(),
            workflow_name: definition_text(w, "name"),
            workflow_description: definition_text(w, "description"),
            version: w.version.clone(),
            validated: w.validated(),
            source_id: w.source_id.clone(),
            scope: w.scope,
            scope_id: w.scope_id.clone(),
        })
        .collect();
    Json(WorkflowGetAllResponse {
        count: workflows.len(),
        workflows,
    })
}

#[derive(Serialize)]
struct WorkflowStepSummary {
    name: String,
    specification: Value,
}

#[derive(Serialize)]
struct WorkflowGetResponse {
    id: String,
    creating_user: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    workflow_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workflow_description: Option<String>,
    created: String,
    scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_id: Option<String>,
    validated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    validation_error_num: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validation_error_msg: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    variables: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    steps: Option<Vec<WorkflowStepSummary>>,
}

fn find_workflow<'a>(dm: &'a DmState, workflow_id: &str) -> Result<&'a Workflow, ApiError> {
    dm.workflows
        .get(workflow_id)
        .ok_or_else(|| not_found(format!("Workflow {workflow_id} does not exist")))
}

/// The workflow, if the caller may change it (its creator, or an admin).
fn own_workflow<'a>(
    dm: &'a mut DmState,
    caller: &Caller,
    workflow_id: &str,
) -> Result<&'a mut Workflow, ApiError> {
    let workflow = dm
        .workflows
        .get_mut(workflow_id)
        .ok_or_else(|| not_found(format!("Workflow {workflow_id} does not exist")))?;
    if !(caller.admin || workflow.creating_user == caller.username) {
        return Err(forbidden(format!(
            "Only the creator of workflow {workflow_id} ({}) can change it",
            workflow.creating_user
        )));
    }
    Ok(workflow)
}

/// `GET /workflow/{workflow_id}`
async fn get_workflow(
    State(shared): State<AppState>,
    _caller: Caller,
    UrlPath(workflow_id): UrlPath<String>,
) -> Result<Json<WorkflowGetResponse>, ApiError> {
    let dm = lock(&shared.dm);
    let w = find_workflow(&dm, &workflow_id)?;
    let errors = (!w.errors.is_empty()).then(|| w.errors.clone());
    Ok(Json(WorkflowGetResponse {
        id: w.id.clone(),
        creating_user: w.creating_user.clone(),
        name: w.name.clone(),
        workflow_name: definition_text(w, "name"),
        workflow_description: definition_text(w, "description"),
        created: time::iso(w.created),
        scope: w.scope,
        scope_id: w.scope_id.clone(),
        version: w.version.clone(),
        source_id: w.source_id.clone(),
        validated: w.validated(),
        validation_error_num: errors.as_ref().map(Vec::len),
        validation_error_msg: errors,
        variables: w.parsed.get("variables").filter(|v| v.is_object()).cloned(),
        steps: w.validated().then(|| {
            list(&w.parsed["steps"])
                .iter()
                .map(|s| WorkflowStepSummary {
                    name: yaml::text(s, "name").unwrap_or_default().to_string(),
                    specification: s["specification"].clone(),
                })
                .collect()
        }),
    }))
}

#[derive(Serialize)]
struct WorkflowDefinitionGetResponse {
    definition: String,
}

/// `GET /workflow/{workflow_id}/definition`: the YAML as it was sent.
async fn get_definition(
    State(shared): State<AppState>,
    _caller: Caller,
    UrlPath(workflow_id): UrlPath<String>,
) -> Result<Json<WorkflowDefinitionGetResponse>, ApiError> {
    let dm = lock(&shared.dm);
    Ok(Json(WorkflowDefinitionGetResponse {
        definition: find_workflow(&dm, &workflow_id)?.definition.clone(),
    }))
}

#[derive(Serialize)]
struct WorkflowPatchResponse {
    validated: bool,
}

/// `PATCH /workflow/{workflow_id}`: multipart `name`, `definition` or `definition_file`.
async fn update_workflow(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(workflow_id): UrlPath<String>,
    request: Request,
) -> Result<Json<WorkflowPatchResponse>, ApiError> {
    let form = read_form(&shared, request).await?;
    let name = form.fields.get_set("name").map(str::to_string);
    if let Some(name) = &name {
        check_name(name)?;
    }
    let mut dm = lock(&shared.dm);
    let workflow = own_workflow(&mut dm, &caller, &workflow_id)?;
    if let Some(version) = &workflow.version {
        return Err(bad_request(format!(
            "Workflow {workflow_id} is version {version:?} of {}: a version cannot change",
            workflow.source_id.as_deref().unwrap_or("another workflow")
        )));
    }
    let checked = match &form.definition {
        Some(definition) => Some(check_definition(&dm, definition)?),
        None => None,
    };
    let workflow = own_workflow(&mut dm, &caller, &workflow_id)?;
    if let Some(name) = name {
        workflow.name = name;
    }
    if let (Some(definition), Some((parsed, errors))) = (form.definition, checked) {
        workflow.definition = definition;
        workflow.parsed = parsed;
        workflow.errors = errors;
    }
    Ok(Json(WorkflowPatchResponse {
        validated: workflow.validated(),
    }))
}

/// `DELETE /workflow/{workflow_id}`: a workflow none of whose runs is running.
async fn delete_workflow(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(workflow_id): UrlPath<String>,
) -> Result<StatusCode, ApiError> {
    let mut dm = lock(&shared.dm);
    own_workflow(&mut dm, &caller, &workflow_id)?;
    refresh(&mut dm);
    if let Some(run) = dm
        .running_workflows
        .values()
        .find(|r| r.workflow_id == workflow_id && r.status == RunStatus::Running)
    {
        return Err(bad_request(format!(
            "Workflow {workflow_id} is running ({}); stop the run first",
            run.id
        )));
    }
    dm.workflows.remove(&workflow_id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct WorkflowVersionPutResponse {
    id: String,
}

/// `PUT /workflow/{workflow_id}/version` (form `version`): a frozen copy of a valid
/// workflow, with a new id.
async fn version_workflow(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(workflow_id): UrlPath<String>,
    params: Params,
) -> Result<(StatusCode, Json<WorkflowVersionPutResponse>), ApiError> {
    let version = params.required("version")?.to_string();
    let id = format!("workflow-{}", shared.key.random_uuid());
    let mut dm = lock(&shared.dm);
    let source = own_workflow(&mut dm, &caller, &workflow_id)?.clone();
    if source.version.is_some() {
        return Err(bad_request(format!(
            "Workflow {workflow_id} is already a version; version its source instead"
        )));
    }
    if !source.validated() {
        return Err(bad_request(format!(
            "Workflow {workflow_id} has problems and cannot be versioned: {}",
            source.errors.join("; ")
        )));
    }
    if dm.workflows.values().any(|w| {
        w.source_id.as_deref() == Some(workflow_id.as_str())
            && w.version.as_deref() == Some(version.as_str())
    }) {
        return Err(bad_request(format!(
            "Workflow {workflow_id} already has a version {version:?}"
        )));
    }
    dm.workflows.insert(
        id.clone(),
        Workflow {
            id: id.clone(),
            creating_user: caller.username.clone(),
            created: time::now(),
            version: Some(version),
            source_id: Some(workflow_id),
            ..source
        },
    );
    Ok((StatusCode::CREATED, Json(WorkflowVersionPutResponse { id })))
}

// ---- running workflows --------------------------------------------------------------------

#[derive(Serialize)]
struct WorkflowRunPostResponse {
    id: String,
}

/// `POST /workflow/{workflow_id}/run` (form `project_id`, `as_name`, `variables` (a JSON
/// object), `debug`): starts the first step.
async fn run_workflow(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(workflow_id): UrlPath<String>,
    params: Params,
) -> Result<(StatusCode, Json<WorkflowRunPostResponse>), ApiError> {
    let project_id = params.required("project_id")?.to_string();
    let name = params.required("as_name")?.to_string();
    let variables = match params.get_set("variables") {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Err(bad_request(format!(
                    "'variables' must be a JSON object, not {text:?}"
                )))
            }
        },
    };
    let id = format!("r-workflow-{}", shared.key.random_uuid());
    {
        let mut dm = lock(&shared.dm);
        let workflow = find_workflow(&dm, &workflow_id)?.clone();
        if !workflow.validated() {
            return Err(bad_request(format!(
                "Workflow {workflow_id} has problems and cannot run: {}",
                workflow.errors.join("; ")
            )));
        }
        let project_name = dm.editable_project(&project_id, &caller)?.name.clone();
        let plan = plan(&workflow.parsed, &variables)?;
        dm.running_workflows.insert(
            id.clone(),
            RunningWorkflow {
                id: id.clone(),
                workflow_id: workflow.id.clone(),
                workflow_name: workflow.name.clone(),
                workflow_version: workflow.version.clone(),
                project_id,
                project_name,
                name,
                running_user: caller.username.clone(),
                admin: caller.admin,
                variables,
                debug: params.get_set("debug").map(str::to_string),
                status: RunStatus::Running,
                started: time::now(),
                stopped: None,
                stopping_user: None,
                error: None,
                steps: Vec::new(),
                plan,
            },
        );
    }
    start_step(&shared, &id, 0);
    Ok((StatusCode::CREATED, Json(WorkflowRunPostResponse { id })))
}

/// Starts step `index` of a running run: records it, then launches its instance; a step
/// that cannot start fails the run.
fn start_step(shared: &AppState, run_id: &str, index: usize) {
    let step_id = format!("r-workflow-step-{}", shared.key.random_uuid());
    let prepared = {
        let mut dm = lock(&shared.dm);
        let unmapped_variables = dm
            .running_workflows
            .get(run_id)
            .and_then(|r| dm.workflows.get(&r.workflow_id).map(|w| (w, r)))
            .map(|(w, r)| unmapped(&w.parsed, &r.variables))
            .unwrap_or_default();
        let declared = |collection: &str, job: &str, version: &str| -> Vec<String> {
            dm.find_job(collection, job, version)
                .and_then(|id| dm.job(id))
                .map(|j| {
                    ["inputs", "outputs", "options"]
                        .iter()
                        .flat_map(|s| {
                            j.variables[*s]["properties"]
                                .as_object()
                                .map(|p| p.keys().cloned().collect::<Vec<_>>())
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let Some(run) = dm.running_workflows.get(run_id) else {
            return;
        };
        if run.status != RunStatus::Running {
            return;
        }
        let Some(step) = run.plan.get(index).cloned() else {
            return;
        };
        let mut variables = step.variables.clone();
        for (output, file) in &step.outputs {
            variables.insert(output.clone(), Value::String(file.clone()));
        }
        let mut missing = None;
        for (input, source) in &step.inputs {
            let value = match source {
                Source::Workflow(name) => run.variables.get(name).cloned(),
                Source::Step(step, output) => run
                    .steps
                    .iter()
                    .find(|s| s.name == *step)
                    .and_then(|s| s.variables.get(output).cloned()),
            };
            match value {
                Some(value) => {
                    variables.insert(input.clone(), value);
                }
                None => missing = Some(input.clone()),
            }
        }
        for name in declared(&step.collection, &step.job, &step.version) {
            if let Some(value) = unmapped_variables.get(&name) {
                variables.entry(name).or_insert_with(|| value.clone());
            }
        }
        let specification = serde_json::json!({
            "collection": step.collection,
            "job": step.job,
            "version": step.version,
            "variables": variables,
        });
        let caller = Caller {
            username: run.running_user.clone(),
            real_username: run.running_user.clone(),
            admin: run.admin,
            admin_rights: run.admin,
            may_be_admin: run.admin,
            token: String::new(),
        };
        let params = Params(vec![
            ("application_id".into(), JOB_APPLICATION_ID.into()),
            ("project_id".into(), run.project_id.clone()),
            ("as_name".into(), format!("{} {}", run.name, step.name)),
            ("specification".into(), specification.to_string()),
        ]);
        let Some(run) = dm.running_workflows.get_mut(run_id) else {
            return;
        };
        run.steps.push(RunStep {
            id: step_id.clone(),
            name: step.name.clone(),
            variables,
            instance_id: None,
            task_id: None,
            status: StepStatus::Running,
            started: time::now(),
            stopped: None,
            error: None,
        });
        match missing {
            Some(input) => Err(format!(
                "Step '{}' could not start: its input '{input}' has no value",
                step.name
            )),
            None => Ok((caller, params)),
        }
    };
    let launched = prepared.and_then(|(caller, params)| {
        launch_instance(shared, &caller, &params, Some(&step_id))
            .map_err(|e| format!("Step could not start: {}", e.message))
    });
    let mut dm = lock(&shared.dm);
    let Some(run) = dm.running_workflows.get_mut(run_id) else {
        return;
    };
    let Some(step) = run.steps.iter_mut().find(|s| s.id == step_id) else {
        return;
    };
    match launched {
        Ok(instance) => {
            step.instance_id = Some(instance.instance_id);
            step.task_id = Some(instance.task_id);
        }
        Err(message) => {
            let now = time::now();
            step.status = StepStatus::Failure;
            step.stopped = Some(now);
            step.error = Some(message.clone());
            let step_name = step.name.clone();
            if run.status == RunStatus::Running {
                run.status = RunStatus::Failure;
                run.stopped = Some(now);
                run.error = Some(format!("Step '{step_name}' failed: {message}"));
            }
        }
    }
}

/// Hears of an instance's end (from the instance's life): when a step of a running
/// workflow launched it, the step ends, and the next step starts or the run ends.
pub(crate) fn instance_ended(shared: &AppState, instance_id: &str) {
    let next = {
        let mut dm = lock(&shared.dm);
        let Some(instance) = dm.instances.get(instance_id) else {
            return;
        };
        let Some(step_id) = instance.running_workflow_step_id.clone() else {
            return;
        };
        let (phase, error) = (instance.phase, instance.error_message.clone());
        let Some(run) = dm
            .running_workflows
            .values_mut()
            .find(|r| r.steps.iter().any(|s| s.id == step_id))
        else {
            return;
        };
        let Some(index) = run.steps.iter().position(|s| s.id == step_id) else {
            return;
        };
        let step = &mut run.steps[index];
        if run.status != RunStatus::Running || step.status != StepStatus::Running {
            return;
        }
        let now = time::now();
        step.stopped = Some(now);
        if phase.is_success() {
            step.status = StepStatus::Success;
            if index + 1 < run.plan.len() {
                Some((run.id.clone(), index + 1))
            } else {
                run.status = RunStatus::Success;
                run.stopped = Some(now);
                None
            }
        } else {
            let message = error.unwrap_or_else(|| format!("The instance ended {}", phase.name()));
            step.status = StepStatus::Failure;
            step.error = Some(message.clone());
            let step_name = step.name.clone();
            run.status = RunStatus::Failure;
            run.stopped = Some(now);
            run.error = Some(format!("Step '{step_name}' failed: {message}"));
            None
        }
    };
    if let Some((run_id, index)) = next {
        start_step(shared, &run_id, index);
    }
}

/// Fails the runs whose current step's instance was deleted (with its project, say).
fn refresh(dm: &mut DmState) {
    let DmState {
        running_workflows,
        instances,
        ..
    } = dm;
    for run in running_workflows.values_mut() {
        if run.status != RunStatus::Running {
            continue;
        }
        let Some(step) = run.steps.last_mut() else {
            continue;
        };
        let gone = step.status == StepStatus::Running
            && step
                .instance_id
                .as_ref()
                .is_some_and(|id| !instances.contains_key(id));
        if gone {
            let now = time::now();
            let message = format!(
                "The step's instance {} was deleted",
                step.instance_id.as_deref().unwrap_or_default()
            );
            step.status = StepStatus::Failure;
            step.stopped = Some(now);
            step.error = Some(message.clone());
            run.error = Some(format!("Step '{}' failed: {message}", step.name));
            run.status = RunStatus::Failure;
            run.stopped = Some(now);
        }
    }
}

#[derive(Serialize)]
struct RunningWorkflowWorkflow {
    id: String,
    name: String,
    version: String,
}

#[derive(Serialize)]
struct RunningWorkflowProject {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct RunningWorkflowSummary {
    id: String,
    name: String,
    error_num: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_msg: Option<String>,
    status: &'static str,
    started: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<String>,
    workflow: RunningWorkflowWorkflow,
    project: RunningWorkflowProject,
}

#[derive(Serialize)]
struct RunningWorkflowGetAllResponse {
    count: usize,
    running_workflows: Vec<RunningWorkflowSummary>,
}

#[derive(Serialize)]
struct RunningWorkflowGetResponse {
    id: String,
    running_user: String,
    name: String,
    error_num: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_msg: Option<String>,
    done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    success: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    debug: Option<String>,
    status: &'static str,
    started: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<String>,
    variables: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopping_user: Option<String>,
    workflow: RunningWorkflowWorkflow,
    project: RunningWorkflowProject,
}

#[derive(Serialize)]
struct RunningWorkflowStep {
    id: String,
    variables: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_id: Option<String>,
    started: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<String>,
    status: &'static str,
    name: String,
    done: bool,
    error_num: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_msg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    success: Option<bool>,
    running_workflow: RunningWorkflowSummary,
}

#[derive(Serialize)]
struct RunningWorkflowStepsGetResponse {
    count: usize,
    running_workflow_steps: Vec<RunningWorkflowStep>,
}

impl RunningWorkflow {
    fn workflow(&self) -> RunningWorkflowWorkflow {
        RunningWorkflowWorkflow {
            id: self.workflow_id.clone(),
            name: self.workflow_name.clone(),
            version: self
                .workflow_version
                .clone()
                .unwrap_or_else(|| UNVERSIONED.into()),
        }
    }

    fn project(&self) -> RunningWorkflowProject {
        RunningWorkflowProject {
            id: self.project_id.clone(),
            name: self.project_name.clone(),
        }
    }

    fn summary(&self) -> RunningWorkflowSummary {
        RunningWorkflowSummary {
            id: self.id.clone(),
            name: self.name.clone(),
            error_num: u32::from(self.error.is_some()),
            error_msg: self.error.clone(),
            status: self.status.name(),
            started: time::iso(self.started),
            stopped: self.stopped.map(time::iso),
            workflow: self.workflow(),
            project: self.project(),
        }
    }

    fn response(&self) -> RunningWorkflowGetResponse {
        let done = self.status != RunStatus::Running;
        RunningWorkflowGetResponse {
            id: self.id.clone(),
            running_user: self.running_user.clone(),
            name: self.name.clone(),
            error_num: u32::from(self.error.is_some()),
            error_msg: self.error.clone(),
            done,
            success: done.then_some(self.status == RunStatus::Success),
            debug: self.debug.clone(),
            status: self.status.name(),
            started: time::iso(self.started),
            stopped: self.stopped.map(time::iso),
            variables: self.variables.clone(),
            stopping_user: self.stopping_user.clone(),
            workflow: self.workflow(),
            project: self.project(),
        }
    }

    fn may_see(&self, dm: &DmState, caller: &Caller) -> bool {
        caller.admin
            || self.running_user == caller.username
            || dm
                .projects
                .get(&self.project_id)
                .is_some_and(|p| p.can_read(caller))
    }

    fn may_change(&self, dm: &DmState, caller: &Caller) -> bool {
        caller.admin
            || self.running_user == caller.username
            || dm
                .projects
                .get(&self.project_id)
                .is_some_and(|p| p.can_edit(caller))
    }
}

/// The run, if the caller may see it (`change`: stop or delete it).
fn find_run<'a>(
    dm: &'a DmState,
    caller: &Caller,
    run_id: &str,
    change: bool,
) -> Result<&'a RunningWorkflow, ApiError> {
    let run = dm
        .running_workflows
        .get(run_id)
        .ok_or_else(|| not_found(format!("Running workflow {run_id} does not exist")))?;
    let allowed = if change {
        run.may_change(dm, caller)
    } else {
        run.may_see(dm, caller)
    };
    if !allowed {
        return Err(forbidden(format!(
            "{} may not {} running workflow {run_id}",
            caller.username,
            if change { "change" } else { "see" }
        )));
    }
    Ok(run)
}

/// `GET /running-workflow[?workflow_id=][&project_id=]`
async fn list_running_workflows(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Json<RunningWorkflowGetAllResponse> {
    let mut dm = lock(&shared.dm);
    refresh(&mut dm);
    let (workflow_id, project_id) = (params.get_set("workflow_id"), params.get_set("project_id"));
    let running_workflows: Vec<RunningWorkflowSummary> = dm
        .running_workflows
        .values()
        .filter(|r| r.may_see(&dm, &caller))
        .filter(|r| workflow_id.is_none_or(|w| r.workflow_id == w))
        .filter(|r| project_id.is_none_or(|p| r.project_id == p))
        .map(RunningWorkflow::summary)
        .collect();
    Json(RunningWorkflowGetAllResponse {
        count: running_workflows.len(),
        running_workflows,
    })
}

/// `GET /running-workflow/{running_workflow_id}`
async fn get_running_workflow(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(run_id): UrlPath<String>,
) -> Result<Json<RunningWorkflowGetResponse>, ApiError> {
    let mut dm = lock(&shared.dm);
    refresh(&mut dm);
    Ok(Json(find_run(&dm, &caller, &run_id, false)?.response()))
}

/// `GET /running-workflow/{running_workflow_id}/steps`: the steps started so far.
async fn get_running_workflow_steps(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(run_id): UrlPath<String>,
) -> Result<Json<RunningWorkflowStepsGetResponse>, ApiError> {
    let mut dm = lock(&shared.dm);
    refresh(&mut dm);
    let run = find_run(&dm, &caller, &run_id, false)?;
    let running_workflow_steps: Vec<RunningWorkflowStep> = run
        .steps
        .iter()
        .map(|s| {
            let done = s.status != StepStatus::Running;
            RunningWorkflowStep {
                id: s.id.clone(),
                variables: s.variables.clone(),
                instance_id: s.instance_id.clone(),
                task_id: s.task_id.clone(),
                started: time::iso(s.started),
                stopped: s.stopped.map(time::iso),
                status: s.status.name(),
                name: s.name.clone(),
                done,
                error_num: u32::from(s.error.is_some()),
                error_msg: s.error.clone(),
                success: done.then_some(s.status == StepStatus::Success),
                running_workflow: run.summary(),
            }
        })
        .collect();
    Ok(Json(RunningWorkflowStepsGetResponse {
        count: running_workflow_steps.len(),
        running_workflow_steps,
    }))
}

/// Stops a running run: USER_STOPPED, its current step failed. The step's instance is left
/// to end on its own; no further step starts.
fn stop(run: &mut RunningWorkflow, caller: &Caller) {
    if run.status != RunStatus::Running {
        return;
    }
    let now = time::now();
    run.status = RunStatus::UserStopped;
    run.stopped = Some(now);
    run.stopping_user = Some(caller.username.clone());
    if let Some(step) = run
        .steps
        .iter_mut()
        .find(|s| s.status == StepStatus::Running)
    {
        step.status = StepStatus::Failure;
        step.stopped = Some(now);
        step.error = Some(format!("The run was stopped by {}", caller.username));
    }
}

/// `PUT /running-workflow/{running_workflow_id}/stop`
async fn stop_running_workflow(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(run_id): UrlPath<String>,
) -> Result<StatusCode, ApiError> {
    let mut dm = lock(&shared.dm);
    refresh(&mut dm);
    let run = find_run(&dm, &caller, &run_id, true)?;
    if run.status != RunStatus::Running {
        return Err(bad_request(format!(
            "Running workflow {run_id} has already ended ({})",
            run.status.name()
        )));
    }
    if let Some(run) = dm.running_workflows.get_mut(&run_id) {
        stop(run, &caller);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /running-workflow/{running_workflow_id}`: stops it if it is running, and forgets
/// it (the instances of its steps stay in the project).
async fn delete_running_workflow(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(run_id): UrlPath<String>,
) -> Result<StatusCode, ApiError> {
    let mut dm = lock(&shared.dm);
    find_run(&dm, &caller, &run_id, true)?;
    if let Some(mut run) = dm.running_workflows.remove(&run_id) {
        stop(&mut run, &caller);
    }
    Ok(StatusCode::NO_CONTENT)
}
