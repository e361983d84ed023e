//! The HTTP twins of the [`Sandbox`] controls, under `/_sandbox/` (with the request log
//! and faults of [`crate::control`]), for scripts run against the binary. Each handler
//! calls the control of the same name on a view of the running sandbox, so both stay alike.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::dm::script::{InstancePhase, InstanceScript};
use crate::error::{ApiError, Blank, Error, ErrorKind};
use crate::state::{lock, AppState};
use crate::{Sandbox, DM_CLIENT_ID};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/info", get(info))
        .route("/environments", get(environments))
        .route("/users", get(users).post(add_user))
        .route("/clients/{client_id}", put(set_client_secret))
        .route("/settings", get(settings).patch(set_settings))
        .route("/tokens", post(issue_token))
        .route("/job-failures", post(fail_job).delete(clear_job_failures))
        .route("/job-scripts", post(script_job).delete(clear_job_scripts))
        .route("/instances/{instance_id}/phase", put(set_instance_phase))
        .route(
            "/instances/{instance_id}/stopped-at",
            put(set_instance_stopped_at),
        )
        .route("/projects/{project_id}", get(project))
        .route("/projects/{project_id}/immutable", put(set_file_immutable))
        .route("/service-errors", post(add_service_error))
        .route("/web-files", put(add_web_file))
        .route("/clock", get(clock).put(set_clock))
        .route("/clock/advance", post(advance_clock))
        .route("/account-server/today", put(set_account_server_today))
        .route("/account-server/charges", post(charge_product))
        .route("/account-server/storage", put(set_product_storage))
        .route("/account-server/organisations", get(organisations_summary))
        .route("/clock/offset", put(set_clock_offset))
        .route("/users/{username}/revoke-sessions", post(revoke_sessions))
        .route("/events", post(publish_event))
        .route("/events/{username}", get(event_stream_state))
        .route(
            "/events/{username}/connections",
            axum::routing::delete(drop_event_connections),
        )
        .route(
            "/events/{username}/connections/silence",
            post(silence_event_connections),
        )
        .route("/events/{username}/expire", post(expire_events))
}

/// A view of the running sandbox for a handler: it stops nothing and removes nothing when
/// dropped.
pub(crate) fn view(shared: &AppState) -> Sandbox {
    Sandbox::view(shared.clone())
}

/// The JSON body as `T`, or a 400 naming what is wrong.
async fn json_body<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    crate::error::json_body(body, Blank::Refused, "bad JSON").await
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let status = match error.kind() {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, error.message())
    }
}

fn text(body: String, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `GET /info`: the URLs, realm, data directory, keys and version.
async fn info(State(shared): State<AppState>) -> Json<Value> {
    let sandbox = view(&shared);
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "base_url": sandbox.base_url(),
        "port": sandbox.port(),
        "keycloak_url": sandbox.keycloak_url(),
        "realm": sandbox.realm(),
        "dm_api_url": sandbox.dm_api_url(),
        "as_api_url": sandbox.as_api_url(),
        "ui_api_url": sandbox.ui_api_url(),
        "data_dir": sandbox.data_dir(),
        "builtin_job_manifest_url": sandbox.builtin_job_manifest_url(),
        "public_key_pem": sandbox.public_key_pem(),
        "ca_certificate_pem": sandbox.ca_certificate_pem(),
    }))
}

/// `GET /environments`: [`Sandbox::environments_yaml`].
async fn environments(State(shared): State<AppState>) -> Response {
    text(view(&shared).environments_yaml(), "application/yaml")
}

/// `GET /users`: [`Sandbox::users`].
async fn users(State(shared): State<AppState>) -> Response {
    Json(view(&shared).users()).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    password: String,
    #[serde(default)]
    may_be_admin: bool,
}

