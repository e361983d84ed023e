//! Response bodies, named and shaped after the official schema types of
//! `@squonk/account-server-client` 4.4.0 (so no field is missing or extra), and the functions
//! that build them from the state for one caller.

use serde::Serialize;

use super::dates::{coins_number, coins_text, humanise_bytes, Cents, Period};
use super::state::{
    storage_units, AsState, Asset, Caller, Charge, ChargeKind, Merchant, Organisation, Product,
    ProductType, Unit, STORAGE_UNIT_COST,
};

#[derive(Serialize)]
pub(crate) struct UserDetail {
    pub(crate) id: String,
}

fn users(names: &[String]) -> Vec<UserDetail> {
    names
        .iter()
        .map(|id| UserDetail { id: id.clone() })
        .collect()
}

/// `{"id": ...}`: OrganisationPostResponse, OrganisationUnitPostResponse,
/// UnitProductPostResponse, AssetPostResponse.
#[derive(Serialize)]
pub(crate) struct IdResponse {
    pub(crate) id: String,
}

#[derive(Serialize)]
pub(crate) struct OrganisationDetail {
    pub(crate) caller_is_member: bool,
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) owner_id: Option<String>,
    pub(crate) private: bool,
    pub(crate) created: String,
    pub(crate) default_product_privacy: &'static str,
}

#[derive(Serialize)]
pub(crate) struct OrganisationAllDetail {
    #[serde(flatten)]
    pub(crate) detail: OrganisationDetail,
    pub(crate) users: Vec<UserDetail>,
}

pub(crate) fn organisation_detail(org: &Organisation, caller: &Caller) -> OrganisationDetail {
    OrganisationDetail {
        // Only admins belong to the Default Organisation.
        caller_is_member: if org.is_default() {
            caller.admin
        } else {
            AsState::is_org_member(org, &caller.name)
        },
        id: org.id.clone(),
        name: org.name.clone(),
        owner_id: org.owner.clone(),
        private: false,
        created: org.created.clone(),
        default_product_privacy: org.privacy.name(),
    }
}

pub(crate) fn organisation_all_detail(
    org: &Organisation,
    caller: &Caller,
) -> OrganisationAllDetail {
    OrganisationAllDetail {
        detail: organisation_detail(org, caller),
        users: users(&org.members),
    }
}

#[derive(Serialize)]
pub(crate) struct OrganisationsGetResponse {
    pub(crate) count: usize,
    pub(crate) organisations: Vec<OrganisationAllDetail>,
}

/// OrganisationGetDefaultResponse (every field is optional in the type; all are given).
#[derive(Serialize)]
pub(crate) struct OrganisationGetDefaultResponse {
    #[serde(flatten)]
    pub(crate) detail: OrganisationDetail,
}

#[derive(Serialize)]
pub(crate) struct UnitDetail {
    pub(crate) caller_is_member: bool,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) owner_id: String,
    pub(crate) private: bool,
    pub(crate) created: String,
    pub(crate) billing_day: u32,
    pub(crate) default_product_privacy: &'static str,
}

#[derive(Serialize)]
pub(crate) struct UnitAllDetail {
    #[serde(flatten)]
    pub(crate) detail: UnitDetail,
    pub(crate) users: Vec<UserDetail>,
}

pub(crate) fn unit_detail(unit: &Unit, caller: &Caller) -> UnitDetail {
    UnitDetail {
        caller_is_member: AsState::is_unit_member(unit, &caller.name),
        id: unit.id.clone(),
        name: unit.name.clone(),
        owner_id: unit.owner.clone(),
        private: false,
        created: unit.created.clone(),
        billing_day: unit.billing_day,
        default_product_privacy: unit.privacy.name(),
    }
}

pub(crate) fn unit_all_detail(unit: &Unit, caller: &Caller) -> UnitAllDetail {
    UnitAllDetail {
        detail: unit_detail(unit, caller),
        users: users(&unit.members),
    }
}

#[derive(Serialize)]
pub(crate) struct OrganisationUnitsGetResponse {
    pub(crate) count: usize,
    pub(crate) organisation: OrganisationAllDetail,
    pub(crate) units: Vec<UnitAllDetail>,
}

#[derive(Serialize)]
pub(crate) struct UnitsGetResponse {
    pub(crate) units: Vec<OrganisationUnitsGetResponse>,
}

#[derive(Serialize)]
pub(crate) struct PersonalUnitPutResponse {
    pub(crate) organisation_id: String,
    pub(crate) id: String,
}

#[derive(Serialize)]
pub(crate) struct UsersGetResponse {
    pub(crate) count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) organisation: Option<OrganisationDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit: Option<UnitDetail>,
    pub(crate) users: Vec<UserDetail>,
}

