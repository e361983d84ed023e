//! The sandbox's own endpoints under `/_sandbox`: the request log, faults,
//! and two streaming helpers (echo and download) for testing transfers.

use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt as _;
use ring::digest;
use serde::{Deserialize, Serialize};

use crate::control_http::view;
use crate::error::{ApiError, Blank};
use crate::fault::{Fault, FaultId, FaultRule, FaultStatus};
use crate::multipart;
use crate::record::{hex, PartsRecorder};
use crate::state::AppState;

/// Where the control endpoints are mounted.
pub(crate) const PREFIX: &str = "/_sandbox";

/// Requests to these paths are recorded and may be faulted, like the APIs': they are
/// there to test transfers. Every other path under `/_sandbox` is a control, never
/// recorded or faulted, so that a test can always inspect and repair the sandbox.
pub(crate) const TOUCHABLE_PATHS: [&str; 2] = ["/_sandbox/echo", "/_sandbox/download"];

/// Whether `path` (decoded) is a control that is never faulted.
pub(crate) fn untouchable(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        && !TOUCHABLE_PATHS.contains(&path)
}

/// The size of each chunk of `/download`.
const DOWNLOAD_CHUNK: usize = 64 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/requests", get(get_requests).delete(delete_requests))
        .route(
            "/faults",
            get(get_faults).post(post_fault).delete(delete_faults),
        )
        .route("/connections", get(get_connections))
        .route("/faults/{id}", get(get_fault).delete(delete_fault))
        .route("/echo", post(echo).put(echo))
        .route("/download", get(download))
        .merge(crate::control_http::router())
}

/// `GET /requests`: the request log, oldest first; with `?since=ID`, only the requests
/// after request ID.
async fn get_requests(State(shared): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let since = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "since")
        .map(|(_, v)| {
            v.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("since must be a request id, not {v:?}"))
            })
        })
        .transpose()?;
    let json = match since {
        Some(id) => shared.log.since_json(id),
        None => shared.log.to_json(),
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// `GET /connections`: `{"accepted": N}`, the TCP connections accepted since the start
/// ([`Sandbox::connections_accepted`](crate::Sandbox::connections_accepted)).
async fn get_connections(State(shared): State<AppState>) -> Json<serde_json::Value> {
    let accepted = view(&shared).connections_accepted();
    Json(serde_json::json!({ "accepted": accepted }))
}

/// `DELETE /requests`: [`Sandbox::clear_requests`](crate::Sandbox::clear_requests).
async fn delete_requests(State(shared): State<AppState>) -> StatusCode {
    view(&shared).clear_requests();
    StatusCode::NO_CONTENT
}

/// A fault as JSON, for `POST /faults` and `GET /faults`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    path: String,
    /// `delay`, `respond`, `drip`, `hang`, `drop` or `truncate`.
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delay_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    declared_length: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    times: Option<u32>,
    /// Extra headers of a `respond` fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    headers: Option<Vec<(String, String)>>,
    /// The pause before each byte of a `drip` fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interval_ms: Option<u64>,
    /// Query parameters the request must have (`"*"`: any value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    query: Vec<(String, String)>,
    /// Texts the body must contain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    body_contains: Vec<String>,
    /// JSON the body must include.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body_json: Option<serde_json::Value>,
}

/// A fault rule as `GET /faults` lists it.
#[derive(Serialize)]
struct FaultListed {
    id: FaultId,
    #[serde(flatten)]
    spec: FaultSpec,
    hits: u32,
    remaining: Option<u32>,
}

