//! Saves the Jobs' exchange rates (their cost in coins) of a deployment to a YAML file, to
//! keep them or to load them elsewhere with `load_exchange_rates`.
//!
//! ```text
//! cargo run --example save_exchange_rates -- staging rates.yaml
//! ```
//!
//! The first argument names an environment of your environments file (`~/.squonk2/environments`,
//! or the file `SQUONK2_ENVIRONMENTS_FILE` names); its admin user logs in. The file (written
//! over if it exists) lists the Jobs that have a rate:
//!
//! ```yaml
//! - collection: im-test
//!   job: nop
//!   version: 1.0.0
//!   rate: "0.05"
//! ```
//!
//! Jobs without a rate are counted but not saved. Nothing on the deployment changes.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use squonk2::dm_api;
use squonk2::Client;
use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlEmitter};

const USAGE: &str = "usage: save_exchange_rates ENVIRONMENT FILE";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("save_exchange_rates: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let (environment, file) = parse_args()?;
    let client = Client::from_environment(Some(&environment))?;
    let rates = dm_api::get_job_exchange_rates(&client, &Default::default()).into_result()?;

    let mut saved = Vec::new();
    let mut without_rate = 0;
    for rate in rates["exchange_rates"].as_array().into_iter().flatten() {
        // The rate is missing for Jobs that have none yet.
        let Some(value) = rate["rate"].as_str() else {
            without_rate += 1;
            continue;
        };
        let mut entry = Hash::new();
        for key in ["collection", "job", "version"] {
            let text = rate[key].as_str().unwrap_or_default();
            entry.insert(Yaml::String(key.into()), Yaml::String(text.into()));
        }
        entry.insert(Yaml::String("rate".into()), Yaml::String(value.into()));
        saved.push(Yaml::Hash(entry));
    }

    let count = saved.len();
    let mut yaml = String::new();
    YamlEmitter::new(&mut yaml)
        .dump(&Yaml::Array(saved))
        .context("cannot write the rates as YAML")?;
    let header = format!(
        "# Job exchange rates saved by save_exchange_rates from the environment {environment:?}\n\
         # ({}). Load them with load_exchange_rates.\n",
        dm_api::get_api_url(&client).0
    );
    std::fs::write(&file, format!("{header}{yaml}\n"))
        .with_context(|| format!("cannot write {file}"))?;
    println!("Saved {count} rates to {file}");
    if without_rate > 0 {
        println!("{without_rate} Jobs have no rate (not saved)");
    }
    Ok(())
}

fn parse_args() -> Result<(String, String)> {
    use lexopt::prelude::*;

    let mut positional = Vec::new();
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
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
    Ok((environment, file))
}
