//! Files and paths in projects: listing, uploading, downloading, moving and deleting files,
//! attaching Datasets, and making, moving and deleting directories.
//!
//! Uploads stream each file from disk with a `Content-Length`, in constant memory whatever its
//! size; downloads stream into a temporary file beside the destination that is renamed into
//! place only when the whole file has arrived, so a failed download never leaves a truncated
//! file ([D9](crate::python_differences)). Time-outs bound connecting and each read or write, not the whole transfer
//! ([D15](crate::python_differences)), so a large transfer that keeps moving never times out.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use super::models::{FilePostResponse, FilesGetResponse};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::client::{Api, Client};
use crate::error::ErrorKind;
use crate::request::{call, function, Auth, Call, Progress};

/// The default time-out of each upload of [`put_unmanaged_project_files`] (the Python
/// client's `timeout_per_file_s`).
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// `Some(problem)` when a project path does not start with `/`.
fn bad_project_path(name: &str, path: &str) -> Option<String> {
    (!path.starts_with('/')).then(|| format!("{name} must start with '/' (got {path:?})"))
}

/// Adds `problem` (if any) to the call's refusals.
fn reject_if(call: Call<'_>, problem: Option<String>) -> Call<'_> {
    match problem {
        Some(problem) => call.reject(problem),
        None => call,
    }
}

/// `path` with a `/` in front when it lacks one (as the Python client does for the path
/// functions).
fn with_leading_slash(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

/// Options of [`list_project_files`].
#[derive(Clone, Debug, Default)]
pub struct ListProjectFilesOptions {
    /// The directory to list, starting with `/` (default `/`).
    pub project_path: Option<String>,
    /// Include hidden files (names starting with `.`).
    pub include_hidden: bool,
}

/// The files and sub-directories at a project path:
/// `GET /file?project_id=&path=&include_hidden=` (12 s default time-out).
/// `msg` is `{"count", "project_id", "path", "files": [...], "paths": [...]}`.
pub fn list_project_files(
    client: &Client,
    project_id: &str,
    opts: &ListProjectFilesOptions,
) -> ApiRv<FilesGetResponse> {
    let project_path = opts.project_path.as_deref().unwrap_or("/");
    let call = call!(Api::Dm, "GET", "/file")
        .require("project_id", project_id)
        .query_always("project_id", project_id)
        .query_always("path", project_path)
        .query_always("include_hidden", opts.include_hidden)
        .long_timeout()
        .error("Failed to list project files");
    reject_if(call, bad_project_path("project_path", project_path)).run(client)
}

/// Options of [`put_unmanaged_project_files`].
#[derive(Clone, Debug, Default)]
pub struct PutUnmanagedProjectFilesOptions {
    /// The project directory to write to, starting with `/` (default `/`).
    pub project_path: Option<String>,
    /// Upload every file, even those whose name is already listed at `project_path`.
    pub force: bool,
    /// The time-out of each upload (default 120 s, or the client's time-out when it has
    /// one). It bounds connecting and each write, not the whole upload ([D15](crate::python_differences)).
    pub timeout_per_file: Option<Duration>,
    /// Called as each upload moves, with the bytes sent and the total of the upload's
    /// multipart body (the file plus a few hundred bytes of framing).
    pub progress: Option<Progress>,
    /// An overall deadline for the transfer. Without one, the transfer fails only when
    /// nothing moves for the time-out ([D15](crate::python_differences)), however long it takes.
    pub deadline: Option<Duration>,
}

/// Uploads local files into a project directory, one streamed
/// `PUT /project/{project_id}/file` (multipart: `path`, then `file`) per file.
///
///
/// Unless `force` is set, the directory is listed first (`GET /file?project_id=&path=`) and
/// files whose name is already there are skipped; a 404 listing means "no files yet". Each
/// local file is checked when its turn comes, and the first failure ends the loop (earlier
/// uploads stay done), as in the Python client. Files are written under their base name.
///
/// On success `msg` is `{}` and `http_status_code` is the listing's status: 200, 404 when
/// the listing found no directory, or 0 with `force` (no listing). These are the Python
/// client's values.
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use squonk2::dm_api::{self, PutUnmanagedProjectFilesOptions};
/// use squonk2::Progress;
///
/// let client = squonk2::Client::from_env()?;
/// let opts = PutUnmanagedProjectFilesOptions {
///     project_path: Some("/work".into()),
///     progress: Some(Progress::new(|done, total| eprint!("\r{done}/{total}"))),
///     ..Default::default()
/// };
/// dm_api::put_unmanaged_project_files(&client, "project-123", &["mols.sdf", "big.bin"], &opts)
///     .into_result()?;
/// # Ok(())
/// # }
/// ```
pub fn put_unmanaged_project_files(
    client: &Client,
    project_id: &str,
    project_files: &[impl AsRef<Path>],
    opts: &PutUnmanagedProjectFilesOptions,
) -> ApiRv<NoContent> {
    const CALL: &str = "PUT /project/{project_id}/file";
    let project_path = opts.project_path.as_deref().unwrap_or("/");
    let problem = if project_id.is_empty() {
        Some("project_id is required".to_string())
    } else if project_files.is_empty() {
        Some("project_files is required".to_string())
    } else {
        bad_project_path("project_path", project_path)
    };
    if let Some(problem) = problem {
        return ApiRv::failure(ErrorKind::InvalidInput, problem, 0, CALL)
            .with_function(function!());
    }
    if client.base_url(Api::Dm).is_none() {
        return ApiRv::failure(ErrorKind::NotConfigured, "No API URL defined", 0, CALL)
            .with_function(function!());
    }

    let mut http_status_code = 0;
    let mut existing: Vec<String> = Vec::new();
    if !opts.force {
        let listing = call!(Api::Dm, "GET", "/file")
            .query_always("project_id", project_id)
            .query_always("path", project_path)
            .error("Failed getting existing project files")
            .run(client);
        // A 404 means the directory is not there yet: nothing to skip (D4).
        if !listing.success && listing.http_status_code != 404 {
            return listing;
        }
        http_status_code = listing.http_status_code;
        if listing.success {
            existing = listing.msg["files"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f["file_name"].as_str().map(str::to_string))
                .collect();
        }
    }

    let timeout = opts
        .timeout_per_file
        .unwrap_or_else(|| client.timeout_or(UPLOAD_TIMEOUT));
    let uploader = client.with_timeout(timeout);
    for file in project_files {
        let file = file.as_ref();
        if !file.is_file() {
            return ApiRv::failure(
                ErrorKind::LocalFile,
                format!("No such file ({})", file.display()),
                http_status_code,
                CALL,
            )
            .with_function(function!());
        }
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if existing.contains(&name) {
            continue;
        }
        let rv = call!(Api::Dm, "PUT", "/project/{project_id}/file")
            .path("project_id", project_id)
            .text_part("path", project_path)
            .file_part("file", Some(file))
            .progress(opts.progress.as_ref())
            .deadline(opts.deadline)
            .error(format!(
                "Failed putting file {} -> {project_path}",
                file.display()
            ))
            .run(&uploader);
        if !rv.success {
            return rv;
        }
    }
    ApiRv::done(json!({}), http_status_code)
}

/// Options of [`delete_unmanaged_project_files`].
#[derive(Clone, Debug, Default)]
pub struct DeleteUnmanagedProjectFilesOptions {
    /// The project directory holding the files, starting with `/` (default `/`).
    pub project_path: Option<String>,
}

/// Deletes files from a project directory, one `DELETE /file?project_id=&path=&file=` per
/// file. Each name is stripped to its base name first (`dir/a.txt` deletes `a.txt`), as the
/// Python client documents but does not do ([D11](crate::python_differences)). The first failure ends the loop (earlier
/// deletions stay done). On success `msg` is `{}` and `http_status_code` is 0, as in the
/// Python client.
pub fn delete_unmanaged_project_files(
    client: &Client,
    project_id: &str,
    project_files: &[impl AsRef<str>],
    opts: &DeleteUnmanagedProjectFilesOptions,
) -> ApiRv<NoContent> {
    const CALL: &str = "DELETE /file";
    let project_path = opts.project_path.as_deref().unwrap_or("/");
    let names: Vec<&str> = project_files
        .iter()
        .map(|f| f.as_ref().rsplit('/').next().unwrap_or_default())
        .collect();
    let problem = if project_id.is_empty() {
        Some("project_id is required".to_string())
    } else if names.iter().any(|n| n.is_empty()) {
        Some("project_files has an empty file name".to_string())
    } else {
        bad_project_path("project_path", project_path)
    };
    if let Some(problem) = problem {
        return ApiRv::failure(ErrorKind::InvalidInput, problem, 0, CALL)
            .with_function(function!());
    }
    for name in names {
        let rv = call!(Api::Dm, "DELETE", "/file")
            .query_always("project_id", project_id)
            .query_always("path", project_path)
            .query_always("file", name)
            .error("Failed to delete project file")
            .run(client);
        if !rv.success {
            return rv;
        }
    }
    ApiRv::done(json!({}), 0)
}

/// Options of [`get_unmanaged_project_file`] and [`get_unmanaged_project_file_with_token`].
#[derive(Clone, Debug, Default)]
pub struct GetUnmanagedProjectFileOptions {
    /// The project directory holding the file, starting with `/` (default `/`).
    pub project_path: Option<String>,
    /// Called as the download moves, with the bytes received and the size the server
    /// announced (0 when it did not).
    pub progress: Option<Progress>,
    /// An overall deadline for the transfer. Without one, the transfer fails only when
    /// nothing moves for the time-out ([D15](crate::python_differences)), however long it takes.
    pub deadline: Option<Duration>,
}

/// Options of [`get_unmanaged_project_file_with_token`] (the same as
/// [`GetUnmanagedProjectFileOptions`]).
pub type GetUnmanagedProjectFileWithTokenOptions = GetUnmanagedProjectFileOptions;

fn check_download<'a>(call: Call<'a>, project_file: &str, local_file: &Path) -> Call<'a> {
    let call = call.require("project_file", project_file);
    if local_file.as_os_str().is_empty() {
        call.reject("local_file is required")
    } else {
        call
    }
}

