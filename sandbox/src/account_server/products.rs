//! Products: storage and project-tier subscriptions in a unit.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::dates::coins_text;
use super::organisations::required;
use super::state::{
    ActionAbout, AsState, Caller, Flavour, Product, ProductType, Scope, STORAGE_UNIT_COST,
};
use super::types::{
    product_entry, products_response, IdResponse, ProductTypeEntry, ProductUnitGetResponse,
    ProductsGetDefaultStorageCost, ProductsGetDefaultStorageCostDefaultStorageCost,
    ProductsGetResponse, ProductsGetTypesResponse,
};
use super::units::visible_unit;
use super::{forbidden, json_body, json_with, no_content, not_found, Params};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// `GET /product-type`: storage, and the project tier in each flavour.
pub(crate) async fn get_product_types(_user: AuthUser) -> Json<ProductsGetTypesResponse> {
    let mut product_types = vec![ProductTypeEntry {
        kind: ProductType::Storage.name(),
        flavour: None,
        service_kind: "DATA_MANAGER",
    }];
    product_types.extend(Flavour::ALL.iter().map(|f| ProductTypeEntry {
        kind: ProductType::ProjectTier.name(),
        flavour: Some(f.name()),
        service_kind: "DATA_MANAGER",
    }));
    Json(ProductsGetTypesResponse {
        count: product_types.len(),
        product_types,
    })
}

/// `GET /product-default-storage-cost`
pub(crate) async fn get_default_storage_cost(
    _user: AuthUser,
) -> Json<ProductsGetDefaultStorageCost> {
    Json(ProductsGetDefaultStorageCost {
        default_storage_cost: ProductsGetDefaultStorageCostDefaultStorageCost {
            cost: coins_text(STORAGE_UNIT_COST),
            units: "COINS/GiB/DAY",
            description: "Coins charged each day for every GiB (or part of one) of the \
                          day's peak storage",
        },
    })
}

/// `GET /product`: the products of every unit the caller may see.
pub(crate) async fn get_products(
    State(shared): State<AppState>,
    user: AuthUser,
) -> Json<ProductsGetResponse> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let visible = state.products.iter().filter(|p| {
        state
            .unit(&p.unit_id)
            .is_some_and(|u| state.can_see_unit(u, &caller))
    });
    Json(products_response(&state, visible, &caller))
}

/// `GET /product/organisation/{org_id}`
pub(crate) async fn get_organisation_products(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(org_id): Params<String>,
) -> Result<Json<ProductsGetResponse>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let org = state
        .org(&org_id)
        .ok_or_else(|| not_found(format!("Organisation {org_id} does not exist")))?;
    let visible: Vec<&Product> = state
        .products
        .iter()
        .filter(|p| {
            state
                .unit(&p.unit_id)
                .is_some_and(|u| u.org_id == org_id && state.can_see_unit(u, &caller))
        })
        .collect();
    if visible.is_empty() && !AsState::can_see_org(org, &caller) {
        return Err(forbidden(format!(
            "You are not a member of Organisation {org_id}"
        )));
    }
    Ok(Json(products_response(
        &state,
        visible.into_iter(),
        &caller,
    )))
}

/// `GET /product/unit/{unit_id}`
pub(crate) async fn get_unit_products(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(unit_id): Params<String>,
) -> Result<Json<ProductsGetResponse>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    visible_unit(&state, &unit_id, &caller, StatusCode::NOT_FOUND)?;
    let products = state.products.iter().filter(|p| p.unit_id == unit_id);
    Ok(Json(products_response(&state, products, &caller)))
}

#[derive(Deserialize)]
pub(crate) struct ProductPostBody {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    flavour: Option<String>,
    allowance: Option<serde_json::Value>,
    limit: Option<serde_json::Value>,
}

/// A coin amount from a body: a whole number, 0 or more.
fn whole_coins(value: Option<&serde_json::Value>, field: &str) -> Result<Option<i64>, ApiError> {
    value
        .map(|v| {
            v.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "'{field}' must be a whole number of coins, 0 or more, not {v}"
                ))
            })
        })
        .transpose()
}

