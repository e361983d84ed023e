//! The request log: what the sandbox received, including a summary of each body.
//!
//! Bodies are never buffered whole. The server wraps each recorded request's
//! body in a [`Tee`] that feeds every chunk to a [`BodyRecorder`] on its way to
//! the handler; the log entry's body is filled in when the body ends.

use std::collections::VecDeque;
use std::mem::size_of;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};
use ring::digest;
use serde::{Deserialize, Serialize};

use crate::multipart::{self, Event, MultipartParser};
use crate::state::lock;

/// Form and JSON bodies up to this size are decoded into the log.
const MAX_DECODED_BODY: usize = 1024 * 1024;
/// Multipart part contents up to this size (and valid UTF-8) are kept in the log.
const MAX_PART_CONTENT: usize = 64 * 1024;
/// The most memory a decoded JSON body may take in the log (a 1 MiB array of small numbers
/// takes some 40 MiB); a body past it is logged as its length and digest.
const MAX_DECODED_JSON: usize = 8 * 1024 * 1024;
/// The default bound of the request log's memory ([`heap_size`] of its entries).
pub(crate) const DEFAULT_MAX_LOG_BYTES: usize = 64 * 1024 * 1024;
/// The most multipart parts summarised per request; later ones are only counted.
pub(crate) const MAX_PARTS_KEPT: usize = 64;
/// The most part content kept per request, all parts together; later parts keep none.
const MAX_CONTENT_PER_REQUEST: usize = 1024 * 1024;

/// One request received by the sandbox, as kept in its request log.
///
/// Available from [`Sandbox::requests`](crate::Sandbox::requests) and, as JSON,
/// from `GET /_sandbox/requests`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// Its number in the log: 1 for the first request a sandbox received, growing by one
    /// per request (see [`Sandbox::requests_since`](crate::Sandbox::requests_since)).
    #[serde(default)]
    pub id: u64,
    /// When it arrived, on the sandbox's clock, as the services write times (naive UTC,
    /// `2026-12-01T20:09:51.813613`).
    #[serde(default)]
    pub time: String,
    /// The status the sandbox answered with (a fault's included); `None` until the answer
    /// is sent, and when there was none (a `Hang` or `Drop` fault).
    #[serde(default)]
    pub status: Option<u16>,
    /// The HTTP method, e.g. `"POST"`.
    pub method: String,
    /// The path as sent on the request line, percent-encoding kept.
    pub path: String,
    /// The path percent-decoded (as UTF-8, invalid sequences replaced).
    pub path_decoded: String,
    /// The raw query string (without `?`); `None` when the target had no `?`.
    pub query_raw: Option<String>,
    /// The decoded `application/x-www-form-urlencoded` query pairs, in order.
    pub query: Vec<(String, String)>,
    /// The request headers in received order, names lower-case.
    pub headers: Vec<(String, String)>,
    /// A summary of the body.
    pub body: RecordedBody,
    /// False while the body is still arriving, or when the client stopped
    /// sending it before its end; `body` then describes what arrived.
    pub body_complete: bool,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A summary of a request body, chosen by its Content-Type.
///
/// As JSON it is an object tagged by `"encoding"`: `"none"`, `"form"`, `"json"`,
/// `"multipart"` or `"other"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "encoding", rename_all = "lowercase")]
#[non_exhaustive]
pub enum RecordedBody {
    /// No body, or an empty one.
    None,
    /// An `application/x-www-form-urlencoded` body of at most 1 MiB.
    Form {
        /// The body as text.
        raw: String,
        /// The decoded pairs (`+` is a space), in order.
        pairs: Vec<(String, String)>,
    },
    /// A valid JSON body (Content-Type `application/json` or `*+json`) of at most 1 MiB
    /// whose parsed value takes at most about 8 MiB.
    Json {
        /// The body as text.
        raw: String,
        /// The parsed body.
        value: serde_json::Value,
    },
    /// A `multipart/form-data` body with a boundary; any size (never buffered whole).
    Multipart {
        /// The parts in order, the first 64 of them. Part contents are kept while the
        /// request's kept content stays within 1 MiB.
        parts: Vec<RecordedPart>,
        /// How many parts came after the first 64 and were only counted.
        #[serde(default)]
        parts_omitted: u64,
    },
    /// Anything else: other types, larger form/JSON bodies, invalid JSON or multipart,
    /// and every body of a request refused for its token.
    Other {
        /// The Content-Type header, if any.
        content_type: Option<String>,
        /// The body length in bytes.
        length: u64,
        /// The lower-case hex SHA-256 of the body.
        sha256: String,
    },
}

