//! The Data Manager's state (users, projects, files, jobs, instances, tasks, rates).
//!
//! Each API area keeps its records in its own fields here and its handlers in its own
//! module of `dm/`. Project files live on disk, below [`DmState::data_dir`], one directory
//! per project; everything else lives in memory. The state is behind one `Mutex`
//! (`Shared::dm`), held only for short sections and never across an `.await` or a file
//! transfer.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::StatusCode;

use crate::error::ApiError;

use super::catalogue::{self, JobDefinition};
use super::time;
use super::Caller;

/// How long a Job instance takes from launch to its end unless told otherwise.
pub(crate) const DEFAULT_JOB_DURATION: Duration = Duration::from_secs(2);
/// The most API-log entries kept per user.
const MAX_API_LOG: usize = 1000;

/// Everything the sandbox's Data Manager remembers.
#[derive(Debug)]
pub(crate) struct DmState {
    /// When the Data Manager started (its Account Server registration time).
    pub(crate) started: f64,
    /// Where project directories are made (`<data_dir>/<project_id>/`) and uploads are
    /// staged (`<data_dir>/.uploads/`).
    pub(crate) data_dir: PathBuf,
    /// The time from an instance's launch to its end: a quarter PENDING, the rest RUNNING.
    pub(crate) job_duration: Duration,
    /// Jobs made to fail, by (collection, job), with the error they end with.
    pub(crate) failing_jobs: BTreeMap<(String, String), String>,
    /// Scripted Jobs (`Sandbox::script_job`): (collection, job) → what their instances do.
    pub(crate) job_scripts: BTreeMap<(String, String), super::script::InstanceScript>,
    /// Every user that has called the Data Manager, by username.
    pub(crate) users: BTreeMap<String, DmUser>,
    /// Projects by id.
    pub(crate) projects: BTreeMap<String, Project>,
    /// Instances by id.
    pub(crate) instances: BTreeMap<String, Instance>,
    /// Tasks by id.
    pub(crate) tasks: BTreeMap<String, Task>,
    /// The Job catalogue; a Job's id is its position + 1.
    pub(crate) jobs: Vec<JobDefinition>,
    /// Exchange-rate history by Job id, oldest first.
    pub(crate) exchange_rates: BTreeMap<u64, Vec<ExchangeRate>>,
    /// Managed files (Datasets attached to projects) by file id.
    pub(crate) managed_files: BTreeMap<String, ManagedFile>,
    /// Dataset versions that `POST /file` can attach, by (dataset id, version). The
    /// datasets area registers each version it creates here.
    pub(crate) attachable_datasets: BTreeMap<(String, u64), AttachableDataset>,
    /// Datasets by id (`dm/datasets.rs`).
    pub(crate) datasets: BTreeMap<String, super::datasets::Dataset>,
    /// The time a Dataset version takes from upload to DONE.
    pub(crate) dataset_duration: Duration,
    /// Workflows by id (`dm/workflows.rs`).
    pub(crate) workflows: BTreeMap<String, super::workflows::Workflow>,
    /// Running workflows by id.
    pub(crate) running_workflows: BTreeMap<String, super::workflows::RunningWorkflow>,
    /// Service errors by id (`dm/admin.rs`).
    pub(crate) service_errors: BTreeMap<u64, super::admin::ServiceError>,
    pub(crate) next_service_error_id: u64,
    /// Job manifests by id (`dm/manifests.rs`).
    pub(crate) job_manifests: BTreeMap<u64, super::manifests::JobManifest>,
    pub(crate) next_job_manifest_id: u64,
    /// What the Data Manager finds at a URL when it loads Job manifests (it never goes to
    /// the network), by URL.
    pub(crate) web_files: BTreeMap<String, String>,
    next_f_uid: u64,
    /// The last API log `seq` given.
    next_log_seq: u64,
    next_rate_id: u64,
}

