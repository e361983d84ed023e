//! Assets: named text or file values (often secrets) scoped to a user, product, unit,
//! organisation or everyone, which merchants such as the Data Manager can be given.
//!
//! As in the Python client, every asset call but [`get_available_assets`] sends the token
//! only when the client has one.

use std::path::PathBuf;

use super::models::{AssetDetail, AssetGetResponse, AssetPostResponse};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::as_api::ScopeEnum;
use crate::client::{Api, Client};
use crate::request::{call, site, Auth, Call, Site};

/// Which query parameter an asset scope id goes in, decided as the Python client does: an id
/// shaped like an Account Server UUID (`<letters>-<uuid>`) is a product, unit or organisation
/// id by its prefix; anything else is a username. A UUID-shaped id with another prefix (an
/// asset id, say) cannot be classified: `Err` names the problem.
fn scope_parameter(scope_id: &str) -> Result<&'static str, String> {
    if !is_as_uuid(scope_id) {
        return Ok("user_id");
    }
    [
        ("product-", "product_id"),
        ("unit-", "unit_id"),
        ("org-", "org_id"),
    ]
    .iter()
    .find(|(prefix, _)| scope_id.starts_with(prefix))
    .map(|(_, parameter)| *parameter)
    .ok_or_else(|| {
        format!(
            "scope_id {scope_id:?} looks like an Account Server id but is not a product-, unit- \
             or org- id, nor a username"
        )
    })
}

/// Python's `^[a-z]{3,}-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$`
/// (whose `$` also matches before one final newline).
fn is_as_uuid(id: &str) -> bool {
    let id = id.strip_suffix('\n').unwrap_or(id);
    let groups: Vec<&str> = id.split('-').collect();
    let [prefix, rest @ ..] = groups.as_slice() else {
        return false;
    };
    let hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    prefix.len() >= 3
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && rest.len() == 5
        && rest
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && hex(group))
}

/// Options of [`get_available_assets`].
#[derive(Clone, Debug, Default)]
pub struct GetAvailableAssetsOptions {
    /// Only the assets of this scope: a username, or a `product-…`, `unit-…` or `org-…` id.
    pub scope_id: Option<String>,
}

/// The assets you can see: `GET /asset`, with `product_id`, `unit_id`, `org_id` or
/// `user_id` set to `scope_id` when given (chosen from the id's shape, as the Python client
/// does). `msg` is `{"assets": [...], "count"}`.
///
///
/// An id shaped like an Account Server UUID with a prefix other than `product-`, `unit-` or
/// `org-` (where the Python client fails an assertion) fails before anything is sent.
pub fn get_available_assets(
    client: &Client,
    opts: &GetAvailableAssetsOptions,
) -> ApiRv<AssetGetResponse> {
    let mut call = call!(Api::As, "GET", "/asset").error("Failed getting assets");
    if let Some(scope_id) = opts.scope_id.as_deref().filter(|id| !id.is_empty()) {
        call = match scope_parameter(scope_id) {
            Ok(parameter) => call.query(parameter, scope_id),
            Err(problem) => call.reject(problem),
        };
    }
    call.run(client)
}

/// Options of [`create_asset`]. Give the content as `content_string` or `content_file`
/// (not both).
#[derive(Clone, Debug, Default)]
pub struct CreateAssetOptions {
    /// The content as text (sent when not empty).
    pub content_string: Option<String>,
    /// A local file whose content is the asset's content.
    pub content_file: Option<PathBuf>,
    /// The id of the scope: a username, product, unit or organisation id (sent when not
    /// empty; not needed for `GLOBAL`).
    pub scope_id: Option<String>,
    /// Whether the asset is a secret (always sent, `False` by default).
    pub is_secret: bool,
}

/// Creates an asset: `POST /asset`, multipart with the fields `name`, `scope`, `secret`,
/// `description` (when not empty), `scope_id`, `content_string` (when set), then the file part
/// `content_file` (the file, streamed; without one a part with `filename=""`, the server's
/// "no file": [D8](crate::python_differences)). `msg` is `{"id"}`.
///
///
/// ```no_run
/// use squonk2::as_api::{self, CreateAssetOptions, ScopeEnum};
/// # fn main() -> anyhow::Result<()> {
/// let client = squonk2::Client::from_env()?;
/// let rv = as_api::create_asset(
///     &client,
///     "API_KEY",
///     "The key of an outside service",
///     ScopeEnum::User,
///     &CreateAssetOptions {
///         content_string: Some("s3cr3t".into()),
///         is_secret: true,
///         ..Default::default()
///     },
/// );
/// println!("asset {}", rv.into_result()?["id"]);
/// # Ok(())
/// # }
/// ```
pub fn create_asset(
    client: &Client,
    name: &str,
    description: &str,
    scope: ScopeEnum,
    opts: &CreateAssetOptions,
) -> ApiRv<AssetPostResponse> {
    call!(Api::As, "POST", "/asset")
        .auth(Auth::IfAvailable)
        .text_part_always("name", name)
        .text_part_always("scope", scope)
        .text_part_always("secret", opts.is_secret)
        .text_part("description", description)
        .text_part("scope_id", &opts.scope_id)
        .text_part("content_string", &opts.content_string)
        .file_part("content_file", opts.content_file.as_deref())
        .error("Failed creating asset")
        .run(client)
}

