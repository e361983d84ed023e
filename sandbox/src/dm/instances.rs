//! Instances: launching Jobs (and dry runs), their life PENDING → RUNNING → COMPLETED or
//! FAILED over the sandbox's job duration, archiving, deletion (which removes the
//! instance's directory) and callback tokens.
//!
//! Each launched instance gets a background task that moves it through its phases, adds
//! the events of its task, and does what its Job does in the sandbox (see
//! [`Behaviour`]).

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Map, Value};

use super::catalogue::{self, Behaviour, JobDefinition};
use super::files::{disk_path, file_key, split_relative};
use super::projects::TaskIdentity;
use super::state::{bad_request, forbidden, not_found, DmState, FileMeta, Instance, Phase, Task};
use super::{time, Caller, Params};
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// The application every Job instance belongs to.
pub(crate) const JOB_APPLICATION_ID: &str = "datamanagerjobs.squonk.it";
/// The version of [`JOB_APPLICATION_ID`].
pub(crate) const JOB_APPLICATION_VERSION: &str = "v1";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/instance", get(list_instances).post(create_instance))
        .route("/instance/dry-run", post(dry_run_instance))
        .route(
            "/instance/{instance_id}",
            get(get_instance)
                .patch(update_instance)
                .delete(delete_instance),
        )
        .route(
            "/instance/{instance_id}/token/{token}",
            delete(delete_instance_token),
        )
}

/// A checked launch request.
struct Launch {
    project_id: String,
    name: String,
    job_id: u64,
    job: JobDefinition,
    specification: String,
    variables: Map<String, Value>,
    command: String,
    outputs: Map<String, Value>,
    callback_token: Option<String>,
    callback_context: Option<String>,
}

/// Checks a launch (`POST /instance` and `POST /instance/dry-run`).
fn check_launch(shared: &AppState, caller: &Caller, params: &Params) -> Result<Launch, ApiError> {
    let application_id = params.required("application_id")?;
    if application_id != JOB_APPLICATION_ID {
        return Err(bad_request(format!(
            "The sandbox launches Jobs only (application_id {JOB_APPLICATION_ID}), \
             not {application_id}"
        )));
    }
    let project_id = params.required("project_id")?.to_string();
    let name = params.required("as_name")?.to_string();
    let specification = params.required("specification")?.to_string();
    let spec: Value = serde_json::from_str(&specification)
        .map_err(|e| bad_request(format!("The specification is not JSON: {e}")))?;
    let field = |key: &str| {
        spec[key]
            .as_str()
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| bad_request(format!("The specification has no '{key}'")))
    };
    let (collection, job, version) = (field("collection")?, field("job")?, field("version")?);
    let given = match &spec["variables"] {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        _ => {
            return Err(bad_request(
                "The specification's 'variables' must be an object",
            ))
        }
    };
    let mut dm = lock(&shared.dm);
    let project_dir = dm.project_dir(&project_id);
    dm.editable_project(&project_id, caller)?;
    let job_id = dm
        .find_job(&collection, &job, &version)
        .ok_or_else(|| bad_request(format!("There is no Job {collection}/{job}/{version}")))?;
    let definition = dm
        .job(job_id)
        .cloned()
        .ok_or_else(|| bad_request(format!("There is no Job {collection}/{job}/{version}")))?;
    let variables = definition
        .complete_variables(&given, |path| {
            split_relative(path)
                .map(|(dir, name)| disk_path(&project_dir, &file_key(&dir, &name)).is_file())
                .unwrap_or(false)
        })
        .map_err(bad_request)?;
    let command = catalogue::render(&definition.command, &variables);
    let outputs = definition.rendered_outputs(&variables);
    let callback_token = match params.get_set("callback_token") {
        Some(token) => Some(token.to_string()),
        None if params.flag("generate_callback_token")? => {
            Some(shared.key.random_uuid().replace('-', ""))
        }
        None => None,
    };
    Ok(Launch {
        project_id,
        name,
        job_id,
        job: definition,
        specification,
        variables,
        command,
        outputs,
        callback_token,
        callback_context: params.get_set("callback_context").map(str::to_string),
    })
}

