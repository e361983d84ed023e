//! The one request path every endpoint function goes through.
//!
//! An endpoint describes its call with [`Call`] (method, path template, values, query, body,
//! whether it wants a token, its error text) and [`Call::run`] does the rest: URL building
//! with every path value encoded as one segment, the bearer header, query/form/multipart/JSON
//! encoding, time-outs, streaming uploads and downloads, the success rule (any 2xx), the
//! `msg` of success and failure, and the debug log.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use ureq::SendBody;

use crate::api_rv::ApiRv;
use crate::client::{check_base_url, Api, Client};
use crate::encoding::{form_component, form_urlencode, path_segment};

/// The default time-out of most calls (the Python client's 4 s).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(4);
/// The default time-out of listings and file transfers (the Python client's 12 s).
pub(crate) const LONG_TIMEOUT: Duration = Duration::from_secs(12);
/// The most of a JSON answer held in memory.
const MAX_JSON_BODY: u64 = 256 * 1024 * 1024;
/// The most of an error answer read.
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// The buffer a download is copied to disk through.
const DOWNLOAD_BUFFER: usize = 256 * 1024;

/// A value for a query string, form or multipart text field, rendered as the Python client
/// renders it (`True`/`False` for booleans, decimal numbers).
pub(crate) trait Param {
    /// The value as sent.
    fn render(&self) -> String;
    /// Whether Python would see the value as set (truthy): not empty, not `0`, not `False`.
    fn is_set(&self) -> bool;
}

impl Param for str {
    fn render(&self) -> String {
        self.to_string()
    }
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl Param for String {
    fn render(&self) -> String {
        self.clone()
    }
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl Param for bool {
    fn render(&self) -> String {
        if *self { "True" } else { "False" }.to_string()
    }
    fn is_set(&self) -> bool {
        *self
    }
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn render(&self) -> String {
                self.to_string()
            }
            fn is_set(&self) -> bool {
                *self != 0
            }
        }
    )*};
}
int_param!(i32, i64, u32, u64, usize);

impl<T: Param + ?Sized> Param for &T {
    fn render(&self) -> String {
        (**self).render()
    }
    fn is_set(&self) -> bool {
        (**self).is_set()
    }
}

impl<T: Param> Param for Option<T> {
    fn render(&self) -> String {
        self.as_ref().map(Param::render).unwrap_or_default()
    }
    fn is_set(&self) -> bool {
        self.as_ref().is_some_and(Param::is_set)
    }
}

/// A progress callback for uploads and downloads: called with (bytes done, bytes total) as
/// the transfer moves, and once more at the end. `total` is 0 when the server did not say
/// how big a download is.
///
/// ```
/// let progress = squonk2::Progress::new(|done, total| eprint!("\r{done}/{total} bytes"));
/// ```
#[derive(Clone)]
pub struct Progress(std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>);

impl Progress {
    /// Wraps a callback.
    pub fn new(callback: impl Fn(u64, u64) + Send + Sync + 'static) -> Progress {
        Progress(std::sync::Arc::new(callback))
    }

    /// Calls the callback.
    pub fn report(&self, done: u64, total: u64) {
        (self.0)(done, total)
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// Counts bytes read through it and reports them, at most every 256 KiB, and at the end.
struct Counting<R> {
    inner: R,
    done: u64,
    total: u64,
    reported: u64,
    progress: Progress,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        // A body sent with a Content-Length is not read past its end, so the last report
        // comes when the total is reached, not only at end of file.
        let at_end = n == 0 || (self.total > 0 && self.done >= self.total);
        if (at_end && self.reported != self.done) || self.done - self.reported >= 256 * 1024 {
            self.reported = self.done;
            self.progress.report(self.done, self.total);
        }
        Ok(n)
    }
}

/// Whether a call sends the client's bearer token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Auth {
    /// The call needs a token: without one it fails before sending anything.
    Required,
    /// Sent when the client has a token source, left out otherwise.
    IfAvailable,
    /// Never sent.
    Never,
}

