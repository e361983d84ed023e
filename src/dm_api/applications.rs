//! Applications: the kinds of instance that can be launched (Jupyter notebooks, the job
//! runner, ...).

use super::models::{ApplicationGetResponse, ApplicationsGetResponse};
use crate::api_rv::ApiRv;
use crate::client::{Api, Client};
use crate::request::call;

/// Lists the applications the caller can launch: `GET /application`.
pub fn get_applications(client: &Client) -> ApiRv<ApplicationsGetResponse> {
    call!(Api::Dm, "GET", "/application")
        .error("Failed to get applications")
        .run(client)
}

/// One application, e.g. `datamanagerjobs.squonk.it`: `GET /application/{app_id}`.
pub fn get_application(client: &Client, app_id: &str) -> ApiRv<ApplicationGetResponse> {
    call!(Api::Dm, "GET", "/application/{app_id}")
        .path("app_id", app_id)
        // Python says "Failed to get applications" (plural) for this one application.
        .error("Failed to get application")
        .run(client)
}
