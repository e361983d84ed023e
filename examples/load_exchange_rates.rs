//! Loads Jobs' exchange rates (their cost in coins) from a file into a deployment: the
//! other half of `save_exchange_rates`. Without `--do-it` it only says what it would change.
//!
//! ```text
//! cargo run --example load_exchange_rates -- staging rates.yaml
//! cargo run --example load_exchange_rates -- staging rates.yaml --do-it
//! ```
//!
//! The first argument names an environment of your environments file (`~/.squonk2/environments`,
//! or the file `SQUONK2_ENVIRONMENTS_FILE` names); its admin user logs in. The file is YAML
//! (or JSON, which is YAML too): a list of rates, each with `collection`, `job`, `version`,
//! `rate` (a decimal number, best quoted: `"0.05"`) and optionally a `comment`. The whole
//! file is checked before anything changes. Rates equal to the current ones are left alone.
//!
//! Needs `squonk2`, `anyhow`, `lexopt`, `yaml-rust2` and `ctrlc`, and the files
//! `examples/common/mod.rs` and `examples/common/admin_mode.rs` copied beside it.

#[macro_use]
mod common;
#[path = "common/admin_mode.rs"]
mod admin_mode;

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use squonk2::dm_api::{self, JobExchangeRate};
use squonk2::Client;
use yaml_rust2::{Yaml, YamlLoader};

use admin_mode::AdminMode;

const HELP: &str = "\
Loads Jobs' exchange rates (their cost in coins) from a file into a deployment: the other
half of save_exchange_rates. Rates equal to the current ones are left alone.

usage: load_exchange_rates ENVIRONMENT FILE [--do-it]

  ENVIRONMENT   an environment of your environments file; its admin user logs in
  FILE          a YAML (or JSON) list of rates, each with collection, job, version, rate
                (a decimal number, best quoted: \"0.05\") and optionally a comment
  --do-it       set them (default: only say what would change)
  -h, --help    print this help

The whole file is checked before anything changes. Setting rates needs an admin's account
(the Data Manager admin role); admin mode is switched on before the first rate is set and
off at the end, even after a failure or Ctrl-C, for a deployment that asks for it. The exit code is 0 only when every rate of the file was set or was already right
(or, without --do-it, could be set).

Environment variables:
  SQUONK2_ENVIRONMENTS_FILE   the environments file (default ~/.squonk2/environments)
";

fn main() -> ExitCode {
    common::main("load_exchange_rates", run)
}

/// `Ok(false)` when some rates could not be set.
fn run() -> Result<bool> {
    let (environment, file, do_it) = parse_args()?;
    let rates = read_rates(&file)?;
    let client = Client::from_environment(Some(&environment))?;

    // The current rates, by collection/job/version (`None`: the Job has no rate yet): the
    // Jobs that have a rate are listed apart from those that have none (`only_undefined`).
    let mut current: HashMap<String, Option<String>> = HashMap::new();
    for only_undefined in [false, true] {
        let listed = dm_api::get_job_exchange_rates(
            &client,
            &dm_api::GetJobExchangeRatesOptions { only_undefined },
        )
        .typed()?;
        current.extend(listed.exchange_rates.into_iter().map(|r| {
            let rate = if only_undefined { None } else { r.rate };
            (format!("{}/{}/{}", r.collection, r.job, r.version), rate)
        }));
    }

    let mut changes = Vec::new();
    let mut unknown = 0;
    for rate in rates {
        let job = format!("{}/{}/{}", rate.collection, rate.job, rate.version);
        match current.get(&job) {
            None => {
                out!("{job}: no such Job here");
                unknown += 1;
            }
            Some(Some(now)) if *now == rate.rate => out!("{job}: {} (unchanged)", rate.rate),
            Some(now) => {
                let now = now.as_deref().unwrap_or("none");
                out!("{job}: {} (now {now})", rate.rate);
                changes.push(rate);
            }
        }
    }
    if unknown > 0 {
        out!("{unknown} rates of the file name Jobs this deployment does not have");
    }
    if changes.is_empty() {
        out!("Nothing to change");
        return Ok(unknown == 0);
    }
    if !do_it {
        out!(
            "Nothing changed: run again with --do-it to set {} rates",
            changes.len()
        );
        return Ok(unknown == 0);
    }

    let admin = AdminMode::enter(&client, "load_exchange_rates")?;
    let mut failed = 0;
    for rate in &changes {
        // One rate at a time, so that one failure does not stop the others.
        let set = dm_api::set_job_exchange_rates(&client, std::slice::from_ref(rate)).typed();
        if let Err(e) = set {
            out!(
                "  could not set {}/{}/{}: {e:#}",
                rate.collection,
                rate.job,
                rate.version
            );
            failed += 1;
        }
    }
    out!("Set {} rates, failed {failed}", changes.len() - failed);
    admin.leave()?;

    let missing = dm_api::get_job_exchange_rates(
        &client,
        &dm_api::GetJobExchangeRatesOptions {
            only_undefined: true,
        },
    )
    .typed()?;
    for job in missing.exchange_rates {
        out!(
            "Still without a rate: {}/{}/{}",
            job.collection,
            job.job,
            job.version
        );
    }
    Ok(failed == 0 && unknown == 0)
}

/// Reads and checks every rate of the file.
fn read_rates(file: &str) -> Result<Vec<JobExchangeRate>> {
    let source = std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
    let documents =
        YamlLoader::load_from_str(&source).with_context(|| format!("{file} is not YAML"))?;
    let Some(Yaml::Array(entries)) = documents.first() else {
        bail!("{file} must hold a list of rates");
    };
    let mut rates = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let field = |key: &str| -> Option<String> {
            match &entry[key] {
                Yaml::String(s) if !s.is_empty() => Some(s.clone()),
                // An unquoted rate or version is read as a number: keep it as written.
                Yaml::Real(s) => Some(s.clone()),
                Yaml::Integer(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let required = |key: &str| {
            field(key).with_context(|| format!("rate {} of {file} has no {key}", i + 1))
        };
        let rate = JobExchangeRate {
            collection: required("collection")?,
            job: required("job")?,
            version: required("version")?,
            rate: required("rate")?,
            comment: field("comment"),
        };
        if !rate.rate.parse::<f64>().is_ok_and(f64::is_finite) {
            bail!(
                "rate {} of {file}: {:?} is not a decimal number",
                i + 1,
                rate.rate
            );
        }
        rates.push(rate);
    }
    Ok(rates)
}

fn parse_args() -> Result<(String, String, bool)> {
    use lexopt::prelude::*;

    let mut positional = Vec::new();
    let mut do_it = false;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("do-it") => do_it = true,
            Short('h') | Long("help") => common::help(HELP),
            Value(value) => positional.push(value.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let Ok([environment, file]) = <[_; 2]>::try_from(positional) else {
        bail!("expected an environment and a file (see --help)");
    };
    Ok((environment, file, do_it))
}
