//! Calculates molecular properties with RDKit: uploads a file of SMILES to a project, runs
//! the `rdkit-molprops` Job on it, waits, downloads the result and deletes the instance.
//!
//! ```text
//! cargo run --example calc_rdkit_props -- PROJECT_ID examples/data/molecules.smi -e staging
//! cargo run --example calc_rdkit_props -- --new-project examples/data/molecules.smi
//! ```
//!
//! The local sandbox has the Job too but computes nothing: its output is a note saying so.
//!
//! Needs `squonk2`, `anyhow` and `lexopt`, and the file `examples/common/mod.rs` copied
//! beside it.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use squonk2::dm_api::{self, JobSpecification, WaitOptions};
use squonk2::Client;

use common::{Login, Project};

const HELP: &str = "\
Calculates molecular properties with RDKit: uploads a file of SMILES to a project's /work
directory (over a file of the same name), runs the rdkit-molprops Job (collection rdkit) on
it, waits, downloads the result and deletes the instance. The input is a text file of
tab-separated SMILES and names, one molecule a line (see examples/data/molecules.smi); the
Job writes work/<name>-props.smi beside it. Both files stay in the project.

usage: calc_rdkit_props (PROJECT_ID | --new-project [--keep]) INPUT_FILE [-o OUTPUT_FILE]
                        [--wait-minutes M] [-e ENVIRONMENT | -t TOKEN -d DM_API_URL]

  PROJECT_ID               the project to work in
  INPUT_FILE               the molecules
  --new-project            make a project for this run instead (default: use PROJECT_ID)
  --product-id ID          the product of the new project (default: the test product)
  --keep                   keep the new project at the end (default: delete it)
  -o, --output FILE        where the result goes (default: <name>-props.smi here)
  --wait-minutes M         how long to wait for the Job (default 30)
  -e, --environment NAME   an environment of your environments file (default: the file's
                           default environment)
  -t, --token TOKEN        a Data Manager token instead (default: none; get_token prints
                           one)
  -d, --dm-api-url URL     the Data Manager, with a token (required with -t)
  -h, --help               print this help

Environment variables:
  SQUONK2_ENVIRONMENTS_FILE   the environments file (default ~/.squonk2/environments)
";

/// Where the input goes in the project.
const PROJECT_DIR: &str = "/work";

struct Args {
    project_id: Option<String>,
    product_id: String,
    keep: bool,
    input: PathBuf,
    output: Option<PathBuf>,
    wait: Duration,
    login: Login,
}

fn main() -> ExitCode {
    common::main("calc_rdkit_props", || run(parse_args()?))
}

fn run(args: Args) -> Result<bool> {
    if !args.input.is_file() {
        bail!("{} is not a file", args.input.display());
    }
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
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| output_name.clone().into());

    let client = args.login.connect()?;
    let project = Project::given_or_new(
        &client,
        args.project_id.clone(),
        &args.product_id,
        "calc_rdkit_props",
    )?;
    let outcome = calculate(&client, &project.id, &args, &name, &output_name, &output);
    let finished = project.finish(&client, args.keep);
    outcome.and(finished)?;
    out!("Done: the properties are in {}", output.display());
    Ok(true)
}

fn calculate(
    client: &Client,
    project_id: &str,
    args: &Args,
    name: &str,
    output_name: &str,
    output: &Path,
) -> Result<()> {
    // `force`: upload even when the project already has a file of that name, so that the
    // Job reads this one.
    out!("Uploading {} to {PROJECT_DIR}", args.input.display());
    let upload = dm_api::PutUnmanagedProjectFilesOptions {
        project_path: Some(PROJECT_DIR.into()),
        force: true,
        ..Default::default()
    };
    dm_api::put_unmanaged_project_files(client, project_id, &[&args.input], &upload).typed()?;

    // The Job's variables: see the Job's documentation for the others (readHeader, ...).
    let specification = JobSpecification::new("rdkit", "rdkit-molprops", "1.0.0")
        .variable("inputFile", format!("work/{name}"))
        .variable("outputFile", format!("work/{output_name}"))
        .variable("separator", "tab");
    let started = dm_api::start_job_instance(
        client,
        project_id,
        &format!("rdkit-molprops {name}"),
        &specification,
        &Default::default(),
    )
    .typed()?;
    let instance_id = started.instance_id;
    out!("Started instance {instance_id}");

    // Whatever happens next, the instance is deleted at the end.
    let outcome = wait_and_download(
        client,
        project_id,
        &instance_id,
        output_name,
        output,
        args.wait,
    );
    let deleted = dm_api::delete_instance(client, &instance_id).typed();
    match &deleted {
        Ok(_) => out!("Deleted instance {instance_id}"),
        Err(e) => eprintln!("calc_rdkit_props: could not delete instance {instance_id}: {e:#}"),
    }
    outcome?;
    deleted?;
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
    common::progress(format_args!(
        "Waiting (at most {} min):",
        wait.as_secs() / 60
    ));
    let opts = WaitOptions {
        timeout: wait,
        poll_interval: Duration::from_secs(1),
        on_poll: Some(common::show_phase_changes()),
    };
    let instance = dm_api::wait_for_instance(client, instance_id, &opts).typed();
    out!();
    let instance = instance?;
    if instance.phase.as_str() != "COMPLETED" {
        bail!(
            "the Job ended {}: {}",
            instance.phase,
            instance
                .error_message
                .as_deref()
                .unwrap_or("no reason given")
        );
    }
    out!(
        "Downloading {PROJECT_DIR}/{output_name} to {}",
        output.display()
    );
    let download = dm_api::GetUnmanagedProjectFileOptions {
        project_path: Some(PROJECT_DIR.into()),
        ..Default::default()
    };
    dm_api::get_unmanaged_project_file(client, project_id, output_name, output, &download)
        .typed()?;
    Ok(())
}

fn parse_args() -> Result<Args> {
    use lexopt::prelude::*;

    let mut positional = Vec::new();
    let (mut output, mut environment, mut token, mut dm_api_url) = (None, None, None, None);
    let (mut new_project, mut keep) = (false, false);
    let mut product_id = dm_api::TEST_PRODUCT_ID.to_string();
    let mut wait_minutes: u64 = 30;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('o') | Long("output") => output = Some(PathBuf::from(parser.value()?)),
            Long("wait-minutes") => wait_minutes = common::value(&mut parser, "--wait-minutes")?,
            Long("new-project") => new_project = true,
            Long("product-id") => product_id = common::value(&mut parser, "--product-id")?,
            Long("keep") => keep = true,
            Short('e') | Long("environment") => {
                environment = Some(common::value(&mut parser, "--environment")?)
            }
            Short('t') | Long("token") => token = Some(common::value(&mut parser, "--token")?),
            Short('d') | Long("dm-api-url") => {
                dm_api_url = Some(common::value(&mut parser, "--dm-api-url")?)
            }
            Short('h') | Long("help") => common::help(HELP),
            Value(value) => positional.push(value),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let (project_id, input) = match (new_project, <[_; 2]>::try_from(positional)) {
        (false, Ok([project_id, input])) => (Some(project_id.string()?), input),
        (true, Err(mut one)) if one.len() == 1 => (None, one.remove(0)),
        _ => bail!("expected a project id (or --new-project) and an input file (see --help)"),
    };
    if keep && !new_project {
        bail!("--keep goes with --new-project");
    }
    Ok(Args {
        project_id,
        product_id,
        keep,
        input: input.into(),
        output,
        wait: Duration::from_secs(wait_minutes.saturating_mul(60)),
        login: Login::from_flags(environment, token, dm_api_url)?,
    })
}
