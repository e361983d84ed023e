//! Datasets: uploads and project files made into Dataset versions, listing, versions,
//! downloads, deletion, schemas, editors and digests.
//!
//! Each new version is processed by a task, as the real service does: COPYING (the content
//! is put in the Dataset store, `<data_dir>/.datasets/<id>/<version>/<file>`), FORMATTING
//! (the sandbox's "formatter" hashes the content, checks an SD file looks like one and
//! notes the properties it carries), LOADING (skipped with `skip_molecule_load`) and DONE,
//! over the sandbox's Dataset duration. Once past FORMATTING a version can be downloaded,
//! attached to projects (`POST /file`, through `DmState::attachable_datasets`) and deleted.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::files::{check_name, clean_dir, disk_path, file_key};
use super::metadata::MetaDoc;
use super::projects::{TaskIdentity, TEST_UNIT_ID};
use super::service::FILE_TYPES;
use super::state::{bad_request, forbidden, not_found, AttachableDataset, DmState, Task};
use super::{stream, time, Caller, Params};
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// How long a Dataset version takes from upload to DONE unless told otherwise.
pub(crate) const DEFAULT_DATASET_DURATION: Duration = Duration::from_secs(1);
/// The longest line of a Dataset the formatter looks at (longer ones are cut).
const MAX_LINE: usize = 4096;
/// The size of the pieces the formatter reads.
const READ_CHUNK: usize = 256 * 1024;
/// Who the formatter's annotations say they come from.
const FORMATTER_ORIGIN: &str = "squonk2-sandbox";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/dataset",
            get(list_datasets)
                .post(upload_dataset)
                .put(create_from_project_file),
        )
        .route("/dataset/{dataset_id}/versions", get(get_versions))
        .route(
            "/dataset/{dataset_id}/{dataset_version}",
            get(download_dataset).delete(delete_dataset),
        )
        .route(
            "/dataset/{dataset_id}/editor/{user_id}",
            put(add_editor).delete(remove_editor),
        )
        .route(
            "/dataset/{dataset_id}/schema/{dataset_version}",
            get(get_schema),
        )
        .route("/digest/dataset/{digest}", get(get_by_digest))
}

/// The processing stage of a Dataset version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Copying,
    Formatting,
    Loading,
    Done,
    Failed,
}

impl Stage {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stage::Copying => "COPYING",
            Stage::Formatting => "FORMATTING",
            Stage::Loading => "LOADING",
            Stage::Done => "DONE",
            Stage::Failed => "FAILED",
        }
    }

    /// Past FORMATTING: the version can be used (downloaded, attached) and deleted.
    fn usable(self) -> bool {
        matches!(self, Stage::Loading | Stage::Done)
    }
}

/// A Dataset: its owner and editors, its metadata and its versions.
#[derive(Debug, Clone)]
pub(crate) struct Dataset {
    pub(crate) dataset_id: String,
    pub(crate) owner: String,
    /// Who may change it; the owner is always one.
    pub(crate) editors: Vec<String>,
    pub(crate) versions: BTreeMap<u64, DatasetVersion>,
    pub(crate) meta: MetaDoc,
}

/// One version of a Dataset.
#[derive(Debug, Clone)]
pub(crate) struct DatasetVersion {
    pub(crate) version: u64,
    pub(crate) owner: String,
    /// Where it came from: the uploaded file's name, or the project file.
    pub(crate) source_ref: String,
    pub(crate) published: f64,
    pub(crate) mime_type: String,
    pub(crate) file_name: String,
    /// The file holding the content, in the Dataset store.
    pub(crate) content: PathBuf,
    pub(crate) size: Option<u64>,
    /// The SHA-256 of the content, in lower-case hex, once formatted.
    pub(crate) sha256: Option<String>,
    pub(crate) format_extra_variables: Option<String>,
    pub(crate) unit_id: String,
    pub(crate) stage: Stage,
    pub(crate) deleted: Option<f64>,
    pub(crate) deleting_user: Option<String>,
    pub(crate) meta: MetaDoc,
}

impl Dataset {
    /// May see it and read its versions and metadata.
    fn can_read(&self, caller: &Caller) -> bool {
        caller.admin || self.owner == caller.username || self.editors.contains(&caller.username)
    }

    /// A version that exists and is not deleted (404 otherwise).
    pub(crate) fn live_version(&self, version: u64) -> Result<&DatasetVersion, ApiError> {
        self.versions
            .get(&version)
            .filter(|v| v.deleted.is_none())
            .ok_or_else(|| no_version(&self.dataset_id, version))
    }

    /// As [`Dataset::live_version`], to change it.
    pub(crate) fn live_version_mut(
        &mut self,
        version: u64,
    ) -> Result<&mut DatasetVersion, ApiError> {
        let dataset_id = self.dataset_id.clone();
        self.versions
            .get_mut(&version)
            .filter(|v| v.deleted.is_none())
            .ok_or_else(|| no_version(&dataset_id, version))
    }

