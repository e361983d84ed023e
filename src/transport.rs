//! Below the request path: the HTTP agent, sending one request with its time-outs, the debug
//! log, reading bounded bodies, and saying in words (and as an [`ErrorKind`]) why a request
//! got no answer. Keycloak logins and API calls both go through [`send`].

use std::io::{self, Read};
use std::time::{Duration, Instant};

use ureq::config::IpFamily;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::time::{
    Duration as UreqDuration, Duration::Exact, Instant as UreqInstant,
};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport,
};
use ureq::SendBody;

use crate::encoding::redact_url;
use crate::error::ErrorKind;

/// How the client reaches servers, for every API and Keycloak alike: which certificates it
/// trusts and which proxy it goes through.
#[derive(Clone, Default)]
pub(crate) struct Reach {
    /// Certificates trusted besides the bundled web roots (PEM from
    /// `ClientBuilder::add_root_certificate_pem` or `SQUONK2_CA_BUNDLE`).
    pub(crate) extra_roots: Vec<ureq::tls::Certificate<'static>>,
    /// The operating system's trust store instead of the bundled web roots.
    pub(crate) platform_roots: bool,
    /// Which proxy requests go through.
    pub(crate) proxy: ProxyChoice,
}

impl std::fmt::Debug for Reach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let proxy = match &self.proxy {
            ProxyChoice::FromEnv => "from the proxy environment variables".to_string(),
            ProxyChoice::Fixed(proxy) => redact_url(&proxy.uri().to_string()),
            ProxyChoice::Direct => "none".to_string(),
        };
        f.debug_struct("Reach")
            .field("added_root_certificates", &self.extra_roots.len())
            .field("platform_roots", &self.platform_roots)
            .field("proxy", &proxy)
            .finish()
    }
}

impl Reach {
    /// The certificates trusted when the platform's store is not used, as DER: the bundled
    /// web roots and the added ones. For every agent and the event streams alike.
    pub(crate) fn trusted_certificates(&self) -> impl Iterator<Item = &[u8]> {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| der.as_ref())
            .chain(self.extra_roots.iter().map(|certificate| certificate.der()))
    }
}

/// Which proxy requests go through.
#[derive(Clone, Default)]
pub(crate) enum ProxyChoice {
    /// `ALL_PROXY`, `HTTPS_PROXY` or `HTTP_PROXY` (first set wins), except for the hosts
    /// `NO_PROXY` names: ureq's own rule.
    #[default]
    FromEnv,
    /// This one, for every host.
    Fixed(ureq::Proxy),
    /// None, whatever the environment says.
    Direct,
}

/// The PEM certificates in `pem`: at least one, or why not.
pub(crate) fn parse_pem_certificates(
    pem: &[u8],
) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(certificate)) => certificates.push(certificate),
            // A bundle may carry keys or other blocks; only certificates are trusted.
            Ok(_) => {}
            Err(e) => return Err(format!("it is not valid PEM ({e})")),
        }
    }
    if certificates.is_empty() {
        return Err("it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_string());
    }
    Ok(certificates)
}

