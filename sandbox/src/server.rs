//! The listener and the per-request pipeline that every API shares:
//! CORS, request log, faults, bearer-token check, then routing.
//!
//! Every connection holds one of [`ServerOptions::max_connections`] places; past them a
//! connection gets a 503 and is closed at once. Hyper closes a connection that has not sent
//! a whole request head within [`ServerOptions::header_read_timeout`] (also when idle between
//! requests).

use std::convert::Infallible;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use percent_encoding::percent_decode_str;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use crate::error::ApiError;
use crate::fault::{self, ByHead, Outcome};
use crate::record::{BodyRecorder, RecordedBody, RecordedRequest, Tee};
use crate::state::{lock, AppState};
use crate::{account_server, auth, control, cors, dm, keycloak, ui};

/// Paths whose requests go to the request log.
const RECORDED_PREFIXES: [&str; 5] = [
    keycloak::PREFIX,
    dm::PREFIX,
    account_server::PREFIX,
    ui::PREFIX,
    "/_sandbox/echo",
];

/// How long a client may take over the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The default of [`ServerOptions::max_connections`].
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// The default of [`ServerOptions::header_read_timeout`]: longer than clients keep idle
/// pooled connections (ureq: 15 s), so that they never reuse one the sandbox is closing.
pub(crate) const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest header-read time-out applied (about a year).
const LONGEST_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

/// What a connection past the limit gets before it is closed.
const BUSY_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\ncontent-length: 49\r\nconnection: close\r\n\r\n\
{\"error\": \"Too many connections to the sandbox\"}\n";

/// How the server treats connections and browsers.
#[derive(Debug, Clone)]
pub(crate) struct ServerOptions {
    /// Answer CORS preflights and allow any origin.
    pub(crate) cors: bool,
    /// Connections served at once.
    pub(crate) max_connections: usize,
    /// How long a connection may take to send a request head.
    pub(crate) header_read_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            cors: true,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        }
    }
}

/// The path of a request as received, for the 404 and 405 messages
/// (nested routers see the path without their prefix).
#[derive(Clone, Debug)]
pub(crate) struct RequestPath {
    pub(crate) raw: String,
}

/// Every route of the sandbox.
pub(crate) fn router(shared: AppState) -> Router {
    Router::new()
        .nest(keycloak::PREFIX, keycloak::router())
        .nest(dm::PREFIX, dm::router())
        .nest(account_server::PREFIX, account_server::router())
        .nest(ui::PREFIX, ui::router())
        .nest(control::PREFIX, control::router())
        // The event streams' websockets (the `location`s the Account Server hands out).
        .route(
            "/event-stream/{uuid}",
            axum::routing::get(account_server::event_socket::connect),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

async fn not_found(method: Method, path: Option<axum::Extension<RequestPath>>) -> ApiError {
    let path = path.map(|p| p.0.raw).unwrap_or_default();
    ApiError::not_found(&method, &path)
}

async fn method_not_allowed(
    method: Method,
    path: Option<axum::Extension<RequestPath>>,
) -> ApiError {
    let path = path.map(|p| p.0.raw).unwrap_or_default();
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method not allowed: {method} {path}"),
    )
}

/// The TLS configuration: the committed self-signed certificate, HTTP/1.1 only.
pub(crate) fn tls_acceptor() -> io::Result<TlsAcceptor> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(crate::keys::TLS_CERT_DER)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(crate::keys::TLS_KEY_PKCS8_DER)),
        )
        .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts connections until `stop` changes or its sender is dropped.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    shared: AppState,
    options: ServerOptions,
    mut stop: watch::Receiver<bool>,
) {
    let places = Arc::new(Semaphore::new(
        options.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    loop {
        let accepted = tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                shared.connections.fetch_add(1, Ordering::Relaxed);
                let Ok(place) = places.clone().try_acquire_owned() else {
                    // The socket's send buffer is empty, so this never waits; over TLS
                    // there is no handshake to answer in, so the connection just closes.
                    if tls.is_none() {
                        let _ = stream.try_write(BUSY_RESPONSE);
                    }
                    continue;
                };
                let pipeline = Pipeline {
                    shared: shared.clone(),
                    router: router.clone(),
                    cors: options.cors,
                };
                let serving = connection(
                    stream,
                    tls.clone(),
                    pipeline,
                    options.header_read_timeout,
                    stop.clone(),
                );
                tokio::spawn(async move {
                    serving.await;
                    drop(place);
                });
            }
            // Out of file descriptors and the like: let other connections finish.
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

async fn connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    pipeline: Pipeline,
    header_read_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let serve = async move {
        match tls {
            None => http1(stream, pipeline, header_read_timeout).await,
            Some(acceptor) => {
                if let Ok(Ok(stream)) =
                    tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                {
                    http1(stream, pipeline, header_read_timeout).await;
                }
            }
        }
    };
    // Dropping the connection closes it, hanging requests included.
    tokio::select! {
        _ = serve => {}
        _ = stop.changed() => {}
    }
}

async fn http1<I>(io: I, pipeline: Pipeline, header_read_timeout: Duration)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let pipeline = pipeline.clone();
        async move { pipeline.handle(request.map(Body::new)).await }
    });
    // Errors are clients going away or faults closing the connection.
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .timer(TokioTimer::new())
        // Hyper adds it to the clock: a "forever" such as Duration::MAX must not overflow.
        .header_read_timeout(header_read_timeout.min(LONGEST_TIMEOUT))
        .serve_connection(TokioIo::new(io), service)
        // The event streams' websockets.
        .with_upgrades()
        .await;
}

