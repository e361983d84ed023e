//! Units (personal units included) and their users.

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::organisations::{known_user, privacy_of, required};
use super::state::{ActionAbout, AsState, Caller, Scope, Unit, DEFAULT_ORG_ID};
use super::types::{
    organisation_all_detail, unit_all_detail, unit_detail, users_response, IdResponse,
    OrganisationUnitsGetResponse, PersonalUnitPutResponse, UnitAllDetail, UnitsGetResponse,
    UsersGetResponse,
};
use super::{forbidden, json_body, json_with, no_content, not_found, Params, QueryPairs};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// `GET /unit[?name=]`: the units the caller may see, grouped by organisation.
pub(crate) async fn get_units(
    State(shared): State<AppState>,
    user: AuthUser,
    uri: Uri,
) -> Json<UnitsGetResponse> {
    let caller = Caller::from(&user);
    let query = QueryPairs::of(&uri);
    let state = lock(&shared.account);
    let groups = state
        .organisations
        .iter()
        .filter_map(|org| {
            let units: Vec<UnitAllDetail> = state
                .units
                .iter()
                .filter(|u| u.org_id == org.id && state.can_see_unit(u, &caller))
                .filter(|u| query.get("name").is_none_or(|name| u.name == name))
                .map(|u| unit_all_detail(u, &caller))
                .collect();
            (!units.is_empty()).then(|| OrganisationUnitsGetResponse {
                count: units.len(),
                organisation: organisation_all_detail(org, &caller),
                units,
            })
        })
        .collect();
    Json(UnitsGetResponse { units: groups })
}

/// `GET /organisation/{org_id}/unit`: all of them for the organisation's members, else the
/// ones the caller belongs to.
pub(crate) async fn get_organisation_units(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(org_id): Params<String>,
) -> Result<Json<OrganisationUnitsGetResponse>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let org = state
        .org(&org_id)
        .ok_or_else(|| not_found(format!("Organisation {org_id} does not exist")))?;
    let units: Vec<UnitAllDetail> = state
        .units
        .iter()
        .filter(|u| u.org_id == org_id && state.can_see_unit(u, &caller))
        .map(|u| unit_all_detail(u, &caller))
        .collect();
    if units.is_empty() && !AsState::can_see_org(org, &caller) {
        return Err(forbidden(format!(
            "You are not a member of Organisation {org_id}"
        )));
    }
    Ok(Json(OrganisationUnitsGetResponse {
        count: units.len(),
        organisation: organisation_all_detail(org, &caller),
        units,
    }))
}

#[derive(Deserialize)]
pub(crate) struct UnitPostBody {
    name: Option<String>,
    billing_day: Option<serde_json::Value>,
    default_product_privacy: Option<String>,
}

/// A billing day from a body: a whole number from 1 to 28.
pub(crate) fn billing_day_of(value: Option<&serde_json::Value>) -> Result<u32, ApiError> {
    let value = value.ok_or_else(|| ApiError::bad_request("'billing_day' is required"))?;
    value
        .as_u64()
        .filter(|d| (1..=28).contains(d))
        .map(|d| d as u32)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "'billing_day' must be a whole number from 1 to 28, not {value}"
            ))
        })
}

/// `POST /organisation/{org_id}/unit` (the organisation's members and admins).
pub(crate) async fn create_unit(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(org_id): Params<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let body: UnitPostBody = json_body(body).await?;
    let caller = Caller::from(&user);
    let id = format!("unit-{}", shared.key.random_uuid());
    let mut state = lock(&shared.account);
    let org = state
        .org(&org_id)
        .ok_or_else(|| ApiError::bad_request(format!("Organisation {org_id} does not exist")))?;
    if org.is_default() {
        return Err(forbidden(
            "Units of the Default Organisation are Personal Units: use PUT /personal-unit",
        ));
    }
    if !AsState::can_see_org(org, &caller) {
        return Err(forbidden(format!(
            "You are not a member of Organisation {org_id}"
        )));
    }
    let name = required(body.name, "name")?;
    let billing_day = billing_day_of(body.billing_day.as_ref())?;
    let privacy = privacy_of(body.default_product_privacy.as_deref())?.unwrap_or(org.privacy);
    if !org.privacy.allows(privacy) {
        return Err(ApiError::bad_request(format!(
            "Organisation {org_id} is {}: its Units cannot be {}",
            org.privacy.name(),
            privacy.name()
        )));
    }
    if state
        .units
        .iter()
        .any(|u| u.org_id == org_id && u.name == name)
    {
        return Err(ApiError::bad_request(format!(
            "Organisation {org_id} already has a Unit called {name:?}"
        )));
    }
    let unit = Unit {
        id: id.clone(),
        org_id,
        name,
        owner: caller.name,
        created: state.now(),
        billing_day,
        privacy,
        members: Vec::new(),
    };
    add_unit(&mut state, unit);
    Ok(json_with(StatusCode::CREATED, IdResponse { id }))
}

