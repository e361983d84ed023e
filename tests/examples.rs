//! Every example, run as a user would run it, against a sandbox, with assertions on what it
//! prints and on the sandbox's state afterwards. `cargo test` builds the examples first.
// Most examples read the environments file.
#![cfg(feature = "environment")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use squonk2::dm_api::{self, JobExchangeRate, WaitOptions};
use squonk2::{as_api, Client};
use squonk2_sandbox::{Fault, FaultRule, Sandbox};

/// A file of this repository (examples/data/...).
fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Makes a project and returns its id.
fn project(client: &Client, name: &str) -> String {
    let msg = dm_api::create_project(client, name, dm_api::TEST_PRODUCT_ID, &Default::default())
        .into_result()
        .unwrap();
    msg["project_id"].as_str().unwrap().to_string()
}

/// Runs the `nop` Job in a project; with `wait`, until it ends. Returns the instance id.
fn run_nop(client: &Client, project_id: &str, name: &str, wait: bool) -> String {
    let spec = serde_json::json!({"collection": "im-test", "job": "nop", "version": "1.0.0"});
    let msg = dm_api::start_job_instance(client, project_id, name, &spec, &Default::default())
        .into_result()
        .unwrap();
    let instance_id = msg["instance_id"].as_str().unwrap().to_string();
    if wait {
        let opts = WaitOptions {
            poll_interval: Duration::from_millis(20),
            ..Default::default()
        };
        let done = dm_api::wait_for_instance(client, &instance_id, &opts)
            .into_result()
            .unwrap();
        assert_eq!(done["phase"], "COMPLETED");
    }
    instance_id
}

/// The ids of the instances `client` can see (every one, for an admin in admin mode).
fn instance_ids(client: &Client) -> Vec<String> {
    let msg = dm_api::get_available_instances(client)
        .into_result()
        .unwrap();
    sorted_texts(&msg["instances"], "id")
}

/// The names of the projects `client` can see.
fn project_names(client: &Client) -> Vec<String> {
    let msg = dm_api::get_available_projects(client, &Default::default())
        .into_result()
        .unwrap();
    sorted_texts(&msg["projects"], "name")
}

/// The text `field` of every object of the array `list`, sorted.
fn sorted_texts(list: &serde_json::Value, field: &str) -> Vec<String> {
    let mut texts: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o[field].as_str().unwrap().to_string())
        .collect();
    texts.sort();
    texts
}

/// Every instance of the sandbox, seen by an admin in admin mode.
fn all_instances(deployment: &Deployment) -> Vec<String> {
    let admin = deployment.admin();
    dm_api::set_admin_state(&admin, true, &Default::default())
        .into_result()
        .unwrap();
    let ids = instance_ids(&admin);
    dm_api::set_admin_state(&admin, false, &Default::default())
        .into_result()
        .unwrap();
    ids
}

/// Asserts that the admin user's admin mode is off and that it impersonates nobody.
fn assert_admin_mode_off(deployment: &Deployment) {
    let account = dm_api::get_account(&deployment.admin(), &Default::default())
        .into_result()
        .unwrap();
    assert_eq!(account["user"]["become_admin"], false, "{account}");
    assert_eq!(account["user"].get("impersonate"), None, "{account}");
}

/// The rates of the sandbox's Jobs, as `collection/job/version=rate` (`-` for none).
fn rates(client: &Client) -> Vec<String> {
    let msg = dm_api::get_job_exchange_rates(client, &Default::default())
        .into_result()
        .unwrap();
    rate_entries(&msg)
}

fn set_rates(client: &Client, rates: &[(&str, &str)]) {
    let rates: Vec<JobExchangeRate> = rates
        .iter()
        .map(|(job, rate)| JobExchangeRate {
            collection: "im-test".into(),
            job: job.to_string(),
            version: "1.0.0".into(),
            rate: rate.to_string(),
            comment: None,
        })
        .collect();
    // The admin role is enough: admin mode stays off.
    dm_api::set_job_exchange_rates(client, &rates)
        .into_result()
        .unwrap();
}

// The quickstart.

#[test]
fn quickstart_runs_every_step_against_an_in_process_sandbox() {
    let output = example("quickstart").output().unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("started a local sandbox at http://127.0.0.1:"));
    let mut at = 0;
    for step in [
        "1. Logging in",
        "logged in as alice",
        "2. Creating a project",
        "3. Uploading molecules.smi",
        "4. Starting the Job rdkit/rdkit-molprops/1.0.0",
        "5. Waiting for it to end",
        "COMPLETED (",
        "6. Reading its events",
        "Job completed.",
        "7. Downloading /work/molprops.smi",
        "| # This file was written by the squonk2 sandbox",
        "8. Cleaning up",
        "deleted the instance",
        "deleted the project",
        "Done: every step worked.",
    ] {
        let found = stdout[at..].find(step);
        assert!(
            found.is_some(),
            "{step:?} missing or out of order in\n{stdout}"
        );
        at += found.unwrap_or(0);
    }
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn quickstart_runs_against_a_deployment_named_by_variables() {
    let deployment = Deployment::start();
    let sandbox = &deployment.sandbox;
    let (ok, stdout, stderr) = deployment.run_with(
        example("quickstart")
            .env("SQUONK2_DMAPI_URL", sandbox.dm_api_url())
            .env("SQUONK2_KEYCLOAK_URL", sandbox.keycloak_url())
            .env("SQUONK2_KEYCLOAK_REALM", sandbox.realm())
            .env("SQUONK2_KEYCLOAK_USER", "bob")
            .env("SQUONK2_KEYCLOAK_USER_PASSWORD", "bob-password"),
    );
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "Using the Data Manager at {}",
            sandbox.dm_api_url()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("logged in as bob"), "{stdout}");
    // It ran there, and left nothing behind.
    let created = sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/data-manager-api/project")
        .count();
    assert_eq!(created, 1);
    assert!(project_names(&deployment.user("bob")).is_empty());
    assert!(all_instances(&deployment).is_empty());
}

