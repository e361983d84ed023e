//! Keycloak, under `/auth`: the realm description and the OpenID Connect
//! token endpoint (password and refresh-token grants), with Keycloak's
//! response and error bodies.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use percent_encoding::percent_decode_str;
use serde::Serialize;
use serde_json::{json, Value};

use crate::jwt::{self, Claims};
use crate::keys::{stable_uuid, REALM_PUBLIC_SPKI_DER};
use crate::state::{lock, AppState, Shared};
use crate::REALM;

/// Where Keycloak is mounted.
pub(crate) const PREFIX: &str = "/auth";

/// The largest token request body read.
const MAX_FORM: usize = 1024 * 1024;

/// The `scope` of every token.
const SCOPE: &str = "profile email";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/realms/{realm}", get(get_realm))
        .route(
            "/realms/{realm}/.well-known/openid-configuration",
            get(get_openid_configuration),
        )
        .route(
            "/realms/{realm}/protocol/openid-connect/certs",
            get(get_certs),
        )
        .route(
            "/realms/{realm}/protocol/openid-connect/token",
            post(post_token),
        )
        .route(
            "/realms/{realm}/protocol/openid-connect/logout",
            post(post_logout),
        )
}

fn realm_does_not_exist() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "Realm does not exist"})),
    )
        .into_response()
}

/// An OAuth 2 error body, as Keycloak sends it.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    no_store(
        (
            status,
            Json(json!({"error": error, "error_description": description})),
        )
            .into_response(),
    )
}

fn invalid_client() -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Invalid client or Invalid client credentials",
    )
}

fn invalid_refresh_token(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// Token responses must not be cached (RFC 6749 section 5.1).
fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

#[derive(Serialize)]
struct RealmResponse {
    realm: &'static str,
    public_key: String,
    #[serde(rename = "token-service")]
    token_service: String,
    #[serde(rename = "account-service")]
    account_service: String,
    #[serde(rename = "tokens-not-before")]
    tokens_not_before: u64,
}

/// `GET /realms/{realm}`
async fn get_realm(State(shared): State<AppState>, Path(realm): Path<String>) -> Response {
    if realm != REALM {
        return realm_does_not_exist();
    }
    let issuer = shared.issuer();
    Json(RealmResponse {
        realm: REALM,
        public_key: STANDARD.encode(REALM_PUBLIC_SPKI_DER),
        token_service: format!("{issuer}/protocol/openid-connect"),
        account_service: format!("{issuer}/account"),
        tokens_not_before: 0,
    })
    .into_response()
}

/// `GET /realms/{realm}/.well-known/openid-configuration`
async fn get_openid_configuration(
    State(shared): State<AppState>,
    Path(realm): Path<String>,
) -> Response {
    if realm != REALM {
        return realm_does_not_exist();
    }
    let issuer = shared.issuer();
    let oidc = format!("{issuer}/protocol/openid-connect");
    Json(json!({
        "issuer": issuer,
        "token_endpoint": format!("{oidc}/token"),
        "jwks_uri": format!("{oidc}/certs"),
        "end_session_endpoint": format!("{oidc}/logout"),
        "grant_types_supported": ["password", "refresh_token"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
    .into_response()
}

/// `GET /realms/{realm}/protocol/openid-connect/certs`
async fn get_certs(State(shared): State<AppState>, Path(realm): Path<String>) -> Response {
    if realm != REALM {
        return realm_does_not_exist();
    }
    Json(json!({ "keys": [shared.key.jwk()] })).into_response()
}

/// `POST /realms/{realm}/protocol/openid-connect/logout`: with the form field
/// `refresh_token` (a valid one of this sandbox), ends its session: its refresh tokens are
/// refused from then on (its access tokens stay valid until they expire, as for an API that
/// checks tokens offline). Without one it does nothing.
async fn post_logout(
    State(shared): State<AppState>,
    Path(realm): Path<String>,
    body: Body,
) -> Response {
    if realm != REALM {
        return realm_does_not_exist();
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Request body unreadable or larger than 1 MiB",
        );
    };
    let token = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "refresh_token")
        .map(|(_, v)| v.into_owned());
    if let Some(token) = token {
        let claims = jwt::verify(&shared.key, &token)
            .ok()
            .as_ref()
            .and_then(Claims::from_value)
            .filter(|c| c.typ == "Refresh" && c.iss == shared.issuer());
        let Some(claims) = claims else {
            return invalid_refresh_token("Invalid refresh token");
        };
        lock(&shared.ended_sessions).insert(claims.session_state);
    }
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
    refresh_expires_in: u64,
    refresh_token: String,
    token_type: &'static str,
    #[serde(rename = "not-before-policy")]
    not_before_policy: u64,
    session_state: String,
    scope: &'static str,
}

/// `POST /realms/{realm}/protocol/openid-connect/token`
async fn post_token(
    State(shared): State<AppState>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if realm != REALM {
        return realm_does_not_exist();
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Request body unreadable or larger than 1 MiB",
        );
    };
    let form: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let grant_type = field("grant_type");
    if !matches!(grant_type, Some("password" | "refresh_token")) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant_type",
        );
    }
    let (client_id, client_secret) = match basic_credentials(&headers) {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            field("client_id").map(str::to_owned),
            field("client_secret").map(str::to_owned),
        ),
    };
    let Some(client_id) = client_id else {
        return invalid_client();
    };
    let required_secret = match lock(&shared.clients).get(&client_id) {
        None => return invalid_client(),
        Some(secret) => secret.clone(),
    };
    if required_secret.is_some() && required_secret != client_secret {
        return invalid_client();
    }

    let now = shared.clock_secs();
    let (username, session_state) = if grant_type == Some("password") {
        let user = field("username").and_then(|name| shared.find_user(name));
        match user {
            Some(user) if Some(user.password.as_str()) == field("password") => {
                let session = shared.key.random_uuid();
                lock(&shared.sessions)
                    .entry(user.username.to_lowercase())
                    .or_default()
                    .push(session.clone());
                (user.username, session)
            }
            _ => {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_grant",
                    "Invalid user credentials",
                )
            }
        }
    } else {
        let Some(token) = field("refresh_token") else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing parameter: refresh_token",
            );
        };
        let claims = jwt::verify(&shared.key, token)
            .ok()
            .as_ref()
            .and_then(Claims::from_value);
        let Some(claims) = claims.filter(|c| c.typ == "Refresh") else {
            return invalid_refresh_token("Invalid refresh token");
        };
        if claims.iss != shared.issuer() {
            return invalid_refresh_token(&format!(
                "Invalid token issuer. Expected '{}'",
                shared.issuer()
            ));
        }
        if claims.exp <= now {
            return invalid_refresh_token("Token is not active");
        }
        if shared.session_revoked(&claims.session_state)
            || lock(&shared.ended_sessions).contains(&claims.session_state)
        {
            return invalid_refresh_token("Session not active");
        }
        if claims.azp != client_id {
            return invalid_refresh_token(
                "Invalid refresh token. Token client and authorized client don't match",
            );
        }
        let Some(user) = shared.find_user(&claims.username) else {
            return invalid_refresh_token("Invalid refresh token");
        };
        (user.username, claims.session_state)
    };

    let lifetimes = *lock(&shared.lifetimes);
    let access_lifetime = lifetimes.access.as_secs();
    let refresh_lifetime = lifetimes.refresh.as_secs();
    no_store(
        Json(TokenResponse {
            access_token: access_token(
                &shared,
                &username,
                &client_id,
                &session_state,
                now.saturating_add(access_lifetime),
            ),
            expires_in: access_lifetime,
            refresh_expires_in: refresh_lifetime,
            refresh_token: refresh_token(
                &shared,
                &username,
                &client_id,
                &session_state,
                now.saturating_add(refresh_lifetime),
            ),
            token_type: "Bearer",
            not_before_policy: 0,
            session_state,
            scope: SCOPE,
        })
        .into_response(),
    )
}

