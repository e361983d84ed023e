//! Admin endpoints: service errors (acknowledged, deleted) and user accounts (listed,
//! prepared, suspended, deleted). Every one answers 403 unless the caller has admin rights
//! (the admin role, not impersonating; admin mode on or off). Job manifests are in
//! `manifests.rs`.

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, put};
use axum::{Json, Router};
use serde::Serialize;

use super::state::{bad_request, forbidden, not_found};
use super::user::{UserAccountDetail, UserDetail};
use super::{time, Caller, Params};
use crate::error::ApiError;
use crate::state::{lock, AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/service-error", get(list_service_errors))
        .route(
            "/admin/service-error/{error_id}",
            patch(acknowledge_service_error).delete(delete_service_error),
        )
        .route("/admin/user", get(list_users))
        .route(
            "/admin/user/{user_id}",
            put(create_user).patch(update_user).delete(delete_user),
        )
}

/// 403 unless the caller has admin rights: the Data Manager admin role, and not acting as
/// (impersonating) another user. Admin mode is not needed: the official descriptions of
/// these endpoints ask only for "`admin` rights", and the vendor's admin tools call them
/// without switching admin mode on (see FIDELITY.md, "Who may call what").
pub(crate) fn require_admin_rights(caller: &Caller, what: &str) -> Result<(), ApiError> {
    if caller.admin_rights {
        return Ok(());
    }
    let why = if caller.username != caller.real_username {
        format!(
            "{} is acting as {} (stop impersonating {} first)",
            caller.real_username, caller.username, caller.username
        )
    } else {
        format!(
            "{} does not have the Data Manager admin role",
            caller.real_username
        )
    };
    Err(forbidden(format!("Only admins can {what}: {why}")))
}

/// How serious a service error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    Critical,
    Error,
    Warning,
}

impl Severity {
    pub(crate) fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_uppercase().as_str() {
            "CRITICAL" => Some(Severity::Critical),
            "ERROR" => Some(Severity::Error),
            "WARNING" => Some(Severity::Warning),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Severity::Critical => "CRITICAL",
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        }
    }
}

/// A recorded service error.
#[derive(Debug, Clone)]
pub(crate) struct ServiceError {
    pub(crate) id: u64,
    pub(crate) created: f64,
    pub(crate) summary: String,
    pub(crate) severity: Severity,
    pub(crate) error_code: Option<i64>,
    pub(crate) stack_trace: String,
    pub(crate) acknowledged: Option<(f64, String)>,
}

#[derive(Serialize)]
struct ServiceErrorSummary {
    id: u64,
    created: String,
    summary: String,
    severity: &'static str,
    hostname: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<i64>,
    stack_trace: String,
    acknowledged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    acknowledged_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acknowledging_user: Option<String>,
}

#[derive(Serialize)]
struct ServiceErrorsGetResponse {
    count: usize,
    service_errors: Vec<ServiceErrorSummary>,
}