/// Downloads one file of a project into `local_file`:
/// `GET /project/{project_id}/file?path=&file=` (12 s default time-out, inactivity-based).
///
/// The body streams into a temporary file beside `local_file`, renamed into place only when
/// complete: a failed download leaves `local_file` as it was ([D9](crate::python_differences)). `msg` is `{}`, or the
/// file's content when it is a small JSON object (as the Python client's `resp.json()`).
pub fn get_unmanaged_project_file(
    client: &Client,
    project_id: &str,
    project_file: &str,
    local_file: &Path,
    opts: &GetUnmanagedProjectFileOptions,
) -> ApiRv<NoContent> {
    let project_path = opts.project_path.as_deref().unwrap_or("/");
    let call = call!(Api::Dm, "GET", "/project/{project_id}/file")
        .path("project_id", project_id)
        .query_always("path", project_path)
        .query_always("file", project_file)
        .long_timeout()
        .download_to(local_file)
        .progress(opts.progress.as_ref())
        .deadline(opts.deadline)
        .error("Failed to get file");
    let call = check_download(call, project_file, local_file);
    reject_if(call, bad_project_path("project_path", project_path)).run(client)
}

/// As [`get_unmanaged_project_file`], with an instance's callback `token` instead of the
/// client's login: `GET /project/{project_id}/file-with-token?path=&file=&token=`, sent
/// without an `Authorization` header.
pub fn get_unmanaged_project_file_with_token(
    client: &Client,
    token: &str,
    project_id: &str,
    project_file: &str,
    local_file: &Path,
    opts: &GetUnmanagedProjectFileWithTokenOptions,
) -> ApiRv<NoContent> {
    let project_path = opts.project_path.as_deref().unwrap_or("/");
    let call = call!(Api::Dm, "GET", "/project/{project_id}/file-with-token")
        .auth(Auth::Never)
        .require("token", token)
        .path("project_id", project_id)
        .query_always("path", project_path)
        .query_always("file", project_file)
        .secret_query("token", token)
        .long_timeout()
        .download_to(local_file)
        .progress(opts.progress.as_ref())
        .deadline(opts.deadline)
        .error("Failed to get file");
    let call = check_download(call, project_file, local_file);
    reject_if(call, bad_project_path("project_path", project_path)).run(client)
}

