//! Tasks: listing with filters, one task with its states and ordered events, deletion.

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::state::{bad_request, forbidden, not_found, Task};
use super::{time, Caller, Params};
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// The purposes a task can have.
const PURPOSES: [&str; 4] = ["DATASET", "FILE", "INSTANCE", "PROJECT"];
/// The most events answered when the caller sets no limit.
const DEFAULT_EVENT_LIMIT: usize = 500;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/task", get(list_tasks))
        .route("/task/{task_id}", get(get_task).delete(delete_task))
}

#[derive(Serialize)]
struct TaskSummary {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    created: String,
    done: bool,
    removal: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code: Option<i64>,
    purpose: &'static str,
    purpose_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose_version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    processing_stage: Option<&'static str>,
}

#[derive(Serialize)]
struct TasksGetResponse {
    count: usize,
    tasks: Vec<TaskSummary>,
}

/// `GET /task` with the filters `purpose`, `exclude_done`, `exclude_removal`,
/// `exclude_purpose` (`,` or `.` separated), `project_id`, `unit_id`, `org_id`,
/// `instance_callback_context`.
async fn list_tasks(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<TasksGetResponse>, ApiError> {
    let exclude_done = params.flag("exclude_done")?;
    let exclude_removal = params.flag("exclude_removal")?;
    let purpose = params.get_set("purpose");
    if let Some(purpose) = purpose {
        if !PURPOSES.contains(&purpose) {
            return Err(bad_request(format!(
                "'purpose' must be one of {}",
                PURPOSES.join(", ")
            )));
        }
    }
    let excluded: Vec<&str> = params
        .get_set("exclude_purpose")
        .map(|p| p.split([',', '.']).map(str::trim).collect())
        .unwrap_or_default();
    let dm = lock(&shared.dm);
    let tasks: Vec<TaskSummary> = dm
        .tasks
        .values()
        .filter(|t| dm.can_see_task(t, &caller))
        .filter(|t| !(exclude_done && t.done || exclude_removal && t.removal))
        .filter(|t| purpose.is_none_or(|p| p == t.purpose) && !excluded.contains(&t.purpose))
        .filter(|t| {
            let project = t.project_id.as_deref().and_then(|p| dm.projects.get(p));
            params
                .get_set("project_id")
                .is_none_or(|p| t.project_id.as_deref() == Some(p))
                && params
                    .get_set("unit_id")
                    .is_none_or(|u| project.is_some_and(|p| p.unit_id.as_deref() == Some(u)))
                && params.get_set("org_id").is_none_or(|o| {
                    project.is_some_and(|p| p.organisation_id.as_deref() == Some(o))
                })
                && params
                    .get_set("instance_callback_context")
                    .is_none_or(|c| t.instance_callback_context.as_deref() == Some(c))
        })
        .map(|t| TaskSummary {
            id: t.task_id.clone(),
            image: t.image.clone(),
            created: time::iso(t.created),
            done: t.done,
            removal: t.removal,
            exit_code: t.exit_code,
            purpose: t.purpose,
            purpose_id: t.purpose_id.clone(),
            purpose_version: t.purpose_version,
            // A Dataset task's stage is its Dataset version's.
            processing_stage: (t.purpose == "DATASET")
                .then(|| {
                    let version = dm
                        .datasets
                        .get(&t.purpose_id)?
                        .versions
                        .get(&t.purpose_version?)?;
                    Some(version.stage.name())
                })
                .flatten(),
        })
        .collect();
    Ok(Json(TasksGetResponse {
        count: tasks.len(),
        tasks,
    }))
}

#[derive(Serialize)]
struct TaskState {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    time: String,
}

#[derive(Serialize)]
struct TaskEvent {
    ordinal: u64,
    message: String,
    level: &'static str,
    time: String,
}

#[derive(Serialize)]
struct TaskGetResponse {
    purpose: &'static str,
    purpose_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose_version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_specification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    created: String,
    done: bool,
    removal: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code: Option<i64>,
    states: Vec<TaskState>,
    events: Vec<TaskEvent>,
}

fn visible_task<'a>(
    tasks: &'a std::collections::BTreeMap<String, Task>,
    task_id: &str,
) -> Result<&'a Task, ApiError> {
    tasks
        .get(task_id)
        .ok_or_else(|| not_found(format!("Task {task_id} does not exist")))
}

/// `GET /task/{task_id}[?event_prior_ordinal=][&event_limit=]`: the task with its states
/// and the events after `event_prior_ordinal`, oldest first.
async fn get_task(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(task_id): UrlPath<String>,
    params: Params,
) -> Result<Json<TaskGetResponse>, ApiError> {
    let prior = params.number("event_prior_ordinal")?.unwrap_or(0);
    let limit = match params.number("event_limit")? {
        Some(0) | None => DEFAULT_EVENT_LIMIT,
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
    };
    let dm = lock(&shared.dm);
    let task = visible_task(&dm.tasks, &task_id)?;
    if !dm.can_see_task(task, &caller) {
        return Err(forbidden(format!(
            "{} may not see task {task_id}",
            caller.username
        )));
    }
    Ok(Json(TaskGetResponse {
        purpose: task.purpose,
        purpose_id: task.purpose_id.clone(),
        purpose_version: task.purpose_version,
        instance_specification: task.instance_specification.clone(),
        image: task.image.clone(),
        created: time::iso(task.created),
        done: task.done,
        removal: task.removal,
        exit_code: task.exit_code,
        states: task
            .states
            .iter()
            .map(|s| TaskState {
                state: s.state,
                message: s.message.clone(),
                time: time::iso(s.time),
            })
            .collect(),
        events: task
            .events
            .iter()
            .filter(|e| e.ordinal > prior)
            .take(limit)
            .map(|e| TaskEvent {
                ordinal: e.ordinal,
                message: e.message.clone(),
                level: e.level,
                time: time::iso(e.time),
            })
            .collect(),
    }))
}

/// `DELETE /task/{task_id}`: a done task's record.
async fn delete_task(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(task_id): UrlPath<String>,
) -> Result<StatusCode, ApiError> {
    let mut dm = lock(&shared.dm);
    let task = visible_task(&dm.tasks, &task_id)?;
    if !(caller.admin || task.owner == caller.username) {
        return Err(forbidden(format!(
            "{} may not delete task {task_id}",
            caller.username
        )));
    }
    if !task.done {
        return Err(forbidden(format!(
            "Task {task_id} is not done; a task can be deleted once it is"
        )));
    }
    dm.tasks.remove(&task_id);
    Ok(StatusCode::NO_CONTENT)
}
