//! Users: your account, and the members of organisations and units.

use super::models::{UserAccountDetail, UsersGetResponse};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::client::{Api, Client};
use crate::request::call;

/// Your Account Server account: `GET /user/account`. `msg` is
/// `{"user": {"id"}, "caller_has_admin_privilege", "account_server_roles"}`.
pub fn get_account(client: &Client) -> ApiRv<UserAccountDetail> {
    call!(Api::As, "GET", "/user/account")
        .error("Failed getting account")
        .run(client)
}

/// The members of an organisation: `GET /organisation/{org_id}/user` (deprecated by the
/// Account Server in favour of [`get_organisation`](crate::as_api::get_organisation)'s
/// `users`).
pub fn get_organisation_users(client: &Client, org_id: &str) -> ApiRv<UsersGetResponse> {
    call!(Api::As, "GET", "/organisation/{org_id}/user")
        .path("org_id", org_id)
        .error("Failed getting organisation users")
        .run(client)
}

/// Adds a user to an organisation: `PUT /organisation/{org_id}/user/{username}`.
pub fn add_user_to_organisation(client: &Client, org_id: &str, username: &str) -> ApiRv<NoContent> {
    call!(Api::As, "PUT", "/organisation/{org_id}/user/{username}")
        .path("org_id", org_id)
        .path("username", username)
        .error("Failed to add user to organisation")
        .run(client)
}

/// Removes a user from an organisation: `DELETE /organisation/{org_id}/user/{username}`.
pub fn remove_user_from_organisation(
    client: &Client,
    org_id: &str,
    username: &str,
) -> ApiRv<NoContent> {
    call!(Api::As, "DELETE", "/organisation/{org_id}/user/{username}")
        .path("org_id", org_id)
        .path("username", username)
        .error("Failed to remove user from organisation")
        .run(client)
}

/// The members of a unit: `GET /unit/{unit_id}/user` (deprecated by the Account Server in
/// favour of [`get_unit`](crate::as_api::get_unit)'s `users`).
pub fn get_unit_users(client: &Client, unit_id: &str) -> ApiRv<UsersGetResponse> {
    call!(Api::As, "GET", "/unit/{unit_id}/user")
        .path("unit_id", unit_id)
        .error("Failed getting unit users")
        .run(client)
}

/// Adds a user to a unit: `PUT /unit/{unit_id}/user/{username}`.
pub fn add_user_to_unit(client: &Client, unit_id: &str, username: &str) -> ApiRv<NoContent> {
    call!(Api::As, "PUT", "/unit/{unit_id}/user/{username}")
        .path("unit_id", unit_id)
        .path("username", username)
        .error("Failed to add user to unit")
        .run(client)
}

/// Removes a user from a unit: `DELETE /unit/{unit_id}/user/{username}`.
pub fn remove_user_from_unit(client: &Client, unit_id: &str, username: &str) -> ApiRv<NoContent> {
    call!(Api::As, "DELETE", "/unit/{unit_id}/user/{username}")
        .path("unit_id", unit_id)
        .path("username", username)
        .error("Failed to remove user from unit")
        .run(client)
}
