//! Files and paths in projects: the project directory tree on disk, listing, streamed upload
//! and download, move, delete, managed (attached Dataset) files and the immutable flag.
//!
//! Project paths are `/`-separated and start with `/`; every segment is checked (no `..`,
//! no `\`), so no request can reach outside its project's directory.

use std::fs;
use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Serialize;

use super::state::{
    bad_request, disk_error, forbidden, not_found, DmState, FileMeta, ManagedFile, Project, Task,
};
use super::{stream, time, Caller, Params};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::{lock, AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/file",
            get(list_files)
                .post(attach_file)
                .delete(delete_unmanaged_file),
        )
        .route("/file/move", put(move_file))
        .route(
            "/file/{file_id}",
            get(download_managed_file).delete(delete_managed_file),
        )
        .route("/path", put(create_path).delete(delete_path))
        .route("/path/move", put(move_path))
        .route(
            "/project/{project_id}/file",
            get(download_file).put(upload_file),
        )
        .route(
            "/project/{project_id}/file-with-token",
            get(download_file_with_token),
        )
}

/// Checks one file or directory name.
pub(crate) fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', '\0'])
        || name.chars().any(char::is_control)
    {
        return Err(bad_request(format!("{name:?} is not a valid file name")));
    }
    Ok(())
}

