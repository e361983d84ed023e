//! Keycloak login: the counterpart of the Python client's `Auth`.
//!
//! Most programs never call this module: a [`Client`](crate::Client) built with
//! [`credentials`](crate::ClientBuilder::credentials) gets, caches and renews its tokens itself.
//! [`get_access_token`] is for scripts that want a token string, for example to hand to another
//! program.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use crate::encoding::{form_urlencode, jwt_exp, path_segment};
use crate::request::{describe_transport_error, send};
use crate::token::{unix_now, MIN_REMAINING_S};

/// Optional arguments of [`get_access_token`].
#[derive(Clone, Debug, Default)]
pub struct GetAccessTokenOptions {
    /// The Keycloak client secret, for confidential clients (an empty one is not sent).
    pub keycloak_client_secret: Option<String>,
    /// A token from an earlier call: returned as it is when it has at least 60 s left.
    pub prior_token: Option<String>,
    /// Time-out in seconds for connecting and for each read (default 4).
    pub timeout_s: Option<u64>,
}

/// What Keycloak's token endpoint answers (the fields we use).
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    pub(crate) refresh_token: Option<String>,
    pub(crate) expires_in: Option<i64>,
    pub(crate) refresh_expires_in: Option<i64>,
}

/// Logs `username` in to Keycloak and returns an access token for `keycloak_client_id`.
///
/// Sends `POST {keycloak_url}/realms/{keycloak_realm}/protocol/openid-connect/token` with a
/// form-encoded body `client_id, grant_type=password, username, password[, client_secret]`.
/// When `prior_token` still has at least 60 s left (by its `exp` claim) it is returned and
/// nothing is sent.
///
/// Errors say what happened (Keycloak unreachable, the HTTP status with Keycloak's
/// `error_description`, an answer without `access_token`) and never contain the password or
/// client secret.
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use squonk2::auth::{get_access_token, GetAccessTokenOptions};
///
/// let token = get_access_token(
///     "https://example.com/auth",
///     "squonk2",
///     "data-manager-api",
///     "alice",
///     "her-password",
///     &GetAccessTokenOptions::default(),
/// )?;
/// # Ok(())
/// # }
/// ```
pub fn get_access_token(
    keycloak_url: &str,
    keycloak_realm: &str,
    keycloak_client_id: &str,
    username: &str,
    password: &str,
    opts: &GetAccessTokenOptions,
) -> anyhow::Result<String> {
    for (name, value) in [
        ("keycloak_url", keycloak_url),
        ("keycloak_realm", keycloak_realm),
        ("keycloak_client_id", keycloak_client_id),
        ("username", username),
    ] {
        if value.is_empty() {
            anyhow::bail!("{name} is required");
        }
    }
    if let Some(prior) = opts.prior_token.as_deref().filter(|t| !t.is_empty()) {
        // Reuse is decided from the token's own expiry (D12); the services verify signatures.
        if jwt_exp(prior).is_some_and(|exp| exp - unix_now() >= MIN_REMAINING_S) {
            return Ok(prior.to_string());
        }
    }
    crate::client::check_base_url(keycloak_url)
        .map_err(|why| anyhow::anyhow!("the Keycloak URL {keycloak_url:?} is not valid: {why}"))?;
    let secret = opts
        .keycloak_client_secret
        .as_deref()
        .filter(|s| !s.is_empty());
    let mut form = vec![
        ("client_id", keycloak_client_id),
        ("grant_type", "password"),
        ("username", username),
        ("password", password),
    ];
    form.extend(secret.map(|s| ("client_secret", s)));
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    let agent = AGENT.get_or_init(|| crate::client::new_agent(true));
    let timeout = Duration::from_secs(opts.timeout_s.unwrap_or(4));
    token_request(
        agent,
        keycloak_url.trim_end_matches('/'),
        keycloak_realm,
        &form,
        timeout,
        &[password, secret.unwrap_or("")],
        crate::client::debug_requests_from_env(),
    )
    .map(|response| response.access_token)
    .map_err(anyhow::Error::msg)
}

/// Replaces each secret (of a useful length) in `text` with `***`.
fn scrub(mut text: String, secrets: &[&str]) -> String {
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        text = text.replace(secret, "***");
    }
    text
}

/// POSTs a form to the realm's token endpoint and reads the token answer.
/// Errors are sentences without secrets.
pub(crate) fn token_request(
    agent: &ureq::Agent,
    keycloak_url: &str,
    realm: &str,
    form: &[(&str, &str)],
    timeout: Duration,
    secrets: &[&str],
    debug: bool,
) -> Result<TokenResponse, String> {
    let url = format!(
        "{keycloak_url}/realms/{}/protocol/openid-connect/token",
        path_segment(realm)
    );
    let body = form_urlencode(form).into_bytes();
    let request = ureq::http::Request::post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Content-Length", body.len())
        .body(ureq::SendBody::from_owned_reader(std::io::Cursor::new(
            body,
        )))
        .map_err(|e| format!("could not make the token request: {e}"))?;
    let debug_url = debug.then_some(url.as_str());
    let mut response = send(agent, request, timeout, debug_url).map_err(|e| {
        format!(
            "Keycloak at {url} could not be reached ({})",
            describe_transport_error(&e, timeout)
        )
    })?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_string()
        .map_err(|e| {
            format!(
                "Keycloak's answer could not be read ({})",
                describe_transport_error(&e, timeout)
            )
        })?;
    let json: Option<Value> = serde_json::from_str(&text).ok();
    if status != 200 {
        let detail = json
            .as_ref()
            .and_then(|v| {
                let description = v.get("error_description").and_then(Value::as_str);
                let error = v.get("error").and_then(Value::as_str);
                match (description, error) {
                    (Some(d), Some(e)) => Some(format!("{d} ({e})")),
                    (Some(d), None) => Some(d.to_string()),
                    (None, Some(e)) => Some(e.to_string()),
                    (None, None) => None,
                }
            })
            .unwrap_or_else(|| crate::request::body_excerpt(&text));
        let message = if detail.is_empty() {
            format!("Keycloak answered HTTP {status}")
        } else {
            format!("Keycloak answered HTTP {status}: {detail}")
        };
        return Err(scrub(message, secrets));
    }
    let Some(json) = json else {
        return Err("Keycloak answered HTTP 200 with a body that is not JSON".to_string());
    };
    let Some(access_token) = json
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return Err("Keycloak answered HTTP 200 without an access_token".to_string());
    };
    Ok(TokenResponse {
        access_token: access_token.to_string(),
        refresh_token: json
            .get("refresh_token")
            .and_then(Value::as_str)
            .map(str::to_string),
        expires_in: json.get("expires_in").and_then(Value::as_i64),
        refresh_expires_in: json.get("refresh_expires_in").and_then(Value::as_i64),
    })
}