    fn has_live_versions(&self) -> bool {
        self.versions.values().any(|v| v.deleted.is_none())
    }
}

fn no_version(dataset_id: &str, version: u64) -> ApiError {
    not_found(format!(
        "Dataset {dataset_id} has no version {version} (or it was deleted)"
    ))
}

/// A version number from the path (404 when it is not one).
pub(crate) fn parse_version(dataset_id: &str, text: &str) -> Result<u64, ApiError> {
    text.parse::<u64>().ok().filter(|v| *v > 0).ok_or_else(|| {
        not_found(format!(
            "Dataset {dataset_id} has no version {text:?} (versions count from 1)"
        ))
    })
}

/// The Dataset, if the caller may see it.
pub(crate) fn visible_dataset<'a>(
    dm: &'a DmState,
    caller: &Caller,
    dataset_id: &str,
) -> Result<&'a Dataset, ApiError> {
    let dataset = dm
        .datasets
        .get(dataset_id)
        .ok_or_else(|| not_found(format!("Dataset {dataset_id} does not exist")))?;
    if !dataset.can_read(caller) {
        return Err(forbidden(format!(
            "{} is neither the owner nor an editor of Dataset {dataset_id}",
            caller.username
        )));
    }
    Ok(dataset)
}

/// The Dataset, if the caller may change it (its owner, an editor or an admin).
pub(crate) fn editable_dataset<'a>(
    dm: &'a mut DmState,
    caller: &Caller,
    dataset_id: &str,
) -> Result<&'a mut Dataset, ApiError> {
    visible_dataset(dm, caller, dataset_id)?;
    dm.datasets
        .get_mut(dataset_id)
        .ok_or_else(|| not_found(format!("Dataset {dataset_id} does not exist")))
}

// ---- listing ------------------------------------------------------------------------------

#[derive(Serialize)]
struct DatasetVersionSummary {
    owner: String,
    source_ref: String,
    published: String,
    #[serde(rename = "type")]
    mime_type: String,
    file_name: String,
    projects: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    format_extra_variables: Option<String>,
    version: u64,
    processing_stage: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleting_user: Option<String>,
    labels: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
}

#[derive(Serialize)]
struct DatasetVersionProjectFile {
    project_name: String,
    project: String,
    files: Vec<String>,
}

#[derive(Serialize)]
struct DatasetVersionDetail {
    #[serde(flatten)]
    summary: DatasetVersionSummary,
    project_files: Vec<DatasetVersionProjectFile>,
}

#[derive(Serialize)]
struct DatasetSummary {
    dataset_id: String,
    editors: Vec<String>,
    versions: Vec<DatasetVersionSummary>,
}

#[derive(Serialize)]
struct DatasetsGetResponse {
    count: usize,
    datasets: Vec<DatasetSummary>,
}

#[derive(Serialize)]
struct DatasetDetail {
    count: usize,
    dataset_id: String,
    editors: Vec<String>,
    owner: String,
    versions: Vec<DatasetVersionDetail>,
}

/// The project files a version is attached as, by project: (project id, project name,
/// file paths).
fn attachments(dm: &DmState, dataset_id: &str, version: u64) -> Vec<(String, String, Vec<String>)> {
    let mut by_project: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for managed in dm
        .managed_files
        .values()
        .filter(|m| m.dataset_id == dataset_id && m.dataset_version == version)
    {
        by_project
            .entry(managed.project_id.clone())
            .or_default()
            .push(file_key(&managed.path, &managed.file_name));
    }
    by_project
        .into_iter()
        .map(|(project_id, files)| {
            let name = dm
                .projects
                .get(&project_id)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            (project_id, name, files)
        })
        .collect()
}

fn version_summary(dm: &DmState, dataset: &Dataset, v: &DatasetVersion) -> DatasetVersionSummary {
    DatasetVersionSummary {
        owner: v.owner.clone(),
        source_ref: v.source_ref.clone(),
        published: time::iso(v.published),
        mime_type: v.mime_type.clone(),
        file_name: v.file_name.clone(),
        projects: attachments(dm, &dataset.dataset_id, v.version)
            .into_iter()
            .map(|(id, _, _)| id)
            .collect(),
        format_extra_variables: v.format_extra_variables.clone(),
        version: v.version,
        processing_stage: v.stage.name(),
        deleted: v.deleted.map(time::iso),
        deleting_user: v.deleting_user.clone(),
        labels: dataset.meta.active_labels(),
        size: v.size,
    }
}

/// Whether the Dataset carries every label of the filter `{label: value or null}`.
fn has_labels(dataset: &Dataset, wanted: &Map<String, Value>) -> bool {
    let labels = dataset.meta.active_labels();
    wanted.iter().all(|(label, value)| {
        labels
            .get(&label.to_lowercase())
            .is_some_and(|have| value.is_null() || have == value)
    })
}

