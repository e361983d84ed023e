//! Datasets: upload, make from a project file, list, versions, download, delete, schemas,
//! editors and digests.

use std::path::Path;
use std::time::Duration;

use super::models::{
    DatasetDetail, DatasetDigestGetResponse, DatasetPutPostResponse, DatasetSchemaGetResponse,
    DatasetsGetResponse, TaskIdentity,
};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::client::{Api, Client};
use crate::request::{call, Progress};

/// Lists the datasets the caller can see: `GET /dataset`.
/// `msg` is `{"count": ..., "datasets": [...]}`.
pub fn get_available_datasets(client: &Client) -> ApiRv<DatasetsGetResponse> {
    call!(Api::Dm, "GET", "/dataset")
        .error("Failed to get datasets")
        .run(client)
}

/// Optional arguments of [`upload_dataset`].
#[derive(Clone, Debug, Default)]
pub struct UploadDatasetOptions {
    /// Extra variables (text) for the dataset type's format-support code.
    pub format_extra_variables: Option<String>,
    /// Skips loading the molecules into the database after formatting.
    pub skip_molecule_load: bool,
    /// The dataset's file name, instead of the local file's name.
    pub as_filename: Option<String>,
    /// Makes the upload a new version of this dataset.
    pub dataset_id: Option<String>,
    /// Told how the upload moves.
    pub progress: Option<Progress>,
    /// An overall deadline for the transfer. Without one, the transfer fails only when
    /// nothing moves for the time-out ([D15](crate::python_differences)), however long it takes.
    pub deadline: Option<Duration>,
}

/// Uploads a local file as a new dataset (or a new version of `opts.dataset_id`):
/// `POST /dataset`, multipart, the file streamed from disk with its base name as the part's
/// file name. The dataset is made by a task: `msg` is
/// `{"dataset_id": ..., "dataset_version": ..., "task_id": ...}`.
///
///
/// A missing local file fails the call before anything is sent.
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use squonk2::dm_api::{self, UploadDatasetOptions};
/// let client = squonk2::Client::from_env()?;
/// let rv = dm_api::upload_dataset(
///     &client,
///     "molecules.sdf",
///     "chemical/x-mdl-sdfile",
///     "unit-11111111-1111-1111-1111-111111111111",
///     &UploadDatasetOptions { skip_molecule_load: true, ..Default::default() },
/// );
/// let task_id = rv.into_result()?["task_id"].clone();
/// # Ok(())
/// # }
/// ```
pub fn upload_dataset(
    client: &Client,
    dataset_file: impl AsRef<Path>,
    dataset_type: &str,
    unit_id: &str,
    opts: &UploadDatasetOptions,
) -> ApiRv<DatasetPutPostResponse> {
    let dataset_file = dataset_file.as_ref();
    call!(Api::Dm, "POST", "/dataset")
        .require("dataset_file", &*dataset_file.to_string_lossy())
        .require("dataset_type", dataset_type)
        .require("unit_id", unit_id)
        .text_part_always("dataset_type", dataset_type)
        .text_part_always("unit_id", unit_id)
        .text_part("format_extra_variables", &opts.format_extra_variables)
        .text_part("skip_molecule_load", opts.skip_molecule_load)
        .text_part("as_filename", &opts.as_filename)
        .text_part("dataset_id", &opts.dataset_id)
        .file_part("dataset_file", Some(dataset_file))
        .progress(opts.progress.as_ref())
        .deadline(opts.deadline)
        .long_timeout()
        .error("Failed to upload dataset")
        .run(client)
}

/// Optional arguments of [`create_dataset_from_project_file`].
#[derive(Clone, Debug, Default)]
pub struct CreateDatasetFromProjectFileOptions {
    /// Extra variables (text) for the dataset type's format-support code.
    pub format_extra_variables: Option<String>,
    /// Skips loading the molecules into the database after formatting.
    pub skip_molecule_load: bool,
    /// Makes the file a new version of this dataset.
    pub dataset_id: Option<String>,
    /// The unit the dataset belongs to.
    pub unit_id: Option<String>,
}

/// Makes a dataset (or a new version of `opts.dataset_id`) from a file already in a project:
/// `PUT /dataset` with a form. `path` is the file's project directory (starting with `/`).
/// The dataset is made by a task: `msg` is
/// `{"dataset_id": ..., "dataset_version": ..., "task_id": ...}`.
pub fn create_dataset_from_project_file(
    client: &Client,
    project_id: &str,
    path: &str,
    file_name: &str,
    dataset_type: &str,
    opts: &CreateDatasetFromProjectFileOptions,
) -> ApiRv<DatasetPutPostResponse> {
    call!(Api::Dm, "PUT", "/dataset")
        .require("project_id", project_id)
        .require("path", path)
        .require("file_name", file_name)
        .require("dataset_type", dataset_type)
        .form_always("project_id", project_id)
        .form_always("path", path)
        .form_always("file_name", file_name)
        .form_always("dataset_type", dataset_type)
        .form("format_extra_variables", &opts.format_extra_variables)
        .form("skip_molecule_load", opts.skip_molecule_load)
        .form("dataset_id", &opts.dataset_id)
        .form("unit_id", &opts.unit_id)
        .long_timeout()
        .error("Failed to create dataset from project file")
        .run(client)
}

/// Optional arguments of [`get_dataset_versions`].
#[derive(Clone, Debug, Default)]
pub struct GetDatasetVersionsOptions {
    /// Includes deleted versions.
    pub include_deleted: bool,
}

