//! Keycloak: the realm, the password and refresh-token grants, their errors,
//! and the tokens themselves.

mod common;

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::{access_token, get, login, token_request};
use serde_json::{json, Value};
use squonk2_sandbox::{Sandbox, AS_CLIENT_ID, DM_CLIENT_ID, REALM};

/// One DER element: (tag, content, rest).
fn der(input: &[u8]) -> (u8, &[u8], &[u8]) {
    let (tag, first) = (input[0], input[1] as usize);
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        let len = input[2..2 + n]
            .iter()
            .fold(0usize, |acc, b| acc << 8 | *b as usize);
        (len, 2 + n)
    };
    (tag, &input[header..header + len], &input[header + len..])
}

/// The RSAPublicKey (PKCS#1) inside a SubjectPublicKeyInfo, as ring wants it.
fn rsa_public_key(spki: &[u8]) -> Vec<u8> {
    let (_, spki, _) = der(spki);
    let (_, _algorithm, rest) = der(spki);
    let (tag, bits, _) = der(rest);
    assert_eq!(tag, 0x03, "BIT STRING");
    bits[1..].to_vec()
}

/// Verifies an RS256 JWT with the sandbox's public key and returns (header, claims).
fn verify(sandbox: &Sandbox, token: &str) -> (Value, Value) {
    let (signed, signature) = token.rsplit_once('.').expect("three segments");
    let key = rsa_public_key(&sandbox.public_key_der());
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, key)
        .verify(
            signed.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature).expect("base64url"),
        )
        .expect("signature verifies");
    let (header, claims) = signed.split_once('.').expect("header.claims");
    let decode = |s: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).expect("base64url")).expect("json")
    };
    (decode(header), decode(claims))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

#[test]
fn realm_endpoint_describes_the_realm() {
    let sandbox = Sandbox::start().expect("start");
    let (status, body) = get(&format!("{}/realms/{REALM}", sandbox.keycloak_url()), None);
    assert_eq!(status, 200);
    let issuer = format!("{}/realms/{REALM}", sandbox.keycloak_url());
    assert_eq!(
        body,
        json!({
            "realm": "squonk2",
            "public_key": STANDARD.encode(sandbox.public_key_der()),
            "token-service": format!("{issuer}/protocol/openid-connect"),
            "account-service": format!("{issuer}/account"),
            "tokens-not-before": 0,
        })
    );
    let (status, body) = get(&format!("{}/realms/nope", sandbox.keycloak_url()), None);
    assert_eq!(
        (status, body),
        (404, json!({"error": "Realm does not exist"}))
    );
}

#[test]
fn password_grant_issues_verifiable_tokens() {
    let sandbox = Sandbox::start().expect("start");
    let reply = login(&sandbox, DM_CLIENT_ID, "dmit-admin", "dmit-admin-password");
    let mut keys: Vec<&str> = reply
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "not-before-policy",
            "refresh_expires_in",
            "refresh_token",
            "scope",
            "session_state",
            "token_type"
        ]
    );
    assert_eq!(reply["token_type"], "Bearer");
    assert_eq!(reply["expires_in"], 300);
    assert_eq!(reply["refresh_expires_in"], 1800);
    assert_eq!(reply["not-before-policy"], 0);
    assert_eq!(reply["scope"], "profile email");

    let (header, claims) = verify(&sandbox, access_token(&reply));
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert!(header["kid"].is_string());
    assert_eq!(claims["typ"], "Bearer");
    assert_eq!(claims["azp"], DM_CLIENT_ID);
    assert_eq!(claims["preferred_username"], "dmit-admin");
    assert_eq!(
        claims["iss"],
        format!("{}/realms/squonk2", sandbox.keycloak_url())
    );
    assert_eq!(claims["session_state"], reply["session_state"]);
    let exp = claims["exp"].as_u64().expect("exp");
    assert!(exp >= now() + 298 && exp <= now() + 301, "exp {exp}");
    assert!(claims["jti"].is_string() && claims["sub"].is_string());
    let roles = claims["realm_access"]["roles"].as_array().expect("roles");
    assert!(roles.contains(&json!("data-manager-admin")));

    let (_, refresh) = verify(&sandbox, reply["refresh_token"].as_str().expect("refresh"));
    assert_eq!(refresh["typ"], "Refresh");
    assert_eq!(refresh["azp"], DM_CLIENT_ID);

    // The same user has the same `sub` every time; plain users are not admins.
    let again = login(&sandbox, AS_CLIENT_ID, "DMIT-Admin", "dmit-admin-password");
    let (_, claims_again) = verify(&sandbox, access_token(&again));
    assert_eq!(claims_again["sub"], claims["sub"]);
    assert_eq!(claims_again["azp"], AS_CLIENT_ID);
    let alice = login(&sandbox, DM_CLIENT_ID, "alice", "alice-password");
    let (_, alice) = verify(&sandbox, access_token(&alice));
    let roles = alice["realm_access"]["roles"].as_array().expect("roles");
    assert!(!roles.contains(&json!("data-manager-admin")));
}

