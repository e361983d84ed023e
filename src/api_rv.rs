//! [`ApiRv`], the value every endpoint function returns, and its typed answer.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::error::{Error, ErrorKind};

/// What an endpoint function returns: the Rust form of the Python client's `ApiRv`
/// (`DmApiRv`, `AsApiRv`), and the type of its answer.
///
/// * `success`: whether the call did what was asked (any 2xx answer).
/// * `msg`: on success the server's JSON answer (`{}` when it sent none); on failure
///   `{"error": "..."}` saying what failed and why. [`ApiRv::typed`] and [`ApiRv::parse`]
///   decode `msg` (a change made to it is seen); `typed()` moves its strings into the model
///   instead of copying them.
/// * `http_status_code`: the server's HTTP status, or `0` when no answer was had (no URL set,
///   bad input, connection refused, time-out, ...).
///
/// `T` is the answer's type, from [`dm_api::models`](crate::dm_api::models) or
/// [`as_api::models`](crate::as_api::models) ([`NoContent`] for a call whose success has no
/// answer): the endpoint function's signature says which. [`ApiRv::typed`] gives it, or the
/// [`Error`] saying why there is none:
///
/// ```no_run
/// # fn main() -> Result<(), squonk2::Error> {
/// let client = squonk2::Client::from_env()?;
/// let project = squonk2::dm_api::get_project(&client, "project-123").typed()?;
/// println!("{} is {} bytes", project.name, project.size);
/// # Ok(())
/// # }
/// ```
///
/// [`ApiRv::into_result`] gives the answer as JSON instead, and [`ApiRv::parse`] decodes it
/// into a type of your own.
#[must_use = "an ApiRv says whether the call succeeded; check `success` or call `typed()`"]
pub struct ApiRv<T = Value> {
    /// Whether the call succeeded.
    pub success: bool,
    /// The server's JSON answer on success, `{"error": "..."}` on failure.
    pub msg: Value,
    /// The HTTP status of the answer, `0` when there was none.
    pub http_status_code: u16,
    meta: Meta,
    answer: PhantomData<fn() -> T>,
}

/// What an [`ApiRv`] knows besides its three public fields.
#[derive(Clone, Debug, Default)]
struct Meta {
    /// What was called, for error messages: method and path template, never values.
    call: &'static str,
    /// The function that made the call, e.g. `as_api::create_unit`.
    function: &'static str,
    /// Why the call failed (set by this crate's request path on every failure).
    kind: Option<ErrorKind>,
    /// Whether the failure may pass by itself (no answer, a time-out, 429/502/503/504).
    transient: bool,
    /// What the server said went wrong, when it answered with a failure.
    server_message: Option<String>,
    /// The JSON answer as it arrived: where `typed()`, which moves `msg` into the model,
    /// finds the field of an answer that does not fit.
    body: Option<Vec<u8>>,
}

/// The Data Manager's name for [`ApiRv`], as in the Python client.
pub type DmApiRv<T = Value> = ApiRv<T>;
/// The Account Server's name for [`ApiRv`], as in the Python client.
pub type AsApiRv<T = Value> = ApiRv<T>;

impl ApiRv<Value> {
    /// Makes a value from its three parts (for tests and for code that wraps this crate).
    pub fn new(success: bool, msg: Value, http_status_code: u16) -> ApiRv {
        ApiRv {
            success,
            ..ApiRv::done(msg, http_status_code)
        }
    }
}

impl<T> ApiRv<T> {
    /// A success made by this crate (the loops that make several requests answer `{}`).
    pub(crate) fn done(msg: Value, http_status_code: u16) -> ApiRv<T> {
        ApiRv {
            success: true,
            msg,
            http_status_code,
            meta: Meta::default(),
            answer: PhantomData,
        }
    }

    pub(crate) fn failure(
        kind: ErrorKind,
        error: impl Into<String>,
        http_status_code: u16,
        call: &'static str,
    ) -> ApiRv<T> {
        ApiRv {
            success: false,
            msg: json!({ "error": error.into() }),
            http_status_code,
            meta: Meta {
                call,
                function: "",
                kind: Some(kind),
                transient: matches!(kind, ErrorKind::Connect | ErrorKind::Timeout)
                    || (kind == ErrorKind::Http && is_transient_status(http_status_code)),
                server_message: None,
                body: None,
            },
            answer: PhantomData,
        }
    }