/// A comma-separated list parameter.
fn list_param<'a>(params: &'a Params, name: &str) -> Option<Vec<&'a str>> {
    params.get_set(name).map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// `GET /dataset` with the filters `include_deleted`, `username`, `dataset_mime_type`,
/// `owners`, `editors` (comma-separated) and `labels` (JSON `{label: value or null}`).
async fn list_datasets(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<DatasetsGetResponse>, ApiError> {
    let include_deleted = params.flag("include_deleted")?;
    let labels: Option<Map<String, Value>> = params
        .get_set("labels")
        .map(|text| match serde_json::from_str(text) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(bad_request(format!(
                "'labels' must be a JSON object of labels and values (or null), not {text:?}"
            ))),
        })
        .transpose()?;
    let (owners, editors) = (
        list_param(&params, "owners"),
        list_param(&params, "editors"),
    );
    let username = params.get_set("username");
    let mime_type = params.get_set("dataset_mime_type");
    let dm = lock(&shared.dm);
    let datasets: Vec<DatasetSummary> = dm
        .datasets
        .values()
        .filter(|d| d.can_read(&caller))
        .filter(|d| include_deleted || d.has_live_versions())
        .filter(|d| username.is_none_or(|u| d.owner == u || d.editors.iter().any(|e| e == u)))
        .filter(|d| {
            owners
                .as_ref()
                .is_none_or(|o| o.contains(&d.owner.as_str()))
        })
        .filter(|d| {
            editors
                .as_ref()
                .is_none_or(|e| d.editors.iter().any(|x| e.contains(&x.as_str())))
        })
        .filter(|d| labels.as_ref().is_none_or(|l| has_labels(d, l)))
        .filter(|d| {
            mime_type.is_none_or(|m| {
                d.versions
                    .values()
                    .any(|v| v.mime_type == m && (include_deleted || v.deleted.is_none()))
            })
        })
        .map(|d| DatasetSummary {
            dataset_id: d.dataset_id.clone(),
            editors: d.editors.clone(),
            versions: d
                .versions
                .values()
                .filter(|v| include_deleted || v.deleted.is_none())
                .map(|v| version_summary(&dm, d, v))
                .collect(),
        })
        .collect();
    Ok(Json(DatasetsGetResponse {
        count: datasets.len(),
        datasets,
    }))
}

/// `GET /dataset/{dataset_id}/versions[?include_deleted=]`
async fn get_versions(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(dataset_id): UrlPath<String>,
    params: Params,
) -> Result<Json<DatasetDetail>, ApiError> {
    let include_deleted = params.flag("include_deleted")?;
    let dm = lock(&shared.dm);
    let dataset = visible_dataset(&dm, &caller, &dataset_id)?;
    let versions: Vec<DatasetVersionDetail> = dataset
        .versions
        .values()
        .filter(|v| include_deleted || v.deleted.is_none())
        .map(|v| DatasetVersionDetail {
            summary: version_summary(&dm, dataset, v),
            project_files: attachments(&dm, &dataset_id, v.version)
                .into_iter()
                .map(|(project, project_name, files)| DatasetVersionProjectFile {
                    project_name,
                    project,
                    files,
                })
                .collect(),
        })
        .collect();
    Ok(Json(DatasetDetail {
        count: versions.len(),
        dataset_id: dataset.dataset_id.clone(),
        editors: dataset.editors.clone(),
        owner: dataset.owner.clone(),
        versions,
    }))
}

// ---- new versions -------------------------------------------------------------------------

#[derive(Serialize)]
struct DatasetPutPostResponse {
    dataset_id: String,
    dataset_version: u64,
    task_id: String,
}

/// A version to make: where its content is and what it is.
struct NewVersion {
    /// A version of this Dataset, or a new Dataset.
    dataset_id: Option<String>,
    mime_type: String,
    file_name: String,
    source_ref: String,
    /// The content: moved into the store (an upload) or copied (a project file).
    source: PathBuf,
    move_source: bool,
    format_extra_variables: Option<String>,
    skip_molecule_load: bool,
    unit_id: String,
}

/// Checks a Dataset type against the supported types (415 otherwise).
fn check_type(mime_type: &str) -> Result<(), ApiError> {
    if FILE_TYPES.iter().any(|(mime, _, _)| *mime == mime_type) {
        return Ok(());
    }
    let known: Vec<&str> = FILE_TYPES.iter().map(|(mime, _, _)| *mime).collect();
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!(
            "The Dataset type {mime_type:?} is not supported; the supported types (GET /type) \
             are {}",
            known.join(", ")
        ),
    ))
}

