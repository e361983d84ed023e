//! Injected faults: slow, wrong, hanging, dropped and truncated responses.

use std::future::Future as _;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use http_body::Frame;

use serde::{Deserialize, Serialize};

use crate::state::lock;

/// Makes matching requests misbehave, like a wiremock or httpmock mock.
///
/// A rule matches on a path pattern (each `/`-separated segment matched alone: `*` stands
/// for any run of characters within a segment, a segment `**` for any number of segments,
/// anything else is literal; the path is percent-decoded), and optionally the method, query
/// parameters and the body. Rules apply to every path except the controls under
/// `/_sandbox` (`/_sandbox/echo` and `/_sandbox/download` included), before the token
/// check; the first matching rule that has requests left wins.
///
/// ```
/// use squonk2_sandbox::{Fault, FaultRule};
/// let rule = FaultRule::new("/data-manager-api/instance/*", Fault::Drop)
///     .method("GET")
///     .query("token", "*")
///     .times(1);
/// assert_eq!(rule.times_limit(), Some(1));
/// assert!(rule.matches("GET", "/data-manager-api/instance/instance-1", Some("token=a"), None));
/// assert!(!rule.matches("GET", "/data-manager-api/instance", Some("token=a"), None));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FaultRule {
    method: Option<String>,
    path: String,
    query: Vec<(String, String)>,
    body_contains: Vec<String>,
    body_json: Option<serde_json::Value>,
    fault: Fault,
    times: Option<u32>,
}

impl FaultRule {
    /// A rule applying `fault` to every request whose path matches `path` (a pattern, see
    /// above; a path without `*` matches itself only), whatever the method.
    pub fn new(path: impl Into<String>, fault: Fault) -> Self {
        FaultRule {
            method: None,
            path: path.into(),
            query: Vec::new(),
            body_contains: Vec::new(),
            body_json: None,
            fault,
            times: None,
        }
    }

    /// Restricts the rule to requests with `method` (case-insensitive).
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }

    /// Restricts the rule to requests whose query has parameter `name` (decoded) equal to
    /// `value`; a `value` of `*` only asks for the parameter. May be given several times.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Restricts the rule to requests whose body contains `text` (bodies up to 1 MiB are
    /// looked at; a longer one never matches). May be given several times.
    pub fn body_contains(mut self, text: &str) -> Self {
        self.body_contains.push(text.to_owned());
        self
    }

    /// Restricts the rule to requests whose body is JSON that includes `value`: an object
    /// matches when each of `value`'s fields matches its own field (recursively), anything
    /// else when equal (bodies up to 1 MiB).
    pub fn body_json(mut self, value: serde_json::Value) -> Self {
        self.body_json = Some(value);
        self
    }

    /// Makes the rule expire after affecting `times` requests (it stays listed by
    /// [`Sandbox::faults`](crate::Sandbox::faults), with none remaining).
    ///
    /// # Panics
    ///
    /// When `times` is 0: a rule that can never apply is a mistake in the test.
    pub fn times(mut self, times: u32) -> Self {
        assert!(
            times > 0,
            "FaultRule::times(0): a fault rule must be allowed at least one request"
        );
        self.times = Some(times);
        self
    }

    /// The path pattern.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The method it is restricted to, if any.
    pub fn method_name(&self) -> Option<&str> {
        self.method.as_deref()
    }

    /// What it does.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// How many requests it may affect in all; `None`: any number.
    pub fn times_limit(&self) -> Option<u32> {
        self.times
    }

    /// The query, body-text and body-JSON matchers.
    pub(crate) fn matchers(&self) -> (&[(String, String)], &[String], Option<&serde_json::Value>) {
        (&self.query, &self.body_contains, self.body_json.as_ref())
    }

    /// Whether it needs the request body to decide.
    pub(crate) fn looks_at_body(&self) -> bool {
        !self.body_contains.is_empty() || self.body_json.is_some()
    }

    /// Whether a request matches the rule (`query`: the raw query string; `body`: the
    /// whole body when known, `None` when not looked at or too long).
    pub fn matches(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Option<&[u8]>,
    ) -> bool {
        self.matches_head(method, path, query) && self.matches_body(body)
    }

    /// Whether the method, path and query match.
    pub(crate) fn matches_head(&self, method: &str, path: &str, query: Option<&str>) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path_matches(&self.path, path)
            && self.query.iter().all(|(name, value)| {
                form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                    .any(|(k, v)| k == name.as_str() && (value == "*" || v == value.as_str()))
            })
    }

    fn matches_body(&self, body: Option<&[u8]>) -> bool {
        if !self.looks_at_body() {
            return true;
        }
        let Some(body) = body else {
            return false;
        };
        self.body_contains
            .iter()
            .all(|text| memchr::memmem::find(body, text.as_bytes()).is_some())
            && self.body_json.as_ref().is_none_or(|wanted| {
                serde_json::from_slice::<serde_json::Value>(body)
                    .is_ok_and(|got| json_includes(&got, wanted))
            })
    }
}