/// Adds a new unit and records its creation (by its owner).
fn add_unit(state: &mut AsState, unit: Unit) {
    let about = ActionAbout {
        org_id: Some(unit.org_id.clone()),
        unit_id: Some(unit.id.clone()),
        fields: vec![("name", unit.name.clone()), ("by", unit.owner.clone())],
        ..Default::default()
    };
    state.units.push(unit);
    state.record_action("UnitCreate", about);
}

/// A unit the caller may see and manage (`missing` is the status for an unknown id, as the
/// official endpoint declares it).
pub(crate) fn visible_unit<'a>(
    state: &'a AsState,
    unit_id: &str,
    caller: &Caller,
    missing: StatusCode,
) -> Result<&'a Unit, ApiError> {
    let unit = state
        .unit(unit_id)
        .ok_or_else(|| ApiError::new(missing, format!("Unit {unit_id} does not exist")))?;
    if !state.can_see_unit(unit, caller) {
        return Err(forbidden(format!(
            "You are not a member of Unit {unit_id} or of its Organisation"
        )));
    }
    Ok(unit)
}

/// `GET /unit/{unit_id}`
pub(crate) async fn get_unit(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(unit_id): Params<String>,
) -> Result<Json<UnitAllDetail>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let unit = visible_unit(&state, &unit_id, &caller, StatusCode::NOT_FOUND)?;
    Ok(Json(unit_all_detail(unit, &caller)))
}

#[derive(Deserialize)]
pub(crate) struct UnitPatchBody {
    name: Option<String>,
    default_product_privacy: Option<String>,
}

/// `PATCH /unit/{unit_id}`: a new name, or a default product privacy the organisation allows.
pub(crate) async fn patch_unit(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(unit_id): Params<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let body: UnitPatchBody = json_body(body).await?;
    let caller = Caller::from(&user);
    let privacy = privacy_of(body.default_product_privacy.as_deref())?;
    let mut state = lock(&shared.account);
    let unit = visible_unit(&state, &unit_id, &caller, StatusCode::NOT_FOUND)?;
    if let Some(name) = &body.name {
        if name.trim().is_empty() {
            return Err(ApiError::bad_request("'name' cannot be empty"));
        }
        if state
            .units
            .iter()
            .any(|u| u.org_id == unit.org_id && &u.name == name && u.id != unit_id)
        {
            return Err(ApiError::bad_request(format!(
                "The Organisation already has a Unit called {name:?}"
            )));
        }
    }
    if let (Some(privacy), Some(org)) = (privacy, state.org(&unit.org_id)) {
        if !org.privacy.allows(privacy) {
            return Err(ApiError::bad_request(format!(
                "The Unit's Organisation is {}: the Unit cannot be {}",
                org.privacy.name(),
                privacy.name()
            )));
        }
    }
    if let Some(unit) = state.units.iter_mut().find(|u| u.id == unit_id) {
        if let Some(name) = body.name {
            unit.name = name;
        }
        if let Some(privacy) = privacy {
            unit.privacy = privacy;
        }
    }
    Ok(no_content(StatusCode::OK))
}

/// Removes a unit with no products (and its assets).
fn remove_unit(state: &mut AsState, unit_id: &str, by: &str) -> Result<(), ApiError> {
    let products = state
        .products
        .iter()
        .filter(|p| p.unit_id == unit_id)
        .count();
    if products > 0 {
        return Err(forbidden(format!(
            "Unit {unit_id} still has {products} Product(s): delete them first"
        )));
    }
    let Some(unit) = state.unit(unit_id).cloned() else {
        return Ok(());
    };
    state.units.retain(|u| u.id != unit_id);
    state
        .assets
        .retain(|a| !(a.scope == Scope::Unit && a.scope_id == unit_id));
    state.record_action(
        "UnitDelete",
        ActionAbout {
            org_id: Some(unit.org_id),
            unit_id: Some(unit.id),
            fields: vec![("name", unit.name), ("by", by.to_owned())],
            ..Default::default()
        },
    );
    Ok(())
}

/// `DELETE /unit/{unit_id}`: not a personal unit, and only once its products are gone.
pub(crate) async fn delete_unit(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(unit_id): Params<String>,
) -> Result<Response, ApiError> {
    let caller = Caller::from(&user);
    let mut state = lock(&shared.account);
    let unit = visible_unit(&state, &unit_id, &caller, StatusCode::NOT_FOUND)?;
    if unit.is_personal() {
        return Err(forbidden(format!(
            "Unit {unit_id} is a Personal Unit: use DELETE /personal-unit"
        )));
    }
    remove_unit(&mut state, &unit_id, &caller.name)?;
    Ok(no_content(StatusCode::NO_CONTENT))
}

/// The caller's personal unit.
fn personal_unit<'a>(state: &'a AsState, caller: &Caller) -> Option<&'a Unit> {
    state
        .units
        .iter()
        .find(|u| u.is_personal() && u.owner == caller.name)
}

/// `GET /personal-unit`
pub(crate) async fn get_personal_unit(
    State(shared): State<AppState>,
    user: AuthUser,
) -> Result<Json<UnitAllDetail>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let unit = personal_unit(&state, &caller)
        .ok_or_else(|| not_found("You do not have a Personal Unit"))?;
    Ok(Json(unit_all_detail(unit, &caller)))
}

