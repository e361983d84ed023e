//! The quickstart: the Data Manager in eight numbered steps. It logs in, creates a project,
//! uploads a file, runs a Job and waits for it, reads the Job's events, downloads its output
//! and cleans up.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With nothing set it starts the local sandbox (a stand-in for a whole Squonk2 deployment)
//! inside this program and logs in as the sandbox's user `alice`. To run the same steps
//! against a real deployment, name an environment of your environments file
//! (`~/.squonk2/environments`, or the file `SQUONK2_ENVIRONMENTS_FILE` names); its admin user
//! logs in:
//!
//! ```text
//! SQUONK2_ENVIRONMENT=staging cargo run --example quickstart
//! ```
//!
//! or give the Data Manager's URL and your Keycloak login:
//!
//! ```text
//! export SQUONK2_DMAPI_URL=https://example.com/data-manager-api
//! export SQUONK2_KEYCLOAK_URL=https://example.com/auth
//! export SQUONK2_KEYCLOAK_REALM=squonk2
//! export SQUONK2_KEYCLOAK_USER=alice
//! export SQUONK2_KEYCLOAK_USER_PASSWORD=...
//! cargo run --example quickstart
//! ```
//!
//! (and `SQUONK2_KEYCLOAK_DM_CLIENT_ID` when the Data Manager's Keycloak client is not
//! `data-manager-api`).
//!
//! The project is made on the test product, `dm_api::TEST_PRODUCT_ID`, unless
//! `SQUONK2_PRODUCT_ID` names a project-tier product of yours. The Job is `rdkit-molprops`
//! (collection `rdkit`, one of the Virtual Screening Jobs most deployments have); the
//! sandbox computes no chemistry, so there the output is a note saying so. Change `JOB` and
//! `job_specification` below to run another Job.
//!
//! Every step that fails stops the program with a message and a non-zero exit; the project
//! is deleted whatever happens after it was made.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _, Result};
use squonk2::dm_api::models::{
    InstanceGetResponse, InstanceGetResponsePhase, InstancePostResponse, ProjectPostResponse,
    TaskGetResponse, UserAccountDetail, VersionGetResponse,
};
use squonk2::dm_api::{self, JobSpecification, OnPoll, WaitOptions};
use squonk2::{Client, ClientBuilder};
use squonk2_sandbox::Sandbox;

/// The Job: collection, name and version.
const JOB: (&str, &str, &str) = ("rdkit", "rdkit-molprops", "1.0.0");

/// The file we upload: a few molecules as tab-separated SMILES and names.
const MOLECULES: &str = "\
CC(=O)Oc1ccccc1C(=O)O\taspirin
Cn1cnc2c1c(=O)n(C)c(=O)n2C\tcaffeine
CC(=O)Nc1ccc(O)cc1\tparacetamol
CC(C)Cc1ccc(cc1)C(C)C(=O)O\tibuprofen
";

/// Where the input goes in the project, and the output the Job writes beside it.
const PROJECT_DIR: &str = "/work";
const INPUT_NAME: &str = "molecules.smi";
const OUTPUT_NAME: &str = "molprops.smi";

