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

fn control(sandbox: &Sandbox, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}/_sandbox{path}", sandbox.base_url());
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(&url)
        .header("Content-Type", "application/json")
        .body(body.map(|b| b.to_string()).unwrap_or_default())
        .unwrap();
    json_of(agent().run(request))
}

#[test]
fn every_control_has_an_http_twin() {
    let sandbox = Sandbox::builder().clock_stopped(true).start().unwrap();
    let (status, info) = control(&sandbox, "GET", "/info", None);
    assert_eq!(status, 200);
    assert_eq!(info["dm_api_url"], sandbox.dm_api_url());
    let (status, _) = control(
        &sandbox,
        "POST",
        "/users",
        Some(json!({"username": "carol", "password": "pw"})),
    );
    assert_eq!(status, 204);
    assert!(sandbox.users().iter().any(|u| u.username == "carol"));
    common::login(&sandbox, DM_CLIENT_ID, "carol", "pw");
    let (status, _) = control(
        &sandbox,
        "PATCH",
        "/settings",
        Some(json!({"token_lifetime_s": 60, "job_duration_ms": 100})),
    );
    assert_eq!(status, 204);
    assert_eq!(sandbox.job_duration(), Duration::from_millis(100));
    let (_, settings) = control(&sandbox, "GET", "/settings", None);
    assert_eq!(settings["token_lifetime_s"], 60);
    let (status, token) = control(
        &sandbox,
        "POST",
        "/tokens",
        Some(json!({"username": "alice", "lifetime_s": 30})),
    );
    assert_eq!(status, 200);
    let token = token["token"].as_str().unwrap().to_owned();
    let url = format!("{}/project", sandbox.dm_api_url());
    assert_eq!(common::get(&url, Some(&token)).0, 200);
    let (status, clock) = control(
        &sandbox,
        "POST",
        "/clock/advance",
        Some(json!({"seconds": 31})),
    );
    assert_eq!(status, 200, "{clock}");
    assert_eq!(clock["stopped"], true);
    assert_eq!(common::get(&url, Some(&token)).0, 401);
    let (status, _) = control(
        &sandbox,
        "PUT",
        "/clock",
        Some(json!({"time": "2024-03-15T10:00:00Z"})),
    );
    assert_eq!(status, 200);
    assert_eq!(
        sandbox.clock(),
        std::time::UNIX_EPOCH + Duration::from_secs(1_710_496_800)
    );

    let project = new_project(&sandbox);
    let (status, _) = control(
        &sandbox,
        "POST",
        "/job-scripts",
        Some(json!({"collection": "im-test", "job": "nop", "script": {
            "end": "UNKNOWN", "message": "lost",
            "steps": [{"kind": "event", "level": "WARNING", "message": "node gone"}]}})),
    );
    assert_eq!(status, 204);
    let (_, launched) = launch(&sandbox, &project, "nop", json!({}));
    let id = launched["instance_id"].as_str().unwrap().to_owned();
    wait_for_phase(&sandbox, &id, "UNKNOWN");
    let (status, _) = control(
        &sandbox,
        "PUT",
        &format!("/instances/{id}/phase"),
        Some(json!({"phase": "FAILED", "message": "given up"})),
    );
    assert_eq!(status, 204);
    assert_eq!(
        wait_for_phase(&sandbox, &id, "FAILED")["error_message"],
        "given up"
    );
    let (status, body) = control(
        &sandbox,
        "PUT",
        "/instances/instance-nope/phase",
        Some(json!({"phase": "FAILED"})),
    );
    assert_eq!(status, 404, "{body}");
    let (status, body) = control(
        &sandbox,
        "PUT",
        &format!("/instances/{id}/phase"),
        Some(json!({"phase": "DONE"})),
    );
    assert_eq!(status, 400, "{body}");
    let (status, body) = control(
        &sandbox,
        "POST",
        "/job-failures",
        Some(json!({"collection": "im-test", "job": "coin-test", "message": "no"})),
    );
    assert_eq!(status, 204, "{body}");
    let (status, body) = control(
        &sandbox,
        "POST",
        "/service-errors",
        Some(json!({"severity": "WARNING", "summary": "disk"})),
    );
    assert_eq!((status, body["id"].as_u64()), (201, Some(1)));
    let (status, _) = control(
        &sandbox,
        "POST",
        "/service-errors",
        Some(json!({"severity": "MEH", "summary": "disk"})),
    );
    assert_eq!(status, 400);
    let (status, _) = control(
        &sandbox,
        "PUT",
        "/account-server/today",
        Some(json!({"date": "2024-03-15"})),
    );
    assert_eq!(status, 204);
    let (status, charge) = control(
        &sandbox,
        "POST",
        "/account-server/charges",
        Some(
            json!({"product_id": squonk2_sandbox::SANDBOX_TIER_PRODUCT_ID,
                    "username": "alice", "name": "x", "coins": "2"}),
        ),
    );
    assert_eq!(status, 201, "{charge}");
    let (status, _) = control(
        &sandbox,
        "PUT",
        "/account-server/storage",
        Some(json!({"product_id": "product-nope", "bytes": 5})),
    );
    assert_eq!(status, 404);
    let (status, dir) = control(&sandbox, "GET", &format!("/projects/{project}"), None);
    assert_eq!(status, 200);
    assert_eq!(
        dir["dir"].as_str().map(std::path::PathBuf::from),
        sandbox.project_dir(&project)
    );
    // The event-stream controls: 404 for a user without a stream.
    for (method, path) in [
        ("DELETE", "/events/carol/connections"),
        ("POST", "/events/carol/connections/silence"),
    ] {
        let (status, body) = control(&sandbox, method, path, None);
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert!(body["error"].as_str().unwrap_or_default().contains("carol"));
    }
    // Controls are never recorded.
    assert!(sandbox
        .requests()
        .iter()
        .all(|r| !r.path.starts_with("/_sandbox")));
}

