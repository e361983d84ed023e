//! Deletes the projects whose name starts with a prefix, in every project of a deployment:
//! the clean-up after tests and demos (the quickstart's projects start with `quickstart `).
//! Without `--do-it` it only lists what it would delete.
//!
//! ```text
//! cargo run --example delete_test_projects -- staging "quickstart "
//! cargo run --example delete_test_projects -- staging "quickstart " --do-it
//! ```
//!
//! The first argument names an environment of your environments file (`~/.squonk2/environments`,
//! or the file `SQUONK2_ENVIRONMENTS_FILE` names): its admin user logs in, switches admin mode
//! on to see every project, deletes each matching project as its creator (impersonating
//! them), and switches admin mode off at the end, even after a failure. The name must start
//! with the prefix exactly (case matters). The exit code is 0 only when every matching
//! project was deleted (or, without `--do-it`, when the listing worked).

use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use serde_json::Value;
use squonk2::dm_api::{self, SetAdminStateOptions};
use squonk2::Client;

const USAGE: &str = "usage: delete_test_projects ENVIRONMENT PREFIX [--do-it]";

struct Args {
    environment: String,
    prefix: String,
    do_it: bool,
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("delete_test_projects: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok(false)` when some projects could not be deleted.
fn run(args: Args) -> Result<bool> {
    let client = Client::from_environment(Some(&args.environment))?;
    dm_api::set_admin_state(&client, true, &SetAdminStateOptions::default())
        .into_result()
        .context("cannot switch admin mode on (does the user have the admin role?)")?;
    let outcome = delete_projects(&client, &args);
    // Always leave admin mode (this also ends any impersonation), whatever happened.
    match dm_api::set_admin_state(&client, false, &SetAdminStateOptions::default()).into_result() {
        Ok(_) => {
            println!("Left admin mode");
            outcome
        }
        Err(e) => {
            eprintln!(
                "delete_test_projects: could not switch admin mode off, do it yourself: {e:#}"
            );
            outcome.and(Ok(false))
        }
    }
}

fn delete_projects(client: &Client, args: &Args) -> Result<bool> {
    let projects = dm_api::get_available_projects(client, &Default::default()).into_result()?;
    let all = projects["projects"].as_array().cloned().unwrap_or_default();
    let matching: Vec<&Value> = all
        .iter()
        .filter(|p| text(&p["name"]).starts_with(&args.prefix))
        .collect();
    println!("Projects whose name starts with {:?}:", args.prefix);
    for project in &matching {
        println!(
            "  {:?} [{}] of {}",
            text(&project["name"]),
            text(&project["project_id"]),
            text(&project["creator"])
        );
    }
    println!("Found {} of {} projects", matching.len(), all.len());
    if !args.do_it {
        println!("Nothing deleted: run again with --do-it to delete them");
        return Ok(true);
    }

    let mut failed = 0;
    for project in &matching {
        let project_id = text(&project["project_id"]);
        // An admin deletes a project as its creator.
        let impersonate = SetAdminStateOptions {
            impersonate: Some(text(&project["creator"])),
        };
        let deleted = dm_api::set_admin_state(client, true, &impersonate)
            .into_result()
            .and_then(|_| dm_api::delete_project(client, &project_id).into_result());
        match deleted {
            Ok(_) => println!("  deleted {project_id}"),
            Err(e) => {
                println!("  could not delete {project_id}: {e:#}");
                failed += 1;
            }
        }
    }
    println!("Deleted {}, failed {failed}", matching.len() - failed);
    Ok(failed == 0)
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn parse_args() -> Result<Args> {
    use lexopt::prelude::*;

    let mut positional = Vec::new();
    let mut do_it = false;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("do-it") => do_it = true,
            Short('h') | Long("help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(value) => positional.push(value.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let [environment, prefix] = <[_; 2]>::try_from(positional)
        .map_err(|_| anyhow::anyhow!("expected an environment and a prefix\n{USAGE}"))?;
    if prefix.is_empty() {
        // An empty prefix would match every project.
        bail!("the prefix must not be empty");
    }
    Ok(Args {
        environment,
        prefix,
        do_it,
    })
}
