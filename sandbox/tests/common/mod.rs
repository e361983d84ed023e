//! Helpers shared by the sandbox's test binaries.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;
use squonk2_sandbox::{Sandbox, REALM};

/// An agent that returns error statuses as responses and gives up after 10 s.
pub fn agent() -> ureq::Agent {
    agent_with_timeout(Duration::from_secs(10))
}

pub fn agent_with_timeout(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// The status and JSON body of a response (`Value::Null` if the body is not JSON).
pub fn json_of(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut response = response.expect("request failed");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().expect("read body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub fn get(url: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = agent().get(url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    json_of(request.call())
}

pub fn token_url(sandbox: &Sandbox) -> String {
    format!(
        "{}/realms/{REALM}/protocol/openid-connect/token",
        sandbox.keycloak_url()
    )
}

/// Posts a form to the token endpoint.
pub fn token_request(sandbox: &Sandbox, form: &[(&str, &str)]) -> (u16, Value) {
    json_of(
        agent()
            .post(token_url(sandbox))
            .send_form(form.iter().copied()),
    )
}

/// Logs in with the password grant, panicking unless it succeeds.
pub fn login(sandbox: &Sandbox, client_id: &str, username: &str, password: &str) -> Value {
    let (status, body) = token_request(
        sandbox,
        &[
            ("grant_type", "password"),
            ("client_id", client_id),
            ("username", username),
            ("password", password),
        ],
    );
    assert_eq!(status, 200, "login failed: {body}");
    body
}

pub fn access_token(reply: &Value) -> &str {
    reply["access_token"].as_str().expect("access_token")
}

/// One part of a multipart body: name, filename, content type, content.
pub type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

/// A multipart/form-data body.
pub fn multipart(boundary: &str, parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, content_type, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{name}\"");
        if let Some(filename) = filename {
            disposition.push_str(&format!("; filename=\"{filename}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(content_type) = content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A reader of `len` bytes, byte i being `i % 251`, also hashing what it yields.
pub struct PatternReader {
    pub position: u64,
    pub len: u64,
    pub sha: ring::digest::Context,
}

impl PatternReader {
    pub fn new(len: u64) -> Self {
        PatternReader {
            position: 0,
            len,
            sha: ring::digest::Context::new(&ring::digest::SHA256),
        }
    }

    pub fn sha256_hex(self) -> String {
        self.sha
            .finish()
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl std::io::Read for PatternReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min((self.len - self.position) as usize);
        for (i, byte) in buf[..n].iter_mut().enumerate() {
            *byte = ((self.position + i as u64) % 251) as u8;
        }
        self.sha.update(&buf[..n]);
        self.position += n as u64;
        Ok(n)
    }
}
