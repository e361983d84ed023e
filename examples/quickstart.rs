//! The quickstart: the Data Manager in eight numbered steps, the calls of the README's tour.
//! It logs in, creates a project, uploads a file, runs a Job and waits for it, reads the
//! Job's events, downloads its output and cleans up.
//!
//! ```text
//! cargo run --example quickstart                              # against a local sandbox
//! SQUONK2_ENVIRONMENT=staging cargo run --example quickstart  # against a deployment
//! ```
//!
//! `--help` lists the environment variables it reads. The Job is `rdkit-molprops`
//! (collection `rdkit`, which most deployments have; the sandbox computes no chemistry, so
//! there its output is a note saying so): change `job_specification` to run another.
//!
//! Needs `squonk2`, `anyhow`, `lexopt` and `squonk2-sandbox` (for the local sandbox: drop
//! `connect`'s last part and it in your programs), and the file `examples/common/mod.rs`
//! copied beside it.

#[macro_use]
mod common;

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use squonk2::dm_api::{self, JobSpecification, WaitOptions};
use squonk2::{Client, ClientBuilder};
use squonk2_sandbox::Sandbox;

const HELP: &str = "\
The Data Manager in eight steps: logs in, creates a project, uploads a file, runs a Job
(rdkit/rdkit-molprops) and waits for it, reads its events, downloads its output and
deletes the project. With nothing set it starts a local sandbox and logs in as alice.

usage: quickstart

  -h, --help    print this help

Environment variables:
  SQUONK2_ENVIRONMENT              an environment of your environments file to use (its
                                   admin user logs in); default: none
  SQUONK2_ENVIRONMENTS_FILE        the environments file (default ~/.squonk2/environments)
  SQUONK2_DMAPI_URL                without SQUONK2_ENVIRONMENT: the Data Manager to use,
                                   with the five below; default: a local sandbox
  SQUONK2_KEYCLOAK_URL             Keycloak (required with SQUONK2_DMAPI_URL)
  SQUONK2_KEYCLOAK_REALM           its realm (required with SQUONK2_DMAPI_URL)
  SQUONK2_KEYCLOAK_USER            the user (required with SQUONK2_DMAPI_URL)
  SQUONK2_KEYCLOAK_USER_PASSWORD   their password (required with SQUONK2_DMAPI_URL)
  SQUONK2_KEYCLOAK_DM_CLIENT_ID    the Data Manager's client (default data-manager-api)
  SQUONK2_DMAPI_VERIFY_SSL_CERT    no, false, 0 or off skips TLS verification (default yes)
  SQUONK2_PRODUCT_ID               the project-tier product of the project (default: the
                                   test product)
";

/// The file we upload: a few molecules as tab-separated SMILES and names.
const MOLECULES: &str = "\
CC(=O)Oc1ccccc1C(=O)O\taspirin
Cn1cnc2c1c(=O)n(C)c(=O)n2C\tcaffeine
CC(=O)Nc1ccc(O)cc1\tparacetamol
CC(C)Cc1ccc(cc1)C(C)C(=O)O\tibuprofen
";

/// The Job, its input and output files (relative to the project's root).
fn job_specification() -> JobSpecification {
    JobSpecification::new("rdkit", "rdkit-molprops", "1.0.0")
        .variable("inputFile", "work/molecules.smi")
        .variable("outputFile", "work/molprops.smi")
        .variable("separator", "tab")
}

fn main() -> ExitCode {
    common::main("quickstart", || {
        common::no_arguments(HELP)?;
        // Keep the sandbox (when there is one) until the end: it stops when dropped.
        let (client, _sandbox) = connect()?;
        run(&client)?;
        out!("\nDone: every step worked.");
        Ok(true)
    })
}

fn run(client: &Client) -> Result<()> {
    out!("\n1. Logging in");
    // `typed()` gives each answer as its typed model, or the error saying why there is
    // none; the account call needs a token, so it proves the login works.
    let version = dm_api::get_version(client).typed()?;
    let account = dm_api::get_account(client, &Default::default()).typed()?;
    out!(
        "   Data Manager {} at {}, logged in as {}",
        version.version,
        dm_api::get_api_url(client).0,
        account.user.username
    );

    out!("\n2. Creating a project");
    let product_id = std::env::var("SQUONK2_PRODUCT_ID")
        .ok()
        .filter(|id| !id.is_empty());
    let product_id = product_id.as_deref().unwrap_or(dm_api::TEST_PRODUCT_ID);
    // A name of our own each time: a user cannot have two projects with the same name.
    let name = format!("quickstart {}", unix_time());
    let project = dm_api::create_project(client, &name, product_id, &Default::default()).typed()?;
    let project_id = project.project_id.as_str();
    out!("   {project_id} ({name:?})");

    // From here on the project and the instance are deleted whatever happens.
    let work_dir = std::env::temp_dir().join(format!("squonk2-quickstart-{}", std::process::id()));
    let mut instance_id = None;
    let outcome = tour(client, project_id, &work_dir, &mut instance_id);
    let _ = std::fs::remove_dir_all(&work_dir);
    out!("\n8. Cleaning up");
    let mut clean = true;
    if let Some(id) = &instance_id {
        let instance_deleted = dm_api::delete_instance(client, id).typed();
        clean &= deleted(&format!("the instance {id}"), instance_deleted)?;
    }
    let project_deleted = dm_api::delete_project(client, project_id).typed();
    clean &= deleted(&format!("the project {project_id}"), project_deleted)?;
    outcome?;
    if !clean {
        bail!("the clean-up failed: delete the project {project_id} yourself");
    }
    Ok(())
}