/// A project directory path, checked and normalised (`/`, `/a/b`).
pub(crate) fn clean_dir(path: &str) -> Result<String, ApiError> {
    if !path.starts_with('/') {
        return Err(bad_request(format!(
            "The path {path:?} must start with '/'"
        )));
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    for segment in &segments {
        check_name(segment)?;
    }
    Ok(format!("/{}", segments.join("/")))
}

/// The project path of a file: `/name` or `/dir/name`.
pub(crate) fn file_key(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Splits a Job variable's project-relative file path (`work/a.smi`, or `/work/a.smi`) into
/// its directory and name, checked.
pub(crate) fn split_relative(path: &str) -> Result<(String, String), ApiError> {
    let path = format!("/{}", path.trim_start_matches('/'));
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", &path));
    check_name(name)?;
    Ok((
        clean_dir(if dir.is_empty() { "/" } else { dir })?,
        name.to_string(),
    ))
}

/// Where a project path is on disk.
pub(crate) fn disk_path(project_dir: &Path, project_path: &str) -> PathBuf {
    let mut path = project_dir.to_path_buf();
    for segment in project_path.split('/').filter(|s| !s.is_empty()) {
        path.push(segment);
    }
    path
}

/// Whether `key` is `dir` or inside it.
fn is_within(key: &str, dir: &str) -> bool {
    dir == "/" || key == dir || key.starts_with(&format!("{dir}/"))
}

/// The total size of the files below `path`.
pub(crate) fn tree_size(path: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(t) if t.is_dir() => tree_size(&entry.path()),
            Ok(_) => entry.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}

#[derive(Serialize)]
struct FileStat {
    size: u64,
    modified: String,
}

#[derive(Serialize)]
struct FilePathFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    dataset_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dataset_version: Option<u64>,
    file_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_id: Option<String>,
    immutable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    mime_type: Option<String>,
    owner: String,
    stat: FileStat,
}

#[derive(Serialize)]
struct FilesGetResponse {
    count: usize,
    project_id: String,
    path: String,
    files: Vec<FilePathFile>,
    paths: Vec<String>,
}

/// `GET /file?project_id=&path=&include_hidden=`
async fn list_files(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<FilesGetResponse>, ApiError> {
    let project_id = params.required("project_id")?;
    let dir = clean_dir(params.get_set("path").unwrap_or("/"))?;
    let include_hidden = params.flag("include_hidden")?;
    let dm = lock(&shared.dm);
    let project = dm.readable_project(project_id, &caller)?;
    let on_disk = disk_path(&dm.project_dir(project_id), &dir);
    let entries = fs::read_dir(&on_disk)
        .map_err(|_| not_found(format!("The path {dir} does not exist in the project")))?;
    let mut files = Vec::new();
    let mut paths = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && !include_hidden {
            continue;
        }
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        if metadata.is_dir() {
            paths.push(name);
            continue;
        }
        let key = file_key(&dir, &name);
        let meta = project.files.get(&key).cloned().unwrap_or_default();
        let managed = meta
            .file_id
            .as_deref()
            .and_then(|id| dm.managed_files.get(id));
        let modified = metadata
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        files.push(FilePathFile {
            dataset_id: managed.map(|m| m.dataset_id.clone()),
            dataset_version: managed.map(|m| m.dataset_version),
            file_name: name,
            file_id: meta.file_id.clone(),
            immutable: meta.immutable,
            mime_type: managed.map(|m| m.mime_type.clone()),
            owner: if meta.owner.is_empty() {
                project.creator.clone()
            } else {
                meta.owner
            },
            stat: FileStat {
                size: metadata.len(),
                modified: time::iso(modified),
            },
        });
    }
    files.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    paths.sort();
    Ok(Json(FilesGetResponse {
        count: files.len(),
        project_id: project_id.to_string(),
        path: dir,
        files,
        paths,
    }))
}

/// `PUT /project/{project_id}/file`: multipart `file` (streamed to disk), `path`,
/// `as_filename`.
async fn upload_file(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(project_id): UrlPath<String>,
    request: Request,
) -> Result<StatusCode, ApiError> {
    let temp = {
        let mut dm = lock(&shared.dm);
        dm.editable_project(&project_id, &caller)?;
        dm.upload_dir()
            .join(format!("{}.part", shared.key.random_uuid()))
    };
    let upload = stream::receive_upload(request, "file", &temp).await?;
    let placed = place_upload(&shared, &caller, &project_id, &upload, &temp);
    if placed.is_err() {
        let _ = fs::remove_file(&temp);
    }
    placed.map(|()| StatusCode::CREATED)
}

/// Moves an uploaded file into its project directory.
fn place_upload(
    shared: &AppState,
    caller: &Caller,
    project_id: &str,
    upload: &stream::Upload,
    temp: &Path,
) -> Result<(), ApiError> {
    let Some((_, file_name, _)) = &upload.file else {
        return Err(bad_request("The upload has no 'file' part"));
    };
    let name = upload
        .field("as_filename")
        .filter(|n| !n.is_empty())
        .unwrap_or(file_name);
    check_name(name)?;
    let dir = clean_dir(
        upload
            .field("path")
            .filter(|p| !p.is_empty())
            .unwrap_or("/"),
    )?;
    let key = file_key(&dir, name);
    let mut dm = lock(&shared.dm);
    let project_dir = dm.project_dir(project_id);
    let project = dm.editable_project(project_id, caller)?;
    if project.files.get(&key).is_some_and(|m| m.immutable) {
        return Err(forbidden(format!("The file {key} is immutable")));
    }
    let target_dir = disk_path(&project_dir, &dir);
    make_dir(&target_dir, &dir)?;
    let target = target_dir.join(name);
    if target.is_dir() {
        return Err(bad_request(format!("{key} is a directory")));
    }
    fs::rename(temp, &target).map_err(|e| disk_error("write", &target, e))?;
    project.files.insert(
        key,
        FileMeta {
            owner: caller.username.clone(),
            immutable: false,
            file_id: None,
        },
    );
    Ok(())
}

/// The disk path of an existing unmanaged-or-managed file the caller may read.
fn readable_file(
    dm: &DmState,
    caller: Option<&Caller>,
    project_id: &str,
    params: &Params,
) -> Result<(PathBuf, String), ApiError> {
    let dir = clean_dir(params.get_set("path").unwrap_or("/"))?;
    let name = params.required("file")?;
    check_name(name)?;
    if let Some(caller) = caller {
        dm.readable_project(project_id, caller)?;
    }
    let path = disk_path(&dm.project_dir(project_id), &file_key(&dir, name));
    if !path.is_file() {
        return Err(not_found(format!(
            "The file {} does not exist in the project",
            file_key(&dir, name)
        )));
    }
    Ok((path, name.to_string()))
}

/// `GET /project/{project_id}/file?path=&file=`: the file, streamed.
async fn download_file(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(project_id): UrlPath<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let (path, name) = readable_file(&lock(&shared.dm), Some(&caller), &project_id, &params)?;
    stream::file_response(&path, &name)
}

/// `GET /project/{project_id}/file-with-token?token=&path=&file=`: as `download_file`, with
/// an instance's callback token instead of a login.
async fn download_file_with_token(
    State(shared): State<AppState>,
    _user: Option<AuthUser>,
    UrlPath(project_id): UrlPath<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let (path, name) = {
        let dm = lock(&shared.dm);
        let token = params.required("token")?;
        if !dm.projects.contains_key(&project_id) {
            return Err(not_found(format!("Project {project_id} does not exist")));
        }
        let valid = dm.instances.values().any(|i| {
            i.project_id == project_id
                && i.callback_token_valid
                && i.callback_token.as_deref() == Some(token)
        });
        if !valid {
            return Err(forbidden(format!(
                "The token is not a valid callback token of project {project_id}"
            )));
        }
        readable_file(&dm, None, &project_id, &params)?
    };
    stream::file_response(&path, &name)
}

/// `DELETE /file?project_id=&path=&file=`: an unmanaged file.
async fn delete_unmanaged_file(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let project_id = params.required("project_id")?;
    let dir = clean_dir(params.get_set("path").unwrap_or("/"))?;
    let name = params.required("file")?;
    check_name(name)?;
    let key = file_key(&dir, name);
    let mut dm = lock(&shared.dm);
    let path = disk_path(&dm.project_dir(project_id), &key);
    let project = dm.editable_project(project_id, &caller)?;
    if !path.is_file() {
        return Err(not_found(format!(
            "The file {key} does not exist in the project"
        )));
    }
    if let Some(meta) = project.files.get(&key) {
        if let Some(file_id) = &meta.file_id {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{key} is a managed file: delete it with DELETE /file/{file_id}"),
            ));
        }
        if meta.immutable {
            return Err(forbidden(format!("The file {key} is immutable")));
        }
    }
    fs::remove_file(&path).map_err(|e| disk_error("delete", &path, e))?;
    project.files.remove(&key);
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /file/move?project_id=&file=&dst_file=&src_path=&dst_path=`
async fn move_file(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let project_id = params.required("project_id")?;
    let name = params.required("file")?;
    check_name(name)?;
    let src_dir = clean_dir(params.get_set("src_path").unwrap_or("/"))?;
    let dst_dir = match params.get_set("dst_path") {
        Some(p) => clean_dir(p)?,
        None => src_dir.clone(),
    };
    let dst_name = params.get_set("dst_file").unwrap_or(name);
    check_name(dst_name)?;
    let (src_key, dst_key) = (file_key(&src_dir, name), file_key(&dst_dir, dst_name));
    let mut dm = lock(&shared.dm);
    let project_dir = dm.project_dir(project_id);
    let project = dm.editable_project(project_id, &caller)?;
    let (src, dst) = (
        disk_path(&project_dir, &src_key),
        disk_path(&project_dir, &dst_key),
    );
    if !src.is_file() {
        return Err(not_found(format!(
            "The file {src_key} does not exist in the project"
        )));
    }
    if let Some(meta) = project.files.get(&src_key) {
        if meta.immutable || meta.file_id.is_some() {
            return Err(forbidden(format!(
                "{src_key} is a managed or immutable file and cannot be moved"
            )));
        }
    }
    if src_key == dst_key {
        return Ok(StatusCode::OK);
    }
    if dst.exists() {
        return Err(forbidden(format!("{dst_key} already exists")));
    }
    make_dir(&disk_path(&project_dir, &dst_dir), &dst_dir)?;
    fs::rename(&src, &dst).map_err(|e| disk_error("move", &src, e))?;
    if let Some(meta) = project.files.remove(&src_key) {
        project.files.insert(dst_key, meta);
    }
    Ok(StatusCode::OK)
}

/// `PUT /path?project_id=&path=`: makes a directory and any missing parents.
async fn create_path(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let project_id = params.required("project_id")?;
    let dir = clean_dir(params.get_set("path").unwrap_or("/"))?;
    let mut dm = lock(&shared.dm);
    let target = disk_path(&dm.project_dir(project_id), &dir);
    dm.editable_project(project_id, &caller)?;
    make_dir(&target, &dir)?;
    Ok(StatusCode::CREATED)
}

/// Makes `target`, the disk path of the project directory `dir`, and any missing parents.
fn make_dir(target: &Path, dir: &str) -> Result<(), ApiError> {
    fs::create_dir_all(target).map_err(|_| {
        bad_request(format!(
            "The path {dir} cannot be made (is part of it a file?)"
        ))
    })
}

/// Refuses to change a directory holding immutable or managed files.
fn check_tree_mutable(project: &Project, dir: &str) -> Result<(), ApiError> {
    match project
        .files
        .iter()
        .find(|(key, meta)| is_within(key, dir) && (meta.immutable || meta.file_id.is_some()))
    {
        Some((key, _)) => Err(forbidden(format!(
            "{dir} holds {key}, a managed or immutable file"
        ))),
        None => Ok(()),
    }
}

/// `DELETE /path?project_id=&path=`: a directory and everything in it.
async fn delete_path(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let project_id = params.required("project_id")?;
    let dir = clean_dir(params.required("path")?)?;
    if dir == "/" {
        return Err(forbidden("The project's root directory cannot be deleted"));
    }
    let mut dm = lock(&shared.dm);
    let target = disk_path(&dm.project_dir(project_id), &dir);
    let project = dm.editable_project(project_id, &caller)?;
    if !target.is_dir() {
        return Err(not_found(format!(
            "The path {dir} does not exist in the project"
        )));
    }
    check_tree_mutable(project, &dir)?;
    fs::remove_dir_all(&target).map_err(|e| disk_error("delete", &target, e))?;
    project.files.retain(|key, _| !is_within(key, &dir));
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /path/move?project_id=&src_path=&dst_path=`
async fn move_path(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let project_id = params.required("project_id")?;
    let src = clean_dir(params.required("src_path")?)?;
    let dst = clean_dir(params.required("dst_path")?)?;
    if src == "/" || dst == "/" {
        return Err(forbidden("The project's root directory cannot be moved"));
    }
    if is_within(&dst, &src) {
        return Err(bad_request(format!("{dst} is inside {src}")));
    }
    let mut dm = lock(&shared.dm);
    let project_dir = dm.project_dir(project_id);
    let project = dm.editable_project(project_id, &caller)?;
    let (from, to) = (disk_path(&project_dir, &src), disk_path(&project_dir, &dst));
    if !from.is_dir() {
        return Err(not_found(format!(
            "The path {src} does not exist in the project"
        )));
    }
    if to.exists() {
        return Err(forbidden(format!("{dst} already exists")));
    }
    check_tree_mutable(project, &src)?;
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| disk_error("create", parent, e))?;
    }
    fs::rename(&from, &to).map_err(|e| disk_error("move", &from, e))?;
    let moved: Vec<String> = project
        .files
        .keys()
        .filter(|key| is_within(key, &src))
        .cloned()
        .collect();
    for key in moved {
        if let Some(meta) = project.files.remove(&key) {
            project
                .files
                .insert(format!("{dst}{}", &key[src.len()..]), meta);
        }
    }
    Ok(StatusCode::OK)
}