    /// The same value, with the answer type `U`: what a function returns when it hands on
    /// another call's result.
    pub(crate) fn retype<U>(self) -> ApiRv<U> {
        ApiRv {
            success: self.success,
            msg: self.msg,
            http_status_code: self.http_status_code,
            meta: self.meta,
            answer: PhantomData,
        }
    }

    /// The same value with the answer as JSON (`ApiRv<Value>`), for code that keeps results
    /// of several endpoints together.
    pub fn untyped(self) -> ApiRv {
        self.retype()
    }

    /// Marks a failure as one that may pass by itself (a login that failed for want of an
    /// answer, for example).
    pub(crate) fn with_transient(mut self, transient: bool) -> ApiRv<T> {
        self.meta.transient = transient;
        self
    }

    pub(crate) fn with_call(mut self, call: &'static str) -> ApiRv<T> {
        self.meta.call = call;
        self
    }

    /// Names the function that made the call (`dm_api::get_project`), for error texts.
    pub(crate) fn with_function(mut self, function: &'static str) -> ApiRv<T> {
        self.meta.function = function;
        self
    }

    /// Keeps the JSON text `msg` was parsed from, for `typed()` and `parse()`.
    pub(crate) fn with_body(mut self, body: Vec<u8>) -> ApiRv<T> {
        self.meta.body = Some(body);
        self
    }

    pub(crate) fn with_server_message(mut self, text: Option<String>) -> ApiRv<T> {
        self.meta.server_message = text;
        self
    }

    /// The function of this crate that made the call, as a user writes it:
    /// `dm_api::get_project`, `as_api::create_unit` (`None` when not known).
    #[must_use]
    pub fn function(&self) -> Option<&str> {
        Some(self.meta.function).filter(|f| !f.is_empty())
    }

    /// What was called, as `METHOD /path/{template}` (`None` when not known).
    #[must_use]
    pub fn call(&self) -> Option<&str> {
        Some(self.meta.call).filter(|c| !c.is_empty())
    }

