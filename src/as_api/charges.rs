//! Charges: the coins products have used, per product, unit, organisation or in total, for
//! the current billing period, a prior one, or a date range.

use super::models::{
    ChargesGetResponse, OrganisationChargesGetResponse, ProductChargesGetResponse,
    UnitChargesGetResponse,
};
use crate::api_rv::ApiRv;
use crate::client::{Api, Client};
use crate::request::{call, Call};

/// Options of [`get_charges`] and of the product, unit and organisation charge functions.
///
/// Dates are strings as Python's `str()` writes them: a date is `YYYY-MM-DD`
/// (`"2024-01-31"`), a date and time `YYYY-MM-DD HH:MM:SS` (`"2024-01-31 12:30:00"`). The
/// server also accepts other forms (it parses dates leniently).
///
/// ```no_run
/// use squonk2::as_api::{self, GetChargesOptions};
/// # fn main() -> anyhow::Result<()> {
/// let client = squonk2::Client::from_env()?;
/// let january = GetChargesOptions {
///     from_: Some("2024-01-01".into()),
///     until: Some("2024-02-01".into()),
///     ..Default::default()
/// };
/// let charges = as_api::get_charges(&client, &january).into_result()?;
/// println!("{} coins", charges["coins"]);
/// // The billing period before the current one:
/// let last = GetChargesOptions { pbp: Some(-1), ..Default::default() };
/// let _ = as_api::get_charges(&client, &last);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct GetChargesOptions {
    /// The first day (inclusive), sent as `from` when not empty.
    pub from_: Option<String>,
    /// The end (exclusive), sent when not empty.
    pub until: Option<String>,
    /// A prior billing period instead of dates: `-1` is the one before the current one, down
    /// to `-23`. Sent when not 0.
    pub pbp: Option<i64>,
}

/// Options of [`get_product_charges`] (the same as [`GetChargesOptions`]).
pub type GetProductChargesOptions = GetChargesOptions;
/// Options of [`get_unit_charges`] (the same as [`GetChargesOptions`]).
pub type GetUnitChargesOptions = GetChargesOptions;
/// Options of [`get_organisation_charges`] (the same as [`GetChargesOptions`]).
pub type GetOrganisationChargesOptions = GetChargesOptions;

/// The charges of every organisation (you need admin rights): `GET /charges` with `from`,
/// `until` and `pbp` (each when set). `msg` is
/// `{"coins", "count", "summary", "organisation_charges"}`, coins as decimal strings.
pub fn get_charges(client: &Client, opts: &GetChargesOptions) -> ApiRv<ChargesGetResponse> {
    with_range(call!(Api::As, "GET", "/charges"), opts)
        .error("Failed getting charges")
        .run(client)
}

/// The charges of one product: `GET /charges/product/{product_id}` with `from`, `until` and
/// `pbp` (each when set). Without them, the current billing period's.
pub fn get_product_charges(
    client: &Client,
    product_id: &str,
    opts: &GetProductChargesOptions,
) -> ApiRv<ProductChargesGetResponse> {
    let call =
        call!(Api::As, "GET", "/charges/product/{product_id}").path("product_id", product_id);
    with_range(call, opts)
        .error("Failed getting product charges")
        .run(client)
}

/// The charges of one unit, per product: `GET /charges/unit/{unit_id}` with `from`, `until`
/// and `pbp` (each when set).
pub fn get_unit_charges(
    client: &Client,
    unit_id: &str,
    opts: &GetUnitChargesOptions,
) -> ApiRv<UnitChargesGetResponse> {
    let call = call!(Api::As, "GET", "/charges/unit/{unit_id}").path("unit_id", unit_id);
    with_range(call, opts)
        .error("Failed getting unit charges")
        .run(client)
}

/// The charges of one organisation, per unit: `GET /charges/organisation/{org_id}` with
/// `from`, `until` and `pbp` (each when set).
pub fn get_organisation_charges(
    client: &Client,
    org_id: &str,
    opts: &GetOrganisationChargesOptions,
) -> ApiRv<OrganisationChargesGetResponse> {
    let call = call!(Api::As, "GET", "/charges/organisation/{org_id}").path("org_id", org_id);
    with_range(call, opts)
        .error("Failed getting organisation charges")
        .run(client)
}

/// The query every charge call shares: `from`, `until`, `pbp`, each only when set.
fn with_range<'a>(call: Call<'a>, opts: &GetChargesOptions) -> Call<'a> {
    call.query("from", &opts.from_)
        .query("until", &opts.until)
        .query("pbp", opts.pbp)
}
