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

/// Encodes one path segment (D2): `/`, `?`, `#` and everything but unreserved characters and
/// `@` are escaped, so a value can never change the shape of the URL.
pub(crate) fn path_segment(value: &str) -> String {
    percent_encode(value, |b| is_unreserved(b) || b == b'@', false)
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

/// The `exp` claim (seconds since the epoch) of a JWT, decoded but not verified.
/// `None` when the token is not a JWT with a numeric `exp`.
pub(crate) fn jwt_exp(token: &str) -> Option<i64> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let payload = base64url_decode(payload)?;
    let claims: serde_json::Value = serde_json::from_slice(&payload).ok()?;
    let exp = claims.get("exp")?;
    exp.as_i64().or_else(|| exp.as_f64().map(|f| f as i64))
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
