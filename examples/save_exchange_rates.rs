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
//!
//! Needs `squonk2`, `anyhow`, `lexopt` and `yaml-rust2`, and the file
//! `examples/common/mod.rs` copied beside it.

#[macro_use]
mod common;

use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use squonk2::dm_api;
use squonk2::Client;
use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlEmitter};

const HELP: &str = "\
Saves the Jobs' exchange rates (their cost in coins) of a deployment to a YAML file, to keep
them or to load them elsewhere with load_exchange_rates. Jobs without a rate are counted
but not saved. Nothing on the deployment changes.

usage: save_exchange_rates ENVIRONMENT FILE

  ENVIRONMENT   an environment of your environments file; its admin user logs in
  FILE          the YAML file to write (written over if it exists)
  -h, --help    print this help

Environment variables:
  SQUONK2_ENVIRONMENTS_FILE   the environments file (default ~/.squonk2/environments)
";

fn main() -> ExitCode {
    common::main("save_exchange_rates", run)
}

fn run() -> Result<bool> {
    let (environment, file) = parse_args()?;
    let client = Client::from_environment(Some(&environment))?;
    // The Jobs that have a rate; those that have none are listed apart (`only_undefined`).
    let rates = dm_api::get_job_exchange_rates(&client, &Default::default()).typed()?;
    let undefined = dm_api::get_job_exchange_rates(
        &client,
        &dm_api::GetJobExchangeRatesOptions {
            only_undefined: true,
        },
    )
    .typed()?;
    let without_rate = undefined.exchange_rates.len();

    let mut saved = Vec::new();
    for rate in rates.exchange_rates {
        let Some(value) = rate.rate else {
            continue;
        };
        let mut entry = Hash::new();
        for (key, text) in [
            ("collection", rate.collection),
            ("job", rate.job),
            ("version", rate.version),
            ("rate", value),
        ] {
            entry.insert(Yaml::String(key.into()), Yaml::String(text));
        }
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
    out!("Saved {count} rates to {file}");
    if without_rate > 0 {
        out!("{without_rate} Jobs have no rate (not saved)");
    }
    Ok(true)
}

fn parse_args() -> Result<(String, String)> {
    use lexopt::prelude::*;

    let mut positional = Vec::new();
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => common::help(HELP),
            Value(value) => positional.push(value.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let Ok([environment, file]) = <[_; 2]>::try_from(positional) else {
        bail!("expected an environment and a file (see --help)");
    };
    Ok((environment, file))
}
