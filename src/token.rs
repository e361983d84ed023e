//! Keycloak tokens: the one token request, and the cache a [`Client`](crate::Client) keeps
//! per Keycloak client id.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::encoding::{form_urlencode, json_seconds, jwt_times, path_segment, redact_url, scrub};
use crate::transport::{self, body_excerpt, DebugLog, Limits};

/// The most a token is renewed ahead of its expiry; short-lived tokens are renewed when
/// half their lifetime is left instead (see [`renewal_margin`]).
pub(crate) const MAX_MARGIN_S: i64 = 60;
/// An expiry further away than this is not believed: such a token is used once, never
/// reused (a server clock or a token that is wrong, not a token that lasts a decade).
const MAX_BELIEVABLE_S: i64 = 10 * 365 * 24 * 3600;
/// The most of Keycloak's answer read.
const MAX_TOKEN_ANSWER: u64 = 1024 * 1024;

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

/// An access token as calls send it: the token, and its `Authorization` header, made once
/// when the token arrives (a header value is checked byte by byte when made) and shared by
/// every call that sends it.
pub(crate) struct Bearer {
    token: Secret,
    /// `None` for a token that cannot be a header value (a control character): calls with
    /// it fail before sending.
    header: Option<ureq::http::HeaderValue>,
}

impl Bearer {
    pub(crate) fn new(token: impl Into<String>) -> Arc<Bearer> {
        let token = Secret::new(token);
        let header = ureq::http::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .ok()
            .map(|mut header| {
                header.set_sensitive(true);
                header
            });
        Arc::new(Bearer { token, header })
    }

    pub(crate) fn expose(&self) -> &str {
        self.token.expose()
    }

    /// The `Authorization` header value, `None` when the token cannot be one.
    pub(crate) fn header(&self) -> Option<&ureq::http::HeaderValue> {
        self.header.as_ref()
    }
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer(***)")
    }
}

/// Seconds on this machine's monotonic clock (since the first call in this process): what
/// cached tokens' lifetimes are measured on ([D23](crate::python_differences)), so neither a
/// clock that differs from Keycloak's nor a change of the wall clock shortens or stretches
/// them.
pub(crate) fn mono_now() -> i64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    i64::try_from(start.elapsed().as_secs()).unwrap_or(i64::MAX)
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Seconds left before `exp`, when `exp` is believable: in the future, and not absurdly far
/// (a token claiming to last past [`MAX_BELIEVABLE_S`] is treated as expired).
pub(crate) fn seconds_left(exp: i64, now: i64) -> Option<i64> {
    let left = exp.checked_sub(now)?;
    (left > 0 && left <= MAX_BELIEVABLE_S).then_some(left)
}

/// How long before its expiry a token of `lifetime` seconds is renewed: a minute, or half
/// its lifetime when that is shorter, so a 5 s token is used for 2.5 s rather than renewed
/// before every call.
pub(crate) fn renewal_margin(lifetime: i64) -> i64 {
    MAX_MARGIN_S.min(lifetime.max(0) / 2)
}

/// Locks a mutex, carrying on with the data if another thread panicked while holding it
/// (the cache holds plain values, so it is never left half-written).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What Keycloak's token endpoint answers (the fields we use).
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    pub(crate) refresh_token: Option<String>,
    pub(crate) expires_in: Option<i64>,
    pub(crate) refresh_expires_in: Option<i64>,
}

/// Why no token could be had: a sentence without secrets, and whether trying again later
/// may work (Keycloak unreachable, slow, or answering 5xx/429).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TokenError {
    pub(crate) message: String,
    pub(crate) transient: bool,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Where to send a token request, and how.
pub(crate) struct TokenEndpoint<'a> {
    pub(crate) agent: &'a ureq::Agent,
    pub(crate) keycloak_url: &'a str,
    pub(crate) realm: &'a str,
    pub(crate) timeout: Duration,
    pub(crate) debug: bool,
}