#[derive(Serialize)]
struct FilePostResponse {
    file_id: String,
    file_name: String,
    file_path: String,
    task_id: String,
}

/// `POST /file`: attaches a Dataset version to a project as a managed file.
async fn attach_file(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<(StatusCode, Json<FilePostResponse>), ApiError> {
    let dataset_id = params.required("dataset_id")?.to_string();
    let version = params
        .number("dataset_version")?
        .ok_or_else(|| bad_request("'dataset_version' is required"))?;
    let project_id = params.required("project_id")?.to_string();
    let as_type = params.required("as_type")?.to_string();
    let dir = clean_dir(params.get_set("path").unwrap_or("/"))?;
    let immutable = params.flag("immutable")?;
    if params.flag("compress")? {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The sandbox does not compress attached files (send compress=False)",
        ));
    }
    let (source, key, target) = {
        let mut dm = lock(&shared.dm);
        let project_dir = dm.project_dir(&project_id);
        dm.editable_project(&project_id, &caller)?;
        let dataset = dm
            .attachable_datasets
            .get(&(dataset_id.clone(), version))
            .cloned()
            .ok_or_else(|| {
                not_found(format!(
                    "Dataset {dataset_id} version {version} does not exist"
                ))
            })?;
        if dataset.mime_type != as_type {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "The sandbox cannot convert {} to {as_type}",
                    dataset.mime_type
                ),
            ));
        }
        let key = file_key(&dir, &dataset.file_name);
        let target = disk_path(&project_dir, &key);
        if target.exists() {
            return Err(forbidden(format!("{key} already exists in the project")));
        }
        (dataset.source, key, target)
    };
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|e| disk_error("create", parent, e))?;
    }
    let copy_to = target.clone();
    tokio::task::spawn_blocking(move || fs::copy(&source, &copy_to))
        .await
        .map_err(|e| disk_error("copy", &target, std::io::Error::other(e)))?
        .map_err(|e| disk_error("copy", &target, e))?;
    let file_id = format!("file-{}", shared.key.random_uuid());
    let task_id = format!("task-{}", shared.key.random_uuid());
    let file_name = key.rsplit('/').next().unwrap_or_default().to_string();
    let mut dm = lock(&shared.dm);
    let Ok(project) = dm.editable_project(&project_id, &caller) else {
        let _ = fs::remove_file(&target);
        return Err(not_found(format!("Project {project_id} does not exist")));
    };
    project.files.insert(
        key.clone(),
        FileMeta {
            owner: caller.username.clone(),
            immutable,
            file_id: Some(file_id.clone()),
        },
    );
    dm.managed_files.insert(
        file_id.clone(),
        ManagedFile {
            file_id: file_id.clone(),
            project_id: project_id.clone(),
            path: dir.clone(),
            file_name: file_name.clone(),
            owner: caller.username.clone(),
            immutable,
            mime_type: as_type,
            dataset_id: dataset_id.clone(),
            dataset_version: version,
        },
    );
    let mut task = Task::new(
        task_id.clone(),
        "FILE",
        &file_id,
        Some(&project_id),
        &caller.username,
    );
    task.purpose_version = Some(version);
    task.state("STARTED", None);
    task.event(
        "INFO",
        format!("Copying dataset {dataset_id} version {version} to {key}"),
    );
    task.finish(0, format!("Attached as {key}"));
    dm.tasks.insert(task_id.clone(), task);
    Ok((
        StatusCode::CREATED,
        Json(FilePostResponse {
            file_id,
            file_name,
            file_path: dir,
            task_id,
        }),
    ))
}