#[test]
fn quickstart_runs_against_an_environment() {
    let deployment = Deployment::start();
    let (ok, stdout, stderr) =
        deployment.run_with(example("quickstart").env("SQUONK2_ENVIRONMENT", "sandbox"));
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Using the environment \"sandbox\""),
        "{stdout}"
    );
    assert!(stdout.contains("logged in as dmit-admin"), "{stdout}");
    assert!(project_names(&deployment.admin()).is_empty());
}

#[test]
fn quickstart_fails_clearly_and_cleans_up() {
    // Nothing listening: a message, a non-zero exit, no panic.
    let output = example("quickstart")
        .env(
            "SQUONK2_DMAPI_URL",
            format!("http://127.0.0.1:{}/data-manager-api", dead_port()),
        )
        .env("SQUONK2_KEYCLOAK_URL", "http://127.0.0.1:9/auth")
        .env("SQUONK2_KEYCLOAK_REALM", "squonk2")
        .env("SQUONK2_KEYCLOAK_USER", "alice")
        .env("SQUONK2_KEYCLOAK_USER_PASSWORD", "alice-password")
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert!(!output.status.success());
    assert!(stderr.contains("quickstart: "), "{stderr}");
    assert!(stderr.contains("connection refused"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A missing setting is named.
    let output = example("quickstart")
        .env("SQUONK2_DMAPI_URL", "http://127.0.0.1:9/data-manager-api")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(text(&output)
        .1
        .contains("SQUONK2_KEYCLOAK_URL must be set with SQUONK2_DMAPI_URL"));

    // A Job that fails: its events are shown, the error says why, the project is deleted.
    let deployment = Deployment::start();
    deployment
        .sandbox
        .fail_job("rdkit", "rdkit-molprops", "no RDKit in here");
    let (ok, stdout, stderr) =
        deployment.run_with(example("quickstart").env("SQUONK2_ENVIRONMENT", "sandbox"));
    assert!(!ok, "{stdout}");
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(stdout.contains("Job failed. no RDKit in here"), "{stdout}");
    assert!(stdout.contains("deleted the project"), "{stdout}");
    assert!(
        stderr.contains("the Job ended FAILED: no RDKit in here"),
        "{stderr}"
    );
    assert!(project_names(&deployment.admin()).is_empty());
}

// get_token and list_environments.

/// The `get_token` example with `sandbox`'s Keycloak URL, its realm and the Data Manager's
/// client id as arguments.
fn get_token_for(sandbox: &Sandbox) -> Command {
    let mut command = example("get_token");
    command.args([
        sandbox.keycloak_url().as_str(),
        sandbox.realm(),
        "data-manager-api",
    ]);
    command
}

#[test]
fn get_token_prints_a_working_token_and_nothing_else() {
    let sandbox = sandbox();
    let output = get_token_for(&sandbox)
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
    let output = get_token_for(&sandbox)
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
    let output = get_token_for(&sandbox)
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

// The Python client's examples.

#[test]
fn calc_rdkit_props_uploads_runs_downloads_and_deletes_the_instance() {
    let deployment = Deployment::start();
    let admin = deployment.admin();
    let project_id = project(&admin, "molprops");
    let input = repo_file("examples/data/molecules.smi");
    let output_file = deployment.dir.path().join("props.smi");
    let (ok, stdout, stderr) = deployment.run(
        "calc_rdkit_props",
        &[
            &project_id,
            input.to_str().unwrap(),
            "-o",
            output_file.to_str().unwrap(),
            "-e",
            "sandbox",
        ],
    );
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("Waiting (at most 30 min): "), "{stdout}");
    assert!(stdout.contains(" COMPLETED\n"), "{stdout}");
    let downloaded = std::fs::read_to_string(&output_file).unwrap();
    assert!(
        downloaded.contains("written by the squonk2 sandbox")
            && downloaded.contains("work/molecules.smi"),
        "{downloaded}"
    );
    // The input and the output stay in the project; the instance is gone.
    let listing = dm_api::list_project_files(
        &admin,
        &project_id,
        &dm_api::ListProjectFilesOptions {
            project_path: Some("/work".into()),
            ..Default::default()
        },
    )
    .into_result()
    .unwrap();
    let names = file_names(&listing);
    assert!(
        names.contains(&"molecules.smi") && names.contains(&"molecules-props.smi"),
        "{names:?}"
    );
    assert!(all_instances(&deployment).is_empty());

    // The same with a token and URL, and a Job that fails: the reason, a non-zero exit, and
    // the instance deleted all the same.
    deployment
        .sandbox
        .fail_job("rdkit", "rdkit-molprops", "out of RDKit");
    let token = admin.dm_access_token().unwrap().unwrap();
    let failed_output = deployment.dir.path().join("failed.smi");
    let (ok, stdout, stderr) = deployment.run(
        "calc_rdkit_props",
        &[
            &project_id,
            input.to_str().unwrap(),
            "-o",
            failed_output.to_str().unwrap(),
            "-t",
            &token,
            "-d",
            &deployment.sandbox.dm_api_url(),
        ],
    );
    assert!(!ok, "{stdout}");
    assert!(
        stderr.contains("the Job ended FAILED: out of RDKit"),
        "{stderr}"
    );
    assert!(stdout.contains("Deleted instance"), "{stdout}");
    assert!(!failed_output.exists());
    assert!(all_instances(&deployment).is_empty());

    // Bad arguments.
    let (ok, _, stderr) = deployment.run("calc_rdkit_props", &[&project_id, "missing.smi"]);
    assert!(
        !ok && stderr.contains("missing.smi is not a file"),
        "{stderr}"
    );
    let (ok, _, stderr) = deployment.run(
        "calc_rdkit_props",
        &[&project_id, input.to_str().unwrap(), "-t", "x"],
    );
    assert!(
        !ok && stderr.contains("a token needs the Data Manager URL"),
        "{stderr}"
    );
}

#[test]
fn job_chain_runs_the_jobs_in_order_and_deletes_their_instances() {
    let deployment = Deployment::start();
    let admin = deployment.admin();
    let project_id = project(&admin, "chain");
    let jobs = repo_file("examples/data/jobs.yaml");
    let (ok, stdout, stderr) = deployment.run(
        "job_chain",
        &[&project_id, jobs.to_str().unwrap(), "-e", "sandbox"],
    );
    assert!(ok, "{stdout}\n{stderr}");
    let a = stdout.find("Running Job \"Job A\"").unwrap();
    let b = stdout.find("Running Job \"Job B\"").unwrap();
    assert!(a < b, "{stdout}");
    assert_eq!(
        stdout.matches("  completed (instance").count(),
        2,
        "{stdout}"
    );
    assert_eq!(stdout.matches("  deleted instance-").count(), 2, "{stdout}");
    assert!(stdout.ends_with("Done [SUCCESS]\n"), "{stdout}");
    assert!(all_instances(&deployment).is_empty());

    // With a token, keeping the instances.
    let token = admin.dm_access_token().unwrap().unwrap();
    let dm_api_url = deployment.sandbox.dm_api_url();
    let one_job = deployment.dir.path().join("one.yaml");
    std::fs::write(
        &one_job,
        "- name: only\n  specification: {collection: im-test, job: nop, version: '1.0.0'}\n",
    )
    .unwrap();
    let (ok, stdout, _) = deployment.run(
        "job_chain",
        &[
            &project_id,
            one_job.to_str().unwrap(),
            "-t",
            &token,
            "-d",
            &dm_api_url,
            "--keep-instances",
        ],
    );
    assert!(ok, "{stdout}");
    assert!(stdout.contains("Keeping the instances"), "{stdout}");
    assert_eq!(instance_ids(&admin).len(), 1);
}

#[test]
fn job_chain_stops_at_the_first_failure() {
    let deployment = Deployment::start();
    let admin = deployment.admin();
    let project_id = project(&admin, "chain");
    let jobs = deployment.dir.path().join("jobs.json");
    // JSON is YAML too.
    std::fs::write(
        &jobs,
        r#"[
            {"name": "first", "specification": {"collection": "im-test", "job": "nop", "version": "1.0.0"}},
            {"name": "second", "wait_time_m": 1, "specification": {"collection": "im-test", "job": "coin-test", "version": "1.0.0", "variables": {"coin": "tails"}}},
            {"name": "third", "specification": {"collection": "im-test", "job": "nop", "version": "1.0.0"}}
        ]"#,
    )
    .unwrap();
    let (ok, stdout, _) = deployment.run(
        "job_chain",
        &[&project_id, jobs.to_str().unwrap(), "-e", "sandbox"],
    );
    assert!(!ok, "{stdout}");
    assert!(
        stdout.contains("failed: it ended FAILED: The coin landed tails"),
        "{stdout}"
    );
    assert!(!stdout.contains("\"third\""), "{stdout}");
    assert!(stdout.ends_with("Done [FAILED]\n"), "{stdout}");
    let launched = deployment
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/data-manager-api/instance")
        .count();
    assert_eq!(launched, 2);
    assert!(
        all_instances(&deployment).is_empty(),
        "the failed one is deleted too"
    );

    // A bad file: nothing starts.
    deployment.sandbox.clear_requests();
    std::fs::write(&jobs, "- name: x\n  specification: {job: nop}\n").unwrap();
    let (ok, _, stderr) = deployment.run(
        "job_chain",
        &[&project_id, jobs.to_str().unwrap(), "-e", "sandbox"],
    );
    assert!(!ok);
    assert!(
        stderr.contains("Job 1 of") && stderr.contains("needs a collection"),
        "{stderr}"
    );
    assert!(deployment
        .sandbox
        .requests()
        .iter()
        .all(|r| r.path != "/data-manager-api/instance"));
}

#[test]
fn units_products_and_projects_makes_and_deletes_in_reverse_order() {
    let deployment = Deployment::start();
    let admin = deployment.admin();
    // The organisation every sandbox starts with: nothing to set up first.
    let org_id = squonk2_sandbox::SANDBOX_ORG_ID;
    deployment.sandbox.clear_requests();
    let (ok, stdout, stderr) =
        deployment.run("units_products_and_projects", &[org_id, "-e", "sandbox"]);
    assert!(ok, "{stdout}\n{stderr}");
    // What was made and deleted, ids left out.
    let calls: Vec<String> = deployment
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "POST" || r.method == "DELETE")
        .filter(|r| !r.path.starts_with("/auth"))
        .map(|r| {
            let path: Vec<&str> = r
                .path
                .split('/')
                .map(|part| {
                    if part.contains('-') && part.len() > 30 {
                        "{id}"
                    } else {
                        part
                    }
                })
                .collect();
            format!("{} {}", r.method, path.join("/"))
        })
        .collect();
    assert_eq!(
        calls,
        [
            "POST /account-server-api/organisation/{id}/unit",
            "POST /account-server-api/product/unit/{id}",
            "POST /account-server-api/product/unit/{id}",
            "POST /data-manager-api/project",
            "DELETE /data-manager-api/project/{id}",
            "DELETE /account-server-api/product/{id}",
            "DELETE /account-server-api/product/{id}",
            "DELETE /account-server-api/unit/{id}",
        ],
        "{stdout}"
    );
    // Only what the organisation started with is left: its unit and two products.
    let units = as_api::get_organisation_units(&admin, org_id)
        .into_result()
        .unwrap();
    assert_eq!(units["count"], 1, "{units}");
    assert_eq!(units["units"][0]["id"], squonk2_sandbox::SANDBOX_UNIT_ID);
    let products = as_api::get_available_products(&admin)
        .into_result()
        .unwrap();
    assert_eq!(products["count"], 2, "{products}");
    assert!(project_names(&admin).is_empty());

    // The project cannot be made: what was made before is deleted.
    deployment.sandbox.clear_requests();
    deployment.sandbox.add_fault(
        FaultRule::new("/data-manager-api/project", Fault::error(503, "DM is down")).method("POST"),
    );
    let (ok, stdout, stderr) =
        deployment.run("units_products_and_projects", &[org_id, "-e", "sandbox"]);
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("DM is down"), "{stderr}");
    assert_eq!(stdout.matches("Deleted").count(), 3, "{stdout}");
    let units = as_api::get_organisation_units(&admin, org_id)
        .into_result()
        .unwrap();
    assert_eq!(units["count"], 1, "{units}");
}

