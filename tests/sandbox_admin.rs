//! The sandbox as an admin finds it (issue 21): the exchange-rate listing gives the Jobs
//! that have a rate, or with `only_undefined` those that have none; the admin endpoints
//! take an admin's token without admin mode, while seeing other users' things still needs
//! admin mode; and the rate examples round-trip from one deployment to another. Every call
//! goes through the SDK in real HTTP (answers read as `.success` and `.msg`).

mod common;

use common::*;
use serde_json::Value;
use squonk2::dm_api::{self, GetJobExchangeRatesOptions, JobExchangeRate};
use squonk2::{ApiRv, Client};

/// The exchange-rate listing, with or without `only_undefined`.
fn listing(client: &Client, only_undefined: bool) -> Value {
    ok(dm_api::get_job_exchange_rates(
        client,
        &GetJobExchangeRatesOptions { only_undefined },
    ))
}

/// A listing's entries as `collection/job/version=rate` (`-` when an entry has no rate),
/// sorted.
fn entries(listing: &Value) -> Vec<String> {
    let mut entries = rate_entries(listing);
    entries.sort();
    entries
}

/// Every Job of the catalogue, as `collection/job/version`.
fn all_jobs(client: &Client) -> Vec<String> {
    let mut jobs: Vec<String> = ok(dm_api::get_available_jobs(client))["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            format!(
                "{}/{}/{}",
                j["collection"].as_str().unwrap(),
                j["job"].as_str().unwrap(),
                j["version"].as_str().unwrap()
            )
        })
        .collect();
    jobs.sort();
    jobs
}

fn rate(job: &str, rate: &str) -> JobExchangeRate {
    JobExchangeRate {
        collection: "im-test".into(),
        job: job.into(),
        version: "1.0.0".into(),
        rate: rate.into(),
        comment: None,
    }
}

/// The admin user's own account: whether admin mode is on.
fn admin_mode_is_on(client: &Client) -> bool {
    let account = ok(dm_api::get_account(client, &Default::default()));
    account["user"]["become_admin"].as_bool().unwrap()
}

/// Asserts a 403 whose error text contains `why`.
fn refused(rv: &ApiRv, why: &str) {
    assert_eq!((rv.success, rv.http_status_code), (false, 403), "{rv:?}");
    let error = rv.msg["error"].as_str().unwrap_or_default();
    assert!(error.contains(why), "{rv:?}");
}

#[test]
fn the_rate_listing_gives_jobs_with_a_rate_and_only_undefined_those_without() {
    let sandbox = sandbox();
    let admin = client_for(&sandbox);
    let jobs = all_jobs(&admin);
    assert!(jobs.len() >= 3, "{jobs:?}");

    // A fresh sandbox: no Job has a rate.
    let rated = listing(&admin, false);
    assert_eq!(rated["count"], 0, "{rated}");
    assert_eq!(rated["only_undefined"], false);
    assert_eq!(entries(&rated), Vec::<String>::new());
    let undefined = listing(&admin, true);
    assert_eq!(undefined["count"], jobs.len(), "{undefined}");
    assert_eq!(undefined["only_undefined"], true);
    let expected: Vec<String> = jobs.iter().map(|j| format!("{j}=-")).collect();
    assert_eq!(entries(&undefined), expected);

    // Two rates (the second Job's set twice: its current rate counts).
    ok(dm_api::set_job_exchange_rates(
        &admin,
        &[
            rate("nop", "0.05"),
            rate("coin-test", "1"),
            rate("coin-test", "1.5"),
        ],
    ));
    let rated = listing(&admin, false);
    assert_eq!(rated["count"], 2, "{rated}");
    assert_eq!(rated["only_undefined"], false);
    assert_eq!(
        entries(&rated),
        ["im-test/coin-test/1.0.0=1.5", "im-test/nop/1.0.0=0.05"]
    );
    let undefined = listing(&admin, true);
    assert_eq!(undefined["count"], jobs.len() - 2, "{undefined}");
    assert_eq!(undefined["only_undefined"], true);
    let undefined = entries(&undefined);
    assert!(undefined.iter().all(|e| e.ends_with("=-")), "{undefined:?}");

    // Together the two listings name every Job once.
    let mut both: Vec<String> = entries(&rated)
        .into_iter()
        .chain(undefined)
        .map(|e| e.split('=').next().unwrap().to_string())
        .collect();
    both.sort();
    assert_eq!(both, jobs);

    // `only_undefined=false`, sent as the Python client sends nothing: the same listing.
    let plain = ok(dm_api::get_job_exchange_rates(&admin, &Default::default()));
    assert_eq!(plain, rated);
}

