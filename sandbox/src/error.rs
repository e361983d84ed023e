//! The error body of the Data Manager, Account Server and UI APIs (`{"error": "..."}`), and
//! the sandbox API's own [`Error`].

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;

/// The largest JSON body read (by the APIs and by the sandbox's controls).
const MAX_JSON_BODY: usize = 1024 * 1024;

/// What [`json_body`] makes of a blank body (empty or only whitespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blank {
    /// Read as `{}` (the Account Server's bodies, all of whose fields may be missing).
    EmptyObject,
    /// Parsed as it is, so refused as bad JSON.
    Refused,
}

/// Reads a JSON body (at most 1 MiB) into `T`. An unreadable body is a 400
/// `unreadable body: ...`; JSON that is not a `T` is a 400 `{bad_json}: ...`.
pub(crate) async fn json_body<T: DeserializeOwned>(
    body: Body,
    blank: Blank,
    bad_json: &str,
) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_JSON_BODY)
        .await
        .map_err(|e| ApiError::bad_request(format!("unreadable body: {e}")))?;
    let bytes: &[u8] = if blank == Blank::EmptyObject && bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("{bad_json}: {e}")))
}

/// An error answer with the APIs' `{"error": message}` body.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn not_found(method: &Method, path: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, format!("Not found: {method} {path}"))
    }

    /// A 401 that also tells the client which scheme to use.
    pub(crate) fn unauthorized(message: impl Into<String>) -> Response {
        let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

/// The error of the sandbox's own API: starting it, and the controls that can fail.
///
/// ```
/// fn start() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
///     let sandbox = squonk2_sandbox::Sandbox::start()?;
///     sandbox.add_service_error("WARNING", "disk 90% full")?;
///     Ok(())
/// }
/// # start().unwrap();
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<std::io::Error>,
}

/// What kind of [`Error`] it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument the control refuses (a bad date, severity, phase, amount, ...).
    InvalidInput,
    /// The thing named (a product, instance, user, ...) does not exist.
    NotFound,
    /// A fixture that cannot be read or is wrong.
    Fixture,
    /// The port asked for is taken ([`SandboxBuilder::port`](crate::SandboxBuilder::port)).
    PortInUse,
    /// The operating system refused something else (a directory, a thread, ...).
    Io,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotFound, message)
    }

    /// What kind of error it is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the source's.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        let kind = match error.kind() {
            std::io::ErrorKind::InvalidData => ErrorKind::Fixture,
            std::io::ErrorKind::AddrInUse => ErrorKind::PortInUse,
            _ => ErrorKind::Io,
        };
        Error {
            kind,
            message: error.to_string(),
            source: Some(error),
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(error: Error) -> Self {
        match error.source {
            Some(source) => source,
            None => std::io::Error::new(
                match error.kind {
                    ErrorKind::NotFound => std::io::ErrorKind::NotFound,
                    ErrorKind::Fixture => std::io::ErrorKind::InvalidData,
                    _ => std::io::ErrorKind::InvalidInput,
                },
                error.message,
            ),
        }
    }
}