    /// The failure text (`msg["error"]`) when the call failed, `None` when it succeeded.
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        if self.success {
            return None;
        }
        Some(
            self.msg
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown error"),
        )
    }

    /// Why the call failed; `None` when it succeeded.
    ///
    /// A failure made with [`ApiRv::new`] has no recorded cause: it is
    /// [`ErrorKind::Http`] when it has a status code and [`ErrorKind::Other`] otherwise.
    #[must_use]
    pub fn error_kind(&self) -> Option<ErrorKind> {
        if self.success {
            return None;
        }
        Some(self.meta.kind.unwrap_or(if self.http_status_code != 0 {
            ErrorKind::Http
        } else {
            ErrorKind::Other
        }))
    }

    /// Whether the call failed for a reason that may pass by itself: no answer, a time-out,
    /// or HTTP 429, 502, 503 or 504. `false` on success.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        !self.success && self.meta.transient
    }

    /// The failure as an [`Error`], `None` when the call succeeded.
    #[must_use]
    pub fn err(&self) -> Option<Error> {
        let message = self.error()?;
        let kind = self.error_kind().unwrap_or(ErrorKind::Other);
        Some(
            Error::new(kind, message)
                .with_status(self.http_status_code)
                .with_function(self.meta.function)
                .with_call(self.meta.call)
                .with_transient(self.is_transient())
                .with_server_message(self.meta.server_message.clone()),
        )
    }

    /// `Ok(msg)`, the answer as JSON, on success.
    ///
    /// # Errors
    ///
    /// When the call failed: an [`Error`] with its kind, status, text and what was called.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), squonk2::Error> {
    /// let client = squonk2::Client::from_env()?;
    /// let version = squonk2::dm_api::get_version(&client).into_result()?;
    /// println!("{}", version["version"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_result(self) -> Result<Value, Error> {
        match self.err() {
            Some(error) => Err(error),
            None => Ok(self.msg),
        }
    }

    /// The answer as its type `T` (the one in the endpoint function's signature), or why
    /// there is none.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), squonk2::Error> {
    /// let client = squonk2::Client::from_env()?;
    /// for project in squonk2::dm_api::get_available_projects(&client, &Default::default())
    ///     .typed()?
    ///     .projects
    /// {
    ///     println!("{} {}", project.project_id, project.name);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Fields `T` does not have are ignored, so a newer server does not break a decode.
    ///
    /// # Errors
    ///
    /// The call's failure ([`ApiRv::err`]); or, when the answer does not fit `T`,
    /// an [`ErrorKind::Decode`] error naming the call and the field
    /// ([`Error::field_path`]): `dm_api::get_project: the answer does not fit ProjectDetail:
    /// msg.created: invalid type: null, expected a string [GET /project/{project_id}]`.
    pub fn typed(self) -> Result<T, Error>
    where
        T: DeserializeOwned,
    {
        if let Some(error) = self.err() {
            return Err(error);
        }
        let meta = self.meta;
        let status = self.http_status_code;
        let Some(body) = &meta.body else {
            return serde_path_to_error::deserialize(self.msg)
                .map_err(|e| tracked_error::<T>(e, status, &meta));
        };
        // `msg` as it is first, moving its strings (tracking the path costs about as much
        // again); only when it does not fit, the answer's text to find where. Should the
        // text fit (`msg` was changed after the call), `msg`'s own error, without a path.
        T::deserialize(self.msg).map_err(|error| {
            let mut text = serde_json::Deserializer::from_slice(body);
            match serde_path_to_error::deserialize::<_, T>(&mut text) {
                Err(e) => tracked_error::<T>(e, status, &meta),
                Ok(_) => decode_error::<T>("msg", &error, status, &meta),
            }
        })
    }

    /// Decodes the answer (`msg`) into a type of your own, leaving the `ApiRv` as it was.
    /// Fields `U` does not have are ignored.
    ///
    /// # Errors
    ///
    /// As [`ApiRv::typed`].
    pub fn parse<U: DeserializeOwned>(&self) -> Result<U, Error> {
        if let Some(error) = self.err() {
            return Err(error);
        }
        // As it is first; only when it does not fit, again, tracking the path to find where.
        U::deserialize(&self.msg).or_else(|_| {
            serde_path_to_error::deserialize(&self.msg)
                .map_err(|e| tracked_error::<U>(e, self.http_status_code, &self.meta))
        })
    }
}

/// The [`ErrorKind::Decode`] error of an answer that does not fit `T`, at the path found.
fn tracked_error<T>(
    e: serde_path_to_error::Error<serde_json::Error>,
    status: u16,
    meta: &Meta,
) -> Error {
    let path = e.path().to_string();
    let path = if path == "." {
        "msg".to_string()
    } else {
        format!("msg.{path}")
    };
    decode_error::<T>(&path, &e.into_inner(), status, meta)
}

/// The [`ErrorKind::Decode`] error of an answer that does not fit `T` at `path`.
fn decode_error<T>(path: &str, inner: &serde_json::Error, status: u16, meta: &Meta) -> Error {
    // A text decode says where in the text (`... at line 1 column 80`): the path says it
    // better, and the message is the same however the answer was decoded.
    let mut text = inner.to_string();
    let position = format!(" at line {} column {}", inner.line(), inner.column());
    if inner.line() > 0 && text.ends_with(&position) {
        text.truncate(text.len() - position.len());
    }
    let message = format!(
        "the answer does not fit {}: {path}: {}",
        short_type_name::<T>(),
        without_strings(&text)
    );
    Error::new(ErrorKind::Decode, message)
        .with_status(status)
        .with_function(meta.function)
        .with_call(meta.call)
        .with_field_path(path)
}

/// `ProjectDetail` for `squonk2::dm_api::models::ProjectDetail`, `Vec<Value>` for
/// `alloc::vec::Vec<serde_json::value::Value>`.
fn short_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let mut out = String::with_capacity(full.len());
    let mut word = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            out.push_str(word.rsplit("::").next().unwrap_or_default());
            word.clear();
            out.push(c);
        }
    }
    out.push_str(word.rsplit("::").next().unwrap_or_default());
    out
}

