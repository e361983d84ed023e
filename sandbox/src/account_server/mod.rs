//! The Account Server API, under `/account-server-api`.
//!
//! Stateful: organisations (with owners and members), units (with billing days and members,
//! personal units in the built-in Default Organisation), products of both types and every
//! flavour, charges, assets, merchants (the sandbox's own Data Manager is merchant 1), event
//! streams and actions. Handlers mirror the official API's sections; bodies are typed after
//! the official schema names (`types.rs`) so that no field is missing or extra.
//!
//! Who may do what follows the official endpoint descriptions: admins (users whose tokens
//! carry `account-server-admin`) may do everything; organisation members (the owner
//! included) see and manage the organisation and its units and products; unit members see
//! and manage their unit and its products; everyone else gets 403.

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::auth::AuthUser;
use crate::error::{ApiError, Blank};
use crate::state::{lock, AppState, Shared};

mod assets;
mod charges;
mod control;
mod dates;
pub(crate) mod event_socket;
pub(crate) mod fixture;
mod organisations;
mod products;
pub(crate) mod state;
mod streams;
mod types;
mod units;

use state::{AsState, Caller, ChargeKind, NewCharge};

/// Where the API is mounted.
pub(crate) const PREFIX: &str = "/account-server-api";

/// The version this sandbox reports for the Account Server.
pub const AS_VERSION: &str = "4.4.0-sandbox";

/// Paths (below [`PREFIX`]) that need no token; `*` is one path segment.
pub(crate) const OPEN_PATHS: &[&str] = &["/version", "/event-stream/version"];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/version", get(get_version))
        .route("/action", get(streams::get_actions))
        .route(
            "/event-stream/version",
            get(streams::get_event_stream_version),
        )
        .route(
            "/event-stream",
            get(streams::get_event_stream).post(streams::create_event_stream),
        )
        .route(
            "/event-stream/{event_stream_id}",
            axum::routing::delete(streams::delete_event_stream),
        )
        .route("/merchant", get(assets::get_merchants))
        .route("/merchant/{merchant_id}", get(assets::get_merchant))
        .route("/asset", get(assets::get_assets).post(assets::create_asset))
        .route(
            "/asset/{asset_id}",
            get(assets::get_asset)
                .patch(assets::patch_asset)
                .delete(assets::delete_asset),
        )
        .route("/asset/{asset_id}/enable", patch(assets::enable_asset))
        .route("/asset/{asset_id}/disable", patch(assets::disable_asset))
        .route("/asset/{asset_id}/attach", patch(assets::attach_asset))
        .route("/asset/{asset_id}/detach", patch(assets::detach_asset))
        .route(
            "/organisation",
            get(organisations::get_organisations).post(organisations::create_organisation),
        )
        .route(
            "/organisation/{org_id}",
            get(organisations::get_organisation)
                .patch(organisations::patch_organisation)
                .delete(organisations::delete_organisation),
        )
        .route(
            "/default/organisation",
            get(organisations::get_default_organisation),
        )
        .route(
            "/organisation/{org_id}/user",
            get(organisations::get_organisation_users),
        )
        .route(
            "/organisation/{org_id}/user/{user_id}",
            put(organisations::add_organisation_user)
                .delete(organisations::remove_organisation_user),
        )
        .route(
            "/organisation/{org_id}/unit",
            get(units::get_organisation_units).post(units::create_unit),
        )
        .route(
            "/unit",
            get(units::get_units)
                .put(units::create_personal_unit)
                .delete(units::delete_personal_unit),
        )
        .route(
            "/unit/{unit_id}",
            get(units::get_unit)
                .patch(units::patch_unit)
                .delete(units::delete_unit),
        )
        .route("/unit/{unit_id}/user", get(units::get_unit_users))
        .route(
            "/unit/{unit_id}/user/{user_id}",
            put(units::add_unit_user).delete(units::remove_unit_user),
        )
        .route(
            "/personal-unit",
            get(units::get_personal_unit)
                .put(units::create_personal_unit)
                .delete(units::delete_personal_unit),
        )
        .route("/product-type", get(products::get_product_types))
        .route(
            "/product-default-storage-cost",
            get(products::get_default_storage_cost),
        )
        .route("/product", get(products::get_products))
        .route(
            "/product/organisation/{org_id}",
            get(products::get_organisation_products),
        )
        .route(
            "/product/unit/{unit_id}",
            get(products::get_unit_products).post(products::create_product),
        )
        .route(
            "/product/{product_id}",
            get(products::get_product)
                .patch(products::patch_product)
                .delete(products::delete_product),
        )
        .route("/charges", get(charges::get_charges))
        .route(
            "/charges/organisation/{org_id}",
            get(charges::get_organisation_charges),
        )
        .route(
            "/charges/product/{product_id}",
            get(charges::get_product_charges),
        )
        .route("/charges/unit/{unit_id}", get(charges::get_unit_charges))
        .route("/user/account", get(organisations::get_user_account))
}

#[derive(Serialize)]
struct StateGetVersionResponse {
    version: &'static str,
}

/// `GET /version`
async fn get_version() -> Json<StateGetVersionResponse> {
    Json(StateGetVersionResponse {
        version: AS_VERSION,
    })
}

impl From<&AuthUser> for Caller {
    fn from(user: &AuthUser) -> Caller {
        Caller {
            name: user.username.clone(),
            admin: user.may_be_admin,
        }
    }
}

/// Path parameters, with a JSON `{"error"}` 400 (not axum's text) when they cannot be read.
pub(crate) struct Params<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Params(value)),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

