//! The bearer-token check in front of the Data Manager and Account Server APIs.
//!
//! [`check`] runs once per request in the server pipeline, before routing, so
//! handlers never check tokens themselves: a handler that needs the caller
//! takes an [`AuthUser`] argument (or `Option<AuthUser>` on an open path).

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::Response;

use crate::error::ApiError;
use crate::jwt::{self, Claims, JwtError};
use crate::state::Shared;
use crate::{account_server, dm, AS_CLIENT_ID, DM_CLIENT_ID};

/// The user a valid access token was issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthUser {
    pub(crate) username: String,
    pub(crate) may_be_admin: bool,
    /// The token's `azp`.
    pub(crate) client_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<AuthUser>().cloned().ok_or_else(|| {
            ApiError::unauthorized("missing token: this endpoint needs a bearer token")
        })
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<AuthUser>().cloned())
    }
}

/// Which client's tokens an API accepts, and which of its paths need none.
struct Guard {
    prefix: &'static str,
    client_id: &'static str,
    /// Paths below `prefix`; `*` matches any one segment.
    open_paths: &'static [&'static str],
}

const GUARDS: [Guard; 2] = [
    Guard {
        prefix: dm::PREFIX,
        client_id: DM_CLIENT_ID,
        open_paths: dm::OPEN_PATHS,
    },
    Guard {
        prefix: account_server::PREFIX,
        client_id: AS_CLIENT_ID,
        open_paths: account_server::OPEN_PATHS,
    },
];

fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pattern = pattern.split('/');
    let mut path = path.split('/');
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some("*"), Some(segment)) if !segment.is_empty() => {}
            (Some(expected), Some(segment)) if expected == segment => {}
            _ => return false,
        }
    }
}

/// Checks the bearer token of a request to `path` (as received).
///
/// `Ok(Some(user))` when a valid token was sent, `Ok(None)` when none is
/// needed and no valid one was sent, otherwise `Err` with the 401 message.
pub(crate) fn check(
    shared: &Shared,
    path: &str,
    headers: &HeaderMap,
) -> Result<Option<AuthUser>, String> {
    let Some((guard, rest)) = GUARDS.iter().find_map(|g| {
        let rest = path.strip_prefix(g.prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then_some((g, rest))
    }) else {
        return Ok(None);
    };
    let open = guard.open_paths.iter().any(|p| path_matches(p, rest));
    match authenticate(shared, headers, guard.client_id) {
        Ok(user) => Ok(Some(user)),
        Err(_) if open => Ok(None),
        Err(message) => Err(message),
    }
}

fn authenticate(shared: &Shared, headers: &HeaderMap, client_id: &str) -> Result<AuthUser, String> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err("missing token: send an 'Authorization: Bearer <access token>' header".into());
    };
    let value = value.to_str().unwrap_or_default().trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(
                "missing token: the Authorization header is not 'Bearer <access token>'".into(),
            )
        }
    };
    let claims = match jwt::verify(&shared.key, token) {
        Ok(value) => value,
        Err(JwtError::Malformed) => return Err("invalid token: not a JWT signed with RS256".into()),
        Err(JwtError::BadSignature) => return Err("invalid token: bad signature".into()),
    };
    let Some(claims) = Claims::from_value(&claims) else {
        return Err("invalid token: missing claims".into());
    };
    if claims.typ != "Bearer" {
        return Err(format!(
            "invalid token: a '{}' token is not an access token",
            claims.typ
        ));
    }
    if claims.iss != shared.issuer() {
        return Err(format!(
            "invalid token: issued by '{}', expected '{}' (a token of another sandbox?)",
            claims.iss,
            shared.issuer()
        ));
    }
    if claims.exp <= shared.clock_secs() {
        return Err("expired token".into());
    }
    if shared.session_revoked(&claims.session_state) {
        return Err("invalid token: the session was revoked".into());
    }
    if claims.azp != client_id {
        return Err(format!(
            "token issued for another client: '{}', expected '{client_id}'",
            claims.azp
        ));
    }
    let may_be_admin = shared
        .find_user(&claims.username)
        .is_some_and(|u| u.may_be_admin);
    Ok(AuthUser {
        username: claims.username,
        may_be_admin,
        client_id: claims.azp,
    })
}

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn open_path_patterns() {
        assert!(path_matches("/version", "/version"));
        assert!(!path_matches("/version", "/version/x"));
        assert!(path_matches(
            "/instance/*/token/*",
            "/instance/i-1/token/abc"
        ));
        assert!(!path_matches("/instance/*/token/*", "/instance//token/abc"));
        assert!(!path_matches("/instance/*/token/*", "/instance/i-1/token"));
        assert!(path_matches(
            "/project/*/file-with-token",
            "/project/p/file-with-token"
        ));
    }
}