impl RecordedBody {
    /// The decoded value of form field `name`, for a form body.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        match self {
            RecordedBody::Form { pairs, .. } => pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str()),
            _ => None,
        }
    }
}

/// One part of a multipart body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordedPart {
    /// The `name` parameter of its Content-Disposition (empty if missing).
    pub name: String,
    /// The `filename` parameter of its Content-Disposition, if any.
    pub filename: Option<String>,
    /// The part headers in order, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The content, when at most 64 KiB and valid UTF-8 (and the request's first 1 MiB
    /// of kept content).
    pub content: Option<String>,
    /// The content length in bytes.
    pub length: u64,
    /// The lower-case hex SHA-256 of the content.
    pub sha256: String,
}

/// Lower-case hex of a SHA-256 digest.
pub(crate) fn hex(digest: digest::Digest) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The request log, bounded to the most recent `capacity` requests and to about
/// `max_bytes` of memory ([`heap_size`]), whichever is reached first.
pub(crate) struct RequestLog {
    inner: Mutex<LogInner>,
    capacity: usize,
    max_bytes: AtomicUsize,
}

struct LogInner {
    next_id: u64,
    /// (id, request, its [`heap_size`]).
    entries: VecDeque<(u64, RecordedRequest, usize)>,
    bytes: usize,
}

