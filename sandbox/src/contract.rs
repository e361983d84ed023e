//! Optional capture of the sandbox's own JSON answers, so that CI can type-check them against
//! the official API types (`tools/contract/`).
//!
//! When the variable `SQUONK2_SANDBOX_CONTRACT_DIR` names a directory, every Data Manager and
//! Account Server answer a handler gives (not a forced fault answer) is appended, as one JSON
//! line `{"package", "method", "path", "status", "content_type", "body"}`, to a file of this
//! process in that directory. Nothing is captured, and nothing costs anything, otherwise.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use http_body_util::BodyExt as _;

use crate::state::lock;
use crate::{account_server, dm};

/// The variable naming the capture directory.
pub const CONTRACT_DIR_VAR: &str = "SQUONK2_SANDBOX_CONTRACT_DIR";

/// The most of one answer captured; larger answers are passed on unrecorded.
const MAX_CAPTURED: usize = 4 * 1024 * 1024;

fn log_file() -> Option<&'static Mutex<File>> {
    static FILE: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::var_os(CONTRACT_DIR_VAR)?;
        std::fs::create_dir_all(&dir).ok()?;
        let path = std::path::Path::new(&dir).join(format!("samples-{}.jsonl", std::process::id()));
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
            .map(Mutex::new)
    })
    .as_ref()
}

/// Records `response` when capture is on and it is a DM or AS answer; returns it unchanged.
pub(crate) async fn capture(method: &str, decoded_path: &str, response: Response) -> Response {
    let Some(file) = log_file() else {
        return response;
    };
    // An OPTIONS answer (a CORS preflight when CORS is off) is no API answer.
    if method == "OPTIONS" {
        return response;
    }
    let (package, path) = if let Some(rest) = decoded_path.strip_prefix(dm::PREFIX) {
        ("dm", rest)
    } else if let Some(rest) = decoded_path.strip_prefix(account_server::PREFIX) {
        ("as", rest)
    } else {
        return response;
    };
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if !content_type.contains("json") {
        let line = serde_json::json!({
            "package": package, "method": method, "path": path,
            "status": response.status().as_u16(), "content_type": content_type, "body": null,
        });
        let _ = writeln!(lock(file), "{line}");
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match http_body_util::Limited::new(body, MAX_CAPTURED)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Response::from_parts(parts, Body::empty());
        }
    };
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        let line = serde_json::json!({
            "package": package, "method": method, "path": path,
            "status": parts.status.as_u16(), "content_type": content_type, "body": value,
        });
        let _ = writeln!(lock(file), "{line}");
    }
    Response::from_parts(parts, Body::from(bytes))
}
