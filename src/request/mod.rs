//! The one request path every endpoint function goes through.
//!
//! An endpoint describes its call with [`Call`] (method, path template, values, query, body,
//! whether it wants a token, its error text) and [`Call::run`] does the rest: checking the
//! arguments and local files, URL building with every path value encoded as one segment,
//! the bearer header, query/form/multipart/JSON encoding, deadlines and retries, streaming
//! uploads and downloads, the success rule (any 2xx), the `msg` and [`ErrorKind`] of
//! success and failure, and the debug log.
//!
//! - `param`: how values are rendered (`True`/`False`, when a value counts as set);
//! - `body`: form, JSON and multipart bodies, and the local-file checks;
//! - `transfer`: progress reports and downloads;
//! - `retry`: the [`RetryPolicy`].

mod body;
mod param;
mod retry;
mod transfer;

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::api_rv::{is_transient_status, ApiRv};
use crate::client::{Api, Client};
use crate::encoding::{form_component, path_segment, scrub, trim_base_url};
use crate::error::ErrorKind;
use crate::token::Bearer;
use crate::transport::{self, body_excerpt, DebugLog, Limits};
use body::{Body, Part};
pub(crate) use param::Param;
use retry::parse_retry_after;
pub use retry::RetryPolicy;
pub use transfer::Progress;
use transfer::{Counting, Download, DownloadError};

/// A [`Call`] made at this site (see [`site!`]), so that its failures name the endpoint
/// function (`as_api::create_unit`) as the user wrote it.
macro_rules! call {
    ($api:expr, $method:expr, $template:expr $(,)?) => {
        $crate::request::Call::new($api, $method, $template, $crate::request::site!())
    };
}
pub(crate) use call;

/// The [`Site`] where this is written: the endpoint function around it, and a place of its
/// own for the names made from it. Helpers shared by several endpoints take their caller's.
macro_rules! site {
    () => {{
        static NAMES: $crate::request::SiteNames = $crate::request::SiteNames::new();
        $crate::request::Site::new($crate::request::here!(), &NAMES)
    }};
}
pub(crate) use site;

/// The name of the endpoint function where this is written (`dm_api::get_project`), made
/// once: for failures made outside a [`Call`].
macro_rules! function {
    () => {
        $crate::request::site!().function()
    };
}
pub(crate) use function;

/// The type name of a function defined where this is written: what [`function_name`] turns
/// into the name of the function around it.
macro_rules! here {
    () => {{
        fn here() {}
        ::std::any::type_name_of_val(&here)
    }};
}
pub(crate) use here;

/// The function and request names of one [`Site`], made at its first call and kept for the
/// life of the program (one per call site of this crate: a few hundred at most, and nothing
/// a user passes), so that a call does not make them again, and takes no lock for them.
pub(crate) type SiteNames = std::sync::OnceLock<(&'static str, &'static str)>;

/// Where a call is made (by [`site!`]).
#[derive(Clone, Copy)]
pub(crate) struct Site {
    /// The type name of a function defined in the endpoint function ([`here!`]).
    here: &'static str,
    names: &'static SiteNames,
}

impl Site {
    pub(crate) const fn new(here: &'static str, names: &'static SiteNames) -> Site {
        Site { here, names }
    }

    /// The endpoint function's name, and `call`'s (made by the first caller).
    fn names(self, call: impl FnOnce() -> String) -> (&'static str, &'static str) {
        *self.names.get_or_init(|| {
            let leak = |name: String| -> &'static str { Box::leak(name.into_boxed_str()) };
            (leak(function_name(self.here)), leak(call()))
        })
    }

    /// The endpoint function's name (for failures made outside a [`Call`]).
    pub(crate) fn function(self) -> &'static str {
        self.names(String::new).0
    }
}

