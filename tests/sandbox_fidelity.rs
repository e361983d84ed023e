//! The sandbox answers as the real services do where the official types leave it open
//! (optional fields, timestamp form, who may call what), and starts with what a team needs:
//! an organisation, and fixtures. Driven through the SDK; see sandbox/FIDELITY.md.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use squonk2::as_api;
use squonk2::dm_api::{self, GetApiLogOptions, GetUserInventoryOptions, WaitOptions};
use squonk2::Client;
use squonk2_sandbox::{
    Sandbox, SANDBOX_ORG_ID, SANDBOX_STORAGE_PRODUCT_ID, SANDBOX_TIER_PRODUCT_ID, SANDBOX_UNIT_ID,
};

fn quick_sandbox() -> Sandbox {
    Sandbox::builder()
        .job_duration(Duration::from_millis(100))
        .start()
        .expect("the sandbox starts")
}

fn project_on(client: &Client, name: &str, product_id: &str) -> String {
    let msg = ok(dm_api::create_project(
        client,
        name,
        product_id,
        &Default::default(),
    ));
    msg["project_id"].as_str().unwrap().to_string()
}

/// Runs `im-test` `nop` in a project until it completes; the instance id.
fn run_nop(client: &Client, project_id: &str) -> String {
    let spec = serde_json::json!({"collection": "im-test", "job": "nop", "version": "1.0.0"});
    let msg = ok(dm_api::start_job_instance(
        client,
        project_id,
        "nop-run",
        &spec,
        &Default::default(),
    ));
    let instance_id = msg["instance_id"].as_str().unwrap().to_string();
    let opts = WaitOptions {
        poll_interval: Duration::from_millis(20),
        ..Default::default()
    };
    let done = ok(dm_api::wait_for_instance(client, &instance_id, &opts));
    assert_eq!(done["phase"], "COMPLETED", "{done}");
    instance_id
}

/// Naive UTC as Python's `isoformat()` writes it: no zone, microseconds or none.
fn assert_naive_utc(value: &Value, what: &str) {
    let text = value.as_str().unwrap_or_else(|| panic!("{what}: {value}"));
    let (date, time) = text
        .split_once('T')
        .unwrap_or_else(|| panic!("{what}: {text}"));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let date: Vec<&str> = date.split('-').collect();
    let (clock, fraction) = time.split_once('.').unwrap_or((time, "123456"));
    let clock: Vec<&str> = clock.split(':').collect();
    assert!(
        date.len() == 3
            && [4, 2, 2] == [date[0].len(), date[1].len(), date[2].len()]
            && date.iter().all(|p| digits(p))
            && clock.len() == 3
            && clock.iter().all(|p| p.len() == 2 && digits(p))
            && fraction.len() == 6
            && digits(fraction),
        "{what} is not naive UTC with microseconds: {text:?}"
    );
}

#[test]
fn job_charges_carry_the_job_in_additional_data() {
    let sandbox = quick_sandbox();
    let alice = user_client(&sandbox, "alice");
    let project_id = project_on(&alice, "charged", SANDBOX_TIER_PRODUCT_ID);
    let instance_id = run_nop(&alice, &project_id);
    let charges = ok(as_api::get_product_charges(
        &alice,
        SANDBOX_TIER_PRODUCT_ID,
        &Default::default(),
    ));
    // What the vendor's get-job-executions tool reads.
    let charge = &charges["processing_charges"][0]["charge"];
    let data = &charge["additional_data"];
    assert_eq!(data["job_collection"], "im-test", "{charges}");
    assert_eq!(data["job_job"], "nop");
    assert_eq!(data["job_version"], "1.0.0");
    assert_eq!(data["instance_id"], instance_id.as_str());
    assert_eq!(data["project_id"], project_id.as_str());
    assert_naive_utc(&data["started"], "additional_data.started");
    assert_naive_utc(&charge["timestamp"], "charge timestamp");
}

