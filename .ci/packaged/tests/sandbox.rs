//! What a user of the published crates writes: `squonk2-sandbox` as a dev-dependency, a
//! sandbox per test, and calls through `squonk2`.

use squonk2::{as_api, dm_api, Client};
use squonk2_sandbox::{Sandbox, AS_CLIENT_ID, DM_CLIENT_ID};

#[test]
fn the_published_pair_works_together() {
    let sandbox = Sandbox::start().expect("the sandbox starts");
    let client = Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .as_api_url(sandbox.as_api_url())
        .keycloak(sandbox.keycloak_url(), sandbox.realm())
        .dm_client_id(DM_CLIENT_ID)
        .as_client_id(AS_CLIENT_ID)
        .credentials("alice", "alice-password")
        .build()
        .expect("a client");

    let version = dm_api::get_version(&client).into_result().expect("DM version");
    assert!(version["version"].is_string(), "{version}");
    assert!(as_api::get_version(&client).success);

    let project = dm_api::create_project(
        &client,
        "packaged-check",
        dm_api::TEST_PRODUCT_ID,
        &Default::default(),
    )
    .into_result()
    .expect("a project");
    let id = project["project_id"].as_str().expect("a project id");
    assert!(sandbox.project_dir(id).is_some_and(|dir| dir.is_dir()));

    // The sandbox saw a login and the calls, with the token.
    let log = sandbox.requests();
    assert!(log
        .iter()
        .any(|r| r.path.ends_with("/openid-connect/token")
            && r.body.form_value("username") == Some("alice")));
    assert!(log
        .iter()
        .any(|r| r.method == "POST" && r.path == "/data-manager-api/project"));
}