#[derive(Serialize)]
struct InstanceDryRunPostResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    callback_token: Option<String>,
    command: String,
}

/// `POST /instance/dry-run`: checks a launch and answers the command it would run.
async fn dry_run_instance(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<(StatusCode, Json<InstanceDryRunPostResponse>), ApiError> {
    let launch = check_launch(&shared, &caller, &params)?;
    Ok((
        StatusCode::CREATED,
        Json(InstanceDryRunPostResponse {
            callback_token: launch.callback_token,
            command: launch.command,
        }),
    ))
}

#[derive(Serialize)]
pub(crate) struct InstancePostResponse {
    pub(crate) instance_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    callback_token: Option<String>,
    pub(crate) task_id: String,
    command: String,
}

/// The most events `event-test` emits, whatever it is given.
const MAX_EVENTS: u64 = 1000;

/// What a running instance's background task needs.
struct Plan {
    instance_id: String,
    task_id: String,
    project_dir: PathBuf,
    behaviour: Behaviour,
    variables: Map<String, Value>,
    outputs: Map<String, Value>,
    job_label: String,
    forced_failure: Option<String>,
    script: Option<super::script::InstanceScript>,
    duration: Duration,
    /// When it was launched, on the sandbox's clock: every step is timed from it.
    launched: jiff::Timestamp,
}

/// `POST /instance`: launches a Job.
async fn create_instance(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<(StatusCode, Json<InstancePostResponse>), ApiError> {
    let launched = launch_instance(&shared, &caller, &params, None)?;
    Ok((StatusCode::CREATED, Json(launched)))
}

/// Launches a Job as `POST /instance` does, with the same form `params`: checks the launch,
/// records the instance and its task, and starts the instance's life in the background
/// (so it must be called in the server's runtime). `running_workflow_step_id` ties the
/// instance to a running workflow's step, which hears of its end.
pub(crate) fn launch_instance(
    shared: &AppState,
    caller: &Caller,
    params: &Params,
    running_workflow_step_id: Option<&str>,
) -> Result<InstancePostResponse, ApiError> {
    let launch = check_launch(shared, caller, params)?;
    let instance_id = format!("instance-{}", shared.key.random_uuid());
    let task_id = format!("task-{}", shared.key.random_uuid());
    let job = &launch.job;
    let job_label = format!("{}/{}/{}", job.collection, job.job, job.version);
    let plan = {
        let mut dm = lock(&shared.dm);
        let project_dir = dm.project_dir(&launch.project_id);
        let instance = Instance {
            instance_id: instance_id.clone(),
            project_id: launch.project_id.clone(),
            name: launch.name.clone(),
            owner: caller.username.clone(),
            job_id: launch.job_id,
            collection: job.collection.clone(),
            job: job.job.clone(),
            version: job.version.clone(),
            job_name: job.name.clone(),
            specification: launch.specification.clone(),
            launched: time::now(),
            started: None,
            stopped: None,
            phase: Phase::Pending,
            archived: false,
            task_id: task_id.clone(),
            delete_task_id: None,
            callback_token: launch.callback_token.clone(),
            callback_token_valid: launch.callback_token.is_some(),
            error_message: None,
            outputs: launch.outputs.clone(),
            launch_exchange_rate: dm.current_rate(launch.job_id).map(|r| r.rate.clone()),
            running_workflow_step_id: running_workflow_step_id.map(str::to_string),
            taken_over: false,
        };
        let instance_dir = project_dir.join(instance.directory_name());
        fs::create_dir_all(&instance_dir)
            .map_err(|e| super::state::disk_error("create", &instance_dir, e))?;
        let mut task = Task::new(
            task_id.clone(),
            "INSTANCE",
            &instance_id,
            Some(&launch.project_id),
            &caller.username,
        );
        task.instance_specification = Some(launch.specification.clone());
        task.image = Some(format!("{}:{}", job.image_name, job.image_tag));
        task.instance_callback_context = launch.callback_context.clone();
        task.event(
            "INFO",
            format!("Instance {instance_id} created for {job_label}"),
        );
        task.event("INFO", format!("Command: {}", launch.command));
        dm.instances.insert(instance_id.clone(), instance);
        dm.tasks.insert(task_id.clone(), task);
        Plan {
            instance_id: instance_id.clone(),
            task_id: task_id.clone(),
            project_dir,
            behaviour: job.behaviour,
            variables: launch.variables.clone(),
            outputs: launch.outputs.clone(),
            forced_failure: dm
                .failing_jobs
                .get(&(job.collection.clone(), job.job.clone()))
                .cloned(),
            script: dm
                .job_scripts
                .get(&(job.collection.clone(), job.job.clone()))
                .cloned(),
            job_label,
            duration: dm.job_duration,
            launched: shared.clock.time(),
        }
    };
    tokio::spawn(supervise(shared.clone(), plan));
    Ok(InstancePostResponse {
        instance_id,
        callback_token: launch.callback_token,
        task_id,
        command: launch.command,
    })
}

/// Applies `change` to a live instance and its task; false when the instance is gone.
fn update(
    shared: &AppState,
    plan: &Plan,
    change: impl FnOnce(&mut DmState, &mut Instance, &mut Task),
) -> bool {
    let mut dm = lock(&shared.dm);
    let Some(mut instance) = dm.instances.remove(&plan.instance_id) else {
        return false;
    };
    if instance.taken_over {
        dm.instances.insert(plan.instance_id.clone(), instance);
        return false;
    }
    let Some(mut task) = dm.tasks.remove(&plan.task_id) else {
        dm.instances.insert(plan.instance_id.clone(), instance);
        return false;
    };
    change(&mut dm, &mut instance, &mut task);
    dm.instances.insert(plan.instance_id.clone(), instance);
    dm.tasks.insert(plan.task_id.clone(), task);
    true
}

/// The project files a Job writes: (project path, disk path) of each file output.
fn output_files(plan: &Plan) -> Result<Vec<(String, PathBuf)>, String> {
    plan.outputs
        .values()
        .filter(|o| o["type"] == "file")
        .filter_map(|o| o["creates"].as_str())
        .map(|creates| {
            let (dir, name) = split_relative(creates).map_err(|e| {
                format!("The output {creates:?} is not a valid path: {}", e.message)
            })?;
            let key = file_key(&dir, &name);
            let path = disk_path(&plan.project_dir, &key);
            Ok((key, path))
        })
        .collect()
}

/// Does what the Job does; `Ok` with the closing message, or `Err` with the error.
/// `began` is when it started running on the sandbox's clock, `running` how long it runs.
async fn work(
    shared: &AppState,
    plan: &Plan,
    began: jiff::Timestamp,
    running: Duration,
) -> Result<String, String> {
    let text = |name: &str| {
        plan.variables
            .get(name)
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .unwrap_or_default()
    };
    match plan.behaviour {
        Behaviour::Nop => Ok("Nothing to do".into()),
        Behaviour::Coin => match text("coin").as_str() {
            "tails" => Err("The coin landed tails".into()),
            _ => Ok("The coin landed heads".into()),
        },
        Behaviour::Events => {
            // The launch checked `count` (1 to 100); never trust it with arithmetic anyway.
            let count = plan
                .variables
                .get("count")
                .and_then(Value::as_f64)
                .map(|c| c.clamp(0.0, MAX_EVENTS as f64) as u64)
                .unwrap_or(5);
            let pause = running.div_f64(count.saturating_add(1) as f64);
            const LEVELS: [&str; 4] = ["INFO", "DEBUG", "WARNING", "INFO"];
            for i in 1..=count {
                shared
                    .clock
                    .sleep_until(at(began, pause.saturating_mul(i as u32)))
                    .await;
                let alive = update(shared, plan, |_, _, task| {
                    task.event(
                        LEVELS[(i.saturating_sub(1) % LEVELS.len() as u64) as usize],
                        format!("Event {i} of {count}"),
                    );
                });
                if !alive {
                    return Err("The instance was deleted".into());
                }
            }
            Ok(format!("Emitted {count} events"))
        }
        Behaviour::CopyFile | Behaviour::Note => {
            let outputs = output_files(plan)?;
            {
                let dm = lock(&shared.dm);
                let instance = dm.instances.get(&plan.instance_id);
                let Some(project) = instance.and_then(|i| dm.projects.get(&i.project_id)) else {
                    return Err("The instance or its project was deleted".into());
                };
                for (key, _) in &outputs {
                    if project.files.get(key).is_some_and(|m| m.immutable) {
                        return Err(format!("The output {key} exists and is immutable"));
                    }
                }
            }
            let input = match plan.behaviour {
                Behaviour::CopyFile => {
                    let (dir, name) = split_relative(&text("inputFile")).map_err(|e| e.message)?;
                    Some(disk_path(&plan.project_dir, &file_key(&dir, &name)))
                }
                _ => None,
            };
            let note = note_text(plan, &text("inputFile"));
            let written: Vec<String> = outputs.iter().map(|(key, _)| key.clone()).collect();
            let project_dir = plan.project_dir.clone();
            tokio::task::spawn_blocking(move || -> Result<(), String> {
                for (key, path) in &outputs {
                    // Never bring back the directory of a project deleted meanwhile.
                    if !project_dir.is_dir() {
                        return Err("The project was deleted".into());
                    }
                    if let Some(parent) = path.parent() {
                        fs::create_dir_all(parent)
                            .map_err(|e| format!("Cannot make the directory of {key}: {e}"))?;
                    }
                    match &input {
                        Some(input) => fs::copy(input, path).map(|_| ()),
                        None => fs::write(path, &note),
                    }
                    .map_err(|e| format!("Cannot write {key}: {e}"))?;
                }
                Ok(())
            })
            .await
            .map_err(|e| format!("The Job stopped: {e}"))??;
            let owner = lock(&shared.dm)
                .instances
                .get(&plan.instance_id)
                .map(|i| (i.project_id.clone(), i.owner.clone()));
            if let Some((project_id, owner)) = owner {
                let mut dm = lock(&shared.dm);
                if let Some(project) = dm.projects.get_mut(&project_id) {
                    for key in &written {
                        project.files.insert(
                            key.clone(),
                            FileMeta {
                                owner: owner.clone(),
                                immutable: false,
                                file_id: None,
                            },
                        );
                    }
                }
            }
            Ok(format!("Wrote {}", written.join(", ")))
        }
    }
}

/// What a Job the sandbox cannot run writes to its outputs.
fn note_text(plan: &Plan, input: &str) -> String {
    format!(
        "# This file was written by the squonk2 sandbox, not by the Job {job}.\n\
         # The sandbox runs no Job containers and computes no chemistry: nothing was\n\
         # calculated. Input: {input}\n\
         # Instance: {instance}\n",
        job = plan.job_label,
        instance = plan.instance_id,
        input = if input.is_empty() { "(none)" } else { input },
    )
}

/// `duration` after `start`.
pub(crate) fn at(start: jiff::Timestamp, duration: Duration) -> jiff::Timestamp {
    jiff::SignedDuration::try_from(duration)
        .ok()
        .and_then(|d| start.checked_add(d).ok())
        .unwrap_or(jiff::Timestamp::MAX)
}

/// Runs an instance's life in its own task; if that task fails (panics), the instance ends
/// FAILED with a message rather than staying RUNNING forever.
async fn supervise(shared: AppState, plan: Plan) {
    let instance_id = plan.instance_id.clone();
    let task_id = plan.task_id.clone();
    let Err(error) = tokio::spawn(run(shared.clone(), plan)).await else {
        return;
    };
    let why = match error.try_into_panic() {
        Ok(panic) => panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into()),
        Err(error) => error.to_string(),
    };
    let message = format!("The sandbox could not run the instance: {why}");
    {
        let mut dm = lock(&shared.dm);
        let Some(instance) = dm.instances.get_mut(&instance_id) else {
            return;
        };
        if matches!(instance.phase, Phase::Pending | Phase::Running) {
            instance.phase = Phase::Failed;
            instance.stopped = Some(time::now());
            instance.error_message = Some(message.clone());
            if let Some(task) = dm.tasks.get_mut(&task_id) {
                if !task.done {
                    task.finish(1, format!("Job failed. {message}"));
                }
            }
        }
    }
    super::workflows::instance_ended(&shared, &instance_id);
}

/// An instance's life: PENDING for a quarter of the duration, RUNNING for the rest (while
/// the Job does its work), then COMPLETED or FAILED.
async fn run(shared: AppState, plan: Plan) {
    if let Some(script) = plan.script.clone() {
        return run_script(shared, plan, script).await;
    }
    // Every step is timed from the launch, so that moving the clock past the end once
    // takes the instance all the way.
    let launched = plan.launched;
    let pending = plan.duration / 4;
    let running = plan.duration - pending;
    shared.clock.sleep_until(at(launched, pending)).await;
    let label = plan.job_label.clone();
    if !update(&shared, &plan, |_, instance, task| {
        instance.phase = Phase::Running;
        instance.started = Some(time::now());
        task.state("STARTED", None);
        task.event("INFO", format!("Job {label} is running"));
    }) {
        return;
    }
    let began = at(launched, pending);
    let outcome = match &plan.forced_failure {
        Some(message) => Err(message.clone()),
        None => work(&shared, &plan, began, running).await,
    };
    shared.clock.sleep_until(at(launched, plan.duration)).await;
    update(&shared, &plan, |dm, instance, task| {
        instance.stopped = Some(time::now());
        match &outcome {
            Ok(message) => {
                instance.phase = Phase::Completed;
                task.finish(0, format!("Job completed. {message}"));
            }
            Err(message) => {
                instance.phase = Phase::Failed;
                instance.error_message = Some(message.clone());
                task.finish(1, format!("Job failed. {message}"));
            }
        }
        let log: String = task
            .events
            .iter()
            .map(|e| format!("{} {} {}\n", time::iso(e.time), e.level, e.message))
            .collect();
        let instance_dir = dm
            .project_dir(&instance.project_id)
            .join(instance.directory_name());
        let _ = fs::write(instance_dir.join("job.log"), log);
    });
    let phase = if outcome.is_ok() {
        Phase::Completed
    } else {
        Phase::Failed
    };
    after_end(&shared, &plan.instance_id, phase);
}

/// What follows an instance's end in `phase`: a successful run is charged, and a running
/// workflow hears of a final phase.
pub(crate) fn after_end(shared: &AppState, instance_id: &str, phase: Phase) {
    if phase.is_success() {
        charge_completed_run(shared, instance_id);
    }
    if phase.is_final() {
        super::workflows::instance_ended(shared, instance_id);
    }
}

/// An instance's life as a test scripted it (`Sandbox::script_job`).
async fn run_script(shared: AppState, plan: Plan, script: super::script::InstanceScript) {
    use super::script::Step;
    // Timed from the launch, as `run` is.
    let launched = plan.launched;
    let mut elapsed = Duration::ZERO;
    for step in &script.steps {
        let alive = match step {
            Step::Phase { phase, lasting } => {
                let phase = *phase;
                let alive = update(&shared, &plan, |_, instance, task| {
                    if phase != Phase::Pending && instance.started.is_none() {
                        instance.started = Some(time::now());
                        task.state("STARTED", None);
                    }
                    instance.phase = phase;
                    task.event("INFO", format!("The instance is {phase}"));
                });
                elapsed = elapsed.saturating_add(*lasting);
                shared.clock.sleep_until(at(launched, elapsed)).await;
                alive
            }
            Step::Event { level, message } => update(&shared, &plan, |_, _, task| {
                task.event(super::state::event_level(level), message.clone());
            }),
        };
        if !alive {
            return;
        }
    }
    if update(&shared, &plan, |_, _, _| {}) {
        let ended = super::script::end_instance(
            &shared,
            &plan.instance_id,
            script.end,
            &script.message,
            false,
        );
        if ended.is_ok() {
            after_end(&shared, &plan.instance_id, script.end);
        }
    }
}

/// A completed run costs its project's product its coins (the Job's exchange rate, 1 coin
/// when the Job has none), charged by the Data Manager merchant with the Job and times in
/// `additional_data`, as a real deployment does (the vendor's `get-job-executions` tool
/// reads them).
fn charge_completed_run(shared: &AppState, instance_id: &str) {
    let charge = {
        let dm = lock(&shared.dm);
        let Some(instance) = dm.instances.get(instance_id) else {
            return;
        };
        if !instance.phase.is_success() {
            return;
        }
        let Some(project) = dm.projects.get(&instance.project_id) else {
            return;
        };
        let mut data = Map::new();
        let mut put = |key: &str, value: String| {
            data.insert(key.to_owned(), Value::String(value));
        };
        put("instance_id", instance.instance_id.clone());
        put("instance_name", instance.name.clone());
        put("project_id", instance.project_id.clone());
        put("job_collection", instance.collection.clone());
        put("job_job", instance.job.clone());
        put("job_version", instance.version.clone());
        put("launched", time::iso(instance.launched));
        put(
            "started",
            time::iso(instance.started.unwrap_or(instance.launched)),
        );
        if let Some(stopped) = instance.stopped {
            put("stopped", time::iso(stopped));
        }
        put("cost", decimal(cost_hundredths(instance)));
        if let Some(rate) = &instance.launch_exchange_rate {
            put("exchange_rate", rate.clone());
        }
        (
            project.product_id.clone(),
            instance.owner.clone(),
            instance.name.clone(),
            coins_hundredths(instance),
            data,
        )
    };
    let (product_id, owner, name, coins_hundredths, data) = charge;
    if crate::account_server::product_exists(shared, &product_id) {
        let _ = crate::account_server::record_processing_charge(
            shared,
            &product_id,
            &owner,
            &name,
            coins_hundredths,
            data,
        );
    }
}

#[derive(Serialize)]
struct InstanceTask {
    id: String,
    purpose: &'static str,
}

#[derive(Serialize)]
struct InstanceGetResponse {
    project_id: String,
    name: String,
    archived: bool,
    application_type: &'static str,
    application_id: &'static str,
    application_version: &'static str,
    application_specification: String,
    owner: String,
    launched: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    started: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<String>,
    run_time: String,
    phase: &'static str,
    job_collection: String,
    job_job: String,
    job_name: String,
    job_id: u64,
    job_version: String,
    job_image_type: &'static str,
    outputs: Map<String, Value>,
    rendered_outputs: String,
    tasks: Vec<InstanceTask>,
    has_valid_callback_token: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    launch_exchange_rate: Option<String>,
    cost: String,
    coins: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    running_workflow_step_id: Option<String>,
}

#[derive(Serialize)]
struct InstanceSummary {
    id: String,
    archived: bool,
    application_id: &'static str,
    application_version: &'static str,
    application_specification: String,
    application_type: &'static str,
    phase: &'static str,
    launched: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    started: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<String>,
    run_time: String,
    owner: String,
    project_id: String,
    name: String,
    job_collection: String,
    job_job: String,
    job_name: String,
    job_id: u64,
    job_version: String,
    job_image_type: &'static str,
    outputs: Map<String, Value>,
    rendered_outputs: String,
    coins: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<String>,
}

/// What a run costs, in hundredths: nothing until it has completed, then one unit (the
/// sandbox's Jobs use nothing worth measuring).
fn cost_hundredths(instance: &Instance) -> i64 {
    if instance.phase.is_success() {
        100
    } else {
        0
    }
}

/// Its coins, in hundredths: the cost times the launch exchange rate (1 when the Job has
/// none), as the real Data Manager reckons them.
fn coins_hundredths(instance: &Instance) -> i64 {
    let rate: f64 = instance
        .launch_exchange_rate
        .as_deref()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1.0);
    (cost_hundredths(instance) as f64 * rate).round() as i64
}

