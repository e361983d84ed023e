//! Job manifests (admins only): a manifest is a URL of a YAML file
//! (`kind: DataManagerManifest`) naming Job definition files (`kind:
//! DataManagerJobDefinition`), relative to it; loading a manifest adds its Jobs to the
//! catalogue (or replaces a Job of the same collection, name and version).
//!
//! The sandbox never goes to the network: what it finds at a URL is what was registered
//! with [`Sandbox::add_web_file`](crate::Sandbox::add_web_file), plus one built-in
//! manifest at [`BUILTIN_MANIFEST_URL`]. Jobs loaded from manifests do not run real code:
//! their instances write a note to each output file (see `catalogue::Behaviour::Note`).

use std::collections::BTreeMap;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Map, Value};

use super::admin::require_admin_rights;
use super::catalogue::{Behaviour, JobDefinition};
use super::state::{bad_request, DmState};
use super::yaml;
use super::{time, Caller, Params};
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// The manifest every sandbox serves.
pub(crate) const BUILTIN_MANIFEST_URL: &str =
    "https://sandbox.invalid/squonk2-sandbox-jobs/data-manager/manifest.yaml";

const BUILTIN_MANIFEST: &str = "---
kind: DataManagerManifest
kind-version: '2021.1'
description: Jobs the squonk2 sandbox serves for trying Job manifests out
job-definition-files:
- sandbox-examples.yaml
";

const BUILTIN_DEFINITIONS: &str = r#"---
kind: DataManagerJobDefinition
kind-version: '2021.1'
collection: sandbox-examples

jobs:
  count-molecules:
    name: Count molecules
    description: >-
      Counts the molecules of a SMILES or SD file (in the sandbox: writes a note).
    version: '1.0.0'
    category: utils
    keywords:
    - sandbox
    - count
    image:
      name: informaticsmatters/squonk2-sandbox-examples
      tag: '1.0.0'
      project-directory: /data
      working-directory: /data
    command: >-
      count.py --input '{{ inputFile }}' --output '{{ outputFile }}'
    variables:
      order:
        options:
        - outputFile
      inputs:
        type: object
        required:
        - inputFile
        properties:
          inputFile:
            title: Molecules
            mime-types:
            - squonk/x-smiles
            - chemical/x-mdl-sdfile
            type: file
      outputs:
        type: object
        properties:
          outputFile:
            title: The count
            mime-types:
            - text/plain
            creates: '{{ outputFile }}'
            type: file
      options:
        type: object
        required:
        - outputFile
        properties:
          outputFile:
            title: Output file name
            type: string
            default: count.txt
            pattern: "^[A-Za-z0-9_/\\.\\-]+$"
  say-hello:
    name: Say hello
    description: >-
      Greets someone (in the sandbox: does nothing).
    version: '1.0.0'
    category: utils
    keywords:
    - sandbox
    image:
      name: informaticsmatters/squonk2-sandbox-examples
      tag: '1.0.0'
      project-directory: /data
      working-directory: /data
    command: >-
      hello.py --name '{{ name }}'
    variables:
      options:
        type: object
        properties:
          name:
            title: Who to greet
            type: string
            default: World
"#;

/// What every sandbox finds on its (pretend) web.
pub(crate) fn builtin_web_files() -> BTreeMap<String, String> {
    let base = BUILTIN_MANIFEST_URL
        .rsplit_once('/')
        .map_or(BUILTIN_MANIFEST_URL, |(base, _)| base);
    BTreeMap::from([
        (
            BUILTIN_MANIFEST_URL.to_string(),
            BUILTIN_MANIFEST.to_string(),
        ),
        (
            format!("{base}/sandbox-examples.yaml"),
            BUILTIN_DEFINITIONS.to_string(),
        ),
    ])
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/job-manifest", get(list_manifests).put(put_manifest))
        .route("/admin/job-manifest/load", put(load_manifests))
        .route("/admin/job-manifest/{manifest_id}", delete(delete_manifest))
}

