//! Assets (multipart uploads) and merchants.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Json;
use http_body_util::BodyExt as _;

use super::organisations::known_user;
use super::state::{AsState, Asset, Caller, Scope};
use super::types::{
    asset_detail, merchant_detail, AssetDetail, AssetGetResponse, IdResponse, MerchantDetail,
    MerchantsGetResponse,
};
use super::{forbidden, json_with, no_content, Params, QueryPairs};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::multipart::{self, Event, MultipartParser};
use crate::state::{lock, AppState};

/// The largest asset content (and text field) accepted.
const MAX_ASSET_CONTENT: usize = 1024 * 1024;

/// A multipart asset upload: its text fields, and its file when one was given (a file part
/// with an empty filename is the clients' "no file").
#[derive(Default)]
struct Upload {
    fields: Vec<(String, String)>,
    file: Option<Vec<u8>>,
}

impl Upload {
    /// A text field, when given and not empty.
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// The new content: `content_string` or the file, not both; `None` when neither.
    fn content(&self) -> Result<Option<String>, ApiError> {
        match (self.field("content_string"), &self.file) {
            (Some(_), Some(_)) => Err(ApiError::bad_request(
                "Give content_string or content_file, not both",
            )),
            (Some(text), None) => Ok(Some(text.to_owned())),
            (None, Some(bytes)) => Ok(Some(String::from_utf8_lossy(bytes).into_owned())),
            (None, None) => Ok(None),
        }
    }
}

/// Reads a `multipart/form-data` body as it streams in.
async fn read_upload(headers: &HeaderMap, mut body: Body) -> Result<Upload, ApiError> {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(multipart::boundary_of)
        .ok_or_else(|| ApiError::bad_request("The body must be multipart/form-data"))?;
    let mut parser = MultipartParser::new(&boundary);
    let mut upload = Upload::default();
    // The part being read: (name, filename, content); content `None` once it is too large.
    let mut current: Option<(String, Option<String>, Option<Vec<u8>>)> = None;
    let mut too_large: Option<String> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::bad_request(format!("unreadable body: {e}")))?;
        let Some(data) = frame.data_ref() else {
            continue;
        };
        parser
            .feed(data, &mut |event| match event {
                Event::PartStart { name, filename, .. } => {
                    current = Some((name, filename, Some(Vec::new())));
                }
                Event::Data(bytes) => {
                    if let Some((name, filename, content)) = current.as_mut() {
                        // A placeholder file part ("no file") can be big: don't keep it.
                        if filename.as_deref() == Some("") {
                            return;
                        }
                        if let Some(buffer) = content {
                            if buffer.len() + bytes.len() > MAX_ASSET_CONTENT {
                                *content = None;
                                too_large = Some(name.clone());
                            } else {
                                buffer.extend_from_slice(bytes);
                            }
                        }
                    }
                }
                Event::PartEnd => {
                    if let Some((name, filename, Some(content))) = current.take() {
                        match filename {
                            None => upload
                                .fields
                                .push((name, String::from_utf8_lossy(&content).into_owned())),
                            Some(filename) if !filename.is_empty() => {
                                if name == "content_file" {
                                    upload.file = Some(content);
                                }
                            }
                            Some(_) => {}
                        }
                    }
                }
            })
            .map_err(|e| ApiError::bad_request(format!("bad multipart body: {e}")))?;
    }
    // A well-formed body has reported every part by its closing boundary.
    parser
        .finish(&mut |_| {})
        .map_err(|e| ApiError::bad_request(format!("bad multipart body: {e}")))?;
    if let Some(name) = too_large {
        return Err(ApiError::bad_request(format!(
            "'{name}' is larger than {MAX_ASSET_CONTENT} bytes"
        )));
    }
    Ok(upload)
}

