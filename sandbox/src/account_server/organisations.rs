//! Organisations, their users, the Default Organisation and the caller's account.

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::state::{ActionAbout, AsState, Caller, Organisation, Privacy, DEFAULT_ORG_ID};
use super::types::{
    organisation_all_detail, organisation_detail, users_response, IdResponse,
    OrganisationGetDefaultResponse, OrganisationsGetResponse, UserAccountDetail, UserDetail,
    UsersGetResponse,
};
use super::{forbidden, json_body, json_with, no_content, not_found, Params, QueryPairs};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::{lock, AppState, Shared};

/// `GET /organisation[?name=]`: the organisations the caller belongs to (admins: all, the
/// Default Organisation included, whose only members they are), or the one with that name.
pub(crate) async fn get_organisations(
    State(shared): State<AppState>,
    user: AuthUser,
    uri: Uri,
) -> Json<OrganisationsGetResponse> {
    let caller = Caller::from(&user);
    let query = QueryPairs::of(&uri);
    let state = lock(&shared.account);
    let organisations: Vec<_> = state
        .organisations
        .iter()
        .filter(|o| AsState::can_see_org(o, &caller))
        .filter(|o| query.get("name").is_none_or(|name| o.name == name))
        .map(|o| organisation_all_detail(o, &caller))
        .collect();
    Json(OrganisationsGetResponse {
        count: organisations.len(),
        organisations,
    })
}

#[derive(Deserialize)]
pub(crate) struct OrganisationPostBody {
    name: Option<String>,
    owner: Option<String>,
    default_product_privacy: Option<String>,
}

/// A privacy name from a body, or a 400.
pub(crate) fn privacy_of(name: Option<&str>) -> Result<Option<Privacy>, ApiError> {
    name.map(|name| {
        Privacy::parse(name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "default_product_privacy must be one of ALWAYS_PUBLIC, ALWAYS_PRIVATE, \
                 DEFAULT_PUBLIC, DEFAULT_PRIVATE, not {name:?}"
            ))
        })
    })
    .transpose()
}

/// A user Keycloak knows, by its canonical name, or a 400.
pub(crate) fn known_user(shared: &Shared, name: &str) -> Result<String, ApiError> {
    shared
        .find_user(name)
        .map(|u| u.username)
        .ok_or_else(|| ApiError::bad_request(format!("There is no user called {name:?}")))
}

/// A required, non-empty string field of a body, or a 400.
pub(crate) fn required(value: Option<String>, field: &str) -> Result<String, ApiError> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request(format!("'{field}' is required")))
}

/// `POST /organisation` (admins only).
pub(crate) async fn create_organisation(
    State(shared): State<AppState>,
    user: AuthUser,
    body: Body,
) -> Result<Response, ApiError> {
    let body: OrganisationPostBody = json_body(body).await?;
    if !user.may_be_admin {
        return Err(forbidden("You need admin rights to create an Organisation"));
    }
    let name = required(body.name, "name")?;
    let owner = known_user(&shared, &required(body.owner, "owner")?)?;
    let privacy =
        privacy_of(body.default_product_privacy.as_deref())?.unwrap_or(Privacy::DefaultPrivate);
    let id = format!("org-{}", shared.key.random_uuid());
    let mut state = lock(&shared.account);
    if state.organisations.iter().any(|o| o.name == name) {
        return Err(ApiError::bad_request(format!(
            "An Organisation called {name:?} already exists"
        )));
    }
    let created = state.now();
    state.organisations.push(Organisation {
        id: id.clone(),
        name: name.clone(),
        owner: Some(owner),
        created,
        privacy,
        members: Vec::new(),
    });
    state.record_action(
        "OrganisationCreate",
        ActionAbout {
            org_id: Some(id.clone()),
            fields: vec![("name", name), ("by", user.username.clone())],
            ..Default::default()
        },
    );
    Ok(json_with(StatusCode::CREATED, IdResponse { id }))
}

/// An organisation the caller may see (`missing` is the status for an unknown id, as the
/// official endpoint declares it).
fn visible_org<'a>(
    state: &'a AsState,
    org_id: &str,
    caller: &Caller,
    missing: StatusCode,
) -> Result<&'a Organisation, ApiError> {
    let org = state
        .org(org_id)
        .ok_or_else(|| ApiError::new(missing, format!("Organisation {org_id} does not exist")))?;
    if !AsState::can_see_org(org, caller) {
        return Err(forbidden(format!(
            "You are not a member of Organisation {org_id}"
        )));
    }
    Ok(org)
}

/// `GET /organisation/{org_id}`
pub(crate) async fn get_organisation(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(org_id): Params<String>,
) -> Result<Json<super::types::OrganisationAllDetail>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let org = visible_org(&state, &org_id, &caller, StatusCode::NOT_FOUND)?;
    Ok(Json(organisation_all_detail(org, &caller)))
}

#[derive(Deserialize)]
pub(crate) struct PatchBody {
    name: Option<String>,
    default_product_privacy: Option<String>,
}