// The admin tools.

#[test]
fn delete_all_instances_lists_without_do_it_and_deletes_with_it() {
    let deployment = Deployment::start();
    let (alice, bob) = (deployment.user("alice"), deployment.user("bob"));
    let alice_project = project(&alice, "alice's");
    let bob_project = project(&bob, "bob's");
    let alices = run_nop(&alice, &alice_project, "a", true);
    let bobs = run_nop(&bob, &bob_project, "b", true);
    let sandbox = &deployment.sandbox;
    let args = |extra: &[&str]| {
        let mut args = vec![
            "-k".to_string(),
            sandbox.base_url(),
            "-r".into(),
            sandbox.realm().into(),
            "-d".into(),
            sandbox.dm_api_url(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let run = |user: &str, extra: &[&str]| {
        deployment.run_with(
            example("delete_all_instances")
                .args(args(extra))
                .env("DMAPI_USERNAME", user)
                .env("DMAPI_USERNAME_PASSWORD", format!("{user}-password")),
        )
    };

    // Without --do-it: a listing, nothing deleted.
    let (ok, stdout, stderr) = run("dmit-admin", &["--admin"]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&alices) && stdout.contains(&bobs),
        "{stdout}"
    );
    assert!(stdout.contains("Found 2 instances"), "{stdout}");
    assert!(stdout.contains("Nothing deleted"), "{stdout}");
    assert_eq!(all_instances(&deployment).len(), 2);
    assert_admin_mode_off(&deployment);

    // Alice, not an admin, sees both projects but may only delete in her own.
    let (ok, stdout, _) = run("alice", &["--do-it"]);
    assert!(!ok, "{stdout}");
    assert!(stdout.contains(&format!("deleted {alices}")), "{stdout}");
    assert!(
        stdout.contains(&format!("could not delete {bobs}")),
        "{stdout}"
    );
    assert_eq!(all_instances(&deployment), vec![bobs]);

    // The admin deletes the rest, as its owner, and leaves admin mode.
    let (ok, stdout, _) = run("dmit-admin", &["--admin", "--do-it"]);
    assert!(ok, "{stdout}");
    assert!(stdout.contains("Deleted 1, failed 0"), "{stdout}");
    assert!(all_instances(&deployment).is_empty());
    assert_admin_mode_off(&deployment);

    // The user comes from the environment; the URL from -d or SQUONK2_DMAPI_URL.
    let (ok, _, stderr) = deployment.run_with(example("delete_all_instances").args(args(&[])));
    assert!(
        !ok && stderr.contains("DMAPI_USERNAME is not set"),
        "{stderr}"
    );
    let (ok, _, stderr) = deployment.run_with(
        example("delete_all_instances")
            .args(["-k", "example.com", "-r", "squonk2"])
            .env("DMAPI_USERNAME", "alice"),
    );
    assert!(!ok && stderr.contains("SQUONK2_DMAPI_URL"), "{stderr}");
}

#[test]
fn delete_test_projects_deletes_only_projects_with_the_prefix() {
    let deployment = Deployment::start();
    let (alice, bob) = (deployment.user("alice"), deployment.user("bob"));
    project(&alice, "test-a");
    project(&bob, "test-b");
    project(&alice, "keep test-c");

    let (ok, stdout, stderr) = deployment.run("delete_test_projects", &["sandbox", "test-"]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("\"test-a\"") && stdout.contains("\"test-b\""),
        "{stdout}"
    );
    assert!(stdout.contains("Found 2 of 3 projects"), "{stdout}");
    assert_eq!(project_names(&alice), ["keep test-c", "test-a", "test-b"]);
    assert_admin_mode_off(&deployment);

    let (ok, stdout, _) = deployment.run("delete_test_projects", &["sandbox", "test-", "--do-it"]);
    assert!(ok, "{stdout}");
    assert!(stdout.contains("Deleted 2, failed 0"), "{stdout}");
    assert_eq!(project_names(&alice), ["keep test-c"]);
    assert_admin_mode_off(&deployment);

    let (ok, _, stderr) = deployment.run("delete_test_projects", &["sandbox", ""]);
    assert!(!ok && stderr.contains("must not be empty"), "{stderr}");
}

#[test]
fn delete_old_instances_deletes_exactly_the_old_ones_and_leaves_admin_mode() {
    let deployment = Deployment::start();
    let (alice, bob) = (deployment.user("alice"), deployment.user("bob"));
    let (alice_project, bob_project) = (project(&alice, "a"), project(&bob, "b"));
    let old_alice = run_nop(&alice, &alice_project, "old", true);
    let old_bob = run_nop(&bob, &bob_project, "old", true);
    let recent = run_nop(&alice, &alice_project, "recent", true);
    deployment
        .sandbox
        .set_job_duration(Duration::from_secs(600));
    let running = run_nop(&bob, &bob_project, "running", false);
    let hours_ago = |hours: f64| now() as f64 - hours * 3600.0;
    deployment
        .sandbox
        .set_instance_stopped_at(&old_alice, hours_ago(100.0))
        .unwrap();
    deployment
        .sandbox
        .set_instance_stopped_at(&old_bob, hours_ago(50.0))
        .unwrap();
    deployment
        .sandbox
        .set_instance_stopped_at(&recent, hours_ago(1.0))
        .unwrap();
    let mut everything = vec![
        old_alice.clone(),
        old_bob.clone(),
        recent.clone(),
        running.clone(),
    ];
    everything.sort();

    // The default age is 96 hours; without --do-it nothing changes.
    let (ok, stdout, stderr) = deployment.run("delete_old_instances", &["sandbox"]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&old_alice) && !stdout.contains(&old_bob),
        "{stdout}"
    );
    assert!(stdout.contains("Found 1 of 4 instances"), "{stdout}");
    assert_eq!(all_instances(&deployment), everything);
    assert_admin_mode_off(&deployment);

    let (ok, stdout, _) = deployment.run("delete_old_instances", &["sandbox", "--age", "24"]);
    assert!(ok, "{stdout}");
    assert!(stdout.contains("Found 2 of 4 instances"), "{stdout}");
    assert_eq!(all_instances(&deployment), everything);

    let (ok, stdout, _) = deployment.run(
        "delete_old_instances",
        &["sandbox", "--age", "24", "--do-it"],
    );
    assert!(ok, "{stdout}");
    assert!(stdout.contains("Deleted 2, failed 0"), "{stdout}");
    let mut left = vec![recent.clone(), running.clone()];
    left.sort();
    assert_eq!(all_instances(&deployment), left);
    assert_admin_mode_off(&deployment);

    // A deletion that fails: reported, a non-zero exit, and admin mode still left.
    deployment.sandbox.add_fault(
        FaultRule::new(
            format!("/data-manager-api/instance/{recent}"),
            Fault::error(500, "the disk is on fire"),
        )
        .method("DELETE"),
    );
    let (ok, stdout, _) = deployment.run(
        "delete_old_instances",
        &["sandbox", "--age", "0", "--do-it"],
    );
    assert!(!ok, "{stdout}");
    assert!(stdout.contains("the disk is on fire"), "{stdout}");
    assert!(stdout.contains("Left admin mode"), "{stdout}");
    assert_eq!(
        all_instances(&deployment),
        left,
        "running instances are never touched"
    );
    assert_admin_mode_off(&deployment);
}

#[test]
fn delete_old_instances_reads_naive_and_zoned_stop_times() {
    // A real Data Manager writes naive UTC (`2026-12-01T20:09:51.813613`); older sandboxes
    // and other tools write `Z` or `+00:00`. The example must read all three.
    let deployment = Deployment::start();
    let alice = deployment.user("alice");
    let project_id = project(&alice, "times");
    for name in ["naive", "zulu", "offset", "garbled"] {
        run_nop(&alice, &project_id, name, true);
    }
    let at = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(100);
    let naive = format!("{:.6}", jiff::tz::Offset::UTC.to_datetime(at));
    // The sandbox's own listing, with the stop times written each way.
    let mut listing = dm_api::get_available_instances(&alice)
        .into_result()
        .unwrap();
    let mut ids = std::collections::HashMap::new();
    for instance in listing["instances"].as_array_mut().unwrap() {
        let name = instance["name"].as_str().unwrap().to_string();
        instance["stopped"] = match name.as_str() {
            "naive" => naive.clone(),
            "zulu" => format!("{naive}Z"),
            "offset" => format!("{naive}+00:00"),
            _ => "last tuesday".into(),
        }
        .into();
        ids.insert(name, instance["id"].as_str().unwrap().to_string());
    }
    deployment.sandbox.add_fault(
        FaultRule::new("/data-manager-api/instance", Fault::json(200, &listing)).method("GET"),
    );
    let (ok, stdout, stderr) = deployment.run("delete_old_instances", &["sandbox"]);
    assert!(ok, "{stdout}\n{stderr}");
    for name in ["naive", "zulu", "offset"] {
        let id = &ids[name];
        assert!(
            stdout.contains(&format!("[{id}] of alice")),
            "{name}: {stdout}"
        );
    }
    assert!(
        stdout.contains(&format!(
            "skipping {}: cannot read its stop time",
            ids["garbled"]
        )),
        "{stdout}"
    );
    assert!(stdout.contains("Found 3 of 4 instances"), "{stdout}");
}

#[test]
fn exchange_rates_round_trip_through_a_file() {
    let deployment = Deployment::start();
    let admin = deployment.admin();
    set_rates(&admin, &[("nop", "0.05"), ("coin-test", "1.5")]);
    let saved_rates = rates(&admin);
    let file = deployment.dir.path().join("rates.yaml");
    let file_arg = file.to_str().unwrap();

    let (ok, stdout, stderr) = deployment.run("save_exchange_rates", &["sandbox", file_arg]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("Saved 2 rates"), "{stdout}");
    assert!(stdout.contains("Jobs have no rate (not saved)"), "{stdout}");
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        saved.contains("job: nop") && saved.contains("rate: \"0.05\""),
        "{saved}"
    );

    // Change the rates; without --do-it loading changes nothing.
    set_rates(&admin, &[("nop", "0.07")]);
    let changed = rates(&admin);
    let (ok, stdout, _) = deployment.run("load_exchange_rates", &["sandbox", file_arg]);
    assert!(ok, "{stdout}");
    assert!(
        stdout.contains("im-test/nop/1.0.0: 0.05 (now 0.07)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("im-test/coin-test/1.0.0: 1.5 (unchanged)"),
        "{stdout}"
    );
    assert_eq!(rates(&admin), changed);

    // With --do-it the saved rates are back, and admin mode is off again.
    let (ok, stdout, _) = deployment.run("load_exchange_rates", &["sandbox", file_arg, "--do-it"]);
    assert!(ok, "{stdout}");
    assert!(stdout.contains("Set 1 rates, failed 0"), "{stdout}");
    assert_eq!(rates(&admin), saved_rates);
    assert_admin_mode_off(&deployment);

    // A file with a bad rate changes nothing.
    std::fs::write(
        &file,
        "- {collection: im-test, job: nop, version: 1.0.0, rate: '1'}\n\
         - {collection: im-test, job: nop, version: 1.0.0, rate: cheap}\n",
    )
    .unwrap();
    let (ok, _, stderr) = deployment.run("load_exchange_rates", &["sandbox", file_arg, "--do-it"]);
    assert!(
        !ok && stderr.contains("\"cheap\" is not a decimal number"),
        "{stderr}"
    );
    assert_eq!(rates(&admin), saved_rates);
}

#[test]
fn org_units_products_prints_the_tree_with_coins() {
    let deployment = Deployment::start();
    let admin = deployment.admin();
    let sandbox = &deployment.sandbox;
    sandbox
        .set_account_server_today(Some("2024-03-10"))
        .unwrap();
    let org = as_api::create_organisation(&admin, "Acme", "dmit-admin")
        .into_result()
        .unwrap();
    let org_id = org["id"].as_str().unwrap();
    let unit = as_api::create_unit(&admin, "Lab", org_id, 1)
        .into_result()
        .unwrap();
    let unit_id = unit["id"].as_str().unwrap();
    let product = as_api::create_product(
        &admin,
        "Lab storage",
        unit_id,
        "DATA_MANAGER_STORAGE_SUBSCRIPTION",
        &as_api::CreateProductOptions {
            allowance: 10,
            limit: 20,
            ..Default::default()
        },
    )
    .into_result()
    .unwrap();
    let product_id = product["id"].as_str().unwrap();
    sandbox
        .charge_product(product_id, "alice", "a Job", "2.5")
        .unwrap();
    // The charge was yesterday's: it counts as used.
    sandbox
        .set_account_server_today(Some("2024-03-11"))
        .unwrap();

    let (ok, stdout, stderr) = deployment.run("org_units_products", &["sandbox"]);
    assert!(ok, "{stdout}\n{stderr}");
    let expected = format!(
        "Organisation \"Acme\" [{org_id}]\n  Unit \"Lab\" [{unit_id}], billing day 1\n    \
         Product \"Lab storage\" [{product_id}]: storage\n      \
         coins: used 2.5, allowance 10, limit 20, predicted 2.5 this period\n"
    );
    assert!(stdout.contains(&expected), "{stdout}");
    assert!(stdout.contains("Organisation \"Default\""), "{stdout}");
    // Default, Acme and the Sandbox organisation every sandbox starts with (one unit, two
    // products).
    assert!(
        stdout.ends_with("3 organisations, 2 units, 3 products\n"),
        "{stdout}"
    );

    let (ok, _, stderr) = deployment.run("org_units_products", &["nowhere"]);
    assert!(
        !ok && stderr.contains("'nowhere' environment does not exist"),
        "{stderr}"
    );
}

// What every example shares: help, bad values, closed pipes, interrupts.

/// Every example, with the arguments that would make it work.
const EXAMPLES: [&str; 12] = [
    "calc_rdkit_props",
    "delete_all_instances",
    "delete_old_instances",
    "delete_test_projects",
    "get_token",
    "job_chain",
    "list_environments",
    "load_exchange_rates",
    "org_units_products",
    "quickstart",
    "save_exchange_rates",
    "units_products_and_projects",
];

#[test]
fn help_says_what_each_example_does_and_does_nothing() {
    let deployment = Deployment::start();
    deployment.sandbox.clear_requests();
    for name in EXAMPLES {
        // With everything set that would make it run against the sandbox.
        let (ok, stdout, stderr) = deployment.run_with(
            example(name)
                .arg("--help")
                .env("SQUONK2_ENVIRONMENT", "sandbox")
                .env("DMAPI_USERNAME", "dmit-admin")
                .env("DMAPI_USERNAME_PASSWORD", "dmit-admin-password"),
        );
        assert!(ok, "{name}: {stdout}\n{stderr}");
        assert!(stderr.is_empty(), "{name}: {stderr}");
        assert!(
            stdout.contains(&format!("usage: {name}")),
            "{name}: {stdout}"
        );
        assert!(stdout.contains("-h, --help"), "{name}: {stdout}");
        assert!(
            stdout.contains("Environment variables:\n  "),
            "{name}: {stdout}"
        );
        // Each flag with a value says, on its line, its default or that it is required.
        for line in stdout.lines().filter(|l| l.starts_with("  -")) {
            let takes_value = line.split_whitespace().any(|word| {
                word.len() > 1 && word.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            });
            assert!(
                !takes_value || line.contains("default") || line.contains("required"),
                "{name}: {line:?} says no default\n{stdout}"
            );
        }
    }
    // Nothing was called: no login, no project made.
    assert_eq!(deployment.sandbox.requests(), [], "a --help did something");
}

#[test]
fn a_bad_value_names_the_flag_and_the_value() {
    let deployment = Deployment::start();
    for (name, args, expected) in [
        (
            "delete_old_instances",
            &["sandbox", "--age", "abc"][..],
            "invalid value \"abc\" for --age: invalid float literal",
        ),
        (
            "calc_rdkit_props",
            &["p", "f", "--wait-minutes", "soon"][..],
            "invalid value \"soon\" for --wait-minutes: invalid digit",
        ),
    ] {
        let (ok, _, stderr) = deployment.run(name, args);
        assert!(!ok && stderr.contains(expected), "{name}: {stderr}");
    }
    assert_eq!(deployment.sandbox.requests(), []);
}

#[test]
fn nothing_found_prints_no_do_it_hint() {
    let deployment = Deployment::start();
    let (ok, stdout, stderr) = deployment.run("delete_old_instances", &["sandbox"]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("Found 0 of 0 instances"), "{stdout}");
    assert!(!stdout.contains("--do-it"), "{stdout}");
    let (ok, stdout, _) = deployment.run("delete_test_projects", &["sandbox", "test-"]);
    assert!(ok && !stdout.contains("--do-it"), "{stdout}");
    // Rates already as the file has them.
    let file = deployment.dir.path().join("rates.yaml");
    let (ok, stdout, stderr) =
        deployment.run("save_exchange_rates", &["sandbox", file.to_str().unwrap()]);
    assert!(ok, "{stdout}\n{stderr}");
    let (ok, stdout, _) =
        deployment.run("load_exchange_rates", &["sandbox", file.to_str().unwrap()]);
    assert!(ok && stdout.contains("Nothing to change"), "{stdout}");
    assert!(!stdout.contains("--do-it"), "{stdout}");
}

#[test]
fn a_closed_stdout_ends_the_example_quietly() {
    let deployment = Deployment::start();
    for (name, args) in [
        ("org_units_products", &["sandbox"][..]),
        ("delete_old_instances", &["sandbox"][..]),
        ("list_environments", &[][..]),
    ] {
        let mut child = example(name)
            .args(args)
            .env("SQUONK2_ENVIRONMENTS_FILE", &deployment.environments)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // As `| head -0`: the reader goes away before the first line.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{name}: {:?} {stderr}",
            output.status
        );
        assert!(stderr.is_empty(), "{name}: {stderr}");
    }
}

