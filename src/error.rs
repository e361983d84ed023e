//! [`Error`], the one error type of this crate, and [`ErrorKind`], why a call failed.

use std::fmt;

/// Why something failed, for code that decides what to do next (retry, fix the input, log in
/// again) without reading the error text.
///
/// Given by [`Error::kind`] and [`ApiRv::error_kind`](crate::ApiRv::error_kind).
///
/// ```no_run
/// use squonk2::{dm_api, ErrorKind};
///
/// # fn main() -> Result<(), squonk2::Error> {
/// let client = squonk2::Client::from_env()?;
/// match dm_api::get_project(&client, "project-123").typed() {
///     Ok(project) => println!("{}", project.name),
///     Err(e) if e.http_status_code() == 404 => println!("no such project"),
///     Err(e) if e.kind() == ErrorKind::Timeout || e.is_transient() => println!("try again later"),
///     Err(e) => println!("{}: {e}", e.kind()),
/// }
/// # Ok(())
/// # }
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An argument was refused before anything was sent: empty, `.` or `..` as a path
    /// value, a malformed rate or id, a specification that is not an object, ...
    InvalidInput,
    /// The client cannot make the call as configured: no URL for the API, no token or
    /// Keycloak credentials, no client id; or a [`ClientBuilder`](crate::ClientBuilder)
    /// setting that is missing or contradicts another.
    NotConfigured,
    /// A URL given to the client (an API, Keycloak or proxy URL) is not valid.
    InvalidUrl,
    /// CA certificates to trust could not be used: a PEM text without a certificate, a CA
    /// bundle file that cannot be read.
    Certificate,
    /// The environments file (`~/.squonk2/environments`) could not be used: missing,
    /// unreadable, not formatted correctly, or without the environment asked for.
    Environment,
    /// No token could be had from Keycloak (refused credentials, Keycloak unreachable or
    /// answering nonsense).
    Login,
    /// The server could not be reached, or the connection closed before a complete answer.
    /// Transient: idempotent requests are retried ([D20](crate::python_differences)).
    Connect,
    /// The call ran out of time (its deadline, or a transfer's inactivity time-out).
    Timeout,
    /// The TLS handshake failed (an untrusted or invalid certificate, for example).
    Tls,
    /// The server answered, but not with valid HTTP: redirects that go round in circles (more
    /// than 10), a redirect without a usable `Location`, a malformed status line or headers,
    /// headers too large. Sending the request again gets the same answer, so it is not
    /// retried (unlike [`ErrorKind::Connect`]).
    BadResponse,
    /// The server answered with a status that is not 2xx;
    /// [`Error::http_status_code`] says which.
    Http,
    /// The server answered 2xx, but not with what the call expects: a body that is not
    /// JSON (an HTML page from a proxy or login gateway), a body too large to hold, or JSON
    /// that does not fit the answer's type ([`Error::field_path`] says where).
    Decode,
    /// A local file could not be used: an upload that is not a readable regular file, a
    /// download destination that cannot be written.
    LocalFile,
    /// A failure made outside this crate (an [`ApiRv`](crate::ApiRv) built with
    /// [`ApiRv::new`](crate::ApiRv::new)) whose cause is not known.
    Other,
}

