//! Runs a chain of Jobs in an existing project, one after the other, stopping at the first
//! that fails, then deletes the instances it made (unless `--keep-instances`).
//!
//! ```text
//! cargo run --example job_chain -- PROJECT_ID examples/data/jobs.yaml -e staging
//! cargo run --example job_chain -- PROJECT_ID jobs.yaml -t "$TOKEN" \
//!     -d https://example.com/data-manager-api
//! ```
//!
//! Needs `squonk2`, `anyhow`, `lexopt`, `serde_json` and `serde_norway`, and the file
//! `examples/common/mod.rs` copied beside it.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use serde_json::Value;
use squonk2::dm_api::{self, WaitOptions};
use squonk2::Client;

use common::{Login, Project};

const HELP: &str = "\
Runs a chain of Jobs in a project, one after the other, stopping at the first that fails,
then deletes the instances it made. The exit code is 0 only when every Job completed (and
every instance was deleted).

usage: job_chain (PROJECT_ID | --new-project [--keep]) JOBS_FILE [--keep-instances]
                 [-e ENVIRONMENT | -t TOKEN -d DM_API_URL]

  PROJECT_ID               the project to run the Jobs in
  JOBS_FILE                a YAML (or JSON) list of Jobs, each with a name (the
                           instance's), an optional wait_time_m (minutes to wait for it;
                           no limit when absent) and its specification (collection, job,
                           version and variables); see examples/data/jobs.yaml. The whole
                           file is checked before the first Job starts.
  --new-project            make a project for this run instead (default: use PROJECT_ID)
  --product-id ID          the product of the new project (default: the test product)
  --keep                   keep the new project at the end (default: delete it)
  --keep-instances         keep the instances (default: delete them)
  -e, --environment NAME   an environment of your environments file (default: the file's
                           default environment)
  -t, --token TOKEN        a Data Manager token instead (default: none; get_token prints
                           one)
  -d, --dm-api-url URL     the Data Manager, with a token (required with -t)
  -h, --help               print this help

Environment variables:
  SQUONK2_ENVIRONMENTS_FILE   the environments file (default ~/.squonk2/environments)
";

/// How often the instance is looked at while we wait.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

struct Args {
    project_id: Option<String>,
    product_id: String,
    keep: bool,
    jobs_file: PathBuf,
    keep_instances: bool,
    login: Login,
}

/// One Job of the chain.
struct Job {
    name: String,
    /// `None`: wait as long as it takes.
    wait: Option<Duration>,
    specification: Value,
}

fn main() -> ExitCode {
    common::main("job_chain", || {
        let success = run(parse_args()?)?;
        out!("Done [{}]", if success { "SUCCESS" } else { "FAILED" });
        Ok(success)
    })
}

/// Runs the chain; `Ok(false)` when a Job failed or an instance could not be deleted.
fn run(args: Args) -> Result<bool> {
    let jobs = read_jobs(&args.jobs_file)?;
    let client = args.login.connect()?;
    let project = Project::given_or_new(
        &client,
        args.project_id.clone(),
        &args.product_id,
        "job_chain",
    )?;
    let outcome = run_chain(&client, &project.id, &jobs, args.keep_instances);
    let finished = project.finish(&client, args.keep);
    let success = outcome?;
    finished?;
    Ok(success)
}

fn run_chain(
    client: &Client,
    project_id: &str,
    jobs: &[Job],
    keep_instances: bool,
) -> Result<bool> {
    let mut instances = Vec::new();
    let mut success = true;
    for job in jobs {
        out!("Running Job {:?}...", job.name);
        let started = dm_api::start_job_instance(
            client,
            project_id,
            &job.name,
            &job.specification,
            &Default::default(),
        )
        .typed();
        let instance_id = match started {
            Ok(started) => started.instance_id,
            Err(e) => {
                out!("  could not start it: {e:#}");
                success = false;
                break;
            }
        };
        instances.push(instance_id.clone());
        match wait_for(client, &instance_id, job.wait) {
            Ok(()) => out!("  completed (instance {instance_id})"),
            Err(e) if e.chain().any(|c| c.is::<common::StdoutClosed>()) => return Err(e),
            Err(e) => {
                out!("  failed: {e:#}");
                success = false;
                break;
            }
        }
    }
    if !success {
        out!("A Job failed: the chain stops here");
    }

    if keep_instances {
        out!("Keeping the instances: {}", instances.join(", "));
    } else if !instances.is_empty() {
        out!("Deleting the instances...");
        for instance_id in &instances {
            match dm_api::delete_instance(client, instance_id).typed() {
                Ok(_) => out!("  deleted {instance_id}"),
                Err(e) => {
                    // Go on with the others.
                    out!("  could not delete {instance_id}: {e:#}");
                    success = false;
                }
            }
        }
    }
    Ok(success)
}

