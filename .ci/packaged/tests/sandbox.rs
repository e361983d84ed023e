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

    let version = dm_api::get_version(&client)
        .into_result()
        .expect("DM version");
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
    assert!(log.iter().any(|r| r.path.ends_with("/openid-connect/token")
        && r.body.form_value("username") == Some("alice")));
    assert!(log
        .iter()
        .any(|r| r.method == "POST" && r.path == "/data-manager-api/project"));
}

/// The command line built from its package (`.ci/packaged/run.sh` sets the variable):
/// configured by the variables, it logs in, calls, and answers JSON; a failure has its exit
/// code.
#[test]
fn the_published_command_line_calls_the_sandbox() {
    let Some(binary) = std::env::var_os("SQUONK2_PACKAGED_CLI") else {
        panic!("SQUONK2_PACKAGED_CLI is not set: run .ci/packaged/run.sh");
    };
    let sandbox = Sandbox::start().expect("the sandbox starts");
    let squonk2 = |args: &[&str]| {
        std::process::Command::new(&binary)
            .args(args)
            .env_clear()
            .env("SQUONK2_DMAPI_URL", sandbox.dm_api_url())
            .env("SQUONK2_ASAPI_URL", sandbox.as_api_url())
            .env("SQUONK2_KEYCLOAK_URL", sandbox.keycloak_url())
            .env("SQUONK2_KEYCLOAK_REALM", sandbox.realm())
            .env("SQUONK2_KEYCLOAK_DM_CLIENT_ID", DM_CLIENT_ID)
            .env("SQUONK2_KEYCLOAK_AS_CLIENT_ID", AS_CLIENT_ID)
            .env("SQUONK2_KEYCLOAK_USER", "alice")
            .env("SQUONK2_KEYCLOAK_USER_PASSWORD", "alice-password")
            .output()
            .expect("the packaged binary runs")
    };

    let created = squonk2(&[
        "dm",
        "create-project",
        "from-the-cli",
        dm_api::TEST_PRODUCT_ID,
    ]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let project: serde_json::Value =
        serde_json::from_slice(&created.stdout).expect("JSON on stdout");
    let id = project["project_id"].as_str().expect("a project id");
    assert!(sandbox.project_dir(id).is_some_and(|dir| dir.is_dir()));

    // An unknown project: HTTP 404, exit code 12, the error on stderr.
    let missing = squonk2(&[
        "dm",
        "get-project",
        "project-00000000-0000-0000-0000-000000000000",
    ]);
    assert_eq!(missing.status.code(), Some(12));
    assert!(missing.stdout.is_empty());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("404"));
}
