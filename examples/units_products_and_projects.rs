//! How projects are paid for: creates an Account Server unit in an organisation, a storage
//! product and a project-tier product in it, and a Data Manager project on the project-tier
//! product; then deletes them all in reverse order.
//!
//! ```text
//! cargo run --example units_products_and_projects -- ORG_ID -e staging
//! ```
//!
//! Against `squonk2-sandbox`, use the organisation every sandbox starts with,
//! `squonk2_sandbox::SANDBOX_ORG_ID` (printed at start-up).
//!
//! Needs `squonk2`, `anyhow` and `lexopt`, and the file `examples/common/mod.rs` copied
//! beside it.

#[macro_use]
mod common;

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _, Result};
use squonk2::as_api::{self, CreateProductOptions};
use squonk2::{dm_api, ApiRv, Client};

const HELP: &str = "\
How projects are paid for: creates an Account Server unit in an organisation, a storage
product and a project-tier product in it, and a Data Manager project on the project-tier
product; then deletes them all in reverse order. When a step fails, what was made so far
is deleted (newest first) before the program stops with a non-zero exit.

usage: units_products_and_projects ORG_ID [-e ENVIRONMENT]

  ORG_ID                   an organisation you may create units in (org_units_products
                           lists them; a fresh sandbox has one, printed at its start-up)
  -e, --environment NAME   an environment of your environments file (default: the file's
                           default environment); it needs both the Data Manager and the
                           Account Server (dm-hostname, as-hostname and both Keycloak
                           client ids)
  -h, --help               print this help

Environment variables:
  SQUONK2_ENVIRONMENTS_FILE   the environments file (default ~/.squonk2/environments)
";

/// Something made, and how to delete it. The deletes answer different types (a project's
/// gives a task, a unit's nothing): `untyped()` makes each an `ApiRv` with its answer as
/// JSON, so that they fit one list.
struct Made {
    what: String,
    delete: Box<dyn Fn(&Client) -> ApiRv>,
}

fn main() -> ExitCode {
    common::main("units_products_and_projects", run)
}

fn run() -> Result<bool> {
    let (org_id, environment) = parse_args()?;
    let client = Client::from_environment(environment.as_deref())?;
    // Log in to both services now, so that a missing setting stops us before we make anything.
    if client.as_access_token()?.is_none() || client.dm_access_token()?.is_none() {
        bail!("the environment needs keycloak-as-client-id and keycloak-dm-client-id");
    }

    let mut made = Vec::new();
    let outcome = make_all(&client, &org_id, &mut made);
    // Delete in reverse order: the project, the products, then the unit. When making
    // failed, this removes what was made before the failure.
    let mut failed = 0;
    for item in made.iter().rev() {
        match (item.delete)(&client).into_result() {
            Ok(_) => out!("Deleted {}", item.what),
            Err(e) => {
                eprintln!(
                    "units_products_and_projects: could not delete {}: {e:#}",
                    item.what
                );
                failed += 1;
            }
        }
    }
    outcome?;
    if failed > 0 {
        bail!("{failed} things could not be deleted: delete them yourself");
    }
    out!("Done");
    Ok(true)
}

/// Makes the unit, the products and the project, recording each in `made` as it is made.
fn make_all(client: &Client, org_id: &str, made: &mut Vec<Made>) -> Result<()> {
    // Names of our own each time: an organisation cannot have two units of one name.
    let suffix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);

    // A unit, billed on the 8th of each month.
    let unit_name = format!("Example unit {suffix}");
    let unit = as_api::create_unit(client, &unit_name, org_id, 8).typed()?;
    let unit_id = unit.id;
    out!("Created unit {unit_id} ({unit_name:?})");
    let to_delete = unit_id.clone();
    made.push(Made {
        what: format!("unit {unit_id}"),
        delete: Box::new(move |c| as_api::delete_unit(c, &to_delete).untyped()),
    });

    // A storage product: storage is charged from its allowance of coins.
    let storage = as_api::create_product(
        client,
        "Example storage",
        &unit_id,
        "DATA_MANAGER_STORAGE_SUBSCRIPTION",
        &CreateProductOptions {
            allowance: 10,
            limit: 10,
            ..Default::default()
        },
    )
    .typed()?;
    let storage_id = storage.id;
    out!("Created storage product {storage_id}");
    made.push(product(&storage_id, "storage"));

    // A project-tier product: its flavour sets its allowance and limit.
    let tier = as_api::create_product(
        client,
        "Example project tier",
        &unit_id,
        "DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION",
        &CreateProductOptions {
            flavour: "BRONZE".into(),
            ..Default::default()
        },
    )
    .typed()?;
    let tier_id = tier.id;
    out!("Created project-tier product {tier_id}");
    made.push(product(&tier_id, "project-tier"));

    // A Data Manager project paid for by the project-tier product.
    let project_name = format!("Example project {suffix}");
    let project =
        dm_api::create_project(client, &project_name, &tier_id, &Default::default()).typed()?;
    let project_id = project.project_id;
    out!("Created project {project_id} ({project_name:?}) on product {tier_id}");
    made.push(Made {
        what: format!("project {project_id}"),
        delete: Box::new(move |c| dm_api::delete_project(c, &project_id).untyped()),
    });
    Ok(())
}

fn product(product_id: &str, kind: &str) -> Made {
    let to_delete = product_id.to_string();
    Made {
        what: format!("{kind} product {product_id}"),
        delete: Box::new(move |c| as_api::delete_product(c, &to_delete).untyped()),
    }
}

fn parse_args() -> Result<(String, Option<String>)> {
    use lexopt::prelude::*;

    let (mut org_id, mut environment) = (None, None);
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('e') | Long("environment") => {
                environment = Some(common::value(&mut parser, "--environment")?)
            }
            Short('h') | Long("help") => common::help(HELP),
            Value(value) if org_id.is_none() => org_id = Some(value.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let org_id = org_id.context("expected an organisation id (see --help)")?;
    Ok((org_id, environment))
}