impl Default for DmState {
    fn default() -> Self {
        DmState {
            started: time::now(),
            data_dir: PathBuf::new(),
            job_duration: DEFAULT_JOB_DURATION,
            failing_jobs: BTreeMap::new(),
            job_scripts: BTreeMap::new(),
            users: BTreeMap::new(),
            projects: BTreeMap::new(),
            instances: BTreeMap::new(),
            tasks: BTreeMap::new(),
            jobs: catalogue::jobs(),
            exchange_rates: BTreeMap::new(),
            managed_files: BTreeMap::new(),
            attachable_datasets: BTreeMap::new(),
            datasets: BTreeMap::new(),
            dataset_duration: super::datasets::DEFAULT_DATASET_DURATION,
            workflows: BTreeMap::new(),
            running_workflows: BTreeMap::new(),
            service_errors: BTreeMap::new(),
            next_service_error_id: 1,
            job_manifests: BTreeMap::new(),
            next_job_manifest_id: 1,
            web_files: super::manifests::builtin_web_files(),
            next_f_uid: 1000,
            next_log_seq: 0,
            next_rate_id: 1,
        }
    }
}

/// A user of the Data Manager, created when first seen.
#[derive(Debug, Clone)]
pub(crate) struct DmUser {
    pub(crate) username: String,
    pub(crate) f_uid: u64,
    pub(crate) first_seen: f64,
    pub(crate) last_seen: f64,
    /// The days (since the epoch) the user called the API.
    pub(crate) active_days: BTreeSet<i64>,
    pub(crate) private: bool,
    pub(crate) suspended: bool,
    pub(crate) suspension_message: Option<String>,
    /// Admin mode on (only for users with the admin role).
    pub(crate) become_admin: bool,
    /// The user this (admin) user acts as.
    pub(crate) impersonate: Option<String>,
    /// Calls other than GET, oldest first.
    pub(crate) api_log: VecDeque<ApiLogEntry>,
}

/// How a logged call ended.
pub(crate) struct CallOutcome {
    pub(crate) status_code: u16,
    pub(crate) duration_ns: u128,
    pub(crate) body: Option<String>,
}

/// One recorded API call.
#[derive(Debug, Clone)]
pub(crate) struct ApiLogEntry {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) began: f64,
    /// The query parameters as a JSON object text, when there were any.
    pub(crate) params: Option<String>,
    /// The admin who made the call while impersonating the user.
    pub(crate) impersonator: Option<String>,
    /// What tells this call apart from the user's others (to complete it once answered).
    pub(crate) seq: u64,
    /// The form body's fields as a JSON object text, when there were any.
    pub(crate) body: Option<String>,
    /// The answer's status and how long it took (nanoseconds), once answered.
    pub(crate) status_code: Option<u16>,
    pub(crate) duration_ns: Option<u128>,
}

/// A project: its members and the metadata of its files (the files are on disk).
#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub(crate) project_id: String,
    pub(crate) name: String,
    pub(crate) creator: String,
    pub(crate) created: f64,
    pub(crate) product_id: String,
    /// The product's flavour, when it has one.
    pub(crate) product_flavour: Option<String>,
    pub(crate) unit_id: Option<String>,
    pub(crate) organisation_id: Option<String>,
    pub(crate) private: bool,
    pub(crate) administrators: Vec<String>,
    pub(crate) editors: Vec<String>,
    pub(crate) observers: Vec<String>,
    /// Metadata of files by their project path (`/dir/name`). A file on disk without an
    /// entry (e.g. written by a Job) belongs to the project's creator.
    pub(crate) files: BTreeMap<String, FileMeta>,
}

/// Who owns a project file and whether it may change.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileMeta {
    pub(crate) owner: String,
    pub(crate) immutable: bool,
    /// The managed file's id, when the file is an attached Dataset.
    pub(crate) file_id: Option<String>,
}

/// The roles of project members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Administrator,
    Editor,
    Observer,
}

impl Role {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Editor => "editor",
            Role::Observer => "observer",
        }
    }
}

impl Project {
    pub(crate) fn members(&self, role: Role) -> &Vec<String> {
        match role {
            Role::Administrator => &self.administrators,
            Role::Editor => &self.editors,
            Role::Observer => &self.observers,
        }
    }

    pub(crate) fn members_mut(&mut self, role: Role) -> &mut Vec<String> {
        match role {
            Role::Administrator => &mut self.administrators,
            Role::Editor => &mut self.editors,
            Role::Observer => &mut self.observers,
        }
    }

    fn has(&self, role: Role, username: &str) -> bool {
        self.members(role).iter().any(|m| m == username)
    }

