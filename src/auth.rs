//! Keycloak login: the counterpart of the Python client's `Auth`.
//!
//! Most programs never call this module: a [`Client`](crate::Client) built with
//! [`credentials`](crate::ClientBuilder::credentials) gets, caches and renews its tokens itself.
//! [`get_access_token`] is for scripts that want a token string, for example to hand to another
//! program.

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use crate::encoding::{check_base_url, jwt_exp, redact_url, trim_base_url};
use crate::error::{Error, ErrorKind};
use crate::token::{seconds_left, token_request, unix_now, TokenEndpoint, MAX_MARGIN_S};

/// Optional arguments of [`get_access_token`].
#[derive(Clone, Default)]
pub struct GetAccessTokenOptions {
    /// The Keycloak client secret, for confidential clients (an empty one is not sent).
    pub keycloak_client_secret: Option<String>,
    /// A token from an earlier call: returned as it is when it has at least 60 s left by its
    /// `exp` claim, read against this machine's clock ([D12](crate::python_differences)). A
    /// bare token carries no `expires_in`, so unlike a [`Client`](crate::Client)'s cached
    /// tokens ([D23](crate::python_differences)) this depends on the clocks agreeing.
    pub prior_token: Option<String>,
    /// Time-out for the whole token request (default 4 s).
    pub timeout: Option<Duration>,
}

impl GetAccessTokenOptions {
    /// The time-out to use: `timeout`, else 4 s.
    fn effective_timeout(&self) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(4))
    }
}

impl fmt::Debug for GetAccessTokenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "***");
        f.debug_struct("GetAccessTokenOptions")
            .field(
                "keycloak_client_secret",
                &hidden(&self.keycloak_client_secret),
            )
            .field("prior_token", &hidden(&self.prior_token))
            .field("timeout", &self.effective_timeout())
            .finish()
    }
}

/// Logs `username` in to Keycloak and returns an access token for `keycloak_client_id`.
///
/// Sends `POST {keycloak_url}/realms/{keycloak_realm}/protocol/openid-connect/token` with a
/// form-encoded body `client_id, grant_type=password, username, password[, client_secret]`.
/// When `prior_token` still has at least 60 s left (by its `exp` claim) it is returned and
/// nothing is sent.
///
/// The request goes through the proxy of the proxy environment variables (see
/// [`ClientBuilder::proxy`](crate::ClientBuilder::proxy)) and verifies Keycloak's certificate
/// against the bundled web roots; a [`Client`](crate::Client) built with credentials offers
/// every TLS and proxy setting.
///
/// # Errors
///
/// An empty argument, an invalid Keycloak URL, Keycloak unreachable, the HTTP status with
/// Keycloak's `error_description`, an answer without `access_token`. The texts never
/// contain the password or client secret.
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
) -> Result<String, Error> {
    let fail = |kind: ErrorKind, message: String| {
        Error::new(kind, message).with_function("auth::get_access_token")
    };
    for (name, value) in [
        ("keycloak_url", keycloak_url),
        ("keycloak_realm", keycloak_realm),
        ("keycloak_client_id", keycloak_client_id),
        ("username", username),
    ] {
        if value.is_empty() {
            return Err(fail(ErrorKind::InvalidInput, format!("{name} is required")));
        }
    }
    if let Some(prior) = opts.prior_token.as_deref().filter(|t| !t.is_empty()) {
        // Reuse is decided from the token's own expiry (D12); the services verify signatures.
        // An absurd expiry (far past or far future) counts as expired.
        if jwt_exp(prior)
            .and_then(|exp| seconds_left(exp, unix_now()))
            .is_some_and(|left| left >= MAX_MARGIN_S)
        {
            return Ok(prior.to_string());
        }
    }
    check_base_url(keycloak_url).map_err(|why| {
        fail(
            ErrorKind::InvalidUrl,
            format!(
                "the Keycloak URL {:?} is not valid: {why}",
                redact_url(keycloak_url)
            ),
        )
    })?;
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
    let agent = AGENT
        .get_or_init(|| crate::transport::new_agent(true, &crate::transport::Reach::default()));
    let endpoint = TokenEndpoint {
        agent,
        keycloak_url: trim_base_url(keycloak_url),
        realm: keycloak_realm,
        timeout: opts.effective_timeout(),
        debug: crate::client::debug_requests_from_env(),
    };
    token_request(&endpoint, &form, &[password, secret.unwrap_or("")])
        .map(|response| response.access_token)
        .map_err(|e| fail(ErrorKind::Login, e.message).with_transient(e.transient))
}
