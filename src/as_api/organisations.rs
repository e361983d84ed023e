//! Organisations: the top of the Account Server's hierarchy, each with an owner, members
//! and units.

use super::models::{
    OrganisationAllDetail, OrganisationGetDefaultResponse, OrganisationPostResponse,
    OrganisationsGetResponse,
};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::as_api::DefaultProductPrivacyEnum;
use crate::client::{Api, Client};
use crate::request::{call, Auth};

/// Options of [`get_organisations`].
#[derive(Clone, Debug, Default)]
pub struct GetOrganisationsOptions {
    /// Only the organisation with this name (sent as `name` when not empty).
    pub org_name: Option<String>,
}

/// The organisations you can see, or the one with a name: `GET /organisation?name=…`. `msg`
/// is `{"count", "organisations": [...]}`.
pub fn get_organisations(
    client: &Client,
    opts: &GetOrganisationsOptions,
) -> ApiRv<OrganisationsGetResponse> {
    call!(Api::As, "GET", "/organisation")
        .query("name", &opts.org_name)
        .error("Failed to get organisations")
        .run(client)
}

/// One organisation with its users: `GET /organisation/{org_id}`.
pub fn get_organisation(client: &Client, org_id: &str) -> ApiRv<OrganisationAllDetail> {
    call!(Api::As, "GET", "/organisation/{org_id}")
        .path("org_id", org_id)
        .error("Failed to get organisation")
        .run(client)
}

/// The Default Organisation, home of every personal unit: `GET /default/organisation`.
pub fn get_default_organisation(client: &Client) -> ApiRv<OrganisationGetDefaultResponse> {
    call!(Api::As, "GET", "/default/organisation")
        .error("Failed getting default organisation")
        .run(client)
}

/// Creates an organisation (you need admin rights): `POST /organisation` with JSON
/// `{"name", "owner"}`, `owner` being a username. `msg` is `{"id"}`. An empty name or owner
/// fails before anything is sent.
///
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// let client = squonk2::Client::from_env()?;
/// let org = squonk2::as_api::create_organisation(&client, "Acme", "alice").into_result()?;
/// println!("organisation {}", org["id"]);
/// # Ok(())
/// # }
/// ```
pub fn create_organisation(
    client: &Client,
    org_name: &str,
    org_owner: &str,
) -> ApiRv<OrganisationPostResponse> {
    call!(Api::As, "POST", "/organisation")
        .require("org_name", org_name)
        .require("org_owner", org_owner)
        .json_field("name", org_name)
        .json_field("owner", org_owner)
        .error("Failed to create organisation")
        .run(client)
}

/// Options of [`alter_organisation`]: each field is sent when `Some` (an empty name too).
#[derive(Clone, Debug, Default)]
pub struct AlterOrganisationOptions {
    /// A new name.
    pub name: Option<String>,
    /// A new default privacy for the products of the organisation's new units.
    pub default_product_privacy: Option<DefaultProductPrivacyEnum>,
}

/// Renames an organisation or changes its default product privacy:
/// `PATCH /organisation/{org_id}` with JSON `{"name", "default_product_privacy"}` (each when
/// given; `{}` when none is).
///
/// As in the Python client, the token is sent only when the client has one. The Python
/// client's error text here says "Failed to alter product"; ours says
/// "Failed to alter organisation".
pub fn alter_organisation(
    client: &Client,
    org_id: &str,
    opts: &AlterOrganisationOptions,
) -> ApiRv<NoContent> {
    call!(Api::As, "PATCH", "/organisation/{org_id}")
        .auth(Auth::IfAvailable)
        .path("org_id", org_id)
        .json_field_some("name", opts.name.as_deref())
        .json_field_some(
            "default_product_privacy",
            opts.default_product_privacy.as_ref().map(|p| p.as_str()),
        )
        .error("Failed to alter organisation")
        .run(client)
}

/// Deletes an organisation (you need admin rights; it must have no units):
/// `DELETE /organisation/{org_id}`.
pub fn delete_organisation(client: &Client, org_id: &str) -> ApiRv<NoContent> {
    call!(Api::As, "DELETE", "/organisation/{org_id}")
        .path("org_id", org_id)
        .error("Failed to delete organisation")
        .run(client)
}