/// The decoded query pairs of a request.
pub(crate) struct QueryPairs(Vec<(String, String)>);

impl QueryPairs {
    pub(crate) fn of(uri: &Uri) -> QueryPairs {
        QueryPairs(
            uri.query()
                .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
        )
    }

    /// The first non-empty value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// An integer parameter; a value that is not one is a 400.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|v| {
                v.trim().parse::<i64>().map_err(|_| {
                    ApiError::bad_request(format!("'{name}' must be an integer, not {v:?}"))
                })
            })
            .transpose()
    }

    /// A date parameter (`YYYY-MM-DD`); a value that is not one is a 400.
    pub(crate) fn date(&self, name: &str) -> Result<Option<dates::Date>, ApiError> {
        self.get(name)
            .map(|text| {
                dates::Date::parse(text).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "'{name}' must be a date (YYYY-MM-DD), not {text:?}"
                    ))
                })
            })
            .transpose()
    }
}

/// Reads a JSON body into `T` (a blank one as `{}`); anything unreadable is a 400
/// `{"error"}`.
pub(crate) async fn json_body<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    crate::error::json_body(
        body,
        Blank::EmptyObject,
        "the body is not the expected JSON",
    )
    .await
}

/// A 403 with the official `{"error"}` body.
pub(crate) fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, message)
}

/// A 404 with the official `{"error"}` body.
pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, message)
}

/// An answer with a status and no body (the official `void` answers).
pub(crate) fn no_content(status: StatusCode) -> Response {
    status.into_response()
}

/// A JSON answer with a status other than 200.
pub(crate) fn json_with<T: Serialize>(status: StatusCode, value: T) -> Response {
    (status, Json(value)).into_response()
}

/// Whether the Account Server has a product with this id (the Data Manager checks a
/// project's product here). The Data Manager's `TEST_PRODUCT_ID` is accepted by the caller.
pub(crate) fn product_exists(shared: &Shared, product_id: &str) -> bool {
    lock(&shared.account).product(product_id).is_some()
}

/// For the Data Manager: whether `username` is a member of the unit `unit_id` (or of its
/// organisation), or of the organisation `org_id`. Unknown ones have no members.
pub(crate) fn is_member(
    shared: &Shared,
    unit_id: Option<&str>,
    org_id: Option<&str>,
    username: &str,
) -> bool {
    let state = lock(&shared.account);
    let caller = Caller {
        name: username.to_owned(),
        admin: false,
    };
    match (unit_id, org_id) {
        (Some(unit_id), _) => state
            .unit(unit_id)
            .is_some_and(|unit| state.can_see_unit(unit, &caller)),
        (_, Some(org_id)) => state
            .org(org_id)
            .is_some_and(|org| AsState::is_org_member(org, username)),
        _ => false,
    }
}

/// What the Data Manager keeps of the product a project is on.
pub(crate) struct ProductHome {
    pub(crate) unit_id: String,
    pub(crate) organisation_id: String,
    /// A project-tier product's flavour (`BRONZE`, ...).
    pub(crate) flavour: Option<&'static str>,
}

/// For the Data Manager: the unit, organisation and flavour of a product (what a project on
/// it reports as its `unit_id`, `organisation_id` and `product_flavour`).
pub(crate) fn product_home(shared: &Shared, product_id: &str) -> Option<ProductHome> {
    let state = lock(&shared.account);
    let product = state.product(product_id)?;
    let unit = state.unit(&product.unit_id)?;
    Some(ProductHome {
        unit_id: unit.id.clone(),
        organisation_id: unit.org_id.clone(),
        flavour: product.flavour.map(|f| f.name()),
    })
}

/// For fixtures: the id of the project-tier product whose id or name is `wanted`.
pub(crate) fn tier_product_named(shared: &Shared, wanted: &str) -> Option<String> {
    let state = lock(&shared.account);
    let tier = |p: &&state::Product| p.kind == state::ProductType::ProjectTier;
    state
        .products
        .iter()
        .filter(tier)
        .find(|p| p.id == wanted)
        .or_else(|| {
            state
                .products
                .iter()
                .filter(tier)
                .find(|p| p.name == wanted)
        })
        .map(|p| p.id.clone())
}

/// For the Data Manager: marks a project-tier product as claimed by a project (so that the
/// product cannot be deleted while the project exists). Fails for an unknown product, a
/// storage product, or one another project has claimed.
pub(crate) fn claim_product(
    shared: &Shared,
    product_id: &str,
    project_id: &str,
    project_name: &str,
) -> Result<(), String> {
    lock(&shared.account).claim(product_id, project_id, project_name)
}

/// For the Data Manager: removes a project's claim on a product (when the project is
/// deleted). Unknown products and other projects' claims are left alone.
pub(crate) fn release_product(shared: &Shared, product_id: &str, project_id: &str) {
    lock(&shared.account).release(product_id, project_id)
}

/// For the Data Manager: charges coins (hundredths) to a product for work done by `username`
/// (an instance or job named `name`, described by `additional_data`), as the Data Manager
/// merchant.
pub(crate) fn record_processing_charge(
    shared: &Shared,
    product_id: &str,
    username: &str,
    name: &str,
    coins_hundredths: i64,
    additional_data: serde_json::Map<String, serde_json::Value>,
) -> Result<i64, String> {
    lock(&shared.account).add_charge(NewCharge {
        kind: ChargeKind::Processing,
        product_id: product_id.to_owned(),
        coins: coins_hundredths,
        username: username.to_owned(),
        name: Some(name.to_owned()).filter(|n| !n.is_empty()),
        date: None,
        additional_data,
    })
}
