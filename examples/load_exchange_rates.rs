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
//! Setting rates needs admin mode: it is switched on before the first rate is set and off
//! at the end, even after a failure. The exit code is 0 only when every rate of the file
//! was set or was already right (or, without `--do-it`, could be set).

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use squonk2::dm_api::{self, JobExchangeRate, SetAdminStateOptions};
use squonk2::Client;
use yaml_rust2::{Yaml, YamlLoader};

const USAGE: &str = "usage: load_exchange_rates ENVIRONMENT FILE [--do-it]";

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("load_exchange_rates: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok(false)` when some rates could not be set.
fn run() -> Result<bool> {
    let (environment, file, do_it) = parse_args()?;
    let rates = read_rates(&file)?;
    let client = Client::from_environment(Some(&environment))?;

    // The current rates, by collection/job/version (`None`: the Job has no rate yet).
    let current = dm_api::get_job_exchange_rates(&client, &Default::default()).into_result()?;
    let current: HashMap<String, Option<String>> = current["exchange_rates"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let job = format!(
                "{}/{}/{}",
                text(&r["collection"]),
                text(&r["job"]),
                text(&r["version"])
            );
            (job, r["rate"].as_str().map(str::to_string))
        })
        .collect();

    let mut changes = Vec::new();
    let mut unknown = 0;
    for rate in rates {
        let job = format!("{}/{}/{}", rate.collection, rate.job, rate.version);
        match current.get(&job) {
            None => {
                println!("{job}: no such Job here");
                unknown += 1;
            }
            Some(Some(now)) if *now == rate.rate => println!("{job}: {} (unchanged)", rate.rate),
            Some(now) => {
                let now = now.as_deref().unwrap_or("none");
                println!("{job}: {} (now {now})", rate.rate);
                changes.push(rate);
            }
        }
    }
    if unknown > 0 {
        println!("{unknown} rates of the file name Jobs this deployment does not have");
    }
    if !do_it {
        println!(
            "Nothing changed: run again with --do-it to set {} rates",
            changes.len()
        );
        return Ok(unknown == 0);
    }
    if changes.is_empty() {
        println!("Nothing to change");
        return Ok(unknown == 0);
    }

    dm_api::set_admin_state(&client, true, &SetAdminStateOptions::default())
        .into_result()
        .context("cannot switch admin mode on (does the user have the admin role?)")?;
    let mut failed = 0;
    for rate in &changes {
        // One rate at a time, so that one failure does not stop the others.
        if let Err(e) =
            dm_api::set_job_exchange_rates(&client, std::slice::from_ref(rate)).into_result()
        {
            println!(
                "  could not set {}/{}/{}: {e:#}",
                rate.collection, rate.job, rate.version
            );
            failed += 1;
        }
    }
    println!("Set {} rates, failed {failed}", changes.len() - failed);
    // Always leave admin mode, whatever happened.
    let left = dm_api::set_admin_state(&client, false, &SetAdminStateOptions::default());
    if let Err(e) = left.into_result() {
        eprintln!("load_exchange_rates: could not switch admin mode off, do it yourself: {e:#}");
        return Ok(false);
    }

    let missing = dm_api::get_job_exchange_rates(
        &client,
        &dm_api::GetJobExchangeRatesOptions {
            only_undefined: true,
        },
    )
    .into_result()?;
    for job in missing["exchange_rates"].as_array().into_iter().flatten() {
        println!(
            "Still without a rate: {}/{}/{}",
            text(&job["collection"]),
            text(&job["job"]),
            text(&job["version"])
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

fn text(value: &serde_json::Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn parse_args() -> Result<(String, String, bool)> {
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
    let [environment, file] = <[_; 2]>::try_from(positional)
        .map_err(|_| anyhow::anyhow!("expected an environment and a file\n{USAGE}"))?;
    Ok((environment, file, do_it))
}
