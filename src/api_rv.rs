//! The value every endpoint function returns, and the error it turns into.

use std::fmt;

use serde_json::{json, Value};

use crate::error::ErrorKind;

/// What an endpoint function returns: the Rust form of the Python client's `ApiRv`
/// (`DmApiRv`, `AsApiRv`).
///
/// * `success`: whether the call did what was asked (any 2xx answer).
/// * `msg`: on success the server's JSON answer (`{}` when it sent none); on failure
///   `{"error": "..."}` saying what failed and why.
/// * `http_status_code`: the server's HTTP status, or `0` when no answer was had (no URL set,
///   bad input, connection refused, time-out, ...).
///
/// Use [`ApiRv::into_result`] to turn it into an [`anyhow::Result`] for `?`.
#[must_use = "an ApiRv says whether the call succeeded; check `success` or call `into_result()`"]
#[derive(Clone)]
pub struct ApiRv {
    /// Whether the call succeeded.
    pub success: bool,
    /// The server's JSON answer on success, `{"error": "..."}` on failure.
    pub msg: Value,
    /// The HTTP status of the answer, `0` when there was none.
    pub http_status_code: u16,
    /// What was called, for error messages: method and path template, never values.
    call: String,
    /// The function that made the call, e.g. `as_api::create_unit`.
    function: String,
    /// Why the call failed (set by this crate's request path on every failure).
    kind: Option<ErrorKind>,
    /// Whether the failure may pass by itself (no answer, a time-out, 429/502/503/504), so
    /// that waiting and asking again makes sense.
    transient: bool,
}

/// The Data Manager's name for [`ApiRv`], as in the Python client.
pub type DmApiRv = ApiRv;
/// The Account Server's name for [`ApiRv`], as in the Python client.
pub type AsApiRv = ApiRv;

impl ApiRv {
    /// Makes a value from its three parts (for tests and for code that wraps this crate).
    pub fn new(success: bool, msg: Value, http_status_code: u16) -> ApiRv {
        ApiRv {
            success,
            msg,
            http_status_code,
            call: String::new(),
            function: String::new(),
            kind: None,
            transient: false,
        }
    }

    pub(crate) fn failure(
        kind: ErrorKind,
        error: impl Into<String>,
        http_status_code: u16,
        call: &str,
    ) -> ApiRv {
        ApiRv {
            success: false,
            msg: json!({ "error": error.into() }),
            http_status_code,
            call: call.to_string(),
            function: String::new(),
            kind: Some(kind),
            transient: matches!(kind, ErrorKind::Connect | ErrorKind::Timeout)
                || (kind == ErrorKind::Http && is_transient_status(http_status_code)),
        }
    }

    /// Marks a failure as one that may pass by itself (a login that failed for want of an
    /// answer, for example).
    pub(crate) fn with_transient(mut self, transient: bool) -> ApiRv {
        self.transient = transient;
        self
    }

    /// Whether the failure may pass by itself: no answer, a time-out, or HTTP 429, 502, 503
    /// or 504. `false` on success.
    pub(crate) fn is_transient(&self) -> bool {
        !self.success && self.transient
    }

    pub(crate) fn with_call(mut self, call: &str) -> ApiRv {
        self.call = call.to_string();
        self
    }

    /// Names the function that made the call (`dm_api::get_project`), for error texts.
    pub(crate) fn with_function(mut self, function: impl Into<String>) -> ApiRv {
        self.function = function.into();
        self
    }

    /// The function of this crate that made the call, as a user writes it:
    /// `dm_api::get_project`, `as_api::create_unit` (empty when not known).
    #[must_use]
    pub fn function(&self) -> &str {
        &self.function
    }

    /// The failure text (`msg["error"]`) when the call failed, `None` when it succeeded.
    pub fn error(&self) -> Option<&str> {
        if self.success {
            return None;
        }
        Some(
            self.msg
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown error"),
        )
    }

    /// What was called, as `METHOD /path/{template}` (empty when not known).
    #[must_use]
    pub fn call(&self) -> &str {
        &self.call
    }

    /// Why the call failed; `None` when it succeeded.
    ///
    /// A failure made with [`ApiRv::new`] has no recorded cause: it is
    /// [`ErrorKind::Http`] when it has a status code and [`ErrorKind::Other`] otherwise.
    #[must_use]
    pub fn error_kind(&self) -> Option<ErrorKind> {
        if self.success {
            return None;
        }
        Some(self.kind.unwrap_or(if self.http_status_code != 0 {
            ErrorKind::Http
        } else {
            ErrorKind::Other
        }))
    }

    /// `Ok(msg)` on success, otherwise an error that downcasts to [`ApiError`].
    ///
    /// # Errors
    ///
    /// When the call failed: an [`ApiError`] with the status, the error text, the
    /// [`ErrorKind`] and what was called.
    ///
    /// ```no_run
    /// # fn main() -> anyhow::Result<()> {
    /// let client = squonk2::Client::from_env()?;
    /// let version = squonk2::dm_api::get_version(&client).into_result()?;
    /// println!("{}", version["version"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_result(self) -> anyhow::Result<Value> {
        if self.success {
            return Ok(self.msg);
        }
        let message = self.error().unwrap_or("unknown error").to_string();
        let kind = self.error_kind().unwrap_or(ErrorKind::Other);
        Err(ApiError {
            kind,
            status: self.http_status_code,
            message,
            call: self.call,
            function: self.function,
        }
        .into())
    }
}

impl PartialEq for ApiRv {
    /// Compares the three public fields, as the Python value would be compared.
    fn eq(&self, other: &ApiRv) -> bool {
        self.success == other.success
            && self.msg == other.msg
            && self.http_status_code == other.http_status_code
    }
}

impl fmt::Debug for ApiRv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRv")
            .field("success", &self.success)
            .field("msg", &self.msg)
            .field("http_status_code", &self.http_status_code)
            .field("kind", &self.error_kind())
            .finish()
    }
}

/// A failed call, as returned (inside [`anyhow::Error`]) by [`ApiRv::into_result`].
///
/// ```no_run
/// # fn main() {
/// # let client = squonk2::Client::from_env().unwrap();
/// match squonk2::dm_api::get_version(&client).into_result() {
///     Ok(version) => println!("{version}"),
///     Err(e) => match e.downcast_ref::<squonk2::ApiError>() {
///         Some(api) if api.status == 404 => eprintln!("not there: {}", api.message),
///         _ => eprintln!("{e:#}"),
///     },
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Why the call failed.
    pub kind: ErrorKind,
    /// The HTTP status of the answer, `0` when there was none.
    pub status: u16,
    /// What failed and why (the `msg["error"]` text).
    pub message: String,
    /// What was called: `METHOD /path/{template}`.
    pub call: String,
    /// The function that made the call, as a user writes it: `as_api::create_unit` (empty
    /// when not known).
    pub function: String,
}

impl fmt::Display for ApiError {
    /// `as_api::create_unit: Failed to create unit (HTTP 403: ...) [POST
    /// /organisation/{org_id}/unit]`: the function a user called, what went wrong, and the
    /// request it made.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.function.is_empty() {
            write!(f, "{}: ", self.function)?;
        }
        f.write_str(&self.message)?;
        if !self.call.is_empty() {
            write!(f, " [{}]", self.call)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Statuses that say "not now" rather than "no": too many requests, and the gateway
/// failures a proxy gives while a service restarts.
pub(crate) fn is_transient_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}
