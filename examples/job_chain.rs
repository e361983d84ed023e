//! Runs a chain of Jobs in an existing project, one after the other, stopping at the first
//! that fails, then deletes the instances it made (unless `--keep-instances`).
//!
//! ```text
//! cargo run --example job_chain -- PROJECT_ID examples/data/jobs.yaml -e staging
//! cargo run --example job_chain -- PROJECT_ID jobs.yaml -t "$TOKEN" \
//!     -d https://example.com/data-manager-api
//! ```
//!
//! The jobs file is YAML (or JSON, which is YAML too): a list of Jobs, each with a `name`
//! (the instance's name), an optional `wait_time_m` (how many minutes to wait for it; no
//! limit when absent) and its `specification` (`collection`, `job`, `version` and
//! `variables`). `examples/data/jobs.yaml` runs two `im-test` Jobs that many deployments
//! (and the local sandbox) have. The whole file is checked before the first Job starts.
//!
//! Log in with an environment of your environments file (`-e NAME`; the file's default
//! environment when neither `-e` nor `-t` is given), or with a Data Manager token and URL
//! (`-t TOKEN -d URL`; `get_token` prints a token). The exit code is 0 only when every Job
//! completed (and every instance was deleted).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use serde_json::Value;
use squonk2::dm_api::{self, OnPoll, WaitOptions};
use squonk2::Client;

const USAGE: &str = "\
usage: job_chain PROJECT_ID JOBS_FILE [--keep-instances]
                 [-e ENVIRONMENT | -t TOKEN -d DM_API_URL]";

/// How often the instance is looked at while we wait.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

struct Args {
    project_id: String,
    jobs_file: PathBuf,
    keep_instances: bool,
    login: Login,
}

/// How to log in: an environment of the environments file, or a token and URL.
enum Login {
    Environment(Option<String>),
    Token { token: String, dm_api_url: String },
}

/// One Job of the chain.
struct Job {
    name: String,
    /// `None`: wait as long as it takes.
    wait: Option<Duration>,
    specification: Value,
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(true) => {
            println!("Done [SUCCESS]");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("Done [FAILED]");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("job_chain: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the chain; `Ok(false)` when a Job failed or an instance could not be deleted.
fn run(args: Args) -> Result<bool> {
    let jobs = read_jobs(&args.jobs_file)?;
    let client = connect(&args.login)?;

    let mut instances = Vec::new();
    let mut success = true;
    for job in &jobs {
        println!("Running Job {:?}...", job.name);
        let started = dm_api::start_job_instance(
            &client,
            &args.project_id,
            &job.name,
            &job.specification,
            &Default::default(),
        );
        let instance_id = match started.into_result().and_then(|msg| {
            msg["instance_id"]
                .as_str()
                .map(str::to_string)
                .context("the Data Manager did not say which instance it started")
        }) {
            Ok(instance_id) => instance_id,
            Err(e) => {
                println!("  could not start it: {e:#}");
                success = false;
                break;
            }
        };
        instances.push(instance_id.clone());
        match wait_for(&client, &instance_id, job.wait) {
            Ok(()) => println!("  completed (instance {instance_id})"),
            Err(e) => {
                println!("  failed: {e:#}");
                success = false;
                break;
            }
        }
    }
    if !success {
        println!("A Job failed: the chain stops here");
    }

    if args.keep_instances {
        println!("Keeping the instances: {}", instances.join(", "));
    } else if !instances.is_empty() {
        println!("Deleting the instances...");
        for instance_id in &instances {
            match dm_api::delete_instance(&client, instance_id).into_result() {
                Ok(_) => println!("  deleted {instance_id}"),
                Err(e) => {
                    // Go on with the others.
                    println!("  could not delete {instance_id}: {e:#}");
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
        Some(wait) => print!("  waiting at most {} min:", wait.as_secs_f64() / 60.0),
        None => print!("  waiting until it ends:"),
    }
    let opts = WaitOptions {
        timeout: wait.unwrap_or(Duration::MAX),
        poll_interval: POLL_INTERVAL,
        on_poll: Some(show_phase_changes()),
    };
    let instance = dm_api::wait_for_instance(client, instance_id, &opts).into_result();
    println!();
    let instance = instance?;
    if instance["phase"] != "COMPLETED" {
        bail!(
            "it ended {}: {}",
            instance["phase"].as_str().unwrap_or("?"),
            instance["error_message"]
                .as_str()
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
    let (mut environment, mut token, mut dm_api_url) = (None, None, None);
    let mut keep_instances = false;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("keep-instances") => keep_instances = true,
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
    let [project_id, jobs_file] = <[_; 2]>::try_from(positional)
        .map_err(|_| anyhow::anyhow!("expected a project id and a jobs file\n{USAGE}"))?;
    let login = match (environment, token, dm_api_url) {
        (Some(_), Some(_), _) => bail!("give an environment or a token, not both\n{USAGE}"),
        (_, Some(token), Some(dm_api_url)) => Login::Token { token, dm_api_url },
        (_, Some(_), None) => bail!("a token needs the Data Manager URL (-d)\n{USAGE}"),
        (_, None, Some(_)) => bail!("the Data Manager URL (-d) goes with a token (-t)\n{USAGE}"),
        (environment, None, None) => Login::Environment(environment),
    };
    Ok(Args {
        project_id: project_id.string()?,
        jobs_file: jobs_file.into(),
        keep_instances,
        login,
    })
}
