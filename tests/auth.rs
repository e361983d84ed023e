//! Keycloak login: `auth::get_access_token` parity with the Python client's recordings, and
//! the client's token cache, against the sandbox's Keycloak.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use squonk2::auth::{get_access_token, GetAccessTokenOptions};
use squonk2::dm_api;
use squonk2_sandbox::{Fault, FaultRule, Sandbox, DM_CLIENT_ID};

const TOKEN_PATH: &str = "/auth/realms/squonk2/protocol/openid-connect/token";

/// The token requests the sandbox received, as their decoded form pairs.
fn token_requests(sandbox: &Sandbox) -> Vec<Vec<(String, String)>> {
    received(sandbox)
        .iter()
        .filter(|r| {
            r["path_decoded"]
                .as_str()
                .unwrap_or("")
                .ends_with("/openid-connect/token")
        })
        .map(|r| serde_json::from_value(r["body"]["pairs"].clone()).unwrap())
        .collect()
}

fn grant_of(pairs: &[(String, String)]) -> &str {
    pairs
        .iter()
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The grant types of the token requests `sandbox` received, in order.
fn grants(sandbox: &Sandbox) -> Vec<String> {
    token_requests(sandbox)
        .iter()
        .map(|p| grant_of(p).to_string())
        .collect()
}

/// A prior token for a recorded placeholder such as `{PRIOR_TOKEN_EXPIRES_IN_30S}`.
fn prior_token_for(placeholder: &str) -> String {
    let exp = if placeholder.contains("EXPIRES_IN_30S") {
        now() + 30
    } else if placeholder.contains("EXPIRES_IN_2M") {
        now() + 120
    } else if placeholder.contains("EXPIRED_10M_AGO") {
        now() - 600
    } else if placeholder == "not-a-jwt" {
        return placeholder.to_string();
    } else {
        // _1H, _1H_B/C/D and SIGNED_BY_OTHER_KEY: an hour left.
        now() + 3600
    };
    unsigned_jwt(exp)
}

fn options_of(kwargs: &Value) -> (GetAccessTokenOptions, Option<String>) {
    let prior = kwargs["prior_token"].as_str().map(prior_token_for);
    let opts = GetAccessTokenOptions {
        keycloak_client_secret: kwargs["keycloak_client_secret"]
            .as_str()
            .map(str::to_string),
        prior_token: prior.clone(),
        timeout: kwargs["timeout_s"].as_u64().map(Duration::from_secs),
    };
    (opts, prior)
}

/// Every recorded `get_access_token` case, with deviations D1 (the form is encoded, so the
/// server reads the fields we meant) and D12 (prior-token reuse is decided from `exp`, no
/// realm request) applied, and Python's `None`/exceptions mapped to our errors.
#[test]
fn get_access_token_matches_the_recordings() {
    let cases = cases(AUTH_WIRE, "get_access_token");
    assert_eq!(cases.len(), 16);
    for case in cases {
        let variant = case["variant"].as_str().unwrap();
        let sandbox = sandbox();
        let kwargs = &case["kwargs"];
        let keycloak_url = kwargs["keycloak_url"]
            .as_str()
            .unwrap()
            .replace("127.0.0.1:{PORT}", &format!("127.0.0.1:{}", sandbox.port()))
            .replace("{DEAD_PORT}", &dead_port().to_string());
        // D12: the realm document is never fetched, so only token requests get answers.
        let token_cases: Vec<&Value> = case["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["method"] == "POST")
            .collect();
        let mut forced = case.clone();
        forced["requests"] = Value::Array(token_cases.iter().map(|r| (*r).clone()).collect());
        force_recorded_responses(&sandbox, &forced);
        let not_a_jwt = variant == "failure:prior_token_not_a_jwt";
        if not_a_jwt {
            // Python raised on a prior token that is not a JWT; we treat it as expired (D12)
            // and log in again, so the user must exist.
            sandbox.add_user(
                kwargs["username"].as_str().unwrap(),
                kwargs["password"].as_str().unwrap(),
                false,
            );
        }

        let (opts, prior) = options_of(kwargs);
        let result = get_access_token(
            &keycloak_url,
            kwargs["keycloak_realm"].as_str().unwrap(),
            kwargs["keycloak_client_id"].as_str().unwrap(),
            kwargs["username"].as_str().unwrap(),
            kwargs["password"].as_str().unwrap(),
            &opts,
        );

        // What was sent: only the token POSTs, with the fields properly encoded (D1).
        let got = received(&sandbox);
        assert_eq!(
            got.len(),
            token_cases.len() + usize::from(not_a_jwt),
            "{variant}: {got:?}"
        );
        for sent in &got {
            assert_eq!(sent["method"], "POST");
            let realm = kwargs["keycloak_realm"].as_str().unwrap();
            assert_eq!(
                sent["path_decoded"],
                format!("/auth/realms/{realm}/protocol/openid-connect/token"),
                "{variant}"
            );
            assert_eq!(
                header(sent, "content-type"),
                Some("application/x-www-form-urlencoded")
            );
            assert!(
                header(sent, "authorization").is_none(),
                "{variant}: no bearer to Keycloak"
            );
            let mut expected = vec![
                json!(["client_id", kwargs["keycloak_client_id"]]),
                json!(["grant_type", "password"]),
                json!(["username", kwargs["username"]]),
                json!(["password", kwargs["password"]]),
            ];
            if let Some(secret) = kwargs["keycloak_client_secret"]
                .as_str()
                .filter(|s| !s.is_empty())
            {
                expected.push(json!(["client_secret", secret]));
            }
            assert_eq!(sent["body"]["pairs"], Value::Array(expected), "{variant}");
        }

        // What came back.
        let password = kwargs["password"].as_str().unwrap();
        match variant {
            "required"
            | "all_optional"
            | "prior_token_already_expired"
            | "ascii_credentials_empty_secret"
            | "failure:prior_token_not_a_jwt" => {
                let expected = match case["result"]["value"].as_str() {
                    Some(v) => v.to_string(),
                    // Python raised on a token that is not a JWT; we treat it as expired (D12)
                    // and log in again, so the recorder's next answer is what we return.
                    None => String::new(),
                };
                let token = result.unwrap_or_else(|e| panic!("{variant}: {e:#}"));
                if expected.is_empty() {
                    assert_eq!(token_cases.len(), 0, "{variant}");
                } else {
                    assert_eq!(token, expected, "{variant}");
                }
            }
            "prior_token_fresh_same_realm"
            | "prior_token_fresh_new_realm"
            | "prior_token_120s_left"
            | "failure:prior_token_bad_signature"
            | "failure:realm_document_404"
            | "after_failed_realm_fetch" => {
                // D12: reused from its `exp` (the services verify signatures), no request.
                assert_eq!(result.unwrap(), prior.unwrap(), "{variant}");
            }
            "failure:keycloak_401" => {
                let e = format!("{:#}", result.unwrap_err());
                assert!(
                    e.contains("HTTP 401") && e.contains("Invalid user credentials"),
                    "{e}"
                );
                assert!(!e.contains(password), "{e}");
            }
            "failure:keycloak_201" => {
                let e = format!("{:#}", result.unwrap_err());
                assert!(e.contains("HTTP 201"), "{e}");
            }
            "failure:keycloak_200_without_access_token" => {
                let e = format!("{:#}", result.unwrap_err());
                assert!(e.contains("without an access_token"), "{e}");
            }
            "failure:keycloak_200_non_json" => {
                let e = format!("{:#}", result.unwrap_err());
                assert!(e.contains("not JSON"), "{e}");
            }
            "failure:connection_refused" => {
                let e = format!("{:#}", result.unwrap_err());
                assert!(
                    e.contains("could not be reached") && e.contains("connection refused"),
                    "{e}"
                );
                assert!(!e.contains(password), "{e}");
            }
            other => panic!("unhandled case {other}"),
        }
    }
}

#[test]
fn get_access_token_logs_in_to_the_sandbox_and_the_token_works() {
    let sandbox = sandbox();
    let token = get_access_token(
        &sandbox.keycloak_url(),
        sandbox.realm(),
        DM_CLIENT_ID,
        ADMIN_USER,
        ADMIN_PASSWORD,
        &GetAccessTokenOptions::default(),
    )
    .unwrap();
    let client = squonk2::Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .dm_access_token(token.clone())
        .build()
        .unwrap();
    let rv = dm_api::ping(&client);
    assert!(rv.success, "{rv:?}");
    // A prior token with time left comes back as it is, without a request.
    sandbox.clear_requests();
    let again = get_access_token(
        &sandbox.keycloak_url(),
        sandbox.realm(),
        DM_CLIENT_ID,
        ADMIN_USER,
        ADMIN_PASSWORD,
        &GetAccessTokenOptions {
            prior_token: Some(token.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(again, token);
    assert!(received(&sandbox).is_empty());
}

#[test]
fn a_password_with_reserved_characters_logs_in() {
    let sandbox = sandbox();
    let password = "p&ss = w+rd %/é x";
    sandbox.add_user("weird user", password, false);
    let token = get_access_token(
        &sandbox.keycloak_url(),
        sandbox.realm(),
        DM_CLIENT_ID,
        "weird user",
        password,
        &GetAccessTokenOptions::default(),
    )
    .expect("an encoded form logs in");
    assert!(token.split('.').count() == 3, "a JWT");
    let client = builder_for(&sandbox)
        .credentials("weird user", password)
        .build()
        .unwrap();
    assert!(dm_api::ping(&client).success);
}

#[test]
fn a_wrong_password_gives_a_clear_error_without_the_password() {
    let sandbox = sandbox();
    let e = get_access_token(
        &sandbox.keycloak_url(),
        sandbox.realm(),
        DM_CLIENT_ID,
        ADMIN_USER,
        "wrong-password-xyz",
        &GetAccessTokenOptions::default(),
    )
    .unwrap_err();
    let text = format!("{e:#} {e:?}");
    assert!(
        text.contains("HTTP 401") && text.contains("Invalid user credentials"),
        "{text}"
    );
    assert!(!text.contains("wrong-password-xyz"), "{text}");

    // Through a client: the call fails before reaching the DM, saying why.
    let client = builder_for(&sandbox)
        .credentials(ADMIN_USER, "wrong-password-xyz")
        .build()
        .unwrap();
    let rv = dm_api::ping(&client);
    assert!(!rv.success);
    assert_eq!(rv.http_status_code, 0);
    let error = rv.error().unwrap();
    assert!(
        error.starts_with("Failed ping (could not get a token"),
        "{error}"
    );
    assert!(error.contains("Invalid user credentials"), "{error}");
    assert!(!error.contains("wrong-password-xyz"), "{error}");
    assert!(api_requests(&sandbox).is_empty(), "nothing sent to the DM");
}

#[test]
fn a_client_secret_is_sent_when_set() {
    let sandbox = sandbox();
    sandbox.set_client_secret(DM_CLIENT_ID, Some("s3cr&t=+%"));
    let without = builder_for(&sandbox)
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .build()
        .unwrap();
    let rv = dm_api::ping(&without);
    assert!(
        !rv.success && rv.error().unwrap().contains("invalid_client"),
        "{rv:?}"
    );
    let with = builder_for(&sandbox)
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .keycloak_client_secret("s3cr&t=+%")
        .build()
        .unwrap();
    let rv = dm_api::ping(&with);
    assert!(rv.success, "{rv:?}");
    assert!(!format!("{with:?}").contains("s3cr&t"));
}

#[test]
fn the_token_is_cached_and_reused() {
    let sandbox = sandbox();
    let client = client_for(&sandbox);
    for _ in 0..5 {
        assert!(dm_api::ping(&client).success);
    }
    // Clones share the cache.
    assert!(dm_api::ping(&client.clone()).success);
    let tokens = token_requests(&sandbox);
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(grant_of(&tokens[0]), "password");
    // Every DM call carried the same token.
    let bearers: std::collections::HashSet<String> = api_requests(&sandbox)
        .iter()
        .filter_map(|r| header(r, "authorization").map(str::to_string))
        .collect();
    assert_eq!(bearers.len(), 1);
}

#[test]
fn dm_and_as_tokens_are_cached_per_client_id() {
    let sandbox = sandbox();
    let client = client_for(&sandbox);
    let dm = client.dm_access_token().unwrap().unwrap();
    let account_server = client.as_access_token().unwrap().unwrap();
    assert_ne!(dm, account_server);
    assert_eq!(client.dm_access_token().unwrap().unwrap(), dm);
    let tokens = token_requests(&sandbox);
    let ids: Vec<&str> = tokens
        .iter()
        .map(|pairs| {
            pairs
                .iter()
                .find(|(k, _)| k == "client_id")
                .unwrap()
                .1
                .as_str()
        })
        .collect();
    assert_eq!(ids, ["data-manager-api", "account-server-api"]);
}

/// Waits until a 2 s token is due for renewal. The token cache times a token by the
/// `expires_in` Keycloak gave, on this machine's clock from when the answer arrived (D22),
/// so no sandbox clock can hurry it: a 2 s token is renewed when less than half its
/// lifetime, 1 s, is left.
fn until_renewal_is_due() {
    std::thread::sleep(Duration::from_millis(1100));
}

#[test]
fn a_token_near_expiry_is_refreshed_with_the_refresh_grant() {
    let sandbox = Sandbox::builder()
        .token_lifetime(Duration::from_secs(2))
        .start()
        .unwrap();
    let client = client_for(&sandbox);
    let first = client.dm_access_token().unwrap().unwrap();
    assert_eq!(
        client.dm_access_token().unwrap().unwrap(),
        first,
        "reused while more than half its lifetime remains"
    );
    // The margin is half the lifetime for tokens that live under two minutes.
    until_renewal_is_due();
    let second = client.dm_access_token().unwrap().unwrap();
    assert_ne!(second, first);
    assert_eq!(grants(&sandbox), ["password", "refresh_token"]);
    let client_ids: Vec<bool> = token_requests(&sandbox)
        .iter()
        .map(|p| p.contains(&("client_id".to_string(), DM_CLIENT_ID.to_string())))
        .collect();
    assert_eq!(client_ids, [true, true]);
    assert!(
        dm_api::ping(&client).success,
        "the refreshed token is accepted"
    );
}

#[test]
fn an_expired_refresh_token_means_a_new_login() {
    let sandbox = Sandbox::builder()
        .token_lifetime(Duration::from_secs(2))
        .refresh_lifetime(Duration::from_secs(1))
        .start()
        .unwrap();
    let client = client_for(&sandbox);
    client.dm_access_token().unwrap();
    // The access token is near its end, the refresh token past it.
    until_renewal_is_due();
    client.dm_access_token().unwrap();
    assert_eq!(grants(&sandbox), ["password", "password"]);
}

#[test]
fn a_refused_refresh_falls_back_to_a_new_login() {
    let sandbox = Sandbox::builder()
        .token_lifetime(Duration::from_secs(2))
        .start()
        .unwrap();
    let client = client_for(&sandbox);
    client.dm_access_token().unwrap();
    until_renewal_is_due();
    // Keycloak refuses the refresh once (say the session was ended).
    sandbox.add_fault(
        squonk2_sandbox::FaultRule::new(
            TOKEN_PATH,
            squonk2_sandbox::Fault::respond(
                400,
                "application/json",
                br#"{"error":"invalid_grant","error_description":"Session not active"}"#,
            ),
        )
        .method("POST")
        .times(1),
    );
    let token = client.dm_access_token().unwrap().unwrap();
    assert!(!token.is_empty());
    assert_eq!(grants(&sandbox), ["password", "refresh_token", "password"]);
}

#[test]
fn eight_threads_at_once_make_one_token_request() {
    let sandbox = sandbox();
    // Slow Keycloak down so that all eight threads arrive while the first request is out.
    sandbox.add_fault(
        squonk2_sandbox::FaultRule::new(
            TOKEN_PATH,
            squonk2_sandbox::Fault::Delay(Duration::from_millis(500)),
        )
        .method("POST")
        .times(1),
    );
    let client = Arc::new(client_for(&sandbox));
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                dm_api::ping(&client)
            })
        })
        .collect();
    for handle in handles {
        let rv = handle.join().unwrap();
        assert!(rv.success, "{rv:?}");
    }
    assert_eq!(token_requests(&sandbox).len(), 1);
    assert_eq!(api_requests(&sandbox).len(), 8);
}

#[test]
fn an_expired_fixed_token_is_refused_by_the_sandbox_with_a_clear_message() {
    let sandbox = sandbox();
    let token = sandbox.issue_token(ADMIN_USER, DM_CLIENT_ID, Duration::from_secs(60));
    // Expired on the sandbox's clock, not on the SDK's: the sandbox refuses it.
    sandbox.advance_clock(Duration::from_secs(61));
    let client = squonk2::Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .dm_access_token(token.clone())
        .build()
        .unwrap();
    let rv = dm_api::ping(&client);
    assert!(!rv.success);
    assert_eq!(rv.http_status_code, 401);
    let error = rv.error().unwrap();
    assert!(error.starts_with("Failed ping (HTTP 401: "), "{error}");
    assert!(!error.contains(&token), "{error}");
}

// ---------------------------------------------------------------------------------------
// Behaviour to trust on a real deployment (issue 18): a 401 renews the token once (D22);
// tokens live for Keycloak's `expires_in`, whatever the clocks say (D23)

/// The API requests the sandbox received to `path`, by method.
fn requests_to(sandbox: &Sandbox, method: &str, path: &str) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.method == method && r.path_decoded == path)
        .count()
}

