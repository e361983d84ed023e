//! Calculates molecular properties with RDKit: uploads a file of SMILES to a project, runs
//! the `rdkit-molprops` Job on it, waits, downloads the result and deletes the instance.
//!
//! ```text
//! cargo run --example calc_rdkit_props -- PROJECT_ID examples/data/molecules.smi -e staging
//! cargo run --example calc_rdkit_props -- PROJECT_ID molecules.smi -t "$TOKEN" \
//!     -d https://example.com/data-manager-api
//! ```
//!
//! The input is a text file of tab-separated SMILES and names, one molecule a line (see
//! `examples/data/molecules.smi`). It is uploaded to the project's `/work` directory (over a
//! file of the same name); the Job writes `work/<name>-props.smi` beside it, which is
//! downloaded to `--output` (default: that name in the current directory). Both files stay in
//! the project.
//!
//! Log in with an environment of your environments file (`-e NAME`, the file's default
//! environment when neither `-e` nor `-t` is given), or with a Data Manager token and URL
//! (`-t TOKEN -d URL`; `get_token` prints a token).
//!
//! The Job is `rdkit-molprops` of the `rdkit` collection (Virtual Screening). The local
//! sandbox has it too but computes nothing: its output is a note saying so.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use serde_json::{json, Value};
use squonk2::dm_api::{self, OnPoll, WaitOptions};
use squonk2::Client;

const USAGE: &str = "\
usage: calc_rdkit_props PROJECT_ID INPUT_FILE [-o OUTPUT_FILE] [--wait-minutes M]
                        [-e ENVIRONMENT | -t TOKEN -d DM_API_URL]";

/// Where the input goes in the project.
const PROJECT_DIR: &str = "/work";

struct Args {
    project_id: String,
    input: PathBuf,
    output: Option<PathBuf>,
    wait: Duration,
    login: Login,
}

/// How to log in: an environment of the environments file, or a token and URL.
enum Login {
    Environment(Option<String>),
    Token { token: String, dm_api_url: String },
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("calc_rdkit_props: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    if !args.input.is_file() {
        bail!("{} is not a file", args.input.display());
    }
    let client = connect(&args.login)?;
    let name = args
        .input
        .file_name()
        .and_then(|n| n.to_str())
        .context("the input file has no usable name")?
        .to_string();
    let stem = name
        .rsplit_once('.')
        .map_or(name.as_str(), |(stem, _)| stem);
    let output_name = format!("{stem}-props.smi");
    let output = args.output.unwrap_or_else(|| PathBuf::from(&output_name));

    // `force`: upload even when the project already has a file of that name, so that the
    // Job reads this one.
    println!("Uploading {} to {PROJECT_DIR}", args.input.display());
    let upload = dm_api::PutUnmanagedProjectFilesOptions {
        project_path: Some(PROJECT_DIR.into()),
        force: true,
        ..Default::default()
    };
    dm_api::put_unmanaged_project_files(&client, &args.project_id, &[&args.input], &upload)
        .into_result()?;

    // The Job's variables: see the Job's documentation for the others (readHeader, ...).
    let specification = json!({
        "collection": "rdkit",
        "job": "rdkit-molprops",
        "version": "1.0.0",
        "variables": {
            "inputFile": format!("work/{name}"),
            "outputFile": format!("work/{output_name}"),
            "separator": "tab",
        },
    });
    let started = dm_api::start_job_instance(
        &client,
        &args.project_id,
        &format!("rdkit-molprops {name}"),
        &specification,
        &Default::default(),
    )
    .into_result()?;
    let instance_id = started["instance_id"]
        .as_str()
        .context("the Data Manager did not say which instance it started")?
        .to_string();
    println!("Started instance {instance_id}");

    // Whatever happens next, the instance is deleted at the end.
    let outcome = wait_and_download(
        &client,
        &args.project_id,
        &instance_id,
        &output_name,
        &output,
        args.wait,
    );
    let deleted = dm_api::delete_instance(&client, &instance_id).into_result();
    match &deleted {
        Ok(_) => println!("Deleted instance {instance_id}"),
        Err(e) => eprintln!("calc_rdkit_props: could not delete instance {instance_id}: {e:#}"),
    }
    outcome?;
    deleted?;
    println!("Done: the properties are in {}", output.display());
    Ok(())
}

