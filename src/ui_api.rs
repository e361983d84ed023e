//! The Data Manager UI's API: the counterpart of the Python client's `UiApi`.
//!
//! The UI API never gets a token, and its answers are not parsed: a successful call's `msg`
//! is `{"text": <body>}`.

use serde::{Deserialize, Serialize};

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

/// The answer of [`get_version`]: the UI's answer as text.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Version {
    /// The body of the UI's answer, e.g. `2.1.0`.
    pub text: String,
}

/// The UI's version: `GET /configuration/ui-version`. `msg` is `{"text": <body>}`.
///
/// ```no_run
/// # fn main() -> Result<(), squonk2::Error> {
/// let client = squonk2::Client::from_env()?;
/// println!("{}", squonk2::ui_api::get_version(&client).typed()?.text);
/// # Ok(())
/// # }
/// ```
pub fn get_version(client: &Client) -> ApiRv<Version> {
    call!(Api::Ui, "GET", "/configuration/ui-version")
        .auth(Auth::Never)
        .text_response()
        .error("Failed getting version")
        .run(client)
}
