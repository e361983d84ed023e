//! Charges per product, unit, organisation and in total, for a billing period (the current
//! one, a prior one with `pbp`) or a date range (`from` inclusive, `until` exclusive).
//!
//! Charges stay on their unit's and organisation's records after their product is deleted.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::Json;

use super::dates::{coins_text, midnight, Cents, Date, Period};
use super::products::visible_product;
use super::state::{AsState, Caller, ChargeKind, Unit};
use super::types::{
    charge_summary, ChargesGetResponse, OrganisationChargeSummary, OrganisationChargesGetResponse,
    OrganisationUnitChargeSummary, ProcessingChargeItem, ProcessingCharges,
    ProductChargesGetResponse, ProductClaimDetail, StorageChargeItem, StorageCharges,
    UnitChargeSummary, UnitChargesGetResponse, UnitProductChargeSummary,
};
use super::units::visible_unit;
use super::{forbidden, not_found, Params, QueryPairs};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// What a charges request asks for.
#[derive(Clone, Copy, Debug)]
enum Range {
    /// These days, whatever the billing day.
    Days(Period),
    /// A billing period: 0 the current one, -1 the one before, ...
    Billing(i64),
}

impl Range {
    /// From `from`, `until` and `pbp` (dates as `YYYY-MM-DD`, optionally with a time, which is
    /// ignored).
    fn of(query: &QueryPairs, today: Date) -> Result<Range, ApiError> {
        let (from, until, pbp) = (query.date("from")?, query.date("until")?, query.int("pbp")?);
        if let Some(pbp) = pbp {
            if from.is_some() || until.is_some() {
                return Err(ApiError::bad_request(
                    "Give 'from' and 'until', or 'pbp', not both",
                ));
            }
            if !(-23..=0).contains(&pbp) {
                return Err(ApiError::bad_request(format!(
                    "'pbp' must be from -23 to 0, not {pbp}"
                )));
            }
            return Ok(Range::Billing(pbp));
        }
        let (from, until) = match (from, until) {
            (None, None) => return Ok(Range::Billing(0)),
            (Some(from), Some(until)) => (from, until),
            (Some(from), None) => (from, today.add_days(1)),
            (None, Some(until)) => (until.add_months(-1), until),
        };
        if from >= until {
            return Err(ApiError::bad_request(format!(
                "'from' ({from}) must be before 'until' ({until})"
            )));
        }
        Ok(Range::Days(Period { from, until }))
    }

    /// The days this range covers for a unit.
    fn period(self, unit: &Unit, today: Date) -> Period {
        match self {
            Range::Days(period) => period,
            Range::Billing(pbp) => Period::billing(unit.billing_day, today, pbp),
        }
    }
}

/// Processing and storage coins charged to a unit in a period (deleted products included).
fn unit_totals(state: &AsState, unit_id: &str, period: Period) -> (Cents, Cents) {
    state
        .charges
        .iter()
        .filter(|c| c.unit_id == unit_id && period.contains(c.date))
        .fold((0, 0), |(p, s), c| match c.kind {
            ChargeKind::Processing => (p + c.coins, s),
            ChargeKind::Storage => (p, s + c.coins),
        })
}

/// `GET /charges/product/{product_id}`
pub(crate) async fn get_product_charges(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(product_id): Params<String>,
    uri: Uri,
) -> Result<Json<ProductChargesGetResponse>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let today = state.today();
    let range = Range::of(&QueryPairs::of(&uri), today)?;
    let product = visible_product(&state, &product_id, &caller, StatusCode::BAD_REQUEST)?;
    let unit = state
        .unit(&product.unit_id)
        .ok_or_else(|| ApiError::bad_request(format!("Product {product_id} has no Unit")))?;
    let period = range.period(unit, today);
    let charges = state.product_charges(&product_id, period);
    let processing_charges: Vec<ProcessingCharges> = charges
        .iter()
        .filter(|c| c.kind == ChargeKind::Processing)
        .map(|c| ProcessingCharges {
            merchant_name: state
                .merchant(c.merchant_id)
                .map(|m| m.name.clone())
                .unwrap_or_default(),
            merchant_kind: "DATA_MANAGER",
            merchant_api_hostname: state.host().to_owned(),
            closed: c.timestamp.clone(),
            is_final: true,
            charge: ProcessingChargeItem {
                id: c.id,
                sqn: 1,
                name: c.name.clone(),
                username: c.username.clone(),
                timestamp: c.timestamp.clone(),
                coins: coins_text(c.coins),
                additional_data: (!c.additional_data.is_empty()).then(|| c.additional_data.clone()),
            },
        })
        .collect();
    let items: Vec<StorageChargeItem> = charges
        .iter()
        .filter(|c| c.kind == ChargeKind::Storage)
        .enumerate()
        .map(|(i, c)| {
            // The current day's item is still open: it is the burn rate.
            let open = c.date >= today;
            // The open item also says what is stored now (the vendor's `coins` tool takes
            // the item with `current_bytes` for the burn rate).
            let mut additional_data = c.additional_data.clone();
            if open {
                additional_data.insert("current_bytes".into(), product.storage_bytes.into());
            }
            StorageChargeItem {
                item_number: i + 1,
                date: c.date.to_string(),
                coins: coins_text(c.coins),
                current_burn_rate: open.then(|| coins_text(c.coins)),
                closed: (!open).then(|| midnight(c.date.add_days(1))),
                additional_data: Some(additional_data),
            }
        })
        .collect();
    Ok(Json(ProductChargesGetResponse {
        product_id: product.id.clone(),
        product_type: product.kind.name(),
        billing_day: unit.billing_day,
        claimable: product.kind == super::state::ProductType::ProjectTier,
        claim: product.claim.as_ref().map(|claim| ProductClaimDetail {
            id: claim.id.clone(),
            name: claim.name.clone(),
        }),
        count: charges.len(),
        from: period.from.to_string(),
        until: period.until.to_string(),
        coins: coins_text(charges.iter().map(|c| c.coins).sum()),
        processing_charges,
        storage_charges: StorageCharges {
            num_items: items.len(),
            items,
        },
    }))
}

