//! The APIs behind Keycloak: bearer tokens, endpoints, and the request log.

mod common;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{access_token, agent, get, json_of, login, multipart};
use serde_json::{json, Value};
use squonk2_sandbox::{
    RecordedBody, RecordedRequest, Sandbox, AS_CLIENT_ID, AS_VERSION, DM_CLIENT_ID, DM_VERSION,
    UI_VERSION,
};

#[test]
fn versions_need_no_token() {
    let sandbox = Sandbox::start().expect("start");
    assert_eq!(
        get(&format!("{}/version", sandbox.dm_api_url()), None),
        (200, json!({"version": DM_VERSION}))
    );
    assert_eq!(
        get(&format!("{}/version", sandbox.as_api_url()), None),
        (200, json!({"version": AS_VERSION}))
    );
    assert_eq!(
        get(
            &format!("{}/configuration/ui-version", sandbox.ui_api_url()),
            None
        ),
        (200, json!({"version": UI_VERSION}))
    );
    // A valid token on an open path is fine too, and so is a broken one.
    let token = sandbox.issue_token("alice", DM_CLIENT_ID, Duration::from_secs(60));
    assert_eq!(
        get(&format!("{}/version", sandbox.dm_api_url()), Some(&token)).0,
        200
    );
    assert_eq!(
        get(&format!("{}/version", sandbox.dm_api_url()), Some("junk")).0,
        200
    );
}

#[test]
fn bearer_layer_rejects_bad_tokens() {
    let sandbox = Sandbox::start().expect("start");
    let namespace = format!("{}/account-server/namespace", sandbox.dm_api_url());
    let error_of = |token: Option<&str>| -> String {
        let (status, body) = get(&namespace, token);
        assert_eq!(status, 401, "{body}");
        assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
        body["error"].as_str().expect("error message").to_owned()
    };

    assert!(error_of(None).starts_with("missing token"));
    let raw = json_of(
        agent()
            .get(&namespace)
            .header("Authorization", "Basic abc")
            .call(),
    );
    assert_eq!(raw.0, 401);
    assert!(error_of(Some("not-a-jwt")).starts_with("invalid token"));

    let valid = sandbox.issue_token("alice", DM_CLIENT_ID, Duration::from_secs(60));
    let mut segments: Vec<String> = valid.split('.').map(str::to_owned).collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&segments[1]).expect("b64")).expect("json");
    claims["preferred_username"] = json!("dmit-admin");
    segments[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    assert!(error_of(Some(&segments.join("."))).starts_with("invalid token"));

    let expired = sandbox.issue_token("alice", DM_CLIENT_ID, Duration::ZERO);
    assert!(error_of(Some(&expired)).starts_with("expired token"));

    let for_as = sandbox.issue_token("alice", AS_CLIENT_ID, Duration::from_secs(60));
    assert!(error_of(Some(&for_as)).starts_with("token issued for another client"));

    let refresh = sandbox.issue_refresh_token("alice", DM_CLIENT_ID, Duration::from_secs(60));
    assert!(error_of(Some(&refresh)).starts_with("invalid token"));

    assert_eq!(
        get(&namespace, Some(&valid)),
        (200, json!({"namespace": "squonk2-sandbox"}))
    );

    // The Account Server wants its own client's tokens, even for unknown paths.
    let as_path = format!("{}/anything", sandbox.as_api_url());
    let dm_token = sandbox.issue_token("alice", DM_CLIENT_ID, Duration::from_secs(60));
    assert_eq!(get(&as_path, Some(&dm_token)).0, 401);
    assert_eq!(get(&as_path, None).0, 401);
    assert_eq!(get(&as_path, Some(&for_as)).0, 404);
}

#[test]
fn a_login_token_works_against_the_dm() {
    let sandbox = Sandbox::start().expect("start");
    let reply = login(&sandbox, DM_CLIENT_ID, "bob", "bob-password");
    let (status, body) = get(
        &format!("{}/account-server/namespace", sandbox.dm_api_url()),
        Some(access_token(&reply)),
    );
    assert_eq!(
        (status, body),
        (200, json!({"namespace": "squonk2-sandbox"}))
    );
}

#[test]
fn open_dm_paths_need_no_token() {
    let sandbox = Sandbox::start().expect("start");
    // Answered without a token (never 401): GET on the token path is the wrong method,
    // and a file download without its callback token is a bad request.
    for (path, expected) in [
        ("/mode", 200),
        ("/job-definition-schema/version", 200),
        ("/workflow-engine/version", 200),
        ("/input-handler", 200),
        ("/instance/i-1/token/t-2", 405),
        ("/project/p-1/file-with-token", 400),
    ] {
        let (status, body) = get(&format!("{}{path}", sandbox.dm_api_url()), None);
        assert_eq!(status, expected, "{path}: {body}");
    }
    assert_eq!(
        get(
            &format!("{}/instance/i-1/token", sandbox.dm_api_url()),
            None
        )
        .0,
        401
    );
    // The Account Server's open path answers without a token.
    assert_eq!(
        get(
            &format!("{}/event-stream/version", sandbox.as_api_url()),
            None
        )
        .0,
        200
    );
}

