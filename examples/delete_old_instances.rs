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
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result};
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
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs_f64();
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
        let Some(stopped_at) = unix_seconds(stopped) else {
            println!("  skipping {id}: cannot read its stop time {stopped:?}");
            continue;
        };
        let hours = (now - stopped_at) / 3600.0;
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

/// Seconds since the Unix epoch of a UTC time as the Data Manager writes it,
/// `2024-05-01T10:11:12.123456Z` (without the `Z` it is taken as UTC too). `None` for
/// anything else.
fn unix_seconds(time: &str) -> Option<f64> {
    let time = time
        .strip_suffix('Z')
        .or_else(|| time.strip_suffix("+00:00"))
        .unwrap_or(time);
    let (date, clock) = time.split_once('T')?;
    let mut date = date.splitn(3, '-').map(|part| part.parse::<i64>().ok());
    let (year, month, day) = (date.next()??, date.next()??, date.next()??);
    let mut clock = clock.splitn(3, ':');
    let hour: i64 = clock.next()?.parse().ok()?;
    let minute: i64 = clock.next()?.parse().ok()?;
    let second: f64 = clock.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Days since 1970-01-01 (the days_from_civil algorithm of Howard Hinnant).
    let year = if month <= 2 { year - 1 } else { year };
    let (era, year_of_era) = (year.div_euclid(400), year.rem_euclid(400));
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some((days * 86_400 + hour * 3_600 + minute * 60) as f64 + second)
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