pub(crate) fn users_response(
    members: &[String],
    organisation: Option<OrganisationDetail>,
    unit: Option<UnitDetail>,
) -> UsersGetResponse {
    UsersGetResponse {
        count: members.len(),
        organisation,
        unit,
        users: users(members),
    }
}

#[derive(Serialize)]
pub(crate) struct ProductDetail {
    pub(crate) id: String,
    pub(crate) created: String,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) flavour: Option<&'static str>,
    pub(crate) name: String,
}

#[derive(Serialize)]
pub(crate) struct ProductDmStorageDetailSize {
    pub(crate) peak: String,
    pub(crate) current: String,
    pub(crate) unit_size: String,
    pub(crate) units_used: u64,
}

#[derive(Serialize)]
pub(crate) struct ProductDmStorageDetailCoins {
    pub(crate) used: f64,
    pub(crate) unit_cost: f64,
}

#[derive(Serialize)]
pub(crate) struct ProductDmStorageDetail {
    pub(crate) size: ProductDmStorageDetailSize,
    pub(crate) coins: ProductDmStorageDetailCoins,
}

#[derive(Serialize)]
pub(crate) struct ProductCoinsDetail {
    pub(crate) allowance: i64,
    pub(crate) limit: i64,
    pub(crate) used: f64,
    pub(crate) at_limit: bool,
    pub(crate) current_burn_rate: f64,
    pub(crate) billing_prediction: f64,
    pub(crate) billing_prediction_storage_contribution: f64,
    pub(crate) billing_day: u32,
    pub(crate) allowance_multiplier: f64,
    pub(crate) overspend_multiplier: f64,
    pub(crate) remaining_days: i64,
}

#[derive(Serialize)]
pub(crate) struct ProductInstanceDetailCoins {
    pub(crate) used: f64,
}

#[derive(Serialize)]
pub(crate) struct ProductInstanceDetail {
    pub(crate) coins: ProductInstanceDetailCoins,
}

#[derive(Serialize)]
pub(crate) struct ProductClaimDetail {
    pub(crate) id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
}

/// ProductDmStorage or ProductDmProjectTier (`instance` and `claim` only for the latter).
#[derive(Serialize)]
pub(crate) struct ProductEntry {
    pub(crate) product: ProductDetail,
    pub(crate) organisation: OrganisationAllDetail,
    pub(crate) unit: UnitAllDetail,
    pub(crate) storage: ProductDmStorageDetail,
    pub(crate) coins: ProductCoinsDetail,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) instance: Option<ProductInstanceDetail>,
    pub(crate) claimable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) claim: Option<ProductClaimDetail>,
}

/// A product as the caller sees it, with its coins for the current billing period.
/// `None` when its unit or organisation has gone (never, while the state is consistent).
pub(crate) fn product_entry(
    state: &AsState,
    product: &Product,
    caller: &Caller,
) -> Option<ProductEntry> {
    let unit = state.unit(&product.unit_id)?;
    let org = state.org(&unit.org_id)?;
    let today = state.today();
    let period = Period::billing(unit.billing_day, today, 0);
    let charges = state.product_charges(&product.id, period);
    let sum = |keep: &dyn Fn(&Charge) -> bool| -> Cents {
        charges.iter().filter(|c| keep(c)).map(|c| c.coins).sum()
    };
    let storage = |c: &Charge| c.kind == ChargeKind::Storage;
    // `used` leaves out the current day, as the official description says.
    let used = sum(&|c| c.date < today);
    let storage_before_today = sum(&|c| c.date < today && storage(c));
    let processing = sum(&|c| !storage(c));
    let storage_today = sum(&|c| c.date == today && storage(c));
    let burn = sum(&|c| c.date == today);
    let remaining_days = today.days_until(period.until);
    let peak = match product.storage_peak {
        Some((day, peak)) if day == today => peak,
        _ => product.storage_bytes,
    };
    Some(ProductEntry {
        product: ProductDetail {
            id: product.id.clone(),
            created: product.created.clone(),
            kind: product.kind.name(),
            flavour: product.flavour.map(|f| f.name()),
            name: product.name.clone(),
        },
        organisation: organisation_all_detail(org, caller),
        unit: unit_all_detail(unit, caller),
        storage: ProductDmStorageDetail {
            size: ProductDmStorageDetailSize {
                peak: humanise_bytes(peak),
                current: humanise_bytes(product.storage_bytes),
                unit_size: humanise_bytes(super::state::STORAGE_UNIT_BYTES),
                units_used: storage_units(peak),
            },
            coins: ProductDmStorageDetailCoins {
                used: coins_number(storage_today),
                unit_cost: coins_number(STORAGE_UNIT_COST),
            },
        },
        coins: ProductCoinsDetail {
            allowance: product.allowance,
            limit: product.limit,
            used: coins_number(used),
            at_limit: used >= product.limit * 100,
            current_burn_rate: coins_number(burn),
            billing_prediction: coins_number(used + burn * remaining_days),
            billing_prediction_storage_contribution: coins_number(
                storage_before_today + storage_today * remaining_days,
            ),
            billing_day: unit.billing_day,
            allowance_multiplier: 1.0,
            overspend_multiplier: 2.0,
            remaining_days,
        },
        instance: (product.kind == ProductType::ProjectTier).then(|| ProductInstanceDetail {
            coins: ProductInstanceDetailCoins {
                used: coins_number(processing),
            },
        }),
        claimable: product.kind == ProductType::ProjectTier,
        claim: product.claim.as_ref().map(|claim| ProductClaimDetail {
            id: claim.id.clone(),
            name: claim.name.clone(),
        }),
    })
}