impl LogInner {
    /// Forgets the oldest entries until both bounds hold, with room for `incoming` more
    /// entries and `extra` more bytes.
    fn evict(&mut self, capacity: usize, max_bytes: usize, incoming: usize, extra: usize) {
        while !self.entries.is_empty()
            && (self.entries.len() + incoming > capacity || self.bytes + extra > max_bytes)
        {
            if let Some((_, _, size)) = self.entries.pop_front() {
                self.bytes -= size;
            }
        }
    }
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        RequestLog {
            inner: Mutex::new(LogInner {
                next_id: 1,
                entries: VecDeque::new(),
                bytes: 0,
            }),
            capacity: capacity.max(1),
            max_bytes: AtomicUsize::new(DEFAULT_MAX_LOG_BYTES),
        }
    }

    /// Bounds the memory the log keeps (see [`heap_size`]).
    pub(crate) fn set_max_bytes(&self, max_bytes: usize) {
        self.max_bytes.store(max_bytes, Ordering::Relaxed);
        let mut inner = lock(&self.inner);
        inner.evict(self.capacity, max_bytes, 0, 0);
    }

    /// Adds a request, returning the id by which its body is completed later.
    pub(crate) fn push(&self, mut request: RecordedRequest) -> u64 {
        let size = heap_size(&request);
        let max_bytes = self.max_bytes.load(Ordering::Relaxed);
        let mut inner = lock(&self.inner);
        let id = inner.next_id;
        request.id = id;
        inner.next_id += 1;
        inner.evict(self.capacity, max_bytes, 1, size);
        inner.entries.push_back((id, request, size));
        inner.bytes += size;
        id
    }

    fn complete(&self, id: u64, body: RecordedBody, complete: bool) {
        let max_bytes = self.max_bytes.load(Ordering::Relaxed);
        let mut inner = lock(&self.inner);
        // Ids only grow, so entries are sorted; a forgotten entry is simply gone.
        let Ok(i) = inner.entries.binary_search_by_key(&id, |(k, _, _)| *k) else {
            return;
        };
        let (_, request, size) = &mut inner.entries[i];
        request.body = body;
        request.body_complete = complete;
        let (old, new) = (*size, heap_size(request));
        *size = new;
        inner.bytes = inner.bytes - old + new;
        inner.evict(self.capacity, max_bytes, 0, 0);
    }

    /// Notes the status answered to request `id`.
    pub(crate) fn set_status(&self, id: u64, status: u16) {
        let mut inner = lock(&self.inner);
        if let Ok(i) = inner.entries.binary_search_by_key(&id, |(k, _, _)| *k) {
            inner.entries[i].1.status = Some(status);
        }
    }

    /// The requests after request `id`, oldest first.
    pub(crate) fn since(&self, id: u64) -> Vec<RecordedRequest> {
        lock(&self.inner)
            .entries
            .iter()
            .filter(|(k, _, _)| *k > id)
            .map(|(_, r, _)| r.clone())
            .collect()
    }

    /// [`since`](Self::since) as a JSON array.
    pub(crate) fn since_json(&self, id: u64) -> Vec<u8> {
        let inner = lock(&self.inner);
        let entries: Vec<&RecordedRequest> = inner
            .entries
            .iter()
            .filter(|(k, _, _)| *k > id)
            .map(|(_, r, _)| r)
            .collect();
        serde_json::to_vec(&entries).unwrap_or_else(|_| b"[]".to_vec())
    }

    pub(crate) fn snapshot(&self) -> Vec<RecordedRequest> {
        lock(&self.inner)
            .entries
            .iter()
            .map(|(_, r, _)| r.clone())
            .collect()
    }

    /// The log as a JSON array, written under the lock so that the log is not copied first.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let inner = lock(&self.inner);
        let entries: Vec<&RecordedRequest> = inner.entries.iter().map(|(_, r, _)| r).collect();
        serde_json::to_vec(&entries).unwrap_or_else(|_| b"[]".to_vec())
    }

    pub(crate) fn clear(&self) {
        let mut inner = lock(&self.inner);
        inner.entries.clear();
        inner.bytes = 0;
    }
}

/// About how many bytes of memory a log entry holds: its strings, vectors and JSON values.
/// Allocator overhead and spare capacity are not counted.
pub(crate) fn heap_size(request: &RecordedRequest) -> usize {
    let pairs = |pairs: &[(String, String)]| -> usize {
        pairs
            .iter()
            .map(|(k, v)| 2 * size_of::<String>() + k.len() + v.len())
            .sum()
    };
    let body = match &request.body {
        RecordedBody::None => 0,
        RecordedBody::Form { raw, pairs: p } => raw.len() + pairs(p),
        RecordedBody::Json { raw, value } => raw.len() + json_size(value),
        RecordedBody::Multipart { parts, .. } => parts
            .iter()
            .map(|part| {
                size_of::<RecordedPart>()
                    + part.name.len()
                    + part.filename.as_ref().map_or(0, String::len)
                    + pairs(&part.headers)
                    + part.content.as_ref().map_or(0, String::len)
                    + part.sha256.len()
            })
            .sum(),
        RecordedBody::Other {
            content_type,
            sha256,
            ..
        } => content_type.as_ref().map_or(0, String::len) + sha256.len(),
    };
    size_of::<(u64, RecordedRequest, usize)>()
        + request.method.len()
        + request.path.len()
        + request.path_decoded.len()
        + request.query_raw.as_ref().map_or(0, String::len)
        + pairs(&request.query)
        + pairs(&request.headers)
        + body
}

/// About how many bytes a JSON value holds, itself included.
fn json_size(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    // A map entry: its key, its value and about two words of index.
    const ENTRY: usize = size_of::<String>() + size_of::<Value>() + 2 * size_of::<usize>();
    size_of::<Value>()
        + match value {
            Value::String(s) => s.len(),
            Value::Array(items) => items.iter().map(json_size).sum(),
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| ENTRY - size_of::<Value>() + k.len() + json_size(v))
                .sum(),
            _ => 0,
        }
}

