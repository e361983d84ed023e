//! Below the request path: the HTTP agent, sending one request with its time-outs, the debug
//! log, reading bounded bodies, and saying in words (and as an [`ErrorKind`]) why a request
//! got no answer. Keycloak logins and API calls both go through [`send`].

use std::io::{self, Read};
use std::time::{Duration, Instant};

use ureq::SendBody;

use crate::error::ErrorKind;

/// A new HTTP agent: keeps error answers (so their text can be shown), identifies itself,
/// and verifies certificates unless told not to.
pub(crate) fn new_agent(verify_ssl_cert: bool) -> ureq::Agent {
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(!verify_ssl_cert)
        .build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(concat!("squonk2-rust/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .new_agent()
}

/// How long one request may take.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Bounds connecting and each read and write: a transfer that keeps moving never times
    /// out (D15).
    pub(crate) inactivity: Duration,
    /// Bounds the whole exchange, connecting to the last byte of the answer (D19); `None`
    /// for file transfers without a deadline of their own.
    pub(crate) deadline: Option<Duration>,
    /// The time-out the caller set, which failures name (the deadline may be what is left
    /// of it after a login).
    pub(crate) shown: Duration,
}

impl Limits {
    /// Limits where both bounds are `timeout`: what every call that is not a file transfer
    /// gets.
    pub(crate) fn call(timeout: Duration) -> Limits {
        Limits {
            inactivity: timeout,
            deadline: Some(timeout),
            shown: timeout,
        }
    }

    /// A call with `timeout` of which only `left` remains.
    pub(crate) fn call_with_left(timeout: Duration, left: Duration) -> Limits {
        Limits {
            inactivity: left,
            deadline: Some(left),
            shown: timeout,
        }
    }

    /// The time-out a failure is reported against.
    fn shown(&self) -> Duration {
        self.shown
    }
}

/// Where the debug log goes: the `SQUONK2_API_DEBUG_REQUESTS` printout to stderr.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DebugLog<'a> {
    /// The URL as it may be shown (secrets replaced).
    pub(crate) url: &'a str,
    /// Which attempt this is (1 for the first).
    pub(crate) attempt: u32,
}

/// Sends `request` within `limits`. With `debug`, prints the method, the shown URL, the
/// status (or why there was none), the duration and the attempt number to stderr.
pub(crate) fn send(
    agent: &ureq::Agent,
    request: ureq::http::Request<SendBody<'static>>,
    limits: Limits,
    debug: Option<DebugLog<'_>>,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    let method = request.method().clone();
    let mut config = agent
        .configure_request(request)
        .timeout_connect(Some(limits.inactivity))
        .timeout_per_read(Some(limits.inactivity))
        .timeout_per_write(Some(limits.inactivity));
    if let Some(deadline) = limits.deadline {
        config = config.timeout_global(Some(deadline));
    }
    let request = config.build();
    let started = Instant::now();
    let outcome = agent.run(request);
    if let Some(debug) = debug {
        let status = match &outcome {
            Ok(response) => response.status().as_u16().to_string(),
            Err(e) => format!("failed: {}", describe(e, limits).1),
        };
        let attempt = if debug.attempt > 1 {
            format!(", attempt {}", debug.attempt)
        } else {
            String::new()
        };
        eprintln!(
            "squonk2: {method} {} -> {status} ({} ms{attempt})",
            debug.url,
            started.elapsed().as_millis()
        );
    }
    outcome
}

/// Reads at most `max` bytes of a body, keeping what arrived when the body is longer or is
/// cut short. The flag says whether all of it was read.
pub(crate) fn read_prefix(body: &mut ureq::Body, max: u64) -> (Vec<u8>, bool) {
    let mut reader = body.with_config().limit(u64::MAX).reader().take(max);
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => {
                let complete = (bytes.len() as u64) < max;
                return (bytes, complete);
            }
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return (bytes, false),
        }
    }
}

/// The first line-folded 200 characters of a body.
pub(crate) fn body_excerpt(text: &str) -> String {
    let folded: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut excerpt: String = folded.chars().take(200).collect();
    if folded.chars().count() > 200 {
        excerpt.push_str("...");
    }
    excerpt
}

/// Why a request got no (complete) answer: its kind and a sentence, e.g. `(Timeout, "timed
/// out after 4 s waiting for the server")`.
pub(crate) fn describe(error: &ureq::Error, limits: Limits) -> (ErrorKind, String) {
    use ureq::Error as E;
    let secs = limits.shown().as_secs_f64();
    // The inactivity time-out as the caller set it (a call's whole time-out).
    let inactive = if limits.deadline.is_some() {
        secs
    } else {
        limits.inactivity.as_secs_f64()
    };
    match error {
        E::Timeout(which) => {
            let text = match which {
                ureq::Timeout::Global => format!("timed out after {secs} s (the call's deadline)"),
                ureq::Timeout::Connect | ureq::Timeout::Resolve => {
                    format!("timed out after {inactive} s connecting")
                }
                ureq::Timeout::PerWrite | ureq::Timeout::SendBody | ureq::Timeout::SendRequest => {
                    format!("timed out after {inactive} s sending")
                }
                _ => format!("timed out after {inactive} s waiting for the server"),
            };
            (ErrorKind::Timeout, text)
        }
        E::Io(e) => describe_io(e, limits),
        E::HostNotFound => (ErrorKind::Connect, "host not found".to_string()),
        E::ConnectionFailed => (ErrorKind::Connect, "connection failed".to_string()),
        E::Tls(what) => (ErrorKind::Tls, format!("TLS error: {what}")),
        E::Rustls(e) => (ErrorKind::Tls, format!("TLS error: {e}")),
        E::Protocol(e) => (
            ErrorKind::Connect,
            format!("the connection was closed or the answer was not HTTP ({e})"),
        ),
        E::BadUri(_) => (ErrorKind::NotConfigured, "the URL is not valid".to_string()),
        E::BodyExceedsLimit(n) => (
            ErrorKind::Decode,
            format!("the answer is larger than {n} bytes"),
        ),
        other => (ErrorKind::Connect, other.to_string()),
    }
}

/// As [`describe`], for an I/O error (a failed read of an answer's body, for example).
pub(crate) fn describe_io(e: &io::Error, limits: Limits) -> (ErrorKind, String) {
    if let Some(inner) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
    {
        // ureq wraps its own errors (a deadline passed while reading) in io::Error.
        if !matches!(inner, ureq::Error::Io(_)) {
            return describe(inner, limits);
        }
    }
    let secs = limits.shown().as_secs_f64();
    match e.kind() {
        io::ErrorKind::ConnectionRefused => (ErrorKind::Connect, "connection refused".to_string()),
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::UnexpectedEof => (
            ErrorKind::Connect,
            "the connection was closed before a complete answer".to_string(),
        ),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            (ErrorKind::Timeout, format!("timed out after {secs} s"))
        }
        // rustls reports a failed handshake as invalid data.
        io::ErrorKind::InvalidData if is_tls_failure(&e.to_string()) => {
            (ErrorKind::Tls, format!("TLS error: {e}"))
        }
        _ => (ErrorKind::Connect, format!("I/O error: {e}")),
    }
}

/// Whether an I/O error's text is rustls' account of a failed handshake.
fn is_tls_failure(text: &str) -> bool {
    ["certificate", "peer", "alert", "handshake", "tls"]
        .iter()
        .any(|word| text.to_ascii_lowercase().contains(word))
}