/// `dm_api::get_project` from the type name of a function defined inside
/// `squonk2::dm_api::projects::get_project` (`...::get_project::here`): the API module and
/// the function, as a user calls it.
fn function_name(type_name: &str) -> String {
    let parts: Vec<&str> = type_name
        .split("::")
        .filter(|part| !part.starts_with('{'))
        .collect();
    match parts.as_slice() {
        [_crate, api, .., function, _here] if api != function => format!("{api}::{function}"),
        _ => String::new(),
    }
}

/// The default time-out of most calls (the Python client's 4 s).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(4);
/// The default time-out of listings and file transfers (the Python client's 12 s).
pub(crate) const LONG_TIMEOUT: Duration = Duration::from_secs(12);
/// The most of a JSON answer held in memory.
const MAX_JSON_BODY: u64 = 256 * 1024 * 1024;
/// The most of an error answer read.
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// The most of a transient failure's answer read before trying again.
const MAX_DRAINED_BODY: u64 = 64 * 1024;

/// A call whose checks passed, ready to be sent.
struct Ready {
    url: String,
    /// The URL as the debug log may show it (empty when the debug log is off).
    shown_url: String,
    body: body::Prepared,
    download: Option<Download>,
    timeout: Duration,
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
    secrets: Vec<String>,
    /// The token the call sends (kept out of every error text too).
    token: Option<Arc<Bearer>>,
    deadline: Option<Duration>,
    /// Where the call is made, which its failures name.
    site: Site,
}