#[test]
fn storage_charge_items_say_what_is_stored() {
    let sandbox = quick_sandbox();
    let alice = user_client(&sandbox, "alice");
    sandbox
        .set_product_storage(SANDBOX_STORAGE_PRODUCT_ID, 3 << 30)
        .unwrap();
    let charges = ok(as_api::get_product_charges(
        &alice,
        SANDBOX_STORAGE_PRODUCT_ID,
        &Default::default(),
    ));
    // The vendor's coins tool takes the item with `current_bytes` as the burn rate.
    let item = &charges["storage_charges"]["items"][0];
    assert_eq!(
        item["additional_data"]["current_bytes"],
        3u64 << 30,
        "{charges}"
    );
    assert_eq!(item["current_burn_rate"], "3.00");
    assert!(item.get("closed").is_none(), "{item}");

    // The next day that item is closed (at midnight, naive UTC) and a new one is open.
    sandbox
        .set_account_server_today(Some("2024-03-15"))
        .unwrap();
    sandbox
        .set_product_storage(SANDBOX_STORAGE_PRODUCT_ID, 1 << 30)
        .unwrap();
    sandbox
        .set_account_server_today(Some("2024-03-16"))
        .unwrap();
    sandbox
        .set_product_storage(SANDBOX_STORAGE_PRODUCT_ID, 1)
        .unwrap();
    let charges = ok(as_api::get_product_charges(
        &alice,
        SANDBOX_STORAGE_PRODUCT_ID,
        &Default::default(),
    ));
    let items = charges["storage_charges"]["items"].as_array().unwrap();
    let closed = items
        .iter()
        .find(|i| i["date"] == "2024-03-15")
        .unwrap_or_else(|| panic!("{charges}"));
    assert_eq!(closed["closed"], "2024-03-16T00:00:00", "{closed}");
    assert_eq!(
        closed["additional_data"]["peak_bytes"],
        1u64 << 30,
        "{closed}"
    );
    assert!(closed["additional_data"].get("current_bytes").is_none());
    let open = items.iter().find(|i| i["date"] == "2024-03-16").unwrap();
    assert_eq!(open["additional_data"]["current_bytes"], 1, "{open}");
}

#[test]
fn instances_report_their_coins_and_cost() {
    let sandbox = quick_sandbox();
    let alice = user_client(&sandbox, "alice");
    let project_id = project_on(&alice, "coins", dm_api::TEST_PRODUCT_ID);
    let instance_id = run_nop(&alice, &project_id);
    let instance = ok(dm_api::get_instance(&alice, &instance_id));
    assert_eq!(instance["coins"], "1", "{instance}");
    assert_eq!(instance["cost"], "1");
    assert_eq!(instance["rendered_outputs"], "{}");
    for key in ["launched", "started", "stopped"] {
        assert_naive_utc(&instance[key], key);
    }
    let listing = ok(dm_api::get_available_instances(&alice));
    // What im-squad's Coins column shows.
    assert_eq!(listing["instances"][0]["coins"], "1", "{listing}");
    assert_naive_utc(&listing["instances"][0]["stopped"], "summary stopped");
}

#[test]
fn projects_report_their_product_flavour() {
    let sandbox = quick_sandbox();
    let alice = user_client(&sandbox, "alice");
    let on_tier = project_on(&alice, "bronze", SANDBOX_TIER_PRODUCT_ID);
    let project = ok(dm_api::get_project(&alice, &on_tier));
    assert_eq!(project["product_flavour"], "BRONZE", "{project}");
    assert_eq!(project["unit_id"], SANDBOX_UNIT_ID);
    assert_eq!(project["organisation_id"], SANDBOX_ORG_ID);
    assert_naive_utc(&project["created"], "project created");
    let on_test = project_on(&alice, "evaluation", dm_api::TEST_PRODUCT_ID);
    let project = ok(dm_api::get_project(&alice, &on_test));
    assert_eq!(project["product_flavour"], "EVALUATION", "{project}");
}