#[test]
fn an_admin_token_is_enough_for_every_admin_endpoint() {
    let sandbox = sandbox();
    let admin = client_for(&sandbox);
    let alice = user_client(&sandbox, "alice");
    let first = sandbox
        .add_service_error("ERROR", "The disk went away")
        .unwrap() as i64;
    let second = sandbox
        .add_service_error("WARNING", "The disk is full")
        .unwrap() as i64;
    assert!(!admin_mode_is_on(&admin));

    // Plain users are refused everywhere, for want of the role.
    let no_role = "alice does not have the Data Manager admin role";
    for rv in [
        dm_api::set_job_exchange_rates(&alice, &[rate("nop", "0.5")]).checked(),
        dm_api::get_service_errors(&alice, &Default::default()).checked(),
        dm_api::acknowledge_service_error(&alice, first).checked(),
        dm_api::delete_service_error(&alice, first).checked(),
        dm_api::get_admin_users(&alice, &Default::default()).checked(),
        dm_api::create_user_account(&alice, "carol").checked(),
        dm_api::update_user_account(&alice, "bob", &Default::default()).checked(),
        dm_api::delete_user_account(&alice, "bob").checked(),
        dm_api::get_job_manifests(&alice).checked(),
        dm_api::put_job_manifest(
            &alice,
            sandbox.builtin_job_manifest_url(),
            &Default::default(),
        )
        .checked(),
        dm_api::load_job_manifests(&alice).checked(),
        dm_api::delete_job_manifest(&alice, 1, &Default::default()).checked(),
    ] {
        refused(&rv, no_role);
    }

    // The admin, admin mode off, uses each of them.
    ok(dm_api::set_job_exchange_rates(
        &admin,
        &[rate("nop", "0.5")],
    ));
    assert_eq!(entries(&listing(&admin, false)), ["im-test/nop/1.0.0=0.5"]);

    assert_eq!(
        ok(dm_api::get_service_errors(&admin, &Default::default()))["count"],
        2
    );
    assert!(dm_api::acknowledge_service_error(&admin, first).success);
    assert!(dm_api::delete_service_error(&admin, second).success);
    assert_eq!(
        ok(dm_api::get_service_errors(&admin, &Default::default()))["count"],
        0
    );

    let created = dm_api::create_user_account(&admin, "carol");
    assert_eq!((created.success, created.http_status_code), (true, 201));
    let suspend = dm_api::UpdateUserAccountOptions {
        suspend_message: Some("On leave".into()),
    };
    assert!(dm_api::update_user_account(&admin, "carol", &suspend).success);
    let users = ok(dm_api::get_admin_users(&admin, &Default::default()));
    let carol = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "carol")
        .unwrap();
    assert_eq!(carol["suspended"], true, "{users}");
    assert!(dm_api::delete_user_account(&admin, "carol").success);

    let loaded = ok(dm_api::put_job_manifest(
        &admin,
        sandbox.builtin_job_manifest_url(),
        &Default::default(),
    ));
    assert_eq!(loaded["status"], true, "{loaded}");
    let manifests = ok(dm_api::get_job_manifests(&admin));
    assert_eq!(manifests["count"], 1, "{manifests}");
    let manifest_id = manifests["job_manifests"][0]["id"].as_i64().unwrap();
    assert_eq!(
        ok(dm_api::load_job_manifests(&admin))["num_manifest_files_inspected"],
        1
    );
    assert!(dm_api::delete_job_manifest(&admin, manifest_id, &Default::default()).success);

    // None of it switched admin mode on.
    assert!(!admin_mode_is_on(&admin));

    // Admin mode on changes nothing for them.
    ok(dm_api::set_admin_state(&admin, true, &Default::default()));
    ok(dm_api::set_job_exchange_rates(
        &admin,
        &[rate("nop", "0.6")],
    ));
    ok(dm_api::get_job_manifests(&admin));

    // An admin impersonating a user acts as that user: refused.
    ok(dm_api::set_admin_state(
        &admin,
        true,
        &dm_api::SetAdminStateOptions {
            impersonate: Some("bob".into()),
        },
    ));
    let acting_as_bob = "dmit-admin is acting as bob (stop impersonating bob first)";
    refused(
        &dm_api::set_job_exchange_rates(&admin, &[rate("nop", "0.7")]).checked(),
        acting_as_bob,
    );
    refused(&dm_api::get_job_manifests(&admin).checked(), acting_as_bob);
    refused(
        &dm_api::get_service_errors(&admin, &Default::default()).checked(),
        acting_as_bob,
    );
    ok(dm_api::set_admin_state(&admin, false, &Default::default()));
    assert_eq!(entries(&listing(&admin, false)), ["im-test/nop/1.0.0=0.6"]);
}