/// Checks a unit id with the Account Server (the test unit always exists).
fn check_unit(shared: &AppState, unit_id: &str) -> Result<(), ApiError> {
    // Asked before the DM lock is taken: the Account Server has its own.
    if unit_id == TEST_UNIT_ID || lock(&shared.account).unit(unit_id).is_some() {
        return Ok(());
    }
    Err(forbidden(format!(
        "The Account Server has no unit {unit_id} (use {TEST_UNIT_ID} for tests)"
    )))
}

/// Records a new version (a new Dataset when no id is given) and starts its task.
fn add_version(
    shared: &AppState,
    caller: &Caller,
    new: NewVersion,
) -> Result<DatasetPutPostResponse, ApiError> {
    let task_id = format!("task-{}", shared.key.random_uuid());
    let mut dm = lock(&shared.dm);
    let (dataset_id, version) = match &new.dataset_id {
        Some(dataset_id) => {
            let dataset = editable_dataset(&mut dm, caller, dataset_id)?;
            let version = dataset.versions.keys().next_back().copied().unwrap_or(0) + 1;
            (dataset_id.clone(), version)
        }
        None => {
            let dataset_id = format!("dataset-{}", shared.key.random_uuid());
            dm.datasets.insert(
                dataset_id.clone(),
                Dataset {
                    dataset_id: dataset_id.clone(),
                    owner: caller.username.clone(),
                    editors: vec![caller.username.clone()],
                    versions: BTreeMap::new(),
                    meta: MetaDoc::new(&new.file_name, "", &caller.username),
                },
            );
            (dataset_id, 1)
        }
    };
    let content = dm
        .data_dir
        .join(".datasets")
        .join(&dataset_id)
        .join(version.to_string())
        .join(&new.file_name);
    let duration = dm.dataset_duration;
    let mut task = Task::new(
        task_id.clone(),
        "DATASET",
        &dataset_id,
        None,
        &caller.username,
    );
    task.purpose_version = Some(version);
    task.event(
        "INFO",
        format!(
            "Dataset {dataset_id} version {version} ({}, {}) created",
            new.file_name, new.mime_type
        ),
    );
    dm.tasks.insert(task_id.clone(), task);
    let Some(dataset) = dm.datasets.get_mut(&dataset_id) else {
        return Err(not_found(format!("Dataset {dataset_id} does not exist")));
    };
    dataset.versions.insert(
        version,
        DatasetVersion {
            version,
            owner: caller.username.clone(),
            source_ref: new.source_ref.clone(),
            published: time::now(),
            mime_type: new.mime_type.clone(),
            file_name: new.file_name.clone(),
            content: content.clone(),
            size: None,
            sha256: None,
            format_extra_variables: new.format_extra_variables.clone(),
            unit_id: new.unit_id.clone(),
            stage: Stage::Copying,
            deleted: None,
            deleting_user: None,
            meta: MetaDoc::new(&new.file_name, "", &caller.username),
        },
    );
    drop(dm);
    tokio::spawn(process(
        shared.clone(),
        Processing {
            started: shared.clock.time(),
            dataset_id: dataset_id.clone(),
            version,
            task_id: task_id.clone(),
            source: new.source,
            move_source: new.move_source,
            content,
            mime_type: new.mime_type,
            file_name: new.file_name,
            skip_molecule_load: new.skip_molecule_load,
            duration,
        },
    ));
    Ok(DatasetPutPostResponse {
        dataset_id,
        dataset_version: version,
        task_id,
    })
}

/// The `dataset_id` field: empty means none (the pattern allows it).
fn dataset_id_field(value: Option<&str>) -> Result<Option<String>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(id) if id.starts_with("dataset-") => Ok(Some(id.to_string())),
        Some(id) => Err(bad_request(format!(
            "'dataset_id' must be a Dataset id (dataset-...), not {id:?}"
        ))),
    }
}