impl FaultSpec {
    fn into_rule(self) -> Result<FaultRule, String> {
        let body = self.body.unwrap_or_default().into_bytes();
        let fault = match self.kind.as_str() {
            "delay" => Fault::Delay(Duration::from_millis(
                self.delay_ms.ok_or("a delay fault needs delay_ms")?,
            )),
            "respond" => match self.headers {
                Some(headers) => Fault::RespondWithHeaders {
                    status: self.status.unwrap_or(500),
                    headers,
                    body,
                },
                None => Fault::Respond {
                    status: self.status.unwrap_or(500),
                    content_type: self
                        .content_type
                        .unwrap_or_else(|| "application/json".into()),
                    body,
                },
            },
            "drip" => Fault::Drip {
                status: self.status.unwrap_or(200),
                body,
                interval: Duration::from_millis(
                    self.interval_ms.ok_or("a drip fault needs interval_ms")?,
                ),
            },
            "hang" => Fault::Hang,
            "drop" => Fault::Drop,
            "truncate" => {
                let declared_length = self.declared_length.unwrap_or(body.len() as u64 + 1024);
                if declared_length <= body.len() as u64 {
                    return Err("declared_length must exceed the body length".into());
                }
                Fault::Truncate {
                    status: self.status.unwrap_or(200),
                    declared_length,
                    body,
                }
            }
            other => {
                return Err(format!(
                    "unknown fault kind {other:?}: use delay, respond, drip, hang, drop or truncate"
                ))
            }
        };
        if !self.path.starts_with('/') {
            return Err("path must start with '/'".into());
        }
        let mut rule = FaultRule::new(self.path, fault);
        if let Some(method) = self.method {
            rule = rule.method(&method);
        }
        match self.times {
            Some(0) => return Err("times must be at least 1".into()),
            Some(times) => rule = rule.times(times),
            None => {}
        }
        for (name, value) in &self.query {
            rule = rule.query(name, value);
        }
        for text in &self.body_contains {
            rule = rule.body_contains(text);
        }
        if let Some(value) = self.body_json {
            rule = rule.body_json(value);
        }
        Ok(rule)
    }

    fn from_rule(rule: &FaultRule) -> Self {
        let text = |bytes: &[u8]| Some(String::from_utf8_lossy(bytes).into_owned());
        let (query, body_contains, body_json) = rule.matchers();
        let mut spec = FaultSpec {
            method: rule.method_name().map(str::to_owned),
            path: rule.path().to_owned(),
            times: rule.times_limit(),
            query: query.to_vec(),
            body_contains: body_contains.to_vec(),
            body_json: body_json.cloned(),
            ..FaultSpec::default()
        };
        match rule.fault() {
            Fault::Delay(pause) => {
                spec.kind = "delay".into();
                spec.delay_ms = Some(pause.as_millis().try_into().unwrap_or(u64::MAX));
            }
            Fault::Respond {
                status,
                content_type,
                body,
            } => {
                spec.kind = "respond".into();
                spec.status = Some(*status);
                spec.content_type = Some(content_type.clone());
                spec.body = text(body);
            }
            Fault::RespondWithHeaders {
                status,
                headers,
                body,
            } => {
                spec.kind = "respond".into();
                spec.status = Some(*status);
                spec.headers = Some(headers.clone());
                spec.body = text(body);
            }
            Fault::Drip {
                status,
                body,
                interval,
            } => {
                spec.kind = "drip".into();
                spec.status = Some(*status);
                spec.interval_ms = Some(interval.as_millis().try_into().unwrap_or(u64::MAX));
                spec.body = text(body);
            }
            Fault::Hang => spec.kind = "hang".into(),
            Fault::Drop => spec.kind = "drop".into(),
            Fault::Truncate {
                status,
                declared_length,
                body,
            } => {
                spec.kind = "truncate".into();
                spec.status = Some(*status);
                spec.declared_length = Some(*declared_length);
                spec.body = text(body);
            }
        }
        spec
    }
}

fn listed(status: &FaultStatus) -> FaultListed {
    FaultListed {
        id: status.id,
        spec: FaultSpec::from_rule(&status.rule),
        hits: status.hits,
        remaining: status.remaining,
    }
}

/// `GET /faults`: the fault rules with their ids, hits and remaining counts
/// ([`Sandbox::faults`](crate::Sandbox::faults)).
async fn get_faults(State(shared): State<AppState>) -> Response {
    let listed: Vec<FaultListed> = view(&shared).faults().iter().map(listed).collect();
    Json(listed).into_response()
}

/// The 404 of a fault id that names no rule.
fn no_fault(id: u64) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("There is no fault {id}"))
}