#[test]
fn fault_rules_match_patterns_queries_and_bodies_and_count_their_hits() {
    use squonk2_sandbox::{Fault, FaultRule};
    let sandbox = Sandbox::start().unwrap();
    let project = new_project(&sandbox);
    let instance_gets = sandbox.add_fault(
        FaultRule::new(
            "/data-manager-api/instance/instance-*",
            Fault::error(503, "busy"),
        )
        .method("GET")
        .times(2),
    );
    let by_query = sandbox.add_fault(
        FaultRule::new("/data-manager-api/**", Fault::error(418, "teapot")).query("secret", "*"),
    );
    let by_body = sandbox.add_fault(
        FaultRule::new("/data-manager-api/instance", Fault::error(409, "no nop"))
            .method("POST")
            .body_contains("%22nop%22"),
    );
    assert_eq!(dm_get(&sandbox, "/instance/instance-1").0, 503);
    assert_eq!(dm_get(&sandbox, "/instance/instance-2").0, 503);
    assert_eq!(dm_get(&sandbox, "/instance/instance-3").0, 404);
    assert_eq!(dm_get(&sandbox, "/instance").0, 200);
    assert_eq!(dm_get(&sandbox, "/project?secret=1").0, 418);
    assert_eq!(launch(&sandbox, &project, "nop", json!({})).0, 409);
    assert_eq!(launch(&sandbox, &project, "event-test", json!({})).0, 201);
    assert_eq!(sandbox.fault_hits(instance_gets), 2);
    assert_eq!(sandbox.fault_hits(by_query), 1);
    assert_eq!(sandbox.fault_hits(by_body), 1);
    let listed = sandbox.faults();
    assert_eq!(listed[0].remaining, Some(0));
    assert_eq!(listed[0].hits, 2);
    let (_, over_http) = control(&sandbox, "GET", "/faults", None);
    assert_eq!(over_http[0]["hits"], 2);
    assert_eq!(over_http[0]["remaining"], 0);
    assert_eq!(
        over_http[0]["path"],
        "/data-manager-api/instance/instance-*"
    );

    // A JSON body matcher, over HTTP.
    let (status, added) = control(
        &sandbox,
        "POST",
        "/faults",
        Some(
            json!({"path": "/_sandbox/echo", "kind": "respond", "status": 500,
                    "body_json": {"a": {"b": 1}}}),
        ),
    );
    assert_eq!(status, 201, "{added}");
    let echo = |body: &str| {
        json_of(
            agent()
                .post(format!("{}/_sandbox/echo", sandbox.base_url()))
                .header("Content-Type", "application/json")
                .send(body),
        )
        .0
    };
    assert_eq!(echo(r#"{"a": {"b": 1, "c": 2}, "d": 3}"#), 500);
    assert_eq!(echo(r#"{"a": {"b": 2}}"#), 200);
    let (_, one) = control(&sandbox, "GET", &format!("/faults/{}", added["id"]), None);
    assert_eq!(one["hits"], 1);

    // times(0) is refused.
    let (status, body) = control(
        &sandbox,
        "POST",
        "/faults",
        Some(json!({"path": "/x", "kind": "drop", "times": 0})),
    );
    assert_eq!(status, 400, "{body}");
    let refused = std::panic::catch_unwind(|| FaultRule::new("/x", Fault::Drop).times(0));
    assert!(refused.is_err());
    assert!(sandbox.remove_fault(by_query));
    assert_eq!(dm_get(&sandbox, "/project?secret=1").0, 200);
}

#[test]
fn tokens_of_another_sandbox_are_refused_and_logout_ends_the_session() {
    let one = Sandbox::start().unwrap();
    let other = Sandbox::start().unwrap();
    let foreign = token(&other, "alice");
    let (status, body) = common::get(&format!("{}/project", one.dm_api_url()), Some(&foreign));
    assert_eq!(status, 401);
    assert!(
        body["error"].as_str().unwrap().contains("issued by"),
        "{body}"
    );
    let foreign_refresh =
        other.issue_refresh_token("alice", DM_CLIENT_ID, Duration::from_secs(600));
    let (status, body) = common::token_request(
        &one,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", DM_CLIENT_ID),
            ("refresh_token", &foreign_refresh),
        ],
    );
    assert_eq!(status, 400, "{body}");

    let login = common::login(&one, DM_CLIENT_ID, "alice", "alice-password");
    let refresh = login["refresh_token"].as_str().unwrap();
    let refresh_with = |refresh: &str| {
        common::token_request(
            &one,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DM_CLIENT_ID),
                ("refresh_token", refresh),
            ],
        )
    };
    assert_eq!(refresh_with(refresh).0, 200);
    let logout = format!(
        "{}/realms/{}/protocol/openid-connect/logout",
        one.keycloak_url(),
        one.realm()
    );
    let (status, _) = json_of(
        agent()
            .post(&logout)
            .send_form([("client_id", DM_CLIENT_ID), ("refresh_token", refresh)]),
    );
    assert_eq!(status, 204);
    let (status, body) = refresh_with(refresh);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_description"], "Session not active");
    // Another session is not touched.
    let again = common::login(&one, DM_CLIENT_ID, "alice", "alice-password");
    assert_eq!(
        refresh_with(again["refresh_token"].as_str().unwrap()).0,
        200
    );
}

#[test]
fn recorded_requests_have_an_id_a_time_and_a_status() {
    let sandbox = Sandbox::builder().clock_stopped(true).start().unwrap();
    sandbox.set_clock(std::time::UNIX_EPOCH + Duration::from_secs(1_710_496_800));
    let (status, _) = dm_get(&sandbox, "/project");
    assert_eq!(status, 200);
    let mark = sandbox.requests().last().unwrap().id;
    assert_eq!(dm_get(&sandbox, "/project/project-nope").0, 404);
    sandbox.add_fault(squonk2_sandbox::FaultRule::new(
        "/data-manager-api/version",
        squonk2_sandbox::Fault::error(503, "busy"),
    ));
    assert_eq!(dm_get(&sandbox, "/version").0, 503);
    let since = sandbox.requests_since(mark);
    assert_eq!(since.len(), 2);
    assert_eq!(since[0].id, mark + 1);
    assert_eq!(since[0].status, Some(404));
    assert_eq!(since[1].status, Some(503));
    assert_eq!(since[0].time, "2024-03-15T10:00:00");
    let (_, over_http) = control(&sandbox, "GET", &format!("/requests?since={mark}"), None);
    assert_eq!(over_http.as_array().unwrap().len(), 2);
    assert_eq!(over_http[0]["status"], 404);
}

#[test]
fn a_path_that_is_not_percent_encoded_utf8_gets_the_json_error_body() {
    let sandbox = Sandbox::start().unwrap();
    let (status, body) = dm_get(&sandbox, "/project/%FF");
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].is_string(), "{body}");
}