/// Hundredths as Python writes a `Decimal` amount: `0`, `1`, `0.5`, `1.25`.
fn decimal(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let (whole, cents) = (
        hundredths.unsigned_abs() / 100,
        hundredths.unsigned_abs() % 100,
    );
    match cents {
        0 => format!("{sign}{whole}"),
        c if c % 10 == 0 => format!("{sign}{whole}.{}", c / 10),
        c => format!("{sign}{whole}.{c:02}"),
    }
}

/// The outputs as the JSON text the real Data Manager gives in `rendered_outputs`.
fn rendered_outputs(instance: &Instance) -> String {
    Value::Object(instance.outputs.clone()).to_string()
}

fn run_time(instance: &Instance) -> String {
    let run = match instance.started {
        Some(started) => instance.stopped.unwrap_or_else(time::now) - started,
        None => 0.0,
    };
    time::duration(run)
}

fn get_response(instance: &Instance) -> InstanceGetResponse {
    let mut tasks = vec![InstanceTask {
        id: instance.task_id.clone(),
        purpose: "CREATE",
    }];
    if let Some(id) = &instance.delete_task_id {
        tasks.push(InstanceTask {
            id: id.clone(),
            purpose: "DELETE",
        });
    }
    InstanceGetResponse {
        project_id: instance.project_id.clone(),
        name: instance.name.clone(),
        archived: instance.archived,
        application_type: "JOB",
        application_id: JOB_APPLICATION_ID,
        application_version: JOB_APPLICATION_VERSION,
        application_specification: instance.specification.clone(),
        owner: instance.owner.clone(),
        launched: time::iso(instance.launched),
        started: instance.started.map(time::iso),
        stopped: instance.stopped.map(time::iso),
        run_time: run_time(instance),
        phase: instance.phase.name(),
        job_collection: instance.collection.clone(),
        job_job: instance.job.clone(),
        job_name: instance.job_name.clone(),
        job_id: instance.job_id,
        job_version: instance.version.clone(),
        job_image_type: "SIMPLE",
        outputs: instance.outputs.clone(),
        rendered_outputs: rendered_outputs(instance),
        tasks,
        has_valid_callback_token: instance.callback_token_valid,
        launch_exchange_rate: instance.launch_exchange_rate.clone(),
        cost: decimal(cost_hundredths(instance)),
        coins: decimal(coins_hundredths(instance)),
        error_message: instance.error_message.clone(),
        running_workflow_step_id: instance.running_workflow_step_id.clone(),
    }
}

