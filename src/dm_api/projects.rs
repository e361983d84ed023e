//! Projects: creating, listing, changing and deleting them, and managing who may use them.

use super::models::{ProjectDetail, ProjectPostResponse, ProjectsGetResponse, TaskIdentity};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::client::{Api, Client};
use crate::request::call;

/// The Account Server product every Data Manager accepts for test projects (the Python
/// client's `TEST_PRODUCT_ID`): use it as `as_tier_product_id` of [`create_project`] when no
/// real product is at hand.
pub const TEST_PRODUCT_ID: &str = "product-11111111-1111-1111-1111-111111111111";
/// The Organisation of [`TEST_PRODUCT_ID`] (the Python client's `TEST_ORG_ID`).
pub const TEST_ORG_ID: &str = "org-11111111-1111-1111-1111-111111111111";
/// The Unit of [`TEST_PRODUCT_ID`] (the Python client's `TEST_UNIT_ID`).
pub const TEST_UNIT_ID: &str = "unit-11111111-1111-1111-1111-111111111111";

/// Options of [`get_available_projects`].
#[derive(Clone, Debug, Default)]
pub struct GetAvailableProjectsOptions {
    /// Only the projects with this name.
    pub project_name: Option<String>,
}

/// The projects the caller can see: `GET /project[?project_name=]`.
/// `msg` is `{"count", "projects": [...]}`.
pub fn get_available_projects(
    client: &Client,
    opts: &GetAvailableProjectsOptions,
) -> ApiRv<ProjectsGetResponse> {
    call!(Api::Dm, "GET", "/project")
        .query("project_name", opts.project_name.as_deref())
        .error("Failed to get projects")
        .run(client)
}

/// Options of [`create_project`].
#[derive(Clone, Debug, Default)]
pub struct CreateProjectOptions {
    /// Make the project private (visible to its members only).
    pub private: bool,
}

/// Creates a project on an Account Server product (its "tier"):
/// `POST /project` with the form `tier_product_id`, `name`[, `private=True`].
/// `msg` is `{"project_id": "project-..."}`.
///
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use squonk2::dm_api::{self, CreateProjectOptions, TEST_PRODUCT_ID};
///
/// let client = squonk2::Client::from_env()?;
/// let created = dm_api::create_project(
///     &client,
///     "my project",
///     TEST_PRODUCT_ID,
///     &CreateProjectOptions { private: true },
/// )
/// .into_result()?;
/// println!("{}", created["project_id"]);
/// # Ok(())
/// # }
/// ```
pub fn create_project(
    client: &Client,
    project_name: &str,
    as_tier_product_id: &str,
    opts: &CreateProjectOptions,
) -> ApiRv<ProjectPostResponse> {
    call!(Api::Dm, "POST", "/project")
        .require("project_name", project_name)
        .require("as_tier_product_id", as_tier_product_id)
        .form_always("tier_product_id", as_tier_product_id)
        .form_always("name", project_name)
        .form("private", opts.private)
        .error("Failed creating project")
        .run(client)
}

/// One project's details: `GET /project/{project_id}`.
pub fn get_project(client: &Client, project_id: &str) -> ApiRv<ProjectDetail> {
    call!(Api::Dm, "GET", "/project/{project_id}")
        .path("project_id", project_id)
        .error("Failed to get project")
        .run(client)
}

/// Options of [`update_project`].
#[derive(Clone, Debug, Default)]
pub struct UpdateProjectOptions {
    /// A new name (sent when set).
    pub project_name: Option<String>,
    /// Make the project private or public (sent when `Some`, `false` included).
    pub private: Option<bool>,
}

/// Renames a project or changes its privacy: `PATCH /project/{project_id}` with the form
/// `name`, `private` (each only when given; no body at all when neither is).
pub fn update_project(
    client: &Client,
    project_id: &str,
    opts: &UpdateProjectOptions,
) -> ApiRv<NoContent> {
    call!(Api::Dm, "PATCH", "/project/{project_id}")
        .path("project_id", project_id)
        .form("name", opts.project_name.as_deref())
        .form_some("private", opts.private)
        // The Python client says "Failed creating project" here (D5: fixed).
        .error("Failed updating project")
        .run(client)
}

/// Deletes a project and its files: `DELETE /project/{project_id}`.
/// `msg` is `{"task_id": "..."}`, the task doing the deletion.
pub fn delete_project(client: &Client, project_id: &str) -> ApiRv<TaskIdentity> {
    call!(Api::Dm, "DELETE", "/project/{project_id}")
        .path("project_id", project_id)
        .error("Failed deleting project")
        .run(client)
}

/// Makes a user an administrator of a project:
/// `PUT /project/{project_id}/administrator/{administrator}`.
pub fn add_project_administrator(
    client: &Client,
    project_id: &str,
    administrator: &str,
) -> ApiRv<NoContent> {
    call!(
        Api::Dm,
        "PUT",
        "/project/{project_id}/administrator/{administrator}",
    )
    .path("project_id", project_id)
    .path("administrator", administrator)
    .error("Failed adding project administrator")
    .run(client)
}

/// Removes an administrator from a project:
/// `DELETE /project/{project_id}/administrator/{administrator}`.
pub fn remove_project_administrator(
    client: &Client,
    project_id: &str,
    administrator: &str,
) -> ApiRv<NoContent> {
    call!(
        Api::Dm,
        "DELETE",
        "/project/{project_id}/administrator/{administrator}",
    )
    .path("project_id", project_id)
    .path("administrator", administrator)
    .error("Failed removing project administrator")
    .run(client)
}

/// Makes a user an editor of a project: `PUT /project/{project_id}/editor/{editor}`.
pub fn add_project_editor(client: &Client, project_id: &str, editor: &str) -> ApiRv<NoContent> {
    call!(Api::Dm, "PUT", "/project/{project_id}/editor/{editor}")
        .path("project_id", project_id)
        .path("editor", editor)
        .error("Failed adding project editor")
        .run(client)
}

/// Removes an editor from a project: `DELETE /project/{project_id}/editor/{editor}`.
pub fn remove_project_editor(client: &Client, project_id: &str, editor: &str) -> ApiRv<NoContent> {
    call!(Api::Dm, "DELETE", "/project/{project_id}/editor/{editor}")
        .path("project_id", project_id)
        .path("editor", editor)
        .error("Failed removing project editor")
        .run(client)
}

/// Makes a user an observer of a project: `PUT /project/{project_id}/observer/{observer}`.
pub fn add_project_observer(client: &Client, project_id: &str, observer: &str) -> ApiRv<NoContent> {
    call!(Api::Dm, "PUT", "/project/{project_id}/observer/{observer}")
        .path("project_id", project_id)
        .path("observer", observer)
        .error("Failed adding project observer")
        .run(client)
}

/// Removes an observer from a project: `DELETE /project/{project_id}/observer/{observer}`.
pub fn remove_project_observer(
    client: &Client,
    project_id: &str,
    observer: &str,
) -> ApiRv<NoContent> {
    call!(
        Api::Dm,
        "DELETE",
        "/project/{project_id}/observer/{observer}",
    )
    .path("project_id", project_id)
    .path("observer", observer)
    .error("Failed removing project observer")
    .run(client)
}
