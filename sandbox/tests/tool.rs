//! The sandbox as a test tool (issue 22): option checks, the test clock, scripted
//! instances, HTTP controls, fault patterns, strict tokens.

mod common;

use std::time::Duration;

use common::{agent, json_of};
use serde_json::{json, Value};
use squonk2_sandbox::{Sandbox, DM_CLIENT_ID};

const PRODUCT: &str = "product-11111111-1111-1111-1111-111111111111";

fn token(sandbox: &Sandbox, user: &str) -> String {
    sandbox.issue_token(user, DM_CLIENT_ID, Duration::from_secs(3600))
}

fn dm_form(sandbox: &Sandbox, method: &str, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let url = format!("{}{path}", sandbox.dm_api_url());
    let bearer = format!("Bearer {}", token(sandbox, "alice"));
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(&url)
        .header("Authorization", bearer)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form.iter().copied())
                .finish(),
        )
        .unwrap();
    json_of(agent().run(request))
}

fn dm_get(sandbox: &Sandbox, path: &str) -> (u16, Value) {
    common::get(
        &format!("{}{path}", sandbox.dm_api_url()),
        Some(&token(sandbox, "alice")),
    )
}

fn new_project(sandbox: &Sandbox) -> String {
    let (status, body) = dm_form(
        sandbox,
        "POST",
        "/project",
        &[("name", "p"), ("tier_product_id", PRODUCT)],
    );
    assert_eq!(status, 201, "{body}");
    body["project_id"].as_str().unwrap().to_owned()
}

fn launch(sandbox: &Sandbox, project: &str, job: &str, variables: Value) -> (u16, Value) {
    let spec =
        json!({"collection": "im-test", "job": job, "version": "1.0.0", "variables": variables});
    dm_form(
        sandbox,
        "POST",
        "/instance",
        &[
            ("application_id", "datamanagerjobs.squonk.it"),
            ("project_id", project),
            ("as_name", "run"),
            ("specification", &spec.to_string()),
        ],
    )
}