fn summary(instance: &Instance) -> InstanceSummary {
    InstanceSummary {
        id: instance.instance_id.clone(),
        archived: instance.archived,
        application_id: JOB_APPLICATION_ID,
        application_version: JOB_APPLICATION_VERSION,
        application_specification: instance.specification.clone(),
        application_type: "JOB",
        phase: instance.phase.name(),
        launched: time::iso(instance.launched),
        started: instance.started.map(time::iso),
        stopped: instance.stopped.map(time::iso),
        run_time: run_time(instance),
        owner: instance.owner.clone(),
        project_id: instance.project_id.clone(),
        name: instance.name.clone(),
        job_collection: instance.collection.clone(),
        job_job: instance.job.clone(),
        job_name: instance.job_name.clone(),
        job_id: instance.job_id,
        job_version: instance.version.clone(),
        job_image_type: "SIMPLE",
        outputs: instance.outputs.clone(),
        rendered_outputs: rendered_outputs(instance),
        coins: decimal(coins_hundredths(instance)),
        error_message: instance.error_message.clone(),
    }
}

#[derive(Serialize)]
struct InstancesGetResponse {
    count: usize,
    instances: Vec<InstanceSummary>,
}

/// `GET /instance[?project_id=][&unit_id=][&org_id=]`: the instances the caller can see.
async fn list_instances(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Json<InstancesGetResponse> {
    let dm = lock(&shared.dm);
    let instances: Vec<InstanceSummary> = dm
        .instances
        .values()
        .filter(|i| {
            let project = dm.projects.get(&i.project_id);
            let visible = caller.admin
                || i.owner == caller.username
                || project.is_some_and(|p| p.can_read(&caller));
            let wanted = params
                .get_set("project_id")
                .is_none_or(|p| p == i.project_id)
                && params
                    .get_set("unit_id")
                    .is_none_or(|u| project.is_some_and(|p| p.unit_id.as_deref() == Some(u)))
                && params.get_set("org_id").is_none_or(|o| {
                    project.is_some_and(|p| p.organisation_id.as_deref() == Some(o))
                });
            visible && wanted
        })
        .map(summary)
        .collect();
    Json(InstancesGetResponse {
        count: instances.len(),
        instances,
    })
}

/// The instance, if the caller may see it (`edit`: change it).
fn find_instance<'a>(
    dm: &'a DmState,
    caller: &Caller,
    instance_id: &str,
    edit: bool,
) -> Result<&'a Instance, ApiError> {
    let instance = dm
        .instances
        .get(instance_id)
        .ok_or_else(|| not_found(format!("Instance {instance_id} does not exist")))?;
    let project = dm.projects.get(&instance.project_id);
    let allowed = caller.admin
        || instance.owner == caller.username
        || project.is_some_and(|p| {
            if edit {
                p.can_edit(caller)
            } else {
                p.can_read(caller)
            }
        });
    if !allowed {
        return Err(forbidden(format!(
            "{} may not {} instance {instance_id}",
            caller.username,
            if edit { "change" } else { "see" }
        )));
    }
    Ok(instance)
}

