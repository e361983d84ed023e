//! Products: subscriptions in a unit (Data Manager storage, or a Data Manager project tier)
//! with a coin allowance and limit.

use super::models::{
    ProductUnitGetResponse, ProductsGetDefaultStorageCost, ProductsGetResponse,
    ProductsGetTypesResponse, UnitProductPostResponse,
};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::client::{Api, Client};
use crate::request::{call, Auth};

/// The products you can see, in every unit and organisation: `GET /product`. `msg` is
/// `{"count", "products": [...]}`.
pub fn get_available_products(client: &Client) -> ApiRv<ProductsGetResponse> {
    call!(Api::As, "GET", "/product")
        .error("Failed getting products")
        .run(client)
}

/// One product with its unit and organisation: `GET /product/{product_id}`. `msg` is
/// `{"product": {...}}`.
pub fn get_product(client: &Client, product_id: &str) -> ApiRv<ProductUnitGetResponse> {
    call!(Api::As, "GET", "/product/{product_id}")
        .path("product_id", product_id)
        .error("Failed getting product")
        .run(client)
}

/// The default storage cost applied to products: `GET /product-default-storage-cost`.
/// `msg` is `{"default_storage_cost": {"cost", "units", "description"}}`.
pub fn get_product_default_storage_cost(client: &Client) -> ApiRv<ProductsGetDefaultStorageCost> {
    call!(Api::As, "GET", "/product-default-storage-cost")
        .error("Failed getting product default storage cost")
        .run(client)
}

/// The product types on offer: `GET /product-type`. `msg` is
/// `{"count", "product_types": [{"type", "flavour", "service_kind"}, ...]}`.
pub fn get_product_types(client: &Client) -> ApiRv<ProductsGetTypesResponse> {
    call!(Api::As, "GET", "/product-type")
        .error("Failed getting product types")
        .run(client)
}

/// The products of one unit: `GET /product/unit/{unit_id}`.
pub fn get_products_for_unit(client: &Client, unit_id: &str) -> ApiRv<ProductsGetResponse> {
    call!(Api::As, "GET", "/product/unit/{unit_id}")
        .path("unit_id", unit_id)
        .error("Failed getting products for unit")
        .run(client)
}

/// The products of one organisation: `GET /product/organisation/{org_id}`.
pub fn get_products_for_organisation(client: &Client, org_id: &str) -> ApiRv<ProductsGetResponse> {
    call!(Api::As, "GET", "/product/organisation/{org_id}")
        .path("org_id", org_id)
        .error("Failed getting products for organisation")
        .run(client)
}

/// Options of [`create_product`].
#[derive(Clone, Debug, Default)]
pub struct CreateProductOptions {
    /// The coin allowance per billing period (sent when not 0; must not be negative).
    pub allowance: i64,
    /// The coin limit per billing period (sent when not 0; must not be negative).
    pub limit: i64,
    /// The flavour, for types that have one: `EVALUATION`, `BRONZE`, `SILVER` or `GOLD`
    /// (sent when not empty), e.g. `ProductFlavour::Bronze.into()` or `"BRONZE".into()`
    /// ([`ProductFlavour`](super::ProductFlavour)).
    pub flavour: String,
}

/// Creates a product in a unit: `POST /product/unit/{unit_id}` with JSON
/// `{"type", "name", "flavour", "allowance", "limit"}` (the last three when set). `msg` is
/// `{"id"}`.
///
///
/// `product_type` is a [`ProductType`](super::ProductType) or its name:
/// `DATA_MANAGER_STORAGE_SUBSCRIPTION` (give an allowance) or
/// `DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION` (give a flavour). An empty name, unit or type, or
/// a negative allowance or limit, fails before anything is sent.
///
/// ```no_run
/// use squonk2::as_api::{self, CreateProductOptions, ProductFlavour, ProductType};
/// # fn main() -> anyhow::Result<()> {
/// let client = squonk2::Client::from_env()?;
/// let unit_id = "unit-11111111-1111-1111-1111-111111111111";
/// let product = as_api::create_product(
///     &client,
///     "Lab project",
///     unit_id,
///     ProductType::DataManagerProjectTierSubscription,
///     &CreateProductOptions { flavour: ProductFlavour::Bronze.into(), ..Default::default() },
/// )
/// .parse::<as_api::models::UnitProductPostResponse>()?;
/// println!("product {}", product.id);
/// # Ok(())
/// # }
/// ```
pub fn create_product(
    client: &Client,
    product_name: &str,
    unit_id: &str,
    product_type: impl super::AsProductType,
    opts: &CreateProductOptions,
) -> ApiRv<UnitProductPostResponse> {
    let product_type = product_type.product_type_name();
    let mut call = call!(Api::As, "POST", "/product/unit/{unit_id}")
        .require("product_name", product_name)
        .path("unit_id", unit_id)
        .require("product_type", product_type);
    // The Python client asserts `allowance >= 0` and `limit >= 0`.
    for (name, value) in [("allowance", opts.allowance), ("limit", opts.limit)] {
        if value < 0 {
            call = call.reject(format!("{name} must not be negative (got {value})"));
        }
    }
    call.json_field("type", product_type)
        .json_field("name", product_name)
        .json_field_if_set("flavour", opts.flavour.as_str())
        .json_field_if_set("allowance", opts.allowance)
        .json_field_if_set("limit", opts.limit)
        .error("Failed to create product")
        .run(client)
}

/// Options of [`alter_product`]: each field is sent when `Some`, even `0` or `""` (as in the
/// Python client).
#[derive(Clone, Debug, Default)]
pub struct AlterProductOptions {
    /// A new name.
    pub product_name: Option<String>,
    /// A new coin allowance.
    pub allowance: Option<i64>,
    /// A new coin limit.
    pub limit: Option<i64>,
}

/// Changes a product's name, allowance or limit: `PATCH /product/{product_id}` with JSON
/// `{"name", "allowance", "limit"}` (each when given; `{}` when none is).
///
/// As in the Python client, the token is sent only when the client has one.
pub fn alter_product(
    client: &Client,
    product_id: &str,
    opts: &AlterProductOptions,
) -> ApiRv<NoContent> {
    call!(Api::As, "PATCH", "/product/{product_id}")
        .auth(Auth::IfAvailable)
        .path("product_id", product_id)
        .json_field_some("name", opts.product_name.as_deref())
        .json_field_some("allowance", opts.allowance)
        .json_field_some("limit", opts.limit)
        .error("Failed to alter product")
        .run(client)
}

/// Deletes a product (a claimed one only once its claim, e.g. a Data Manager project, is
/// gone): `DELETE /product/{product_id}`.
pub fn delete_product(client: &Client, product_id: &str) -> ApiRv<NoContent> {
    call!(Api::As, "DELETE", "/product/{product_id}")
        .path("product_id", product_id)
        .error("Failed to delete product")
        .run(client)
}