impl<'a> Call<'a> {
    /// A call of `method` on `template` (relative to the API's base URL, with `{name}` holes
    /// filled by [`Call::path`]). It wants a token and times out after 4 s unless told
    /// otherwise.
    pub(crate) fn new(
        api: Api,
        method: &'static str,
        template: &'static str,
        site: Site,
    ) -> Call<'a> {
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
            secrets: Vec::new(),
            token: None,
            deadline: None,
            site,
        }
    }

    /// The function and request names.
    fn names(&self) -> (&'static str, &'static str) {
        let (method, template) = (self.method, self.template);
        self.site.names(|| format!("{method} {template}"))
    }

    /// Fills the `{name}` hole of the template. An empty value fails the call before
    /// anything is sent ([D3](crate::python_differences)).
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
        } else if value == "." || value == ".." {
            // A dot segment would be removed or resolved by a proxy (RFC 3986 5.2.4),
            // sending the request to another endpoint (D16).
            self.problems
                .push(format!("{name} must not be {value:?} (a dot path segment)"));
        }
        if secret {
            self.secrets.push(value.clone());
        }
        self.path_args.push((name, value, secret));
        self
    }

    /// Fails the call before anything is sent when `value` is empty ([D3](crate::python_differences)).
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
    /// client asserts `value > 0`, e.g. a dataset version; [D3](crate::python_differences)).
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
        let value = value.render();
        self.secrets.push(value.clone());
        self.query.push((name, value, true));
        self
    }

    /// Keeps `value` (a token sent in a form, for example) out of every error text, should
    /// the server echo it.
    pub(crate) fn secret(mut self, value: Option<&str>) -> Self {
        self.secrets.extend(value.map(str::to_string));
        self
    }

    /// An overall deadline for a file transfer (which otherwise has only inactivity
    /// time-outs: [D15](crate::python_differences)).
    pub(crate) fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
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
    /// it, renamed into place only when complete: [D9](crate::python_differences)).
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

    /// What no error text may show: the secret arguments and the token.
    fn secrets(&self) -> Vec<&str> {
        let token = self.token.as_deref().map(Bearer::expose);
        self.secrets
            .iter()
            .map(String::as_str)
            .chain(token)
            .collect()
    }

    fn fail(&self, kind: ErrorKind, error: impl Into<String>, status: u16) -> ApiRv {
        let (function, call) = self.names();
        let error = scrub(error.into(), &self.secrets());
        ApiRv::failure(kind, error, status, call).with_function(function)
    }

    fn succeed(&self, msg: Value, status: u16) -> ApiRv {
        let (function, call) = self.names();
        ApiRv::done(msg, status)
            .with_call(call)
            .with_function(function)
    }

    /// `"<error text> (<why>)"`, the shape of every failure's text ([D5](crate::python_differences)).
    fn fail_because(&self, kind: ErrorKind, why: impl std::fmt::Display, status: u16) -> ApiRv {
        self.fail(kind, format!("{} ({why})", self.error_text), status)
    }

    /// Whether this call moves a file (and so has inactivity time-outs, not a deadline).
    fn is_transfer(&self) -> bool {
        self.download_to.is_some() || self.body.has_file()
    }

    /// The URL to call and, when `shown`, the same URL with secret values replaced by `***`
    /// for logs (empty otherwise).
    fn urls(&self, base: &str, shown: bool) -> (String, String) {
        let base = trim_base_url(base);
        let mut url = String::with_capacity(base.len() + self.template.len() + 64);
        url.push_str(base);
        let mut shown = shown.then(|| crate::encoding::redact_url(base));
        let mut rest = self.template;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
            let name = &rest[open + 1..close];
            url.push_str(&rest[..open]);
            push(&mut shown, &rest[..open]);
            match self.path_args.iter().find(|(n, _, _)| *n == name) {
                Some((_, value, secret)) => {
                    let encoded = path_segment(value);
                    push(&mut shown, if *secret { "***" } else { &encoded });
                    url.push_str(&encoded);
                }
                None => {
                    // A template hole without a value is a bug in this crate, never user input;
                    // it is caught by the parity tests. Send nothing rather than a broken URL.
                    url.push_str("%7Bmissing%7D");
                    push(&mut shown, "{missing}");
                }
            }
            rest = rest.get(close + 1..).unwrap_or("");
        }
        url.push_str(rest);
        push(&mut shown, rest);
        for (i, (name, value, secret)) in self.query.iter().enumerate() {
            let start = url.len();
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&form_component(name));
            url.push('=');
            let value_at = url.len();
            url.push_str(&form_component(value));
            if *secret {
                push(&mut shown, &url[start..value_at]);
                push(&mut shown, "***");
            } else {
                push(&mut shown, &url[start..]);
            }
        }
        (url, shown.unwrap_or_default())
    }

    /// Sends the call and turns the answer into an [`ApiRv`] whose answer type is the
    /// endpoint function's.
    pub(crate) fn run<T>(mut self, client: &Client) -> ApiRv<T> {
        let started = Instant::now();
        let ready = match self.prepare(client) {
            Ok(ready) => ready,
            Err(failure) => return failure.retype(),
        };
        self.send_with_retries(client, ready, started).retype()
    }

    /// Everything that can fail before a request goes out, in order: the arguments, the
    /// configuration, the local files, then the token (a login, bounded by the call's
    /// time-out).
    fn prepare(&mut self, client: &Client) -> Result<Ready, Box<ApiRv>> {
        if let Some(problem) = self.problems.first() {
            return Err(Box::new(self.fail(
                ErrorKind::InvalidInput,
                problem.clone(),
                0,
            )));
        }
        if self
            .path_args
            .iter()
            .any(|(name, _, _)| !has_hole(self.template, name))
        {
            let why = "internal error: bad path template";
            return Err(Box::new(self.fail_because(ErrorKind::Other, why, 0)));
        }
        let Some(base) = client.base_url(self.api) else {
            return Err(Box::new(self.fail(
                ErrorKind::NotConfigured,
                "No API URL defined",
                0,
            )));
        };
        if let Some(why) = client.base_url_problem(self.api) {
            let why = format!("the {} API URL is not valid: {why}", self.api.short_name());
            return Err(Box::new(self.fail_because(
                ErrorKind::NotConfigured,
                why,
                0,
            )));
        }
        // The URL as logs may show it is made here only for the debug log, which shows every
        // request; the rare warnings (a retry, a renewed token) make it when they need it.
        let shown =
            client.debug_requests() || log::log_enabled!(target: "squonk2", log::Level::Debug);
        let (url, shown_url) = self.urls(base, shown);
        let local_file = |why: String| Box::new(self.fail_because(ErrorKind::LocalFile, why, 0));
        let body = self
            .body
            .prepare(self.progress.as_ref())
            .map_err(local_file)?;
        let download = self
            .download_to
            .map(Download::prepare)
            .transpose()
            .map_err(local_file)?;
        let timeout = client.timeout_or(self.default_timeout);
        self.token = match self.auth {
            Auth::Never => None,
            Auth::IfAvailable if !client.has_token_source(self.api) => None,
            Auth::Required | Auth::IfAvailable => match client.token(self.api, timeout) {
                Ok(Some(token)) => Some(token),
                Ok(None) => {
                    let why = format!(
                        "access_token is required ({})",
                        client.no_token_reason(self.api)
                    );
                    return Err(Box::new(self.fail(ErrorKind::NotConfigured, why, 0)));
                }
                Err(e) => {
                    let failure = self.fail_because(ErrorKind::Login, &e.message, 0);
                    return Err(Box::new(failure.with_transient(e.transient)));
                }
            },
        };
        Ok(Ready {
            url,
            shown_url,
            body,
            download,
            timeout,
        })
    }

    /// The time limits of the next attempt; `None` when the call's time is up. Every call but
    /// a transfer ends by its time-out, whatever the login and earlier attempts took, and
    /// each attempt ends by the policy's attempt time-out ([D20](crate::python_differences)).
    /// A transfer has inactivity time-outs, and what is left of its deadline if it has one.
    fn limits(&self, policy: &RetryPolicy, timeout: Duration, started: Instant) -> Option<Limits> {
        let elapsed = started.elapsed();
        if self.is_transfer() {
            let deadline = match self.deadline {
                Some(deadline) => Some(deadline.checked_sub(elapsed).filter(|l| !l.is_zero())?),
                None => None,
            };
            return Some(Limits {
                inactivity: timeout,
                deadline,
                shown: self.deadline.unwrap_or(timeout),
                per_attempt: false,
            });
        }
        let left = timeout.checked_sub(elapsed).filter(|l| !l.is_zero())?;
        Some(match policy.attempt_timeout.filter(|l| !l.is_zero()) {
            Some(limit) if limit < left => Limits::attempt(limit),
            _ => Limits::call_with_left(timeout, left),
        })
    }

    /// How long the whole call may take: its time-out, or a transfer's deadline (`None`:
    /// a transfer without one).
    fn budget(&self, timeout: Duration) -> Option<Duration> {
        if self.is_transfer() {
            self.deadline
        } else {
            Some(timeout)
        }
    }

    /// The HTTP request of one attempt.
    fn request(
        &self,
        ready: &mut Ready,
    ) -> Result<ureq::http::Request<ureq::SendBody<'static>>, Box<ApiRv>> {
        let Some(send_body) = ready.body.take() else {
            let why = "the body cannot be sent twice";
            return Err(Box::new(self.fail_because(ErrorKind::Other, why, 0)));
        };
        let mut request = ureq::http::Request::builder()
            .method(self.method)
            .uri(&ready.url);
        if let Some(token) = &self.token {
            let Some(header) = token.header() else {
                let why = "the request could not be made: failed to parse header value";
                return Err(Box::new(self.fail_because(ErrorKind::Other, why, 0)));
            };
            request = request.header("Authorization", header.clone());
        }
        if let Some(content_type) = &ready.body.content_type {
            request = request.header("Content-Type", content_type);
        }
        match ready.body.length {
            Some(length) => request = request.header("Content-Length", length),
            // As the Python client (requests) does: a body-less request of a method that
            // has a body says so, instead of being sent chunked.
            None if matches!(self.method, "POST" | "PUT" | "PATCH" | "DELETE") => {
                request = request.header("Content-Length", 0)
            }
            None => {}
        }
        // Our URLs are built from checked parts; say so without echoing a token.
        request.body(send_body).map_err(|e| {
            let why = format!("the request could not be made: {e}");
            Box::new(self.fail_because(ErrorKind::Other, why, 0))
        })
    }

    /// Sends attempts until one is final: an answer that is not a passing failure, or a
    /// failure the retry policy does not retry, or no time left for another attempt
    /// ([D20](crate::python_differences)). A 401 to a token from Keycloak drops it, renews
    /// it and sends the request once more ([D22](crate::python_differences)).
    fn send_with_retries(&mut self, client: &Client, mut ready: Ready, started: Instant) -> ApiRv {
        let policy = client.retry_policy();
        let retryable = policy.applies_to(self.method);
        let budget = self.budget(ready.timeout);
        // Requests sent, and the retries of the policy among them.
        let mut attempt = 0u32;
        let mut retries = 0u32;
        let mut renewed = false;
        loop {
            let Some(limits) = self.limits(policy, ready.timeout, started) else {
                let why = format!(
                    "timed out after {} s{}",
                    ready.timeout.as_secs_f64(),
                    attempts_note(ErrorKind::Timeout, attempt, started)
                );
                return self.fail_because(ErrorKind::Timeout, why, 0);
            };
            attempt += 1;
            let request = match self.request(&mut ready) {
                Ok(request) => request,
                Err(failure) => return *failure,
            };
            let debug = DebugLog {
                url: &ready.shown_url,
                attempt,
                stderr: client.debug_requests(),
            };
            // The pause before the next retry, when the policy makes one and its pause ends
            // within the call's time.
            let retry_in = |retry_after: Option<Duration>| {
                let pause = retryable
                    .then(|| policy.delay(retries + 1, retry_after))
                    .flatten()?;
                budget
                    .is_none_or(|budget| started.elapsed() + pause < budget)
                    .then_some(pause)
            };
            let (pause, why) = match transport::send(client.agent(self.api), request, limits, debug)
            {
                Err(e) => {
                    let (kind, why) = transport::describe(&e, limits);
                    let transient = matches!(kind, ErrorKind::Connect | ErrorKind::Timeout);
                    match retry_in(None).filter(|_| transient) {
                        Some(pause) => (pause, why),
                        None => {
                            let why = format!("{why}{}", attempts_note(kind, attempt, started));
                            return self.fail_because(kind, why, 0);
                        }
                    }
                }
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    if (200..300).contains(&status) {
                        return match ready.download.take() {
                            Some(download) => {
                                self.save_download(download, status, response.body_mut(), limits)
                            }
                            None => self.read_answer(status, &mut response, limits),
                        };
                    }
                    if status == 401 && !renewed && client.renews_token(self.api) {
                        if let Some(sent) = self.token.clone() {
                            renewed = true;
                            match self.renew_token(
                                client,
                                &mut ready,
                                &sent,
                                &mut response,
                                budget,
                                started,
                            ) {
                                Some(failure) => return failure,
                                None => continue,
                            }
                        }
                    }
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    match retry_in(retry_after).filter(|_| is_transient_status(status)) {
                        Some(pause) => {
                            // Read what is left of the answer so the connection can be
                            // reused.
                            let _ = transport::read_prefix(response.body_mut(), MAX_DRAINED_BODY);
                            (pause, format!("HTTP {status}"))
                        }
                        None => return self.http_failure(status, response.body_mut(), None),
                    }
                }
            };
            self.log_retry(
                client,
                &self.shown_url(client, &ready),
                &why,
                pause,
                attempt,
            );
            std::thread::sleep(pause);
            retries += 1;
        }
    }

    /// After a 401 to the token `sent` (from Keycloak): drops it from the cache and puts a
    /// new one in `ready`. `None` when the request is to be sent again; otherwise the
    /// failure to return: an upload, whose body cannot be sent twice, or no new token.
    fn renew_token(
        &mut self,
        client: &Client,
        ready: &mut Ready,
        sent: &Bearer,
        response: &mut ureq::http::Response<ureq::Body>,
        budget: Option<Duration>,
        started: Instant,
    ) -> Option<ApiRv> {
        client.forget_token(self.api, sent);
        if !ready.body.resendable() {
            let note = "the token was dropped; the upload was not sent again: call again";
            return Some(self.http_failure(401, response.body_mut(), Some(note)));
        }
        let refused = self.http_failure(401, response.body_mut(), None);
        let left = budget.map_or(ready.timeout, |b| b.saturating_sub(started.elapsed()));
        match client.token(self.api, left) {
            Ok(Some(token)) => {
                self.secrets.push(sent.expose().to_string());
                self.token = Some(token);
                let line = format!(
                    "sending {} {} again with a renewed token after HTTP 401",
                    self.method,
                    self.shown_url(client, ready)
                );
                log::warn!(target: "squonk2", "{line}");
                if client.debug_requests() {
                    eprintln!("squonk2: {line}");
                }
                None
            }
            Ok(None) => Some(refused),
            Err(e) => {
                let why = format!(
                    "HTTP 401, and the token could not be renewed: {}",
                    e.message
                );
                let failure = self.fail_because(ErrorKind::Login, why, 401);
                Some(failure.with_transient(e.transient))
            }
        }
    }

    /// The URL as logs may show it: the one made for the debug log, or one made now.
    fn shown_url<'r>(&self, client: &Client, ready: &'r Ready) -> Cow<'r, str> {
        if ready.shown_url.is_empty() {
            Cow::Owned(
                self.urls(client.base_url(self.api).unwrap_or_default(), true)
                    .1,
            )
        } else {
            Cow::Borrowed(&ready.shown_url)
        }
    }

    /// Logs a retry: a `warn` record, and the debug log on stderr.
    fn log_retry(&self, client: &Client, url: &str, why: &str, pause: Duration, attempt: u32) {
        let line = format!(
            "retrying {} {url} in {} ms after attempt {attempt} ({why})",
            self.method,
            pause.as_millis()
        );
        log::warn!(target: "squonk2", "{line}");
        if client.debug_requests() {
            eprintln!("squonk2: {line}");
        }
    }

    /// A non-2xx answer: the failure keeps the start of what the server said ([D5](crate::python_differences)),
    /// and `note`, what this crate did about it.
    fn http_failure(&self, status: u16, body: &mut ureq::Body, note: Option<&str>) -> ApiRv {
        let (bytes, complete) = transport::read_prefix(body, MAX_ERROR_BODY);
        let text = String::from_utf8_lossy(&bytes);
        let detail = server_error_text(&text, complete);
        let note = note.map(|n| format!("; {n}")).unwrap_or_default();
        let error = if detail.is_empty() {
            format!("{} (HTTP {status}{note})", self.error_text)
        } else {
            format!("{} (HTTP {status}: {detail}{note})", self.error_text)
        };
        let server_message = (!detail.is_empty()).then(|| scrub(detail, &self.secrets()));
        self.fail(ErrorKind::Http, error, status)
            .with_server_message(server_message)
    }

    fn save_download(
        &self,
        download: Download,
        status: u16,
        body: &mut ureq::Body,
        limits: Limits,
    ) -> ApiRv {
        let total = body.content_length().unwrap_or(0);
        let reader = body.with_config().limit(u64::MAX).reader();
        let result = match &self.progress {
            Some(progress) => download.save(&mut Counting::new(reader, total, progress.clone())),
            None => download.save(&mut { reader }),
        };
        match result {
            Ok(msg) => self.succeed(msg, status),
            Err(DownloadError::LocalFile(why)) => {
                self.fail_because(ErrorKind::LocalFile, why, status)
            }
            Err(DownloadError::Read(e)) => {
                let (kind, why) = transport::describe_io(&e, limits);
                self.fail_because(kind, format!("the download was cut short: {why}"), status)
            }
        }
    }

    /// A 2xx answer: its JSON (any kind, `{}` when empty), or `{"text": ...}` for the UI API.
    /// A body that is not JSON is a [`ErrorKind::Decode`] failure ([D6](crate::python_differences)).
    fn read_answer(
        &self,
        status: u16,
        response: &mut ureq::http::Response<ureq::Body>,
        limits: Limits,
    ) -> ApiRv {
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_string();
        let bytes = match response
            .body_mut()
            .with_config()
            .limit(MAX_JSON_BODY)
            .read_to_vec()
        {
            Ok(bytes) => bytes,
            Err(e) => {
                let (kind, why) = transport::describe(&e, limits);
                let why = format!("the answer could not be read: {why}");
                return self.fail_because(kind, why, status);
            }
        };
        let msg = if self.text_response {
            json!({ "text": String::from_utf8_lossy(&bytes) })
        } else if bytes.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            match serde_json::from_slice(&bytes) {
                // The text is kept for `typed()`, which decodes straight from it.
                Ok(value) => return self.succeed(value, status).with_body(bytes),
                Err(_) => {
                    let why = format!(
                        "the answer is not JSON: content type {content_type}, body starting {:?}",
                        body_excerpt(&String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]))
                    );
                    return self.fail_because(ErrorKind::Decode, why, status);
                }
            }
        };
        self.succeed(msg, status)
    }
}