#[test]
fn passwords_are_compared_exactly_after_form_decoding() {
    let sandbox = Sandbox::start().expect("start");
    let password = "p&ss = w+rd %/é";
    sandbox.add_user("carol", password, false);
    assert!(sandbox
        .users()
        .iter()
        .any(|u| u.username == "carol" && !u.may_be_admin));
    login(&sandbox, DM_CLIENT_ID, "carol", password);
    for wrong in ["p&ss = w rd %/é", "p", "p&ss = w+rd %/e", ""] {
        let (status, body) = token_request(
            &sandbox,
            &[
                ("grant_type", "password"),
                ("client_id", DM_CLIENT_ID),
                ("username", "carol"),
                ("password", wrong),
            ],
        );
        assert_eq!(
            (status, body),
            (
                401,
                json!({"error": "invalid_grant", "error_description": "Invalid user credentials"})
            ),
            "password {wrong:?}"
        );
    }
}

#[test]
fn password_grant_errors() {
    let sandbox = Sandbox::start().expect("start");
    let invalid_client = json!({
        "error": "invalid_client",
        "error_description": "Invalid client or Invalid client credentials"
    });
    let grant = |client: &str, user: &str, password: &str| {
        token_request(
            &sandbox,
            &[
                ("grant_type", "password"),
                ("client_id", client),
                ("username", user),
                ("password", password),
            ],
        )
    };
    assert_eq!(grant(DM_CLIENT_ID, "nobody", "x").0, 401);
    assert_eq!(
        grant("no-such-client", "alice", "alice-password"),
        (401, invalid_client.clone())
    );
    let (status, body) = token_request(
        &sandbox,
        &[("grant_type", "password"), ("username", "alice")],
    );
    assert_eq!((status, body), (401, invalid_client.clone()));

    let unsupported =
        json!({"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"});
    assert_eq!(
        token_request(&sandbox, &[("client_id", DM_CLIENT_ID)]),
        (400, unsupported.clone())
    );
    assert_eq!(
        token_request(
            &sandbox,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", DM_CLIENT_ID)
            ]
        ),
        (400, unsupported)
    );

    let other_realm = common::json_of(
        common::agent()
            .post(format!(
                "{}/realms/other/protocol/openid-connect/token",
                sandbox.keycloak_url()
            ))
            .send_form([("grant_type", "password")]),
    );
    assert_eq!(other_realm, (404, json!({"error": "Realm does not exist"})));
}

