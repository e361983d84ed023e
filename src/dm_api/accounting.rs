//! Version and service checks.

use crate::api_rv::ApiRv;
use crate::client::{Api, Client};
use crate::request::{call, Auth};

/// The Data Manager's version: `GET /version`, sent without a token.
/// `msg` is `{"version": "..."}`.
///
/// `msg` is a [`VersionGetResponse`](super::models::VersionGetResponse).
pub fn get_version(client: &Client) -> ApiRv {
    call!(Api::Dm, "GET", "/version")
        .auth(Auth::Never)
        .error("Failed getting version")
        .run(client)
}

/// Checks that the Data Manager answers and accepts the client's token:
/// `GET /account-server/namespace` (as the Python client does).
///
/// `msg` is an [`AccountServerGetNamespaceResponse`](super::models::AccountServerGetNamespaceResponse).
pub fn ping(client: &Client) -> ApiRv {
    call!(Api::Dm, "GET", "/account-server/namespace")
        .error("Failed ping")
        .run(client)
}

/// The Kubernetes namespace of the Account Server this Data Manager uses:
/// `GET /account-server/namespace`. `msg` is `{"namespace": "..."}`.
///
/// `msg` is an [`AccountServerGetNamespaceResponse`](super::models::AccountServerGetNamespaceResponse).
pub fn get_account_server_namespace(client: &Client) -> ApiRv {
    call!(Api::Dm, "GET", "/account-server/namespace")
        .error("Failed to get AS namespace")
        .run(client)
}

/// This Data Manager's registration with the Account Server:
/// `GET /account-server/registration`. `msg` is `{"merchant_id", "name", "registered"}`.
///
/// `msg` is an [`AccountServerGetRegistrationResponse`](super::models::AccountServerGetRegistrationResponse).
pub fn get_account_server_registration(client: &Client) -> ApiRv {
    call!(Api::Dm, "GET", "/account-server/registration")
        .error("Failed to get AS registration")
        .run(client)
}