/// Waits for an instance to end; an error unless it COMPLETED in time.
fn wait_for(client: &Client, instance_id: &str, wait: Option<Duration>) -> Result<()> {
    match wait {
        Some(wait) => common::progress(format_args!(
            "  waiting at most {} min:",
            wait.as_secs_f64() / 60.0
        )),
        None => common::progress(format_args!("  waiting until it ends:")),
    }
    let opts = WaitOptions {
        timeout: wait.unwrap_or(Duration::MAX),
        poll_interval: POLL_INTERVAL,
        on_poll: Some(common::show_phase_changes()),
    };
    let instance = dm_api::wait_for_instance(client, instance_id, &opts).typed();
    out!();
    let instance = instance?;
    if instance.phase.as_str() != "COMPLETED" {
        bail!(
            "it ended {}: {}",
            instance.phase,
            instance
                .error_message
                .as_deref()
                .unwrap_or("no reason given")
        );
    }
    Ok(())
}

/// Reads and checks the jobs file.
fn read_jobs(path: &Path) -> Result<Vec<Job>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the jobs file {}", path.display()))?;
    // Straight into JSON: the specifications go to the Data Manager as they were written.
    let jobs: Value = serde_norway::from_str(&text)
        .with_context(|| format!("{} is not a YAML list of Jobs", path.display()))?;
    let list = match jobs {
        Value::Array(list) if !list.is_empty() => list,
        _ => bail!("{} must hold a list of Jobs", path.display()),
    };
    list.into_iter()
        .enumerate()
        .map(|(i, entry)| {
            job(entry).with_context(|| format!("Job {} of {}", i + 1, path.display()))
        })
        .collect()
}

fn job(entry: Value) -> Result<Job> {
    let name = match &entry["name"] {
        Value::String(name) if !name.is_empty() => name.clone(),
        _ => bail!("it needs a name"),
    };
    let wait = match &entry["wait_time_m"] {
        Value::Null => None,
        minutes => match minutes.as_f64() {
            Some(m) if m > 0.0 && m < 1e9 => Some(Duration::from_secs_f64(m * 60.0)),
            _ => bail!("wait_time_m must be a positive number of minutes, not {minutes}"),
        },
    };
    let specification = entry["specification"].clone();
    for key in ["collection", "job", "version"] {
        if !specification[key].is_string() {
            bail!("its specification needs a {key}");
        }
    }
    Ok(Job {
        name,
        wait,
        specification,
    })
}

fn parse_args() -> Result<Args> {
    use lexopt::prelude::*;

    let mut positional = Vec::new();
    let (mut environment, mut token, mut dm_api_url) = (None, None, None);
    let (mut new_project, mut keep, mut keep_instances) = (false, false, false);
    let mut product_id = dm_api::TEST_PRODUCT_ID.to_string();
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("keep-instances") => keep_instances = true,
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
    let (project_id, jobs_file) = match (new_project, <[_; 2]>::try_from(positional)) {
        (false, Ok([project_id, jobs_file])) => (Some(project_id.string()?), jobs_file),
        (true, Err(mut one)) if one.len() == 1 => (None, one.remove(0)),
        _ => bail!("expected a project id (or --new-project) and a jobs file (see --help)"),
    };
    if keep && !new_project {
        bail!("--keep goes with --new-project");
    }
    Ok(Args {
        project_id,
        product_id,
        keep,
        jobs_file: jobs_file.into(),
        keep_instances,
        login: Login::from_flags(environment, token, dm_api_url)?,
    })
}
