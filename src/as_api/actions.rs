//! Actions: the Account Server's record of what merchants and users did.

use super::models::ActionGetResponse;
use crate::api_rv::ApiRv;
use crate::as_api::EventStreamFormat;
use crate::client::{Api, Client};
use crate::request::call;

/// Options of [`get_actions`]. Dates are strings as for
/// [`GetChargesOptions`](crate::as_api::GetChargesOptions): `YYYY-MM-DD` or
/// `YYYY-MM-DD HH:MM:SS`.
#[derive(Clone, Debug, Default)]
pub struct GetActionsOptions {
    /// The first day (inclusive), sent as `from` when not empty.
    pub from_: Option<String>,
    /// The end (exclusive), sent when not empty.
    pub until: Option<String>,
    /// Only this merchant's actions (sent as `m_id` when not 0).
    pub merchant_id: Option<i64>,
    /// Only this product's actions (sent when not empty).
    pub product_id: Option<String>,
    /// Only this unit's actions (sent when not empty).
    pub unit_id: Option<String>,
    /// Only this organisation's actions (sent when not empty).
    pub org_id: Option<String>,
    /// The format of each action's content (always sent; default `PROTOCOL_STRING`).
    pub action_format: EventStreamFormat,
}

/// Action records (you need admin rights): `GET /action` with `format` (always), then `from`,
/// `until`, `m_id`, `product_id`, `unit_id` and `org_id` (each when set). `msg` is
/// `{"actions": [...], "count"}`. Without dates the server returns today's actions.
pub fn get_actions(client: &Client, opts: &GetActionsOptions) -> ApiRv<ActionGetResponse> {
    call!(Api::As, "GET", "/action")
        .query_always("format", opts.action_format)
        .query("from", &opts.from_)
        .query("until", &opts.until)
        .query("m_id", opts.merchant_id)
        .query("product_id", &opts.product_id)
        .query("unit_id", &opts.unit_id)
        .query("org_id", &opts.org_id)
        .error("Failed getting actions")
        .run(client)
}
