//! The Data Manager UI's API, under `/data-manager-ui/api`. No token needed.

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::state::AppState;

/// Where the API is mounted.
pub(crate) const PREFIX: &str = "/data-manager-ui/api";

/// The version this sandbox reports for the UI.
pub const UI_VERSION: &str = "3.0.0-sandbox";

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/configuration/ui-version", get(get_ui_version))
}

#[derive(Serialize)]
struct UiVersionResponse {
    version: &'static str,
}

/// `GET /configuration/ui-version`
async fn get_ui_version() -> Json<UiVersionResponse> {
    Json(UiVersionResponse {
        version: UI_VERSION,
    })
}