/// Checks that a limit is not below an allowance.
fn check_limit(allowance: i64, limit: i64) -> Result<(), ApiError> {
    if limit < allowance {
        return Err(ApiError::bad_request(format!(
            "The limit ({limit}) cannot be less than the allowance ({allowance})"
        )));
    }
    Ok(())
}

/// The flavour, allowance and limit of a new product of type `kind`, from what was asked:
/// a storage product needs an allowance and has no flavour; a project-tier product needs a
/// flavour, whose allowance and limit are the defaults.
pub(crate) fn product_terms(
    kind: ProductType,
    flavour: Option<String>,
    allowance: Option<i64>,
    limit: Option<i64>,
) -> Result<(Option<Flavour>, i64, i64), ApiError> {
    let (flavour, allowance, limit) = match kind {
        ProductType::Storage => {
            if flavour.is_some() {
                return Err(ApiError::bad_request(format!(
                    "A {} has no flavour",
                    kind.name()
                )));
            }
            let allowance = allowance.filter(|a| *a > 0).ok_or_else(|| {
                ApiError::bad_request(format!("A {} needs an allowance", kind.name()))
            })?;
            (None, allowance, limit.unwrap_or(allowance))
        }
        ProductType::ProjectTier => {
            let flavour_name = flavour.unwrap_or_default();
            let flavour = Flavour::parse(&flavour_name).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "A {} needs a flavour (EVALUATION, BRONZE, SILVER or GOLD), not {flavour_name:?}",
                    kind.name()
                ))
            })?;
            let (default_allowance, default_limit) = flavour.coins();
            let allowance = allowance.unwrap_or(default_allowance);
            (
                Some(flavour),
                allowance,
                limit.unwrap_or(default_limit.max(allowance)),
            )
        }
    };
    check_limit(allowance, limit)?;
    Ok((flavour, allowance, limit))
}

/// `POST /product/unit/{unit_id}` (the unit's or its organisation's members, and admins).
///
/// A `DATA_MANAGER_STORAGE_SUBSCRIPTION` needs an allowance (its limit defaults to it) and
/// has no flavour; a `DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION` needs a flavour, whose
/// allowance and limit apply unless given.
pub(crate) async fn create_product(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(unit_id): Params<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let body: ProductPostBody = json_body(body).await?;
    let caller = Caller::from(&user);
    let id = format!("product-{}", shared.key.random_uuid());
    let mut state = lock(&shared.account);
    let unit = visible_unit(&state, &unit_id, &caller, StatusCode::BAD_REQUEST)?;
    let org_id = unit.org_id.clone();
    let name = required(body.name, "name")?;
    let kind_name = required(body.kind, "type")?;
    let kind = ProductType::parse(&kind_name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "'type' must be {} or {}, not {kind_name:?}",
            ProductType::Storage.name(),
            ProductType::ProjectTier.name()
        ))
    })?;
    let allowance = whole_coins(body.allowance.as_ref(), "allowance")?;
    let limit = whole_coins(body.limit.as_ref(), "limit")?;
    let (flavour, allowance, limit) = product_terms(kind, body.flavour, allowance, limit)?;
    if state
        .products
        .iter()
        .any(|p| p.unit_id == unit_id && p.name == name)
    {
        return Err(ApiError::bad_request(format!(
            "Unit {unit_id} already has a Product called {name:?}"
        )));
    }
    let created = state.now();
    state.products.push(Product {
        id: id.clone(),
        unit_id: unit_id.clone(),
        kind,
        flavour,
        name: name.clone(),
        created,
        allowance,
        limit,
        claim: None,
        storage_bytes: 0,
        storage_peak: None,
    });
    state.record_action(
        "ProductCreate",
        ActionAbout {
            org_id: Some(org_id),
            unit_id: Some(unit_id),
            product_id: Some(id.clone()),
            fields: vec![
                ("name", name),
                ("type", kind.name().to_owned()),
                ("by", caller.name),
            ],
            ..Default::default()
        },
    );
    Ok(json_with(StatusCode::CREATED, IdResponse { id }))
}

