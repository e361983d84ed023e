//! The Data Manager UI's API: the counterpart of the Python client's `UiApi`.
//!
//! The UI API never gets a token, and its answers are not parsed: a successful call's `msg`
//! is `{"text": <body>}`.

use crate::api_rv::ApiRv;
use crate::client::{Api, Client};
use crate::request::{call, Auth};

/// Sets the UI API base URL and whether its TLS certificate is verified
/// (the Python client's `UiApi.set_api_url`).
pub fn set_api_url(client: &mut Client, url: &str, verify_ssl_cert: bool) {
    client.set_api_url(Api::Ui, url, verify_ssl_cert);
}

/// The UI API base URL and whether its certificate is verified (`("", true)` when no URL is
/// set), as the Python client's `UiApi.get_api_url`.
#[must_use]
pub fn get_api_url(client: &Client) -> (String, bool) {
    client.get_api_url(Api::Ui)
}

/// The UI's version: `GET /configuration/ui-version`. `msg` is `{"text": <body>}`.
pub fn get_version(client: &Client) -> ApiRv {
    call!(Api::Ui, "GET", "/configuration/ui-version")
        .auth(Auth::Never)
        .text_response()
        .error("Failed getting version")
        .run(client)
}