/// `POST /dataset`: multipart `dataset_file` (streamed to disk), `dataset_type`, `unit_id`,
/// `format_extra_variables`, `skip_molecule_load`, `as_filename`, `dataset_id`.
async fn upload_dataset(
    State(shared): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<(StatusCode, Json<DatasetPutPostResponse>), ApiError> {
    let temp = lock(&shared.dm)
        .upload_dir()
        .join(format!("{}.part", shared.key.random_uuid()));
    let upload = stream::receive_upload(request, "dataset_file", &temp).await?;
    let added = (|| {
        let fields = Params(upload.fields.clone());
        let Some((_, file_name, _)) = &upload.file else {
            return Err(bad_request(
                "The upload has no 'dataset_file' part (a file)",
            ));
        };
        let mime_type = fields.required("dataset_type")?.to_string();
        check_type(&mime_type)?;
        let unit_id = fields.required("unit_id")?.to_string();
        let name = fields
            .get_set("as_filename")
            .unwrap_or(file_name)
            .to_string();
        check_name(&name)?;
        let dataset_id = dataset_id_field(fields.get("dataset_id"))?;
        let skip_molecule_load = fields.flag("skip_molecule_load")?;
        check_unit(&shared, &unit_id)?;
        add_version(
            &shared,
            &caller,
            NewVersion {
                dataset_id,
                mime_type,
                source_ref: file_name.clone(),
                file_name: name,
                source: temp.clone(),
                move_source: true,
                format_extra_variables: fields
                    .get_set("format_extra_variables")
                    .map(str::to_string),
                skip_molecule_load,
                unit_id,
            },
        )
    })();
    if added.is_err() {
        let _ = fs::remove_file(&temp);
    }
    added.map(|response| (StatusCode::CREATED, Json(response)))
}

/// `PUT /dataset` (form `project_id`, `path`, `file_name`, `dataset_type`,
/// `format_extra_variables`, `skip_molecule_load`, `dataset_id`, `unit_id`): a project file
/// made into a Dataset version.
async fn create_from_project_file(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<(StatusCode, Json<DatasetPutPostResponse>), ApiError> {
    let project_id = params.required("project_id")?.to_string();
    let dir = clean_dir(params.get_set("path").unwrap_or("/"))?;
    let file_name = params.required("file_name")?.to_string();
    check_name(&file_name)?;
    let mime_type = params.required("dataset_type")?.to_string();
    check_type(&mime_type)?;
    let dataset_id = dataset_id_field(params.get("dataset_id"))?;
    let skip_molecule_load = params.flag("skip_molecule_load")?;
    let key = file_key(&dir, &file_name);
    let (source, project_unit) = {
        let dm = lock(&shared.dm);
        let project = dm.readable_project(&project_id, &caller)?;
        let source = disk_path(&dm.project_dir(&project_id), &key);
        if !source.is_file() {
            return Err(not_found(format!(
                "The file {key} does not exist in project {project_id}"
            )));
        }
        (source, project.unit_id.clone())
    };
    let unit_id = match params.get_set("unit_id") {
        Some(unit_id) => unit_id.to_string(),
        None => project_unit.unwrap_or_else(|| TEST_UNIT_ID.to_string()),
    };
    check_unit(&shared, &unit_id)?;
    let response = add_version(
        &shared,
        &caller,
        NewVersion {
            dataset_id,
            mime_type,
            file_name,
            source_ref: format!("{project_id}:{key}"),
            source,
            move_source: false,
            format_extra_variables: params.get_set("format_extra_variables").map(str::to_string),
            skip_molecule_load,
            unit_id,
        },
    )?;
    Ok((StatusCode::CREATED, Json(response)))
}

// ---- processing ---------------------------------------------------------------------------

/// What a version's task needs.
struct Processing {
    /// When the version was made, on the sandbox's clock: every stage is timed from it.
    started: jiff::Timestamp,
    dataset_id: String,
    version: u64,
    task_id: String,
    source: PathBuf,
    move_source: bool,
    content: PathBuf,
    mime_type: String,
    file_name: String,
    skip_molecule_load: bool,
    duration: Duration,
}

/// Applies `change` to a live version and its task; false when either is gone (the
/// version deleted, the task's record deleted).
fn update(
    shared: &AppState,
    job: &Processing,
    change: impl FnOnce(&mut DatasetVersion, &mut Task, &mut BTreeMap<(String, u64), AttachableDataset>),
) -> bool {
    let mut dm = lock(&shared.dm);
    let DmState {
        datasets,
        tasks,
        attachable_datasets,
        ..
    } = &mut *dm;
    let version = datasets
        .get_mut(&job.dataset_id)
        .and_then(|d| d.versions.get_mut(&job.version))
        .filter(|v| v.deleted.is_none());
    match (version, tasks.get_mut(&job.task_id)) {
        (Some(version), Some(task)) => {
            change(version, task, attachable_datasets);
            true
        }
        (None, Some(task)) => {
            if !task.done {
                task.finish(1, "The Dataset version was deleted before it was processed");
            }
            false
        }
        _ => false,
    }
}

/// A version's life: COPYING, FORMATTING, LOADING (unless skipped), DONE; or FAILED.
async fn process(shared: AppState, job: Processing) {
    let pause = job.duration / 4;
    // Stages are timed from the start, so that moving the clock past the end once takes
    // the version all the way.
    let started = job.started;
    if !update(&shared, &job, |_, task, _| {
        task.state("STARTED", None);
        task.event("INFO", format!("Copying {}", job.file_name));
    }) {
        return;
    }
    let (source, content, move_source) = (job.source.clone(), job.content.clone(), job.move_source);
    let copied = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        if let Some(dir) = content.parent() {
            fs::create_dir_all(dir)?;
        }
        if move_source {
            fs::rename(&source, &content)
        } else {
            fs::copy(&source, &content).map(|_| ())
        }
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    if let Err(e) = copied {
        fail(
            &shared,
            &job,
            format!("The content could not be copied: {e}"),
        );
        return;
    }
    shared
        .clock
        .sleep_until(super::instances::at(started, pause))
        .await;
    let formatter = format!("Formatting {} as {}", job.file_name, job.mime_type);
    if !update(&shared, &job, |version, task, _| {
        version.stage = Stage::Formatting;
        task.event("INFO", formatter);
    }) {
        return;
    }
    let (content, mime_type) = (job.content.clone(), job.mime_type.clone());
    let analysis = tokio::task::spawn_blocking(move || analyse(&content, &mime_type))
        .await
        .unwrap_or_else(|e| Err(format!("The formatter stopped: {e}")));
    let analysis = match analysis {
        Ok(analysis) => analysis,
        Err(message) => {
            fail(&shared, &job, message);
            return;
        }
    };
    shared
        .clock
        .sleep_until(super::instances::at(started, pause * 2))
        .await;
    let records = analysis.records;
    if !update(&shared, &job, |version, task, attachable| {
        version.size = Some(analysis.size);
        version.sha256 = Some(analysis.sha256);
        if !analysis.fields.is_empty() {
            let fields: Map<String, Value> = analysis
                .fields
                .iter()
                .map(|name| {
                    let field = json!({"type": "string", "description": "", "required": false, "active": true});
                    (name.clone(), field)
                })
                .collect();
            let mut annotation = Map::new();
            annotation.insert("origin".into(), json!(FORMATTER_ORIGIN));
            annotation.insert(
                "description".into(),
                json!("The properties the sandbox's formatter found"),
            );
            annotation.insert("fields".into(), Value::Object(fields));
            version
                .meta
                .annotate("FieldsDescriptorAnnotation", annotation);
        }
        attachable.insert(
            (job.dataset_id.clone(), job.version),
            AttachableDataset {
                source: version.content.clone(),
                file_name: version.file_name.clone(),
                mime_type: version.mime_type.clone(),
            },
        );
        task.event(
            "INFO",
            format!("Formatted: {} bytes, {records} records", analysis.size),
        );
        if job.skip_molecule_load {
            task.event("INFO", "Skipping the molecule load, as asked");
        } else {
            version.stage = Stage::Loading;
            task.event("INFO", format!("Loading {records} records"));
        }
    }) {
        return;
    }
    if !job.skip_molecule_load {
        shared
            .clock
            .sleep_until(super::instances::at(started, pause * 4))
            .await;
    }
    let label = format!(
        "Dataset {} version {} is ready",
        job.dataset_id, job.version
    );
    update(&shared, &job, |version, task, _| {
        version.stage = Stage::Done;
        task.finish(0, label);
    });
}

/// Ends a version's processing FAILED.
fn fail(shared: &AppState, job: &Processing, message: String) {
    update(shared, job, |version, task, _| {
        version.stage = Stage::Failed;
        task.finish(1, message);
    });
}

/// What the formatter found.
#[derive(Debug)]
struct Analysis {
    size: u64,
    sha256: String,
    /// Molecules (SD records, SMILES lines), or 0 for other types.
    records: u64,
    /// The SD file's property names, in first-seen order.
    fields: Vec<String>,
}

/// Reads the content once, in pieces: its SHA-256 and size, and for uncompressed SD and
/// SMILES files their records and property names. An empty file, or an SD file without a
/// molecule block, fails.
fn analyse(path: &Path, mime_type: &str) -> Result<Analysis, String> {
    let mut file =
        fs::File::open(path).map_err(|e| format!("The formatter could not read the file: {e}"))?;
    let compressed = path.to_string_lossy().ends_with(".gz");
    let sdf = mime_type == "chemical/x-mdl-sdfile" && !compressed;
    let smiles = mime_type == "squonk/x-smiles" && !compressed;
    let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
    let mut size = 0u64;
    let mut buffer = vec![0u8; READ_CHUNK];
    let mut line: Vec<u8> = Vec::new();
    let (mut records, mut molecule_ends, mut fields) = (0u64, 0u64, Vec::<String>::new());
    let mut on_line = |line: &[u8]| {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\r');
        if sdf {
            if text == "$$$$" {
                records += 1;
            } else if text.starts_with("M  END") {
                molecule_ends += 1;
            } else if let Some(rest) = text.strip_prefix('>') {
                if let Some((_, after)) = rest.split_once('<') {
                    if let Some((name, _)) = after.split_once('>') {
                        if !name.is_empty() && !fields.iter().any(|f| f == name) {
                            fields.push(name.to_string());
                        }
                    }
                }
            }
        } else if smiles && !text.trim().is_empty() {
            records += 1;
        }
    };
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| format!("The formatter could not read the file: {e}"))?;
        if n == 0 {
            break;
        }
        digest.update(&buffer[..n]);
        size += n as u64;
        if sdf || smiles {
            for piece in buffer[..n].split_inclusive(|b| *b == b'\n') {
                if line.len() < MAX_LINE {
                    let room = MAX_LINE - line.len();
                    line.extend_from_slice(&piece[..piece.len().min(room)]);
                }
                if piece.ends_with(b"\n") {
                    let end = line.len() - usize::from(line.ends_with(b"\n"));
                    on_line(&line[..end]);
                    line.clear();
                }
            }
        }
    }
    if !line.is_empty() {
        on_line(&line);
    }
    if size == 0 {
        return Err("The file is empty: there is nothing to format".into());
    }
    if sdf {
        if molecule_ends == 0 {
            return Err(
                "The file is not an SD file: it has no molecule block (no 'M  END' line)".into(),
            );
        }
        records = records.max(1);
    }
    let sha256 = digest
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Analysis {
        size,
        sha256,
        records,
        fields,
    })
}

