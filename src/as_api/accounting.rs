//! Version and service checks.

use super::models::StateGetVersionResponse;
use crate::api_rv::ApiRv;
use crate::client::{Api, Client};
use crate::request::{call, Auth};

/// The Account Server's version: `GET /version`, sent without a token.
/// `msg` is `{"version": "..."}`.
pub fn get_version(client: &Client) -> ApiRv<StateGetVersionResponse> {
    call!(Api::As, "GET", "/version")
        .auth(Auth::Never)
        .error("Failed getting version")
        .run(client)
}

/// Checks that the Account Server answers: the same call as [`get_version`], as in the
/// Python client.
pub fn ping(client: &Client) -> ApiRv<StateGetVersionResponse> {
    get_version(client)
}
