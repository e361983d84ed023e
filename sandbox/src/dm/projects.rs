//! Projects: creation on an Account Server product, details, renaming and privacy,
//! deletion (with its files and instances), and administrators, editors and observers.

use std::fs;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Serialize;

use super::files::tree_size;
use super::state::{bad_request, disk_error, DmState, Project, Role, Task};
use super::{time, Caller, Params};
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// The product every Data Manager accepts, its flavour, and its Unit and Organisation.
pub(crate) const TEST_PRODUCT_ID: &str = "product-11111111-1111-1111-1111-111111111111";
pub(crate) const TEST_PRODUCT_FLAVOUR: &str = "EVALUATION";
pub(crate) const TEST_UNIT_ID: &str = "unit-11111111-1111-1111-1111-111111111111";
pub(crate) const TEST_ORG_ID: &str = "org-11111111-1111-1111-1111-111111111111";

/// `/project/{project_id}/{role}/{user_id}`
type MemberPath = UrlPath<(String, String)>;

pub(crate) fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route("/project", get(list_projects).post(create_project))
        .route(
            "/project/{project_id}",
            get(get_project)
                .patch(update_project)
                .delete(delete_project),
        );
    for role in [Role::Administrator, Role::Editor, Role::Observer] {
        router = router.route(
            &format!("/project/{{project_id}}/{}/{{user_id}}", role.name()),
            put(
                move |shared: State<AppState>, caller: Caller, path: MemberPath| {
                    add_member(shared, caller, path, role)
                },
            )
            .delete(
                move |shared: State<AppState>, caller: Caller, path: MemberPath| {
                    remove_member(shared, caller, path, role)
                },
            ),
        );
    }
    router
}

#[derive(Serialize)]
struct ProjectFileDetail {
    dataset_id: String,
    dataset_version: u64,
    file_id: String,
    file_name: String,
    file_path: String,
    immutable: bool,
    owner: String,
    project_id: String,
    mime_type: String,
}

#[derive(Serialize)]
pub(crate) struct ProjectDetail {
    name: String,
    project_id: String,
    creator: String,
    created: String,
    product_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    product_flavour: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organisation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_id: Option<String>,
    private: bool,
    administrators: Vec<String>,
    editors: Vec<String>,
    observers: Vec<String>,
    size: u64,
    files: Vec<ProjectFileDetail>,
}

fn detail(dm: &DmState, project: &Project) -> ProjectDetail {
    let files = dm
        .managed_files
        .values()
        .filter(|m| m.project_id == project.project_id)
        .map(|m| ProjectFileDetail {
            dataset_id: m.dataset_id.clone(),
            dataset_version: m.dataset_version,
            file_id: m.file_id.clone(),
            file_name: m.file_name.clone(),
            file_path: m.path.clone(),
            immutable: m.immutable,
            owner: m.owner.clone(),
            project_id: m.project_id.clone(),
            mime_type: m.mime_type.clone(),
        })
        .collect();
    ProjectDetail {
        name: project.name.clone(),
        project_id: project.project_id.clone(),
        creator: project.creator.clone(),
        created: time::iso(project.created),
        product_id: project.product_id.clone(),
        product_flavour: project.product_flavour.clone(),
        organisation_id: project.organisation_id.clone(),
        unit_id: project.unit_id.clone(),
        private: project.private,
        administrators: project.administrators.clone(),
        editors: project.editors.clone(),
        observers: project.observers.clone(),
        size: tree_size(&dm.project_dir(&project.project_id)),
        files,
    }
}

#[derive(Serialize)]
struct ProjectsGetResponse {
    count: usize,
    projects: Vec<ProjectDetail>,
}

