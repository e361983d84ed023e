//! Secrets, and the Keycloak login a [`Client`](crate::Client) keeps a token cache for.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::auth::{token_request, TokenResponse};
use crate::encoding::jwt_exp;

/// A token is renewed when fewer than this many seconds remain before it expires.
pub(crate) const MIN_REMAINING_S: i64 = 60;

/// A password, token or client secret: shown as `***` by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Locks a mutex, carrying on with the data if another thread panicked while holding it
/// (the cache holds plain values, so it is never left half-written).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct CachedToken {
    access: String,
    access_exp: i64,
    refresh: Option<(String, i64)>,
}

impl CachedToken {
    fn from_response(response: TokenResponse, now: i64) -> CachedToken {
        let access_exp =
            jwt_exp(&response.access_token).unwrap_or(now + response.expires_in.unwrap_or(0));
        let refresh = response.refresh_token.map(|token| {
            let exp = jwt_exp(&token).unwrap_or_else(|| match response.refresh_expires_in {
                // Keycloak says 0 for refresh tokens that do not expire (offline tokens).
                Some(0) => i64::MAX,
                Some(s) => now + s,
                None => now,
            });
            (token, exp)
        });
        CachedToken {
            access: response.access_token,
            access_exp,
            refresh,
        }
    }
}

/// Where and how to log in to Keycloak.
pub(crate) struct LoginSettings {
    pub(crate) keycloak_url: String,
    pub(crate) realm: String,
    pub(crate) username: String,
    pub(crate) password: Secret,
    pub(crate) client_secret: Option<Secret>,
    pub(crate) verify_ssl_cert: bool,
    pub(crate) timeout: Duration,
    pub(crate) debug_requests: bool,
}

/// Keycloak settings and credentials, with one cached token per Keycloak client id.
pub(crate) struct KeycloakLogin {
    pub(crate) settings: LoginSettings,
    // One slot per client id, each with its own lock, so that threads wanting a DM token
    // wait for the one DM token request instead of each making their own.
    cache: Mutex<HashMap<String, Arc<Mutex<Option<CachedToken>>>>>,
}

impl KeycloakLogin {
    pub(crate) fn new(settings: LoginSettings) -> KeycloakLogin {
        KeycloakLogin {
            settings,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// A token for `client_id` with at least a minute left: the cached one, a refreshed one
    /// (refresh_token grant while the refresh token is valid), or a new one (password grant).
    pub(crate) fn token(&self, agent: &ureq::Agent, client_id: &str) -> Result<String, String> {
        let settings = &self.settings;
        let slot = lock(&self.cache)
            .entry(client_id.to_string())
            .or_default()
            .clone();
        let mut cached = lock(&slot);
        let now = unix_now();
        if let Some(token) = cached.as_ref() {
            if token.access_exp - now >= MIN_REMAINING_S {
                return Ok(token.access.clone());
            }
        }
        let secret = settings.client_secret.as_ref().map(Secret::expose);
        if let Some((refresh, refresh_exp)) = cached.as_ref().and_then(|t| t.refresh.clone()) {
            if refresh_exp > now {
                let mut form = vec![
                    ("client_id", client_id),
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.as_str()),
                ];
                form.extend(secret.map(|s| ("client_secret", s)));
                // A refused refresh (session ended, token revoked) falls back to a new login.
                if let Ok(response) = token_request(
                    agent,
                    &settings.keycloak_url,
                    &settings.realm,
                    &form,
                    settings.timeout,
                    &[],
                    settings.debug_requests,
                ) {
                    let token = CachedToken::from_response(response, now);
                    let access = token.access.clone();
                    *cached = Some(token);
                    return Ok(access);
                }
            }
        }
        let mut form = vec![
            ("client_id", client_id),
            ("grant_type", "password"),
            ("username", settings.username.as_str()),
            ("password", settings.password.expose()),
        ];
        form.extend(secret.map(|s| ("client_secret", s)));
        let response = token_request(
            agent,
            &settings.keycloak_url,
            &settings.realm,
            &form,
            settings.timeout,
            &[settings.password.expose(), secret.unwrap_or("")],
            settings.debug_requests,
        )
        .map_err(|e| {
            format!(
                "could not get a token from Keycloak for {:?}: {e}",
                settings.username
            )
        })?;
        let token = CachedToken::from_response(response, now);
        let access = token.access.clone();
        *cached = Some(token);
        Ok(access)
    }
}
