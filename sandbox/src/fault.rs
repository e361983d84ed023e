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

use crate::state::lock;

/// Makes requests to one path misbehave.
///
/// Rules apply to every path except `/_sandbox/requests` and
/// `/_sandbox/faults`, and before the token check; the first matching rule wins.
///
/// ```
/// use squonk2_sandbox::{Fault, FaultRule};
/// let rule = FaultRule::new("/data-manager-api/version", Fault::Drop)
///     .method("GET")
///     .times(1);
/// assert_eq!(rule.times, Some(1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    /// Only requests with this method (case-insensitive); `None` matches any.
    pub method: Option<String>,
    /// The exact percent-decoded path, e.g. `"/data-manager-api/version"`.
    pub path: String,
    /// What to do instead of answering normally.
    pub fault: Fault,
    /// How many matching requests to affect; `None` means all of them.
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule applying `fault` to every request to `path`, whatever the method.
    pub fn new(path: impl Into<String>, fault: Fault) -> Self {
        FaultRule {
            method: None,
            path: path.into(),
            fault,
            times: None,
        }
    }

    /// Restricts the rule to requests with `method`.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }

    /// Makes the rule expire after affecting `times` requests.
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.path == path
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.times != Some(0)
    }
}

/// What a [`FaultRule`] does to a request.
///
/// Every faulted request is still recorded in the request log, and its body is
/// read in full before the fault applies, so clients see the fault rather
/// than an error while sending.
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

/// Takes the fault for a request, counting it against the rule's `times`.
pub(crate) fn take(faults: &Mutex<Vec<FaultRule>>, method: &str, path: &str) -> Option<Fault> {
    let mut faults = lock(faults);
    let i = faults.iter().position(|rule| rule.matches(method, path))?;
    let rule = &mut faults[i];
    let fault = rule.fault.clone();
    if let Some(times) = rule.times.as_mut() {
        *times -= 1;
        if *times == 0 {
            faults.remove(i);
        }
    }
    Some(fault)
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