/// A new HTTP agent: keeps error answers (so their text can be shown), identifies itself,
/// verifies certificates unless told not to (against `reach`'s roots), and uses `reach`'s
/// proxy. TLS is rustls with the ring provider (named here: ureq's `rustls-no-provider`
/// brings neither a provider nor a second copy of the web roots).
pub(crate) fn new_agent(verify_ssl_cert: bool, reach: &Reach) -> ureq::Agent {
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(!verify_ssl_cert)
        .root_certs(root_certs(reach))
        .unversioned_rustls_crypto_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .build();
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections(IDLE_CONNECTIONS)
        .max_idle_connections_per_host(IDLE_CONNECTIONS_PER_HOST)
        .user_agent(concat!("squonk2-rust/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls);
    match &reach.proxy {
        // ureq's default configuration reads the proxy variables.
        ProxyChoice::FromEnv => {}
        ProxyChoice::Fixed(proxy) => config = config.proxy(Some(proxy.clone())),
        ProxyChoice::Direct => config = config.proxy(None),
    }
    ureq::Agent::with_parts(
        config.build(),
        LookUpWhenConnecting::default(),
        ResolveOnConnect,
    )
}

/// How many idle connections the pool keeps to one host: threads sharing a client each keep
/// theirs (ureq's default of 3 closed a connection on most calls of 4 threads). Up to this
/// many threads calling at once use one connection each to a host; past it, some answers'
/// connections are closed instead of kept.
const IDLE_CONNECTIONS_PER_HOST: usize = 32;
/// How many idle connections the pool keeps in all: the APIs and Keycloak may be different
/// hosts.
const IDLE_CONNECTIONS: usize = 2 * IDLE_CONNECTIONS_PER_HOST;
// Idle connections are closed after ureq's 15 s: below what servers and their front ends
// keep them (nginx 75 s, load balancers 60 s, the sandbox 30 s), so that a call never goes
// out on a connection the server is closing, which would fail a call that cannot be retried.

/// The resolver of our agents: ureq resolves a request's host name before it looks for an
/// idle connection, and, whenever a time-out is set (every call has its deadline), does it
/// on a new thread so that it can give up in time: a thread per call, even for an IP address
/// and on a kept-alive connection. This one answers an IP address at once (no look-up, no
/// thread) and leaves a name unresolved (no addresses), for [`LookUpWhenConnecting`] to look
/// up only when a new connection is made.
#[derive(Debug)]
struct ResolveOnConnect;

impl Resolver for ResolveOnConnect {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or_default();
        let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
        else {
            return Ok(self.empty());
        };
        let port = uri.port_u16().or(match uri.scheme_str() {
            Some("http") => Some(80),
            Some("https") => Some(443),
            _ => None,
        });
        let wanted = match config.ip_family() {
            IpFamily::Any => true,
            IpFamily::Ipv4Only => ip.is_ipv4(),
            IpFamily::Ipv6Only => ip.is_ipv6(),
        };
        match port {
            Some(port) if wanted => {
                let mut addrs = self.empty();
                addrs.push((ip, port).into());
                Ok(addrs)
            }
            // ureq's own errors (an unknown scheme, an address of the wrong family): its
            // resolver without a time-out runs in this thread, and an address needs no
            // look-up.
            _ => {
                let now = NextTimeout {
                    after: ureq::unversioned::transport::time::Duration::NotHappening,
                    ..timeout
                };
                DefaultResolver::default().resolve(uri, config, now)
            }
        }
    }
}

/// ureq's connectors, after looking up a host name that [`ResolveOnConnect`] left
/// unresolved: on a thread bounded by the connection's time-out (what is left of the call's
/// deadline), as ureq does, but only when a connection is actually made. What is left of
/// the time-out after the look-up bounds the connection. The look-ups a proxy needs (its own
/// name) are ureq's, made here too.
#[derive(Debug, Default)]
struct LookUpWhenConnecting {
    inner: DefaultConnector,
}

impl Connector for LookUpWhenConnecting {
    type Out = Box<dyn Transport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let resolver = DefaultResolver::default();
        let (addrs, now, timeout) = if details.addrs.is_empty() && resolved_here(details) {
            let addrs = resolver.resolve(details.uri, details.config, details.timeout)?;
            let now = (details.current_time)();
            let mut timeout = details.timeout;
            if let (Exact(after), UreqInstant::Exact(then), UreqInstant::Exact(started)) =
                (timeout.after, now, details.now)
            {
                timeout.after = Exact(after.saturating_sub(then.duration_since(started)));
            }
            (addrs, now, timeout)
        } else {
            (details.addrs.clone(), details.now, details.timeout)
        };
        let details = ConnectionDetails {
            uri: details.uri,
            addrs,
            config: details.config,
            request_level: details.request_level,
            // The connectors look up a proxy's name with it: ureq's own.
            resolver: &resolver,
            now,
            timeout,
            current_time: details.current_time.clone(),
            run_connector: details.run_connector.clone(),
            register_shutdown: details.register_shutdown.clone(),
        };
        let connected = self.inner.connect(&details, chained)?;
        Ok(connected.map(|transport| Box::new(SteadyTimeouts(transport)) as Box<dyn Transport>))
    }
}

/// How finely [`SteadyTimeouts`] rounds a time-out down.
const TIMEOUT_STEP: Duration = Duration::from_millis(10);
/// Time-outs shorter than this are passed on exactly.
const TIMEOUT_ROUNDED_FROM: Duration = Duration::from_secs(1);

/// The outermost layer of every connection: rounds the time-outs it passes on down to
/// [`TIMEOUT_STEP`] when they are at least [`TIMEOUT_ROUNDED_FROM`].
///
/// Every call has a deadline, so what is left of it differs at each read and write, and
/// ureq's socket sets the new value (a `setsockopt` system call) whenever it changes: two
/// system calls per call on a kept-alive connection. Rounded, the value stays the same from
/// one call to the next on a connection (calls made with one time-out), so the socket keeps
/// it. The price: a deadline may be reached up to 10 ms (and at most 1 %) early.
#[derive(Debug)]
struct SteadyTimeouts(Box<dyn Transport>);