/// Summarises one multipart body as its parts go by, keeping at most [`MAX_PARTS_KEPT`]
/// parts and [`MAX_CONTENT_PER_REQUEST`] bytes of their content.
pub(crate) struct PartsRecorder {
    parser: MultipartParser,
    seen: Parts,
    error: Option<String>,
}

/// The parts seen so far.
#[derive(Default)]
struct Parts {
    kept: Vec<RecordedPart>,
    omitted: u64,
    content_kept: usize,
    current: Option<PartInProgress>,
}

struct PartInProgress {
    name: String,
    filename: Option<String>,
    headers: Vec<(String, String)>,
    /// Kept while the part is small enough to be logged.
    content: Option<Vec<u8>>,
    length: u64,
    sha: digest::Context,
}

impl PartInProgress {
    fn finish(self) -> RecordedPart {
        RecordedPart {
            name: self.name,
            filename: self.filename,
            headers: self.headers,
            content: self.content.and_then(|c| String::from_utf8(c).ok()),
            length: self.length,
            sha256: hex(self.sha.finish()),
        }
    }
}

impl Parts {
    fn on_event(&mut self, event: Event<'_>) {
        match event {
            Event::PartStart {
                name,
                filename,
                headers,
            } => {
                self.end_part();
                if self.kept.len() >= MAX_PARTS_KEPT {
                    self.omitted += 1;
                    return;
                }
                let content = (self.content_kept < MAX_CONTENT_PER_REQUEST).then(Vec::new);
                self.current = Some(PartInProgress {
                    name,
                    filename,
                    headers,
                    content,
                    length: 0,
                    sha: digest::Context::new(&digest::SHA256),
                });
            }
            Event::Data(data) => {
                if let Some(part) = self.current.as_mut() {
                    part.length += data.len() as u64;
                    part.sha.update(data);
                    if let Some(content) = part.content.as_mut() {
                        let room = MAX_PART_CONTENT
                            .min(MAX_CONTENT_PER_REQUEST.saturating_sub(self.content_kept));
                        if content.len() + data.len() <= room {
                            content.extend_from_slice(data);
                        } else {
                            part.content = None;
                        }
                    }
                }
            }
            Event::PartEnd => self.end_part(),
        }
    }

    fn end_part(&mut self) {
        if let Some(part) = self.current.take() {
            self.content_kept += part.content.as_ref().map_or(0, Vec::len);
            self.kept.push(part.finish());
        }
    }
}

impl PartsRecorder {
    pub(crate) fn new(boundary: &str) -> Self {
        PartsRecorder {
            parser: MultipartParser::new(boundary),
            seen: Parts::default(),
            error: None,
        }
    }

    pub(crate) fn update(&mut self, chunk: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let seen = &mut self.seen;
        if let Err(e) = self.parser.feed(chunk, &mut |event| seen.on_event(event)) {
            self.error = Some(e);
        }
    }

    /// The parts kept, a part cut short by the end of the body included, how many more
    /// there were, and whether the body was well-formed multipart.
    pub(crate) fn finish(mut self) -> (Vec<RecordedPart>, u64, Result<(), String>) {
        let seen = &mut self.seen;
        let result = match self.error.take() {
            Some(e) => Err(e),
            None => self.parser.finish(&mut |event| seen.on_event(event)),
        };
        self.seen.end_part();
        (self.seen.kept, self.seen.omitted, result)
    }
}

/// Builds the [`RecordedBody`] of one request as its chunks go by.
pub(crate) struct BodyRecorder {
    content_type: Option<String>,
    length: u64,
    /// The whole-body digest; multipart bodies are summarised per part instead.
    sha: Option<digest::Context>,
    kind: Kind,
}

enum Kind {
    Decoded { json: bool, buf: Option<Vec<u8>> },
    Multipart(Box<PartsRecorder>),
    Other,
}