/// `GET /project[?project_name=]`: the projects the caller can see.
async fn list_projects(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Json<ProjectsGetResponse> {
    let name = params.get_set("project_name");
    let dm = lock(&shared.dm);
    let projects: Vec<ProjectDetail> = dm
        .projects
        .values()
        .filter(|p| p.can_read(&caller) && name.is_none_or(|n| p.name == n))
        .map(|p| detail(&dm, p))
        .collect();
    Json(ProjectsGetResponse {
        count: projects.len(),
        projects,
    })
}

#[derive(Serialize)]
struct ProjectPostResponse {
    project_id: String,
}

/// `POST /project` (form `name`, `tier_product_id`, `private`).
async fn create_project(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<(StatusCode, Json<ProjectPostResponse>), ApiError> {
    let name = params.required("name")?.to_string();
    let product_id = params.required("tier_product_id")?.to_string();
    let private = params.flag("private")?;
    let is_test_product = product_id == TEST_PRODUCT_ID;
    // Asked before taking the DM lock: the Account Server has its own.
    if !is_test_product && !crate::account_server::product_exists(&shared, &product_id) {
        return Err(bad_request(format!(
            "The Account Server has no product {product_id} (use {TEST_PRODUCT_ID} for tests)"
        )));
    }
    let project_id = format!("project-{}", shared.key.random_uuid());
    // A project claims its Account Server product (which the Account Server then refuses to
    // delete while the project exists) and belongs to the product's unit and organisation.
    let (unit_id, organisation_id, product_flavour) = if is_test_product {
        (
            Some(TEST_UNIT_ID.to_string()),
            Some(TEST_ORG_ID.to_string()),
            Some(TEST_PRODUCT_FLAVOUR.to_string()),
        )
    } else {
        crate::account_server::claim_product(&shared, &product_id, &project_id, &name)
            .map_err(bad_request)?;
        match crate::account_server::product_home(&shared, &product_id) {
            Some(home) => (
                Some(home.unit_id),
                Some(home.organisation_id),
                home.flavour.map(str::to_string),
            ),
            None => (None, None, None),
        }
    };
    let release = |shared: &AppState| {
        if !is_test_product {
            crate::account_server::release_product(shared, &product_id, &project_id);
        }
    };
    let mut dm = lock(&shared.dm);
    if dm
        .projects
        .values()
        .any(|p| p.creator == caller.username && p.name == name)
    {
        drop(dm);
        release(&shared);
        return Err(bad_request(format!(
            "You already have a project named {name:?}"
        )));
    }
    let dir = dm.project_dir(&project_id);
    if let Err(e) = fs::create_dir_all(&dir) {
        drop(dm);
        release(&shared);
        return Err(disk_error("create", &dir, e));
    }
    let creator = caller.username.clone();
    dm.projects.insert(
        project_id.clone(),
        Project {
            project_id: project_id.clone(),
            name,
            creator: creator.clone(),
            created: time::now(),
            product_id: product_id.clone(),
            product_flavour,
            unit_id,
            organisation_id,
            private,
            administrators: vec![creator.clone()],
            editors: vec![creator],
            observers: Vec::new(),
            files: Default::default(),
        },
    );
    Ok((
        StatusCode::CREATED,
        Json(ProjectPostResponse { project_id }),
    ))
}

/// `GET /project/{project_id}`
async fn get_project(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(project_id): UrlPath<String>,
) -> Result<Json<ProjectDetail>, ApiError> {
    let dm = lock(&shared.dm);
    let project = dm.readable_project(&project_id, &caller)?;
    Ok(Json(detail(&dm, project)))
}

/// `PATCH /project/{project_id}` (form `name`, `private`).
async fn update_project(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(project_id): UrlPath<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let private = params.opt_flag("private")?;
    let name = params.get("name");
    if name == Some("") {
        return Err(bad_request("'name' must not be empty"));
    }
    let mut dm = lock(&shared.dm);
    let project = dm.administered_project(&project_id, &caller)?;
    if let Some(name) = name {
        project.name = name.to_string();
    }
    if let Some(private) = private {
        project.private = private;
    }
    Ok(StatusCode::OK)
}

#[derive(Serialize)]
pub(crate) struct TaskIdentity {
    pub(crate) task_id: String,
}

/// `DELETE /project/{project_id}`: the project, its files and its instances.
async fn delete_project(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(project_id): UrlPath<String>,
) -> Result<Json<TaskIdentity>, ApiError> {
    let task_id = format!("task-{}", shared.key.random_uuid());
    let mut dm = lock(&shared.dm);
    let product_id = dm
        .administered_project(&project_id, &caller)?
        .product_id
        .clone();
    let dir = dm.project_dir(&project_id);
    let mut task = Task::new(
        task_id.clone(),
        "PROJECT",
        &project_id,
        Some(&project_id),
        &caller.username,
    );
    task.removal = true;
    task.state("STARTED", None);
    let instances: Vec<String> = dm
        .instances
        .values()
        .filter(|i| i.project_id == project_id)
        .map(|i| i.instance_id.clone())
        .collect();
    for instance_id in &instances {
        dm.instances.remove(instance_id);
        task.event("INFO", format!("Removed instance {instance_id}"));
    }
    dm.managed_files.retain(|_, m| m.project_id != project_id);
    dm.projects.remove(&project_id);
    match fs::remove_dir_all(&dir) {
        Ok(()) => task.finish(0, format!("Deleted project {project_id}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            task.finish(0, format!("Deleted project {project_id}"))
        }
        Err(e) => task.finish(1, format!("Could not delete the project's files: {e}")),
    }
    dm.tasks.insert(task_id.clone(), task);
    drop(dm);
    // Taken after the DM lock is let go: the Account Server has its own.
    crate::account_server::release_product(&shared, &product_id, &project_id);
    Ok(Json(TaskIdentity { task_id }))
}

/// `PUT /project/{project_id}/{role}/{user_id}`
async fn add_member(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath((project_id, user_id)): MemberPath,
    role: Role,
) -> Result<StatusCode, ApiError> {
    if user_id.is_empty() {
        return Err(bad_request("A user name is required"));
    }
    let mut dm = lock(&shared.dm);
    let project = dm.administered_project(&project_id, &caller)?;
    let members = project.members_mut(role);
    if !members.contains(&user_id) {
        members.push(user_id);
    }
    Ok(StatusCode::CREATED)
}

/// `DELETE /project/{project_id}/{role}/{user_id}`
async fn remove_member(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath((project_id, user_id)): MemberPath,
    role: Role,
) -> Result<StatusCode, ApiError> {
    let mut dm = lock(&shared.dm);
    let project = dm.administered_project(&project_id, &caller)?;
    if role == Role::Administrator && user_id == project.creator {
        return Err(bad_request(format!(
            "{user_id} created the project and stays one of its administrators"
        )));
    }
    let members = project.members_mut(role);
    let Some(index) = members.iter().position(|m| *m == user_id) else {
        return Err(bad_request(format!(
            "{user_id} is not an {} of project {project_id}",
            role.name()
        )));
    };
    members.remove(index);
    Ok(StatusCode::NO_CONTENT)
}
