//! RS256 JSON Web Tokens, signed and verified with the realm key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::keys::RealmKey;

/// Why a token was rejected before looking at its claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JwtError {
    /// Not three base64url JSON segments, or not an RS256 token.
    Malformed,
    /// Not signed by the realm key.
    BadSignature,
}

/// A signed compact JWT with the given claims.
pub(crate) fn sign(key: &RealmKey, claims: &Value) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": key.kid});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = URL_SAFE_NO_PAD.encode(key.sign(signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

/// The claims of `token` if it is an RS256 JWT signed by `key` (expiry is the caller's business).
pub(crate) fn verify(key: &RealmKey, token: &str) -> Result<Value, JwtError> {
    let mut segments = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(JwtError::Malformed);
    };
    let decode_json = |segment: &str| -> Result<Value, JwtError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(segment)
            .map_err(|_| JwtError::Malformed)?;
        serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
    };
    let header = decode_json(header)?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(JwtError::Malformed);
    }
    let claims_value = decode_json(claims)?;
    if !claims_value.is_object() {
        return Err(JwtError::Malformed);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JwtError::Malformed)?;
    let signed_len = token.len() - signature_len(token);
    if !key.verify(&token.as_bytes()[..signed_len], &signature) {
        return Err(JwtError::BadSignature);
    }
    Ok(claims_value)
}

/// The length of the signature segment and its leading dot.
fn signature_len(token: &str) -> usize {
    token.rfind('.').map_or(0, |i| token.len() - i)
}

/// The claims the sandbox relies on, read from a verified token.
#[derive(Debug, Clone)]
pub(crate) struct Claims {
    pub(crate) exp: u64,
    pub(crate) typ: String,
    pub(crate) azp: String,
    pub(crate) username: String,
    pub(crate) session_state: String,
    /// The issuer (empty when missing).
    pub(crate) iss: String,
}

impl Claims {
    /// `None` when a claim the sandbox always sets is missing.
    pub(crate) fn from_value(value: &Value) -> Option<Claims> {
        let text = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
        Some(Claims {
            exp: value.get("exp").and_then(Value::as_u64)?,
            typ: text("typ")?,
            azp: text("azp")?,
            username: text("preferred_username")?,
            session_state: text("session_state").unwrap_or_default(),
            iss: text("iss").unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tampering() {
        let key = RealmKey::load().expect("key");
        let token = sign(&key, &json!({"sub": "x", "exp": 1}));
        assert_eq!(verify(&key, &token), Ok(json!({"sub": "x", "exp": 1})));

        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(json!({"sub": "y", "exp": 1}).to_string());
        parts[1] = &forged;
        assert_eq!(verify(&key, &parts.join(".")), Err(JwtError::BadSignature));
        assert_eq!(verify(&key, "a.b"), Err(JwtError::Malformed));
        assert_eq!(verify(&key, "not a token"), Err(JwtError::Malformed));
        assert_eq!(
            verify(&key, &format!("{token}.x")),
            Err(JwtError::Malformed)
        );
    }
}