#[test]
fn the_clock_offset_sessions_and_event_controls_have_http_twins() {
    let sandbox = Sandbox::start().unwrap();
    let (status, _) = control(
        &sandbox,
        "PUT",
        "/clock/offset",
        Some(json!({"seconds": 3600})),
    );
    assert_eq!(status, 204);
    let ahead = sandbox
        .clock()
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(ahead > Duration::from_secs(3500), "{ahead:?}");
    let (status, _) = control(&sandbox, "POST", "/users/alice/revoke-sessions", None);
    assert_eq!(status, 204);

    // No stream yet: every event control says so.
    let event = json!({"username": "alice", "message_type": "accountserver.X", "body": {}});
    assert_eq!(
        control(&sandbox, "POST", "/events", Some(event.clone())).0,
        404
    );
    assert_eq!(control(&sandbox, "GET", "/events/alice", None).0, 404);
    assert_eq!(
        control(&sandbox, "DELETE", "/events/alice/connections", None).0,
        404
    );

    // With a stream, made as alice through the Account Server.
    let url = format!("{}/event-stream", sandbox.as_api_url());
    let request = ureq::http::Request::builder()
        .method("POST")
        .uri(&url)
        .header(
            "Authorization",
            format!(
                "Bearer {}",
                sandbox.issue_token(
                    "alice",
                    squonk2_sandbox::AS_CLIENT_ID,
                    Duration::from_secs(60)
                )
            ),
        )
        .header("Content-Type", "application/json")
        .body(json!({"format": "JSON_STRING"}).to_string())
        .unwrap();
    let (status, stream) = json_of(agent().run(request));
    assert!(status < 300, "{status} {stream}");
    let (status, published) = control(&sandbox, "POST", "/events", Some(event));
    assert_eq!((status, published["ordinal"].as_i64()), (201, Some(1)));
    let (_, state) = control(&sandbox, "GET", "/events/alice", None);
    assert_eq!(state["next_ordinal"], 2);
    assert_eq!(
        control(&sandbox, "DELETE", "/events/alice/connections", None).0,
        204
    );
    let (_, expired) = control(
        &sandbox,
        "POST",
        "/events/alice/expire",
        Some(json!({"before": 2})),
    );
    assert_eq!(expired["expired"], 1);
}