const NAMESPACE_PATH: &str = "/data-manager-api/account-server/namespace";

#[test]
fn a_revoked_session_is_renewed_once_and_the_call_sent_again() {
    let sandbox = sandbox();
    let client = client_for(&sandbox);
    assert!(dm_api::ping(&client).success);
    sandbox.revoke_sessions(ADMIN_USER);
    let failed = (0..5).filter(|_| !dm_api::ping(&client).success).count();
    let grants = grants(&sandbox);
    eprintln!("revoked session: {failed} of 5 calls failed; token requests {grants:?}");
    assert_eq!(failed, 0);
    // The refresh belongs to the revoked session too: refused, then a new login.
    assert_eq!(grants, ["password", "refresh_token", "password"]);
    assert_eq!(
        requests_to(&sandbox, "GET", NAMESPACE_PATH),
        7,
        "1 + a 401 + 5"
    );
}

#[test]
fn a_401_gets_one_renewal_whatever_the_method_and_a_second_401_is_the_answer() {
    let sandbox = sandbox();
    let client = client_for(&sandbox);
    assert!(dm_api::ping(&client).success);
    let project = "/data-manager-api/project";
    sandbox.add_fault(
        FaultRule::new(project, Fault::error(401, "expired token"))
            .method("POST")
            .times(1),
    );
    let rv = dm_api::create_project(&client, "p", dm_api::TEST_PRODUCT_ID, &Default::default());
    assert!(rv.success, "{rv:?}");
    assert_eq!(requests_to(&sandbox, "POST", project), 2);
    assert_eq!(grants(&sandbox), ["password", "refresh_token"]);

    sandbox.add_fault(FaultRule::new(
        NAMESPACE_PATH,
        Fault::error(401, "not today"),
    ));
    sandbox.clear_requests();
    let rv = dm_api::ping(&client);
    assert_eq!(rv.http_status_code, 401, "{rv:?}");
    assert!(rv.error().unwrap().contains("not today"), "{rv:?}");
    assert_eq!(requests_to(&sandbox, "GET", NAMESPACE_PATH), 2);
    assert_eq!(grants(&sandbox), ["refresh_token"]);
}

