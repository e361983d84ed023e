//! The Account Server API, under `/account-server-api`.

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::state::AppState;

/// Where the API is mounted.
pub(crate) const PREFIX: &str = "/account-server-api";

/// The version this sandbox reports for the Account Server.
pub const AS_VERSION: &str = "4.4.0-sandbox";

/// Paths (below [`PREFIX`]) that need no token; `*` is one path segment.
pub(crate) const OPEN_PATHS: &[&str] = &["/version", "/event-stream/version"];

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/version", get(get_version))
}

#[derive(Serialize)]
struct StateGetVersionResponse {
    version: &'static str,
}

/// `GET /version`
async fn get_version() -> Json<StateGetVersionResponse> {
    Json(StateGetVersionResponse {
        version: AS_VERSION,
    })
}