#[test]
fn job_options_are_checked_against_their_declaration() {
    let sandbox = Sandbox::builder()
        .job_duration(Duration::from_millis(40))
        .start()
        .unwrap();
    let project = new_project(&sandbox);
    for bad in [
        json!(4294967295u64),
        json!(1e9),
        json!(0),
        json!(-3),
        json!("abc"),
    ] {
        let (status, body) = launch(&sandbox, &project, "event-test", json!({"count": bad}));
        assert_eq!(status, 400, "count {bad}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("'count'"),
            "{body}"
        );
    }
    let (status, body) = launch(&sandbox, &project, "coin-test", json!({"coin": "edge"}));
    assert_eq!(status, 400, "{body}");
    let (status, body) = launch(&sandbox, &project, "event-test", json!({"count": 100}));
    assert_eq!(status, 201, "{body}");
    let id = body["instance_id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, instance) = dm_get(&sandbox, &format!("/instance/{id}"));
        if instance["phase"] == "COMPLETED" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{instance}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_for_phase(sandbox: &Sandbox, id: &str, phase: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, instance) = dm_get(sandbox, &format!("/instance/{id}"));
        if instance["phase"] == phase {
            return instance;
        }
        assert!(std::time::Instant::now() < deadline, "{instance}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_stopped_clock_moves_only_when_the_test_moves_it() {
    let sandbox = Sandbox::builder().clock_stopped(true).start().unwrap();
    assert!(sandbox.clock_is_stopped());
    let project = new_project(&sandbox);
    let short = sandbox.issue_token("alice", DM_CLIENT_ID, Duration::from_secs(60));
    let url = format!("{}/project", sandbox.dm_api_url());
    let (status, _) = launch(&sandbox, &project, "event-test", json!({"count": 3}));
    assert_eq!(status, 201);
    let (_, list) = dm_get(&sandbox, "/instance");
    let id = list["instances"][0]["id"].as_str().unwrap().to_owned();
    std::thread::sleep(Duration::from_millis(300));
    // Nothing moves by itself: the default job duration is 2 s of clock time.
    let (_, instance) = dm_get(&sandbox, &format!("/instance/{id}"));
    assert_eq!(instance["phase"], "PENDING");
    assert_eq!(common::get(&url, Some(&short)).0, 200);

    sandbox.advance_clock(Duration::from_secs(61));
    // One move past the end takes the instance all the way, with all its events.
    let instance = wait_for_phase(&sandbox, &id, "COMPLETED");
    let task = instance["tasks"][0]["id"].as_str().unwrap();
    let (_, task) = dm_get(&sandbox, &format!("/task/{task}"));
    let events: Vec<&str> = task["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(events.contains(&"Event 3 of 3"), "{events:?}");
    // The token has expired on the sandbox's clock.
    assert_eq!(common::get(&url, Some(&short)).0, 401);
    // Tokens issued now are valid on the sandbox's clock.
    assert_eq!(common::get(&url, Some(&token(&sandbox, "alice"))).0, 200);
}

#[test]
fn the_account_servers_today_follows_the_clock() {
    let sandbox = Sandbox::builder().clock_stopped(true).start().unwrap();
    let day = Duration::from_secs(86_400);
    sandbox.set_clock(std::time::UNIX_EPOCH + day * 19_797); // 2024-03-15
    let token = sandbox.issue_token(
        "alice",
        squonk2_sandbox::AS_CLIENT_ID,
        Duration::from_secs(600),
    );
    let charge = sandbox
        .charge_product(
            squonk2_sandbox::SANDBOX_TIER_PRODUCT_ID,
            "alice",
            "run",
            "1.5",
        )
        .unwrap();
    assert!(charge > 0);
    let (status, body) = common::get(
        &format!(
            "{}/charges/product/{}",
            sandbox.as_api_url(),
            squonk2_sandbox::SANDBOX_TIER_PRODUCT_ID
        ),
        Some(&token),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("2024-03-15"), "{body}");
}

#[test]
fn scripted_instances_reach_every_official_phase() {
    use squonk2_sandbox::{InstancePhase, InstanceScript};
    let sandbox = Sandbox::builder().clock_stopped(true).start().unwrap();
    let project = new_project(&sandbox);
    sandbox.script_job(
        "im-test",
        "nop",
        InstanceScript::ending(InstancePhase::CrashLoopBackoff, "Back-off restarting")
            .phase(InstancePhase::Pending, Duration::from_secs(5))
            .phase(InstancePhase::ImagePullBackoff, Duration::from_secs(5))
            .event("ERROR", "exit code 137"),
    );
    let (status, body) = launch(&sandbox, &project, "nop", json!({}));
    assert_eq!(status, 201, "{body}");
    let id = body["instance_id"].as_str().unwrap().to_owned();
    sandbox.advance_clock(Duration::from_secs(6));
    wait_for_phase(&sandbox, &id, "IMAGE_PULL_BACKOFF");
    sandbox.advance_clock(Duration::from_secs(6));
    let instance = wait_for_phase(&sandbox, &id, "CRASH_LOOP_BACKOFF");
    assert!(
        instance.get("stopped").is_none_or(Value::is_null),
        "{instance}"
    );

    // A test ends an instance in any phase, now.
    sandbox
        .set_instance_phase(&id, InstancePhase::Succeeded, "done by the test")
        .unwrap();
    let instance = wait_for_phase(&sandbox, &id, "SUCCEEDED");
    assert!(instance["stopped"].is_string(), "{instance}");
    let task = instance["tasks"][0]["id"].as_str().unwrap();
    let (_, task) = dm_get(&sandbox, &format!("/task/{task}"));
    assert_eq!(task["done"], true, "{task}");
    assert_eq!(task["exit_code"], 0, "{task}");
    let error = sandbox
        .set_instance_phase("instance-nope", InstancePhase::Unknown, "")
        .unwrap_err();
    assert_eq!(error.kind(), squonk2_sandbox::ErrorKind::NotFound);

    sandbox.clear_job_scripts();
    sandbox.script_job(
        "im-test",
        "nop",
        InstanceScript::ending(InstancePhase::Failed, "OOMKilled"),
    );
    let (_, body) = launch(&sandbox, &project, "nop", json!({}));
    let id = body["instance_id"].as_str().unwrap().to_owned();
    let instance = wait_for_phase(&sandbox, &id, "FAILED");
    assert_eq!(instance["error_message"], "OOMKilled");
}