#[derive(Serialize)]
pub(crate) struct ProductsGetResponse {
    pub(crate) count: usize,
    pub(crate) products: Vec<ProductEntry>,
}

pub(crate) fn products_response<'a>(
    state: &AsState,
    products: impl Iterator<Item = &'a Product>,
    caller: &Caller,
) -> ProductsGetResponse {
    let products: Vec<ProductEntry> = products
        .filter_map(|p| product_entry(state, p, caller))
        .collect();
    ProductsGetResponse {
        count: products.len(),
        products,
    }
}

#[derive(Serialize)]
pub(crate) struct ProductUnitGetResponse {
    pub(crate) product: ProductEntry,
}

/// The official `ProductType`.
#[derive(Serialize)]
pub(crate) struct ProductTypeEntry {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) flavour: Option<&'static str>,
    pub(crate) service_kind: &'static str,
}

#[derive(Serialize)]
pub(crate) struct ProductsGetTypesResponse {
    pub(crate) count: usize,
    pub(crate) product_types: Vec<ProductTypeEntry>,
}

#[derive(Serialize)]
pub(crate) struct ProductsGetDefaultStorageCostDefaultStorageCost {
    pub(crate) cost: String,
    pub(crate) units: &'static str,
    pub(crate) description: &'static str,
}

#[derive(Serialize)]
pub(crate) struct ProductsGetDefaultStorageCost {
    pub(crate) default_storage_cost: ProductsGetDefaultStorageCostDefaultStorageCost,
}

#[derive(Serialize)]
pub(crate) struct MerchantDetail {
    pub(crate) id: i64,
    pub(crate) created: String,
    pub(crate) kind: &'static str,
    pub(crate) name: String,
    pub(crate) api_hostname: String,
}

pub(crate) fn merchant_detail(state: &AsState, merchant: &Merchant) -> MerchantDetail {
    MerchantDetail {
        id: merchant.id,
        created: merchant.created.clone(),
        kind: "DATA_MANAGER",
        name: merchant.name.clone(),
        api_hostname: state.host().to_owned(),
    }
}

#[derive(Serialize)]
pub(crate) struct MerchantsGetResponse {
    pub(crate) count: usize,
    pub(crate) merchants: Vec<MerchantDetail>,
}

#[derive(Serialize)]
pub(crate) struct MerchantSummary {
    pub(crate) id: i64,
    pub(crate) kind: &'static str,
    pub(crate) name: String,
}

#[derive(Serialize)]
pub(crate) struct AssetDetail {
    pub(crate) creator: String,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) scope: &'static str,
    pub(crate) scope_id: String,
    pub(crate) secret: bool,
    pub(crate) disabled: bool,
    pub(crate) content: String,
    pub(crate) created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) content_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    pub(crate) merchants: Vec<MerchantDetail>,
}

/// An asset as users see it: a secret's content is never shown.
pub(crate) fn asset_detail(state: &AsState, asset: &Asset) -> AssetDetail {
    AssetDetail {
        creator: asset.creator.clone(),
        id: asset.id.clone(),
        name: asset.name.clone(),
        scope: asset.scope.name(),
        scope_id: asset.scope_id.clone(),
        secret: asset.secret,
        disabled: asset.disabled,
        content: if asset.secret {
            String::new()
        } else {
            asset.content.clone()
        },
        created: asset.created.clone(),
        content_modified: asset.content_modified.clone(),
        description: asset.description.clone(),
        merchants: asset
            .merchants
            .iter()
            .filter_map(|id| state.merchant(*id))
            .map(|m| merchant_detail(state, m))
            .collect(),
    }
}

#[derive(Serialize)]
pub(crate) struct AssetGetResponse {
    pub(crate) assets: Vec<AssetDetail>,
    pub(crate) count: usize,
}

#[derive(Serialize)]
pub(crate) struct ChargeSummary {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) coins: String,
}

/// One summary line per charge kind (both always present).
pub(crate) fn charge_summary(processing: Cents, storage: Cents) -> Vec<ChargeSummary> {
    vec![
        ChargeSummary {
            kind: ChargeKind::Processing.name(),
            coins: coins_text(processing),
        },
        ChargeSummary {
            kind: ChargeKind::Storage.name(),
            coins: coins_text(storage),
        },
    ]
}