/// Options of [`alter_asset`].
#[derive(Clone, Debug, Default)]
pub struct AlterAssetOptions {
    /// A new description (sent when not empty).
    pub description: Option<String>,
    /// New content as text (sent when not empty).
    pub content_string: Option<String>,
    /// A local file with the new content.
    pub content_file: Option<PathBuf>,
}

/// Changes an asset's description or content: `PATCH /asset/{asset_id}`, multipart with
/// `description` and `content_string` (each when set), then the file part `content_file` (as
/// for [`create_asset`]).
pub fn alter_asset(client: &Client, asset_id: &str, opts: &AlterAssetOptions) -> ApiRv<NoContent> {
    call!(Api::As, "PATCH", "/asset/{asset_id}")
        .auth(Auth::IfAvailable)
        .path("asset_id", asset_id)
        .text_part("description", &opts.description)
        .text_part("content_string", &opts.content_string)
        .file_part("content_file", opts.content_file.as_deref())
        .error("Failed altering asset")
        .run(client)
}

/// Deletes an asset (it must not be attached to a merchant): `DELETE /asset/{asset_id}`.
pub fn delete_asset(client: &Client, asset_id: &str) -> ApiRv<NoContent> {
    asset_call(site!(), "DELETE", "/asset/{asset_id}", asset_id)
        .error("Failed deleting asset")
        .run(client)
}

/// One asset: `GET /asset/{asset_id}`. `msg` is the asset's detail.
pub fn get_asset(client: &Client, asset_id: &str) -> ApiRv<AssetDetail> {
    asset_call(site!(), "GET", "/asset/{asset_id}", asset_id)
        .error("Failed getting asset")
        .run(client)
}

/// Attaches an asset to a merchant, which can then read it:
/// `PATCH /asset/{asset_id}/attach?m_id=…`. An `m_id` below 1 fails before anything is sent.
pub fn attach_asset(client: &Client, asset_id: &str, m_id: i64) -> ApiRv<NoContent> {
    asset_call(site!(), "PATCH", "/asset/{asset_id}/attach", asset_id)
        .require_positive("m_id", m_id)
        .query_always("m_id", m_id)
        .error("Failed attaching asset")
        .run(client)
}

/// Detaches an asset from a merchant: `PATCH /asset/{asset_id}/detach?m_id=…`. An `m_id`
/// below 1 fails before anything is sent.
pub fn detach_asset(client: &Client, asset_id: &str, m_id: i64) -> ApiRv<NoContent> {
    asset_call(site!(), "PATCH", "/asset/{asset_id}/detach", asset_id)
        .require_positive("m_id", m_id)
        .query_always("m_id", m_id)
        .error("Failed detaching asset")
        .run(client)
}

/// Enables an asset: `PATCH /asset/{asset_id}/enable`.
pub fn enable_asset(client: &Client, asset_id: &str) -> ApiRv<NoContent> {
    asset_call(site!(), "PATCH", "/asset/{asset_id}/enable", asset_id)
        .error("Failed enabling asset")
        .run(client)
}

/// Disables an asset: `PATCH /asset/{asset_id}/disable`.
pub fn disable_asset(client: &Client, asset_id: &str) -> ApiRv<NoContent> {
    asset_call(site!(), "PATCH", "/asset/{asset_id}/disable", asset_id)
        .error("Failed disabling asset")
        .run(client)
}

/// A call on one asset, with the token only when the client has one (as in Python).
fn asset_call<'a>(
    site: Site,
    method: &'static str,
    template: &'static str,
    asset_id: &str,
) -> Call<'a> {
    Call::new(Api::As, method, template, site)
        .auth(Auth::IfAvailable)
        .path("asset_id", asset_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_ids_are_classified_as_python_does() {
        let uuid = "11111111-1111-1111-1111-111111111111";
        assert_eq!(
            scope_parameter(&format!("product-{uuid}")),
            Ok("product_id")
        );
        assert_eq!(scope_parameter(&format!("unit-{uuid}")), Ok("unit_id"));
        assert_eq!(scope_parameter(&format!("org-{uuid}")), Ok("org_id"));
        assert_eq!(scope_parameter(&format!("org-{uuid}\n")), Ok("org_id"));
        assert_eq!(scope_parameter("alice é"), Ok("user_id"));
        // Not UUID-shaped, so usernames: upper case, short prefix, bad group.
        assert_eq!(scope_parameter(&format!("ORG-{uuid}")), Ok("user_id"));
        assert_eq!(scope_parameter(&format!("ab-{uuid}")), Ok("user_id"));
        assert_eq!(
            scope_parameter("org-11111111-1111-1111-1111-11111111111g"),
            Ok("user_id")
        );
        assert_eq!(scope_parameter(&format!("org-{uuid}x")), Ok("user_id"));
        let err = scope_parameter(&format!("asset-{uuid}")).unwrap_err();
        assert!(err.contains("asset-"), "{err}");
    }
}
