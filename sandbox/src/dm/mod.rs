//! The Data Manager API, under `/data-manager-api`.
//!
//! Handlers mirror the official API's sections, one module per area, each with its own
//! `router()` merged below and its own records in [`state::DmState`]. Response bodies are
//! typed after the official schema names so that no extra field slips in; errors are
//! `{"error": "..."}` with the documented status codes.
//!
//! Handlers that need the caller take a [`Caller`]: the user the token was issued to, or
//! the user an admin is impersonating, with the admin mode resolved and the call recorded
//! in the user's API log.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::{lock, AppState};

pub(crate) mod admin;
pub(crate) mod applications;
pub(crate) mod catalogue;
pub(crate) mod control;
pub(crate) mod data_control;
pub(crate) mod datasets;
pub(crate) mod example_controls;
pub(crate) mod files;
pub(crate) mod instances;
pub(crate) mod jobs;
pub(crate) mod manifests;
pub(crate) mod metadata;
pub(crate) mod projects;
pub(crate) mod script;
pub(crate) mod service;
pub(crate) mod state;
pub(crate) mod stream;
pub(crate) mod tasks;
pub(crate) mod time;
pub(crate) mod user;
pub(crate) mod workflows;
pub(crate) mod yaml;

/// Where the API is mounted.
pub(crate) const PREFIX: &str = "/data-manager-api";

/// The version this sandbox reports for the Data Manager.
pub const DM_VERSION: &str = "5.0.1-sandbox";

/// The Account Server namespace the Data Manager reports.
pub(crate) const NAMESPACE: &str = "squonk2-sandbox";

/// Paths (below [`PREFIX`]) that need no token; `*` is one path segment.
pub(crate) const OPEN_PATHS: &[&str] = &[
    "/version",
    "/mode",
    "/job-definition-schema/version",
    "/workflow-engine/version",
    "/input-handler",
    "/instance/*/token/*",
    "/project/*/file-with-token",
];

/// The largest form body read.
const MAX_FORM_BODY: usize = 1024 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(service::router())
        .merge(projects::router())
        .merge(files::router())
        .merge(instances::router())
        .merge(tasks::router())
        .merge(jobs::router())
        .merge(user::router())
        .merge(datasets::router())
        .merge(metadata::router())
        .merge(workflows::router())
        .merge(applications::router())
        .merge(admin::router())
        .merge(manifests::router())
        .layer(axum::middleware::from_fn(complete_api_log))
}

/// What a request's handler noted for the API log: the entry [`Caller`] made (the state it
/// is in, its user and `seq`) and the form body [`Params`] read.
#[derive(Clone, Default)]
struct LogSlot(Arc<Mutex<LoggedCall>>);

#[derive(Default)]
struct LoggedCall {
    entry: Option<(AppState, String, u64)>,
    body: Option<String>,
}

/// Gives each logged call its status code, duration and body once it has been answered, as
/// the real Data Manager's API log shows them.
async fn complete_api_log(mut request: Request, next: Next) -> Response {
    let slot = LogSlot::default();
    request.extensions_mut().insert(slot.clone());
    let began = Instant::now();
    let response = next.run(request).await;
    let call = std::mem::take(&mut *lock(&slot.0));
    if let Some((shared, username, seq)) = call.entry {
        lock(&shared.dm).complete_call(
            &username,
            seq,
            state::CallOutcome {
                status_code: response.status().as_u16(),
                duration_ns: began.elapsed().as_nanos(),
                body: call.body,
            },
        );
    }
    response
}

/// Pairs as a JSON object text (every value a string), `None` when there are none. Values
/// that may be credentials (callback tokens, a manifest's request headers) are replaced by
/// `***`: the API log is for reading back, and secrets stay out of logs.
fn json_object_text(pairs: &[(String, String)]) -> Option<String> {
    let secret = |key: &str| {
        let key = key.to_ascii_lowercase();
        ["token", "password", "secret", "header"]
            .iter()
            .any(|word| key.contains(word))
    };
    (!pairs.is_empty()).then(|| {
        serde_json::Value::Object(
            pairs
                .iter()
                .map(|(k, v)| {
                    let v = if secret(k) { "***" } else { v.as_str() };
                    (k.clone(), serde_json::Value::String(v.to_owned()))
                })
                .collect(),
        )
        .to_string()
    })
}