/// Client credentials from an `Authorization: Basic` header (RFC 6749 section 2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    Some((unescape(id), unescape(secret)))
}

/// The realm roles of a user's access tokens.
fn realm_roles(shared: &Shared, username: &str) -> Vec<&'static str> {
    let mut roles = vec![
        "default-roles-squonk2",
        "offline_access",
        "uma_authorization",
    ];
    if shared.find_user(username).is_some_and(|u| u.may_be_admin) {
        roles.extend(["data-manager-admin", "account-server-admin"]);
    }
    roles
}

/// A signed access token for `username`, issued to `client_id`, expiring at `exp`.
pub(crate) fn access_token(
    shared: &Shared,
    username: &str,
    client_id: &str,
    session_state: &str,
    exp: u64,
) -> String {
    let claims: Value = json!({
        "exp": exp,
        "iat": shared.clock_secs(),
        "jti": shared.key.random_uuid(),
        "iss": shared.issuer(),
        "aud": "account",
        "sub": stable_uuid(username),
        "typ": "Bearer",
        "azp": client_id,
        "session_state": session_state,
        "sid": session_state,
        "acr": "1",
        "realm_access": { "roles": realm_roles(shared, username) },
        "scope": SCOPE,
        "email_verified": true,
        "name": username,
        "preferred_username": username,
        "email": format!("{username}@example.com"),
    });
    jwt::sign(&shared.key, &claims)
}

/// A signed refresh token for `username`, issued to `client_id`, expiring at `exp`.
pub(crate) fn refresh_token(
    shared: &Shared,
    username: &str,
    client_id: &str,
    session_state: &str,
    exp: u64,
) -> String {
    let issuer = shared.issuer();
    let claims: Value = json!({
        "exp": exp,
        "iat": shared.clock_secs(),
        "jti": shared.key.random_uuid(),
        "iss": issuer,
        "aud": issuer,
        "sub": stable_uuid(username),
        "typ": "Refresh",
        "azp": client_id,
        "session_state": session_state,
        "sid": session_state,
        "scope": SCOPE,
        "preferred_username": username,
    });
    jwt::sign(&shared.key, &claims)
}