/// A registered Job manifest.
#[derive(Debug, Clone)]
pub(crate) struct JobManifest {
    pub(crate) id: u64,
    pub(crate) url: String,
    pub(crate) header: Option<String>,
    pub(crate) params: Option<String>,
    pub(crate) created: f64,
    pub(crate) creator: String,
    pub(crate) last_load: Option<f64>,
    pub(crate) last_successful_load: Option<f64>,
    pub(crate) last_load_status: String,
    /// From the last successful load.
    pub(crate) files_loaded: Option<u64>,
    pub(crate) jobs_loaded: Option<u64>,
}

#[derive(Serialize)]
struct JobManifestDetail {
    id: u64,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<String>,
    created: String,
    creator: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_definition_files_loaded: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_definitions_loaded: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_successful_load_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_load_time: Option<String>,
    last_load_status: String,
}

#[derive(Serialize)]
struct AdminJobManifestGetResponse {
    count: usize,
    job_manifests: Vec<JobManifestDetail>,
}

/// `GET /admin/job-manifest`
async fn list_manifests(
    State(shared): State<AppState>,
    caller: Caller,
) -> Result<Json<AdminJobManifestGetResponse>, ApiError> {
    require_admin_rights(&caller, "see Job manifests")?;
    let dm = lock(&shared.dm);
    let job_manifests: Vec<JobManifestDetail> = dm
        .job_manifests
        .values()
        .map(|m| JobManifestDetail {
            id: m.id,
            url: m.url.clone(),
            header: m.header.clone(),
            params: m.params.clone(),
            created: time::iso(m.created),
            creator: m.creator.clone(),
            job_definition_files_loaded: m.files_loaded,
            job_definitions_loaded: m.jobs_loaded,
            last_successful_load_time: m.last_successful_load.map(time::iso),
            last_load_time: m.last_load.map(time::iso),
            last_load_status: m.last_load_status.clone(),
        })
        .collect();
    Ok(Json(AdminJobManifestGetResponse {
        count: job_manifests.len(),
        job_manifests,
    }))
}

/// What loading manifests did.
#[derive(Serialize, Default)]
struct AdminJobManifestLoadPutResponse {
    status: bool,
    num_manifest_files_inspected: u64,
    num_job_definition_files_inspected: u64,
    num_jobs_inspected: u64,
    num_jobs_loaded: u64,
    num_jobs_purged: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    manifest_file_failures: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    job_definition_file_failures: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    job_definition_failures: Vec<String>,
}

/// A JSON-object form field (`header`, `params`): empty or `{...}`.
fn json_object_field(params: &Params, name: &str) -> Result<Option<String>, ApiError> {
    match params.get_set(name) {
        None => Ok(None),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(_)) => Ok(Some(text.to_string())),
            _ => Err(bad_request(format!(
                "'{name}' must be a JSON object (text), not {text:?}"
            ))),
        },
    }
}

/// `PUT /admin/job-manifest` (form `url`, `header`, `params`): records the manifest (or
/// updates the one with this URL) and loads it.
async fn put_manifest(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<AdminJobManifestLoadPutResponse>, ApiError> {
    require_admin_rights(&caller, "add Job manifests")?;
    let url = params.required("url")?.trim().to_string();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(bad_request(format!(
            "The manifest URL must be an http(s) URL, not {url:?}"
        )));
    }
    let header = json_object_field(&params, "header")?;
    let query = json_object_field(&params, "params")?;
    let mut dm = lock(&shared.dm);
    let existing = dm
        .job_manifests
        .values()
        .find(|m| m.url == url)
        .map(|m| m.id);
    let id = match existing {
        Some(id) => id,
        None => {
            let id = dm.next_job_manifest_id;
            dm.next_job_manifest_id += 1;
            id
        }
    };
    let manifest = dm.job_manifests.entry(id).or_insert_with(|| JobManifest {
        id,
        url: url.clone(),
        header: None,
        params: None,
        created: time::now(),
        creator: caller.username.clone(),
        last_load: None,
        last_successful_load: None,
        last_load_status: String::new(),
        files_loaded: None,
        jobs_loaded: None,
    });
    manifest.header = header;
    manifest.params = query;
    Ok(Json(load_all(&mut dm, [id])))
}

