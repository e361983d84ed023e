//! Prints the Account Server's organisations, their units and the units' products as a
//! tree, with each product's coins for the current billing period.
//!
//! ```text
//! cargo run --example org_units_products -- staging
//! ```
//!
//! The argument names an environment of your environments file (`~/.squonk2/environments`,
//! or the file `SQUONK2_ENVIRONMENTS_FILE` names); its admin user logs in to the Account
//! Server (the environment needs `as-hostname` and `keycloak-as-client-id`). An admin sees
//! everything; another user sees what they are a member of. Nothing changes.
//!
//! Needs `squonk2`, `anyhow` and `lexopt`, and the file `examples/common/mod.rs` copied
//! beside it.

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use squonk2::as_api;
// The models named here are the types of the fields of `Product`, below: the answers
// themselves come typed from `typed()`.
use squonk2::as_api::models::{
    ProductClaimDetail, ProductCoinsDetail, ProductDetail, ProductsGetResponseProductsItem,
    UnitAllDetail,
};
use squonk2::Client;

const HELP: &str = "\
Prints the Account Server's organisations, their units and the units' products as a tree,
with each product's coins for the current billing period. Nothing changes.

usage: org_units_products ENVIRONMENT

  ENVIRONMENT   an environment of your environments file; its admin user logs in to the
                Account Server (it needs as-hostname and keycloak-as-client-id)
  -h, --help    print this help

An admin sees everything; another user sees what they are a member of:

Organisation \"Acme\" [org-...]
  Unit \"Lab\" [unit-...], billing day 8
    Product \"Lab storage\" [product-...]: storage
      coins: used 1.5, allowance 10, limit 10, predicted 4.5 this period

Environment variables:
  SQUONK2_ENVIRONMENTS_FILE   the environments file (default ~/.squonk2/environments)
";

fn main() -> ExitCode {
    common::main("org_units_products", || {
        run()?;
        Ok(true)
    })
}

/// What the tree shows of a product, whichever kind it is.
struct Product<'a> {
    detail: &'a ProductDetail,
    unit: &'a UnitAllDetail,
    coins: &'a ProductCoinsDetail,
    claim: Option<&'a ProductClaimDetail>,
}

impl<'a> From<&'a ProductsGetResponseProductsItem> for Product<'a> {
    fn from(item: &'a ProductsGetResponseProductsItem) -> Product<'a> {
        // Every kind has a product, unit and coins; only project tiers have a claim.
        let claim = match item {
            ProductsGetResponseProductsItem::ProductDmProjectTier(tier) => tier.claim.as_ref(),
            _ => None,
        };
        Product {
            detail: item.product(),
            unit: item.unit(),
            coins: item.coins(),
            claim,
        }
    }
}

fn run() -> Result<()> {
    let environment = parse_args()?;
    let client = Client::from_environment(Some(&environment))?;
    if client.as_access_token()?.is_none() {
        bail!("the environment {environment:?} has no keycloak-as-client-id");
    }

    // Three calls give the whole tree; the rest is grouping. `typed()` gives each answer as
    // its typed model.
    let organisations = as_api::get_organisations(&client, &Default::default()).typed()?;
    let units = as_api::get_available_units(&client).typed()?;
    let products = as_api::get_available_products(&client).typed()?;

    let mut units_of_org: BTreeMap<&str, Vec<&UnitAllDetail>> = BTreeMap::new();
    for group in &units.units {
        for unit in &group.units {
            units_of_org
                .entry(&group.organisation.id)
                .or_default()
                .push(unit);
        }
    }
    let mut products_of_unit: BTreeMap<&str, Vec<Product>> = BTreeMap::new();
    for item in &products.products {
        let product = Product::from(item);
        products_of_unit
            .entry(&product.unit.id)
            .or_default()
            .push(product);
    }

    let mut orgs: Vec<_> = organisations.organisations.iter().collect();
    orgs.sort_by_key(|org| &org.name);
    let (mut unit_count, mut product_count) = (0, 0);
    for org in &orgs {
        out!("Organisation {:?} [{}]", org.name, org.id);
        let mut org_units = units_of_org.remove(org.id.as_str()).unwrap_or_default();
        org_units.sort_by_key(|unit| &unit.name);
        if org_units.is_empty() {
            out!("  (no units)");
        }
        for unit in org_units {
            unit_count += 1;
            out!(
                "  Unit {:?} [{}], billing day {}",
                unit.name,
                unit.id,
                unit.billing_day
            );
            let mut unit_products = products_of_unit
                .remove(unit.id.as_str())
                .unwrap_or_default();
            unit_products.sort_by_key(|p| p.detail.name.clone());
            for product in unit_products {
                product_count += 1;
                print_product(&product)?;
            }
        }
    }
    out!(
        "\n{} organisations, {unit_count} units, {product_count} products",
        orgs.len()
    );
    Ok(())
}

fn print_product(product: &Product) -> Result<()> {
    let detail = product.detail;
    // Enumerated values are compared as the API writes them: a value this program does not
    // know is shown as it is.
    let kind = match detail.r#type.as_str() {
        "DATA_MANAGER_STORAGE_SUBSCRIPTION" => "storage".to_string(),
        "DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION" => match &detail.flavour {
            Some(flavour) => format!("project tier {flavour}"),
            None => "project tier".to_string(),
        },
        other => other.to_string(),
    };
    let claim = match product.claim {
        Some(claim) => format!(", used by {}", claim.id),
        None => String::new(),
    };
    out!(
        "    Product {:?} [{}]: {kind}{claim}",
        detail.name.as_deref().unwrap_or_default(),
        detail.id
    );
    let coins = product.coins;
    let at_limit = if coins.at_limit { " (AT LIMIT)" } else { "" };
    out!(
        "      coins: used {}, allowance {}, limit {}, predicted {} this period{at_limit}",
        coins.used,
        coins.allowance,
        coins.limit,
        coins.billing_prediction
    );
    Ok(())
}

fn parse_args() -> Result<String> {
    use lexopt::prelude::*;

    let mut environment = None;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => common::help(HELP),
            Value(value) if environment.is_none() => environment = Some(value.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    environment.context("expected an environment name (see --help)")
}
