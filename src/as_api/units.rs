//! Units: the groups inside an organisation that own products, each with a billing day;
//! and personal units, a user's own unit in the Default Organisation.

use super::models::{
    OrganisationUnitPostResponse, OrganisationUnitsGetResponse, PersonalUnitPutResponse,
    UnitAllDetail, UnitsGetResponse,
};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::as_api::DefaultProductPrivacyEnum;
use crate::client::{Api, Client};
use crate::request::{call, Auth};

/// The units you can see, grouped by organisation: `GET /unit`. `msg` is
/// `{"units": [{"organisation", "units", "count"}, ...]}`.
pub fn get_available_units(client: &Client) -> ApiRv<UnitsGetResponse> {
    call!(Api::As, "GET", "/unit")
        .error("Failed getting units")
        .run(client)
}

/// Options of [`get_units`].
#[derive(Clone, Debug, Default)]
pub struct GetUnitsOptions {
    /// Only the unit with this name (sent as `name` when not empty).
    pub unit_name: Option<String>,
}

/// The units you can see, or the one with a name: `GET /unit?name=…`.
pub fn get_units(client: &Client, opts: &GetUnitsOptions) -> ApiRv<UnitsGetResponse> {
    call!(Api::As, "GET", "/unit")
        .query("name", &opts.unit_name)
        .error("Failed to get units")
        .run(client)
}

/// One unit with its users: `GET /unit/{unit_id}`.
pub fn get_unit(client: &Client, unit_id: &str) -> ApiRv<UnitAllDetail> {
    call!(Api::As, "GET", "/unit/{unit_id}")
        .path("unit_id", unit_id)
        .error("Failed to get unit")
        .run(client)
}

/// The units of one organisation: `GET /organisation/{org_id}/unit`.
pub fn get_organisation_units(
    client: &Client,
    org_id: &str,
) -> ApiRv<OrganisationUnitsGetResponse> {
    call!(Api::As, "GET", "/organisation/{org_id}/unit")
        .path("org_id", org_id)
        .error("Failed to get organisation units")
        .run(client)
}

/// Creates a unit in an organisation you belong to: `POST /organisation/{org_id}/unit` with
/// JSON `{"billing_day", "name"}`. `billing_day` is the day of the month (1 to 28) that
/// billing periods start. `msg` is `{"id"}`. An empty name or a 0 billing day fails before
/// anything is sent.
///
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// let client = squonk2::Client::from_env()?;
/// let org_id = "org-11111111-1111-1111-1111-111111111111";
/// let unit = squonk2::as_api::create_unit(&client, "Chemistry", org_id, 3).into_result()?;
/// println!("unit {}", unit["id"]);
/// # Ok(())
/// # }
/// ```
pub fn create_unit(
    client: &Client,
    unit_name: &str,
    org_id: &str,
    billing_day: i64,
) -> ApiRv<OrganisationUnitPostResponse> {
    call!(Api::As, "POST", "/organisation/{org_id}/unit")
        .require("unit_name", unit_name)
        .path("org_id", org_id)
        .require_positive("billing_day", billing_day)
        .json_field("billing_day", billing_day)
        .json_field("name", unit_name)
        .error("Failed to create unit")
        .run(client)
}

/// Options of [`alter_unit`]: each field is sent when `Some` (an empty name too).
#[derive(Clone, Debug, Default)]
pub struct AlterUnitOptions {
    /// A new name.
    pub name: Option<String>,
    /// A new default privacy for the unit's products.
    pub default_product_privacy: Option<DefaultProductPrivacyEnum>,
}

/// Renames a unit or changes its default product privacy: `PATCH /unit/{unit_id}` with JSON
/// `{"name", "default_product_privacy"}` (each when given; `{}` when none is).
///
/// As in the Python client, the token is sent only when the client has one. The Python
/// client's error text here says "Failed to alter product"; ours says "Failed to alter unit".
pub fn alter_unit(client: &Client, unit_id: &str, opts: &AlterUnitOptions) -> ApiRv<NoContent> {
    call!(Api::As, "PATCH", "/unit/{unit_id}")
        .auth(Auth::IfAvailable)
        .path("unit_id", unit_id)
        .json_field_some("name", opts.name.as_deref())
        .json_field_some(
            "default_product_privacy",
            opts.default_product_privacy.as_ref().map(|p| p.as_str()),
        )
        .error("Failed to alter unit")
        .run(client)
}

/// Deletes a unit (it must have no products): `DELETE /unit/{unit_id}`.
pub fn delete_unit(client: &Client, unit_id: &str) -> ApiRv<NoContent> {
    call!(Api::As, "DELETE", "/unit/{unit_id}")
        .path("unit_id", unit_id)
        .error("Failed to delete unit")
        .run(client)
}

/// Creates your personal unit (in the Default Organisation): `PUT /personal-unit` with JSON
/// `{"billing_day"}`. `msg` is `{"organisation_id", "id"}`. A 0 billing day fails before
/// anything is sent.
pub fn create_personal_unit(client: &Client, billing_day: i64) -> ApiRv<PersonalUnitPutResponse> {
    call!(Api::As, "PUT", "/personal-unit")
        .require_positive("billing_day", billing_day)
        .json_field("billing_day", billing_day)
        .error("Failed to create personal unit")
        .run(client)
}

/// Deletes your personal unit: `DELETE /personal-unit`.
pub fn delete_personal_unit(client: &Client) -> ApiRv<NoContent> {
    call!(Api::As, "DELETE", "/personal-unit")
        .error("Failed to delete personal unit")
        .run(client)
}

/// Your personal unit: `GET /personal-unit`.
pub fn get_personal_unit(client: &Client) -> ApiRv<UnitAllDetail> {
    call!(Api::As, "GET", "/personal-unit")
        .error("Failed to get personal unit")
        .run(client)
}
