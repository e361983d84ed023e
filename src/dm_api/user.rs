//! The caller's user account: its details, the admin state and impersonation, its API log
//! and API token, and the list of users.

use super::models::{
    UserAccountDetail, UserApiLogGetResponse, UserApiTokenGetResponse, UsersGetResponse,
};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::client::{Api, Client};
use crate::request::call;

/// Options of [`get_account`].
#[derive(Clone, Debug, Default)]
pub struct GetAccountOptions {
    /// For an admin impersonating someone: get your own account instead.
    pub do_not_impersonate: bool,
}

/// The caller's account: `GET /user/account[?do_not_impersonate=True]`.
/// `msg` is `{"user": {...}, "caller_has_admin_privilege", "data_manager_roles"}`.
pub fn get_account(client: &Client, opts: &GetAccountOptions) -> ApiRv<UserAccountDetail> {
    call!(Api::Dm, "GET", "/user/account")
        .query("do_not_impersonate", opts.do_not_impersonate)
        .error("Failed to get account")
        .run(client)
}

/// The users that have used the Data Manager: `GET /user`.
pub fn get_users(client: &Client) -> ApiRv<UsersGetResponse> {
    call!(Api::Dm, "GET", "/user")
        .error("Failed to get users")
        .run(client)
}

/// Options of [`set_admin_state`].
#[derive(Clone, Debug, Default)]
pub struct SetAdminStateOptions {
    /// Act as this user from now on (admins only).
    pub impersonate: Option<String>,
}

/// Switches the caller's admin mode on or off, and optionally impersonates a user:
/// `PATCH /user/account` with the form `become_admin` (always) and `impersonate` (when set).
/// Only users with the admin role may do this.
pub fn set_admin_state(
    client: &Client,
    admin: bool,
    opts: &SetAdminStateOptions,
) -> ApiRv<NoContent> {
    call!(Api::Dm, "PATCH", "/user/account")
        .form_always("become_admin", admin)
        .form("impersonate", opts.impersonate.as_deref())
        .error("Failed to set the admin state")
        .run(client)
}

/// Options of [`get_api_log`].
#[derive(Clone, Debug, Default)]
pub struct GetApiLogOptions {
    /// Calls from this ISO-8601 date-time on (inclusive); sent as `from`.
    pub from_: Option<String>,
    /// Calls before this ISO-8601 date-time (exclusive).
    pub until: Option<String>,
}

/// The API calls recorded against the caller's account (GETs are not recorded):
/// `GET /user/api-log[?from=][&until=]`.
pub fn get_api_log(client: &Client, opts: &GetApiLogOptions) -> ApiRv<UserApiLogGetResponse> {
    call!(Api::Dm, "GET", "/user/api-log")
        .query("from", opts.from_.as_deref())
        .query("until", opts.until.as_deref())
        .error("Failed to get api log")
        .run(client)
}

/// The caller's API token: `GET /user/token`. `msg` is `{"token": "..."}`.
pub fn get_api_token(client: &Client) -> ApiRv<UserApiTokenGetResponse> {
    call!(Api::Dm, "GET", "/user/token")
        .error("Failed to get api token")
        .run(client)
}