/// Runs an admin tool until it is in admin mode and waits on `method hung_path` (which
/// never answers), interrupts it, and checks it left admin mode and exited.
fn interrupt_in_admin_mode(
    deployment: &Deployment,
    command: &mut Command,
    method: &str,
    hung_path: &str,
) {
    deployment.sandbox.clear_requests();
    deployment.sandbox.add_fault(
        FaultRule::new(hung_path, Fault::Hang)
            .method(method)
            .times(1),
    );
    let mut child = command
        .env("SQUONK2_ENVIRONMENTS_FILE", &deployment.environments)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let waiting = wait_until(Duration::from_secs(30), || {
        deployment
            .sandbox
            .requests()
            .iter()
            .any(|r| r.method == method && r.path == hung_path)
    });
    assert!(waiting, "it never asked for {hung_path}");
    let account = dm_api::get_account(&deployment.admin(), &Default::default())
        .into_result()
        .unwrap();
    assert_eq!(
        account["user"]["become_admin"], true,
        "not in admin mode yet"
    );

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exited = wait_until(Duration::from_secs(30), || {
        child.try_wait().unwrap().is_some()
    });
    if !exited {
        let _ = child.kill();
    }
    assert!(exited, "it did not end on SIGINT");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted; left admin mode"), "{stderr}");
    // After the hung request, the sandbox saw admin mode switched off.
    let requests = deployment.sandbox.requests();
    let hung = requests.iter().position(|r| r.path == hung_path).unwrap();
    let left = requests[hung..].iter().any(|r| {
        r.method == "PATCH"
            && r.path == "/data-manager-api/user/account"
            && format!("{:?}", r.body).contains("become_admin=False")
    });
    assert!(left, "no request switched admin mode off");
    assert_admin_mode_off(deployment);
}