/// `GET /charges/unit/{unit_id}`: per product (deleted ones that were charged included).
pub(crate) async fn get_unit_charges(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(unit_id): Params<String>,
    uri: Uri,
) -> Result<Json<UnitChargesGetResponse>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let today = state.today();
    let range = Range::of(&QueryPairs::of(&uri), today)?;
    let unit = visible_unit(&state, &unit_id, &caller, StatusCode::BAD_REQUEST)?;
    let period = range.period(unit, today);
    let mut products: Vec<(String, &'static str)> = state
        .products
        .iter()
        .filter(|p| p.unit_id == unit_id)
        .map(|p| (p.id.clone(), p.kind.name()))
        .collect();
    for charge in state
        .charges
        .iter()
        .filter(|c| c.unit_id == unit_id && period.contains(c.date))
    {
        if !products.iter().any(|(id, _)| *id == charge.product_id) {
            products.push((charge.product_id.clone(), charge.product_type.name()));
        }
    }
    let products: Vec<UnitProductChargeSummary> = products
        .into_iter()
        .map(|(product_id, product_type)| {
            let (processing, storage) =
                state
                    .product_charges(&product_id, period)
                    .iter()
                    .fold((0, 0), |(p, s), c| match c.kind {
                        ChargeKind::Processing => (p + c.coins, s),
                        ChargeKind::Storage => (p, s + c.coins),
                    });
            UnitProductChargeSummary {
                product_id,
                product_type,
                charges: charge_summary(processing, storage),
            }
        })
        .collect();
    let (processing, storage) = unit_totals(&state, &unit_id, period);
    Ok(Json(UnitChargesGetResponse {
        caller_is_member: AsState::is_unit_member(unit, &caller.name),
        unit_id: unit.id.clone(),
        name: unit.name.clone(),
        owner_id: unit.owner.clone(),
        private: false,
        created: unit.created.clone(),
        coins: coins_text(processing + storage),
        count: products.len(),
        billing_day: unit.billing_day,
        from: period.from.to_string(),
        until: period.until.to_string(),
        summary: UnitChargeSummary {
            charges: charge_summary(processing, storage),
        },
        products,
    }))
}

/// Per unit of an organisation: its summary line and the organisation's totals.
fn organisation_units(
    state: &AsState,
    org_id: &str,
    range: Range,
    today: Date,
) -> (Vec<OrganisationUnitChargeSummary>, Cents, Cents) {
    let mut totals = (0, 0);
    let units = state
        .units
        .iter()
        .filter(|u| u.org_id == org_id)
        .map(|unit| {
            let period = range.period(unit, today);
            let (processing, storage) = unit_totals(state, &unit.id, period);
            totals = (totals.0 + processing, totals.1 + storage);
            OrganisationUnitChargeSummary {
                unit_id: unit.id.clone(),
                name: unit.name.clone(),
                billing_day: unit.billing_day,
                from: period.from.to_string(),
                until: period.until.to_string(),
                summary: charge_summary(processing, storage),
            }
        })
        .collect();
    (units, totals.0, totals.1)
}

/// `GET /charges/organisation/{org_id}`: members and admins; not the Default Organisation.
pub(crate) async fn get_organisation_charges(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(org_id): Params<String>,
    uri: Uri,
) -> Result<Json<OrganisationChargesGetResponse>, ApiError> {
    let caller = Caller::from(&user);
    let state = lock(&shared.account);
    let today = state.today();
    let range = Range::of(&QueryPairs::of(&uri), today)?;
    let org = state
        .org(&org_id)
        .ok_or_else(|| not_found(format!("Organisation {org_id} does not exist")))?;
    if org.is_default() {
        return Err(forbidden(
            "Charges are not available for the Default Organisation",
        ));
    }
    if !AsState::can_see_org(org, &caller) {
        return Err(forbidden(format!(
            "You are not a member of Organisation {org_id}"
        )));
    }
    let (unit_charges, processing, storage) = organisation_units(&state, &org_id, range, today);
    Ok(Json(OrganisationChargesGetResponse {
        organisation_id: org.id.clone(),
        name: org.name.clone(),
        coins: coins_text(processing + storage),
        summary: charge_summary(processing, storage),
        unit_charges,
    }))
}

/// `GET /charges`: every organisation's (admins only).
pub(crate) async fn get_charges(
    State(shared): State<AppState>,
    user: AuthUser,
    uri: Uri,
) -> Result<Json<ChargesGetResponse>, ApiError> {
    if !user.may_be_admin {
        return Err(forbidden("You need admin rights to see all charges"));
    }
    let state = lock(&shared.account);
    let today = state.today();
    let range = Range::of(&QueryPairs::of(&uri), today)?;
    let mut total = 0;
    let mut summary = (0, 0);
    let organisation_charges: Vec<OrganisationChargeSummary> = state
        .organisations
        .iter()
        .map(|org| {
            let (_, processing, storage) = organisation_units(&state, &org.id, range, today);
            total += processing + storage;
            summary = (summary.0 + processing, summary.1 + storage);
            OrganisationChargeSummary {
                organisation_id: org.id.clone(),
                name: org.name.clone(),
                summary: charge_summary(processing, storage),
            }
        })
        .collect();
    Ok(Json(ChargesGetResponse {
        coins: coins_text(total),
        count: organisation_charges.len(),
        summary: charge_summary(summary.0, summary.1),
        organisation_charges,
    }))
}