/// `"; N attempts in S s"` for a failure without an answer, when it is a time-out or came
/// after retries: how the call's time went.
fn attempts_note(kind: ErrorKind, attempts: u32, started: Instant) -> String {
    if kind != ErrorKind::Timeout && attempts < 2 {
        return String::new();
    }
    let plural = if attempts == 1 { "" } else { "s" };
    format!(
        "; {attempts} attempt{plural} in {:.1} s",
        started.elapsed().as_secs_f64()
    )
}

/// Appends `text` to the shown URL when one is being made.
fn push(shown: &mut Option<String>, text: &str) {
    if let Some(shown) = shown {
        shown.push_str(text);
    }
}

/// Whether `template` has the hole `{name}`.
fn has_hole(template: &str, name: &str) -> bool {
    template.match_indices('{').any(|(at, _)| {
        template[at + 1..]
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('}'))
    })
}

/// What the server said went wrong: its JSON `error` field, or the start of a non-JSON
/// body. `complete` is false when only the start of the body arrived (too long, or cut
/// short): the `error` field is then read from what there is.
fn server_error_text(text: &str, complete: bool) -> String {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return match value.get("error") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => body_excerpt(text),
        };
    }
    if !complete {
        if let Some(start) = partial_error_field(text) {
            return format!("{}...", body_excerpt(&start));
        }
    }
    body_excerpt(text)
}

