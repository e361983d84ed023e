//! [`ErrorKind`]: why a call failed, as a value to match on.

use std::fmt;

/// Why a call failed, for code that decides what to do next (retry, fix the input, log in
/// again) without reading the error text.
///
/// Returned by [`ApiRv::error_kind`](crate::ApiRv::error_kind) and held in
/// [`ApiError::kind`](crate::ApiError::kind). `http_status_code` and `msg["error"]` stay as
/// the Python client has them; the kind says the rest.
///
/// ```no_run
/// use squonk2::{dm_api, ErrorKind};
///
/// # fn main() -> anyhow::Result<()> {
/// let client = squonk2::Client::from_env()?;
/// let rv = dm_api::get_project(&client, "project-123");
/// match rv.error_kind() {
///     None => println!("{}", rv.msg["name"]),
///     Some(ErrorKind::Http) if rv.http_status_code == 404 => println!("no such project"),
///     Some(ErrorKind::Connect | ErrorKind::Timeout) => println!("try again later"),
///     Some(other) => println!("{other}: {}", rv.error().unwrap_or_default()),
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
    /// The client cannot make the call as configured: no URL for the API, an invalid base
    /// URL, no token or Keycloak credentials.
    NotConfigured,
    /// No token could be had from Keycloak (refused credentials, Keycloak unreachable or
    /// answering nonsense).
    Login,
    /// The server could not be reached, or the connection closed before a complete answer.
    Connect,
    /// The call ran out of time (its deadline, or a transfer's inactivity time-out).
    Timeout,
    /// The TLS handshake failed (an untrusted or invalid certificate, for example).
    Tls,
    /// The server answered with a status that is not 2xx; `http_status_code` says which.
    Http,
    /// The server answered 2xx, but not with what the call expects (a body that is not
    /// JSON, an HTML page from a proxy or login gateway, a body too large to hold).
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
            ErrorKind::Login => "login",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Tls => "tls",
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