    /// May see the project and read its files.
    pub(crate) fn can_read(&self, caller: &Caller) -> bool {
        caller.admin || !self.private || self.is_member(&caller.username)
    }

    /// May change its files and run instances in it.
    pub(crate) fn can_edit(&self, caller: &Caller) -> bool {
        caller.admin
            || self.has(Role::Editor, &caller.username)
            || self.has(Role::Administrator, &caller.username)
    }

    /// May change its members, name and privacy, and delete it.
    pub(crate) fn can_administer(&self, caller: &Caller) -> bool {
        caller.admin || self.has(Role::Administrator, &caller.username)
    }

    pub(crate) fn is_member(&self, username: &str) -> bool {
        [Role::Administrator, Role::Editor, Role::Observer]
            .into_iter()
            .any(|role| self.has(role, username))
    }
}

/// A managed file: a Dataset version attached to a project.
#[derive(Debug, Clone)]
pub(crate) struct ManagedFile {
    pub(crate) file_id: String,
    pub(crate) project_id: String,
    /// The directory, `/` or `/a/b`.
    pub(crate) path: String,
    pub(crate) file_name: String,
    pub(crate) owner: String,
    pub(crate) immutable: bool,
    pub(crate) mime_type: String,
    pub(crate) dataset_id: String,
    pub(crate) dataset_version: u64,
}

/// A Dataset version's content, for attaching it to projects.
#[derive(Debug, Clone)]
pub(crate) struct AttachableDataset {
    /// The file holding the content.
    pub(crate) source: PathBuf,
    /// The name the file gets in a project.
    pub(crate) file_name: String,
    /// Its MIME type.
    pub(crate) mime_type: String,
}

pub(crate) use super::script::InstancePhase as Phase;

/// A Job instance.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub(crate) instance_id: String,
    pub(crate) project_id: String,
    pub(crate) name: String,
    pub(crate) owner: String,
    pub(crate) job_id: u64,
    pub(crate) collection: String,
    pub(crate) job: String,
    pub(crate) version: String,
    pub(crate) job_name: String,
    /// The specification as the client sent it.
    pub(crate) specification: String,
    pub(crate) launched: f64,
    pub(crate) started: Option<f64>,
    pub(crate) stopped: Option<f64>,
    pub(crate) phase: Phase,
    pub(crate) archived: bool,
    /// The task running the instance.
    pub(crate) task_id: String,
    /// The task deleting it, once asked.
    pub(crate) delete_task_id: Option<String>,
    pub(crate) callback_token: Option<String>,
    pub(crate) callback_token_valid: bool,
    pub(crate) error_message: Option<String>,
    /// The Job's output variables, rendered.
    pub(crate) outputs: serde_json::Map<String, serde_json::Value>,
    pub(crate) launch_exchange_rate: Option<String>,
    /// The running workflow step that launched it, if one did.
    pub(crate) running_workflow_step_id: Option<String>,
    /// A test set its phase (`Sandbox::set_instance_phase`): its runner leaves it alone.
    pub(crate) taken_over: bool,
}

impl Instance {
    /// The instance's directory in the project (hidden, as the real service makes it).
    pub(crate) fn directory_name(&self) -> String {
        format!(".{}", self.instance_id)
    }
}

/// A task event's level as the API writes it: `level` when it is one of Python's logging
/// levels (any case), else `INFO`.
pub(crate) fn event_level(level: &str) -> &'static str {
    ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(level))
        .unwrap_or("INFO")
}

/// A task's record.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub(crate) task_id: String,
    /// `DATASET`, `FILE`, `INSTANCE` or `PROJECT`.
    pub(crate) purpose: &'static str,
    pub(crate) purpose_id: String,
    pub(crate) purpose_version: Option<u64>,
    pub(crate) project_id: Option<String>,
    /// Who caused it.
    pub(crate) owner: String,
    pub(crate) created: f64,
    pub(crate) done: bool,
    pub(crate) removal: bool,
    pub(crate) exit_code: Option<i64>,
    pub(crate) states: Vec<TaskStateRecord>,
    pub(crate) events: Vec<TaskEventRecord>,
    pub(crate) instance_specification: Option<String>,
    pub(crate) image: Option<String>,
    pub(crate) instance_callback_context: Option<String>,
}

