//! Merchants: the services (such as a Data Manager) that the Account Server knows and
//! charges for.

use super::models::{MerchantDetail, MerchantsGetResponse};
use crate::api_rv::ApiRv;
use crate::client::{Api, Client};
use crate::request::call;

/// The merchants the Account Server knows: `GET /merchant`. `msg` is
/// `{"merchants": [...], "count"}`.
pub fn get_merchants(client: &Client) -> ApiRv<MerchantsGetResponse> {
    call!(Api::As, "GET", "/merchant")
        .error("Failed getting merchants")
        .run(client)
}

/// One merchant: `GET /merchant/{merchant_id}`. An id below 1 fails before anything is sent.
pub fn get_merchant(client: &Client, merchant_id: i64) -> ApiRv<MerchantDetail> {
    call!(Api::As, "GET", "/merchant/{merchant_id}")
        .require_positive("merchant_id", merchant_id)
        .path("merchant_id", merchant_id)
        .error("Failed getting merchant")
        .run(client)
}