#[test]
fn seeing_other_users_things_still_needs_admin_mode() {
    let sandbox = sandbox();
    let admin = client_for(&sandbox);
    let alice = user_client(&sandbox, "alice");
    let project_id = ok(dm_api::create_project(
        &alice,
        "alice's secrets",
        dm_api::TEST_PRODUCT_ID,
        &dm_api::CreateProjectOptions { private: true },
    ))["project_id"]
        .as_str()
        .unwrap()
        .to_string();
    let names = |client: &Client| -> Vec<String> {
        ok(dm_api::get_available_projects(client, &Default::default()))["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["project_id"].as_str().unwrap().to_string())
            .collect()
    };
    let sandbox_org = dm_api::GetUserInventoryOptions {
        org_id: Some(squonk2_sandbox::SANDBOX_ORG_ID.into()),
        ..Default::default()
    };

    // The admin role alone: another user's private project and an organisation's inventory
    // stay hidden.
    assert_eq!(
        dm_api::get_project(&admin, &project_id).http_status_code,
        403
    );
    assert!(!names(&admin).contains(&project_id));
    assert_eq!(
        dm_api::get_user_inventory(&admin, &sandbox_org).http_status_code,
        403
    );

    // Admin mode on: everything is in sight (as the vendor's delete-*-instances tools use it).
    ok(dm_api::set_admin_state(&admin, true, &Default::default()));
    assert_eq!(
        ok(dm_api::get_project(&admin, &project_id))["creator"],
        "alice"
    );
    assert!(names(&admin).contains(&project_id));
    assert!(dm_api::get_user_inventory(&admin, &sandbox_org).success);
    ok(dm_api::set_admin_state(&admin, false, &Default::default()));
}

// The rate examples, from one deployment to another.

/// Runs an example against `deployment` (its environment `sandbox`); (success, its stdout
/// then its stderr).
#[cfg(feature = "environment")]
fn run(deployment: &Deployment, name: &str, args: &[&str]) -> (bool, String) {
    let (success, stdout, stderr) = deployment.run(name, args);
    (success, format!("{stdout}{stderr}"))
}

#[cfg(feature = "environment")]
#[test]
fn saved_rates_load_into_another_deployment_whose_jobs_have_none() {
    let (source, target) = (Deployment::of(sandbox()), Deployment::of(sandbox()));
    let (source_admin, target_admin) = (source.admin(), target.admin());
    ok(dm_api::set_job_exchange_rates(
        &source_admin,
        &[rate("nop", "0.05"), rate("coin-test", "1.5")],
    ));
    let file = source.dir.path().join("rates.yaml");
    let file_arg = file.to_str().unwrap();

    // The saved file holds the two Jobs that have a rate, each with its rate (what the
    // vendor's load-er tool insists on), and says how many have none.
    let (saved, out) = run(&source, "save_exchange_rates", &["sandbox", file_arg]);
    assert!(saved, "{out}");
    assert!(out.contains("Saved 2 rates"), "{out}");
    let others = all_jobs(&source_admin).len() - 2;
    assert!(
        out.contains(&format!("{others} Jobs have no rate (not saved)")),
        "{out}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("- collection:").count(), 2, "{text}");
    assert_eq!(text.matches("\n  rate: ").count(), 2, "{text}");

    // Loaded into a deployment where no Job has a rate yet: every Job is found, every rate
    // set, and the target's listing is the source's.
    let (loaded, out) = run(
        &target,
        "load_exchange_rates",
        &["sandbox", file_arg, "--do-it"],
    );
    assert!(loaded, "{out}");
    assert!(out.contains("im-test/nop/1.0.0: 0.05 (now none)"), "{out}");
    assert!(out.contains("Set 2 rates, failed 0"), "{out}");
    assert!(!out.contains("no such Job here"), "{out}");
    assert_eq!(
        entries(&listing(&target_admin, false)),
        entries(&listing(&source_admin, false))
    );
    assert_eq!(listing(&target_admin, true)["count"], others);
    assert!(!admin_mode_is_on(&target_admin));

    // Loading again changes nothing.
    let (again, out) = run(
        &target,
        "load_exchange_rates",
        &["sandbox", file_arg, "--do-it"],
    );
    assert!(again, "{out}");
    assert!(out.contains("Nothing to change"), "{out}");
}
