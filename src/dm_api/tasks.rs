//! Tasks: the Data Manager's record of asynchronous work (running an instance, deleting a
//! project, attaching a file, ...), with its states and ordered events.

use super::models::{TaskGetResponse, TasksGetResponse};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::client::{Api, Client};
use crate::request::call;

/// Options of [`get_available_tasks`].
#[derive(Clone, Debug, Default)]
pub struct GetAvailableTasksOptions {
    /// Leave out the tasks that are done.
    pub exclude_done: bool,
    /// Comma-separated purposes to leave out (`DATASET`, `FILE`, `INSTANCE`, `PROJECT`).
    pub exclude_purpose: Option<String>,
    /// Only the tasks of this project.
    pub project_id: Option<String>,
}

/// The tasks the caller can see:
/// `GET /task[?exclude_done=True][&exclude_purpose=][&project_id=]`.
pub fn get_available_tasks(
    client: &Client,
    opts: &GetAvailableTasksOptions,
) -> ApiRv<TasksGetResponse> {
    call!(Api::Dm, "GET", "/task")
        .query("exclude_done", opts.exclude_done)
        .query("exclude_purpose", opts.exclude_purpose.as_deref())
        .query("project_id", opts.project_id.as_deref())
        .error("Failed to get tasks")
        .run(client)
}

/// Options of [`get_tasks`].
#[derive(Clone, Debug, Default)]
pub struct GetTasksOptions {
    /// Leave out the tasks that are done.
    pub exclude_done: bool,
    /// Leave out removal tasks.
    pub exclude_removal: bool,
    /// Purposes to leave out, separated by `.` (`INSTANCE.FILE`).
    pub exclude_purpose: Option<String>,
    /// Only the tasks of this project.
    pub project_id: Option<String>,
    /// Only the tasks of instances launched with this callback context.
    pub instance_callback_context: Option<String>,
}

/// Tasks, filtered: `GET /task` with `exclude_done=True`, `exclude_removal=True`,
/// `exclude_purpose`, `project_id`, `instance_callback_context` (each only when set).
pub fn get_tasks(client: &Client, opts: &GetTasksOptions) -> ApiRv<TasksGetResponse> {
    call!(Api::Dm, "GET", "/task")
        .query("exclude_done", opts.exclude_done)
        .query("exclude_removal", opts.exclude_removal)
        .query("exclude_purpose", opts.exclude_purpose.as_deref())
        .query("project_id", opts.project_id.as_deref())
        .query(
            "instance_callback_context",
            opts.instance_callback_context.as_deref(),
        )
        .error("Failed to get tasks")
        .run(client)
}

/// Options of [`get_task`].
#[derive(Clone, Debug, Default)]
pub struct GetTaskOptions {
    /// Only the events after this ordinal (0: from the first).
    pub event_prior_ordinal: u64,
    /// At most this many events (0: the server's default, typically 500).
    pub event_limit: u64,
}

/// One task with its states and events, in order:
/// `GET /task/{task_id}[?event_prior_ordinal=][&event_limit=]` (each only when not 0).
pub fn get_task(client: &Client, task_id: &str, opts: &GetTaskOptions) -> ApiRv<TaskGetResponse> {
    call!(Api::Dm, "GET", "/task/{task_id}")
        .path("task_id", task_id)
        .query("event_prior_ordinal", opts.event_prior_ordinal)
        .query("event_limit", opts.event_limit)
        .error("Failed to get task")
        .run(client)
}

/// Deletes a task record (once it is done): `DELETE /task/{task_id}`.
pub fn delete_task(client: &Client, task_id: &str) -> ApiRv<NoContent> {
    call!(Api::Dm, "DELETE", "/task/{task_id}")
        .path("task_id", task_id)
        .error("Failed to delete task")
        .run(client)
}