/// Options of [`get_project_file`].
#[derive(Clone, Debug, Default)]
pub struct GetProjectFileOptions {
    /// Called as the download moves, with the bytes received and the size the server
    /// announced (0 when it did not).
    pub progress: Option<Progress>,
    /// An overall deadline for the transfer. Without one, the transfer fails only when
    /// nothing moves for the time-out ([D15](crate::python_differences)), however long it takes.
    pub deadline: Option<Duration>,
}

/// Downloads a managed file (a Dataset attached to a project) into `local_file`:
/// `GET /file/{file_id}` (12 s default time-out), streamed as
/// [`get_unmanaged_project_file`] does.
pub fn get_project_file(
    client: &Client,
    file_id: &str,
    local_file: &Path,
    opts: &GetProjectFileOptions,
) -> ApiRv<NoContent> {
    let call = call!(Api::Dm, "GET", "/file/{file_id}")
        .path("file_id", file_id)
        .long_timeout()
        .download_to(local_file)
        .progress(opts.progress.as_ref())
        .deadline(opts.deadline)
        .error("Failed to get file");
    if local_file.as_os_str().is_empty() {
        return call.reject("local_file is required").run(client);
    }
    call.run(client)
}

/// Detaches a managed file from its project: `DELETE /file/{file_id}`.
pub fn delete_project_file(client: &Client, file_id: &str) -> ApiRv<NoContent> {
    call!(Api::Dm, "DELETE", "/file/{file_id}")
        .path("file_id", file_id)
        .error("Failed to delete file")
        .run(client)
}