/// A dataset with all its versions (owner, editors, and per version its type, file name,
/// processing stage, projects, labels): `GET /dataset/{dataset_id}/versions`.
pub fn get_dataset_versions(
    client: &Client,
    dataset_id: &str,
    opts: &GetDatasetVersionsOptions,
) -> ApiRv<DatasetDetail> {
    call!(Api::Dm, "GET", "/dataset/{dataset_id}/versions")
        .path("dataset_id", dataset_id)
        .query("include_deleted", opts.include_deleted)
        .error("Failed to get dataset versions")
        .run(client)
}

/// Optional arguments of [`get_dataset`].
#[derive(Clone, Debug, Default)]
pub struct GetDatasetOptions {
    /// Told how the download moves.
    pub progress: Option<Progress>,
    /// An overall deadline for the transfer. Without one, the transfer fails only when
    /// nothing moves for the time-out ([D15](crate::python_differences)), however long it takes.
    pub deadline: Option<Duration>,
}

/// Downloads a dataset version into `local_file`: `GET /dataset/{dataset_id}/{dataset_version}`.
///
/// The body is streamed into a temporary file beside `local_file`, renamed into place only
/// when complete, so a failed download never leaves a truncated file (and leaves an existing
/// `local_file` as it was). `msg` is `{}`, or the file's content when it is a small JSON
/// object (as the Python client's).
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use squonk2::dm_api::{self, GetDatasetOptions};
/// let client = squonk2::Client::from_env()?;
/// dm_api::get_dataset(&client, "dataset-1", 1, "molecules.sdf", &GetDatasetOptions::default())
///     .into_result()?;
/// # Ok(())
/// # }
/// ```
pub fn get_dataset(
    client: &Client,
    dataset_id: &str,
    dataset_version: i64,
    local_file: impl AsRef<Path>,
    opts: &GetDatasetOptions,
) -> ApiRv<NoContent> {
    let local_file = local_file.as_ref();
    call!(Api::Dm, "GET", "/dataset/{dataset_id}/{dataset_version}")
        .path("dataset_id", dataset_id)
        .require_positive("dataset_version", dataset_version)
        .path("dataset_version", dataset_version)
        .require("local_file", &*local_file.to_string_lossy())
        .download_to(local_file)
        .progress(opts.progress.as_ref())
        .deadline(opts.deadline)
        .long_timeout()
        .error("Failed to get dataset")
        .run(client)
}

/// Optional arguments of [`delete_dataset`].
#[derive(Clone, Debug, Default)]
pub struct DeleteDatasetOptions {
    /// Turns the project files made from this version into unmanaged files instead of
    /// deleting them.
    pub keep_project_files: bool,
}

/// Deletes a dataset version: `DELETE /dataset/{dataset_id}/{dataset_version}`. The deletion
/// is a task: `msg` is `{"task_id": ...}`.
pub fn delete_dataset(
    client: &Client,
    dataset_id: &str,
    dataset_version: i64,
    opts: &DeleteDatasetOptions,
) -> ApiRv<TaskIdentity> {
    call!(Api::Dm, "DELETE", "/dataset/{dataset_id}/{dataset_version}")
        .path("dataset_id", dataset_id)
        .require_positive("dataset_version", dataset_version)
        .path("dataset_version", dataset_version)
        .query("keep_project_files", opts.keep_project_files)
        .error("Failed to delete dataset")
        .run(client)
}

/// The property schema of a dataset version:
/// `GET /dataset/{dataset_id}/schema/{dataset_version}`.
pub fn get_dataset_schema(
    client: &Client,
    dataset_id: &str,
    dataset_version: i64,
) -> ApiRv<DatasetSchemaGetResponse> {
    call!(
        Api::Dm,
        "GET",
        "/dataset/{dataset_id}/schema/{dataset_version}",
    )
    .path("dataset_id", dataset_id)
    .require_positive("dataset_version", dataset_version)
    .path("dataset_version", dataset_version)
    .error("Failed to get dataset schema")
    .run(client)
}

/// Lets a user edit a dataset: `PUT /dataset/{dataset_id}/editor/{editor}`.
pub fn add_dataset_editor(client: &Client, dataset_id: &str, editor: &str) -> ApiRv<NoContent> {
    call!(Api::Dm, "PUT", "/dataset/{dataset_id}/editor/{editor}")
        .path("dataset_id", dataset_id)
        .path("editor", editor)
        .error("Failed adding dataset editor")
        .run(client)
}

/// Takes a user's edit permission on a dataset away:
/// `DELETE /dataset/{dataset_id}/editor/{editor}`.
pub fn remove_dataset_editor(client: &Client, dataset_id: &str, editor: &str) -> ApiRv<NoContent> {
    call!(Api::Dm, "DELETE", "/dataset/{dataset_id}/editor/{editor}")
        .path("dataset_id", dataset_id)
        .path("editor", editor)
        .error("Failed removing dataset editor")
        .run(client)
}

/// The dataset version whose content has this SHA-256 digest (64 hex digits):
/// `GET /digest/dataset/{digest}`. `msg` is `{"dataset_id": ..., "dataset_version": ...}`.
pub fn get_dataset_for_digest(client: &Client, digest: &str) -> ApiRv<DatasetDigestGetResponse> {
    call!(Api::Dm, "GET", "/digest/dataset/{digest}")
        .path("digest", digest)
        .error("Failed to get dataset digest")
        .run(client)
}