#[test]
fn an_interrupted_admin_tool_leaves_admin_mode() {
    let deployment = Deployment::start();
    let alice = deployment.user("alice");
    let project_id = project(&alice, "test-old");
    run_nop(&alice, &project_id, "old", true);

    let mut command = example("delete_old_instances");
    command.args(["sandbox", "--age", "0", "--do-it"]);
    interrupt_in_admin_mode(
        &deployment,
        &mut command,
        "GET",
        "/data-manager-api/instance",
    );

    let mut command = example("delete_test_projects");
    command.args(["sandbox", "test-", "--do-it"]);
    interrupt_in_admin_mode(
        &deployment,
        &mut command,
        "GET",
        "/data-manager-api/project",
    );

    let sandbox = &deployment.sandbox;
    let mut command = example("delete_all_instances");
    command
        .args(["-k", &sandbox.base_url(), "-r", sandbox.realm()])
        .args(["-d", &sandbox.dm_api_url(), "--admin", "--do-it"])
        .env("DMAPI_USERNAME", "dmit-admin")
        .env("DMAPI_USERNAME_PASSWORD", "dmit-admin-password");
    interrupt_in_admin_mode(
        &deployment,
        &mut command,
        "GET",
        "/data-manager-api/project",
    );

    // Nothing was deleted.
    assert_eq!(all_instances(&deployment).len(), 1);
    assert_eq!(project_names(&alice), ["test-old"]);

    // Interrupted while setting a rate.
    let admin = deployment.admin();
    let file = deployment.dir.path().join("rates.yaml");
    std::fs::write(
        &file,
        "- {collection: im-test, job: nop, version: 1.0.0, rate: '0.5'}\n",
    )
    .unwrap();
    // `nop` has no rate yet: it is listed with `only_undefined`.
    let rates = dm_api::get_job_exchange_rates(
        &admin,
        &dm_api::GetJobExchangeRatesOptions {
            only_undefined: true,
        },
    )
    .into_result()
    .unwrap();
    let nop = rates["exchange_rates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["job"] == "nop")
        .unwrap();
    let path = format!("/data-manager-api/job/{}/exchange-rate", nop["id"]);
    let mut command = example("load_exchange_rates");
    command.args(["sandbox", file.to_str().unwrap(), "--do-it"]);
    interrupt_in_admin_mode(&deployment, &mut command, "PUT", &path);
}

#[test]
fn calc_rdkit_props_and_job_chain_make_their_own_project() {
    let deployment = Deployment::start();
    let admin = deployment.admin();
    let input = repo_file("examples/data/molecules.smi");
    let output_file = deployment.dir.path().join("props.smi");
    let (ok, stdout, stderr) = deployment.run(
        "calc_rdkit_props",
        &[
            "--new-project",
            input.to_str().unwrap(),
            "-o",
            output_file.to_str().unwrap(),
            "-e",
            "sandbox",
        ],
    );
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("Made project project-"), "{stdout}");
    assert!(stdout.contains("Deleted project project-"), "{stdout}");
    assert!(output_file.exists());
    assert!(project_names(&admin).is_empty(), "the project is deleted");
    assert!(all_instances(&deployment).is_empty());

    let jobs = repo_file("examples/data/jobs.yaml");
    let (ok, stdout, stderr) = deployment.run(
        "job_chain",
        &[
            "--new-project",
            "--keep",
            jobs.to_str().unwrap(),
            "-e",
            "sandbox",
        ],
    );
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("Keeping project project-"), "{stdout}");
    let names = project_names(&admin);
    assert!(
        names.len() == 1 && names[0].starts_with("job_chain "),
        "{names:?}"
    );
    assert!(stdout.ends_with("Done [SUCCESS]\n"), "{stdout}");

    // A project id, or --new-project: not both, not neither.
    let (ok, _, stderr) = deployment.run("job_chain", &["--new-project", "p", "f"]);
    assert!(!ok && stderr.contains("(or --new-project)"), "{stderr}");
    let (ok, _, stderr) = deployment.run("job_chain", &["p", "f", "--keep"]);
    assert!(
        !ok && stderr.contains("--keep goes with --new-project"),
        "{stderr}"
    );
}

