//! What the benchmarks share: the sandbox's admin user, and a client logged in to a sandbox
//! with a project to call.

use squonk2::dm_api::{self, CreateProjectOptions};
use squonk2::Client;
use squonk2_sandbox::{Sandbox, DM_CLIENT_ID};

/// The sandbox's admin user and password.
pub const USER: &str = "dmit-admin";
pub const PASSWORD: &str = "dmit-admin-password";

/// A client of `sandbox`'s Data Manager logged in as [`USER`], its token, and the id of a
/// new project.
pub fn logged_in(sandbox: &Sandbox) -> (Client, String, String) {
    let client = Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .keycloak(sandbox.keycloak_url(), sandbox.realm())
        .dm_client_id(DM_CLIENT_ID)
        .credentials(USER, PASSWORD)
        .build()
        .expect("client");
    let token = client.dm_access_token().expect("login").expect("a token");
    let project = dm_api::create_project(
        &client,
        "bench",
        dm_api::TEST_PRODUCT_ID,
        &CreateProjectOptions::default(),
    )
    .typed()
    .expect("project");
    (client, token, project.project_id)
}