/// One part of a multipart body.
enum Part {
    Text(&'static str, String),
    File(&'static str, PathBuf),
    /// A file part with `filename=""` and no content: "no file" to the server (D8).
    NoFile(&'static str),
}

enum Body {
    None,
    Form(Vec<(&'static str, String)>),
    Json(Value),
    Multipart(Vec<Part>),
}

/// A description of one HTTP call, run by [`Call::run`].
pub(crate) struct Call<'a> {
    api: Api,
    method: &'static str,
    template: &'static str,
    path_args: Vec<(&'static str, String, bool)>,
    query: Vec<(&'static str, String, bool)>,
    body: Body,
    auth: Auth,
    error_text: Cow<'static, str>,
    default_timeout: Duration,
    download_to: Option<&'a Path>,
    progress: Option<Progress>,
    text_response: bool,
    problems: Vec<String>,
}

impl<'a> Call<'a> {
    /// A call of `method` on `template` (relative to the API's base URL, with `{name}` holes
    /// filled by [`Call::path`]). It wants a token and times out after 4 s unless told
    /// otherwise.
    pub(crate) fn new(api: Api, method: &'static str, template: &'static str) -> Call<'a> {
        Call {
            api,
            method,
            template,
            path_args: Vec::new(),
            query: Vec::new(),
            body: Body::None,
            auth: Auth::Required,
            error_text: Cow::Borrowed("Request failed"),
            default_timeout: DEFAULT_TIMEOUT,
            download_to: None,
            progress: None,
            text_response: false,
            problems: Vec::new(),
        }
    }

    /// Fills the `{name}` hole of the template. An empty value fails the call before
    /// anything is sent (D3).
    pub(crate) fn path(self, name: &'static str, value: impl Param) -> Self {
        self.path_arg(name, value, false)
    }

    /// As [`Call::path`], for a value that must not appear in the debug log.
    pub(crate) fn secret_path(self, name: &'static str, value: impl Param) -> Self {
        self.path_arg(name, value, true)
    }

    fn path_arg(mut self, name: &'static str, value: impl Param, secret: bool) -> Self {
        let value = value.render();
        if value.is_empty() {
            self.problems.push(format!("{name} is required"));
        }
        self.path_args.push((name, value, secret));
        self
    }

    /// Fails the call before anything is sent when `value` is empty (D3).
    pub(crate) fn require(mut self, name: &'static str, value: impl Param) -> Self {
        if value.render().is_empty() {
            self.problems.push(format!("{name} is required"));
        }
        self
    }

    /// Fails the call before anything is sent, with `problem` as the error.
    pub(crate) fn reject(mut self, problem: impl Into<String>) -> Self {
        self.problems.push(problem.into());
        self
    }

    /// Fails the call before anything is sent when `value` is not 1 or more (where the Python
    /// client asserts `value > 0`, e.g. a dataset version; D3).
    pub(crate) fn require_positive(mut self, name: &'static str, value: i64) -> Self {
        if value < 1 {
            self.problems
                .push(format!("{name} must be greater than 0 (got {value})"));
        }
        self
    }

    /// Adds a query pair when the value is set (truthy, as the Python client decides).
    pub(crate) fn query(mut self, name: &'static str, value: impl Param) -> Self {
        if value.is_set() {
            self.query.push((name, value.render(), false));
        }
        self
    }

    /// Adds a query pair when the value is `Some`, even if it is `false`, `0` or empty.
    pub(crate) fn query_some<T: Param>(mut self, name: &'static str, value: Option<T>) -> Self {
        if let Some(value) = value {
            self.query.push((name, value.render(), false));
        }
        self
    }

    /// Adds a query pair whatever the value.
    pub(crate) fn query_always(mut self, name: &'static str, value: impl Param) -> Self {
        self.query.push((name, value.render(), false));
        self
    }

    /// Adds a query pair whose value must not appear in the debug log.
    pub(crate) fn secret_query(mut self, name: &'static str, value: impl Param) -> Self {
        self.query.push((name, value.render(), true));
        self
    }

    fn form_fields(&mut self) -> &mut Vec<(&'static str, String)> {
        if !matches!(self.body, Body::Form(_)) {
            self.body = Body::Form(Vec::new());
        }
        match &mut self.body {
            Body::Form(fields) => fields,
            _ => unreachable!("the body was made a form just above"),
        }
    }

    /// Makes the body a form (sent only if it gets a field) and adds the field when set.
    pub(crate) fn form(mut self, name: &'static str, value: impl Param) -> Self {
        let set = value.is_set();
        let fields = self.form_fields();
        if set {
            fields.push((name, value.render()));
        }
        self
    }

    /// Adds a form field when the value is `Some`, even if it is `false`, `0` or empty.
    pub(crate) fn form_some<T: Param>(mut self, name: &'static str, value: Option<T>) -> Self {
        let fields = self.form_fields();
        if let Some(value) = value {
            fields.push((name, value.render()));
        }
        self
    }

    /// Adds a form field whatever the value.
    pub(crate) fn form_always(mut self, name: &'static str, value: impl Param) -> Self {
        self.form_fields().push((name, value.render()));
        self
    }

    fn json_fields(&mut self) -> &mut serde_json::Map<String, Value> {
        if !matches!(self.body, Body::Json(Value::Object(_))) {
            self.body = Body::Json(Value::Object(serde_json::Map::new()));
        }
        match &mut self.body {
            Body::Json(Value::Object(map)) => map,
            _ => unreachable!("the body was made a JSON object just above"),
        }
    }

    /// Makes the body a JSON object (`{}` when it gets no field) and sets the field.
    pub(crate) fn json_field(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        self.json_fields().insert(name.to_string(), value.into());
        self
    }

    /// Sets a JSON field when the value is `Some`, even if it is `false`, `0` or empty.
    pub(crate) fn json_field_some<T: Into<Value>>(
        mut self,
        name: &'static str,
        value: Option<T>,
    ) -> Self {
        let fields = self.json_fields();
        if let Some(value) = value {
            fields.insert(name.to_string(), value.into());
        }
        self
    }

    /// Sets a JSON field when the value is set (truthy, as the Python client decides).
    pub(crate) fn json_field_if_set<T: Param + Into<Value>>(
        mut self,
        name: &'static str,
        value: T,
    ) -> Self {
        let set = value.is_set();
        let fields = self.json_fields();
        if set {
            fields.insert(name.to_string(), value.into());
        }
        self
    }

    fn parts(&mut self) -> &mut Vec<Part> {
        if !matches!(self.body, Body::Multipart(_)) {
            self.body = Body::Multipart(Vec::new());
        }
        match &mut self.body {
            Body::Multipart(parts) => parts,
            _ => unreachable!("the body was made multipart just above"),
        }
    }

    /// Adds a multipart text field when the value is set.
    pub(crate) fn text_part(mut self, name: &'static str, value: impl Param) -> Self {
        if value.is_set() {
            let value = value.render();
            self.parts().push(Part::Text(name, value));
        }
        self
    }

    /// Adds a multipart text field whatever the value.
    pub(crate) fn text_part_always(mut self, name: &'static str, value: impl Param) -> Self {
        let value = value.render();
        self.parts().push(Part::Text(name, value));
        self
    }

    /// Adds a multipart text field when the value is `Some`, even if it is empty (what
    /// requests does with a `None`-filtered `data` dict).
    pub(crate) fn text_part_some<T: Param>(self, name: &'static str, value: Option<T>) -> Self {
        match value {
            Some(value) => self.text_part_always(name, value),
            None => self,
        }
    }

    /// Adds a file part streamed from `path`, named by the file's base name; with `None`, a
    /// part with `filename=""` and no content (the server's "no file").
    pub(crate) fn file_part(mut self, name: &'static str, path: Option<&Path>) -> Self {
        let part = match path {
            Some(path) => Part::File(name, path.to_path_buf()),
            None => Part::NoFile(name),
        };
        self.parts().push(part);
        self
    }

    /// Whether the bearer token is sent (default [`Auth::Required`]).
    pub(crate) fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// The start of `msg["error"]` when the call fails.
    pub(crate) fn error(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.error_text = text.into();
        self
    }

    /// Uses the 12 s default time-out of listings and file transfers.
    pub(crate) fn long_timeout(mut self) -> Self {
        self.default_timeout = LONG_TIMEOUT;
        self
    }

    /// Streams a successful answer's body into `local_file` (through a temporary file beside
    /// it, renamed into place only when complete: D9).
    pub(crate) fn download_to(mut self, local_file: &'a Path) -> Self {
        self.download_to = Some(local_file);
        self
    }

    /// Reports the progress of the upload (a multipart body) or the download.
    pub(crate) fn progress(mut self, progress: Option<&Progress>) -> Self {
        self.progress = progress.cloned();
        self
    }

    /// A successful answer's `msg` is `{"text": <body>}` (the UI API's way).
    pub(crate) fn text_response(mut self) -> Self {
        self.text_response = true;
        self
    }

    fn call_name(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    fn fail(&self, error: impl Into<String>, status: u16) -> ApiRv {
        ApiRv::failure(error, status, &self.call_name())
    }

    /// The URL to call and the same URL with secret values replaced by `***` for logs.
    fn urls(&self, base: &str) -> (String, String) {
        let mut url = base.trim_end_matches('/').to_string();
        let mut shown = url.clone();
        let mut rest = self.template;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
            let name = &rest[open + 1..close];
            url.push_str(&rest[..open]);
            shown.push_str(&rest[..open]);
            match self.path_args.iter().find(|(n, _, _)| *n == name) {
                Some((_, value, secret)) => {
                    let encoded = path_segment(value);
                    shown.push_str(if *secret { "***" } else { &encoded });
                    url.push_str(&encoded);
                }
                None => {
                    // A template hole without a value is a bug in this crate, never user input;
                    // it is caught by the parity tests. Send nothing rather than a broken URL.
                    url.push_str("%7Bmissing%7D");
                    shown.push_str("{missing}");
                }
            }
            rest = rest.get(close + 1..).unwrap_or("");
        }
        url.push_str(rest);
        shown.push_str(rest);
        for (i, (name, value, secret)) in self.query.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            let encoded = format!("{}={}", form_component(name), form_component(value));
            url.push(sep);
            url.push_str(&encoded);
            shown.push(sep);
            if *secret {
                shown.push_str(&format!("{}=***", form_component(name)));
            } else {
                shown.push_str(&encoded);
            }
        }
        (url, shown)
    }

    /// Sends the call and turns the answer into an [`ApiRv`].
    pub(crate) fn run(self, client: &Client) -> ApiRv {
        if let Some(problem) = self.problems.first() {
            return self.fail(problem.clone(), 0);
        }
        if self
            .path_args
            .iter()
            .any(|(name, _, _)| !self.template.contains(&format!("{{{name}}}")))
        {
            return self.fail(
                format!("{} (internal error: bad path template)", self.error_text),
                0,
            );
        }
        let Some(base) = client.base_url(self.api) else {
            return self.fail("No API URL defined", 0);
        };
        if let Err(why) = check_base_url(base) {
            return self.fail(
                format!(
                    "{} (the {} API URL is not valid: {why})",
                    self.error_text,
                    self.api.short_name()
                ),
                0,
            );
        }
        let (url, shown_url) = self.urls(base);
        let token = match self.auth {
            Auth::Never => None,
            Auth::IfAvailable if !client.has_token_source(self.api) => None,
            Auth::Required | Auth::IfAvailable => match client.token(self.api) {
                Ok(Some(token)) => Some(token),
                Ok(None) => {
                    return self.fail(
                        format!(
                            "access_token is required (the client has no token or Keycloak credentials for the {} API)",
                            self.api.short_name()
                        ),
                        0,
                    )
                }
                Err(why) => return self.fail(format!("{} ({why})", self.error_text), 0),
            },
        };
        let (content_type, length, body) = match self.prepare_body() {
            Ok(prepared) => prepared,
            Err(why) => return self.fail(format!("{} ({why})", self.error_text), 0),
        };
        let mut request = ureq::http::Request::builder().method(self.method).uri(&url);
        if let Some(token) = &token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        if let Some(length) = length {
            request = request.header("Content-Length", length);
        }
        let request = match request.body(body) {
            Ok(request) => request,
            // Our URLs are built from checked parts; say so without echoing a token.
            Err(e) => {
                return self.fail(
                    format!("{} (the request could not be made: {e})", self.error_text),
                    0,
                )
            }
        };
        let timeout = client.timeout_or(self.default_timeout);
        let debug = client.debug_requests().then_some(shown_url.as_str());
        let mut response = match send(client.agent(self.api), request, timeout, debug) {
            Ok(response) => response,
            Err(e) => {
                return self.fail(
                    format!(
                        "{} ({})",
                        self.error_text,
                        describe_transport_error(&e, timeout)
                    ),
                    0,
                )
            }
        };
        let status = response.status().as_u16();
        let body = response.body_mut();
        if !(200..300).contains(&status) {
            let text = body
                .with_config()
                .limit(MAX_ERROR_BODY)
                .lossy_utf8(true)
                .read_to_string()
                .unwrap_or_default();
            let detail = server_error_text(&text);
            let error = if detail.is_empty() {
                format!("{} (HTTP {status})", self.error_text)
            } else {
                format!("{} (HTTP {status}: {detail})", self.error_text)
            };
            return self.fail(error, status);
        }
        if let Some(local_file) = self.download_to {
            let total = body.content_length().unwrap_or(0);
            let reader = body.with_config().reader();
            let result = match &self.progress {
                Some(progress) => save_stream(
                    &mut Counting {
                        inner: reader,
                        done: 0,
                        total,
                        reported: 0,
                        progress: progress.clone(),
                    },
                    local_file,
                ),
                None => save_stream(&mut { reader }, local_file),
            };
            return match result {
                Ok(msg) => ApiRv::new(true, msg, status).with_call(&self.call_name()),
                Err(why) => self.fail(format!("{} ({why})", self.error_text), status),
            };
        }
        let bytes = match body.with_config().limit(MAX_JSON_BODY).read_to_vec() {
            Ok(bytes) => bytes,
            Err(e) => {
                return self.fail(
                    format!(
                        "{} (the answer could not be read: {})",
                        self.error_text,
                        describe_transport_error(&e, timeout)
                    ),
                    status,
                )
            }
        };
        let msg = if self.text_response {
            json!({ "text": String::from_utf8_lossy(&bytes) })
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({}))
        };
        ApiRv::new(true, msg, status).with_call(&self.call_name())
    }

    /// The body's content type, length and bytes (a stream for multipart).
    #[allow(clippy::type_complexity)]
    fn prepare_body(&self) -> Result<(Option<String>, Option<u64>, SendBody<'static>), String> {
        Ok(match &self.body {
            Body::None => (None, None, SendBody::none()),
            // The Python client sends no body at all for an empty form.
            Body::Form(fields) if fields.is_empty() => (None, None, SendBody::none()),
            Body::Form(fields) => {
                let bytes = form_urlencode(fields).into_bytes();
                let length = bytes.len() as u64;
                (
                    Some("application/x-www-form-urlencoded".to_string()),
                    Some(length),
                    SendBody::from_owned_reader(io::Cursor::new(bytes)),
                )
            }
            Body::Json(value) => {
                let bytes = serde_json::to_vec(value)
                    .map_err(|e| format!("the JSON body could not be made: {e}"))?;
                let length = bytes.len() as u64;
                (
                    Some("application/json".to_string()),
                    Some(length),
                    SendBody::from_owned_reader(io::Cursor::new(bytes)),
                )
            }
            Body::Multipart(parts) => {
                let body = MultipartBody::new(parts)?;
                let content_type = format!("multipart/form-data; boundary={}", body.boundary);
                let length = body.length;
                let send = match &self.progress {
                    Some(progress) => SendBody::from_owned_reader(Counting {
                        inner: body,
                        done: 0,
                        total: length,
                        reported: 0,
                        progress: progress.clone(),
                    }),
                    None => SendBody::from_owned_reader(body),
                };
                (Some(content_type), Some(length), send)
            }
        })
    }
}

/// Sends `request` with `timeout` bounding connecting and each read and write, so that a
/// transfer that keeps moving never times out (D15). With `debug_url` (the URL with secrets
/// replaced), prints the method, that URL, the status and the duration to stderr.
pub(crate) fn send(
    agent: &ureq::Agent,
    request: ureq::http::Request<SendBody<'static>>,
    timeout: Duration,
    debug_url: Option<&str>,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    let method = request.method().clone();
    let request = agent
        .configure_request(request)
        .timeout_connect(Some(timeout))
        .timeout_per_read(Some(timeout))
        .timeout_per_write(Some(timeout))
        .build();
    let started = Instant::now();
    let outcome = agent.run(request);
    if let Some(url) = debug_url {
        let status = match &outcome {
            Ok(response) => response.status().as_u16().to_string(),
            Err(e) => format!("failed: {}", describe_transport_error(e, timeout)),
        };
        eprintln!(
            "squonk2: {method} {url} -> {status} ({} ms)",
            started.elapsed().as_millis()
        );
    }
    outcome
}

/// What the server said went wrong: its JSON `error` field, or the start of a non-JSON body.
fn server_error_text(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => match value.get("error") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => body_excerpt(text),
        },
        Err(_) => body_excerpt(text),
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

/// A sentence for a call that got no answer: refused, timed out, TLS, dropped, ...
pub(crate) fn describe_transport_error(error: &ureq::Error, timeout: Duration) -> String {
    use ureq::Error as E;
    let secs = timeout.as_secs_f64();
    match error {
        E::Timeout(which) => {
            let what = match which {
                ureq::Timeout::Connect | ureq::Timeout::Resolve => "connecting",
                ureq::Timeout::PerWrite | ureq::Timeout::SendBody | ureq::Timeout::SendRequest => {
                    "sending"
                }
                _ => "waiting for the server",
            };
            format!("timed out after {secs} s {what}")
        }
        E::Io(e) => match e.kind() {
            io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof => {
                "the connection was closed before a complete answer".to_string()
            }
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                format!("timed out after {secs} s")
            }
            _ => format!("I/O error: {e}"),
        },
        E::HostNotFound => "host not found".to_string(),
        E::ConnectionFailed => "connection failed".to_string(),
        E::Tls(what) => format!("TLS error: {what}"),
        E::Rustls(e) => format!("TLS error: {e}"),
        E::Protocol(e) => format!("the connection was closed or the answer was not HTTP ({e})"),
        E::BadUri(_) => "the URL is not valid".to_string(),
        E::BodyExceedsLimit(n) => format!("the answer is larger than {n} bytes"),
        other => other.to_string(),
    }
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{:x}{:08x}{:x}",
        std::process::id(),
        nanos,
        UNIQUE.fetch_add(1, Ordering::Relaxed)
    )
}

/// Copies `reader` into a temporary file beside `local_file` and renames it into place when
/// the whole body has arrived; on any failure the temporary file is removed and `local_file`
/// is left as it was. Returns the success `msg`: `{}`, or the file's content when it is a
/// small JSON object (as the Python client's `resp.json()` would).
fn save_stream(reader: &mut impl Read, local_file: &Path) -> Result<Value, String> {
    let file_name = local_file
        .file_name()
        .ok_or_else(|| format!("{} is not a file path", local_file.display()))?;
    let dir = match local_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temp = dir.join(format!(
        ".{}.{}.part",
        file_name.to_string_lossy(),
        unique_suffix()
    ));
    let result = (|| -> Result<u64, String> {
        let mut out =
            File::create(&temp).map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
        // Larger reads than io::copy's 8 KiB make fewer system calls on big downloads.
        let mut buffer = vec![0u8; DOWNLOAD_BUFFER];
        let mut copied = 0u64;
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("the download was cut short: {e}")),
            };
            out.write_all(&buffer[..n])
                .map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
            copied += n as u64;
        }
        out.flush()
            .map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
        Ok(copied)
    })();
    let copied = match result {
        Ok(copied) => copied,
        Err(why) => {
            let _ = std::fs::remove_file(&temp);
            return Err(why);
        }
    };
    if let Err(e) = std::fs::rename(&temp, local_file) {
        let _ = std::fs::remove_file(&temp);
        return Err(format!("cannot write {}: {e}", local_file.display()));
    }
    const MAX_JSON_MSG: u64 = 1024 * 1024;
    if copied <= MAX_JSON_MSG {
        if let Ok(Value::Object(map)) = std::fs::read(local_file)
            .map_err(|_| ())
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).map_err(|_| ()))
        {
            return Ok(Value::Object(map));
        }
    }
    Ok(json!({}))
}

