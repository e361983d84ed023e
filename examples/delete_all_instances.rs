//! Deletes every instance in every project you can see, for example to clear out running
//! Jobs before a major upgrade. Without `--do-it` it only lists what it would delete.
//!
//! ```text
//! export DMAPI_USERNAME=admin
//! export DMAPI_USERNAME_PASSWORD=...
//! export SQUONK2_DMAPI_URL=https://example.com/data-manager-api
//! cargo run --example delete_all_instances -- -k example.com -r squonk2 --admin
//! cargo run --example delete_all_instances -- -k example.com -r squonk2 --admin --do-it
//! ```
//!
//! Keycloak is `--keycloak-hostname/-k` (a host name, given `https://` and `/auth` as in the
//! environments file, or a whole URL), `--keycloak-realm/-r` and `--keycloak-client-id/-i`
//! (default `data-manager-api`). The Data Manager is `--dm-api-url/-d`, or
//! `SQUONK2_DMAPI_URL` when that is not given. The user and password come from
//! `DMAPI_USERNAME` and `DMAPI_USERNAME_PASSWORD`, to keep them out of your shell history.
//!
//! With `--admin` (for users with the Data Manager's admin role) it switches admin mode on
//! to see every project of the deployment, deletes each instance as its owner
//! (impersonating them), and switches admin mode off at the end, even after a failure.
//! The exit code is 0 only when every instance found was deleted (or, without `--do-it`,
//! when the listing worked).

use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use squonk2::dm_api::{self, SetAdminStateOptions};
use squonk2::Client;

const USAGE: &str = "\
usage: delete_all_instances -k KEYCLOAK_HOSTNAME -r KEYCLOAK_REALM [-i KEYCLOAK_CLIENT_ID]
                            [-d DM_API_URL] [--admin] [--do-it]
(the user and password come from DMAPI_USERNAME and DMAPI_USERNAME_PASSWORD; the Data
Manager URL from SQUONK2_DMAPI_URL when -d is not given)";

struct Args {
    keycloak_url: String,
    realm: String,
    client_id: String,
    dm_api_url: String,
    admin: bool,
    do_it: bool,
}

/// An instance found.
struct Found {
    id: String,
    owner: String,
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("delete_all_instances: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok(false)` when some instances could not be deleted.
fn run(args: Args) -> Result<bool> {
    let username = required_var("DMAPI_USERNAME")?;
    let password = required_var("DMAPI_USERNAME_PASSWORD")?;
    let client = Client::builder()
        .dm_api_url(&args.dm_api_url)
        .keycloak(&args.keycloak_url, &args.realm)
        .dm_client_id(&args.client_id)
        .credentials(&username, password)
        .build()?;
    // Get a token now: a wrong password or Keycloak setting stops us here.
    client.dm_access_token()?;
    println!("Logged in to {} as {username}", args.dm_api_url);

    if !args.admin {
        return delete_all(&client, &args);
    }
    dm_api::set_admin_state(&client, true, &SetAdminStateOptions::default())
        .into_result()
        .context("cannot switch admin mode on (does the user have the admin role?)")?;
    let outcome = delete_all(&client, &args);
    // Always leave admin mode (this also ends any impersonation), whatever happened.
    let left = dm_api::set_admin_state(&client, false, &SetAdminStateOptions::default())
        .into_result()
        .context("could not switch admin mode off: do it yourself");
    match left {
        Ok(_) => println!("Left admin mode"),
        Err(e) => {
            eprintln!("delete_all_instances: {e:#}");
            return outcome.and(Ok(false));
        }
    }
    outcome
}

/// Lists the instances of every project the client sees and, with `--do-it`, deletes them.
fn delete_all(client: &Client, args: &Args) -> Result<bool> {
    let projects = dm_api::get_available_projects(client, &Default::default()).into_result()?;
    let mut found = Vec::new();
    for project in projects["projects"].as_array().into_iter().flatten() {
        let project_id = project["project_id"].as_str().unwrap_or_default();
        println!(
            "Project {:?} [{project_id}]",
            project["name"].as_str().unwrap_or_default()
        );
        let instances = dm_api::get_project_instances(client, project_id).into_result()?;
        for instance in instances["instances"].as_array().into_iter().flatten() {
            let (id, owner) = (text(&instance["id"]), text(&instance["owner"]));
            println!(
                "  instance {:?} [{id}] of {owner}, {}",
                text(&instance["name"]),
                text(&instance["phase"])
            );
            found.push(Found { id, owner });
        }
    }
    println!("Found {} instances", found.len());
    if !args.do_it {
        println!("Nothing deleted: run again with --do-it to delete them");
        return Ok(true);
    }

    let mut failed = 0;
    for instance in &found {
        if args.admin {
            // Admins delete an instance as its owner.
            let impersonate = SetAdminStateOptions {
                impersonate: Some(instance.owner.clone()),
            };
            if let Err(e) = dm_api::set_admin_state(client, true, &impersonate).into_result() {
                println!("  could not act as {}: {e:#}", instance.owner);
                failed += 1;
                continue;
            }
        }
        match dm_api::delete_instance(client, &instance.id).into_result() {
            Ok(_) => println!("  deleted {}", instance.id),
            Err(e) => {
                println!("  could not delete {}: {e:#}", instance.id);
                failed += 1;
            }
        }
    }
    println!("Deleted {}, failed {failed}", found.len() - failed);
    Ok(failed == 0)
}

fn text(value: &serde_json::Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn required_var(name: &str) -> Result<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .with_context(|| format!("{name} is not set\n{USAGE}"))
}

/// A Keycloak URL from a host name, as the environments file makes it: `https://` in front
/// unless it starts with `http`, and `/auth` at the end.
fn keycloak_url(hostname: &str) -> String {
    let url = if hostname.starts_with("http") {
        hostname.to_string()
    } else {
        format!("https://{hostname}")
    };
    let url = url.trim_end_matches('/');
    if url.ends_with("/auth") {
        url.to_string()
    } else {
        format!("{url}/auth")
    }
}

fn parse_args() -> Result<Args> {
    use lexopt::prelude::*;

    let (mut hostname, mut realm, mut dm_api_url) = (None, None, None);
    let mut client_id = "data-manager-api".to_string();
    let (mut admin, mut do_it) = (false, false);
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('k') | Long("keycloak-hostname") => hostname = Some(parser.value()?.string()?),
            Short('r') | Long("keycloak-realm") => realm = Some(parser.value()?.string()?),
            Short('i') | Long("keycloak-client-id") => client_id = parser.value()?.string()?,
            Short('d') | Long("dm-api-url") => dm_api_url = Some(parser.value()?.string()?),
            Long("admin") => admin = true,
            Long("do-it") => do_it = true,
            Short('h') | Long("help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected().into()),
        }
    }
    let (Some(hostname), Some(realm)) = (hostname, realm) else {
        bail!("the Keycloak hostname (-k) and realm (-r) are required\n{USAGE}");
    };
    let dm_api_url = match dm_api_url {
        Some(url) => url,
        None => std::env::var("SQUONK2_DMAPI_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .with_context(|| {
                format!("give the Data Manager URL (-d or SQUONK2_DMAPI_URL)\n{USAGE}")
            })?,
    };
    Ok(Args {
        keycloak_url: keycloak_url(&hostname),
        realm,
        client_id,
        dm_api_url,
        admin,
        do_it,
    })
}
