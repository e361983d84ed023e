//! The `squonk2` binary against a sandbox of each test's own: help, a whole session, output
//! formats, exit codes, secrets, Ctrl-C during a download, completions and the man page.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use squonk2_sandbox::{Fault, FaultRule, Sandbox, AS_CLIENT_ID, DM_CLIENT_ID};

const TEST_PRODUCT_ID: &str = "product-11111111-1111-1111-1111-111111111111";

/// Every variable the binary (or the SDK under it) reads, so that the developer's own
/// settings never leak into a test.
const VARIABLES: &[&str] = &[
    "SQUONK2_DMAPI_URL",
    "SQUONK2_ASAPI_URL",
    "SQUONK2_UIAPI_URL",
    "SQUONK2_DMAPI_VERIFY_SSL_CERT",
    "SQUONK2_ASAPI_VERIFY_SSL_CERT",
    "SQUONK2_UIAPI_VERIFY_SSL_CERT",
    "SQUONK2_ENVIRONMENTS_FILE",
    "SQUONK2_ENVIRONMENT",
    "SQUONK2_API_DEBUG_REQUESTS",
    "SQUONK2_CA_BUNDLE",
    "SQUONK2_TOKEN",
    "SQUONK2_KEYCLOAK_URL",
    "SQUONK2_KEYCLOAK_REALM",
    "SQUONK2_KEYCLOAK_DM_CLIENT_ID",
    "SQUONK2_KEYCLOAK_AS_CLIENT_ID",
    "SQUONK2_KEYCLOAK_USER",
    "SQUONK2_KEYCLOAK_USER_PASSWORD",
    "SQUONK2_KEYCLOAK_CLIENT_SECRET",
    "SQUONK2_PRIOR_TOKEN",
    "SQUONK2_FILE_TOKEN",
    "SQUONK2_INSTANCE_TOKEN",
    "SQUONK2_CALLBACK_TOKEN",
];

/// The binary with no configuration at all.
fn bare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_squonk2"));
    for var in VARIABLES {
        command.env_remove(var);
    }
    command.stdin(Stdio::null());
    command
}

/// The binary configured for `sandbox` through the variables, logged in as `user`.
fn squonk2(sandbox: &Sandbox, user: &str) -> Command {
    let mut command = bare();
    command
        .env("SQUONK2_DMAPI_URL", sandbox.dm_api_url())
        .env("SQUONK2_ASAPI_URL", sandbox.as_api_url())
        .env("SQUONK2_UIAPI_URL", sandbox.ui_api_url())
        .env("SQUONK2_KEYCLOAK_URL", sandbox.keycloak_url())
        .env("SQUONK2_KEYCLOAK_REALM", sandbox.realm())
        .env("SQUONK2_KEYCLOAK_DM_CLIENT_ID", DM_CLIENT_ID)
        .env("SQUONK2_KEYCLOAK_AS_CLIENT_ID", AS_CLIENT_ID)
        .env("SQUONK2_KEYCLOAK_USER", user)
        .env("SQUONK2_KEYCLOAK_USER_PASSWORD", format!("{user}-password"));
    command
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        assert_eq!(self.code, 0, "failed: {}", self.stderr);
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.stdout))
    }
}