impl SteadyTimeouts {
    fn rounded(timeout: NextTimeout) -> NextTimeout {
        fn down(after: UreqDuration) -> UreqDuration {
            match after {
                Exact(exact) if exact >= TIMEOUT_ROUNDED_FROM => {
                    // Past u32::MAX steps (16 months), the time-out stays as it is.
                    match u32::try_from(exact.as_nanos() / TIMEOUT_STEP.as_nanos()) {
                        Ok(steps) => Exact(TIMEOUT_STEP * steps),
                        Err(_) => Exact(exact),
                    }
                }
                other => other,
            }
        }
        NextTimeout {
            after: down(timeout.after),
            per_read: timeout.per_read.map(down),
            per_write: timeout.per_write.map(down),
            ..timeout
        }
    }
}

impl Transport for SteadyTimeouts {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.0.transmit_output(amount, Self::rounded(timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.0.await_input(Self::rounded(timeout))
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

/// Whether ureq would have resolved the host of `details` before connecting (ureq's rule):
/// without a proxy, for a host the proxy is not used for, or for a proxy that wants
/// addresses (SOCKS4); otherwise the proxy resolves it.
fn resolved_here(details: &ConnectionDetails) -> bool {
    match details.config.proxy() {
        None => true,
        Some(proxy) => proxy.is_no_proxy(details.uri) || proxy.resolve_target(),
    }
}

/// The proxy a request to `uri` goes through.
pub(crate) fn proxy_for(agent: &ureq::Agent, uri: &ureq::http::Uri) -> Option<ureq::Proxy> {
    agent
        .config()
        .proxy()
        .filter(|p| !p.is_no_proxy(uri))
        .cloned()
}

/// The roots certificates are verified against: the bundled Mozilla roots
/// (`webpki-root-certs`) and the caller's, or the operating system's store (feature
/// `platform-roots`).
fn root_certs(reach: &Reach) -> ureq::tls::RootCerts {
    use ureq::tls::{Certificate, RootCerts};
    #[cfg(feature = "platform-roots")]
    if reach.platform_roots {
        return RootCerts::PlatformVerifier;
    }
    RootCerts::from(
        reach
            .trusted_certificates()
            .map(|der| Certificate::from_der(der).to_owned()),
    )
}

/// A proxy as it may be shown: `http://***@host:3128` (credentials redacted), saying when it
/// came from the environment. Made only for a failure's text, never on every call.
pub(crate) fn shown_proxy(proxy: &ureq::Proxy) -> String {
    let shown = redact_url(&proxy.uri().to_string());
    let shown = shown.trim_end_matches('/');
    if proxy.is_from_env() {
        format!("{shown} (from the proxy environment variables)")
    } else {
        shown.to_string()
    }
}

/// A request that got no answer: ureq's error, and the proxy it went through.
#[derive(Debug)]
pub(crate) struct SendError {
    error: ureq::Error,
    proxy: Option<ureq::Proxy>,
}

/// A failure [`describe`] can put in words.
pub(crate) trait Failure {
    /// The error, and the proxy the request went through.
    fn parts(&self) -> (&ureq::Error, Option<&ureq::Proxy>);
}

impl Failure for ureq::Error {
    fn parts(&self) -> (&ureq::Error, Option<&ureq::Proxy>) {
        (self, None)
    }
}

impl Failure for SendError {
    fn parts(&self) -> (&ureq::Error, Option<&ureq::Proxy>) {
        (&self.error, self.proxy.as_ref())
    }
}

/// How long one request may take.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Bounds connecting and each read and write: a transfer that keeps moving never times
    /// out ([D15](crate::python_differences)).
    pub(crate) inactivity: Duration,
    /// Bounds the whole exchange, connecting to the last byte of the answer ([D19](crate::python_differences)); `None`
    /// for file transfers without a deadline of their own.
    pub(crate) deadline: Option<Duration>,
    /// The time-out the caller set, which failures name (the deadline may be what is left
    /// of it after a login or earlier attempts).
    pub(crate) shown: Duration,
    /// Whether the deadline is one attempt's (`RetryPolicy::attempt_timeout`), not the
    /// call's.
    pub(crate) per_attempt: bool,
}

impl Limits {
    /// Limits where both bounds are `timeout`: what every call that is not a file transfer
    /// gets.
    pub(crate) fn call(timeout: Duration) -> Limits {
        Limits {
            inactivity: timeout,
            deadline: Some(timeout),
            shown: timeout,
            per_attempt: false,
        }
    }

    /// A call with `timeout` of which only `left` remains.
    pub(crate) fn call_with_left(timeout: Duration, left: Duration) -> Limits {
        Limits {
            inactivity: left,
            deadline: Some(left),
            shown: timeout,
            per_attempt: false,
        }
    }

    /// One attempt of a call, bounded by the policy's attempt time-out.
    pub(crate) fn attempt(limit: Duration) -> Limits {
        Limits {
            per_attempt: true,
            ..Limits::call(limit)
        }
    }

    /// The time-out a failure is reported against.
    fn shown(&self) -> Duration {
        self.shown
    }
}

/// What the request log says about a request: a `debug` record of the `log` facade (target
/// `squonk2`), and with `SQUONK2_API_DEBUG_REQUESTS` the same line on stderr.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DebugLog<'a> {
    /// The URL as it may be shown (secrets replaced).
    pub(crate) url: &'a str,
    /// Which attempt this is (1 for the first).
    pub(crate) attempt: u32,
    /// Whether the line also goes to stderr (`SQUONK2_API_DEBUG_REQUESTS`).
    pub(crate) stderr: bool,
}

/// Sends `request` within `limits`, and logs its method, the shown URL, the status (or why
/// there was none), the duration and the attempt number (see [`DebugLog`]).
pub(crate) fn send(
    agent: &ureq::Agent,
    request: ureq::http::Request<SendBody<'static>>,
    limits: Limits,
    debug: DebugLog<'_>,
) -> Result<ureq::http::Response<ureq::Body>, SendError> {
    let method = request.method().clone();
    let proxy = proxy_for(agent, request.uri());
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
    let outcome = agent
        .run(request)
        .map_err(|error| SendError { error, proxy });
    if debug.stderr || log::log_enabled!(target: "squonk2", log::Level::Debug) {
        let status = match &outcome {
            Ok(response) => response.status().as_u16().to_string(),
            Err(e) => format!("failed: {}", describe(e, limits).1),
        };
        let attempt = if debug.attempt > 1 {
            format!(", attempt {}", debug.attempt)
        } else {
            String::new()
        };
        let line = format!(
            "{method} {} -> {status} ({} ms{attempt})",
            debug.url,
            started.elapsed().as_millis()
        );
        log::debug!(target: "squonk2", "{line}");
        if debug.stderr {
            eprintln!("squonk2: {line}");
        }
    }
    outcome
}

/// Reads at most `max` bytes of a body, keeping what arrived when the body is longer or is
/// cut short. The flag says whether all of it was read. A body of at most `max` bytes is read
/// to its end, so that its connection goes back to the pool.
pub(crate) fn read_prefix(body: &mut ureq::Body, max: u64) -> (Vec<u8>, bool) {
    // One byte more than wanted tells a body of exactly `max` bytes (read to its end) from a
    // longer one.
    let mut reader = body
        .with_config()
        .limit(u64::MAX)
        .reader()
        .take(max.saturating_add(1));
    let mut bytes = Vec::new();
    // `read_to_end` keeps what it read before an error, and retries interruptions.
    let complete = reader.read_to_end(&mut bytes).is_ok() && (bytes.len() as u64) <= max;
    bytes.truncate(usize::try_from(max).unwrap_or(usize::MAX));
    (bytes, complete)
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
/// out after 4 s waiting for the server")`. A request through a proxy names the proxy:
/// when it could not be reached, the failure is its, not the server's.
pub(crate) fn describe<F: Failure + ?Sized>(failure: &F, limits: Limits) -> (ErrorKind, String) {
    let (error, proxy) = failure.parts();
    let (kind, text) = describe_error(error, limits);
    let Some(proxy) = proxy.map(shown_proxy) else {
        return (kind, text);
    };
    use ureq::Error as E;
    let connecting = match error {
        E::HostNotFound | E::ConnectionFailed => true,
        E::Timeout(which) => matches!(which, ureq::Timeout::Connect | ureq::Timeout::Resolve),
        E::Io(e) => e.kind() == io::ErrorKind::ConnectionRefused,
        _ => false,
    };
    let text = match error {
        E::ConnectProxyFailed(_) => {
            format!("the proxy {proxy} could not connect to the server ({text})")
        }
        _ if connecting => format!("the proxy {proxy} could not be reached ({text})"),
        _ => format!("through the proxy {proxy}: {text}"),
    };
    (kind, text)
}

fn describe_error(error: &ureq::Error, limits: Limits) -> (ErrorKind, String) {
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
                ureq::Timeout::Global if limits.per_attempt => {
                    format!("timed out after {secs} s (the attempt time-out)")
                }
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
        E::Rustls(e) => (ErrorKind::Tls, describe_tls(e)),
        E::ConnectProxyFailed(why) => (ErrorKind::Connect, why.clone()),
        // The server answered, but not with valid HTTP, or redirected in circles: sending
        // again gets the same, so these are not connection failures (and not retried).
        E::Protocol(e) => (
            ErrorKind::BadResponse,
            format!("the answer was not valid HTTP ({e})"),
        ),
        E::TooManyRedirects => (ErrorKind::BadResponse, "too many redirects".to_string()),
        E::RedirectFailed => (
            ErrorKind::BadResponse,
            "a redirect could not be followed".to_string(),
        ),
        E::LargeResponseHeader(..) => (ErrorKind::BadResponse, error.to_string()),
        E::BadUri(_) => (ErrorKind::NotConfigured, "the URL is not valid".to_string()),
        E::BodyExceedsLimit(n) => (
            ErrorKind::Decode,
            format!("the answer is larger than {n} bytes"),
        ),
        other => (ErrorKind::Connect, other.to_string()),
    }
}

/// A TLS failure in words a user acts on: an untrusted certificate says so, and how to
/// trust it.
fn describe_tls(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let why = match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "the server's certificate is not trusted (unknown issuer)",
            C::BadSignature => "the server's certificate is not trusted (bad signature)",
            C::Expired | C::ExpiredContext { .. } => "the server's certificate has expired",
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet"
            }
            C::Revoked => "the server's certificate has been revoked",
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the server's certificate is not valid for this host name"
            }
            _ => return format!("the server's certificate was refused ({e})"),
        },
        _ => return format!("TLS error: {e}"),
    };
    format!("{why}; trust its CA with ClientBuilder::add_root_certificate_pem or SQUONK2_CA_BUNDLE")
}