// ---- one version --------------------------------------------------------------------------

/// `GET /dataset/{dataset_id}/{dataset_version}`: the content, streamed.
async fn download_dataset(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath((dataset_id, version)): UrlPath<(String, String)>,
) -> Result<Response, ApiError> {
    let version = parse_version(&dataset_id, &version)?;
    let (content, name) = {
        let dm = lock(&shared.dm);
        let dataset = visible_dataset(&dm, &caller, &dataset_id)?;
        let found = dataset.live_version(version)?;
        if !found.stage.usable() {
            return Err(not_found(format!(
                "Dataset {dataset_id} version {version} is not ready (it is {})",
                found.stage.name()
            )));
        }
        (found.content.clone(), found.file_name.clone())
    };
    stream::file_response(&content, &name)
}

/// `DELETE /dataset/{dataset_id}/{dataset_version}[?keep_project_files=]`: the version, and
/// the project files attached from it (or, keeping them, they become ordinary files).
async fn delete_dataset(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath((dataset_id, version)): UrlPath<(String, String)>,
    params: Params,
) -> Result<Json<TaskIdentity>, ApiError> {
    let version = parse_version(&dataset_id, &version)?;
    let keep_project_files = params.flag("keep_project_files")?;
    let task_id = format!("task-{}", shared.key.random_uuid());
    let mut dm = lock(&shared.dm);
    let dataset = editable_dataset(&mut dm, &caller, &dataset_id)?;
    let found = dataset.live_version_mut(version)?;
    if matches!(found.stage, Stage::Copying | Stage::Formatting) {
        return Err(forbidden(format!(
            "Dataset {dataset_id} version {version} is still being processed ({}); it can be \
             deleted once it is past FORMATTING",
            found.stage.name()
        )));
    }
    found.deleted = Some(time::now());
    found.deleting_user = Some(caller.username.clone());
    let content = found.content.clone();
    let mut task = Task::new(
        task_id.clone(),
        "DATASET",
        &dataset_id,
        None,
        &caller.username,
    );
    task.purpose_version = Some(version);
    task.removal = true;
    task.state("STARTED", None);
    dm.attachable_datasets
        .remove(&(dataset_id.clone(), version));
    let attached: Vec<_> = dm
        .managed_files
        .values()
        .filter(|m| m.dataset_id == dataset_id && m.dataset_version == version)
        .cloned()
        .collect();
    for managed in attached {
        dm.managed_files.remove(&managed.file_id);
        let key = file_key(&managed.path, &managed.file_name);
        let on_disk = disk_path(&dm.project_dir(&managed.project_id), &key);
        let Some(project) = dm.projects.get_mut(&managed.project_id) else {
            continue;
        };
        if keep_project_files {
            if let Some(meta) = project.files.get_mut(&key) {
                meta.file_id = None;
                meta.immutable = false;
            }
            task.event(
                "INFO",
                format!("Kept {key} in project {} as a file", managed.project_id),
            );
        } else {
            project.files.remove(&key);
            let _ = fs::remove_file(&on_disk);
            task.event(
                "INFO",
                format!("Removed {key} from project {}", managed.project_id),
            );
        }
    }
    if let Some(dir) = content.parent() {
        let _ = fs::remove_dir_all(dir);
    }
    task.finish(0, format!("Deleted Dataset {dataset_id} version {version}"));
    dm.tasks.insert(task_id.clone(), task);
    Ok(Json(TaskIdentity { task_id }))
}