/// Returned to hyper to close a connection without answering ([`crate::Fault::Drop`]).
#[derive(Debug)]
struct CloseConnection;

impl std::fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by a sandbox fault")
    }
}

impl std::error::Error for CloseConnection {}

#[derive(Clone)]
struct Pipeline {
    shared: AppState,
    router: Router,
    cors: bool,
}

fn has_prefix(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

impl Pipeline {
    async fn handle(self, request: Request) -> Result<Response, CloseConnection> {
        if !self.cors {
            return self.handle_api(request).await;
        }
        // Preflights are the browser's, not the app's: answered here, never recorded,
        // faulted or captured.
        if cors::is_preflight(&request) {
            return Ok(cors::preflight(request.headers()));
        }
        let origin = request.headers().get(header::ORIGIN).cloned();
        let mut response = self.handle_api(request).await?;
        cors::allow(response.headers_mut(), origin);
        Ok(response)
    }

    async fn handle_api(self, request: Request) -> Result<Response, CloseConnection> {
        let (mut parts, body) = request.into_parts();
        let raw_path = parts.uri.path().to_owned();
        let decoded_path = percent_decode_str(&raw_path)
            .decode_utf8_lossy()
            .into_owned();
        parts.extensions.insert(RequestPath {
            raw: raw_path.clone(),
        });

        // Record before anything else, so that faulted and rejected requests show too; a
        // rejected request's body is only summarised, since anyone may send one.
        let authenticated = auth::check(&self.shared, &raw_path, &parts.headers);
        let recorded = RECORDED_PREFIXES
            .iter()
            .any(|p| has_prefix(&decoded_path, p));
        let (body, tee) = if recorded {
            let recorder = if authenticated.is_ok() {
                BodyRecorder::new
            } else {
                BodyRecorder::summary
            };
            let tee = self.start_record(&parts, &raw_path, &decoded_path, body, recorder);
            (tee.body(), Some(tee))
        } else {
            (body, None)
        };
        let log_id = tee.as_ref().map(Tee::id);
        let note_status = |status: StatusCode| {
            if let Some(id) = log_id {
                self.shared.log.set_status(id, status.as_u16());
            }
        };
        let mut request = Request::from_parts(parts, body);

        if !control::untouchable(&decoded_path) {
            let method = request.method().as_str().to_owned();
            let query = request.uri().query().map(str::to_owned);
            let by_head =
                lock(&self.shared.faults).take_by_head(&method, &decoded_path, query.as_deref());
            let fault = match by_head {
                ByHead::None => None,
                ByHead::Fault(fault) => Some(fault),
                // A rule looks at the body: read up to 1 MiB of it first, and hand the
                // handler the same bytes.
                ByHead::NeedsBody => {
                    let (parts, body) = request.into_parts();
                    let (prefix, rest) = fault::read_prefix(body, fault::MAX_MATCHED_BODY).await;
                    let whole_body = rest.is_none().then(|| prefix.clone());
                    request = Request::from_parts(parts, fault::prefixed(prefix, rest));
                    fault::take(
                        &self.shared.faults,
                        &method,
                        &decoded_path,
                        query.as_deref(),
                        whole_body.as_deref(),
                    )
                }
            };
            if let Some(fault) = fault {
                // Read the whole body before misbehaving: clients see the
                // fault, not an error while sending.
                match fault::outcome(fault) {
                    Outcome::Delay(pause) => tokio::time::sleep(pause).await,
                    Outcome::Respond(response) => {
                        drain(request.into_body()).await;
                        note_status(response.status());
                        return Ok(response);
                    }
                    Outcome::CloseConnection => {
                        drain(request.into_body()).await;
                        return Err(CloseConnection);
                    }
                    Outcome::Hang => {
                        drain(request.into_body()).await;
                        let never = std::future::pending::<Infallible>().await;
                        match never {}
                    }
                }
            }
        }

        let method = request.method().as_str().to_owned();
        let response = match authenticated {
            Err(message) => ApiError::unauthorized(message),
            Ok(user) => {
                if let Some(user) = user {
                    request.extensions_mut().insert(user);
                }
                match self.router.oneshot(request).await {
                    Ok(response) => json_rejection(response).await,
                    Err(never) => match never {},
                }
            }
        };
        let response = crate::contract::capture(&method, &decoded_path, response).await;
        // Whatever the handler did not read still belongs in the log.
        if let Some(tee) = tee {
            tee.drain().await;
        }
        note_status(response.status());
        Ok(response)
    }

    /// Adds the request to the log and wraps its body to record it.
    fn start_record(
        &self,
        parts: &axum::http::request::Parts,
        raw_path: &str,
        decoded_path: &str,
        body: Body,
        recorder: fn(Option<&str>) -> BodyRecorder,
    ) -> Tee {
        let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        let query_raw = parts.uri.query().map(str::to_owned);
        let query = query_raw
            .as_deref()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), text(value.as_bytes())))
            .collect();
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| text(v.as_bytes()));
        let id = self.shared.log.push(RecordedRequest {
            id: 0,
            time: crate::calendar::naive_utc(crate::calendar::now()),
            status: None,
            method: parts.method.as_str().to_owned(),
            path: raw_path.to_owned(),
            path_decoded: decoded_path.to_owned(),
            query_raw,
            query,
            headers,
            body: RecordedBody::None,
            body_complete: false,
        });
        Tee::new(
            body,
            recorder(content_type.as_deref()),
            self.shared.log.clone(),
            id,
        )
    }
}

/// Reads and discards a body.
async fn drain(mut body: Body) {
    while let Some(Ok(_)) = body.frame().await {}
}

/// An axum rejection (a path that is not valid percent-encoded UTF-8, an unreadable query,
/// ...) is plain text; the APIs answer every error with their JSON body.
async fn json_rejection(response: Response) -> Response {
    let is_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !is_text || !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let status = response.status();
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let text = if text.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_owned()
    } else {
        text
    };
    axum::response::IntoResponse::into_response(ApiError::new(status, text))
}