/// Steps 3 to 7; `instance_id` is set as soon as there is an instance to delete.
fn tour(
    client: &Client,
    project_id: &str,
    work_dir: &Path,
    instance_id: &mut Option<String>,
) -> Result<()> {
    out!(
        "\n3. Uploading molecules.smi ({} bytes) to /work",
        MOLECULES.len()
    );
    std::fs::create_dir_all(work_dir)?;
    let input = work_dir.join("molecules.smi");
    std::fs::write(&input, MOLECULES)?;
    let to_work = dm_api::PutUnmanagedProjectFilesOptions {
        project_path: Some("/work".into()),
        ..Default::default()
    };
    dm_api::put_unmanaged_project_files(client, project_id, &[&input], &to_work).typed()?;
    out!("   uploaded");

    out!("\n4. Starting the Job rdkit/rdkit-molprops/1.0.0");
    let spec = job_specification();
    let started =
        dm_api::start_job_instance(client, project_id, "quickstart", &spec, &Default::default())
            .typed()?;
    let (id, task_id) = (started.instance_id.as_str(), started.task_id.as_str());
    *instance_id = Some(id.to_string());
    out!("   instance {id}, task {task_id}");

    out!("\n5. Waiting for it to end");
    let began = Instant::now();
    let wait = WaitOptions {
        timeout: Duration::from_secs(15 * 60),
        poll_interval: Duration::from_millis(500),
        on_poll: Some(common::show_phase_changes()),
    };
    let instance = dm_api::wait_for_instance(client, id, &wait).typed();
    out!(" ({:.1} s)", began.elapsed().as_secs_f64());
    let instance = instance?;

    // The events say what the Job did, and why when it failed: read them either way.
    out!("\n6. Reading its events");
    let task = dm_api::get_task(client, task_id, &Default::default()).typed()?;
    for event in task.events.iter().flatten() {
        out!("   {:<8} {}", event.level.as_str(), event.message);
    }
    if instance.phase.as_str() != "COMPLETED" {
        let reason = instance.error_message.as_deref();
        bail!(
            "the Job ended {}: {}",
            instance.phase,
            reason.unwrap_or("no reason given")
        );
    }

    out!("\n7. Downloading /work/molprops.smi");
    let output = work_dir.join("molprops.smi");
    let from_work = dm_api::GetUnmanagedProjectFileOptions {
        project_path: Some("/work".into()),
        ..Default::default()
    };
    dm_api::get_unmanaged_project_file(client, project_id, "molprops.smi", &output, &from_work)
        .typed()?;
    let content = std::fs::read_to_string(&output)?;
    out!("   {} bytes; it starts:", content.len());
    for line in content.lines().take(5) {
        out!("   | {line}");
    }
    Ok(())
}

/// Says whether `what` was deleted.
fn deleted<T>(what: &str, result: Result<T, squonk2::Error>) -> Result<bool> {
    match result {
        Ok(_) => out!("   deleted {what}"),
        Err(e) => {
            out!("   could not delete {what}: {e:#}");
            return Ok(false);
        }
    }
    Ok(true)
}

/// Seconds since 1970, to make names unique.
fn unix_time() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.map_or(0, |d| d.as_secs())
}

/// A client for the environment named by `SQUONK2_ENVIRONMENT`, else for the Data Manager
/// and Keycloak named by the variables (`--help` lists them), else for a local sandbox
/// started here (returned too: it stops when dropped).
fn connect() -> Result<(Client, Option<Sandbox>)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(name) = var("SQUONK2_ENVIRONMENT") {
        out!("Using the environment {name:?} of your environments file");
        return Ok((Client::from_environment(Some(&name))?, None));
    }
    if let Some(url) = var("SQUONK2_DMAPI_URL") {
        let required = |name: &str| {
            var(name).with_context(|| format!("{name} must be set with SQUONK2_DMAPI_URL"))
        };
        out!("Using the Data Manager at {url}");
        // from_env() reads SQUONK2_DMAPI_URL and SQUONK2_DMAPI_VERIFY_SSL_CERT.
        let client = ClientBuilder::from_env()
            .keycloak(
                required("SQUONK2_KEYCLOAK_URL")?,
                required("SQUONK2_KEYCLOAK_REALM")?,
            )
            .dm_client_id(var("SQUONK2_KEYCLOAK_DM_CLIENT_ID").unwrap_or("data-manager-api".into()))
            .credentials(
                required("SQUONK2_KEYCLOAK_USER")?,
                required("SQUONK2_KEYCLOAK_USER_PASSWORD")?,
            )
            .build()?;
        return Ok((client, None));
    }
    // Jobs in this sandbox take a second, so that there is something to wait for.
    let sandbox = Sandbox::builder()
        .job_duration(Duration::from_secs(1))
        .start()
        .context("cannot start the local sandbox")?;
    out!(
        "No SQUONK2_ENVIRONMENT or SQUONK2_DMAPI_URL set: started a local sandbox at {}",
        sandbox.base_url()
    );
    let client = Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .keycloak(sandbox.keycloak_url(), sandbox.realm())
        .dm_client_id(squonk2_sandbox::DM_CLIENT_ID)
        .credentials("alice", "alice-password")
        .build()?;
    Ok((client, Some(sandbox)))
}