impl BodyRecorder {
    /// A recorder that decodes form, JSON and multipart bodies.
    pub(crate) fn new(content_type: Option<&str>) -> Self {
        BodyRecorder::with_decoding(content_type, true)
    }

    /// A recorder that keeps only the length and SHA-256 (for refused requests, whose
    /// bodies no handler reads and whose senders may be anyone).
    pub(crate) fn summary(content_type: Option<&str>) -> Self {
        BodyRecorder::with_decoding(content_type, false)
    }

    fn with_decoding(content_type: Option<&str>, decode: bool) -> Self {
        let essence = content_type.map(multipart::essence).unwrap_or_default();
        let boundary = content_type.and_then(multipart::boundary_of);
        let kind = if !decode {
            Kind::Other
        } else if essence == "application/x-www-form-urlencoded" {
            Kind::Decoded {
                json: false,
                buf: Some(Vec::new()),
            }
        } else if essence == "application/json" || essence.ends_with("+json") {
            Kind::Decoded {
                json: true,
                buf: Some(Vec::new()),
            }
        } else if let Some(boundary) = boundary {
            Kind::Multipart(Box::new(PartsRecorder::new(&boundary)))
        } else {
            Kind::Other
        };
        let sha = match kind {
            Kind::Multipart(_) => None,
            _ => Some(digest::Context::new(&digest::SHA256)),
        };
        BodyRecorder {
            content_type: content_type.map(str::to_owned),
            length: 0,
            sha,
            kind,
        }
    }

    pub(crate) fn update(&mut self, chunk: &[u8]) {
        self.length += chunk.len() as u64;
        if let Some(sha) = self.sha.as_mut() {
            sha.update(chunk);
        }
        match &mut self.kind {
            Kind::Decoded { buf, .. } => {
                if let Some(b) = buf {
                    if b.len() + chunk.len() <= MAX_DECODED_BODY {
                        b.extend_from_slice(chunk);
                    } else {
                        *buf = None;
                    }
                }
            }
            Kind::Multipart(parts) => parts.update(chunk),
            Kind::Other => {}
        }
    }

    pub(crate) fn finish(self) -> RecordedBody {
        if self.length == 0 {
            return RecordedBody::None;
        }
        let content_type = self.content_type;
        let length = self.length;
        let other = |sha: Option<digest::Context>| RecordedBody::Other {
            content_type: content_type.clone(),
            length,
            sha256: sha.map(|s| hex(s.finish())).unwrap_or_default(),
        };
        match self.kind {
            Kind::Decoded {
                json: false,
                buf: Some(buf),
            } => RecordedBody::Form {
                pairs: form_urlencoded::parse(&buf).into_owned().collect(),
                raw: String::from_utf8_lossy(&buf).into_owned(),
            },
            Kind::Decoded {
                json: true,
                buf: Some(buf),
            } => match serde_json::from_slice(&buf) {
                Ok(value) if json_size(&value) <= MAX_DECODED_JSON => RecordedBody::Json {
                    raw: String::from_utf8_lossy(&buf).into_owned(),
                    value,
                },
                _ => other(self.sha),
            },
            Kind::Multipart(parts) => match parts.finish() {
                (parts, parts_omitted, Ok(())) => RecordedBody::Multipart {
                    parts,
                    parts_omitted,
                },
                // A body cut short is still logged as what arrived of it.
                (parts, parts_omitted, Err(_)) if !parts.is_empty() => RecordedBody::Multipart {
                    parts,
                    parts_omitted,
                },
                // Not multipart after all; the digest was not kept.
                (_, _, Err(_)) => other(None),
            },
            _ => other(self.sha),
        }
    }
}

/// Shared between the body handed to the handler and the server, which
/// drains what the handler left unread so that every log entry is complete.
struct TeeState {
    body: Option<Body>,
    recorder: Option<BodyRecorder>,
    log: Arc<RequestLog>,
    id: u64,
}