/// `PUT /admin/job-manifest/load`: loads every manifest again.
async fn load_manifests(
    State(shared): State<AppState>,
    caller: Caller,
) -> Result<Json<AdminJobManifestLoadPutResponse>, ApiError> {
    require_admin_rights(&caller, "load Job manifests")?;
    let mut dm = lock(&shared.dm);
    let ids: Vec<u64> = dm.job_manifests.keys().copied().collect();
    Ok(Json(load_all(&mut dm, ids)))
}

/// Loads the manifests `ids` in turn; the status is true when nothing failed.
fn load_all(
    dm: &mut DmState,
    ids: impl IntoIterator<Item = u64>,
) -> AdminJobManifestLoadPutResponse {
    let mut outcome = AdminJobManifestLoadPutResponse::default();
    for id in ids {
        load(dm, id, &mut outcome);
    }
    outcome.status = outcome.manifest_file_failures.is_empty()
        && outcome.job_definition_file_failures.is_empty()
        && outcome.job_definition_failures.is_empty();
    outcome
}

/// `DELETE /admin/job-manifest/{manifest_id}[?purge=]`: forgets the manifest; with `purge`
/// its Jobs leave the catalogue too (except those instances still refer to).
async fn delete_manifest(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    require_admin_rights(&caller, "delete Job manifests")?;
    let purge = params.flag("purge")?;
    let mut dm = lock(&shared.dm);
    let id = id
        .parse::<u64>()
        .ok()
        .filter(|id| dm.job_manifests.contains_key(id))
        .ok_or_else(|| bad_request(format!("There is no Job manifest {id:?}")))?;
    dm.job_manifests.remove(&id);
    let ids: Vec<u64> = job_ids(&dm, |j| j.manifest_id == Some(id));
    for job_id in ids {
        if purge {
            purge_job(&mut dm, job_id);
        } else if let Some(job) = job_mut(&mut dm, job_id) {
            job.manifest_id = None;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The ids of the catalogue's (not removed) Jobs that `keep` picks.
fn job_ids(dm: &DmState, keep: impl Fn(&JobDefinition) -> bool) -> Vec<u64> {
    dm.jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| !j.removed && keep(j))
        .map(|(i, _)| i as u64 + 1)
        .collect()
}

fn job_mut(dm: &mut DmState, job_id: u64) -> Option<&mut JobDefinition> {
    let index = usize::try_from(job_id).ok()?.checked_sub(1)?;
    dm.jobs.get_mut(index)
}

/// Takes a Job out of the catalogue unless an instance refers to it; true when it did.
fn purge_job(dm: &mut DmState, job_id: u64) -> bool {
    if dm.instances.values().any(|i| i.job_id == job_id) {
        if let Some(job) = job_mut(dm, job_id) {
            job.manifest_id = None;
        }
        return false;
    }
    match job_mut(dm, job_id) {
        Some(job) => {
            job.removed = true;
            true
        }
        None => false,
    }
}

/// The URL of a file named in a manifest: relative to the manifest's directory.
fn relative_url(manifest_url: &str, file: &str) -> String {
    if file.starts_with("https://") || file.starts_with("http://") {
        return file.to_string();
    }
    let base = manifest_url
        .split(['?', '#'])
        .next()
        .unwrap_or(manifest_url);
    match base.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{file}"),
        None => file.to_string(),
    }
}

/// Loads manifest `id` into the catalogue, adding to `outcome`.
fn load(dm: &mut DmState, id: u64, outcome: &mut AdminJobManifestLoadPutResponse) {
    let Some(url) = dm.job_manifests.get(&id).map(|m| m.url.clone()) else {
        return;
    };
    let (files_before, jobs_before) = (
        outcome.num_job_definition_files_inspected,
        outcome.num_jobs_loaded,
    );
    let failures_before = outcome.manifest_file_failures.len()
        + outcome.job_definition_file_failures.len()
        + outcome.job_definition_failures.len();
    outcome.num_manifest_files_inspected += 1;
    let mut seen: Vec<u64> = Vec::new();
    let mut manifest_read = false;
    match read_manifest(dm, &url) {
        Err(failure) => outcome.manifest_file_failures.push(failure),
        Ok(files) => {
            manifest_read = true;
            for file in files {
                let file_url = relative_url(&url, &file);
                outcome.num_job_definition_files_inspected += 1;
                let jobs = match read_definitions(dm, &file_url, outcome) {
                    Ok(jobs) => jobs,
                    Err(failure) => {
                        outcome.job_definition_file_failures.push(failure);
                        continue;
                    }
                };
                for mut job in jobs {
                    job.manifest_id = Some(id);
                    let job_id = match dm.find_job(&job.collection, &job.job, &job.version) {
                        Some(job_id) => {
                            if let Some(slot) = job_mut(dm, job_id) {
                                *slot = job;
                            }
                            job_id
                        }
                        None => {
                            dm.jobs.push(job);
                            dm.jobs.len() as u64
                        }
                    };
                    seen.push(job_id);
                    outcome.num_jobs_loaded += 1;
                }
            }
        }
    }
    let failed = outcome.manifest_file_failures.len()
        + outcome.job_definition_file_failures.len()
        + outcome.job_definition_failures.len()
        > failures_before;
    // Jobs the manifest no longer defines leave the catalogue (when it could be read).
    if manifest_read {
        for job_id in job_ids(dm, |j| j.manifest_id == Some(id)) {
            if !seen.contains(&job_id) && purge_job(dm, job_id) {
                outcome.num_jobs_purged += 1;
            }
        }
    }
    let now = time::now();
    if let Some(manifest) = dm.job_manifests.get_mut(&id) {
        manifest.last_load = Some(now);
        if failed {
            manifest.last_load_status = "FAILURE".into();
        } else {
            manifest.last_load_status = "SUCCESS".into();
            manifest.last_successful_load = Some(now);
            manifest.files_loaded = Some(outcome.num_job_definition_files_inspected - files_before);
            manifest.jobs_loaded = Some(outcome.num_jobs_loaded - jobs_before);
        }
    }
}

/// The Job definition files a manifest names.
fn read_manifest(dm: &DmState, url: &str) -> Result<Vec<String>, String> {
    let text = dm.web_files.get(url).ok_or_else(|| {
        format!(
            "{url}: could not get the manifest (the sandbox does not go to the network; it \
             serves only files registered with Sandbox::add_web_file, and {BUILTIN_MANIFEST_URL})"
        )
    })?;
    let manifest = yaml::parse(text).map_err(|e| format!("{url}: not YAML: {e}"))?;
    if manifest["kind"] != "DataManagerManifest" {
        return Err(format!("{url}: 'kind' must be DataManagerManifest"));
    }
    let files: Vec<String> = manifest["job-definition-files"]
        .as_array()
        .map(|files| {
            files
                .iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if files.is_empty() {
        return Err(format!(
            "{url}: 'job-definition-files' must list at least one file"
        ));
    }
    Ok(files)
}

/// The Jobs of a Job definition file; a Job that is not right is left out, its failure
/// added to `outcome`.
fn read_definitions(
    dm: &DmState,
    url: &str,
    outcome: &mut AdminJobManifestLoadPutResponse,
) -> Result<Vec<JobDefinition>, String> {
    let text = dm
        .web_files
        .get(url)
        .ok_or_else(|| format!("{url}: could not get the Job definition file"))?;
    let file = yaml::parse(text).map_err(|e| format!("{url}: not YAML: {e}"))?;
    if file["kind"] != "DataManagerJobDefinition" {
        return Err(format!("{url}: 'kind' must be DataManagerJobDefinition"));
    }
    let collection = yaml::text(&file, "collection")
        .ok_or_else(|| format!("{url}: 'collection' is missing"))?
        .to_string();
    let jobs = file["jobs"]
        .as_object()
        .filter(|j| !j.is_empty())
        .ok_or_else(|| format!("{url}: 'jobs' must define at least one Job"))?;
    let mut definitions = Vec::new();
    for (name, job) in jobs {
        outcome.num_jobs_inspected += 1;
        match definition(&collection, name, job) {
            Ok(definition) => definitions.push(definition),
            Err(why) => outcome
                .job_definition_failures
                .push(format!("{url}: Job {collection}/{name}: {why}")),
        }
    }
    Ok(definitions)
}

/// One Job of a definition file.
fn definition(collection: &str, name: &str, job: &Value) -> Result<JobDefinition, String> {
    let field = |key: &str| {
        yaml::text(job, key)
            .map(str::to_string)
            .ok_or_else(|| format!("'{key}' is missing"))
    };
    let image = &job["image"];
    let image_field = |key: &str| {
        yaml::text(image, key)
            .map(str::to_string)
            .ok_or_else(|| format!("'image.{key}' is missing"))
    };
    let variables = match &job["variables"] {
        Value::Null => Value::Object(Map::new()),
        Value::Object(map) => {
            if let Some(key) = map
                .keys()
                .find(|k| !["order", "inputs", "outputs", "options"].contains(&k.as_str()))
            {
                return Err(format!(
                    "'variables' may have order, inputs, outputs and options, not {key:?}"
                ));
            }
            if let Some(key) = ["inputs", "outputs", "options"]
                .into_iter()
                .find(|k| map.get(*k).is_some_and(|v| !v.is_object()))
            {
                return Err(format!("'variables.{key}' must be a mapping"));
            }
            let order_ok = map.get("order").is_none_or(|o| {
                o["options"]
                    .as_array()
                    .is_some_and(|a| a.iter().all(Value::is_string))
                    && o.as_object().is_some_and(|m| m.len() == 1)
            });
            if !order_ok {
                return Err("'variables.order' must be {options: [names]}".into());
            }
            Value::Object(map.clone())
        }
        _ => return Err("'variables' must be a mapping".into()),
    };
    let project_directory = yaml::text(image, "project-directory").unwrap_or("/data");
    Ok(JobDefinition {
        collection: collection.to_string(),
        job: name.to_string(),
        version: field("version")?,
        name: field("name")?,
        description: yaml::text(job, "description")
            .unwrap_or("")
            .trim()
            .to_string(),
        category: yaml::text(job, "category").unwrap_or("").to_string(),
        keywords: job["keywords"]
            .as_array()
            .map(|k| {
                k.iter()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        doc_url: yaml::text(job, "doc-url").map(str::to_string),
        image_name: image_field("name")?,
        image_tag: image_field("tag")?,
        image_project_directory: project_directory.to_string(),
        image_working_directory: yaml::text(image, "working-directory")
            .unwrap_or(project_directory)
            .to_string(),
        command: field("command")?.trim().to_string(),
        variables,
        behaviour: Behaviour::Note,
        manifest_id: None,
        removed: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_manifest_loads() {
        let mut dm = DmState::default();
        let before = dm.jobs.len();
        dm.job_manifests.insert(
            1,
            JobManifest {
                id: 1,
                url: BUILTIN_MANIFEST_URL.into(),
                header: None,
                params: None,
                created: 0.0,
                creator: "admin".into(),
                last_load: None,
                last_successful_load: None,
                last_load_status: String::new(),
                files_loaded: None,
                jobs_loaded: None,
            },
        );
        let mut outcome = AdminJobManifestLoadPutResponse::default();
        load(&mut dm, 1, &mut outcome);
        assert!(
            outcome.job_definition_failures.is_empty(),
            "{:?}",
            outcome.job_definition_failures
        );
        assert_eq!(outcome.num_jobs_loaded, 2);
        assert_eq!(dm.jobs.len(), before + 2);
        assert!(dm
            .find_job("sandbox-examples", "count-molecules", "1.0.0")
            .is_some());
        assert_eq!(dm.job_manifests[&1].last_load_status, "SUCCESS");
        // Loading again replaces the Jobs.
        load(&mut dm, 1, &mut AdminJobManifestLoadPutResponse::default());
        assert_eq!(dm.jobs.len(), before + 2);
    }
}