/// Whether `got` includes `wanted`: each field of an object (recursively), else equality.
fn json_includes(got: &serde_json::Value, wanted: &serde_json::Value) -> bool {
    match (got, wanted) {
        (serde_json::Value::Object(got), serde_json::Value::Object(wanted)) => wanted
            .iter()
            .all(|(k, w)| got.get(k).is_some_and(|g| json_includes(g, w))),
        _ => got == wanted,
    }
}

/// Whether `path` matches `pattern`, segment by segment.
fn path_matches(pattern: &str, path: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == path;
    }
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    segments_match(&pattern, &path)
}

fn segments_match(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| segments_match(rest, &path[skip..])),
        Some((first, rest)) => path
            .split_first()
            .is_some_and(|(segment, tail)| glob(first, segment) && segments_match(rest, tail)),
    }
}

/// `*` matches any run of characters, everything else itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The id of a fault rule in a sandbox, from [`Sandbox::add_fault`](crate::Sandbox::add_fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FaultId(pub(crate) u64);

impl FaultId {
    /// The number (the `id` of `GET /_sandbox/faults`).
    pub fn value(self) -> u64 {
        self.0
    }
}

/// A fault rule in a sandbox, with how often it applied:
/// [`Sandbox::faults`](crate::Sandbox::faults).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FaultStatus {
    /// Its id.
    pub id: FaultId,
    /// The rule.
    pub rule: FaultRule,
    /// How many requests it has affected.
    pub hits: u32,
    /// How many more it may affect; `None`: any number.
    pub remaining: Option<u32>,
}

/// The fault rules of a sandbox, in the order added.
#[derive(Debug, Default)]
pub(crate) struct FaultRules {
    next_id: u64,
    pub(crate) rules: Vec<FaultStatus>,
}

impl FaultRules {
    pub(crate) fn add(&mut self, rule: FaultRule) -> FaultId {
        self.next_id += 1;
        let id = FaultId(self.next_id);
        self.rules.push(FaultStatus {
            id,
            remaining: rule.times,
            rule,
            hits: 0,
        });
        id
    }

    /// Decides from the request's head alone when it can: the first live rule whose head
    /// matches wins unless it looks at the body (it is then taken, counted against its
    /// `times`); a rule that looks at the body needs the body first ([`take`]).
    pub(crate) fn take_by_head(&mut self, method: &str, path: &str, query: Option<&str>) -> ByHead {
        let Some(status) = self.rules.iter_mut().find(|status| {
            status.remaining != Some(0) && status.rule.matches_head(method, path, query)
        }) else {
            return ByHead::None;
        };
        if status.rule.looks_at_body() {
            return ByHead::NeedsBody;
        }
        ByHead::Fault(status.take())
    }
}

/// What the head of a request decides ([`FaultRules::take_by_head`]).
pub(crate) enum ByHead {
    /// No rule applies.
    None,
    /// This rule's fault applies.
    Fault(Fault),
    /// A rule that looks at the body may apply: read it, then [`take`].
    NeedsBody,
}