/// `GET /dataset/{dataset_id}/schema/{dataset_version}`: the JSON schema of the version's
/// records, from its Fields Descriptor annotations, with the Dataset's labels.
async fn get_schema(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath((dataset_id, version)): UrlPath<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let version = parse_version(&dataset_id, &version)?;
    let dm = lock(&shared.dm);
    let dataset = visible_dataset(&dm, &caller, &dataset_id)?;
    let found = dataset.live_version(version)?;
    let mut fields = Map::new();
    let mut required = Vec::new();
    for (name, field) in found.meta.fields() {
        if field["required"] == Value::Bool(true) {
            required.push(Value::String(name.clone()));
        }
        fields.insert(
            name,
            json!({
                "type": field.get("type").cloned().unwrap_or(json!("string")),
                "description": field.get("description").cloned().unwrap_or(json!("")),
            }),
        );
    }
    Ok(Json(json!({
        "$schema": "http://json-schema.org/draft/2019-09/schema#",
        "$id": format!("https://squonk2-sandbox/dataset/{dataset_id}/schema/{version}"),
        "title": found.meta.dataset_name,
        "description": found.meta.description,
        "type": "object",
        "fields": fields,
        "required": required,
        "labels": dataset.meta.active_labels(),
    })))
}

// ---- editors and digests ------------------------------------------------------------------