/// The managed file `file_id` and where it is on disk.
fn managed_file(dm: &DmState, file_id: &str) -> Result<(ManagedFile, PathBuf), ApiError> {
    let managed = dm
        .managed_files
        .get(file_id)
        .cloned()
        .ok_or_else(|| not_found(format!("File {file_id} does not exist")))?;
    let path = disk_path(
        &dm.project_dir(&managed.project_id),
        &file_key(&managed.path, &managed.file_name),
    );
    Ok((managed, path))
}

/// `GET /file/{file_id}`: a managed file, streamed.
async fn download_managed_file(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(file_id): UrlPath<String>,
) -> Result<Response, ApiError> {
    let (managed, path) = {
        let dm = lock(&shared.dm);
        let (managed, path) = managed_file(&dm, &file_id)?;
        dm.readable_project(&managed.project_id, &caller)?;
        (managed, path)
    };
    stream::file_response(&path, &managed.file_name)
}

/// `DELETE /file/{file_id}`: detaches a managed file (removes it from the project).
async fn delete_managed_file(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(file_id): UrlPath<String>,
) -> Result<StatusCode, ApiError> {
    let mut dm = lock(&shared.dm);
    let (managed, path) = managed_file(&dm, &file_id)?;
    let project = dm.editable_project(&managed.project_id, &caller)?;
    project
        .files
        .remove(&file_key(&managed.path, &managed.file_name));
    let _ = fs::remove_file(&path);
    dm.managed_files.remove(&file_id);
    Ok(StatusCode::NO_CONTENT)
}