/// The beginning of the `"error"` string of a JSON object that was cut short.
fn partial_error_field(text: &str) -> Option<String> {
    let rest = text.trim_start().strip_prefix('{')?;
    let at = rest.find("\"error\"")?;
    let rest = rest[at + 7..].trim_start().strip_prefix(':')?;
    let rest = rest.trim_start().strip_prefix('"')?;
    // Decode the string as far as it goes: close it and let serde undo the escapes.
    let mut end = rest.len();
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let mut literal = rest[..end].to_string();
    // A cut inside an escape sequence: drop the incomplete escape.
    if let Some(backslash) = literal.rfind('\\') {
        if literal.len() - backslash < 6 {
            literal.truncate(backslash);
        }
    }
    serde_json::from_str::<String>(&format!("\"{literal}\"")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_are_what_users_call() {
        assert_eq!(
            function_name("squonk2::as_api::units::create_unit::here"),
            "as_api::create_unit"
        );
        assert_eq!(
            function_name("squonk2::dm_api::files::put_unmanaged_project_files::{{closure}}::here"),
            "dm_api::put_unmanaged_project_files"
        );
        assert_eq!(
            function_name("squonk2::ui_api::get_version::here"),
            "ui_api::get_version"
        );
        assert_eq!(function_name(""), "");
        assert_eq!(
            site!().function(),
            "request::function_names_are_what_users_call"
        );
        let rv: ApiRv = call!(Api::Dm, "GET", "/x").run(&Client::builder().build().unwrap());
        assert_eq!(
            rv.function(),
            Some("request::function_names_are_what_users_call")
        );
    }

    #[test]
    fn a_token_that_cannot_be_a_header_fails_before_sending_without_showing_it() {
        // Port 9 (discard) on loopback: nothing is sent there, as the call fails first.
        let client = Client::builder()
            .dm_api_url("http://127.0.0.1:9/dm")
            .access_token("secret\ntoken")
            .build()
            .unwrap();
        let rv: ApiRv = call!(Api::Dm, "GET", "/x").run(&client);
        let e = rv.err().unwrap();
        assert_eq!(e.kind(), ErrorKind::Other);
        assert_eq!(e.http_status_code(), 0);
        assert!(e.message().contains("could not be made"), "{e}");
        assert!(!e.to_string().contains("secret"), "{e}");
    }

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
        let call = call!(Api::Dm, "DELETE", "/instance/{instance_id}/token/{token}")
            .path("instance_id", "a/b?c")
            .secret_path("token", "tok en")
            .secret_query("token", "s3cret")
            .query("file", "x y");
        let (url, shown) = call.urls("http://h/dm", true);
        let (_, with_user) = call!(Api::Dm, "GET", "/x").urls("http://u:pw@h/dm", true);
        assert_eq!(
            call.urls("http://h/dm", false),
            (url.clone(), String::new())
        );
        assert_eq!(with_user, "http://***@h/dm/x");
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
    fn dot_segments_are_refused_before_sending() {
        let client = Client::builder()
            .dm_api_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        for dots in [".", ".."] {
            let rv: ApiRv = call!(Api::Dm, "DELETE", "/project/{project_id}/editor/{user_id}")
                .path("project_id", "p")
                .path("user_id", dots)
                .run(&client);
            assert_eq!(rv.http_status_code, 0);
            assert_eq!(rv.error_kind(), Some(ErrorKind::InvalidInput));
            assert!(rv.error().unwrap().contains("user_id"), "{rv:?}");
        }
    }

    #[test]
    fn empty_path_values_are_refused_before_sending() {
        let client = Client::builder()
            .dm_api_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        let rv: ApiRv = call!(Api::Dm, "GET", "/project/{project_id}")
            .path("project_id", "")
            .error("Failed to get project")
            .run(&client);
        assert!(!rv.success);
        assert_eq!(rv.http_status_code, 0);
        assert_eq!(rv.error(), Some("project_id is required"));
    }

    #[test]
    fn server_error_text_prefers_the_error_field() {
        assert_eq!(server_error_text(r#"{"error": "nope"}"#, true), "nope");
        assert_eq!(
            server_error_text("<html>\n  Bad   gateway</html>", true),
            "<html> Bad gateway</html>"
        );
        assert_eq!(server_error_text("", true), "");
        assert_eq!(
            server_error_text(r#"{"error": "disk \"full\" on node-7 and mo"#, false),
            "disk \"full\" on node-7 and mo..."
        );
        assert_eq!(
            server_error_text(r#"{"error": "cut \u00e"#, false),
            "cut..."
        );
        let long = format!(r#"{{"error": "{}"#, "x".repeat(70_000));
        assert!(server_error_text(&long[..65_536], false).starts_with("xxxx"));
    }
}
