//! Version and service checks.

use crate::api_rv::ApiRv;
use crate::client::{Api, Client};
use crate::request::{Auth, Call};

/// The Data Manager's version: `GET /version`, sent without a token.
/// `msg` is `{"version": "..."}`.
pub fn get_version(client: &Client) -> ApiRv {
    Call::new(Api::Dm, "GET", "/version")
        .auth(Auth::Never)
        .error("Failed getting version")
        .run(client)
}

/// Checks that the Data Manager answers and accepts the client's token:
/// `GET /account-server/namespace` (as the Python client does).
pub fn ping(client: &Client) -> ApiRv {
    Call::new(Api::Dm, "GET", "/account-server/namespace")
        .error("Failed ping")
        .run(client)
}