#[test]
fn a_fixed_token_is_not_retried_on_401() {
    let sandbox = sandbox();
    let token = sandbox.issue_token(ADMIN_USER, DM_CLIENT_ID, Duration::from_secs(0));
    let client = squonk2::Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .dm_access_token(token)
        .build()
        .unwrap();
    let rv = dm_api::ping(&client);
    assert_eq!(rv.http_status_code, 401, "{rv:?}");
    assert_eq!(requests_to(&sandbox, "GET", NAMESPACE_PATH), 1);
}

#[test]
fn an_upload_refused_with_401_says_it_was_not_sent_again() {
    let sandbox = sandbox();
    let client = client_for(&sandbox);
    let project_id = new_test_project(&client, "upload-401");
    let dir = TempDir::new();
    let file = dir.path().join("data.txt");
    std::fs::write(&file, "some data").unwrap();
    let path = format!("/data-manager-api/project/{project_id}/file");
    sandbox.add_fault(
        FaultRule::new(&path, Fault::error(401, "expired token"))
            .method("PUT")
            .times(1),
    );
    let rv =
        dm_api::put_unmanaged_project_files(&client, &project_id, &[&file], &Default::default());
    assert_eq!(rv.http_status_code, 401, "{rv:?}");
    let error = rv.error().unwrap();
    assert!(error.contains("not sent again"), "{error}");
    assert_eq!(requests_to(&sandbox, "PUT", &path), 1);
    // The token was renewed: the next call goes through.
    let rv =
        dm_api::put_unmanaged_project_files(&client, &project_id, &[&file], &Default::default());
    assert!(rv.success, "{rv:?}");
}