fn wait_and_download(
    client: &Client,
    project_id: &str,
    instance_id: &str,
    output_name: &str,
    output: &Path,
    wait: Duration,
) -> Result<()> {
    print!("Waiting (at most {} min):", wait.as_secs() / 60);
    let opts = WaitOptions {
        timeout: wait,
        poll_interval: Duration::from_secs(1),
        on_poll: Some(show_phase_changes()),
    };
    let instance = dm_api::wait_for_instance(client, instance_id, &opts).into_result();
    println!();
    let instance = instance?;
    if instance["phase"] != "COMPLETED" {
        bail!(
            "the Job ended {}: {}",
            instance["phase"].as_str().unwrap_or("?"),
            instance["error_message"]
                .as_str()
                .unwrap_or("no reason given")
        );
    }
    println!(
        "Downloading {PROJECT_DIR}/{output_name} to {}",
        output.display()
    );
    let download = dm_api::GetUnmanagedProjectFileOptions {
        project_path: Some(PROJECT_DIR.into()),
        ..Default::default()
    };
    dm_api::get_unmanaged_project_file(client, project_id, output_name, output, &download)
        .into_result()?;
    Ok(())
}

/// A poll callback printing the instance's phase each time it changes.
fn show_phase_changes() -> OnPoll {
    let last_phase = Arc::new(Mutex::new(Value::Null));
    OnPoll::new(move |rv| {
        let mut last = last_phase.lock().unwrap_or_else(PoisonError::into_inner);
        if rv.success && rv.msg["phase"] != *last {
            print!(" {}", rv.msg["phase"].as_str().unwrap_or("?"));
            *last = rv.msg["phase"].clone();
            // Show it now, not when the line ends.
            let _ = std::io::Write::flush(&mut std::io::stdout());
        }
    })
}

fn connect(login: &Login) -> Result<Client> {
    match login {
        Login::Environment(name) => {
            let client = Client::from_environment(name.as_deref())?;
            // Log in now, so that a wrong password is reported before anything is done.
            client.dm_access_token()?;
            Ok(client)
        }
        Login::Token { token, dm_api_url } => Ok(Client::builder()
            .dm_api_url(dm_api_url)
            .dm_access_token(token)
            .build()?),
    }
}

fn parse_args() -> Result<Args> {
    use lexopt::prelude::*;

    let mut positional = Vec::new();
    let (mut output, mut environment, mut token, mut dm_api_url) = (None, None, None, None);
    let mut wait_minutes = 30u64;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('o') | Long("output") => output = Some(PathBuf::from(parser.value()?)),
            Long("wait-minutes") => wait_minutes = parser.value()?.parse()?,
            Short('e') | Long("environment") => environment = Some(parser.value()?.string()?),
            Short('t') | Long("token") => token = Some(parser.value()?.string()?),
            Short('d') | Long("dm-api-url") => dm_api_url = Some(parser.value()?.string()?),
            Short('h') | Long("help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(value) => positional.push(value),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let [project_id, input] = <[_; 2]>::try_from(positional)
        .map_err(|_| anyhow::anyhow!("expected a project id and an input file\n{USAGE}"))?;
    let login = match (environment, token, dm_api_url) {
        (Some(_), Some(_), _) => bail!("give an environment or a token, not both\n{USAGE}"),
        (_, Some(token), Some(dm_api_url)) => Login::Token { token, dm_api_url },
        (_, Some(_), None) => bail!("a token needs the Data Manager URL (-d)\n{USAGE}"),
        (_, None, Some(_)) => bail!("the Data Manager URL (-d) goes with a token (-t)\n{USAGE}"),
        (environment, None, _) => Login::Environment(environment),
    };
    Ok(Args {
        project_id: project_id.string()?,
        input: input.into(),
        output,
        wait: Duration::from_secs(wait_minutes.saturating_mul(60)),
        login,
    })
}