#[derive(Deserialize)]
pub(crate) struct PersonalUnitPutBody {
    billing_day: Option<serde_json::Value>,
}

/// `PUT /personal-unit` (and the deprecated `PUT /unit`): one per user, named after them.
pub(crate) async fn create_personal_unit(
    State(shared): State<AppState>,
    user: AuthUser,
    body: Body,
) -> Result<Response, ApiError> {
    let body: PersonalUnitPutBody = json_body(body).await?;
    let caller = Caller::from(&user);
    let billing_day = billing_day_of(body.billing_day.as_ref())?;
    let id = format!("unit-{}", shared.key.random_uuid());
    let mut state = lock(&shared.account);
    if personal_unit(&state, &caller).is_some() {
        return Err(ApiError::bad_request("You already have a Personal Unit"));
    }
    let privacy = state
        .org(DEFAULT_ORG_ID)
        .map_or(super::state::Privacy::DefaultPrivate, |o| o.privacy);
    let unit = Unit {
        id: id.clone(),
        org_id: DEFAULT_ORG_ID.to_owned(),
        name: caller.name.clone(),
        owner: caller.name,
        created: state.now(),
        billing_day,
        privacy,
        members: Vec::new(),
    };
    add_unit(&mut state, unit);
    Ok(json_with(
        StatusCode::CREATED,
        PersonalUnitPutResponse {
            organisation_id: DEFAULT_ORG_ID.to_owned(),
            id,
        },
    ))
}

/// `DELETE /personal-unit` (and the deprecated `DELETE /unit`): once its products are gone.
pub(crate) async fn delete_personal_unit(
    State(shared): State<AppState>,
    user: AuthUser,
) -> Result<Response, ApiError> {
    let caller = Caller::from(&user);
    let mut state = lock(&shared.account);
    let unit_id = personal_unit(&state, &caller)
        .map(|u| u.id.clone())
        .ok_or_else(|| not_found("You do not have a Personal Unit"))?;
    remove_unit(&mut state, &unit_id, &caller.name)?;
    Ok(no_content(StatusCode::NO_CONTENT))
}

/// `GET /unit/{unit_id}/user`
pub(crate) async fn get_unit_users(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(unit_id): Params<String>,
) -> Result<Json<UsersGetResponse>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let unit = visible_unit(&state, &unit_id, &caller, StatusCode::BAD_REQUEST)?;
    Ok(Json(users_response(
        &unit.members,
        None,
        Some(unit_detail(unit, &caller)),
    )))
}

/// A unit whose members the caller may change (not a personal unit).
fn changeable_unit<'a>(
    state: &'a mut AsState,
    unit_id: &str,
    caller: &Caller,
) -> Result<&'a mut Unit, ApiError> {
    let personal = visible_unit(state, unit_id, caller, StatusCode::BAD_REQUEST)?.is_personal();
    if personal {
        return Err(ApiError::bad_request(
            "Users cannot be added to or removed from a Personal Unit",
        ));
    }
    state
        .units
        .iter_mut()
        .find(|u| u.id == unit_id)
        .ok_or_else(|| ApiError::bad_request(format!("Unit {unit_id} does not exist")))
}

/// `PUT /unit/{unit_id}/user/{user_id}`
pub(crate) async fn add_unit_user(
    State(shared): State<AppState>,
    user: AuthUser,
    Params((unit_id, user_id)): Params<(String, String)>,
) -> Result<Response, ApiError> {
    let caller = Caller::from(&user);
    let name = known_user(&shared, &user_id)?;
    let mut state = lock(&shared.account);
    let unit = changeable_unit(&mut state, &unit_id, &caller)?;
    if AsState::is_unit_member(unit, &name) {
        return Err(ApiError::bad_request(format!(
            "{name} is already a member of Unit {unit_id}"
        )));
    }
    unit.members.push(name);
    Ok(no_content(StatusCode::CREATED))
}

/// `DELETE /unit/{unit_id}/user/{user_id}` (not the unit's owner).
pub(crate) async fn remove_unit_user(
    State(shared): State<AppState>,
    user: AuthUser,
    Params((unit_id, user_id)): Params<(String, String)>,
) -> Result<Response, ApiError> {
    let caller = Caller::from(&user);
    let name = shared
        .find_user(&user_id)
        .map_or(user_id.clone(), |u| u.username);
    let mut state = lock(&shared.account);
    let unit = changeable_unit(&mut state, &unit_id, &caller)?;
    if unit.owner == name {
        return Err(ApiError::bad_request(format!(
            "{name} owns Unit {unit_id} and cannot be removed"
        )));
    }
    if !unit.members.contains(&name) {
        return Err(ApiError::bad_request(format!(
            "{name} is not a member of Unit {unit_id}"
        )));
    }
    unit.members.retain(|m| m != &name);
    Ok(no_content(StatusCode::NO_CONTENT))
}