/// The Dataset, if the caller owns it (or is an admin): only they change its editors.
fn owned_dataset<'a>(
    dm: &'a mut DmState,
    caller: &Caller,
    dataset_id: &str,
) -> Result<&'a mut Dataset, ApiError> {
    let dataset = editable_dataset(dm, caller, dataset_id)?;
    if !(caller.admin || dataset.owner == caller.username) {
        return Err(forbidden(format!(
            "Only the owner of Dataset {dataset_id} ({}) can change its editors",
            dataset.owner
        )));
    }
    Ok(dataset)
}

/// `PUT /dataset/{dataset_id}/editor/{user_id}`
async fn add_editor(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath((dataset_id, user_id)): UrlPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    if user_id.trim().is_empty() {
        return Err(bad_request("A user name is required"));
    }
    let mut dm = lock(&shared.dm);
    let dataset = owned_dataset(&mut dm, &caller, &dataset_id)?;
    if !dataset.editors.contains(&user_id) {
        dataset.editors.push(user_id);
    }
    Ok(StatusCode::CREATED)
}

/// `DELETE /dataset/{dataset_id}/editor/{user_id}`
async fn remove_editor(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath((dataset_id, user_id)): UrlPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut dm = lock(&shared.dm);
    let dataset = owned_dataset(&mut dm, &caller, &dataset_id)?;
    if user_id == dataset.owner {
        return Err(bad_request(format!(
            "{user_id} owns Dataset {dataset_id} and stays one of its editors"
        )));
    }
    let Some(index) = dataset.editors.iter().position(|e| *e == user_id) else {
        return Err(bad_request(format!(
            "{user_id} is not an editor of Dataset {dataset_id}"
        )));
    };
    dataset.editors.remove(index);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct DatasetDigestGetResponse {
    dataset_id: String,
    dataset_version: u64,
}

/// `GET /digest/dataset/{digest}`: the version whose content has this SHA-256 (hex).
async fn get_by_digest(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(digest): UrlPath<String>,
) -> Result<Json<DatasetDigestGetResponse>, ApiError> {
    let wanted = digest.to_ascii_lowercase();
    let dm = lock(&shared.dm);
    dm.datasets
        .values()
        .filter(|d| d.can_read(&caller))
        .flat_map(|d| d.versions.values().map(move |v| (d, v)))
        .find(|(_, v)| v.deleted.is_none() && v.sha256.as_deref() == Some(wanted.as_str()))
        .map(|(d, v)| {
            Json(DatasetDigestGetResponse {
                dataset_id: d.dataset_id.clone(),
                dataset_version: v.version,
            })
        })
        .ok_or_else(|| not_found(format!("No Dataset you can see has the digest {digest}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formatter_reads_sd_files_and_refuses_what_is_not_one() {
        let dir = std::env::temp_dir().join(format!("squonk2-formatter-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let sdf = dir.join("a.sdf");
        fs::write(
            &sdf,
            "m1\n\n\n  0  0  0  0  0  0            999 V2000\nM  END\n> <name>\nbenzene\n\n\
             >  <logp>  (1)\n1.2\n\n$$$$\nm2\n\nM  END\n> <name>\nx\n\n$$$$\n",
        )
        .unwrap();
        let analysis = analyse(&sdf, "chemical/x-mdl-sdfile").unwrap();
        assert_eq!(analysis.records, 2);
        assert_eq!(analysis.fields, ["name", "logp"]);
        assert_eq!(analysis.sha256.len(), 64);
        let not_sdf = dir.join("b.sdf");
        fs::write(&not_sdf, "C1=CC=CC=C1 benzene\n").unwrap();
        assert!(analyse(&not_sdf, "chemical/x-mdl-sdfile")
            .unwrap_err()
            .contains("M  END"));
        let empty = dir.join("c.smi");
        fs::write(&empty, "").unwrap();
        assert!(analyse(&empty, "squonk/x-smiles").is_err());
        let smi = dir.join("d.smi");
        fs::write(&smi, "C\tmethane\nCC\tethane\n").unwrap();
        assert_eq!(analyse(&smi, "squonk/x-smiles").unwrap().records, 2);
        let _ = fs::remove_dir_all(&dir);
    }
}