#[derive(Serialize)]
pub(crate) struct ProcessingChargeItem {
    pub(crate) id: i64,
    pub(crate) sqn: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    pub(crate) username: String,
    pub(crate) timestamp: String,
    pub(crate) coins: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) additional_data: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Serialize)]
pub(crate) struct ProcessingCharges {
    pub(crate) merchant_name: String,
    pub(crate) merchant_kind: &'static str,
    pub(crate) merchant_api_hostname: String,
    pub(crate) closed: String,
    #[serde(rename = "final")]
    pub(crate) is_final: bool,
    pub(crate) charge: ProcessingChargeItem,
}

#[derive(Serialize)]
pub(crate) struct StorageChargeItem {
    pub(crate) item_number: usize,
    pub(crate) date: String,
    pub(crate) coins: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) current_burn_rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) closed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) additional_data: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Serialize)]
pub(crate) struct StorageCharges {
    pub(crate) num_items: usize,
    pub(crate) items: Vec<StorageChargeItem>,
}

#[derive(Serialize)]
pub(crate) struct ProductChargesGetResponse {
    pub(crate) product_id: String,
    pub(crate) product_type: &'static str,
    pub(crate) billing_day: u32,
    pub(crate) claimable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) claim: Option<ProductClaimDetail>,
    pub(crate) count: usize,
    pub(crate) from: String,
    pub(crate) until: String,
    pub(crate) coins: String,
    pub(crate) processing_charges: Vec<ProcessingCharges>,
    pub(crate) storage_charges: StorageCharges,
}

#[derive(Serialize)]
pub(crate) struct UnitChargeSummary {
    pub(crate) charges: Vec<ChargeSummary>,
}

#[derive(Serialize)]
pub(crate) struct UnitProductChargeSummary {
    pub(crate) product_id: String,
    pub(crate) product_type: &'static str,
    pub(crate) charges: Vec<ChargeSummary>,
}

#[derive(Serialize)]
pub(crate) struct UnitChargesGetResponse {
    pub(crate) caller_is_member: bool,
    pub(crate) unit_id: String,
    pub(crate) name: String,
    pub(crate) owner_id: String,
    pub(crate) private: bool,
    pub(crate) created: String,
    pub(crate) coins: String,
    pub(crate) count: usize,
    pub(crate) billing_day: u32,
    pub(crate) from: String,
    pub(crate) until: String,
    pub(crate) summary: UnitChargeSummary,
    pub(crate) products: Vec<UnitProductChargeSummary>,
}

#[derive(Serialize)]
pub(crate) struct OrganisationUnitChargeSummary {
    pub(crate) unit_id: String,
    pub(crate) name: String,
    pub(crate) billing_day: u32,
    pub(crate) from: String,
    pub(crate) until: String,
    pub(crate) summary: Vec<ChargeSummary>,
}

#[derive(Serialize)]
pub(crate) struct OrganisationChargesGetResponse {
    pub(crate) organisation_id: String,
    pub(crate) name: String,
    pub(crate) coins: String,
    pub(crate) summary: Vec<ChargeSummary>,
    pub(crate) unit_charges: Vec<OrganisationUnitChargeSummary>,
}

#[derive(Serialize)]
pub(crate) struct OrganisationChargeSummary {
    pub(crate) organisation_id: String,
    pub(crate) name: String,
    pub(crate) summary: Vec<ChargeSummary>,
}

#[derive(Serialize)]
pub(crate) struct ChargesGetResponse {
    pub(crate) coins: String,
    pub(crate) count: usize,
    pub(crate) summary: Vec<ChargeSummary>,
    pub(crate) organisation_charges: Vec<OrganisationChargeSummary>,
}

#[derive(Serialize)]
pub(crate) struct EventStreamGetPostResponse {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) location: String,
    pub(crate) format: String,
}

#[derive(Serialize)]
pub(crate) struct EventStreamVersionGetResponse {
    pub(crate) version: &'static str,
    pub(crate) protocol: &'static str,
    pub(crate) name: &'static str,
}

#[derive(Serialize)]
pub(crate) struct ActionDetail {
    pub(crate) id: i64,
    pub(crate) action: &'static str,
    pub(crate) content: String,
    pub(crate) timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) merchant: Option<MerchantSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) product_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) org_id: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct ActionGetResponse {
    pub(crate) actions: Vec<ActionDetail>,
    pub(crate) count: usize,
}

#[derive(Serialize)]
pub(crate) struct UserAccountDetail {
    pub(crate) user: UserDetail,
    pub(crate) caller_has_admin_privilege: bool,
    pub(crate) account_server_roles: Vec<&'static str>,
}