/// `PATCH /organisation/{org_id}`: a new name or default product privacy (for new units).
pub(crate) async fn patch_organisation(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(org_id): Params<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let body: PatchBody = json_body(body).await?;
    let caller = Caller::from(&user);
    let privacy = privacy_of(body.default_product_privacy.as_deref())?;
    let mut state = lock(&shared.account);
    let org = visible_org(&state, &org_id, &caller, StatusCode::NOT_FOUND)?;
    if org.is_default() {
        return Err(forbidden("The Default Organisation cannot be changed"));
    }
    if let Some(name) = &body.name {
        if name.trim().is_empty() {
            return Err(ApiError::bad_request("'name' cannot be empty"));
        }
        if state
            .organisations
            .iter()
            .any(|o| &o.name == name && o.id != org_id)
        {
            return Err(ApiError::bad_request(format!(
                "An Organisation called {name:?} already exists"
            )));
        }
    }
    if let Some(org) = state.organisations.iter_mut().find(|o| o.id == org_id) {
        if let Some(name) = body.name {
            org.name = name;
        }
        if let Some(privacy) = privacy {
            org.privacy = privacy;
        }
    }
    Ok(no_content(StatusCode::OK))
}

/// `DELETE /organisation/{org_id}` (admins only; the organisation must have no units).
/// Its assets go with it.
pub(crate) async fn delete_organisation(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(org_id): Params<String>,
) -> Result<Response, ApiError> {
    if !user.may_be_admin {
        return Err(forbidden("You need admin rights to delete an Organisation"));
    }
    let mut state = lock(&shared.account);
    let org = state
        .org(&org_id)
        .ok_or_else(|| ApiError::bad_request(format!("Organisation {org_id} does not exist")))?;
    if org.is_default() {
        return Err(forbidden("The Default Organisation cannot be deleted"));
    }
    let units = state.units.iter().filter(|u| u.org_id == org_id).count();
    if units > 0 {
        return Err(ApiError::bad_request(format!(
            "Organisation {org_id} still has {units} Unit(s): delete them first"
        )));
    }
    let name = org.name.clone();
    state.organisations.retain(|o| o.id != org_id);
    state
        .assets
        .retain(|a| !(a.scope == super::state::Scope::Organisation && a.scope_id == org_id));
    state.record_action(
        "OrganisationDelete",
        ActionAbout {
            org_id: Some(org_id),
            fields: vec![("name", name), ("by", user.username.clone())],
            ..Default::default()
        },
    );
    Ok(no_content(StatusCode::NO_CONTENT))
}

/// `GET /default/organisation`: any user may see it.
pub(crate) async fn get_default_organisation(
    State(shared): State<AppState>,
    user: AuthUser,
) -> Result<Json<OrganisationGetDefaultResponse>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let org = state
        .org(DEFAULT_ORG_ID)
        .ok_or_else(|| not_found("There is no Default Organisation"))?;
    Ok(Json(OrganisationGetDefaultResponse {
        detail: organisation_detail(org, &caller),
    }))
}

/// `GET /organisation/{org_id}/user`
pub(crate) async fn get_organisation_users(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(org_id): Params<String>,
) -> Result<Json<UsersGetResponse>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let org = visible_org(&state, &org_id, &caller, StatusCode::BAD_REQUEST)?;
    Ok(Json(users_response(
        &org.members,
        Some(organisation_detail(org, &caller)),
        None,
    )))
}

/// An organisation whose members the caller may change.
fn changeable_org<'a>(
    state: &'a mut AsState,
    org_id: &str,
    caller: &Caller,
) -> Result<&'a mut Organisation, ApiError> {
    visible_org(state, org_id, caller, StatusCode::BAD_REQUEST)?;
    let org = state
        .organisations
        .iter_mut()
        .find(|o| o.id == org_id)
        .ok_or_else(|| ApiError::bad_request(format!("Organisation {org_id} does not exist")))?;
    if org.is_default() {
        return Err(forbidden(
            "Users cannot be added to or removed from the Default Organisation",
        ));
    }
    Ok(org)
}

/// `PUT /organisation/{org_id}/user/{user_id}` (members and admins).
pub(crate) async fn add_organisation_user(
    State(shared): State<AppState>,
    user: AuthUser,
    Params((org_id, user_id)): Params<(String, String)>,
) -> Result<Response, ApiError> {
    let caller = Caller::from(&user);
    let name = known_user(&shared, &user_id)?;
    let mut state = lock(&shared.account);
    let org = changeable_org(&mut state, &org_id, &caller)?;
    if AsState::is_org_member(org, &name) {
        return Err(ApiError::bad_request(format!(
            "{name} is already a member of Organisation {org_id}"
        )));
    }
    org.members.push(name);
    Ok(no_content(StatusCode::CREATED))
}

/// `DELETE /organisation/{org_id}/user/{user_id}` (members and admins; not the owner).
pub(crate) async fn remove_organisation_user(
    State(shared): State<AppState>,
    user: AuthUser,
    Params((org_id, user_id)): Params<(String, String)>,
) -> Result<Response, ApiError> {
    let caller = Caller::from(&user);
    let name = shared
        .find_user(&user_id)
        .map_or(user_id.clone(), |u| u.username);
    let mut state = lock(&shared.account);
    let org = changeable_org(&mut state, &org_id, &caller)?;
    if org.owner.as_deref() == Some(name.as_str()) {
        return Err(ApiError::bad_request(format!(
            "{name} owns Organisation {org_id} and cannot be removed"
        )));
    }
    if !org.members.contains(&name) {
        return Err(ApiError::bad_request(format!(
            "{name} is not a member of Organisation {org_id}"
        )));
    }
    org.members.retain(|m| m != &name);
    Ok(no_content(StatusCode::NO_CONTENT))
}

/// `GET /user/account`
pub(crate) async fn get_user_account(user: AuthUser) -> Json<UserAccountDetail> {
    Json(UserAccountDetail {
        user: UserDetail {
            id: user.username.clone(),
        },
        caller_has_admin_privilege: user.may_be_admin,
        account_server_roles: if user.may_be_admin {
            vec!["account-server-admin"]
        } else {
            Vec::new()
        },
    })
}
