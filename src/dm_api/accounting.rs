//! Version and service checks.

use super::models::{
    AccountServerGetNamespaceResponse, AccountServerGetRegistrationResponse, VersionGetResponse,
};
use crate::api_rv::ApiRv;
use crate::client::{Api, Client};
use crate::request::{call, Auth};

/// The Data Manager's version: `GET /version`, sent without a token.
/// `msg` is `{"version": "..."}`.
pub fn get_version(client: &Client) -> ApiRv<VersionGetResponse> {
    call!(Api::Dm, "GET", "/version")
        .auth(Auth::Never)
        .error("Failed getting version")
        .run(client)
}

/// Checks that the Data Manager answers and accepts the client's token:
/// `GET /account-server/namespace` (as the Python client does).
pub fn ping(client: &Client) -> ApiRv<AccountServerGetNamespaceResponse> {
    call!(Api::Dm, "GET", "/account-server/namespace")
        .error("Failed ping")
        .run(client)
}

/// The Kubernetes namespace of the Account Server this Data Manager uses:
/// `GET /account-server/namespace`. `msg` is `{"namespace": "..."}`.
pub fn get_account_server_namespace(client: &Client) -> ApiRv<AccountServerGetNamespaceResponse> {
    call!(Api::Dm, "GET", "/account-server/namespace")
        .error("Failed to get AS namespace")
        .run(client)
}

/// This Data Manager's registration with the Account Server:
/// `GET /account-server/registration`. `msg` is `{"merchant_id", "name", "registered"}`.
pub fn get_account_server_registration(
    client: &Client,
) -> ApiRv<AccountServerGetRegistrationResponse> {
    call!(Api::Dm, "GET", "/account-server/registration")
        .error("Failed to get AS registration")
        .run(client)
}
