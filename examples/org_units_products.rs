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
//! ```text
//! Organisation "Acme" [org-...]
//!   Unit "Lab" [unit-...], billing day 8
//!     Product "Lab storage" [product-...]: storage
//!       coins: used 1.5, allowance 10, limit 10, predicted 4.5 this period
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use serde_json::Value;
use squonk2::as_api;
use squonk2::Client;

const USAGE: &str = "usage: org_units_products ENVIRONMENT";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("org_units_products: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let environment = parse_args()?;
    let client = Client::from_environment(Some(&environment))?;
    if client.as_access_token()?.is_none() {
        anyhow::bail!("the environment {environment:?} has no keycloak-as-client-id");
    }

    // Three calls fetch everything: organisations, units (grouped by organisation) and
    // products (each naming its unit).
    let organisations = as_api::get_organisations(&client, &Default::default()).into_result()?;
    let units = as_api::get_available_units(&client).into_result()?;
    let products = as_api::get_available_products(&client).into_result()?;

    let mut units_of_org: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for group in list(&units, "units") {
        for unit in list(group, "units") {
            units_of_org
                .entry(text(&group["organisation"]["id"]))
                .or_default()
                .push(unit);
        }
    }
    let mut products_of_unit: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for product in list(&products, "products") {
        products_of_unit
            .entry(text(&product["unit"]["id"]))
            .or_default()
            .push(product);
    }

    let mut orgs: Vec<&Value> = list(&organisations, "organisations").collect();
    orgs.sort_by_key(|org| text(&org["name"]));
    let (mut unit_count, mut product_count) = (0, 0);
    for org in &orgs {
        let org_id = text(&org["id"]);
        println!("Organisation {:?} [{org_id}]", text(&org["name"]));
        let mut org_units = units_of_org.remove(&org_id).unwrap_or_default();
        org_units.sort_by_key(|unit| text(&unit["name"]));
        if org_units.is_empty() {
            println!("  (no units)");
        }
        for unit in org_units {
            unit_count += 1;
            let unit_id = text(&unit["id"]);
            println!(
                "  Unit {:?} [{unit_id}], billing day {}",
                text(&unit["name"]),
                unit["billing_day"]
            );
            let mut unit_products = products_of_unit.remove(&unit_id).unwrap_or_default();
            unit_products.sort_by_key(|p| text(&p["product"]["name"]));
            for product in unit_products {
                product_count += 1;
                print_product(product);
            }
        }
    }
    println!(
        "\n{} organisations, {unit_count} units, {product_count} products",
        orgs.len()
    );
    Ok(())
}

fn print_product(entry: &Value) {
    let product = &entry["product"];
    let kind = match product["type"].as_str() {
        Some("DATA_MANAGER_STORAGE_SUBSCRIPTION") => "storage".to_string(),
        Some("DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION") => match product["flavour"].as_str() {
            Some(flavour) => format!("project tier {flavour}"),
            None => "project tier".to_string(),
        },
        other => other.unwrap_or("?").to_string(),
    };
    let claim = match entry["claim"]["id"].as_str() {
        Some(id) => format!(", used by {id}"),
        None => String::new(),
    };
    println!(
        "    Product {:?} [{}]: {kind}{claim}",
        text(&product["name"]),
        text(&product["id"])
    );
    let coins = &entry["coins"];
    let at_limit = if coins["at_limit"] == true {
        " (AT LIMIT)"
    } else {
        ""
    };
    println!(
        "      coins: used {}, allowance {}, limit {}, predicted {} this period{at_limit}",
        coins["used"], coins["allowance"], coins["limit"], coins["billing_prediction"]
    );
}

/// The array `key` of `value` (empty when it is missing).
fn list<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value[key].as_array().into_iter().flatten()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn parse_args() -> Result<String> {
    use lexopt::prelude::*;

    let mut environment = None;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(value) if environment.is_none() => environment = Some(value.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    environment.with_context(|| format!("expected an environment name\n{USAGE}"))
}