/// Escapes what would break a quoted header parameter, as browsers do.
fn quote_param(value: &str) -> String {
    value
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

enum Segment {
    Bytes(io::Cursor<Vec<u8>>),
    File(io::Take<File>),
}

/// A `multipart/form-data` body read part by part, files streamed from disk, with its exact
/// length known before sending (so it goes out with a `Content-Length`, in constant memory).
struct MultipartBody {
    boundary: String,
    length: u64,
    segments: std::vec::IntoIter<Segment>,
    current: Option<Segment>,
}

impl MultipartBody {
    fn new(parts: &[Part]) -> Result<MultipartBody, String> {
        let boundary = format!("squonk2-{}", unique_suffix());
        let mut segments = Vec::new();
        let mut length = 0u64;
        let mut pending = Vec::new();
        for part in parts {
            pending.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match part {
                Part::Text(name, value) => {
                    pending.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                            quote_param(name)
                        )
                        .as_bytes(),
                    );
                }
                Part::NoFile(name) => {
                    pending.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{}\"; filename=\"\"\r\n\r\n\r\n",
                            quote_param(name)
                        )
                        .as_bytes(),
                    );
                }
                Part::File(name, path) => {
                    let file = File::open(path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    let size = file
                        .metadata()
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
                        .len();
                    let filename = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    pending.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n\r\n",
                            quote_param(name),
                            quote_param(&filename)
                        )
                        .as_bytes(),
                    );
                    length += pending.len() as u64 + size;
                    segments.push(Segment::Bytes(io::Cursor::new(std::mem::take(
                        &mut pending,
                    ))));
                    segments.push(Segment::File(file.take(size)));
                    pending.extend_from_slice(b"\r\n");
                }
            }
        }
        pending.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        length += pending.len() as u64;
        segments.push(Segment::Bytes(io::Cursor::new(pending)));
        Ok(MultipartBody {
            boundary,
            length,
            segments: segments.into_iter(),
            current: None,
        })
    }
}