/// One state a task went through: `PENDING`, `STARTED`, `RETRY`, `SUCCESS` or `FAILURE`.
#[derive(Debug, Clone)]
pub(crate) struct TaskStateRecord {
    pub(crate) state: &'static str,
    pub(crate) message: Option<String>,
    pub(crate) time: f64,
}

/// One event of a task; ordinals count from 1.
#[derive(Debug, Clone)]
pub(crate) struct TaskEventRecord {
    pub(crate) ordinal: u64,
    pub(crate) message: String,
    /// `CRITICAL`, `ERROR`, `WARNING`, `INFO` or `DEBUG`.
    pub(crate) level: &'static str,
    pub(crate) time: f64,
}

impl Task {
    /// A task that has just been created, in the PENDING state.
    pub(crate) fn new(
        task_id: String,
        purpose: &'static str,
        purpose_id: &str,
        project_id: Option<&str>,
        owner: &str,
    ) -> Task {
        let now = time::now();
        Task {
            task_id,
            purpose,
            purpose_id: purpose_id.to_string(),
            purpose_version: None,
            project_id: project_id.map(str::to_string),
            owner: owner.to_string(),
            created: now,
            done: false,
            removal: false,
            exit_code: None,
            states: vec![TaskStateRecord {
                state: "PENDING",
                message: None,
                time: now,
            }],
            events: Vec::new(),
            instance_specification: None,
            image: None,
            instance_callback_context: None,
        }
    }

    pub(crate) fn event(&mut self, level: &'static str, message: impl Into<String>) {
        let ordinal = self.events.len() as u64 + 1;
        self.events.push(TaskEventRecord {
            ordinal,
            message: message.into(),
            level,
            time: time::now(),
        });
    }

    pub(crate) fn state(&mut self, state: &'static str, message: Option<String>) {
        self.states.push(TaskStateRecord {
            state,
            message,
            time: time::now(),
        });
    }

    /// Marks the task done with `exit_code`, its last state SUCCESS (0) or FAILURE.
    pub(crate) fn finish(&mut self, exit_code: i64, message: impl Into<String>) {
        let message = message.into();
        let (state, level) = if exit_code == 0 {
            ("SUCCESS", "INFO")
        } else {
            ("FAILURE", "ERROR")
        };
        self.event(level, message.clone());
        self.state(state, Some(message));
        self.done = true;
        self.exit_code = Some(exit_code);
    }
}

/// One exchange rate of a Job.
#[derive(Debug, Clone)]
pub(crate) struct ExchangeRate {
    pub(crate) id: u64,
    pub(crate) rate: String,
    pub(crate) created: f64,
    pub(crate) user_id: String,
    pub(crate) comment: Option<String>,
}

impl DmState {
    /// The directory of a project's files.
    pub(crate) fn project_dir(&self, project_id: &str) -> PathBuf {
        self.data_dir.join(project_id)
    }

    /// Where uploads are written before they are moved into a project.
    pub(crate) fn upload_dir(&self) -> PathBuf {
        self.data_dir.join(".uploads")
    }

    /// The user's record, made on first sight.
    pub(crate) fn user_mut(&mut self, username: &str) -> &mut DmUser {
        if !self.users.contains_key(username) {
            let now = time::now();
            self.next_f_uid += 1;
            self.users.insert(
                username.to_string(),
                DmUser {
                    username: username.to_string(),
                    f_uid: self.next_f_uid,
                    first_seen: now,
                    last_seen: now,
                    active_days: BTreeSet::from([time::day(now)]),
                    private: false,
                    suspended: false,
                    suspension_message: None,
                    become_admin: false,
                    impersonate: None,
                    api_log: VecDeque::new(),
                },
            );
        }
        self.users
            .get_mut(username)
            .unwrap_or_else(|| unreachable!("the user was inserted just above"))
    }

    /// Records a call other than GET against `username`; its `seq` is set here and returned.
    pub(crate) fn log_call(&mut self, username: &str, mut entry: ApiLogEntry) -> u64 {
        self.next_log_seq += 1;
        entry.seq = self.next_log_seq;
        let log = &mut self.user_mut(username).api_log;
        if log.len() >= MAX_API_LOG {
            log.pop_front();
        }
        log.push_back(entry);
        self.next_log_seq
    }

