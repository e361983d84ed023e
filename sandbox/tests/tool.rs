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