/// Who a request acts for.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The user the request acts as: the token's user, or the user an admin impersonates.
    pub(crate) username: String,
    /// The user the token was issued to.
    pub(crate) real_username: String,
    /// In admin mode (the admin role and `become_admin` on), and not impersonating: sees
    /// (and changes) everything.
    pub(crate) admin: bool,
    /// Has admin rights: the token's user has the admin role and is not impersonating
    /// anyone (admin mode on or off). Enough for the admin endpoints (`/admin/...`, setting
    /// exchange rates).
    pub(crate) admin_rights: bool,
    /// The token's user has the admin role.
    pub(crate) may_be_admin: bool,
    /// The bearer token sent.
    pub(crate) token: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &AppState) -> Result<Self, Response> {
        let user = AuthUser::from_request_parts(parts, shared).await?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .map(|(_, t)| t.trim().to_string())
            .unwrap_or_default();
        let query = Params::from_query(parts.uri.query());
        let do_not_impersonate = query.flag("do_not_impersonate").unwrap_or(false);
        let now = time::now();
        let mut dm = lock(&shared.dm);
        let real = dm.user_mut(&user.username);
        real.last_seen = now;
        real.active_days.insert(time::day(now));
        if real.suspended {
            let why = real.suspension_message.clone().unwrap_or_default();
            return Err(
                state::forbidden(format!("Your account is suspended. {why}")).into_response(),
            );
        }
        let impersonating = if user.may_be_admin && !do_not_impersonate {
            real.impersonate.clone()
        } else {
            None
        };
        let admin = user.may_be_admin && real.become_admin && impersonating.is_none();
        let username = impersonating
            .clone()
            .unwrap_or_else(|| user.username.clone());
        if parts.method != Method::GET {
            let params = json_object_text(&query.0);
            // A change of the account itself belongs to the token's user, who it changes.
            let logged_user = if parts.uri.path() == "/user/account" {
                &user.username
            } else {
                &username
            };
            let seq = dm.log_call(
                logged_user,
                state::ApiLogEntry {
                    method: parts.method.as_str().to_string(),
                    path: parts.uri.path().to_string(),
                    began: now,
                    params,
                    impersonator: impersonating
                        .as_ref()
                        .filter(|_| logged_user != &user.username)
                        .map(|_| user.username.clone()),
                    seq: 0,
                    body: None,
                    status_code: None,
                    duration_ns: None,
                },
            );
            if let Some(slot) = parts.extensions.get::<LogSlot>() {
                lock(&slot.0).entry = Some((shared.clone(), logged_user.clone(), seq));
            }
        }
        Ok(Caller {
            username,
            real_username: user.username,
            admin,
            admin_rights: user.may_be_admin && impersonating.is_none(),
            may_be_admin: user.may_be_admin,
            token,
        })
    }
}

/// The request's query parameters, followed by its form body's fields when it has one
/// (the Python client sends some query parameters as a form body).
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(pub(crate) Vec<(String, String)>);

impl Params {
    pub(crate) fn from_query(query: Option<&str>) -> Params {
        Params(
            query
                .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
        )
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, when not empty.
    pub(crate) fn get_set(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// The value of a required parameter (400 when missing or empty).
    pub(crate) fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get_set(name)
            .ok_or_else(|| state::bad_request(format!("'{name}' is required")))
    }

    /// A boolean parameter (`true`/`True`/`1`/`yes` or `false`/`False`/`0`/`no`),
    /// `None` when absent.
    pub(crate) fn opt_flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(Some(true)),
                "false" | "0" | "no" | "" => Ok(Some(false)),
                _ => Err(state::bad_request(format!(
                    "'{name}' must be true or false, not {v:?}"
                ))),
            },
        }
    }

    /// A boolean parameter, false when absent.
    pub(crate) fn flag(&self, name: &str) -> Result<bool, ApiError> {
        Ok(self.opt_flag(name)?.unwrap_or(false))
    }

    /// A non-negative integer parameter, `None` when absent.
    pub(crate) fn number(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.get_set(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    state::bad_request(format!("'{name}' must be a whole number, not {v:?}"))
                })
            })
            .transpose()
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = Response;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Response> {
        let mut params = Params::from_query(request.uri().query());
        let slot = request.extensions().get::<LogSlot>().cloned();
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            });
        if is_form {
            let body = axum::body::to_bytes(request.into_body(), MAX_FORM_BODY)
                .await
                .map_err(|e| {
                    state::bad_request(format!("The form body could not be read: {e}"))
                        .into_response()
                })?;
            let fields: Vec<(String, String)> =
                form_urlencoded::parse(&body).into_owned().collect();
            if let Some(slot) = slot {
                lock(&slot.0).body = json_object_text(&fields);
            }
            params.0.extend(fields);
        }
        Ok(params)
    }
}