#[test]
fn confidential_clients_need_their_secret() {
    let sandbox = Sandbox::start().expect("start");
    sandbox.set_client_secret(DM_CLIENT_ID, Some("s3cret"));
    let with_secret = |secret: Option<&str>| {
        let mut form = vec![
            ("grant_type", "password"),
            ("client_id", DM_CLIENT_ID),
            ("username", "alice"),
            ("password", "alice-password"),
        ];
        if let Some(secret) = secret {
            form.push(("client_secret", secret));
        }
        token_request(&sandbox, &form).0
    };
    assert_eq!(with_secret(None), 401);
    assert_eq!(with_secret(Some("wrong")), 401);
    assert_eq!(with_secret(Some("s3cret")), 200);

    // HTTP Basic client authentication works too.
    let basic = STANDARD.encode(format!("{DM_CLIENT_ID}:s3cret"));
    let (status, _) = common::json_of(
        common::agent()
            .post(common::token_url(&sandbox))
            .header("Authorization", format!("Basic {basic}"))
            .send_form([
                ("grant_type", "password"),
                ("username", "bob"),
                ("password", "bob-password"),
            ]),
    );
    assert_eq!(status, 200);

    sandbox.set_client_secret(DM_CLIENT_ID, None);
    assert_eq!(with_secret(None), 200);
}

#[test]
fn refresh_grant_and_its_errors() {
    let sandbox = Sandbox::start().expect("start");
    let first = login(&sandbox, DM_CLIENT_ID, "alice", "alice-password");
    let refresh = first["refresh_token"].as_str().expect("refresh_token");
    let refresh_with = |client: &str, token: &str| {
        token_request(
            &sandbox,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", client),
                ("refresh_token", token),
            ],
        )
    };

    let (status, second) = refresh_with(DM_CLIENT_ID, refresh);
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["session_state"], first["session_state"]);
    let (_, claims) = verify(&sandbox, access_token(&second));
    assert_eq!(claims["preferred_username"], "alice");
    assert_ne!(access_token(&second), access_token(&first));

    let (status, body) = refresh_with(AS_CLIENT_ID, refresh);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // An access token is not a refresh token, and garbage is garbage.
    for bad in [access_token(&first), "not-a-token", ""] {
        let (status, body) = refresh_with(DM_CLIENT_ID, bad);
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"], "invalid_grant");
    }

    let expired = sandbox.issue_refresh_token("alice", DM_CLIENT_ID, Duration::ZERO);
    assert_eq!(
        refresh_with(DM_CLIENT_ID, &expired),
        (
            400,
            json!({"error": "invalid_grant", "error_description": "Token is not active"})
        )
    );

    // Lifetimes apply to tokens issued from then on.
    sandbox.set_token_lifetime(Duration::from_secs(5));
    sandbox.set_refresh_lifetime(Duration::ZERO);
    let short = login(&sandbox, DM_CLIENT_ID, "bob", "bob-password");
    assert_eq!(
        (
            short["expires_in"].as_u64(),
            short["refresh_expires_in"].as_u64()
        ),
        (Some(5), Some(0))
    );
    let (status, _) = refresh_with(
        DM_CLIENT_ID,
        short["refresh_token"].as_str().expect("refresh"),
    );
    assert_eq!(status, 400);
}

#[test]
fn builder_lifetimes_and_issued_tokens() {
    let sandbox = Sandbox::builder()
        .token_lifetime(Duration::from_secs(60))
        .refresh_lifetime(Duration::from_secs(120))
        .start()
        .expect("start");
    let reply = login(&sandbox, AS_CLIENT_ID, "bob", "bob-password");
    assert_eq!(
        (
            reply["expires_in"].as_u64(),
            reply["refresh_expires_in"].as_u64()
        ),
        (Some(60), Some(120))
    );

    let token = sandbox.issue_token("someone", DM_CLIENT_ID, Duration::from_secs(10));
    let (_, claims) = verify(&sandbox, &token);
    assert_eq!(
        (
            claims["preferred_username"].as_str(),
            claims["azp"].as_str()
        ),
        (Some("someone"), Some(DM_CLIENT_ID))
    );
    let token = sandbox.issue_token_expiring_at("alice", AS_CLIENT_ID, 12345);
    assert_eq!(verify(&sandbox, &token).1["exp"], 12345);
}
