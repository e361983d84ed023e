//! Percent-encoding, form encoding and the small decoders the request path needs.

use std::fmt::Write;

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn percent_encode(value: &str, keep: impl Fn(u8) -> bool, space_as_plus: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if keep(b) {
            out.push(b as char);
        } else if space_as_plus && b == b' ' {
            out.push('+');
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Encodes one path segment ([D2](crate::python_differences)): `/`, `?`, `#` and everything but unreserved characters and
/// `@` are escaped, so a value can never change the shape of the URL.
pub(crate) fn path_segment(value: &str) -> String {
    percent_encode(value, |b| is_unreserved(b) || b == b'@', false)
}

/// Encodes a query value with every byte but letters, digits and `-._~` escaped (a space
/// as `%20`).
#[cfg_attr(not(feature = "event-stream"), allow(dead_code))]
pub(crate) fn query_component(value: &str) -> String {
    percent_encode(value, is_unreserved, false)
}

/// Encodes a query or form value the way Python's `urlencode` does: UTF-8 percent escapes,
/// space as `+`, only letters, digits and `-._~` left alone.
pub(crate) fn form_component(value: &str) -> String {
    percent_encode(value, is_unreserved, true)
}

/// `a=1&b=2` from ordered pairs.
pub(crate) fn form_urlencode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&form_component(k.as_ref()));
        out.push('=');
        out.push_str(&form_component(v.as_ref()));
    }
    out
}

/// Checks that `url` is an absolute `http://` or `https://` URL with a host, and no query,
/// fragment or white space. The reasons never repeat the URL (it may hold a password).
pub(crate) fn check_base_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| "it must start with http:// or https://".to_string())?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.ends_with('@') {
        return Err("it has no host".to_string());
    }
    if url.contains(['?', '#']) {
        return Err("it must not have a query or fragment".to_string());
    }
    if let Some(c) = url.chars().find(|c| c.is_control()) {
        return Err(format!("it contains a control character ({c:?})"));
    }
    if url.chars().any(char::is_whitespace) {
        return Err("it contains white space".to_string());
    }
    Ok(())
}

/// `url` without a trailing `/` ([D17](crate::python_differences)): every path is appended to it with its own `/`.
pub(crate) fn trim_base_url(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// `url` with any user information (`user:password@`) replaced by `***@`, for texts a
/// person may see.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    match url[scheme_end..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..scheme_end], &url[scheme_end + at..]),
        None => url.to_string(),
    }
}

/// Replaces each secret in `text` with `***`, in every form a server or proxy might echo
/// it: as given, form-encoded, percent-encoded as a path segment, and JSON-escaped.
/// Secrets shorter than 4 characters are left alone (they would blank out ordinary words).
pub(crate) fn scrub(mut text: String, secrets: &[&str]) -> String {
    for secret in secrets.iter().filter(|s| s.chars().count() >= 4) {
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json.trim_matches('"');
        for form in [
            secret.to_string(),
            form_component(secret),
            path_segment(secret),
            json.to_string(),
        ] {
            if !form.is_empty() && text.contains(form.as_str()) {
                text = text.replace(form.as_str(), "***");
            }
        }
    }
    text
}

/// Standard base64 with padding (as in `Basic` credentials).
#[cfg_attr(not(feature = "event-stream"), allow(dead_code))]
pub(crate) fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes unpadded or padded base64url (as used in JWTs). `None` on bad input.
pub(crate) fn base64url_decode(input: &str) -> Option<Vec<u8>> {
    let input = input.trim_end_matches('=');
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in input.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The times a JWT states about itself (seconds since the epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct JwtTimes {
    /// When it expires.
    pub(crate) exp: i64,
    /// When it was issued, if it says.
    pub(crate) iat: Option<i64>,
}

/// The `exp` and `iat` claims of a JWT, decoded but not verified. `None` when the token is
/// not a JWT with a numeric `exp`. Numbers outside `i64` are clamped to it (`-1e300` is
/// `i64::MIN`), never wrapped.
pub(crate) fn jwt_times(token: &str) -> Option<JwtTimes> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || payload.len() > 64 * 1024 {
        return None;
    }
    let payload = base64url_decode(payload)?;
    let claims: serde_json::Value = serde_json::from_slice(&payload).ok()?;
    Some(JwtTimes {
        exp: json_seconds(claims.get("exp")?)?,
        iat: claims.get("iat").and_then(json_seconds),
    })
}

/// A JSON number of seconds as an `i64`: floats are truncated, and numbers outside `i64`
/// are clamped to it (`as` saturates, and maps NaN to 0), never wrapped. `None` for a value
/// that is not a number.
pub(crate) fn json_seconds(value: &serde_json::Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
}

/// The `exp` claim of a JWT (see [`jwt_times`]).
pub(crate) fn jwt_exp(token: &str) -> Option<i64> {
    jwt_times(token).map(|t| t.exp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_cannot_change_the_url() {
        assert_eq!(
            path_segment("us er/é?x=1#frag"),
            "us%20er%2F%C3%A9%3Fx%3D1%23frag"
        );
        assert_eq!(path_segment("project-1a2b_3.c~"), "project-1a2b_3.c~");
        assert_eq!(path_segment("a@b.com"), "a@b.com");
    }

    #[test]
    fn form_values_follow_python_urlencode() {
        assert_eq!(
            form_urlencode(&[("password", "p&ss=w+rd %/é"), ("private", "True")]),
            "password=p%26ss%3Dw%2Brd+%25%2F%C3%A9&private=True"
        );
    }

    #[test]
    fn urls_lose_their_user_information() {
        assert_eq!(
            redact_url("https://u:pw@host:8443/auth/x"),
            "https://***@host:8443/auth/x"
        );
        assert_eq!(redact_url("http://host/a@b"), "http://host/a@b");
        assert_eq!(redact_url("not a url"), "not a url");
        assert!(check_base_url("http://u:pw@/x").is_err());
    }

    #[test]
    fn scrub_removes_every_form_of_a_secret() {
        let secret = "p&ss w\"rd/é";
        let text = format!(
            "raw {secret} form {} path {} json {}",
            form_component(secret),
            path_segment(secret),
            serde_json::to_string(secret).unwrap()
        );
        let scrubbed = scrub(text, &[secret]);
        assert!(!scrubbed.contains("ss"), "{scrubbed}");
        assert_eq!(scrub("abc".into(), &["abc"]), "abc");
    }

    #[test]
    fn base64_encodes_known_values() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("carol:proxy-pass-7", "Y2Fyb2w6cHJveHktcGFzcy03"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
        }
        assert_eq!(base64_encode(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn base64url_round_trips_known_values() {
        assert_eq!(
            base64url_decode("eyJleHAiOjF9").as_deref(),
            Some(&br#"{"exp":1}"#[..])
        );
        assert_eq!(base64url_decode("YQ").as_deref(), Some(&b"a"[..]));
        assert_eq!(base64url_decode("a*b"), None);
    }

    #[test]
    fn jwt_exp_reads_the_claim_and_rejects_junk() {
        assert_eq!(
            jwt_exp("eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDB9.sig"),
            Some(1700)
        );
        assert_eq!(jwt_exp("not-a-jwt"), None);
        assert_eq!(jwt_exp("a.b.c.d"), None);
        assert_eq!(jwt_exp("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig"), None);
    }
}