/// A boolean multipart field: `True`/`true`/`1` or `False`/`false`/`0`.
fn boolean(value: Option<&str>, name: &str) -> Result<bool, ApiError> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        None => Err(ApiError::bad_request(format!("'{name}' is required"))),
        Some(other) => Err(ApiError::bad_request(format!(
            "'{name}' must be true or false, not {other:?}"
        ))),
    }
}

/// Checks (and completes) the scope of a new asset for `caller`: the scope id a `USER` asset
/// gets when none is given is the caller.
fn scope_id_for(
    state: &AsState,
    scope: Scope,
    scope_id: Option<&str>,
    caller: &Caller,
) -> Result<String, ApiError> {
    let exists = |id: &str| match scope {
        Scope::Product => state.product(id).is_some(),
        Scope::Unit => state.unit(id).is_some(),
        Scope::Organisation => state.org(id).is_some(),
        Scope::User | Scope::Global => true,
    };
    let scope_id = match (scope, scope_id) {
        (Scope::Global, Some(_)) => {
            return Err(ApiError::bad_request("A GLOBAL asset has no scope_id"))
        }
        (Scope::Global, None) => String::new(),
        (Scope::User, None) => caller.name.clone(),
        (Scope::User, Some(id)) => id.to_owned(),
        (_, None) => {
            return Err(ApiError::bad_request(format!(
                "A {} asset needs a scope_id",
                scope.name()
            )))
        }
        (_, Some(id)) if !exists(id) => {
            return Err(ApiError::bad_request(format!(
                "There is no {} {id}",
                scope.name().to_ascii_lowercase()
            )))
        }
        (_, Some(id)) => id.to_owned(),
    };
    Ok(scope_id)
}

/// `POST /asset`
pub(crate) async fn create_asset(
    State(shared): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let upload = read_upload(&headers, body).await?;
    let caller = Caller::from(&user);
    let name = upload
        .field("name")
        .ok_or_else(|| ApiError::bad_request("'name' is required"))?
        .to_owned();
    let scope_name = upload
        .field("scope")
        .ok_or_else(|| ApiError::bad_request("'scope' is required"))?;
    let scope = Scope::parse(scope_name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "'scope' must be USER, PRODUCT, UNIT, ORGANISATION or GLOBAL, not {scope_name:?}"
        ))
    })?;
    let secret = boolean(upload.field("secret"), "secret")?;
    let content = upload.content()?.ok_or_else(|| {
        ApiError::bad_request("Give the content as content_string or content_file")
    })?;
    // A user asset's user must exist.
    let scope_id_given = match (scope, upload.field("scope_id")) {
        (Scope::User, Some(id)) => Some(known_user(&shared, id)?),
        (_, id) => id.map(str::to_owned),
    };
    let id = format!("asset-{}", shared.key.random_uuid());
    let mut state = lock(&shared.account);
    let scope_id = scope_id_for(&state, scope, scope_id_given.as_deref(), &caller)?;
    let asset = Asset {
        id: id.clone(),
        name: name.clone(),
        scope,
        scope_id: scope_id.clone(),
        secret,
        disabled: false,
        content,
        created: state.now(),
        content_modified: None,
        description: upload.field("description").map(str::to_owned),
        creator: caller.name.clone(),
        merchants: Vec::new(),
    };
    if !state.can_use_asset(&asset, &caller) {
        return Err(forbidden(format!(
            "You cannot create {} assets for {scope_id}",
            scope.name()
        )));
    }
    if state
        .assets
        .iter()
        .any(|a| a.scope == scope && a.scope_id == scope_id && a.name == name)
    {
        return Err(ApiError::bad_request(format!(
            "There already is a {} asset called {name:?} for {scope_id:?}",
            scope.name()
        )));
    }
    state.assets.push(asset);
    Ok(json_with(StatusCode::CREATED, IdResponse { id }))
}

