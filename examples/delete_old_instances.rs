//! Deletes the instances that stopped more than some hours ago, in every project of a
//! deployment. Without `--do-it` it only lists what it would delete.
//!
//! ```text
//! cargo run --example delete_old_instances -- staging --age 96
//! cargo run --example delete_old_instances -- staging --age 96 --do-it
//! ```
//!
//! The first argument names an environment of your environments file (`~/.squonk2/environments`,
//! or the file `SQUONK2_ENVIRONMENTS_FILE` names). Its admin user logs in, switches admin mode
//! on to see every instance, deletes each old one as its owner (impersonating them), and
//! switches admin mode off at the end, even after a failure. `--age` is in hours (default
//! 96); instances still running are never touched. The exit code is 0 only when every old
//! instance was deleted (or, without `--do-it`, when the listing worked).

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use jiff::{civil, tz::Offset, Timestamp};
use serde_json::Value;
use squonk2::dm_api::{self, SetAdminStateOptions};
use squonk2::Client;

const USAGE: &str = "usage: delete_old_instances ENVIRONMENT [--age HOURS] [--do-it]";

struct Args {
    environment: String,
    age_hours: f64,
    do_it: bool,
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("delete_old_instances: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok(false)` when some instances could not be deleted.
fn run(args: Args) -> Result<bool> {
    let client = Client::from_environment(Some(&args.environment))?;
    dm_api::set_admin_state(&client, true, &SetAdminStateOptions::default())
        .into_result()
        .context("cannot switch admin mode on (does the user have the admin role?)")?;
    let outcome = delete_old(&client, &args);
    // Always leave admin mode (this also ends any impersonation), whatever happened.
    match dm_api::set_admin_state(&client, false, &SetAdminStateOptions::default()).into_result() {
        Ok(_) => {
            println!("Left admin mode");
            outcome
        }
        Err(e) => {
            eprintln!(
                "delete_old_instances: could not switch admin mode off, do it yourself: {e:#}"
            );
            outcome.and(Ok(false))
        }
    }
}

fn delete_old(client: &Client, args: &Args) -> Result<bool> {
    let now = Timestamp::now();
    let instances = dm_api::get_available_instances(client).into_result()?;
    let all = instances["instances"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    println!("Instances stopped more than {} hours ago:", args.age_hours);
    let mut old = Vec::new();
    for instance in &all {
        // Running instances have no `stopped` time.
        let Some(stopped) = instance["stopped"].as_str() else {
            continue;
        };
        let (id, owner) = (text(&instance["id"]), text(&instance["owner"]));
        let Some(stopped_at) = utc_time(stopped) else {
            println!("  skipping {id}: cannot read its stop time {stopped:?}");
            continue;
        };
        let hours = now.duration_since(stopped_at).as_secs_f64() / 3600.0;
        if hours >= args.age_hours {
            println!(
                "  {:?} [{id}] of {owner}, stopped {stopped} ({hours:.1} hours ago)",
                text(&instance["name"])
            );
            old.push((id, owner));
        }
    }
    println!("Found {} of {} instances", old.len(), all.len());
    if !args.do_it {
        println!("Nothing deleted: run again with --do-it to delete them");
        return Ok(true);
    }

    let mut failed = 0;
    for (id, owner) in &old {
        // An admin deletes an instance as its owner.
        let impersonate = SetAdminStateOptions {
            impersonate: Some(owner.clone()),
        };
        let deleted = dm_api::set_admin_state(client, true, &impersonate)
            .into_result()
            .and_then(|_| dm_api::delete_instance(client, id).into_result());
        match deleted {
            Ok(_) => println!("  deleted {id}"),
            Err(e) => {
                println!("  could not delete {id}: {e:#}");
                failed += 1;
            }
        }
    }
    println!("Deleted {}, failed {failed}", old.len() - failed);
    Ok(failed == 0)
}

/// A time as the Data Manager writes it: naive UTC, `2024-05-01T10:11:12.123456` (what a
/// real deployment sends), or with a zone, `2024-05-01T10:11:12.123456Z` or `+00:00`. `None`
/// for anything else.
fn utc_time(time: &str) -> Option<Timestamp> {
    if let Ok(at) = time.parse::<Timestamp>() {
        return Some(at);
    }
    // No zone designator: UTC, as the Data Manager means it.
    let civil: civil::DateTime = time.parse().ok()?;
    Offset::UTC.to_timestamp(civil).ok()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn parse_args() -> Result<Args> {
    use lexopt::prelude::*;

    let mut environment = None;
    let mut age_hours = 96.0;
    let mut do_it = false;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("age") => age_hours = parser.value()?.parse()?,
            Long("do-it") => do_it = true,
            Short('h') | Long("help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(value) if environment.is_none() => environment = Some(value.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let environment =
        environment.ok_or_else(|| anyhow::anyhow!("expected an environment name\n{USAGE}"))?;
    if !(0.0..f64::INFINITY).contains(&age_hours) {
        anyhow::bail!("--age must be a number of hours, 0 or more");
    }
    Ok(Args {
        environment,
        age_hours,
        do_it,
    })
}