/// `GET /admin/service-error[?include_acknowledged=]`
async fn list_service_errors(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<ServiceErrorsGetResponse>, ApiError> {
    require_admin_rights(&caller, "see service errors")?;
    let include_acknowledged = params.flag("include_acknowledged")?;
    let dm = lock(&shared.dm);
    let service_errors: Vec<ServiceErrorSummary> = dm
        .service_errors
        .values()
        .filter(|e| include_acknowledged || e.acknowledged.is_none())
        .map(|e| ServiceErrorSummary {
            id: e.id,
            created: time::iso(e.created),
            summary: e.summary.clone(),
            severity: e.severity.name(),
            hostname: "squonk2-sandbox",
            error_code: e.error_code,
            stack_trace: e.stack_trace.clone(),
            acknowledged: e.acknowledged.is_some(),
            acknowledged_at: e.acknowledged.as_ref().map(|(t, _)| time::iso(*t)),
            acknowledging_user: e.acknowledged.as_ref().map(|(_, u)| u.clone()),
        })
        .collect();
    Ok(Json(ServiceErrorsGetResponse {
        count: service_errors.len(),
        service_errors,
    }))
}

fn error_id(text: &str) -> Result<u64, ApiError> {
    text.parse()
        .map_err(|_| not_found(format!("There is no service error {text:?}")))
}

/// `PATCH /admin/service-error/{error_id}`: acknowledges it.
async fn acknowledge_service_error(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
) -> Result<StatusCode, ApiError> {
    require_admin_rights(&caller, "acknowledge service errors")?;
    let id = error_id(&id)?;
    let mut dm = lock(&shared.dm);
    let error = dm
        .service_errors
        .get_mut(&id)
        .ok_or_else(|| not_found(format!("There is no service error {id}")))?;
    if error.acknowledged.is_none() {
        error.acknowledged = Some((time::now(), caller.username.clone()));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /admin/service-error/{error_id}`
async fn delete_service_error(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
) -> Result<StatusCode, ApiError> {
    require_admin_rights(&caller, "delete service errors")?;
    let id = error_id(&id)?;
    match lock(&shared.dm).service_errors.remove(&id) {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(not_found(format!("There is no service error {id}"))),
    }
}

#[derive(Serialize)]
struct AdminUsersGetResponse {
    count: usize,
    users: Vec<UserDetail>,
}

/// A day-count filter (at least 1), `None` when absent.
fn days(params: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some(text) => match text.parse::<i64>() {
            Ok(days) if days >= 1 => Ok(Some(days)),
            _ => Err(bad_request(format!(
                "'{name}' must be a whole number of days, at least 1, not {text:?}"
            ))),
        },
    }
}

/// `GET /admin/user[?idle_days=][&active_days=]`: every user. `idle_days=N`: those who have
/// not used the API for the last N days (today included); `active_days=N`: those who have.
async fn list_users(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<AdminUsersGetResponse>, ApiError> {
    require_admin_rights(&caller, "list user accounts")?;
    let (idle, active) = (days(&params, "idle_days")?, days(&params, "active_days")?);
    let today = time::day(time::now());
    let dm = lock(&shared.dm);
    let users: Vec<UserDetail> = dm
        .users
        .values()
        .filter(|u| {
            let last = u
                .active_days
                .iter()
                .next_back()
                .copied()
                .unwrap_or(i64::MIN);
            idle.is_none_or(|n| last <= today - n) && active.is_none_or(|n| last > today - n)
        })
        .map(UserDetail::of)
        .collect();
    Ok(Json(AdminUsersGetResponse {
        count: users.len(),
        users,
    }))
}

/// `PUT /admin/user/{user_id}`: prepares a user's account (before they first use the API).
async fn create_user(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(user_id): UrlPath<String>,
) -> Result<(StatusCode, Json<UserAccountDetail>), ApiError> {
    require_admin_rights(&caller, "create user accounts")?;
    check_username(&user_id)?;
    let may_be_admin = shared.find_user(&user_id).is_some_and(|u| u.may_be_admin);
    let mut dm = lock(&shared.dm);
    let user = UserDetail::of(dm.user_mut(&user_id));
    Ok((
        StatusCode::CREATED,
        Json(UserAccountDetail::new(
            user,
            caller.may_be_admin,
            may_be_admin,
        )),
    ))
}

fn check_username(user_id: &str) -> Result<(), ApiError> {
    let valid = (1..=80).contains(&user_id.chars().count())
        && user_id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '@' | '.' | '-'));
    if valid {
        Ok(())
    } else {
        Err(bad_request(format!(
            "{user_id:?} is not a valid user name (letters, digits, '_', '@', '.', '-')"
        )))
    }
}

/// `PATCH /admin/user/{user_id}` (form `suspend_message`): a message suspends the account,
/// an empty one lifts the suspension.
async fn update_user(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(user_id): UrlPath<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    require_admin_rights(&caller, "change user accounts")?;
    let mut dm = lock(&shared.dm);
    let Some(user) = dm.users.get_mut(&user_id) else {
        return Err(bad_request(format!(
            "User {user_id} has no Data Manager account"
        )));
    };
    match params.get("suspend_message").map(str::trim) {
        None => {}
        Some("") => {
            user.suspended = false;
            user.suspension_message = None;
        }
        Some(message) => {
            if user_id == caller.real_username {
                return Err(bad_request("You cannot suspend your own account"));
            }
            user.suspended = true;
            user.suspension_message = Some(message.to_string());
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /admin/user/{user_id}`: an account that owns no project and no Dataset.
async fn delete_user(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(user_id): UrlPath<String>,
) -> Result<StatusCode, ApiError> {
    require_admin_rights(&caller, "delete user accounts")?;
    let mut dm = lock(&shared.dm);
    if !dm.users.contains_key(&user_id) {
        return Err(bad_request(format!(
            "User {user_id} has no Data Manager account"
        )));
    }
    if user_id == caller.real_username {
        return Err(bad_request("You cannot delete your own account"));
    }
    if let Some(project) = dm.projects.values().find(|p| p.creator == user_id) {
        return Err(bad_request(format!(
            "User {user_id} still owns project {} ({}); delete it first",
            project.project_id, project.name
        )));
    }
    if let Some(dataset) = dm
        .datasets
        .values()
        .find(|d| d.owner == user_id && d.versions.values().any(|v| v.deleted.is_none()))
    {
        return Err(bad_request(format!(
            "User {user_id} still owns Dataset {}; delete it first",
            dataset.dataset_id
        )));
    }
    dm.users.remove(&user_id);
    Ok(StatusCode::NO_CONTENT)
}