/// `GET /faults/{id}`: one rule.
async fn get_fault(
    State(shared): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Response, ApiError> {
    let faults = view(&shared).faults();
    let status = faults
        .iter()
        .find(|s| s.id == FaultId(id))
        .ok_or_else(|| no_fault(id))?;
    Ok(Json(listed(status)).into_response())
}

/// `DELETE /faults/{id}`: removes one rule ([`Sandbox::remove_fault`](crate::Sandbox::remove_fault)).
async fn delete_fault(
    State(shared): State<AppState>,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    if view(&shared).remove_fault(FaultId(id)) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_fault(id))
    }
}

/// `POST /faults`: adds a rule (see [`FaultSpec`]) with
/// [`Sandbox::add_fault`](crate::Sandbox::add_fault); answers 201 `{"id": N}`.
async fn post_fault(
    State(shared): State<AppState>,
    body: Body,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let spec: FaultSpec = crate::error::json_body(body, Blank::Refused, "bad fault JSON").await?;
    let rule = spec.into_rule().map_err(ApiError::bad_request)?;
    let id = view(&shared).add_fault(rule);
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// `DELETE /faults`: [`Sandbox::clear_faults`](crate::Sandbox::clear_faults).
async fn delete_faults(State(shared): State<AppState>) -> StatusCode {
    view(&shared).clear_faults();
    StatusCode::NO_CONTENT
}

#[derive(Serialize)]
struct EchoResponse {
    length: u64,
    sha256: String,
    content_type: Option<String>,
    /// Empty unless the body is multipart.
    parts: Vec<EchoPart>,
}

#[derive(Serialize)]
struct EchoPart {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    length: u64,
    sha256: String,
}

/// `POST /echo` and `PUT /echo`: digests the body as it streams by.
async fn echo(headers: HeaderMap, mut body: Body) -> Result<Json<EchoResponse>, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let mut parts = content_type
        .as_deref()
        .and_then(multipart::boundary_of)
        .map(|boundary| PartsRecorder::new(&boundary));
    let mut sha = digest::Context::new(&digest::SHA256);
    let mut length = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::bad_request(format!("body read failed: {e}")))?;
        if let Some(data) = frame.data_ref() {
            length += data.len() as u64;
            sha.update(data);
            if let Some(parts) = parts.as_mut() {
                parts.update(data);
            }
        }
    }
    let parts = match parts.map(PartsRecorder::finish) {
        None => Vec::new(),
        Some((_, _, Err(e))) => {
            return Err(ApiError::bad_request(format!("bad multipart body: {e}")))
        }
        Some((parts, _, Ok(()))) => parts
            .into_iter()
            .map(|part| EchoPart {
                content_type: part
                    .headers
                    .iter()
                    .find(|(k, _)| k == "content-type")
                    .map(|(_, v)| v.clone()),
                name: part.name,
                filename: part.filename,
                length: part.length,
                sha256: part.sha256,
            })
            .collect(),
    };
    Ok(Json(EchoResponse {
        length,
        sha256: hex(sha.finish()),
        content_type,
        parts,
    }))
}

/// `GET /download?size=N`: N bytes, byte i being `i % 251`.
async fn download(uri: Uri) -> Result<Response, ApiError> {
    let size = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "size")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .ok_or_else(|| ApiError::bad_request("download needs ?size=N (a byte count)"))?;
    let mut response = Response::new(Body::new(PatternBody {
        offset: 0,
        remaining: size,
    }));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    Ok(response)
}

/// Enough of the pattern to slice a chunk starting at any phase of it.
fn pattern() -> &'static Bytes {
    static PATTERN: OnceLock<Bytes> = OnceLock::new();
    PATTERN.get_or_init(|| {
        (0..DOWNLOAD_CHUNK + 251)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>()
            .into()
    })
}

struct PatternBody {
    offset: u64,
    remaining: u64,
}

impl http_body::Body for PatternBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let len = self.remaining.min(DOWNLOAD_CHUNK as u64) as usize;
        let phase = (self.offset % 251) as usize;
        let chunk = pattern().slice(phase..phase + len);
        self.offset += len as u64;
        self.remaining -= len as u64;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