/// `GET /asset[?user_id=|product_id=|unit_id=|org_id=]`: the assets the caller may see, of
/// one scope when asked.
pub(crate) async fn get_assets(
    State(shared): State<AppState>,
    user: AuthUser,
    uri: Uri,
) -> Result<Response, ApiError> {
    let caller = Caller::from(&user);
    let query = QueryPairs::of(&uri);
    let filters: Vec<(Scope, &str)> = [
        ("user_id", Scope::User),
        ("product_id", Scope::Product),
        ("unit_id", Scope::Unit),
        ("org_id", Scope::Organisation),
    ]
    .into_iter()
    .filter_map(|(name, scope)| query.get(name).map(|id| (scope, id)))
    .collect();
    if filters.len() > 1 {
        return Err(ApiError::bad_request(
            "Give at most one of user_id, product_id, unit_id and org_id",
        ));
    }
    let state = lock(&shared.account);
    let assets: Vec<AssetDetail> = state
        .assets
        .iter()
        .filter(|a| state.can_use_asset(a, &caller))
        .filter(|a| {
            filters
                .first()
                .is_none_or(|(scope, id)| a.scope == *scope && a.scope_id == *id)
        })
        .map(|a| asset_detail(&state, a))
        .collect();
    // The official API answers this GET with 201.
    Ok(json_with(
        StatusCode::CREATED,
        AssetGetResponse {
            count: assets.len(),
            assets,
        },
    ))
}

/// An asset the caller may use (`missing` is the status for an unknown id, as the official
/// endpoint declares it).
fn usable_asset<'a>(
    state: &'a mut AsState,
    asset_id: &str,
    caller: &Caller,
    missing: StatusCode,
) -> Result<&'a mut Asset, ApiError> {
    let allowed = match state.assets.iter().find(|a| a.id == asset_id) {
        None => {
            return Err(ApiError::new(
                missing,
                format!("Asset {asset_id} does not exist"),
            ))
        }
        Some(asset) => state.can_use_asset(asset, caller),
    };
    if !allowed {
        return Err(forbidden(format!("You cannot use Asset {asset_id}")));
    }
    state
        .assets
        .iter_mut()
        .find(|a| a.id == asset_id)
        .ok_or_else(|| ApiError::new(missing, format!("Asset {asset_id} does not exist")))
}

/// `GET /asset/{asset_id}` (answered with 201, as the official API declares).
pub(crate) async fn get_asset(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(asset_id): Params<String>,
) -> Result<Response, ApiError> {
    let caller = Caller::from(&user);
    let mut state = lock(&shared.account);
    let asset = usable_asset(&mut state, &asset_id, &caller, StatusCode::BAD_REQUEST)?.clone();
    Ok(json_with(StatusCode::CREATED, asset_detail(&state, &asset)))
}

/// `PATCH /asset/{asset_id}`: a new description, or new content.
pub(crate) async fn patch_asset(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(asset_id): Params<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let upload = read_upload(&headers, body).await?;
    let caller = Caller::from(&user);
    let content = upload.content()?;
    let mut state = lock(&shared.account);
    let now = state.now();
    let asset = usable_asset(&mut state, &asset_id, &caller, StatusCode::NOT_FOUND)?;
    if let Some(description) = upload.field("description") {
        asset.description = Some(description.to_owned());
    }
    if let Some(content) = content {
        asset.content = content;
        asset.content_modified = Some(now);
    }
    Ok(no_content(StatusCode::OK))
}

/// `DELETE /asset/{asset_id}`: not while it is attached to a merchant.
pub(crate) async fn delete_asset(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(asset_id): Params<String>,
) -> Result<Response, ApiError> {
    let caller = Caller::from(&user);
    let mut state = lock(&shared.account);
    let asset = usable_asset(&mut state, &asset_id, &caller, StatusCode::BAD_REQUEST)?;
    if !asset.merchants.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Asset {asset_id} is attached to a Merchant: detach it first"
        )));
    }
    state.assets.retain(|a| a.id != asset_id);
    Ok(no_content(StatusCode::NO_CONTENT))
}

