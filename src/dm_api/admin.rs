//! Administration: service errors, user accounts and job manifests.
//!
//! These calls need a user with the Data Manager admin role (admin mode, `set_admin_state`, is
//! not needed); others get 403.

use super::models::{
    AdminJobManifestGetResponse, AdminJobManifestLoadPutResponse, AdminUsersGetResponse,
    ServiceErrorsGetResponse, UserAccountDetail,
};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::client::{Api, Client};
use crate::request::call;

/// Optional arguments of [`get_service_errors`].
#[derive(Clone, Debug, Default)]
pub struct GetServiceErrorsOptions {
    /// Includes the errors already acknowledged.
    pub include_acknowledged: bool,
}

/// Lists the errors the service recorded: `GET /admin/service-error`.
pub fn get_service_errors(
    client: &Client,
    opts: &GetServiceErrorsOptions,
) -> ApiRv<ServiceErrorsGetResponse> {
    call!(Api::Dm, "GET", "/admin/service-error")
        .query("include_acknowledged", opts.include_acknowledged)
        .error("Failed to get service errors")
        .run(client)
}

/// Acknowledges (but keeps) a service error: `PATCH /admin/service-error/{error_id}`. An
/// id below 1 fails before anything is sent ([D18](crate::python_differences)).
pub fn acknowledge_service_error(client: &Client, error_id: i64) -> ApiRv<NoContent> {
    call!(Api::Dm, "PATCH", "/admin/service-error/{error_id}")
        .require_positive("error_id", error_id)
        .path("error_id", error_id)
        .error("Failed to patch service error")
        .run(client)
}

/// Deletes a service error: `DELETE /admin/service-error/{error_id}`. An id below 1 fails
/// before anything is sent ([D18](crate::python_differences)).
pub fn delete_service_error(client: &Client, error_id: i64) -> ApiRv<NoContent> {
    call!(Api::Dm, "DELETE", "/admin/service-error/{error_id}")
        .require_positive("error_id", error_id)
        .path("error_id", error_id)
        .error("Failed to delete service error")
        .run(client)
}

/// Optional arguments of [`get_admin_users`]; each is sent when `Some`, even `Some(0)`.
#[derive(Clone, Debug, Default)]
pub struct GetAdminUsersOptions {
    /// Only users idle (not using the API) for at most this many days.
    pub idle_days: Option<i64>,
    /// Only users active (using the API) for at least this many days.
    pub active_days: Option<i64>,
}

/// Lists every known user in detail: `GET /admin/user`.
pub fn get_admin_users(
    client: &Client,
    opts: &GetAdminUsersOptions,
) -> ApiRv<AdminUsersGetResponse> {
    call!(Api::Dm, "GET", "/admin/user")
        .query_some("idle_days", opts.idle_days)
        .query_some("active_days", opts.active_days)
        .error("Failed to get admin users")
        .run(client)
}

/// Prepares (creates) a user's Data Manager account: `PUT /admin/user/{user_id}`.
pub fn create_user_account(client: &Client, user_id: &str) -> ApiRv<UserAccountDetail> {
    call!(Api::Dm, "PUT", "/admin/user/{user_id}")
        .path("user_id", user_id)
        .error("Failed to create user account")
        .run(client)
}

/// Deletes a user's Data Manager account: `DELETE /admin/user/{user_id}`.
pub fn delete_user_account(client: &Client, user_id: &str) -> ApiRv<NoContent> {
    call!(Api::Dm, "DELETE", "/admin/user/{user_id}")
        .path("user_id", user_id)
        .error("Failed to delete user account")
        .run(client)
}

/// Optional arguments of [`update_user_account`].
#[derive(Clone, Debug, Default)]
pub struct UpdateUserAccountOptions {
    /// Suspends the account with this message; sent when `Some`, even empty.
    pub suspend_message: Option<String>,
}

/// Changes a user's account (e.g. suspends it): `PATCH /admin/user/{user_id}` with a form
/// (no body when there is nothing to change).
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use squonk2::dm_api::{self, UpdateUserAccountOptions};
/// let client = squonk2::Client::from_env()?;
/// let opts = UpdateUserAccountOptions {
///     suspend_message: Some("Suspended until the licence is renewed".to_string()),
/// };
/// dm_api::update_user_account(&client, "alice", &opts).into_result()?;
/// # Ok(())
/// # }
/// ```
pub fn update_user_account(
    client: &Client,
    user_id: &str,
    opts: &UpdateUserAccountOptions,
) -> ApiRv<NoContent> {
    call!(Api::Dm, "PATCH", "/admin/user/{user_id}")
        .path("user_id", user_id)
        .form_some("suspend_message", opts.suspend_message.as_deref())
        .error("Failed to update user account")
        .run(client)
}

/// Lists the registered job manifests: `GET /admin/job-manifest`.
pub fn get_job_manifests(client: &Client) -> ApiRv<AdminJobManifestGetResponse> {
    call!(Api::Dm, "GET", "/admin/job-manifest")
        .error("Failed to get job manifests")
        .run(client)
}

/// Optional arguments of [`put_job_manifest`].
#[derive(Clone, Debug, Default)]
pub struct PutJobManifestOptions {
    /// JSON text of the header names and values to fetch the manifest with.
    pub header: Option<String>,
    /// JSON text of the URL parameters to fetch the manifest with.
    pub params: Option<String>,
}

/// Registers a job manifest (typically a Git repository URL) and loads its jobs:
/// `PUT /admin/job-manifest` with a form. `msg` says what was loaded (`status`,
/// `num_jobs_loaded`, the failures, ...).
pub fn put_job_manifest(
    client: &Client,
    url: &str,
    opts: &PutJobManifestOptions,
) -> ApiRv<AdminJobManifestLoadPutResponse> {
    call!(Api::Dm, "PUT", "/admin/job-manifest")
        .require("url", url)
        .form_always("url", url)
        .form("header", &opts.header)
        .form("params", &opts.params)
        .error("Failed to put job manifest")
        .run(client)
}

/// Reloads the jobs of every registered manifest: `PUT /admin/job-manifest/load`.
/// `msg` says what was loaded, as for [`put_job_manifest`].
pub fn load_job_manifests(client: &Client) -> ApiRv<AdminJobManifestLoadPutResponse> {
    call!(Api::Dm, "PUT", "/admin/job-manifest/load")
        .error("Failed to load job manifests")
        .run(client)
}

/// Optional arguments of [`delete_job_manifest`].
#[derive(Clone, Debug, Default)]
pub struct DeleteJobManifestOptions {
    /// Also removes the manifest's jobs that nothing refers to.
    pub purge: bool,
}

/// Deletes a job manifest: `DELETE /admin/job-manifest/{job_manifest_id}`.
pub fn delete_job_manifest(
    client: &Client,
    job_manifest_id: i64,
    opts: &DeleteJobManifestOptions,
) -> ApiRv<NoContent> {
    call!(Api::Dm, "DELETE", "/admin/job-manifest/{job_manifest_id}")
        .require_positive("job_manifest_id", job_manifest_id)
        .path("job_manifest_id", job_manifest_id)
        .query("purge", opts.purge)
        .error("Failed to delete job manifest")
        .run(client)
}