/// The crates an example (with the files of `examples/common/` it includes) uses, as named
/// in code (`serde_json::`, `use jiff::...`).
fn crates_used(source: &str) -> Vec<&'static str> {
    [
        "anyhow",
        "ctrlc",
        "jiff",
        "lexopt",
        "log",
        "serde",
        "serde_json",
        "serde_norway",
        "squonk2",
        "squonk2_sandbox",
        "ureq",
        "yaml_rust2",
    ]
    .into_iter()
    .filter(|krate| {
        source.match_indices(&format!("{krate}::")).any(|(at, _)| {
            // Not the tail of a longer name (`squonk2_sandbox::` is not `sandbox::`).
            !source[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
    .collect()
}

#[test]
fn every_example_names_the_crates_and_files_it_needs() {
    let dir = repo_file("examples");
    for name in EXAMPLES {
        let path = dir.join(format!("{name}.rs"));
        let mut source = std::fs::read_to_string(&path).unwrap();
        let header: String = source
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| l.trim_start_matches("//!").trim())
            .collect::<Vec<_>>()
            .join(" ");
        let needs = header
            .split("Needs ")
            .nth(1)
            .unwrap_or_else(|| panic!("{name} does not say what it needs"));
        // The shared files it includes must be named, and count as its source.
        for (module, file) in [
            ("mod common;", "common/mod.rs"),
            ("mod admin_mode;", "common/admin_mode.rs"),
        ] {
            if source.contains(module) {
                let copy = format!("`examples/{file}`");
                assert!(needs.contains(&copy), "{name} does not name {copy}");
                source.push_str(&std::fs::read_to_string(dir.join(file)).unwrap());
            }
        }
        let code: String = source
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for krate in crates_used(&code) {
            // The package's name: `serde_json`, but `yaml-rust2`.
            let named = |name: String| needs.contains(&format!("`{name}`"));
            assert!(
                named(krate.to_string()) || named(krate.replace('_', "-")),
                "{name} uses {krate} but does not name it at its top: {needs}"
            );
        }
    }
}

#[test]
fn the_readme_lists_every_variable_each_example_reads() {
    let readme = std::fs::read_to_string(repo_file("README.md")).unwrap();
    for name in EXAMPLES {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("no row for {name} in the README's examples table"));
        // The variables its --help lists.
        let output = example(name).arg("--help").output().unwrap();
        let help = text(&output).0;
        let variables = help
            .split("Environment variables:\n")
            .nth(1)
            .unwrap_or_default();
        let names: Vec<&str> = variables
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| {
                w.chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            })
            .collect();
        assert!(!names.is_empty(), "{name}: {help}");
        for variable in names {
            assert!(
                row.contains(&format!("`{variable}`")),
                "{name} reads {variable}, the README's row does not say so: {row}"
            );
        }
    }
    // The credential variables, and who reads them.
    for variable in [
        "SQUONK2_KEYCLOAK_USER",
        "SQUONK2_KEYCLOAK_USER_PASSWORD",
        "DMAPI_USERNAME",
        "DMAPI_USERNAME_PASSWORD",
    ] {
        let credentials = readme.split("### Credentials").nth(1).unwrap();
        assert!(credentials.contains(&format!("`{variable}`")), "{variable}");
    }
}

// watch_events (feature `event-stream`).

#[cfg(feature = "event-stream")]
#[test]
fn watch_events_prints_replayed_and_live_events_and_stops_after_max_events() {
    let deployment = Deployment::start();
    let admin = deployment.admin();
    ok(as_api::create_event_stream(
        &admin,
        as_api::EventStreamFormat::JsonString,
    ));
    let product = squonk2_sandbox::SANDBOX_TIER_PRODUCT_ID;
    for name in ["job-1", "job-2"] {
        deployment
            .sandbox
            .charge_product(product, ADMIN_USER, name, "2.50")
            .unwrap();
    }
    let (ok_, stdout, stderr) = deployment.run(
        "watch_events",
        &[
            "sandbox",
            "--from-ordinal",
            "0",
            "--max-events",
            "2",
            "--timeout",
            "20",
        ],
    );
    assert!(ok_, "{stdout}\n{stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0]["ordinal"], 1);
    assert_eq!(lines[1]["ordinal"], 2);
    assert_eq!(
        lines[0]["message_type"],
        "accountserver.MerchantProcessingCharge"
    );
    assert_eq!(lines[1]["body"]["name"], "job-2");
    assert_eq!(lines[1]["body"]["coins"], "2.50");
    assert!(stderr.contains("--from-ordinal 3"), "{stderr}");

    // Nothing new within the time-out: exit code 1, and why.
    let (ok_, stdout, stderr) = deployment.run("watch_events", &["sandbox", "--timeout", "0.5"]);
    assert!(!ok_, "{stdout}\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("no event arrived in 0.5 s"), "{stderr}");

    // Bad flags are named; --help does nothing else.
    let (ok_, _, stderr) = deployment.run("watch_events", &["sandbox", "--max-events", "x"]);
    assert!(!ok_);
    assert!(stderr.contains("--max-events"), "{stderr}");
    let (ok_, stdout, _) = deployment.run("watch_events", &["--help"]);
    assert!(ok_);
    assert!(stdout.contains("usage: watch_events"), "{stdout}");
}

#[cfg(all(feature = "event-stream", unix))]
#[test]
fn watch_events_ends_quietly_on_ctrl_c_and_says_where_to_carry_on() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let deployment = Deployment::start();
    let mut child = example("watch_events")
        .arg("sandbox")
        .env("SQUONK2_ENVIRONMENTS_FILE", &deployment.environments)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Charge until the watch (once connected and its stream made) prints one.
    let product = squonk2_sandbox::SANDBOX_TIER_PRODUCT_ID;
    let charger = {
        std::thread::scope(|scope| {
            let stdout = child.stdout.take().unwrap();
            let reading = scope.spawn(move || {
                let mut line = String::new();
                BufReader::new(stdout).read_line(&mut line).unwrap();
                line
            });
            let started = std::time::Instant::now();
            while !reading.is_finished() && started.elapsed() < Duration::from_secs(20) {
                let _ = deployment
                    .sandbox
                    .charge_product(product, ADMIN_USER, "job", "1");
                std::thread::sleep(Duration::from_millis(100));
            }
            reading.join().unwrap()
        })
    };
    let first: serde_json::Value = serde_json::from_str(&charger).unwrap();
    let ordinal = first["ordinal"].as_i64().unwrap();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("carry on with --from-ordinal"),
        "{stderr} (after ordinal {ordinal})"
    );
}