/// Options of [`move_project_file`].
#[derive(Clone, Debug, Default)]
pub struct MoveProjectFileOptions {
    /// A new name for the file.
    pub dst_file: Option<String>,
    /// The directory the file is in, starting with `/` (the server's default: `/`).
    pub src_path: Option<String>,
    /// The directory to move it to, starting with `/` (the server's default: where it is).
    pub dst_path: Option<String>,
}

/// Moves or renames a file in a project:
/// `PUT /file/move?project_id=&file=[&dst_file=][&src_path=][&dst_path=]` (no body).
pub fn move_project_file(
    client: &Client,
    project_id: &str,
    file: &str,
    opts: &MoveProjectFileOptions,
) -> ApiRv<NoContent> {
    let mut call = call!(Api::Dm, "PUT", "/file/move")
        .require("project_id", project_id)
        .require("file", file)
        .query_always("project_id", project_id)
        .query_always("file", file)
        .query("dst_file", opts.dst_file.as_deref())
        .query("src_path", opts.src_path.as_deref())
        .query("dst_path", opts.dst_path.as_deref())
        .error("Failed to move project file");
    for (name, path) in [("src_path", &opts.src_path), ("dst_path", &opts.dst_path)] {
        if let Some(path) = path.as_deref().filter(|p| !p.is_empty()) {
            call = reject_if(call, bad_project_path(name, path));
        }
    }
    call.run(client)
}

