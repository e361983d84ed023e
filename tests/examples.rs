//! Every example, run as a user would run it, against a sandbox, with assertions on what it
//! prints and on the sandbox's state afterwards. `cargo test` builds the examples first.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::*;

/// The built example `name` (in target/<profile>/examples, beside this test's deps folder).
fn example(name: &str) -> Command {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path: PathBuf = profile_dir.join("examples").join(name);
    if !path.exists() {
        // `cargo test` builds every example; `cargo test --test examples` does not.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--example", name])
            .status()
            .unwrap();
        assert!(status.success(), "cannot build the example {name}");
    }
    let mut command = Command::new(path);
    // Examples must not depend on the developer's own settings.
    for var in [
        "SQUONK2_DMAPI_URL",
        "SQUONK2_ASAPI_URL",
        "SQUONK2_UIAPI_URL",
        "SQUONK2_ENVIRONMENTS_FILE",
        "SQUONK2_API_DEBUG_REQUESTS",
    ] {
        command.env_remove(var);
    }
    command
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn versions_runs_against_an_in_process_sandbox() {
    let output = example("versions").output().unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Data Manager: 5.0.1-sandbox"), "{stdout}");
    assert!(stdout.contains("Account Server: 4.4.0-sandbox"), "{stdout}");
    assert!(stdout.contains("Logged in"), "{stdout}");
}

#[test]
fn versions_reports_an_unreachable_deployment_without_panicking() {
    let output = example("versions")
        .env(
            "SQUONK2_DMAPI_URL",
            format!("http://127.0.0.1:{}/data-manager-api", dead_port()),
        )
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("unavailable (Failed getting version (connection refused))"),
        "{stdout}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn get_token_prints_a_working_token_and_nothing_else() {
    let sandbox = sandbox();
    let output = example("get_token")
        .args([
            sandbox.keycloak_url().as_str(),
            sandbox.realm(),
            "data-manager-api",
        ])
        .env("SQUONK2_KEYCLOAK_USER", "alice")
        .env("SQUONK2_KEYCLOAK_USER_PASSWORD", "alice-password")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let token = stdout.trim();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let client = squonk2::Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .dm_access_token(token)
        .build()
        .unwrap();
    assert!(
        squonk2::dm_api::ping(&client).success,
        "the printed token works"
    );
}

#[test]
fn get_token_fails_clearly() {
    let sandbox = sandbox();
    // Wrong password: a message naming the problem, a non-zero exit, no password shown.
    let output = example("get_token")
        .args([
            sandbox.keycloak_url().as_str(),
            sandbox.realm(),
            "data-manager-api",
        ])
        .env("SQUONK2_KEYCLOAK_USER", "alice")
        .env("SQUONK2_KEYCLOAK_USER_PASSWORD", "not-her-password")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(!output.status.success());
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("Invalid user credentials"), "{stderr}");
    assert!(!stderr.contains("not-her-password"), "{stderr}");
    // Missing variables and arguments.
    let output = example("get_token")
        .args([
            sandbox.keycloak_url().as_str(),
            sandbox.realm(),
            "data-manager-api",
        ])
        .env_remove("SQUONK2_KEYCLOAK_USER")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(text(&output).1.contains("SQUONK2_KEYCLOAK_USER is not set"));
    let output = example("get_token").arg("only-one").output().unwrap();
    assert!(!output.status.success());
    assert!(text(&output).1.contains("usage:"));
}

#[test]
fn list_environments_shows_every_environment_without_passwords() {
    let sandbox = sandbox();
    let dir = TempDir::new();
    let file = dir.path().join("environments");
    let yaml = format!(
        "{}  broken:\n    keycloak-hostname: kc.example.com\n",
        sandbox.environments_yaml()
    );
    std::fs::write(&file, yaml).unwrap();
    let output = example("list_environments")
        .env("SQUONK2_ENVIRONMENTS_FILE", &file)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("sandbox (default)"), "{stdout}");
    assert!(
        stdout.contains(&format!("Data Manager:   {}", sandbox.dm_api_url())),
        "{stdout}"
    );
    assert!(stdout.contains("Admin user:     dmit-admin"), "{stdout}");
    assert!(
        stdout.contains("broken\n  cannot be used:") && stdout.contains("'keycloak-realm'"),
        "{stdout}"
    );
    assert!(!stdout.contains("dmit-admin-password"), "{stdout}");

    let output = example("list_environments")
        .env("SQUONK2_ENVIRONMENTS_FILE", dir.path().join("missing"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(text(&output).1.contains("does not exist"));
}