    /// Adds what is known once a logged call has been answered.
    pub(crate) fn complete_call(&mut self, username: &str, seq: u64, done: CallOutcome) {
        let Some(user) = self.users.get_mut(username) else {
            return;
        };
        if let Some(entry) = user.api_log.iter_mut().rev().find(|e| e.seq == seq) {
            entry.status_code = Some(done.status_code);
            entry.duration_ns = Some(done.duration_ns);
            entry.body = done.body;
        }
    }

    /// A project the caller may see (403 when it is private and the caller is not a
    /// member, 404 when there is none).
    pub(crate) fn readable_project(
        &self,
        project_id: &str,
        caller: &Caller,
    ) -> Result<&Project, ApiError> {
        let project = self.project(project_id)?;
        if !project.can_read(caller) {
            return Err(forbidden(format!(
                "{} is not a member of private project {project_id}",
                caller.username
            )));
        }
        Ok(project)
    }

    /// A project the caller may change files in and run instances in.
    pub(crate) fn editable_project(
        &mut self,
        project_id: &str,
        caller: &Caller,
    ) -> Result<&mut Project, ApiError> {
        let project = self.readable_project(project_id, caller)?;
        if !project.can_edit(caller) {
            return Err(forbidden(format!(
                "{} is not an editor of project {project_id}",
                caller.username
            )));
        }
        self.project_mut(project_id)
    }

    /// A project the caller administers.
    pub(crate) fn administered_project(
        &mut self,
        project_id: &str,
        caller: &Caller,
    ) -> Result<&mut Project, ApiError> {
        let project = self.readable_project(project_id, caller)?;
        if !project.can_administer(caller) {
            return Err(forbidden(format!(
                "{} is not an administrator of project {project_id}",
                caller.username
            )));
        }
        self.project_mut(project_id)
    }

    fn project(&self, project_id: &str) -> Result<&Project, ApiError> {
        self.projects
            .get(project_id)
            .ok_or_else(|| not_found(format!("Project {project_id} does not exist")))
    }

    fn project_mut(&mut self, project_id: &str) -> Result<&mut Project, ApiError> {
        self.projects
            .get_mut(project_id)
            .ok_or_else(|| not_found(format!("Project {project_id} does not exist")))
    }

    /// The Job with this id.
    pub(crate) fn job(&self, job_id: u64) -> Option<&JobDefinition> {
        let index = usize::try_from(job_id).ok()?.checked_sub(1)?;
        self.jobs.get(index).filter(|j| !j.removed)
    }

    /// The id of a Job.
    pub(crate) fn find_job(&self, collection: &str, job: &str, version: &str) -> Option<u64> {
        self.jobs
            .iter()
            .position(|j| {
                !j.removed && j.collection == collection && j.job == job && j.version == version
            })
            .map(|i| i as u64 + 1)
    }

    /// The Job's current exchange rate, if it has one.
    pub(crate) fn current_rate(&self, job_id: u64) -> Option<&ExchangeRate> {
        self.exchange_rates.get(&job_id).and_then(|r| r.last())
    }

    /// Adds an exchange rate to a Job's history.
    pub(crate) fn add_rate(
        &mut self,
        job_id: u64,
        rate: String,
        user: &str,
        comment: Option<String>,
    ) {
        let id = self.next_rate_id;
        self.next_rate_id += 1;
        self.exchange_rates
            .entry(job_id)
            .or_default()
            .push(ExchangeRate {
                id,
                rate,
                created: time::now(),
                user_id: user.to_string(),
                comment,
            });
    }

    /// Whether the caller may see a task: an admin, who caused it, or a member of its
    /// project.
    pub(crate) fn can_see_task(&self, task: &Task, caller: &Caller) -> bool {
        caller.admin
            || task.owner == caller.username
            || task
                .project_id
                .as_deref()
                .and_then(|p| self.projects.get(p))
                .is_some_and(|p| p.can_read(caller))
    }
}

/// A 403 `{"error": message}`.
pub(crate) fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, message)
}

/// A 404 `{"error": message}`.
pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, message)
}

/// A 400 `{"error": message}`.
pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

/// A 500 `{"error": message}` for a failure of the sandbox's own disk.
pub(crate) fn disk_error(what: &str, path: &Path, e: std::io::Error) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("The sandbox could not {what} {}: {e}", path.display()),
    )
}