/// POSTs a form to the realm's token endpoint and reads the token answer. Errors are
/// sentences from which every value of `secrets` has been removed.
pub(crate) fn token_request(
    endpoint: &TokenEndpoint<'_>,
    form: &[(&str, &str)],
    secrets: &[&str],
) -> Result<TokenResponse, TokenError> {
    let url = format!(
        "{}/realms/{}/protocol/openid-connect/token",
        endpoint.keycloak_url,
        path_segment(endpoint.realm)
    );
    let shown_url = redact_url(&url);
    let fail = |message: String, transient: bool| TokenError {
        message: scrub(message, secrets),
        transient,
    };
    let body = form_urlencode(form).into_bytes();
    let request = ureq::http::Request::post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Content-Length", body.len())
        .body(ureq::SendBody::from_owned_reader(std::io::Cursor::new(
            body,
        )))
        .map_err(|e| fail(format!("could not make the token request: {e}"), false))?;
    let limits = Limits::call(endpoint.timeout);
    let debug = DebugLog {
        url: &shown_url,
        attempt: 1,
        stderr: endpoint.debug,
    };
    let mut response = transport::send(endpoint.agent, request, limits, debug).map_err(|e| {
        fail(
            format!(
                "Keycloak at {shown_url} could not be reached ({})",
                transport::describe(&e, limits).1
            ),
            true,
        )
    })?;
    let status = response.status().as_u16();
    let (bytes, complete) = transport::read_prefix(response.body_mut(), MAX_TOKEN_ANSWER);
    let text = String::from_utf8_lossy(&bytes);
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
            .unwrap_or_else(|| body_excerpt(&text));
        let message = if detail.is_empty() {
            format!("Keycloak answered HTTP {status}")
        } else {
            format!("Keycloak answered HTTP {status}: {detail}")
        };
        return Err(fail(
            message,
            crate::api_rv::is_transient_status(status) || status >= 500,
        ));
    }
    if !complete {
        return Err(fail(
            "Keycloak's answer was cut short or too large".to_string(),
            true,
        ));
    }
    let Some(json) = json else {
        return Err(fail(
            "Keycloak answered HTTP 200 with a body that is not JSON".to_string(),
            false,
        ));
    };
    let Some(access_token) = json
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return Err(fail(
            "Keycloak answered HTTP 200 without an access_token".to_string(),
            false,
        ));
    };
    let seconds = |name: &str| json.get(name).and_then(json_seconds);
    Ok(TokenResponse {
        access_token: access_token.to_string(),
        refresh_token: json
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        expires_in: seconds("expires_in"),
        refresh_expires_in: seconds("refresh_expires_in"),
    })
}

/// A token as cached: reused until `reuse_until`, then refreshed with `refresh` while that
/// is valid. Both times are on [`mono_now`]'s clock.
struct CachedToken {
    access: Arc<Bearer>,
    /// `None`: the expiry is not believable (or a server refused the token), so the token
    /// is not reused.
    reuse_until: Option<i64>,
    refresh: Option<Refresh>,
}

struct Refresh {
    token: String,
    /// `None`: Keycloak says it never expires (an offline token).
    until: Option<i64>,
}

/// How many seconds a token has left from when Keycloak's answer arrived
/// ([D23](crate::python_differences)): `expires_in`, the lifetime Keycloak gave it, measured
/// on this machine; only without it the JWT's `exp` against this machine's clock (`now_wall`).
/// `None` when neither is believable.
fn lifetime_left(expires_in: Option<i64>, jwt: Option<&str>, now_wall: i64) -> Option<i64> {
    match expires_in {
        Some(seconds) => (seconds > 0 && seconds <= MAX_BELIEVABLE_S).then_some(seconds),
        None => seconds_left(jwt_times(jwt?)?.exp, now_wall),
    }
}

impl CachedToken {
    /// The token of `response`, which arrived at `now` ([`mono_now`]) and `now_wall`
    /// ([`unix_now`]).
    fn from_response(response: TokenResponse, now: i64, now_wall: i64) -> CachedToken {
        let reuse_until =
            lifetime_left(response.expires_in, Some(&response.access_token), now_wall).map(
                |left| {
                    // The whole lifetime, when the JWT says it and the answer has no
                    // `expires_in`, sets the margin; else what is left.
                    let lifetime = match response.expires_in {
                        Some(_) => left,
                        None => jwt_times(&response.access_token)
                            .and_then(|c| c.exp.checked_sub(c.iat?))
                            .filter(|l| *l > 0)
                            .map_or(left, |l| l.min(left.saturating_mul(2))),
                    };
                    now.saturating_add(left - renewal_margin(lifetime))
                },
            );
        let refresh = response.refresh_token.and_then(|token| {
            // Keycloak says 0 for refresh tokens that do not expire (offline tokens).
            let until = match response.refresh_expires_in {
                Some(0) => None,
                expires_in => {
                    Some(now.saturating_add(lifetime_left(expires_in, Some(&token), now_wall)?))
                }
            };
            Some(Refresh { token, until })
        });
        CachedToken {
            access: Bearer::new(response.access_token),
            reuse_until,
            refresh,
        }
    }