/// `POST /users`: [`Sandbox::add_user`].
async fn add_user(State(shared): State<AppState>, body: Body) -> Result<StatusCode, ApiError> {
    let user: NewUser = json_body(body).await?;
    view(&shared).add_user(&user.username, &user.password, user.may_be_admin);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientSecret {
    secret: Option<String>,
}

/// `PUT /clients/{client_id}`: [`Sandbox::set_client_secret`].
async fn set_client_secret(
    State(shared): State<AppState>,
    Path(client_id): Path<String>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let secret: ClientSecret = json_body(body).await?;
    view(&shared).set_client_secret(&client_id, secret.secret.as_deref());
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    token_lifetime_s: Option<u64>,
    refresh_lifetime_s: Option<u64>,
    job_duration_ms: Option<u64>,
    dataset_duration_ms: Option<u64>,
}

/// `GET /settings`: the lifetimes and durations.
async fn settings(State(shared): State<AppState>) -> Json<Value> {
    let sandbox = view(&shared);
    let lifetimes = *lock(&shared.lifetimes);
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    Json(json!({
        "token_lifetime_s": lifetimes.access.as_secs(),
        "refresh_lifetime_s": lifetimes.refresh.as_secs(),
        "job_duration_ms": ms(sandbox.job_duration()),
        "dataset_duration_ms": ms(sandbox.dataset_duration()),
    }))
}

/// `PATCH /settings`: [`Sandbox::set_token_lifetime`], [`Sandbox::set_refresh_lifetime`],
/// [`Sandbox::set_job_duration`], [`Sandbox::set_dataset_duration`] (those given).
async fn set_settings(State(shared): State<AppState>, body: Body) -> Result<StatusCode, ApiError> {
    let settings: Settings = json_body(body).await?;
    let sandbox = view(&shared);
    if let Some(s) = settings.token_lifetime_s {
        sandbox.set_token_lifetime(Duration::from_secs(s));
    }
    if let Some(s) = settings.refresh_lifetime_s {
        sandbox.set_refresh_lifetime(Duration::from_secs(s));
    }
    if let Some(ms) = settings.job_duration_ms {
        sandbox.set_job_duration(Duration::from_millis(ms));
    }
    if let Some(ms) = settings.dataset_duration_ms {
        sandbox.set_dataset_duration(Duration::from_millis(ms));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenSpec {
    username: String,
    client_id: Option<String>,
    /// `access` (the default) or `refresh`.
    kind: Option<String>,
    lifetime_s: Option<u64>,
    /// For an access token: its `exp` (seconds since the Unix epoch), instead of a lifetime.
    exp: Option<u64>,
}

/// `POST /tokens`: [`Sandbox::issue_token`], [`Sandbox::issue_token_expiring_at`],
/// [`Sandbox::issue_refresh_token`].
async fn issue_token(State(shared): State<AppState>, body: Body) -> Result<Json<Value>, ApiError> {
    let spec: TokenSpec = json_body(body).await?;
    let sandbox = view(&shared);
    let client_id = spec.client_id.as_deref().unwrap_or(DM_CLIENT_ID);
    let lifetime = Duration::from_secs(spec.lifetime_s.unwrap_or(300));
    let token = match (spec.kind.as_deref().unwrap_or("access"), spec.exp) {
        ("access", Some(exp)) => sandbox.issue_token_expiring_at(&spec.username, client_id, exp),
        ("access", None) => sandbox.issue_token(&spec.username, client_id, lifetime),
        ("refresh", None) => sandbox.issue_refresh_token(&spec.username, client_id, lifetime),
        ("refresh", Some(_)) => {
            return Err(ApiError::bad_request(
                "exp is for access tokens: give a refresh token a lifetime_s",
            ))
        }
        (other, _) => {
            return Err(ApiError::bad_request(format!(
                "unknown token kind {other:?}: use access or refresh"
            )))
        }
    };
    Ok(Json(json!({ "token": token })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobFailure {
    collection: String,
    job: String,
    message: String,
}

/// `POST /job-failures`: [`Sandbox::fail_job`].
async fn fail_job(State(shared): State<AppState>, body: Body) -> Result<StatusCode, ApiError> {
    let failure: JobFailure = json_body(body).await?;
    view(&shared).fail_job(&failure.collection, &failure.job, &failure.message);
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /job-failures`: [`Sandbox::clear_job_failures`].
async fn clear_job_failures(State(shared): State<AppState>) -> StatusCode {
    view(&shared).clear_job_failures();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobScript {
    collection: String,
    job: String,
    script: InstanceScript,
}

/// `POST /job-scripts`: [`Sandbox::script_job`].
async fn script_job(State(shared): State<AppState>, body: Body) -> Result<StatusCode, ApiError> {
    let script: JobScript = json_body(body).await?;
    view(&shared).script_job(&script.collection, &script.job, script.script);
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /job-scripts`: [`Sandbox::clear_job_scripts`].
async fn clear_job_scripts(State(shared): State<AppState>) -> StatusCode {
    view(&shared).clear_job_scripts();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhaseChange {
    phase: InstancePhase,
    #[serde(default)]
    message: String,
}

/// `PUT /instances/{id}/phase`: [`Sandbox::set_instance_phase`].
async fn set_instance_phase(
    State(shared): State<AppState>,
    Path(instance_id): Path<String>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let change: PhaseChange = json_body(body).await?;
    view(&shared).set_instance_phase(&instance_id, change.phase, &change.message)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoppedAt {
    unix_secs: f64,
}

/// `PUT /instances/{id}/stopped-at`: [`Sandbox::set_instance_stopped_at`].
async fn set_instance_stopped_at(
    State(shared): State<AppState>,
    Path(instance_id): Path<String>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let at: StoppedAt = json_body(body).await?;
    view(&shared).set_instance_stopped_at(&instance_id, at.unix_secs)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /projects/{id}`: [`Sandbox::project_dir`].
async fn project(
    State(shared): State<AppState>,
    Path(project_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let dir = view(&shared).project_dir(&project_id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("There is no project {project_id}"),
        )
    })?;
    Ok(Json(json!({ "dir": dir })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Immutable {
    path: String,
    immutable: bool,
}

/// `PUT /projects/{id}/immutable`: [`Sandbox::set_file_immutable`].
async fn set_file_immutable(
    State(shared): State<AppState>,
    Path(project_id): Path<String>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let change: Immutable = json_body(body).await?;
    view(&shared).set_file_immutable(&project_id, &change.path, change.immutable)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceError {
    severity: String,
    summary: String,
}

/// `POST /service-errors`: [`Sandbox::add_service_error`].
async fn add_service_error(
    State(shared): State<AppState>,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let error: ServiceError = json_body(body).await?;
    let id = view(&shared).add_service_error(&error.severity, &error.summary)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebFile {
    url: String,
    text: String,
}

/// `PUT /web-files`: [`Sandbox::add_web_file`].
async fn add_web_file(State(shared): State<AppState>, body: Body) -> Result<StatusCode, ApiError> {
    let file: WebFile = json_body(body).await?;
    view(&shared).add_web_file(&file.url, &file.text);
    Ok(StatusCode::NO_CONTENT)
}

/// The clock as JSON.
fn clock_json(shared: &AppState) -> Json<Value> {
    let now = shared.clock.time();
    Json(json!({
        "time": crate::calendar::naive_utc(now),
        "unix_ms": now.as_millisecond(),
        "stopped": shared.clock.is_frozen(),
    }))
}

/// `GET /clock`: [`Sandbox::clock`], [`Sandbox::clock_is_stopped`].
async fn clock(State(shared): State<AppState>) -> Json<Value> {
    clock_json(&shared)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    /// An ISO 8601 date-time (UTC unless it has an offset).
    time: Option<String>,
    stopped: Option<bool>,
}

/// `PUT /clock`: [`Sandbox::set_clock`], [`Sandbox::stop_clock`].
async fn set_clock(State(shared): State<AppState>, body: Body) -> Result<Json<Value>, ApiError> {
    let change: ClockChange = json_body(body).await?;
    if let Some(stopped) = change.stopped {
        shared.clock.freeze(stopped);
    }
    if let Some(time) = change.time {
        let at = crate::calendar::parse_instant(&time).ok_or_else(|| {
            ApiError::bad_request(format!("{time:?} is not an ISO 8601 date-time"))
        })?;
        shared.clock.set(at);
    }
    Ok(clock_json(&shared))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    ms: Option<u64>,
    seconds: Option<u64>,
}

/// `POST /clock/advance`: [`Sandbox::advance_clock`] by `ms` and/or `seconds`.
async fn advance_clock(
    State(shared): State<AppState>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let by: Advance = json_body(body).await?;
    let by = Duration::from_secs(by.seconds.unwrap_or(0))
        .saturating_add(Duration::from_millis(by.ms.unwrap_or(0)));
    view(&shared).advance_clock(by);
    Ok(clock_json(&shared))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Today {
    date: Option<String>,
}

/// `PUT /account-server/today`: [`Sandbox::set_account_server_today`].
async fn set_account_server_today(
    State(shared): State<AppState>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let today: Today = json_body(body).await?;
    view(&shared).set_account_server_today(today.date.as_deref())?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Charge {
    product_id: String,
    username: String,
    #[serde(default)]
    name: String,
    coins: String,
}

/// `POST /account-server/charges`: [`Sandbox::charge_product`].
async fn charge_product(
    State(shared): State<AppState>,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let charge: Charge = json_body(body).await?;
    let id = view(&shared).charge_product(
        &charge.product_id,
        &charge.username,
        &charge.name,
        &charge.coins,
    )?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Storage {
    product_id: String,
    bytes: u64,
}

/// `PUT /account-server/storage`: [`Sandbox::set_product_storage`].
async fn set_product_storage(
    State(shared): State<AppState>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let storage: Storage = json_body(body).await?;
    view(&shared).set_product_storage(&storage.product_id, storage.bytes)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /account-server/organisations`: [`Sandbox::organisations_summary`].
async fn organisations_summary(State(shared): State<AppState>) -> Response {
    text(
        view(&shared).organisations_summary(),
        "text/plain; charset=utf-8",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockOffset {
    seconds: i64,
}

/// `PUT /clock/offset` `{"seconds"}`: [`Sandbox::set_clock_offset`].
async fn set_clock_offset(
    State(shared): State<AppState>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let offset: ClockOffset = json_body(body).await?;
    view(&shared).set_clock_offset(offset.seconds);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /users/{username}/revoke-sessions`: [`Sandbox::revoke_sessions`].
async fn revoke_sessions(
    State(shared): State<AppState>,
    axum::extract::Path(username): axum::extract::Path<String>,
) -> StatusCode {
    view(&shared).revoke_sessions(&username);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishedEvent {
    username: String,
    message_type: String,
    body: Value,
}

/// `POST /events` `{"username", "message_type", "body"}`: [`Sandbox::publish_event`];
/// 201 `{"ordinal"}`.
async fn publish_event(
    State(shared): State<AppState>,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let event: PublishedEvent = json_body(body).await?;
    let ordinal = view(&shared).publish_event(&event.username, &event.message_type, event.body)?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "ordinal": ordinal })),
    ))
}

/// `GET /events/{username}`: [`Sandbox::next_event_ordinal`], `{"next_ordinal"}`; 404
/// when the user has no event stream.
async fn event_stream_state(
    State(shared): State<AppState>,
    axum::extract::Path(username): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    let next = view(&shared)
        .next_event_ordinal(&username)
        .ok_or_else(|| Error::not_found(format!("{username} has no event stream")))?;
    Ok(Json(serde_json::json!({ "next_ordinal": next })))
}

/// `DELETE /events/{username}/connections`: [`Sandbox::drop_event_connections`]; 404 when
/// the user has no event stream.
async fn drop_event_connections(
    State(shared): State<AppState>,
    axum::extract::Path(username): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    found_stream(&username, view(&shared).drop_event_connections(&username))
}

/// `POST /events/{username}/connections/silence`: [`Sandbox::silence_event_connections`];
/// 404 when the user has no event stream.
async fn silence_event_connections(
    State(shared): State<AppState>,
    axum::extract::Path(username): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    found_stream(
        &username,
        view(&shared).silence_event_connections(&username),
    )
}

/// 204 when `username` had an event stream (`found`), else 404.
fn found_stream(username: &str, found: bool) -> Result<StatusCode, ApiError> {
    if found {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::not_found(format!("{username} has no event stream")).into())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expiry {
    before: i64,
}

/// `POST /events/{username}/expire` `{"before"}`: [`Sandbox::expire_events`],
/// `{"expired"}`.
async fn expire_events(
    State(shared): State<AppState>,
    axum::extract::Path(username): axum::extract::Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let expiry: Expiry = json_body(body).await?;
    let expired = view(&shared).expire_events(&username, expiry.before);
    Ok(Json(serde_json::json!({ "expired": expired })))
}