impl FaultStatus {
    /// Counts a request against the rule, and gives its fault.
    fn take(&mut self) -> Fault {
        self.hits = self.hits.saturating_add(1);
        if let Some(remaining) = self.remaining.as_mut() {
            *remaining -= 1;
        }
        self.rule.fault.clone()
    }
}

/// What a [`FaultRule`] does to a request.
///
/// Build them with the variants or [`Fault::error`], [`Fault::json`], [`Fault::respond`],
/// [`Fault::delay`], [`Fault::drip`], [`Fault::truncate`]. Every faulted request is still recorded in the request log, and its body is
/// read in full before the fault applies, so clients see the fault rather
/// than an error while sending.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Waits this long, then answers normally.
    Delay(Duration),
    /// Answers this instead.
    Respond {
        /// The HTTP status code.
        status: u16,
        /// The Content-Type header.
        content_type: String,
        /// The body.
        body: Vec<u8>,
    },
    /// Answers this, with these extra headers (a `Retry-After`, for example).
    RespondWithHeaders {
        /// The HTTP status code.
        status: u16,
        /// Header names and values, added to `Content-Type: application/json`.
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
    },
    /// Sends the status and headers at once, then the body one byte every `interval`: a
    /// server (or proxy) that drips its answer, so a client's per-read time-out never fires.
    Drip {
        /// The HTTP status code.
        status: u16,
        /// The body, sent byte by byte (with a `Content-Length`).
        body: Vec<u8>,
        /// The pause before each byte.
        interval: Duration,
    },
    /// Never answers (the connection stays open until the sandbox is dropped).
    Hang,
    /// Closes the connection without any response.
    Drop,
    /// Sends the status and a `Content-Length: declared_length` header, then
    /// `body` (which should be shorter), then closes the connection.
    Truncate {
        /// The HTTP status code.
        status: u16,
        /// The length announced in Content-Length.
        declared_length: u64,
        /// The bytes actually sent.
        body: Vec<u8>,
    },
}

impl Fault {
    /// A [`Fault::Respond`] with a JSON body.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Fault::Respond {
            status,
            content_type: "application/json".into(),
            body: body.to_string().into_bytes(),
        }
    }

    /// A [`Fault::Respond`] with a DM/AS style error body `{"error": message}`.
    pub fn error(status: u16, message: &str) -> Self {
        Fault::json(status, &serde_json::json!({ "error": message }))
    }

    /// A [`Fault::Respond`].
    pub fn respond(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Fault::Respond {
            status,
            content_type: content_type.to_owned(),
            body: body.into(),
        }
    }

    /// A [`Fault::RespondWithHeaders`].
    pub fn respond_with_headers(
        status: u16,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Self {
        Fault::RespondWithHeaders {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.into(),
        }
    }

    /// A [`Fault::Delay`].
    pub fn delay(pause: Duration) -> Self {
        Fault::Delay(pause)
    }

    /// A [`Fault::Drip`].
    pub fn drip(status: u16, body: impl Into<Vec<u8>>, interval: Duration) -> Self {
        Fault::Drip {
            status,
            body: body.into(),
            interval,
        }
    }

    /// A [`Fault::Truncate`] (`declared_length` should exceed the body's length).
    pub fn truncate(status: u16, declared_length: u64, body: impl Into<Vec<u8>>) -> Self {
        Fault::Truncate {
            status,
            declared_length,
            body: body.into(),
        }
    }
}

/// Takes the fault for a request, counting it against the rule's `times`.
pub(crate) fn take(
    faults: &Mutex<FaultRules>,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: Option<&[u8]>,
) -> Option<Fault> {
    let mut faults = lock(faults);
    let status = faults.rules.iter_mut().find(|status| {
        status.remaining != Some(0) && status.rule.matches(method, path, query, body)
    })?;
    Some(status.take())
}

/// How the server carries out a fault.
pub(crate) enum Outcome {
    /// Answer normally after this pause.
    Delay(Duration),
    Respond(Response),
    Hang,
    CloseConnection,
}