    fn reusable(&self, now: i64) -> bool {
        self.reuse_until.is_some_and(|until| now < until)
    }

    fn usable_refresh(&self, now: i64) -> Option<String> {
        self.refresh
            .as_ref()
            .filter(|r| r.until.is_none_or(|until| now < until))
            .map(|r| r.token.clone())
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
    pub(crate) debug_requests: bool,
}

/// One client id's token: the cached token, and the login in progress, whose outcome every
/// thread that waited for it shares. A client's APIs hold their slot, so a call finds its
/// token with one lock.
pub(crate) struct Slot {
    client_id: String,
    state: Mutex<SlotState>,
    login_done: Condvar,
}

impl Slot {
    pub(crate) fn client_id(&self) -> &str {
        &self.client_id
    }
}

#[derive(Default)]
struct SlotState {
    cached: Option<CachedToken>,
    login_running: bool,
    /// How many logins have ended, and how the last one did.
    logins: u64,
    last_outcome: Option<LoginOutcome>,
}

/// How a login ended: the token, or why there is none.
type LoginOutcome = Result<Arc<Bearer>, TokenError>;

/// Keycloak settings and credentials, with one cached token per Keycloak client id.
pub(crate) struct KeycloakLogin {
    pub(crate) settings: LoginSettings,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

/// Ends a login in its slot even if the thread doing it unwinds, so waiters never wait for
/// a login nobody is doing.
struct LoginGuard<'a> {
    slot: &'a Slot,
    outcome: Option<(Option<CachedToken>, LoginOutcome)>,
}

impl Drop for LoginGuard<'_> {
    fn drop(&mut self) {
        let (cached, outcome) = self.outcome.take().unwrap_or_else(|| {
            (
                None,
                Err(TokenError {
                    message: "the Keycloak login was interrupted".to_string(),
                    transient: true,
                }),
            )
        });
        let mut state = lock(&self.slot.state);
        if cached.is_some() {
            state.cached = cached;
        }
        state.login_running = false;
        state.logins = state.logins.wrapping_add(1);
        state.last_outcome = Some(outcome);
        drop(state);
        self.slot.login_done.notify_all();
    }
}

