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
//! Needs `squonk2`, `anyhow`, `lexopt` and `ctrlc`, and the files `examples/common/mod.rs`
//! and `examples/common/admin_mode.rs` copied beside it.

#[macro_use]
mod common;
#[path = "common/admin_mode.rs"]
mod admin_mode;

use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use squonk2::dm_api;
use squonk2::Client;

use admin_mode::AdminMode;

const HELP: &str = "\
Deletes every instance in every project you can see (with --admin, every project of the
deployment), each as its owner.

usage: delete_all_instances -k KEYCLOAK_HOSTNAME -r KEYCLOAK_REALM [-i KEYCLOAK_CLIENT_ID]
                            [-d DM_API_URL] [--admin] [--do-it]

  -k, --keycloak-hostname HOST  Keycloak's host name or whole URL (required; a host name
                                gets https:// and /auth, as in the environments file)
  -r, --keycloak-realm REALM    the Keycloak realm (required)
  -i, --keycloak-client-id ID   the Data Manager's client (default data-manager-api)
  -d, --dm-api-url URL          the Data Manager (default: SQUONK2_DMAPI_URL)
  --admin                       switch admin mode on to see every project (needs the
                                admin role); it is switched off at the end, even after a
                                failure or Ctrl-C
  --do-it                       delete them (default: only list them)
  -h, --help                    print this help

The exit code is 0 only when every instance found was deleted (or, without --do-it, when
the listing worked).

Environment variables:
  DMAPI_USERNAME            the user (required)
  DMAPI_USERNAME_PASSWORD   their password (required)
  SQUONK2_DMAPI_URL         the Data Manager, when -d is not given
";

struct Args {
    keycloak_url: String,
    realm: String,
    client_id: String,
    dm_api_url: String,
    admin: bool,
    do_it: bool,
}

fn main() -> ExitCode {
    common::main("delete_all_instances", || run(parse_args()?))
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
    out!("Logged in to {} as {username}", args.dm_api_url);

    if !args.admin {
        return delete_all(&client, None, &args);
    }
    let admin = AdminMode::enter(&client, "delete_all_instances")?;
    let outcome = delete_all(&client, Some(&admin), &args);
    admin.leave()?;
    out!("Left admin mode");
    outcome
}

/// Lists the instances of every project the client sees and, with `--do-it`, deletes them.
fn delete_all(client: &Client, admin: Option<&AdminMode>, args: &Args) -> Result<bool> {
    let projects = dm_api::get_available_projects(client, &Default::default()).typed()?;
    let mut found = Vec::new();
    for project in &projects.projects {
        out!("Project {:?} [{}]", project.name, project.project_id);
        let listing = dm_api::get_project_instances(client, &project.project_id).typed()?;
        for instance in listing.instances {
            out!(
                "  instance {:?} [{}] of {}, {}",
                instance.name,
                instance.id,
                instance.owner,
                instance.phase
            );
            found.push(instance);
        }
    }
    out!("Found {} instances", found.len());
    if found.is_empty() {
        return Ok(true);
    }
    if !args.do_it {
        out!("Nothing deleted: run again with --do-it to delete them");
        return Ok(true);
    }

    let mut failed = 0;
    for instance in &found {
        // Admins delete an instance as its owner.
        let acting = admin.map_or(Ok(()), |admin| admin.act_as(&instance.owner));
        let deleted = acting.and_then(|()| {
            dm_api::delete_instance(client, &instance.id).typed()?;
            Ok(())
        });
        match deleted {
            Ok(_) => out!("  deleted {}", instance.id),
            Err(e) => {
                out!("  could not delete {}: {e:#}", instance.id);
                failed += 1;
            }
        }
    }
    out!("Deleted {}, failed {failed}", found.len() - failed);
    Ok(failed == 0)
}

fn required_var(name: &str) -> Result<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .with_context(|| format!("{name} is not set (see --help)"))
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
            Short('h') | Long("help") => common::help(HELP),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let (Some(hostname), Some(realm)) = (hostname, realm) else {
        bail!("the Keycloak hostname (-k) and realm (-r) are required (see --help)");
    };
    let dm_api_url = match dm_api_url {
        Some(url) => url,
        None => std::env::var("SQUONK2_DMAPI_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .context("give the Data Manager URL (-d or SQUONK2_DMAPI_URL; see --help)")?,
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