fn run(command: &mut Command, args: &[&str]) -> Run {
    let output: Output = command.args(args).output().expect("the binary runs");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("squonk2-cli-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn every_subcommand_answers_help() {
    let cli = squonk2_cli::command();
    let mut checked = 0;
    for group in cli.get_subcommands() {
        let g = group.get_name();
        let r = run(&mut bare(), &[g, "--help"]);
        assert_eq!(r.code, 0, "{g} --help: {}", r.stderr);
        for sub in group.get_subcommands() {
            let s = sub.get_name();
            let r = run(&mut bare(), &[g, s, "--help"]);
            assert_eq!(r.code, 0, "{g} {s} --help: {}", r.stderr);
            assert!(
                r.stdout.contains(&format!("Usage: squonk2 {g} {s}")),
                "{g} {s} --help: {}",
                r.stdout
            );
            checked += 1;
        }
    }
    assert!(checked >= 155, "only {checked} subcommands");
    let top = run(&mut bare(), &["--help"]);
    assert_eq!(top.code, 0);
    for needle in [
        "Exit codes:",
        " 12  the server answered",
        "SQUONK2_TOKEN",
        " 130  interrupted",
        "squonk2/python_differences",
    ] {
        assert!(
            top.stdout.contains(needle),
            "{needle} not in {}",
            top.stdout
        );
    }
    // The SDK's documentation is the help: first paragraph and the rest.
    let help = run(&mut bare(), &["dm", "get-project", "--help"]).stdout;
    assert!(help.contains("GET /project/{project_id}"), "{help}");
    assert!(help.contains("<PROJECT_ID>"), "{help}");
    let help = run(&mut bare(), &["dm", "list-project-files", "--help"]).stdout;
    assert!(help.contains("--project-path <PROJECT_PATH>"), "{help}");
    assert!(help.contains("The directory to list"), "{help}");
    // A code such as D15 in a command's help says where to look it up; none, nothing.
    let help = run(&mut bare(), &["dm", "get-dataset", "--help"]).stdout;
    assert!(help.contains("(D15)"), "{help}");
    assert!(help.contains("squonk2/python_differences"), "{help}");
    let help = run(&mut bare(), &["dm", "get-project", "--help"]).stdout;
    assert!(!help.contains("python_differences"), "{help}");
    let version = run(&mut bare(), &["--version"]);
    assert_eq!(
        version.stdout.trim(),
        format!("squonk2 {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_session_create_upload_run_download_delete() {
    let sandbox = Sandbox::builder()
        .job_duration(Duration::from_millis(300))
        .start()
        .unwrap();
    let dir = TempDir::new("session");
    let input = dir.path().join("molecules.smi");
    std::fs::write(&input, "C1=CC=CC=C1 benzene\nCCO ethanol\n").unwrap();
    let sq = || squonk2(&sandbox, "alice");

    let project = run(
        &mut sq(),
        &["dm", "create-project", "cli session", TEST_PRODUCT_ID],
    )
    .json();
    let project_id = project["project_id"].as_str().unwrap().to_string();

    let uploaded = run(
        &mut sq(),
        &[
            "dm",
            "put-unmanaged-project-files",
            &project_id,
            input.to_str().unwrap(),
            "--project-path",
            "/work",
        ],
    );
    assert_eq!(uploaded.json(), serde_json::json!({}));
    // Piped: no progress bar.
    assert!(
        !uploaded.stderr.contains("uploading"),
        "{}",
        uploaded.stderr
    );

    let spec = r#"{"collection": "im-test", "job": "copy-file", "version": "1.0.0",
        "variables": {"inputFile": "work/molecules.smi", "outputFile": "work/copy.smi"}}"#;
    let started = run(
        &mut sq(),
        &[
            "dm",
            "start-job-instance",
            &project_id,
            "copy",
            spec,
            "--wait",
            "--poll-interval",
            "0.1",
        ],
    );
    let answer = started.json();
    assert_eq!(answer["instance"]["phase"], "COMPLETED");
    assert!(
        started.stderr.contains("started instance instance-"),
        "{}",
        started.stderr
    );
    assert!(
        started.stderr.contains("phase: COMPLETED"),
        "{}",
        started.stderr
    );
    let instance_id = answer["instance_id"].as_str().unwrap().to_string();
    assert!(answer["task_id"].as_str().unwrap().starts_with("task-"));

    let output = dir.path().join("copy.smi");
    let got = run(
        &mut sq(),
        &[
            "dm",
            "get-unmanaged-project-file",
            &project_id,
            "copy.smi",
            output.to_str().unwrap(),
            "--project-path",
            "/work",
        ],
    );
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        std::fs::read_to_string(&input).unwrap()
    );

    let listing = run(
        &mut sq(),
        &[
            "dm",
            "list-project-files",
            &project_id,
            "--project-path",
            "/work",
        ],
    )
    .json();
    let names: Vec<&str> = listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file_name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"copy.smi") && names.contains(&"molecules.smi"),
        "{names:?}"
    );

    run(&mut sq(), &["dm", "delete-instance", &instance_id]).json();
    run(&mut sq(), &["dm", "delete-project", &project_id]).json();
    let gone = run(&mut sq(), &["dm", "get-project", &project_id]);
    assert_eq!(gone.code, 12, "{}", gone.stderr);
}

