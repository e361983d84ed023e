//! The Data Manager API, under `/data-manager-api`.
//!
//! Handlers mirror the official API's sections; response bodies are typed
//! after the official schema names so that no extra field slips in.

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::auth::AuthUser;
use crate::state::AppState;

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

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/version", get(get_version)).route(
        "/account-server/namespace",
        get(get_account_server_namespace),
    )
}

#[derive(Serialize)]
struct VersionGetResponse {
    version: &'static str,
}

/// `GET /version`
async fn get_version() -> Json<VersionGetResponse> {
    Json(VersionGetResponse {
        version: DM_VERSION,
    })
}

#[derive(Serialize)]
struct AccountServerGetNamespaceResponse {
    namespace: &'static str,
}

/// `GET /account-server/namespace`
async fn get_account_server_namespace(_user: AuthUser) -> Json<AccountServerGetNamespaceResponse> {
    Json(AccountServerGetNamespaceResponse {
        namespace: NAMESPACE,
    })
}