/// The Job and its variables: its input and output files, relative to the project's root.
fn job_specification() -> JobSpecification {
    JobSpecification::new(JOB.0, JOB.1, JOB.2)
        .variable("inputFile", format!("work/{INPUT_NAME}"))
        .variable("outputFile", format!("work/{OUTPUT_NAME}"))
        .variable("separator", "tab")
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => {
            println!("\nDone: every step worked.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nquickstart failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    println!("Squonk2 quickstart");
    // Keep the sandbox (when there is one) until the end: it stops when dropped.
    let (client, _sandbox) = connect()?;

    step(1, "Logging in");
    // Each answer is decoded into its typed model (`parse`), which says what was wrong if
    // the server's answer does not fit.
    let version: VersionGetResponse = dm_api::get_version(&client).parse()?;
    // The account call needs a token: it proves the login works.
    let account: UserAccountDetail = dm_api::get_account(&client, &Default::default()).parse()?;
    detail(&format!(
        "Data Manager {} at {}, logged in as {}",
        version.version,
        dm_api::get_api_url(&client).0,
        account.user.username,
    ));

    step(2, "Creating a project");
    let product_id = env_var("SQUONK2_PRODUCT_ID");
    let product_id = product_id.as_deref().unwrap_or(dm_api::TEST_PRODUCT_ID);
    // A name of our own each time: a user cannot have two projects with the same name.
    let project_name = format!("quickstart {}", unix_time());
    let created: ProjectPostResponse =
        dm_api::create_project(&client, &project_name, product_id, &Default::default()).parse()?;
    let project_id = created.project_id;
    detail(&format!("{project_id} ({project_name:?})"));

    // From here on the project is deleted at the end, whatever happens in between.
    let work_dir = std::env::temp_dir().join(format!("squonk2-quickstart-{}", std::process::id()));
    let mut instance_id = None;
    let outcome = tour(&client, &project_id, &work_dir, &mut instance_id);
    let cleanup = clean_up(&client, &project_id, instance_id.as_deref(), &work_dir);
    outcome.and(cleanup)
}

/// Steps 3 to 7; `instance_id` is set as soon as there is an instance to delete.
fn tour(
    client: &Client,
    project_id: &str,
    work_dir: &Path,
    instance_id: &mut Option<String>,
) -> Result<()> {
    step(
        3,
        &format!(
            "Uploading {INPUT_NAME} ({} bytes) to {PROJECT_DIR}",
            MOLECULES.len()
        ),
    );
    std::fs::create_dir_all(work_dir)
        .with_context(|| format!("cannot make {}", work_dir.display()))?;
    let input = work_dir.join(INPUT_NAME);
    std::fs::write(&input, MOLECULES)
        .with_context(|| format!("cannot write {}", input.display()))?;
    let upload = dm_api::PutUnmanagedProjectFilesOptions {
        project_path: Some(PROJECT_DIR.into()),
        ..Default::default()
    };
    dm_api::put_unmanaged_project_files(client, project_id, &[&input], &upload).into_result()?;
    detail("uploaded");

    step(
        4,
        &format!("Starting the Job {}/{}/{}", JOB.0, JOB.1, JOB.2),
    );
    let started: InstancePostResponse = dm_api::start_job_instance(
        client,
        project_id,
        "quickstart",
        &job_specification(),
        &Default::default(),
    )
    .parse()?;
    let (id, task_id) = (started.instance_id.as_str(), started.task_id.as_str());
    *instance_id = Some(id.to_string());
    detail(&format!("instance {id}, task {task_id}"));

    step(5, "Waiting for it to end");
    let began = Instant::now();
    let wait = WaitOptions {
        timeout: Duration::from_secs(15 * 60),
        poll_interval: Duration::from_millis(500),
        on_poll: Some(show_phase_changes()),
    };
    let instance = dm_api::wait_for_instance(client, id, &wait).parse::<InstanceGetResponse>();
    println!(" ({:.1} s)", began.elapsed().as_secs_f64());
    let instance = instance?;

    // The events say what the Job did, and why when it failed: read them either way.
    step(6, "Reading its events");
    let task: TaskGetResponse = dm_api::get_task(client, task_id, &Default::default()).parse()?;
    for event in task.events.iter().flatten() {
        detail(&format!("{:<8} {}", event.level.as_str(), event.message));
    }
    if instance.phase != InstanceGetResponsePhase::Completed {
        bail!(
            "the Job ended {}: {}",
            instance.phase,
            instance
                .error_message
                .as_deref()
                .unwrap_or("no reason given")
        );
    }

    step(7, &format!("Downloading {PROJECT_DIR}/{OUTPUT_NAME}"));
    let output = work_dir.join(OUTPUT_NAME);
    let download = dm_api::GetUnmanagedProjectFileOptions {
        project_path: Some(PROJECT_DIR.into()),
        ..Default::default()
    };
    dm_api::get_unmanaged_project_file(client, project_id, OUTPUT_NAME, &output, &download)
        .into_result()?;
    let content = std::fs::read_to_string(&output)
        .with_context(|| format!("cannot read {}", output.display()))?;
    detail(&format!("{} bytes; it starts:", content.len()));
    for line in content.lines().take(5) {
        detail(&format!("| {line}"));
    }
    Ok(())
}

/// Step 8: deletes the instance and the project, and our local files. Every part is tried,
/// and each failure shown.
fn clean_up(
    client: &Client,
    project_id: &str,
    instance_id: Option<&str>,
    work_dir: &Path,
) -> Result<()> {
    step(8, "Cleaning up");
    let _ = std::fs::remove_dir_all(work_dir);
    let mut clean = true;
    if let Some(instance_id) = instance_id {
        match dm_api::delete_instance(client, instance_id).into_result() {
            Ok(_) => detail(&format!("deleted the instance {instance_id}")),
            Err(e) => {
                detail(&format!("could not delete the instance: {e:#}"));
                clean = false;
            }
        }
    }
    match dm_api::delete_project(client, project_id).into_result() {
        Ok(_) => detail(&format!("deleted the project {project_id}")),
        Err(e) => {
            detail(&format!("could not delete the project: {e:#}"));
            clean = false;
        }
    }
    if !clean {
        bail!("the clean-up failed: delete the project {project_id} yourself");
    }
    Ok(())
}

/// A client for the deployment to use, and the sandbox when we started one.
fn connect() -> Result<(Client, Option<Sandbox>)> {
    if let Some(name) = env_var("SQUONK2_ENVIRONMENT") {
        println!("Using the environment {name:?} of your environments file");
        return Ok((Client::from_environment(Some(&name))?, None));
    }
    if let Some(dm_api_url) = env_var("SQUONK2_DMAPI_URL") {
        let required = |name: &str| {
            env_var(name).with_context(|| format!("{name} must be set with SQUONK2_DMAPI_URL"))
        };
        // from_env() reads SQUONK2_DMAPI_URL and SQUONK2_DMAPI_VERIFY_SSL_CERT.
        let client = ClientBuilder::from_env()
            .keycloak(
                required("SQUONK2_KEYCLOAK_URL")?,
                required("SQUONK2_KEYCLOAK_REALM")?,
            )
            .dm_client_id(
                env_var("SQUONK2_KEYCLOAK_DM_CLIENT_ID").unwrap_or("data-manager-api".into()),
            )
            .credentials(
                required("SQUONK2_KEYCLOAK_USER")?,
                required("SQUONK2_KEYCLOAK_USER_PASSWORD")?,
            )
            .build()?;
        println!("Using the Data Manager at {dm_api_url}");
        return Ok((client, None));
    }
    // Only for trying things out (drop this, and the squonk2-sandbox dependency, from your
    // own programs). Jobs in this sandbox take a second, so that there is something to wait
    // for.
    let sandbox = Sandbox::builder()
        .job_duration(Duration::from_secs(1))
        .start()
        .context("cannot start the local sandbox")?;
    println!(
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

/// A poll callback printing the instance's phase when it changes, and a dot otherwise.
fn show_phase_changes() -> OnPoll {
    let last_phase = Arc::new(Mutex::new(String::new()));
    print!("   ");
    OnPoll::new(move |rv| {
        let phase = rv.msg["phase"].as_str().unwrap_or("?");
        let mut last = last_phase.lock().unwrap_or_else(PoisonError::into_inner);
        if *last == phase {
            print!(".");
        } else {
            let separator = if last.is_empty() { "" } else { " " };
            print!("{separator}{phase}");
            *last = phase.to_string();
        }
        // Show it now, not when the line ends.
        let _ = std::io::stdout().flush();
    })
}

fn step(number: u32, title: &str) {
    println!("\n{number}. {title}");
}

fn detail(line: &str) {
    println!("   {line}");
}

/// An environment variable, when set and not empty.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn unix_time() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
