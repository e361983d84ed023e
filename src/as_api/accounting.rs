//! Version and service checks.

use crate::api_rv::ApiRv;
use crate::client::{Api, Client};
use crate::request::{call, Auth};

/// The Account Server's version: `GET /version`, sent without a token.
/// `msg` is `{"version": "..."}`.
///
/// `msg` is a [`StateGetVersionResponse`](super::models::StateGetVersionResponse).
pub fn get_version(client: &Client) -> ApiRv {
    call!(Api::As, "GET", "/version")
        .auth(Auth::Never)
        .error("Failed getting version")
        .run(client)
}

/// Checks that the Account Server answers: the same call as [`get_version`], as in the
/// Python client.
///
/// `msg` is a [`StateGetVersionResponse`](super::models::StateGetVersionResponse).
pub fn ping(client: &Client) -> ApiRv {
    get_version(client)
}