/// As [`describe`], for an I/O error (a failed read of an answer's body, for example).
pub(crate) fn describe_io(e: &io::Error, limits: Limits) -> (ErrorKind, String) {
    if let Some(inner) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
    {
        // ureq wraps its own errors (a deadline passed while reading) in io::Error.
        if !matches!(inner, ureq::Error::Io(_)) {
            return describe_error(inner, limits);
        }
    }
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        // A failed handshake reaches us as the I/O error of the TLS stream.
        return (ErrorKind::Tls, describe_tls(tls));
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
        _ => (ErrorKind::Connect, format!("I/O error: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::Timeout;

    fn next(after: UreqDuration, per_read: Option<Duration>) -> NextTimeout {
        NextTimeout {
            after,
            reason: Timeout::Global,
            per_read: per_read.map(UreqDuration::from),
            per_write: None,
        }
    }

    fn exact(timeout: NextTimeout) -> Duration {
        match timeout.after {
            Exact(d) => d,
            UreqDuration::NotHappening => panic!("not happening"),
        }
    }

    #[test]
    fn time_outs_are_rounded_down_never_up_and_stay_the_same_within_a_step() {
        let rounded = |d: Duration| exact(SteadyTimeouts::rounded(next(Exact(d), None)));
        // What is left of a 4 s deadline at successive reads and writes of a call.
        let left: Vec<Duration> = [3_999_950, 3_999_700, 3_990_001]
            .into_iter()
            .map(Duration::from_micros)
            .collect();
        for &d in &left {
            assert!(rounded(d) <= d);
            assert!(d - rounded(d) < TIMEOUT_STEP);
            assert_eq!(rounded(d), Duration::from_millis(3990));
        }
        // Short time-outs are passed on as they are: never rounded to nothing.
        for d in [
            Duration::from_millis(999),
            Duration::from_millis(5),
            Duration::ZERO,
        ] {
            assert_eq!(rounded(d), d);
        }
        assert_eq!(rounded(Duration::from_secs(1)), Duration::from_secs(1));
        // Beyond what the steps can count, as it is; never an overflow.
        for d in [Duration::from_secs(u64::MAX), Duration::MAX] {
            assert_eq!(rounded(d), d);
        }
    }

    #[test]
    fn no_time_out_stays_none_and_per_read_limits_are_rounded_alike() {
        let timeout = SteadyTimeouts::rounded(next(
            UreqDuration::NotHappening,
            Some(Duration::from_micros(30_004_999)),
        ));
        assert!(timeout.after.is_not_happening());
        assert_eq!(timeout.per_read, Some(Exact(Duration::from_millis(30_000))));
        assert_eq!(timeout.per_write, None);
        assert_eq!(timeout.reason, Timeout::Global);
    }
}
