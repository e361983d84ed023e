//! The Account Server API: the counterpart of the Python client's `AsApi`.
//!
//! Every function takes the [`Client`] first, then the Python method's required
//! arguments in order, then (where the Python method has optional arguments) an options struct
//! with `Default`. Each returns an [`ApiRv`](crate::ApiRv).

mod accounting;

pub use accounting::*;

use crate::client::{Api, Client};

/// Sets the Account Server API base URL and whether its TLS certificate is verified
/// (the Python client's `AsApi.set_api_url`).
pub fn set_api_url(client: &mut Client, url: &str, verify_ssl_cert: bool) {
    client.set_api_url(Api::As, url, verify_ssl_cert);
}

/// The Account Server API base URL and whether its certificate is verified
/// (`("", true)` when no URL is set), as the Python client's `AsApi.get_api_url`.
pub fn get_api_url(client: &Client) -> (String, bool) {
    client.get_api_url(Api::As)
}