/// A product the caller may see and manage.
pub(crate) fn visible_product<'a>(
    state: &'a AsState,
    product_id: &str,
    caller: &Caller,
    missing: StatusCode,
) -> Result<&'a Product, ApiError> {
    let product = state
        .product(product_id)
        .ok_or_else(|| ApiError::new(missing, format!("Product {product_id} does not exist")))?;
    if !state
        .unit(&product.unit_id)
        .is_some_and(|u| state.can_see_unit(u, caller))
    {
        return Err(forbidden(format!(
            "You are not a member of the Unit of Product {product_id} or of its Organisation"
        )));
    }
    Ok(product)
}

/// `GET /product/{product_id}`
pub(crate) async fn get_product(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(product_id): Params<String>,
) -> Result<Json<ProductUnitGetResponse>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let product = visible_product(&state, &product_id, &caller, StatusCode::BAD_REQUEST)?;
    let product = product_entry(&state, product, &caller)
        .ok_or_else(|| ApiError::bad_request(format!("Product {product_id} has no Unit")))?;
    Ok(Json(ProductUnitGetResponse { product }))
}

#[derive(Deserialize)]
pub(crate) struct ProductPatchBody {
    name: Option<String>,
    allowance: Option<serde_json::Value>,
    limit: Option<serde_json::Value>,
}

/// `PATCH /product/{product_id}`: a new name, allowance or limit.
pub(crate) async fn patch_product(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(product_id): Params<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let body: ProductPatchBody = json_body(body).await?;
    let caller = Caller::from(&user);
    let allowance = whole_coins(body.allowance.as_ref(), "allowance")?;
    let limit = whole_coins(body.limit.as_ref(), "limit")?;
    let mut state = lock(&shared.account);
    let product = visible_product(&state, &product_id, &caller, StatusCode::NOT_FOUND)?;
    if let Some(name) = &body.name {
        if name.trim().is_empty() {
            return Err(ApiError::bad_request("'name' cannot be empty"));
        }
        if state
            .products
            .iter()
            .any(|p| p.unit_id == product.unit_id && &p.name == name && p.id != product_id)
        {
            return Err(ApiError::bad_request(format!(
                "The Unit already has a Product called {name:?}"
            )));
        }
    }
    let new_allowance = allowance.unwrap_or(product.allowance);
    let new_limit = limit.unwrap_or(product.limit);
    check_limit(new_allowance, new_limit)?;
    if let Some(product) = state.products.iter_mut().find(|p| p.id == product_id) {
        if let Some(name) = body.name {
            product.name = name;
        }
        product.allowance = new_allowance;
        product.limit = new_limit;
    }
    Ok(no_content(StatusCode::OK))
}

/// `DELETE /product/{product_id}`: not while it is claimed (by a Data Manager project).
/// Its assets go with it; its charges stay on the unit's and organisation's records.
pub(crate) async fn delete_product(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(product_id): Params<String>,
) -> Result<Response, ApiError> {
    let caller = Caller::from(&user);
    let mut state = lock(&shared.account);
    let product = visible_product(&state, &product_id, &caller, StatusCode::NOT_FOUND)?;
    if let Some(claim) = &product.claim {
        return Err(forbidden(format!(
            "Product {product_id} is claimed by {}: remove the claim (delete the Data Manager \
             Project) first",
            claim.id
        )));
    }
    let unit_id = product.unit_id.clone();
    let name = product.name.clone();
    let org_id = state.unit(&unit_id).map(|u| u.org_id.clone());
    state.products.retain(|p| p.id != product_id);
    state
        .assets
        .retain(|a| !(a.scope == Scope::Product && a.scope_id == product_id));
    state.record_action(
        "ProductDelete",
        ActionAbout {
            org_id,
            unit_id: Some(unit_id),
            product_id: Some(product_id),
            fields: vec![("name", name), ("by", caller.name)],
            ..Default::default()
        },
    );
    Ok(no_content(StatusCode::NO_CONTENT))
}