impl TeeState {
    fn finish(&mut self, complete: bool) {
        self.body = None;
        if let Some(recorder) = self.recorder.take() {
            self.log.complete(self.id, recorder.finish(), complete);
        }
    }

    fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let Some(body) = self.body.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some(recorder)) = (frame.data_ref(), self.recorder.as_mut()) {
                    recorder.update(data);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.finish(false);
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                self.finish(true);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for TeeState {
    fn drop(&mut self) {
        self.finish(false);
    }
}

/// A recorded request body: [`Tee::body`] goes to the handler, [`Tee::drain`]
/// reads whatever the handler left.
#[derive(Clone)]
pub(crate) struct Tee {
    state: Arc<Mutex<TeeState>>,
}

impl Tee {
    /// The log id of the request.
    pub(crate) fn id(&self) -> u64 {
        lock(&self.state).id
    }

    pub(crate) fn new(body: Body, recorder: BodyRecorder, log: Arc<RequestLog>, id: u64) -> Self {
        Tee {
            state: Arc::new(Mutex::new(TeeState {
                body: Some(body),
                recorder: Some(recorder),
                log,
                id,
            })),
        }
    }

    /// The body to give the handler.
    pub(crate) fn body(&self) -> Body {
        Body::new(self.clone())
    }

    /// Reads (and records) the rest of the body.
    pub(crate) async fn drain(&self) {
        loop {
            let frame = std::future::poll_fn(|cx| lock(&self.state).poll_frame(cx)).await;
            match frame {
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            }
        }
    }
}

impl http_body::Body for Tee {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        lock(&self.state).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        lock(&self.state)
            .body
            .as_ref()
            .is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        match lock(&self.state).body.as_ref() {
            Some(body) => body.size_hint(),
            None => SizeHint::with_exact(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(content_type: Option<&str>, chunks: &[&[u8]]) -> RecordedBody {
        let mut recorder = BodyRecorder::new(content_type);
        for chunk in chunks {
            recorder.update(chunk);
        }
        recorder.finish()
    }

    #[test]
    fn bodies_by_content_type() {
        assert_eq!(record(Some("application/json"), &[]), RecordedBody::None);
        let form = record(
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            &[b"a=1&p=p%26ss+%3D", b"+w%2Brd"],
        );
        assert_eq!(form.form_value("p"), Some("p&ss = w+rd"));
        assert_eq!(
            record(Some("application/json"), &[b"{\"a\":", b"[1]}"]),
            RecordedBody::Json {
                raw: "{\"a\":[1]}".into(),
                value: serde_json::json!({"a": [1]}),
            }
        );
        let RecordedBody::Other { length, sha256, .. } = record(Some("application/json"), &[b"{"])
        else {
            panic!("invalid JSON should be Other");
        };
        assert_eq!((length, sha256.len()), (1, 64));
        assert_eq!(
            record(None, &[b"abc"]),
            RecordedBody::Other {
                content_type: None,
                length: 3,
                sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
            }
        );
    }

    #[test]
    fn large_parts_keep_no_content() {
        let big = vec![b'x'; MAX_PART_CONTENT + 1];
        let mut body =
            b"--B\r\ncontent-disposition: form-data; name=\"big\"; filename=\"b.txt\"\r\n\r\n"
                .to_vec();
        body.extend_from_slice(&big);
        body.extend_from_slice(
            b"\r\n--B\r\ncontent-disposition: form-data; name=\"small\"\r\n\r\nhi\r\n--B--\r\n",
        );
        let chunks: Vec<&[u8]> = body.chunks(1000).collect();
        let RecordedBody::Multipart { parts, .. } =
            record(Some("multipart/form-data; boundary=B"), &chunks)
        else {
            panic!("expected multipart");
        };
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].length, parts[0].content.as_deref()),
            (big.len() as u64, None)
        );
        assert_eq!(parts[0].filename.as_deref(), Some("b.txt"));
        assert_eq!(
            (parts[1].name.as_str(), parts[1].content.as_deref()),
            ("small", Some("hi"))
        );
    }
}