/// Sets an asset's `disabled` flag.
fn set_disabled(
    shared: &AppState,
    user: &AuthUser,
    asset_id: &str,
    disabled: bool,
) -> Result<Response, ApiError> {
    let caller = Caller::from(user);
    let mut state = lock(&shared.account);
    usable_asset(&mut state, asset_id, &caller, StatusCode::BAD_REQUEST)?.disabled = disabled;
    Ok(no_content(StatusCode::NO_CONTENT))
}

/// `PATCH /asset/{asset_id}/enable`
pub(crate) async fn enable_asset(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(asset_id): Params<String>,
) -> Result<Response, ApiError> {
    set_disabled(&shared, &user, &asset_id, false)
}

/// `PATCH /asset/{asset_id}/disable`
pub(crate) async fn disable_asset(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(asset_id): Params<String>,
) -> Result<Response, ApiError> {
    set_disabled(&shared, &user, &asset_id, true)
}

/// Attaches an asset to the merchant `m_id` of the query, or detaches it.
fn set_attached(
    shared: &AppState,
    user: &AuthUser,
    asset_id: &str,
    uri: &Uri,
    attach: bool,
) -> Result<Response, ApiError> {
    let caller = Caller::from(user);
    let m_id = QueryPairs::of(uri)
        .int("m_id")?
        .ok_or_else(|| ApiError::bad_request("'m_id' is required"))?;
    let mut state = lock(&shared.account);
    if state.merchant(m_id).is_none() {
        return Err(ApiError::bad_request(format!(
            "Merchant {m_id} does not exist"
        )));
    }
    let asset = usable_asset(&mut state, asset_id, &caller, StatusCode::BAD_REQUEST)?;
    let attached = asset.merchants.contains(&m_id);
    match (attach, attached) {
        (true, true) => Err(ApiError::bad_request(format!(
            "Asset {asset_id} is already attached to Merchant {m_id}"
        ))),
        (false, false) => Err(ApiError::bad_request(format!(
            "Asset {asset_id} is not attached to Merchant {m_id}"
        ))),
        (true, false) => {
            asset.merchants.push(m_id);
            Ok(no_content(StatusCode::NO_CONTENT))
        }
        (false, true) => {
            asset.merchants.retain(|m| *m != m_id);
            Ok(no_content(StatusCode::NO_CONTENT))
        }
    }
}

/// `PATCH /asset/{asset_id}/attach?m_id=`
pub(crate) async fn attach_asset(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(asset_id): Params<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    set_attached(&shared, &user, &asset_id, &uri, true)
}

/// `PATCH /asset/{asset_id}/detach?m_id=`
pub(crate) async fn detach_asset(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(asset_id): Params<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    set_attached(&shared, &user, &asset_id, &uri, false)
}

/// `GET /merchant`
pub(crate) async fn get_merchants(
    State(shared): State<AppState>,
    _user: AuthUser,
) -> Json<MerchantsGetResponse> {
    let state = lock(&shared.account);
    let merchants: Vec<MerchantDetail> = state
        .merchants
        .iter()
        .map(|m| merchant_detail(&state, m))
        .collect();
    Json(MerchantsGetResponse {
        count: merchants.len(),
        merchants,
    })
}

/// `GET /merchant/{merchant_id}`
pub(crate) async fn get_merchant(
    State(shared): State<AppState>,
    _user: AuthUser,
    Params(merchant_id): Params<String>,
) -> Result<Json<MerchantDetail>, ApiError> {
    let state = lock(&shared.account);
    merchant_id
        .parse::<i64>()
        .ok()
        .and_then(|id| state.merchant(id))
        .map(|m| Json(merchant_detail(&state, m)))
        .ok_or_else(|| ApiError::bad_request(format!("Merchant {merchant_id} does not exist")))
}