/// serde quotes a wrongly typed string (`invalid type: string "...", expected ...`); the
/// string could be a token, and secrets never appear in errors.
fn without_strings(message: &str) -> String {
    for lead in ["invalid type: string \"", "invalid value: string \""] {
        if let Some(rest) = message.strip_prefix(lead) {
            if let Some(end) = rest.rfind("\", expected") {
                return format!("{}string{}", &lead[..lead.len() - 8], &rest[end + 1..]);
            }
        }
    }
    message.to_string()
}

impl<T> Clone for ApiRv<T> {
    fn clone(&self) -> Self {
        ApiRv {
            success: self.success,
            msg: self.msg.clone(),
            http_status_code: self.http_status_code,
            meta: self.meta.clone(),
            answer: PhantomData,
        }
    }
}

impl<T, U> PartialEq<ApiRv<U>> for ApiRv<T> {
    /// Compares the three public fields, as the Python value would be compared.
    fn eq(&self, other: &ApiRv<U>) -> bool {
        self.success == other.success
            && self.msg == other.msg
            && self.http_status_code == other.http_status_code
    }
}

impl<T> fmt::Debug for ApiRv<T> {
    /// The three public fields and the kind. String values under a key that names a secret
    /// (`token`, `access_token`, `password`, `secret`, ...) show as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRv")
            .field("success", &self.success)
            .field("msg", &Redacted(&self.msg))
            .field("http_status_code", &self.http_status_code)
            .field("kind", &self.error_kind())
            .finish()
    }
}

/// A JSON value shown with the strings under secret-naming keys replaced by `***`.
struct Redacted<'a>(&'a Value);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn redact(value: &Value) -> Value {
            match value {
                Value::Object(map) => Value::Object(
                    map.iter()
                        .map(|(k, v)| {
                            let key = k.to_ascii_lowercase();
                            let secret = ["token", "password", "secret"]
                                .iter()
                                .any(|s| key.contains(s));
                            let v = match v {
                                Value::String(_) if secret => Value::String("***".into()),
                                other => redact(other),
                            };
                            (k.clone(), v)
                        })
                        .collect(),
                ),
                Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
                other => other.clone(),
            }
        }
        fmt::Debug::fmt(&redact(self.0), f)
    }
}

/// The answer of a call whose success has none: deletes, `204 No Content`, and the calls
/// that make several requests and answer `{}`. Decodes from whatever the server sent.
///
/// ```no_run
/// # fn main() -> Result<(), squonk2::Error> {
/// let client = squonk2::Client::from_env()?;
/// let squonk2::NoContent =
///     squonk2::dm_api::remove_project_editor(&client, "project-123", "bob").typed()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NoContent;

impl<'de> Deserialize<'de> for NoContent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<NoContent, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| NoContent)
    }
}

/// Statuses that say "not now" rather than "no": too many requests, and the gateway
/// failures a proxy gives while a service restarts.
pub(crate) fn is_transient_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrongly_typed_strings_are_not_repeated() {
        assert_eq!(
            without_strings("invalid type: string \"s3cr\\\"et\", expected a boolean"),
            "invalid type: string, expected a boolean"
        );
        assert_eq!(
            without_strings("invalid type: null, expected a string"),
            "invalid type: null, expected a string"
        );
    }

    #[test]
    fn type_names_are_short() {
        assert_eq!(short_type_name::<NoContent>(), "NoContent");
        assert_eq!(short_type_name::<Vec<Value>>(), "Vec<Value>");
    }

    #[test]
    fn debug_hides_secret_strings() {
        let rv = ApiRv::new(
            true,
            json!({"token": "s3cret", "n": {"access_token": "x"}}),
            200,
        );
        let shown = format!("{rv:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("***"),
            "{shown}"
        );
    }

    #[test]
    fn typed_decodes_and_no_content_takes_anything() {
        let rv: ApiRv<NoContent> = ApiRv::new(true, json!({"x": [1, 2]}), 200).retype();
        assert_eq!(rv.typed(), Ok(NoContent));
        let rv: ApiRv<Vec<String>> = ApiRv::new(true, json!({"x": 1}), 200).retype();
        let e = rv.typed().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert_eq!(e.field_path(), Some("msg"));
    }
}