#[test]
fn a_clock_ahead_of_keycloaks_still_reuses_tokens() {
    let sandbox = sandbox();
    // Keycloak 10 minutes behind this machine: a 300 s token's `exp` is past here.
    sandbox.set_clock_offset(-600);
    let client = client_for(&sandbox);
    let failed = (0..10).filter(|_| !dm_api::ping(&client).success).count();
    let logins = token_requests(&sandbox).len();
    eprintln!("clock 10 min ahead: 10 calls made {logins} token requests, {failed} failed");
    assert_eq!((logins, failed), (1, 0));
}

#[test]
fn a_clock_behind_keycloaks_renews_by_expires_in() {
    let sandbox = Sandbox::builder()
        .token_lifetime(Duration::from_secs(4))
        .start()
        .unwrap();
    // Keycloak an hour ahead: a 4 s token's `exp` is an hour away here.
    sandbox.set_clock_offset(3600);
    let client = client_for(&sandbox);
    let mut failed = 0;
    for _ in 0..10 {
        if !dm_api::ping(&client).success {
            failed += 1;
        }
        std::thread::sleep(Duration::from_millis(600));
    }
    let logins = token_requests(&sandbox).len();
    let sent = requests_to(&sandbox, "GET", NAMESPACE_PATH);
    eprintln!(
        "clock 1 h behind, 4 s tokens: 10 calls over 6 s made {logins} token requests, {failed} failed, {sent} requests"
    );
    assert_eq!(failed, 0);
    assert_eq!(sent, 10, "renewed before Keycloak's 4 s, never refused");
    assert!((2..=5).contains(&logins), "{logins}");
}