/// `GET /instance/{instance_id}`
async fn get_instance(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(instance_id): UrlPath<String>,
) -> Result<Json<InstanceGetResponse>, ApiError> {
    let dm = lock(&shared.dm);
    Ok(Json(get_response(find_instance(
        &dm,
        &caller,
        &instance_id,
        false,
    )?)))
}

/// `PATCH /instance/{instance_id}[?archive=]`
async fn update_instance(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(instance_id): UrlPath<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let archive = params.opt_flag("archive")?;
    let mut dm = lock(&shared.dm);
    find_instance(&dm, &caller, &instance_id, true)?;
    if let (Some(archive), Some(instance)) = (archive, dm.instances.get_mut(&instance_id)) {
        instance.archived = archive;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /instance/{instance_id}`: stops the instance and removes it with its directory.
async fn delete_instance(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(instance_id): UrlPath<String>,
) -> Result<Json<TaskIdentity>, ApiError> {
    let task_id = format!("task-{}", shared.key.random_uuid());
    let mut dm = lock(&shared.dm);
    let instance = find_instance(&dm, &caller, &instance_id, true)?.clone();
    dm.instances.remove(&instance_id);
    if let Some(create) = dm.tasks.get_mut(&instance.task_id) {
        if !create.done {
            create.finish(1, "The instance was deleted before its Job ended");
        }
    }
    let mut task = Task::new(
        task_id.clone(),
        "INSTANCE",
        &instance_id,
        Some(&instance.project_id),
        &caller.username,
    );
    task.removal = true;
    task.state("STARTED", None);
    let dir = dm
        .project_dir(&instance.project_id)
        .join(instance.directory_name());
    match fs::remove_dir_all(&dir) {
        Ok(()) => task.finish(
            0,
            format!("Removed instance {instance_id} and its directory"),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            task.finish(0, format!("Removed instance {instance_id}"))
        }
        Err(e) => task.finish(1, format!("Could not remove the instance's directory: {e}")),
    }
    dm.tasks.insert(task_id.clone(), task);
    Ok(Json(TaskIdentity { task_id }))
}

/// `DELETE /instance/{instance_id}/token/{token}`: revokes a callback token (no login).
async fn delete_instance_token(
    State(shared): State<AppState>,
    UrlPath((instance_id, token)): UrlPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut dm = lock(&shared.dm);
    match dm.instances.get_mut(&instance_id) {
        Some(instance)
            if instance.callback_token_valid
                && instance.callback_token.as_deref() == Some(token.as_str()) =>
        {
            instance.callback_token_valid = false;
            Ok(StatusCode::NO_CONTENT)
        }
        _ => Err(not_found(format!(
            "Instance {instance_id} has no such callback token"
        ))),
    }
}