impl Read for MultipartBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.current.is_none() {
                self.current = self.segments.next();
            }
            let n = match &mut self.current {
                None => return Ok(0),
                Some(Segment::Bytes(cursor)) => cursor.read(buf)?,
                Some(Segment::File(file)) => {
                    let n = file.read(buf)?;
                    if n == 0 && file.limit() > 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "a file being uploaded got shorter while it was sent",
                        ));
                    }
                    n
                }
            };
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_render_like_python() {
        assert_eq!(true.render(), "True");
        assert!(!false.is_set());
        assert!(!0i64.is_set());
        assert!(!"".is_set());
        assert!(Some("x").is_set());
        assert!(!None::<&str>.is_set());
    }

    #[test]
    fn urls_encode_each_value_as_one_segment_and_hide_secrets() {
        let call = Call::new(Api::Dm, "DELETE", "/instance/{instance_id}/token/{token}")
            .path("instance_id", "a/b?c")
            .secret_path("token", "tok en")
            .secret_query("token", "s3cret")
            .query("file", "x y");
        let (url, shown) = call.urls("http://h/dm/");
        assert_eq!(
            url,
            "http://h/dm/instance/a%2Fb%3Fc/token/tok%20en?token=s3cret&file=x+y"
        );
        assert_eq!(
            shown,
            "http://h/dm/instance/a%2Fb%3Fc/token/***?token=***&file=x+y"
        );
    }

    #[test]
    fn empty_path_values_are_refused_before_sending() {
        let client = Client::builder()
            .dm_api_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        let rv = Call::new(Api::Dm, "GET", "/project/{project_id}")
            .path("project_id", "")
            .error("Failed to get project")
            .run(&client);
        assert!(!rv.success);
        assert_eq!(rv.http_status_code, 0);
        assert_eq!(rv.error(), Some("project_id is required"));
    }

    #[test]
    fn multipart_length_matches_what_is_read() {
        let dir = std::env::temp_dir().join(format!("squonk2-mp-{}", unique_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a b ü.txt");
        std::fs::write(&path, vec![7u8; 100_000]).unwrap();
        let parts = vec![
            Part::Text("path", "/x".to_string()),
            Part::File("file", path.clone()),
            Part::NoFile("other"),
        ];
        let mut body = MultipartBody::new(&parts).unwrap();
        let declared = body.length;
        let mut all = Vec::new();
        body.read_to_end(&mut all).unwrap();
        assert_eq!(all.len() as u64, declared);
        let text = String::from_utf8_lossy(&all);
        assert!(text.contains("name=\"file\"; filename=\"a b ü.txt\""));
        assert!(text.contains("name=\"other\"; filename=\"\"\r\n\r\n\r\n"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn server_error_text_prefers_the_error_field() {
        assert_eq!(server_error_text(r#"{"error": "nope"}"#), "nope");
        assert_eq!(
            server_error_text("<html>\n  Bad   gateway</html>"),
            "<html> Bad gateway</html>"
        );
        assert_eq!(server_error_text(""), "");
    }
}