impl ErrorKind {
    /// A short name: `"invalid input"`, `"timeout"`, `"http"`, ...
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::NotConfigured => "not configured",
            ErrorKind::InvalidUrl => "invalid url",
            ErrorKind::Certificate => "certificate",
            ErrorKind::Environment => "environment",
            ErrorKind::Login => "login",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Tls => "tls",
            ErrorKind::BadResponse => "bad response",
            ErrorKind::Http => "http",
            ErrorKind::Decode => "decode",
            ErrorKind::LocalFile => "local file",
            ErrorKind::Other => "other",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every failure of this crate: a call that failed ([`ApiRv::typed`](crate::ApiRv::typed),
/// [`ApiRv::into_result`](crate::ApiRv::into_result)), an answer that does not fit its type,
/// a client that cannot be built, an environments file that cannot be used, a login that
/// was refused.
///
/// It says why ([`Error::kind`]), what the server answered ([`Error::http_status_code`],
/// [`Error::server_message`]), which function and request failed ([`Error::function`],
/// [`Error::call`]), whether the failure may pass by itself ([`Error::is_transient`]) and,
/// for an answer that does not fit, where ([`Error::field_path`]). Its text
/// ([`Display`](fmt::Display)) puts it together:
///
/// ```text
/// as_api::create_unit: Failed to create unit (HTTP 403: Not a member) [POST /organisation/{org_id}/unit]
/// ```
///
/// It is `Send + Sync + 'static`, so `?` turns it into an `anyhow::Error` or a
/// `Box<dyn std::error::Error>`. Secrets (passwords, tokens, client secrets) never appear in
/// it.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    message: String,
    http_status_code: u16,
    function: String,
    call: String,
    transient: bool,
    server_message: Option<String>,
    field_path: Option<String>,
}

impl Error {
    /// An error of `kind` saying `message` (for failures outside a call: building a client,
    /// reading the environments file).
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                http_status_code: 0,
                function: String::new(),
                call: String::new(),
                transient: false,
                server_message: None,
                field_path: None,
            }),
        }
    }

    pub(crate) fn with_status(mut self, http_status_code: u16) -> Error {
        self.inner.http_status_code = http_status_code;
        self
    }

    pub(crate) fn with_function(mut self, function: impl Into<String>) -> Error {
        self.inner.function = function.into();
        self
    }

    pub(crate) fn with_call(mut self, call: impl Into<String>) -> Error {
        self.inner.call = call.into();
        self
    }

    pub(crate) fn with_transient(mut self, transient: bool) -> Error {
        self.inner.transient = transient;
        self
    }

    pub(crate) fn with_server_message(mut self, text: Option<String>) -> Error {
        self.inner.server_message = text;
        self
    }

    pub(crate) fn with_field_path(mut self, path: impl Into<String>) -> Error {
        self.inner.field_path = Some(path.into());
        self
    }

    /// Why it failed.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of the server's answer, `0` when there was none (nothing sent, no
    /// answer, or not a call).
    #[must_use]
    pub fn http_status_code(&self) -> u16 {
        self.inner.http_status_code
    }

    /// What failed and why, without the function and call:
    /// `Failed to get project (HTTP 404: No such project)`; for a call, the `msg["error"]`
    /// text of its [`ApiRv`](crate::ApiRv).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The function of this crate that failed, as a user writes it: `dm_api::get_project`,
    /// `ClientBuilder::build`; `None` when not known.
    #[must_use]
    pub fn function(&self) -> Option<&str> {
        Some(self.inner.function.as_str()).filter(|f| !f.is_empty())
    }

    /// The request that failed, as `METHOD /path/{template}` (never with values); `None`
    /// when the failure was not a call.
    #[must_use]
    pub fn call(&self) -> Option<&str> {
        Some(self.inner.call.as_str()).filter(|c| !c.is_empty())
    }

    /// Whether the failure may pass by itself, so that waiting and trying again makes
    /// sense: no answer, a time-out, or HTTP 429, 502, 503 or 504.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        self.inner.transient
    }

    /// What the server said went wrong (its JSON `error` field, or the start of its
    /// answer), when it answered with a failure and said anything.
    #[must_use]
    pub fn server_message(&self) -> Option<&str> {
        self.inner.server_message.as_deref()
    }

    /// For an answer that does not fit its type ([`ErrorKind::Decode`]): where decoding
    /// failed, e.g. `msg.tasks[0].done`.
    #[must_use]
    pub fn field_path(&self) -> Option<&str> {
        self.inner.field_path.as_deref()
    }
}

impl fmt::Display for Error {
    /// `function: message [call]`, e.g. `as_api::create_unit: Failed to create unit (HTTP
    /// 403: ...) [POST /organisation/{org_id}/unit]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(function) = self.function() {
            write!(f, "{function}: ")?;
        }
        f.write_str(&self.inner.message)?;
        if let Some(call) = self.call() {
            write!(f, " [{call}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut s = f.debug_struct("Error");
        s.field("kind", &inner.kind)
            .field("message", &inner.message);
        if inner.http_status_code != 0 {
            s.field("http_status_code", &inner.http_status_code);
        }
        if let Some(function) = self.function() {
            s.field("function", &function);
        }
        if let Some(call) = self.call() {
            s.field("call", &call);
        }
        if inner.transient {
            s.field("transient", &true);
        }
        if let Some(path) = &inner.field_path {
            s.field("field_path", path);
        }
        s.finish()
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_send_sync_static_and_small() {
        fn check<T: std::error::Error + Send + Sync + 'static>() {}
        check::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn display_names_the_function_and_the_call() {
        let e = Error::new(ErrorKind::Http, "Failed to get project (HTTP 404: gone)")
            .with_status(404)
            .with_function("dm_api::get_project")
            .with_call("GET /project/{project_id}");
        assert_eq!(
            e.to_string(),
            "dm_api::get_project: Failed to get project (HTTP 404: gone) [GET /project/{project_id}]"
        );
        assert_eq!(Error::new(ErrorKind::Other, "x").to_string(), "x");
        assert_eq!(Error::new(ErrorKind::Other, "x").function(), None);
    }
}