impl KeycloakLogin {
    pub(crate) fn new(settings: LoginSettings) -> KeycloakLogin {
        KeycloakLogin {
            settings,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The slot of `client_id`'s token: the same for every API logging in with that id.
    pub(crate) fn slot(&self, client_id: &str) -> Arc<Slot> {
        let mut slots = lock(&self.slots);
        slots
            .entry(client_id.to_string())
            .or_insert_with(|| {
                Arc::new(Slot {
                    client_id: client_id.to_string(),
                    state: Mutex::default(),
                    login_done: Condvar::new(),
                })
            })
            .clone()
    }

    /// A token for `slot`'s client id: the cached one while it is fresh, otherwise one from
    /// a refresh (refresh_token grant) or a new login (password grant), which takes at most
    /// `timeout`. When another thread is already logging in for the same client id, this
    /// one waits (at most `timeout`) for that login and shares its outcome.
    pub(crate) fn token(
        &self,
        agent: &ureq::Agent,
        slot: &Slot,
        timeout: Duration,
    ) -> Result<Arc<Bearer>, TokenError> {
        let mut state = lock(&slot.state);
        if let Some(token) = state.cached.as_ref().filter(|t| t.reusable(mono_now())) {
            return Ok(token.access.clone());
        }
        let started = Instant::now();
        if state.login_running {
            let seen = state.logins;
            while state.login_running && state.logins == seen {
                let left = timeout.saturating_sub(started.elapsed());
                if left.is_zero() {
                    return Err(TokenError {
                        message: format!(
                            "timed out after {} s waiting for the Keycloak login",
                            timeout.as_secs_f64()
                        ),
                        transient: true,
                    });
                }
                state = slot
                    .login_done
                    .wait_timeout(state, left)
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .0;
            }
            if let Some(outcome) = state.last_outcome.clone() {
                return outcome;
            }
        }
        state.login_running = true;
        let refresh = state
            .cached
            .as_ref()
            .and_then(|t| t.usable_refresh(mono_now()));
        drop(state);
        let mut guard = LoginGuard {
            slot,
            outcome: None,
        };
        let endpoint = TokenEndpoint {
            agent,
            keycloak_url: &self.settings.keycloak_url,
            realm: &self.settings.realm,
            timeout: timeout.saturating_sub(started.elapsed()),
            debug: self.settings.debug_requests,
        };
        let outcome = match self.login(&endpoint, &slot.client_id, refresh) {
            Ok(token) => {
                let access = token.access.clone();
                (Some(token), Ok(access))
            }
            Err(e) => (None, Err(e)),
        };
        let result = outcome.1.clone();
        guard.outcome = Some(outcome);
        drop(guard);
        result
    }

    /// Drops `access`, the token of `slot`, from the cache when it is still the one there
    /// (a server refused it; another thread may have renewed it already). Its refresh token
    /// is kept: the next [`token`](KeycloakLogin::token) tries it first.
    pub(crate) fn forget(slot: &Slot, access: &Bearer) {
        let mut state = lock(&slot.state);
        if let Some(cached) = state
            .cached
            .as_mut()
            .filter(|c| c.access.expose() == access.expose())
        {
            cached.reuse_until = None;
        }
    }

    /// A refresh while the refresh token is valid, else (or when Keycloak refuses the
    /// refresh) a password login.
    fn login(
        &self,
        endpoint: &TokenEndpoint<'_>,
        client_id: &str,
        refresh: Option<String>,
    ) -> Result<CachedToken, TokenError> {
        let settings = &self.settings;
        let secret = settings.client_secret.as_ref().map(Secret::expose);
        let secrets = [settings.password.expose(), secret.unwrap_or("")];
        if let Some(refresh) = refresh {
            let mut form = vec![
                ("client_id", client_id),
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
            ];
            form.extend(secret.map(|s| ("client_secret", s)));
            let mut secrets = secrets.to_vec();
            secrets.push(&refresh);
            match token_request(endpoint, &form, &secrets) {
                Ok(response) => {
                    return Ok(CachedToken::from_response(response, mono_now(), unix_now()))
                }
                // A refused refresh (session ended, token revoked) falls back to a new
                // login; no answer at all would only fail again.
                Err(e) if e.transient => return Err(self.login_failed(e)),
                Err(e) => log::warn!(
                    target: "squonk2",
                    "the token refresh for {client_id:?} was refused, logging in again: {e}"
                ),
            }
        }
        let mut form = vec![
            ("client_id", client_id),
            ("grant_type", "password"),
            ("username", settings.username.as_str()),
            ("password", settings.password.expose()),
        ];
        form.extend(secret.map(|s| ("client_secret", s)));
        token_request(endpoint, &form, &secrets)
            .map(|response| CachedToken::from_response(response, mono_now(), unix_now()))
            .map_err(|e| self.login_failed(e))
    }

    fn login_failed(&self, e: TokenError) -> TokenError {
        let message = format!(
            "could not get a token from Keycloak for {:?}: {}",
            self.settings.username, e.message
        );
        log::warn!(target: "squonk2", "{message}");
        TokenError {
            message,
            transient: e.transient,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(access: &str, expires_in: Option<i64>, refresh_in: Option<i64>) -> TokenResponse {
        TokenResponse {
            access_token: access.to_string(),
            refresh_token: refresh_in.map(|_| "opaque-refresh".to_string()),
            expires_in,
            refresh_expires_in: refresh_in,
        }
    }

    /// An unsigned JWT-shaped token whose claims are `{"exp": exp}`.
    /// Base64url without padding.
    fn b64url(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        bytes
            .chunks(3)
            .flat_map(|c| {
                let n = c
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
                (0..=c.len()).map(move |i| A[((n >> (18 - 6 * i)) & 63) as usize] as char)
            })
            .collect()
    }

    fn jwt(exp: i64) -> String {
        let body = b64url(format!(r#"{{"exp":{exp}}}"#).as_bytes());
        format!("e30.{body}.sig")
    }

    #[test]
    fn absurd_expiries_are_never_reused_and_never_overflow() {
        let now = unix_now();
        for (expires_in, refresh_in) in [
            (Some(i64::MAX), Some(i64::MAX)),
            (Some(i64::MIN), Some(i64::MIN)),
            (Some(-1), Some(-1)),
            (None, None),
        ] {
            let token = CachedToken::from_response(response("x", expires_in, refresh_in), now, now);
            assert!(!token.reusable(now), "{expires_in:?}");
            assert!(token.usable_refresh(now).is_none(), "{refresh_in:?}");
        }
        for now in [i64::MIN, i64::MAX, 0] {
            let token = CachedToken::from_response(response("x", Some(300), Some(0)), now, now);
            let _ = token.reusable(now);
            let _ = token.usable_refresh(now);
        }
    }

    /// A seeded randomised run over token answers and JWT claims: extreme, negative and
    /// wrong-typed numbers must never panic (overflow checks are on in tests) and an
    /// expiry in the past or absurdly far away is never reused.
    #[test]
    fn randomised_expiries_never_panic_or_reuse_bad_tokens() {
        use crate::encoding::jwt_times;
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let now = unix_now();
        let b64 = b64url;
        let numbers = [
            i64::MIN.to_string(),
            i64::MAX.to_string(),
            u64::MAX.to_string(),
            "-1e300".into(),
            "1e300".into(),
            "-1".into(),
            "0".into(),
            now.to_string(),
            (now + 3).to_string(),
            (now + 600).to_string(),
            "\"x\"".into(),
            "null".into(),
            "1.5".into(),
        ];
        for _ in 0..20_000 {
            let mut number = || numbers[(next() % numbers.len() as u64) as usize].clone();
            let claims = format!(r#"{{"exp": {}, "iat": {}}}"#, number(), number());
            let expires_in = number().parse::<i64>().ok();
            let refresh_expires_in = number().parse::<i64>().ok();
            let token = match next() % 3 {
                0 => format!("h.{}.s", b64(claims.as_bytes())),
                1 => format!("h.{}!.s", b64(claims.as_bytes())),
                _ => "opaque".to_string(),
            };
            let at = [now, i64::MIN, i64::MAX, 0][(next() % 4) as usize];
            let cached = CachedToken::from_response(
                TokenResponse {
                    access_token: token.clone(),
                    refresh_token: Some(token.clone()),
                    expires_in,
                    refresh_expires_in,
                },
                at,
                at,
            );
            if cached.reusable(at) {
                let believable = match expires_in {
                    Some(s) => s > 0 && s <= MAX_BELIEVABLE_S,
                    None => seconds_left(jwt_times(&token).unwrap().exp, at).is_some(),
                };
                assert!(
                    believable,
                    "only believable expiries are reused: {claims} {expires_in:?}"
                );
            }
            let _ = cached.usable_refresh(at);
        }
    }

    #[test]
    fn the_margin_scales_with_short_lifetimes() {
        assert_eq!(renewal_margin(300), 60);
        assert_eq!(renewal_margin(5), 2);
        assert_eq!(renewal_margin(-5), 0);
        let now = unix_now();
        let token = CachedToken::from_response(response("x", Some(5), None), now, now);
        assert!(token.reusable(now));
        assert!(!token.reusable(now + 3));
        let offline = CachedToken::from_response(response("x", Some(300), Some(0)), now, now);
        assert!(offline.usable_refresh(now + 1_000_000).is_some());
    }

    /// D23: `expires_in` decides, measured from the answer's arrival; the JWT's `exp` is
    /// read only without it.
    #[test]
    fn expires_in_decides_whatever_the_clocks_say() {
        let (mono, wall) = (1_000, unix_now());
        // This clock 10 minutes ahead of Keycloak's: `exp` is past here.
        let behind = jwt(wall - 300);
        let token = CachedToken::from_response(response(&behind, Some(300), None), mono, wall);
        assert!(token.reusable(mono + 239));
        assert!(!token.reusable(mono + 240));
        // This clock an hour behind: `exp` an hour away, a 4 s lifetime.
        let ahead = jwt(wall + 3604);
        let token = CachedToken::from_response(response(&ahead, Some(4), None), mono, wall);
        assert!(token.reusable(mono + 1));
        assert!(!token.reusable(mono + 2));
        // Without `expires_in`, `exp` against this machine's clock.
        let token = CachedToken::from_response(response(&ahead, None, None), mono, wall);
        assert!(token.reusable(mono + 3000));
        let token = CachedToken::from_response(response(&behind, None, None), mono, wall);
        assert!(!token.reusable(mono));
        // The refresh token by `refresh_expires_in` likewise.
        let mut answer = response("x", Some(300), Some(1800));
        answer.refresh_token = Some(behind.clone());
        let token = CachedToken::from_response(answer, mono, wall);
        assert!(token.usable_refresh(mono + 1799).is_some());
        assert!(token.usable_refresh(mono + 1800).is_none());
    }
}
