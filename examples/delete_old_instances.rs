//! Deletes the instances that stopped more than some hours ago, in every project of a
//! deployment. Without `--do-it` it only lists what it would delete.
//!
//! ```text
//! cargo run --example delete_old_instances -- staging --age 96
//! cargo run --example delete_old_instances -- staging --age 96 --do-it
//! ```
//!
//! Needs `squonk2`, `anyhow`, `lexopt`, `jiff` and `ctrlc`, and the files
//! `examples/common/mod.rs` and `examples/common/admin_mode.rs` copied beside it.

#[macro_use]
mod common;
#[path = "common/admin_mode.rs"]
mod admin_mode;

use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use jiff::{civil, tz::Offset, Timestamp};
use squonk2::dm_api;
use squonk2::Client;

use admin_mode::AdminMode;

const HELP: &str = "\
Deletes the instances that stopped more than some hours ago, in every project of a
deployment, each as its owner. Instances still running are never touched.

usage: delete_old_instances ENVIRONMENT [--age HOURS] [--do-it]

  ENVIRONMENT   an environment of your environments file; its admin user logs in
  --age HOURS   how long ago an instance must have stopped (default 96)
  --do-it       delete them (default: only list them)
  -h, --help    print this help

Admin mode is switched on to see every instance and off at the end, even after a failure
or Ctrl-C. The exit code is 0 only when every old instance was deleted (or, without
--do-it, when the listing worked).

Environment variables:
  SQUONK2_ENVIRONMENTS_FILE   the environments file (default ~/.squonk2/environments)
";

struct Args {
    environment: String,
    age_hours: f64,
    do_it: bool,
}

fn main() -> ExitCode {
    common::main("delete_old_instances", || run(parse_args()?))
}

/// `Ok(false)` when some instances could not be deleted.
fn run(args: Args) -> Result<bool> {
    let client = Client::from_environment(Some(&args.environment))?;
    let admin = AdminMode::enter(&client, "delete_old_instances")?;
    let outcome = delete_old(&client, &admin, &args);
    admin.leave()?;
    out!("Left admin mode");
    outcome
}

fn delete_old(client: &Client, admin: &AdminMode, args: &Args) -> Result<bool> {
    let now = Timestamp::now();
    let listing = dm_api::get_available_instances(client).typed()?;
    out!("Instances stopped more than {} hours ago:", args.age_hours);
    let mut old = Vec::new();
    for instance in &listing.instances {
        // Running instances have no stop time.
        let Some(stopped) = &instance.stopped else {
            continue;
        };
        let Some(stopped_at) = utc_time(stopped) else {
            out!(
                "  skipping {}: cannot read its stop time {stopped:?}",
                instance.id
            );
            continue;
        };
        let hours = now.duration_since(stopped_at).as_secs_f64() / 3600.0;
        if hours >= args.age_hours {
            out!(
                "  {:?} [{}] of {}, stopped {stopped} ({hours:.1} hours ago)",
                instance.name,
                instance.id,
                instance.owner
            );
            old.push(instance);
        }
    }
    out!(
        "Found {} of {} instances",
        old.len(),
        listing.instances.len()
    );
    if old.is_empty() {
        return Ok(true);
    }
    if !args.do_it {
        out!("Nothing deleted: run again with --do-it to delete them");
        return Ok(true);
    }

    let mut failed = 0;
    for instance in &old {
        let deleted = admin.act_as(&instance.owner).and_then(|()| {
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
    out!("Deleted {}, failed {failed}", old.len() - failed);
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

fn parse_args() -> Result<Args> {
    use lexopt::prelude::*;

    let mut environment = None;
    let mut age_hours: f64 = 96.0;
    let mut do_it = false;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("age") => age_hours = common::value(&mut parser, "--age")?,
            Long("do-it") => do_it = true,
            Short('h') | Long("help") => common::help(HELP),
            Value(value) if environment.is_none() => environment = Some(value.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let environment = environment.context("expected an environment name (see --help)")?;
    if !(0.0..f64::INFINITY).contains(&age_hours) {
        bail!("--age must be a number of hours, 0 or more, not {age_hours}");
    }
    Ok(Args {
        environment,
        age_hours,
        do_it,
    })
}