/// Options of [`attach_dataset_to_project`].
#[derive(Clone, Debug, Default)]
pub struct AttachDatasetToProjectOptions {
    /// The project directory to put the file in, starting with `/` (default `/`).
    pub path: Option<String>,
    /// Compress the file as it is attached.
    pub compress: bool,
    /// Make the file immutable while it is in the project.
    pub immutable: bool,
}

/// Attaches a Dataset version to a project as a managed file: `POST /file` with the form
/// `dataset_id`, `dataset_version`, `project_id`, `as_type`, `path`[, `compress=True`]
/// [, `immutable=True`] (12 s default time-out). `msg` is `{"file_id", "file_name",
/// "file_path", "task_id"}`.
pub fn attach_dataset_to_project(
    client: &Client,
    dataset_id: &str,
    dataset_version: i64,
    project_id: &str,
    as_type: &str,
    opts: &AttachDatasetToProjectOptions,
) -> ApiRv<FilePostResponse> {
    let path = opts.path.as_deref().unwrap_or("/");
    let call = call!(Api::Dm, "POST", "/file")
        .require("dataset_id", dataset_id)
        .require("project_id", project_id)
        .require("as_type", as_type)
        .form_always("dataset_id", dataset_id)
        .form_always("dataset_version", dataset_version)
        .form_always("project_id", project_id)
        .form_always("as_type", as_type)
        .form_always("path", path)
        .form("compress", opts.compress)
        .form("immutable", opts.immutable)
        .long_timeout()
        .error("Failed to attach dataset to project");
    let call = if dataset_version < 1 {
        call.reject(format!(
            "dataset_version must be 1 or more (got {dataset_version})"
        ))
    } else {
        call
    };
    // An empty path is optional in the spec and accepted by the server: sent as Python
    // sends it (D18).
    let problem = Some(path)
        .filter(|p| !p.is_empty())
        .and_then(|p| bad_project_path("path", p));
    reject_if(call, problem).run(client)
}

/// Creates a directory (and any missing parents) in a project:
/// `PUT /path?project_id=&path=`. A `/` is put in front of `project_path` when it lacks one.
/// The parameters go in the query, as the API defines them ([D7](crate::python_differences); the Python client sends a
/// form body).
pub fn create_project_path(
    client: &Client,
    project_id: &str,
    project_path: &str,
) -> ApiRv<NoContent> {
    call!(Api::Dm, "PUT", "/path")
        .require("project_id", project_id)
        .require("project_path", project_path)
        .query_always("project_id", project_id)
        .query_always("path", with_leading_slash(project_path))
        .error("Failed to create project path")
        .run(client)
}

/// Deletes a directory and everything in it from a project: `DELETE /path?project_id=&path=`
/// (query, [D7](crate::python_differences)). A `/` is put in front of `project_path` when it lacks one.
pub fn delete_project_path(
    client: &Client,
    project_id: &str,
    project_path: &str,
) -> ApiRv<NoContent> {
    call!(Api::Dm, "DELETE", "/path")
        .require("project_id", project_id)
        .require("project_path", project_path)
        .query_always("project_id", project_id)
        .query_always("path", with_leading_slash(project_path))
        .error("Failed to delete project path")
        .run(client)
}

/// Moves or renames a directory of a project:
/// `PUT /path/move?project_id=&src_path=&dst_path=` (query, [D7](crate::python_differences)). A `/` is put in front of
/// each path that lacks one.
pub fn move_project_path(
    client: &Client,
    project_id: &str,
    project_src_path: &str,
    project_dst_path: &str,
) -> ApiRv<NoContent> {
    call!(Api::Dm, "PUT", "/path/move")
        .require("project_id", project_id)
        .require("project_src_path", project_src_path)
        .require("project_dst_path", project_dst_path)
        .query_always("project_id", project_id)
        .query_always("src_path", with_leading_slash(project_src_path))
        .query_always("dst_path", with_leading_slash(project_dst_path))
        .error("Failed to move project path")
        .run(client)
}