#[test]
fn the_api_log_has_status_codes_durations_and_bodies() {
    let sandbox = quick_sandbox();
    let alice = user_client(&sandbox, "alice");
    project_on(&alice, "logged", dm_api::TEST_PRODUCT_ID);
    // Refused: no such product.
    let refused = dm_api::create_project(&alice, "refused", "product-nope", &Default::default());
    assert_eq!(refused.http_status_code, 400);
    let log = ok(dm_api::get_api_log(&alice, &GetApiLogOptions::default()));
    let entries = log["api_log"].as_array().unwrap();
    let posts: Vec<&Value> = entries.iter().filter(|e| e["path"] == "/project").collect();
    assert_eq!(posts.len(), 2, "{log}");
    assert_eq!(posts[0]["status_code"], 201, "{log}");
    assert_eq!(posts[1]["status_code"], 400, "{log}");
    for entry in &posts {
        // Humanised nanoseconds: 7969400 is "7,969,400".
        let duration = entry["duration_ns"].as_str().unwrap();
        let groups: Vec<&str> = duration.split(',').collect();
        assert!(
            !groups[0].is_empty()
                && groups[0].len() <= 3
                && groups[1..].iter().all(|g| g.len() == 3)
                && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit())),
            "{duration:?}"
        );
        assert_naive_utc(&entry["began"], "api log began");
    }
    let body: Value = serde_json::from_str(posts[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["name"], "logged", "{log}");

    // A call with query parameters logs them in `params`.
    let project_id = project_on(&alice, "with a path", dm_api::TEST_PRODUCT_ID);
    ok(dm_api::create_project_path(&alice, &project_id, "work"));
    let log = ok(dm_api::get_api_log(&alice, &GetApiLogOptions::default()));
    let put = log["api_log"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["method"] == "PUT" && e["path"] == "/path")
        .cloned()
        .unwrap_or_else(|| panic!("{log}"));
    let params: Value = serde_json::from_str(put["params"].as_str().unwrap()).unwrap();
    assert_eq!(params["path"], "/work", "{put}");
    assert_eq!(put["status_code"], 201, "{put}");

    // Credentials in a body (a manifest's request headers) stay out of the log.
    let admin = client_for(&sandbox);
    ok(dm_api::set_admin_state(&admin, true, &Default::default()));
    let with_header = dm_api::PutJobManifestOptions {
        header: Some(r#"{"Authorization": "Bearer very-secret-token"}"#.into()),
        ..Default::default()
    };
    ok(dm_api::put_job_manifest(
        &admin,
        sandbox.builtin_job_manifest_url(),
        &with_header,
    ));
    let log = ok(dm_api::get_api_log(&admin, &GetApiLogOptions::default()));
    assert!(!log.to_string().contains("very-secret-token"), "{log}");
    let put = log["api_log"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "/admin/job-manifest")
        .cloned()
        .unwrap_or_else(|| panic!("{log}"));
    let body: Value = serde_json::from_str(put["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["header"], "***", "{put}");
    assert_eq!(body["url"], sandbox.builtin_job_manifest_url(), "{put}");
    // The manifest itself keeps its header (the API gives it to admins).
    let manifests = ok(dm_api::get_job_manifests(&admin));
    assert_eq!(
        manifests["job_manifests"][0]["header"], r#"{"Authorization": "Bearer very-secret-token"}"#,
        "{manifests}"
    );
}

#[test]
fn dataset_tasks_and_versions_report_stage_deletion_and_extra_variables() {
    let sandbox = quick_sandbox();
    sandbox.set_dataset_duration(Duration::from_millis(50));
    let alice = user_client(&sandbox, "alice");
    let dir = TempDir::new();
    let file = dir.path().join("one.sdf");
    std::fs::write(
        &file,
        "benzene\n\n\n  0  0  0  0  0  0            999 V2000\nM  END\n$$$$\n",
    )
    .unwrap();
    let upload = dm_api::UploadDatasetOptions {
        format_extra_variables: Some("{\"sanitise\": true}".into()),
        ..Default::default()
    };
    let created = ok(dm_api::upload_dataset(
        &alice,
        &file,
        "chemical/x-mdl-sdfile",
        dm_api::TEST_UNIT_ID,
        &upload,
    ));
    let task_id = created["task_id"].as_str().unwrap();
    let opts = WaitOptions {
        poll_interval: Duration::from_millis(20),
        ..Default::default()
    };
    ok(dm_api::wait_for_task(&alice, task_id, &opts));
    let tasks = ok(dm_api::get_available_tasks(&alice, &Default::default()));
    let task = tasks["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == task_id)
        .cloned()
        .unwrap_or_else(|| panic!("{tasks}"));
    assert_eq!(task["purpose"], "DATASET");
    assert_eq!(task["purpose_version"], 1, "{task}");
    assert_eq!(task["processing_stage"], "DONE", "{task}");
    assert_naive_utc(&task["created"], "task created");

    // A deleted version, listed with the deleted ones, says when and by whom; every version
    // keeps the upload's extra variables.
    let dataset_id = created["dataset_id"].as_str().unwrap();
    let deleted = ok(dm_api::delete_dataset(
        &alice,
        dataset_id,
        1,
        &Default::default(),
    ));
    ok(dm_api::wait_for_task(
        &alice,
        deleted["task_id"].as_str().unwrap(),
        &opts,
    ));
    let versions = ok(dm_api::get_dataset_versions(
        &alice,
        dataset_id,
        &dm_api::GetDatasetVersionsOptions {
            include_deleted: true,
        },
    ));
    let version = &versions["versions"][0];
    assert_eq!(version["deleting_user"], "alice", "{versions}");
    assert_naive_utc(&version["deleted"], "version deleted");
    assert_eq!(version["format_extra_variables"], "{\"sanitise\": true}");
}

#[test]
fn members_of_a_unit_or_organisation_may_see_its_user_inventory() {
    let sandbox = quick_sandbox();
    sandbox.add_user("carol", "carol-password", false);
    let (alice, bob, carol) = (
        user_client(&sandbox, "alice"),
        user_client(&sandbox, "bob"),
        user_client(&sandbox, "carol"),
    );
    project_on(&alice, "inventoried", SANDBOX_TIER_PRODUCT_ID);
    let of_org = GetUserInventoryOptions {
        org_id: Some(SANDBOX_ORG_ID.into()),
        ..Default::default()
    };
    let of_unit = GetUserInventoryOptions {
        unit_id: Some(SANDBOX_UNIT_ID.into()),
        ..Default::default()
    };
    for (who, client) in [("alice", &alice), ("bob", &bob)] {
        for opts in [&of_org, &of_unit] {
            let inventory = ok(dm_api::get_user_inventory(client, opts));
            assert_eq!(
                inventory["users"][0]["username"], "alice",
                "{who}: {inventory}"
            );
        }
    }
    // Not a member (and not an admin in admin mode).
    let refused = dm_api::get_user_inventory(&carol, &of_org);
    assert_eq!(refused.http_status_code, 403, "{refused:?}");
    let refused = dm_api::get_user_inventory(&carol, &of_unit);
    assert_eq!(refused.http_status_code, 403, "{refused:?}");
}

#[test]
fn account_server_timestamps_are_naive_utc() {
    let sandbox = quick_sandbox();
    let admin = client_for(&sandbox);
    let org = ok(as_api::create_organisation(&admin, "Naive", "alice"));
    let orgs = ok(as_api::get_organisations(&admin, &Default::default()));
    let created = orgs["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == org["id"])
        .map(|o| o["created"].clone())
        .unwrap();
    assert_naive_utc(&created, "organisation created");
}

#[test]
fn a_fresh_sandbox_has_an_organisation_for_alice_and_bob() {
    let sandbox = quick_sandbox();
    let (alice, bob) = (user_client(&sandbox, "alice"), user_client(&sandbox, "bob"));
    for client in [&alice, &bob] {
        let orgs = ok(as_api::get_organisations(client, &Default::default()));
        let sandbox_org = orgs["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == SANDBOX_ORG_ID)
            .cloned()
            .unwrap_or_else(|| panic!("{orgs}"));
        assert_eq!(sandbox_org["name"], "Sandbox");
        assert_eq!(sandbox_org["caller_is_member"], true);
        let products = ok(as_api::get_products_for_unit(client, SANDBOX_UNIT_ID));
        let mut kinds: Vec<&str> = products["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["product"]["type"].as_str().unwrap())
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            [
                "DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION",
                "DATA_MANAGER_STORAGE_SUBSCRIPTION"
            ]
        );
    }
    // Its project-tier product takes a project, and is claimed by it.
    let project_id = project_on(&bob, "team work", SANDBOX_TIER_PRODUCT_ID);
    let product = ok(as_api::get_product(&bob, SANDBOX_TIER_PRODUCT_ID));
    assert_eq!(
        product["product"]["claim"]["id"],
        project_id.as_str(),
        "{product}"
    );
}

const TEAM_FIXTURE: &str = "\
users:
  - {username: carol, password: carol-password}
  - {username: dave, password: dave-password, admin: true}
organisations:
  - name: Acme
    id: org-acme0000-0000-4000-8000-000000000000
    owner: carol
    members: [alice]
    units:
      - name: Chemistry
        id: unit-acme0000-0000-4000-8000-000000000000
        billing_day: 3
        members: [dave]
        products:
          - name: Chemistry tier
            type: DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION
            flavour: SILVER
          - name: Chemistry storage
            type: DATA_MANAGER_STORAGE_SUBSCRIPTION
            allowance: 50
            limit: 60
projects:
  - name: Screening
    product: Chemistry tier
    creator: carol
    private: true
    editors: [dave]
    observers: [alice]
    files:
      - {path: data/ligands.smi, content: \"C1=CC=CC=C1 benzene\\n\"}
      - {path: notes.txt, content: hello}
";

#[test]
fn a_fixture_preloads_users_organisations_projects_and_files() {
    let sandbox = Sandbox::builder()
        .fixture_yaml(TEAM_FIXTURE)
        .start()
        .unwrap();
    let carol = user_client(&sandbox, "carol");
    let units = ok(as_api::get_organisation_units(
        &carol,
        "org-acme0000-0000-4000-8000-000000000000",
    ));
    assert_eq!(units["units"][0]["name"], "Chemistry", "{units}");
    assert_eq!(units["units"][0]["billing_day"], 3);
    assert_eq!(
        units["units"][0]["owner_id"], "carol",
        "the organisation's owner"
    );
    let products = ok(as_api::get_products_for_unit(
        &carol,
        "unit-acme0000-0000-4000-8000-000000000000",
    ));
    assert_eq!(products["count"], 2, "{products}");

    let projects = ok(dm_api::get_available_projects(&carol, &Default::default()));
    let project = projects["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Screening")
        .cloned()
        .unwrap_or_else(|| panic!("{projects}"));
    assert_eq!(project["private"], true);
    assert_eq!(project["product_flavour"], "SILVER");
    assert_eq!(project["administrators"], serde_json::json!(["carol"]));
    assert_eq!(project["editors"], serde_json::json!(["carol", "dave"]));
    assert_eq!(project["observers"], serde_json::json!(["alice"]));
    let project_id = project["project_id"].as_str().unwrap();
    let in_data = dm_api::ListProjectFilesOptions {
        project_path: Some("/data".into()),
        ..Default::default()
    };
    let files = ok(dm_api::list_project_files(&carol, project_id, &in_data));
    assert_eq!(file_names(&files), ["ligands.smi"], "{files}");
    let text = std::fs::read_to_string(sandbox.project_dir(project_id).unwrap().join("notes.txt"))
        .unwrap();
    assert_eq!(text, "hello");
    // The fixture's admin-capable user is one.
    let dave = user_client(&sandbox, "dave");
    let account = ok(dm_api::get_account(&dave, &Default::default()));
    assert_eq!(account["caller_has_admin_privilege"], true, "{account}");
}

#[test]
fn a_wrong_fixture_stops_the_start_with_the_reason() {
    for (fixture, reason) in [
        ("organisations:\n  - {name: X, owner: nobody}\n", "no user called \"nobody\""),
        (
            "organisations:\n  - name: X\n    owner: alice\n    units:\n      - name: U\n        products:\n          - {name: P, type: GOLD}\n",
            "the type must be",
        ),
        (
            "projects:\n  - name: P\n    creator: alice\n    files: [{path: ../escape, content: x}]\n",
            "is not a project-relative file path",
        ),
        ("projects:\n  - {name: P, creator: alice, product: nope}\n", "no project-tier product"),
        ("colour: blue\n", "unknown field `colour`"),
        (
            "organisations:\n  - {name: Sandbox, owner: alice}\n",
            "an organisation of that name exists",
        ),
    ] {
        let error = Sandbox::builder()
            .fixture_yaml(fixture)
            .start()
            .err()
            .unwrap_or_else(|| panic!("started with {fixture}"));
        assert_eq!(error.kind(), squonk2_sandbox::ErrorKind::Fixture);
        assert!(error.to_string().contains(reason), "{error}");
    }
}

#[test]
fn workflow_listings_and_runs_carry_their_optional_fields() {
    let sandbox = quick_sandbox();
    let alice = user_client(&sandbox, "alice");
    let project_id = project_on(&alice, "workflows", dm_api::TEST_PRODUCT_ID);
    let definition = "kind: DataManagerWorkflow\nkind-version: \"2025.1\"\nname: just-nop\n\
                      steps:\n- name: only\n  specification: {collection: im-test, job: nop, \
                      version: \"1.0.0\"}\n";
    let created = ok(dm_api::create_workflow(
        &alice,
        "nop once",
        dm_api::ScopeEnum::Global,
        &dm_api::CreateWorkflowOptions {
            definition: Some(definition.into()),
            ..Default::default()
        },
    ));
    assert_eq!(created["validated"], true, "{created}");
    let source_id = created["id"].as_str().unwrap();
    let versioned = ok(dm_api::apply_workflow_version(&alice, source_id, "1.0.0"));
    let version_id = versioned["id"].as_str().unwrap();
    // A version, listed, says what it is a version of.
    let listed = ok(dm_api::get_workflows(&alice));
    let version = listed["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == version_id)
        .cloned()
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(version["version"], "1.0.0", "{version}");
    assert_eq!(version["source_id"], source_id, "{version}");
    // A run started with `debug` shows it.
    let run = ok(dm_api::run_workflow(
        &alice,
        version_id,
        &project_id,
        "debugged",
        &dm_api::RunWorkflowOptions {
            debug: Some("verbose".into()),
            ..Default::default()
        },
    ));
    let run_id = run["id"].as_str().unwrap();
    let running = ok(dm_api::get_running_workflow(&alice, run_id));
    assert_eq!(running["debug"], "verbose", "{running}");
    assert_naive_utc(&running["started"], "running workflow started");
}