/// A sandbox whose `im-test` `nop` Job fails, and alice's project in it.
fn failing_nop() -> (Sandbox, String) {
    let sandbox = Sandbox::builder()
        .job_duration(Duration::from_millis(100))
        .start()
        .unwrap();
    sandbox.fail_job("im-test", "nop", "nothing to do");
    let project = run(
        &mut squonk2(&sandbox, "alice"),
        &["dm", "create-project", "fails", TEST_PRODUCT_ID],
    )
    .json();
    let project_id = project["project_id"].as_str().unwrap().to_string();
    (sandbox, project_id)
}

#[test]
fn a_failed_job_with_wait_exits_15() {
    let (sandbox, project_id) = failing_nop();
    let project_id = project_id.as_str();
    let sq = || squonk2(&sandbox, "alice");
    let spec = r#"{"collection": "im-test", "job": "nop", "version": "1.0.0"}"#;
    let r = run(
        &mut sq(),
        &[
            "dm",
            "start-job-instance",
            project_id,
            "nop",
            spec,
            "--wait",
            "--poll-interval",
            "0.1",
        ],
    );
    assert_eq!(r.code, 15, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("ended FAILED"), "{}", r.stderr);
}

#[test]
fn wait_for_task_exits_15_for_a_task_that_failed_and_0_for_one_that_succeeded() {
    let (sandbox, project_id) = failing_nop();
    let project_id = project_id.as_str();
    let sq = || squonk2(&sandbox, "alice");
    let start = |job: &str| {
        let spec = format!(r#"{{"collection": "im-test", "job": "{job}", "version": "1.0.0"}}"#);
        let started = run(
            &mut sq(),
            &["dm", "start-job-instance", project_id, job, &spec],
        )
        .json();
        started["task_id"].as_str().unwrap().to_string()
    };
    let wait = |task_id: &str| {
        run(
            &mut sq(),
            &["dm", "wait-for-task", task_id, "--poll-interval", "0.1"],
        )
    };

    let failed = wait(&start("nop"));
    assert_eq!(failed.code, 15, "{}", failed.stderr);
    assert!(failed.stdout.is_empty(), "{}", failed.stdout);
    assert!(
        failed.stderr.contains("ended with exit code 1"),
        "{}",
        failed.stderr
    );

    let done = wait(&start("event-test"));
    assert_eq!(done.code, 0, "{}", done.stderr);
    let task = done.json();
    assert_eq!(task["done"], true);
    assert_eq!(task["exit_code"], 0);
}

#[test]
fn output_formats_of_a_listing() {
    let sandbox = Sandbox::start().unwrap();
    let sq = || squonk2(&sandbox, "alice");
    for name in ["first", "second"] {
        run(&mut sq(), &["dm", "create-project", name, TEST_PRODUCT_ID]).json();
    }
    // JSON (compact in a pipe), the default.
    let json = run(&mut sq(), &["dm", "get-available-projects"]);
    assert_eq!(json.stdout.lines().count(), 1, "compact: {}", json.stdout);
    assert_eq!(json.json()["projects"].as_array().unwrap().len(), 2);

    let yaml = run(&mut sq(), &["dm", "get-available-projects", "-o", "yaml"]);
    assert_eq!(yaml.code, 0, "{}", yaml.stderr);
    assert!(yaml.stdout.contains("projects:"), "{}", yaml.stdout);
    assert!(yaml.stdout.contains("name: first"), "{}", yaml.stdout);

    let table = run(
        &mut sq(),
        &["dm", "get-available-projects", "--output", "table"],
    );
    assert_eq!(table.code, 0, "{}", table.stderr);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", table.stdout);
    assert!(
        lines[0].starts_with("PROJECT_ID") && lines[0].contains("NAME"),
        "{}",
        lines[0]
    );
    assert!(lines.iter().any(|l| l.contains("first")));

    let orgs = run(&mut sq(), &["as", "get-organisations", "-o", "table"]);
    assert!(
        orgs.stdout.starts_with("ID") && orgs.stdout.contains("Sandbox"),
        "{}",
        orgs.stdout
    );
    let products = run(&mut sq(), &["as", "get-available-products", "-o", "table"]);
    assert!(
        products.stdout.contains("PRODUCT.NAME"),
        "{}",
        products.stdout
    );
    // A single object is a FIELD/VALUE table.
    let version = run(&mut sq(), &["dm", "get-version", "-o", "table"]);
    assert!(version.stdout.starts_with("FIELD"), "{}", version.stdout);
}

#[test]
fn exit_codes_and_stderr_for_failures() {
    let sandbox = Sandbox::start().unwrap();
    // 404: the server's words on stderr, nothing on stdout, code 12 (Http).
    let missing = run(
        &mut squonk2(&sandbox, "alice"),
        &[
            "dm",
            "get-project",
            "project-00000000-0000-0000-0000-000000000000",
        ],
    );
    assert_eq!(missing.code, 12);
    assert!(missing.stdout.is_empty());
    assert!(missing.stderr.contains("HTTP 404"), "{}", missing.stderr);
    assert!(
        missing.stderr.contains("dm_api::get_project"),
        "{}",
        missing.stderr
    );

    // A refused login: code 8 (Login), the password nowhere.
    let refused = run(
        squonk2(&sandbox, "alice").env("SQUONK2_KEYCLOAK_USER_PASSWORD", "wrong-secret"),
        &["dm", "get-available-projects"],
    );
    assert_eq!(refused.code, 8, "{}", refused.stderr);
    assert!(refused.stdout.is_empty());
    assert!(refused.stderr.contains("401"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("wrong-secret"));

    // Bad input the SDK refuses before sending: code 3 (InvalidInput).
    let empty = run(&mut squonk2(&sandbox, "alice"), &["dm", "get-project", ""]);
    assert_eq!(empty.code, 3, "{}", empty.stderr);
    assert!(empty.stdout.is_empty());
    // Bad usage: code 2.
    let usage = run(
        &mut squonk2(&sandbox, "alice"),
        &["dm", "get-job", "not-a-number"],
    );
    assert_eq!(usage.code, 2, "{}", usage.stderr);
    assert!(usage.stdout.is_empty());
    let unknown = run(&mut bare(), &["dm", "get-everything"]);
    assert_eq!(unknown.code, 2);
    let json = run(
        &mut squonk2(&sandbox, "alice"),
        &["dm", "start-job-instance", "p", "n", "{not json"],
    );
    assert_eq!(json.code, 2);
    assert!(json.stderr.contains("not JSON"), "{}", json.stderr);

    // Not configured: code 4.
    let none = run(&mut bare(), &["dm", "get-available-projects"]);
    assert_eq!(none.code, 4, "{}", none.stderr);
    // Nothing listening: code 9 (Connect).
    let dead = run(
        bare().env("SQUONK2_DMAPI_URL", "http://127.0.0.1:9/data-manager-api"),
        &["dm", "get-version"],
    );
    assert_eq!(dead.code, 9, "{}", dead.stderr);
}

#[test]
fn a_secret_on_the_command_line_is_refused() {
    let sandbox = Sandbox::start().unwrap();
    let before = sandbox.requests().len();
    for args in [
        &[
            "dm",
            "get-available-projects",
            "--password",
            "alice-password",
        ][..],
        &["--token=abc", "dm", "get-available-projects"][..],
        &[
            "auth",
            "get-access-token",
            "--client-secret",
            "s",
            "u",
            "r",
            "c",
            "alice",
        ][..],
    ] {
        let r = run(&mut squonk2(&sandbox, "alice"), args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
        assert!(
            r.stderr.contains("never taken from the command line"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(sandbox.requests().len(), before, "nothing was sent");

    // From the environment instead.
    let token = run(
        &mut squonk2(&sandbox, "alice"),
        &[
            "auth",
            "get-access-token",
            &sandbox.keycloak_url(),
            sandbox.realm(),
            DM_CLIENT_ID,
            "alice",
        ],
    )
    .json();
    let token = token.as_str().unwrap().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT");
    // ... and used as SQUONK2_TOKEN.
    let account = run(
        bare()
            .env("SQUONK2_DMAPI_URL", sandbox.dm_api_url())
            .env("SQUONK2_TOKEN", &token),
        &["dm", "get-account"],
    )
    .json();
    assert_eq!(account["user"]["username"], "alice");
    // No password and no terminal: not configured, saying which variable to set.
    let r = run(
        squonk2(&sandbox, "alice").env_remove("SQUONK2_KEYCLOAK_USER_PASSWORD"),
        &["dm", "get-available-projects"],
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains("SQUONK2_KEYCLOAK_USER_PASSWORD"),
        "{}",
        r.stderr
    );
}

#[test]
fn environments_and_the_environment_option() {
    let sandbox = Sandbox::start().unwrap();
    let dir = TempDir::new("environments");
    let file = dir.path().join("environments");
    std::fs::write(&file, sandbox.environments_yaml()).unwrap();
    let listed = run(
        bare().env("SQUONK2_ENVIRONMENTS_FILE", &file),
        &["environments"],
    );
    let value = listed.json();
    assert_eq!(value["default"], "sandbox");
    assert_eq!(value["environments"][0]["admin_user"], "dmit-admin");
    assert!(
        !listed.stdout.contains("dmit-admin-password"),
        "{}",
        listed.stdout
    );
    let table = run(
        bare().env("SQUONK2_ENVIRONMENTS_FILE", &file),
        &["environments", "-o", "table"],
    );
    assert!(table.stdout.starts_with("NAME"), "{}", table.stdout);

    let account = run(
        bare().env("SQUONK2_ENVIRONMENTS_FILE", &file),
        &["-e", "sandbox", "dm", "get-account"],
    )
    .json();
    assert_eq!(account["user"]["username"], "dmit-admin");
    let unknown = run(
        bare().env("SQUONK2_ENVIRONMENTS_FILE", &file),
        &["dm", "get-account", "--environment", "nowhere"],
    );
    assert_eq!(unknown.code, 7, "{}", unknown.stderr);
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let r = run(&mut bare(), &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("get-project"), "{shell}");
    }
    let man = run(&mut bare(), &["man"]);
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH squonk2"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
}

/// Ctrl-C during a download that stalls: the Ctrl-C handler removes the partial file after
/// a second, and the exit code is 130. (While bytes arrive, the download stops at its next
/// progress report, every 256 KiB, and the SDK removes its file as the callback's panic
/// unwinds: `tests/hardening.rs` checks that.)
#[cfg(unix)]
#[test]
fn ctrl_c_during_a_stalled_download_leaves_no_partial_file() {
    // One byte every 5 ms: no progress report comes before the handler acts.
    let stderr = interrupt_a_download(Duration::from_millis(5));
    assert!(stderr.contains("squonk2: interrupted"), "{stderr}");
}

/// Sends Ctrl-C to a download whose answer drips a byte every `interval`, checks the exit
/// code (130), that nothing went to stdout and that no file is left; returns stderr.
#[cfg(unix)]
fn interrupt_a_download(interval: Duration) -> String {
    let sandbox = Sandbox::start().unwrap();
    let sq = || squonk2(&sandbox, "alice");
    let project = run(
        &mut sq(),
        &["dm", "create-project", "ctrl-c", TEST_PRODUCT_ID],
    )
    .json();
    let project_id = project["project_id"].as_str().unwrap();
    sandbox.add_fault(
        FaultRule::new(
            format!("/data-manager-api/project/{project_id}/file"),
            Fault::Drip {
                status: 200,
                body: vec![b'x'; 1_000_000],
                interval,
            },
        )
        .method("GET"),
    );
    let dir = TempDir::new("ctrl-c");
    let destination = dir.path().join("big.bin");
    let mut child = sq()
        .args(["dm", "get-unmanaged-project-file", project_id, "big.bin"])
        .arg(&destination)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let parts = || -> Vec<String> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let start = Instant::now();
    while !parts().iter().any(|p| p.ends_with(".part")) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no .part file appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still running after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(output.stdout.is_empty());
    assert_eq!(parts(), Vec::<String>::new(), "files left behind");
    stderr
}