#[test]
fn unknown_paths_get_json_404s() {
    let sandbox = Sandbox::start().expect("start");
    let token = sandbox.issue_token("alice", DM_CLIENT_ID, Duration::from_secs(60));
    assert_eq!(
        get(
            &format!("{}/no/such%20thing", sandbox.dm_api_url()),
            Some(&token)
        ),
        (
            404,
            json!({"error": "Not found: GET /data-manager-api/no/such%20thing"})
        )
    );
    assert_eq!(
        get(&format!("{}/nothing-here", sandbox.base_url()), None),
        (404, json!({"error": "Not found: GET /nothing-here"}))
    );
    assert_eq!(
        get(
            &format!("{}/configuration/nope", sandbox.ui_api_url()),
            None
        )
        .0,
        404
    );
    let (status, body) = json_of(
        agent()
            .delete(format!("{}/version", sandbox.dm_api_url()))
            .call(),
    );
    assert_eq!(status, 405);
    assert!(body["error"].is_string());
}

#[test]
fn the_log_records_form_json_multipart_and_queries() {
    let sandbox = Sandbox::start().expect("start");
    let token = sandbox.issue_token("alice", DM_CLIENT_ID, Duration::from_secs(60));
    let auth = format!("Bearer {token}");

    login(&sandbox, DM_CLIENT_ID, "alice", "alice-password");
    json_of(
        agent()
            .post(format!("{}/project", sandbox.dm_api_url()))
            .header("Authorization", &auth)
            .content_type("application/json")
            .send(r#"{"name": "p", "tags": [1, "é"]}"#),
    );
    let body = multipart(
        "XXboundaryXX",
        &[
            ("as_filename", None, None, b"renamed.sdf"),
            (
                "file",
                Some("mol é.sdf"),
                Some("chemical/x-mdl-sdfile"),
                b"C1CC1\r\n$$$$\n",
            ),
        ],
    );
    json_of(
        agent()
            .put(format!("{}/project/p-1/file", sandbox.dm_api_url()))
            .header("Authorization", &auth)
            .content_type("multipart/form-data; boundary=XXboundaryXX")
            .send(&body[..]),
    );
    json_of(
        agent()
            .get(format!(
                "{}/project/p-1/file?path=%2Fa%20b&name=x+y&flag",
                sandbox.dm_api_url()
            ))
            .header("Authorization", &auth)
            .call(),
    );
    json_of(
        agent()
            .post(format!("{}/blob/caf%C3%A9", sandbox.dm_api_url()))
            .header("Authorization", &auth)
            .content_type("application/octet-stream")
            .send(&[0u8, 1, 2][..]),
    );

    let log = sandbox.requests();
    assert_eq!(log.len(), 5, "{log:#?}");
    assert!(log.iter().all(|r| r.body_complete));

    assert_eq!(log[0].method, "POST");
    assert_eq!(
        log[0].path,
        "/auth/realms/squonk2/protocol/openid-connect/token"
    );
    assert_eq!(log[0].body.form_value("password"), Some("alice-password"));
    assert_eq!(log[0].body.form_value("grant_type"), Some("password"));

    assert_eq!(log[1].header("AUTHORIZATION"), Some(auth.as_str()));
    assert_eq!(
        log[1].body,
        RecordedBody::Json {
            raw: r#"{"name": "p", "tags": [1, "é"]}"#.into(),
            value: json!({"name": "p", "tags": [1, "é"]}),
        }
    );

    let RecordedBody::Multipart { parts, .. } = &log[2].body else {
        panic!("not multipart: {:?}", log[2].body);
    };
    assert_eq!(log[2].method, "PUT");
    assert_eq!(parts.len(), 2);
    assert_eq!(
        (parts[0].name.as_str(), parts[0].filename.as_deref()),
        ("as_filename", None)
    );
    assert_eq!(parts[0].content.as_deref(), Some("renamed.sdf"));
    assert_eq!(parts[1].filename.as_deref(), Some("mol é.sdf"));
    assert_eq!(parts[1].content.as_deref(), Some("C1CC1\r\n$$$$\n"));
    assert_eq!(parts[1].length, 12);
    assert_eq!(parts[1].sha256, common::sha256_hex(b"C1CC1\r\n$$$$\n"));
    assert!(parts[1]
        .headers
        .contains(&("content-type".into(), "chemical/x-mdl-sdfile".into())));

    assert_eq!(
        log[3].query_raw.as_deref(),
        Some("path=%2Fa%20b&name=x+y&flag")
    );
    assert_eq!(
        log[3].query,
        vec![
            ("path".to_owned(), "/a b".to_owned()),
            ("name".to_owned(), "x y".to_owned()),
            ("flag".to_owned(), String::new()),
        ]
    );
    assert_eq!(log[3].query_param("path"), Some("/a b"));
    assert_eq!(log[3].body, RecordedBody::None);

    assert_eq!(log[4].path, "/data-manager-api/blob/caf%C3%A9");
    assert_eq!(log[4].path_decoded, "/data-manager-api/blob/café");
    assert_eq!(
        log[4].body,
        RecordedBody::Other {
            content_type: Some("application/octet-stream".into()),
            length: 3,
            sha256: common::sha256_hex(&[0, 1, 2]),
        }
    );

    // The same log over HTTP, in the same shape; control requests are not logged.
    let (status, over_http) = get(&format!("{}/_sandbox/requests", sandbox.base_url()), None);
    assert_eq!(status, 200);
    assert_eq!(over_http[1]["body"]["encoding"], "json");
    assert_eq!(over_http[2]["body"]["encoding"], "multipart");
    assert_eq!(over_http[3]["body"], json!({"encoding": "none"}));
    let parsed: Vec<RecordedRequest> = serde_json::from_value(over_http).expect("log JSON");
    assert_eq!(parsed, log);

    let (status, _) = json_of(
        agent()
            .delete(format!("{}/_sandbox/requests", sandbox.base_url()))
            .call(),
    );
    assert_eq!(status, 204);
    assert!(sandbox.requests().is_empty());
    get(&format!("{}/version", sandbox.as_api_url()), None);
    assert_eq!(sandbox.requests().len(), 1);
    sandbox.clear_requests();
    assert!(sandbox.requests().is_empty());
}

#[test]
fn unread_and_rejected_bodies_are_still_logged() {
    let sandbox = Sandbox::start().expect("start");
    // No token: rejected before any handler reads the body.
    let (status, _) = json_of(
        agent()
            .post(format!("{}/project", sandbox.dm_api_url()))
            .content_type("application/x-www-form-urlencoded")
            .send("a=1&b=%20"),
    );
    assert_eq!(status, 401);
    // Anyone may send one, so only its length and digest are kept.
    let log = sandbox.requests();
    assert_eq!(
        log[0].body,
        RecordedBody::Other {
            content_type: Some("application/x-www-form-urlencoded".into()),
            length: 9,
            sha256: common::sha256_hex(b"a=1&b=%20"),
        }
    );
    assert!(log[0].body_complete);
}

#[test]
fn bad_bodies_get_400s_not_panics() {
    let sandbox = Sandbox::start().expect("start");
    let faults = format!("{}/_sandbox/faults", sandbox.base_url());
    for bad in [
        "{",
        "[]",
        r#"{"path": "/x"}"#,
        r#"{"path": "/x", "kind": "delay"}"#,
        r#"{"path": "x", "kind": "hang"}"#,
    ] {
        let (status, body) = json_of(
            agent()
                .post(&faults)
                .content_type("application/json")
                .send(bad),
        );
        assert_eq!(status, 400, "{bad}");
        assert!(body["error"].is_string(), "{bad}");
    }
    let (status, body) = json_of(
        agent()
            .post(format!("{}/_sandbox/echo", sandbox.base_url()))
            .content_type("multipart/form-data; boundary=B")
            .send("--B\r\nbroken"),
    );
    assert_eq!(status, 400);
    assert!(body["error"].as_str().expect("error").contains("multipart"));
    // The token endpoint reads whatever it is sent as a form.
    let (status, _) = json_of(
        agent()
            .post(common::token_url(&sandbox))
            .content_type("application/json")
            .send("{\"grant_type\": \"password\"}"),
    );
    assert_eq!(status, 400);
    let (status, _) = get(
        &format!("{}/_sandbox/download?size=-1", sandbox.base_url()),
        None,
    );
    assert_eq!(status, 400);
}

#[test]
fn environments_yaml_points_at_the_sandbox() {
    let sandbox = Sandbox::start().expect("start");
    let base = sandbox.base_url();
    assert_eq!(
        sandbox.environments_yaml(),
        format!(
            "---\ndefault: sandbox\nenvironments:\n  sandbox:\n    keycloak-hostname: {base}\n    keycloak-realm: squonk2\n    keycloak-dm-client-id: data-manager-api\n    keycloak-as-client-id: account-server-api\n    dm-hostname: {base}\n    as-hostname: {base}\n    ui-hostname: {base}/data-manager-ui/api\n    admin-user: dmit-admin\n    admin-password: dmit-admin-password\n"
        )
    );
    assert_eq!(base, format!("http://127.0.0.1:{}", sandbox.port()));
    assert_eq!(sandbox.realm(), "squonk2");
    let users: Vec<(String, bool)> = sandbox
        .users()
        .into_iter()
        .map(|u| (u.username, u.may_be_admin))
        .collect();
    assert_eq!(
        users,
        [
            ("dmit-admin".into(), true),
            ("alice".into(), false),
            ("bob".into(), false)
        ]
    );
}
