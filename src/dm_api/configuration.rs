//! The Data Manager's configuration: its mode, input handlers, schema and engine versions,
//! the file types it supports, and the user inventory.

use super::models::{
    InputHandlerGetResponse, InventoryUserGetResponse, ModeGetResponse, TypesGetResponse,
    VersionGetResponse,
};
use crate::api_rv::ApiRv;
use crate::client::{Api, Client};
use crate::request::{call, Auth};

/// The Data Manager's mode (`DEVELOPMENT` or `PRODUCTION`): `GET /mode`, sent without a
/// token. `msg` is `{"mode": "..."}`.
pub fn get_mode(client: &Client) -> ApiRv<ModeGetResponse> {
    call!(Api::Dm, "GET", "/mode")
        .auth(Auth::Never)
        .error("Failed getting mode")
        .run(client)
}

/// The Dataset input handlers the Data Manager has: `GET /input-handler`. The token is
/// sent when the client has one (the endpoint needs none).
pub fn get_input_handler(client: &Client) -> ApiRv<InputHandlerGetResponse> {
    call!(Api::Dm, "GET", "/input-handler")
        .auth(Auth::IfAvailable)
        .error("Failed getting input-handler")
        .run(client)
}

/// The version of the Job definition schema the Data Manager understands:
/// `GET /job-definition-schema/version`. The token is sent when the client has one.
pub fn get_job_definition_schema_version(client: &Client) -> ApiRv<VersionGetResponse> {
    call!(Api::Dm, "GET", "/job-definition-schema/version")
        .auth(Auth::IfAvailable)
        .error("Failed getting version")
        .run(client)
}

/// The version of the Data Manager's workflow engine: `GET /workflow-engine/version`. The
/// token is sent when the client has one.
pub fn get_workflow_engine_version(client: &Client) -> ApiRv<VersionGetResponse> {
    call!(Api::Dm, "GET", "/workflow-engine/version")
        .auth(Auth::IfAvailable)
        .error("Failed getting version")
        .run(client)
}

/// The file (MIME) types the Data Manager supports for Datasets: `GET /type`.
pub fn get_supported_file_types(client: &Client) -> ApiRv<TypesGetResponse> {
    call!(Api::Dm, "GET", "/type")
        .error("Failed to get types")
        .run(client)
}

/// Options of [`get_user_inventory`].
#[derive(Clone, Debug, Default)]
pub struct GetUserInventoryOptions {
    /// Only the users of this Organisation.
    pub org_id: Option<String>,
    /// Only the users of this Unit.
    pub unit_id: Option<String>,
    /// Only these users (sent comma-separated).
    pub usernames: Vec<String>,
}

/// The users of a Unit or Organisation with their Projects and Datasets:
/// `GET /inventory/user?org_id=&unit_id=&usernames=a,b` (each only when set).
pub fn get_user_inventory(
    client: &Client,
    opts: &GetUserInventoryOptions,
) -> ApiRv<InventoryUserGetResponse> {
    let usernames = (!opts.usernames.is_empty()).then(|| opts.usernames.join(","));
    call!(Api::Dm, "GET", "/inventory/user")
        .query("org_id", opts.org_id.as_deref())
        .query("unit_id", opts.unit_id.as_deref())
        .query_some("usernames", usernames)
        .error("Failed to get user inventory")
        .run(client)
}