pub(crate) fn outcome(fault: Fault) -> Outcome {
    match fault {
        Fault::Delay(pause) => Outcome::Delay(pause),
        Fault::Respond {
            status,
            content_type,
            body,
        } => respond(status, [("content-type".to_string(), content_type)], body),
        Fault::RespondWithHeaders {
            status,
            headers,
            body,
        } => respond(
            status,
            std::iter::once(("content-type".to_string(), "application/json".to_string()))
                .chain(headers),
            body,
        ),
        Fault::Drip {
            status,
            body,
            interval,
        } => {
            let length = body.len() as u64;
            let mut response = Response::new(Body::new(DripBody {
                data: Bytes::from(body),
                interval,
                pause: None,
            }));
            *response.status_mut() = status_code(status);
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Outcome::Respond(response)
        }
        Fault::Hang => Outcome::Hang,
        Fault::Drop => Outcome::CloseConnection,
        Fault::Truncate {
            status,
            declared_length,
            body,
        } => {
            let mut response = Response::new(Body::new(TruncatedBody::new(body)));
            *response.status_mut() = status_code(status);
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(declared_length));
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Outcome::Respond(response)
        }
    }
}

/// An answer with this status, these headers (a later one of a name replaces an earlier
/// one; invalid ones are left out) and this body.
fn respond(
    status: u16,
    headers: impl IntoIterator<Item = (String, String)>,
    body: Vec<u8>,
) -> Outcome {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status_code(status);
    let map = response.headers_mut();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            map.insert(name, value);
        }
    }
    Outcome::Respond(response)
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Yields its bytes, pauses so the server flushes them, then fails, which
/// makes the server close the connection short of the declared length.
struct TruncatedBody {
    data: Option<Bytes>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl TruncatedBody {
    fn new(body: Vec<u8>) -> Self {
        TruncatedBody {
            data: Some(Bytes::from(body)),
            pause: None,
        }
    }
}

impl http_body::Body for TruncatedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(data) = self.data.take() {
            self.pause = Some(Box::pin(tokio::time::sleep(Duration::from_millis(50))));
            if !data.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(data))));
            }
        }
        if let Some(pause) = self.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        Poll::Ready(Some(Err(std::io::Error::other(
            "truncated by a sandbox fault",
        ))))
    }
}

/// Yields its bytes one at a time, each after a pause.
struct DripBody {
    data: Bytes,
    interval: Duration,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl http_body::Body for DripBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.data.is_empty() {
            return Poll::Ready(None);
        }
        let interval = self.interval;
        let pause = self
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(interval)));
        if pause.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.pause = None;
        let byte = self.data.split_to(1);
        Poll::Ready(Some(Ok(Frame::data(byte))))
    }
}

/// The most of a body a rule's body matchers look at.
pub(crate) const MAX_MATCHED_BODY: usize = 1024 * 1024;

/// Reads `body` until it ends or more than `limit` bytes came: (what came, `None`) or (what
/// came, the rest).
pub(crate) async fn read_prefix(mut body: Body, limit: usize) -> (Bytes, Option<Body>) {
    use http_body_util::BodyExt as _;
    let mut prefix = bytes::BytesMut::new();
    loop {
        match body.frame().await {
            None => return (prefix.freeze(), None),
            Some(Err(_)) => return (prefix.freeze(), Some(Body::empty())),
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    prefix.extend_from_slice(data);
                }
                if prefix.len() > limit {
                    return (prefix.freeze(), Some(body));
                }
            }
        }
    }
}

/// A body of `prefix` followed by `rest`.
pub(crate) fn prefixed(prefix: Bytes, rest: Option<Body>) -> Body {
    match rest {
        None => Body::from(prefix),
        Some(rest) => Body::new(Prefixed {
            prefix: Some(prefix),
            rest,
        }),
    }
}

struct Prefixed {
    prefix: Option<Bytes>,
    rest: Body,
}

impl http_body::Body for Prefixed {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Some(prefix) = self.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }
}
