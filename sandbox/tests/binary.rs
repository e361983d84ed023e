//! The `squonk2-sandbox` binary: what it prints, that it serves, and that it stops on SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

/// Starts the binary with `args` (stdout piped, stderr as given) and reads its first line,
/// `listening on BASE`: the child, the rest of its stdout, and BASE.
fn spawn_listening(args: &[&str], stderr: Stdio) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_squonk2-sandbox"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();
    (child, stdout, base)
}

#[test]
fn the_binary_prints_urls_users_and_an_environments_snippet_then_serves() {
    let (mut child, mut stdout, base) =
        spawn_listening(&["--token-lifetime", "120"], Stdio::inherit());
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    // The rest of the summary ends with the Ctrl-C hint.
    let mut summary = String::new();
    for line in stdout.by_ref().lines() {
        let line = line.unwrap();
        let done = line.starts_with("Press Ctrl-C");
        summary.push_str(&line);
        summary.push('\n');
        if done {
            break;
        }
    }
    for expected in [
        format!("{base}/auth"),
        format!("{base}/data-manager-api"),
        format!("{base}/account-server-api"),
        format!("{base}/data-manager-ui/api"),
        "dmit-admin / dmit-admin-password  (admin-capable)".to_string(),
        "alice / alice-password".to_string(),
        "default: sandbox".to_string(),
        format!("keycloak-hostname: {base}"),
        format!("dm-hostname: {base}"),
        // Whole, so that the Python client (which takes an `http...` UI hostname as the
        // UI API's URL) finds the UI API too.
        format!("ui-hostname: {base}/data-manager-ui/api"),
        // The organisation alice and bob start in, its unit and products.
        format!(
            "Sandbox ({}): owner alice, members bob",
            squonk2_sandbox::SANDBOX_ORG_ID
        ),
        format!("unit Sandbox Unit ({})", squonk2_sandbox::SANDBOX_UNIT_ID),
        format!(
            "product Sandbox Project Tier ({}): DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION BRONZE",
            squonk2_sandbox::SANDBOX_TIER_PRODUCT_ID
        ),
        format!(
            "product Sandbox Storage ({}): DATA_MANAGER_STORAGE_SUBSCRIPTION",
            squonk2_sandbox::SANDBOX_STORAGE_PRODUCT_ID
        ),
        "keycloak-dm-client-id: data-manager-api".to_string(),
        "keycloak-as-client-id: account-server-api".to_string(),
        "admin-password: dmit-admin-password".to_string(),
    ] {
        assert!(
            summary.contains(&expected),
            "{expected:?} missing from:\n{summary}"
        );
    }

    // It serves what it printed.
    let agent = ureq::Agent::new_with_defaults();
    let body = agent
        .get(format!("{base}/data-manager-api/version"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(body.contains("version"), "{body}");

    // SIGTERM stops it promptly (kill sends SIGKILL, so use the kill command).
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("stopping"), "{rest}");
}

#[test]
fn bad_arguments_are_refused_with_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_squonk2-sandbox"))
        .args(["--port", "not-a-number"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad port") && stderr.contains("usage:"),
        "{stderr}"
    );
}

/// Runs the binary with `args` until it has printed its summary; returns the summary and
/// the child (to stop).
fn start_binary(args: &[&str]) -> (String, std::process::Child) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_squonk2-sandbox"))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut summary = String::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        summary.push_str(&line);
        summary.push('\n');
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    (summary, child)
}

#[test]
fn the_binary_preloads_a_fixture_file() {
    let dir = std::env::temp_dir().join(format!("sandbox-binary-fixture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("team.yaml");
    std::fs::write(dir.join("ligands.smi"), "C1=CC=CC=C1\n").unwrap();
    std::fs::write(
        &file,
        "users:\n  - {username: carol, password: carol-pw, admin: true}\n\
         organisations:\n  - name: Acme\n    owner: carol\n    units:\n      - name: Chemistry\n\
         projects:\n  - name: Screening\n    id: project-fixture\n    creator: carol\n\
         \x20   files: [{path: data/ligands.smi, source: ligands.smi}]\n",
    )
    .unwrap();
    let data_dir = dir.join("dm");
    let (summary, mut child) = start_binary(&[
        "--fixture",
        file.to_str().unwrap(),
        "--data-dir",
        data_dir.to_str().unwrap(),
    ]);
    child.kill().unwrap();
    child.wait().unwrap();
    // The project's file was copied from next to the fixture file.
    let copied = std::fs::read_to_string(data_dir.join("project-fixture/data/ligands.smi"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(copied.unwrap(), "C1=CC=CC=C1\n");
    assert!(
        summary.contains("carol / carol-pw  (admin-capable)"),
        "{summary}"
    );
    assert!(summary.contains("Acme (org-"), "{summary}");
    assert!(summary.contains("  unit Chemistry (unit-"), "{summary}");

    // A wrong fixture stops it with the reason.
    let output = Command::new(env!("CARGO_BIN_EXE_squonk2-sandbox"))
        .args(["--fixture", "/nonexistent/fixture.yaml"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot start: fixture /nonexistent/fixture.yaml"),
        "{stderr}"
    );
}

#[test]
fn the_binary_prints_its_version() {
    let output = Command::new(env!("CARGO_BIN_EXE_squonk2-sandbox"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("squonk2-sandbox {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_binary_writes_the_environments_file_and_falls_back_from_a_taken_default_port() {
    // Hold the default port (unless something else already does).
    let _held = std::net::TcpListener::bind(("127.0.0.1", 8765));
    let file = std::env::temp_dir().join(format!("sandbox-env-{}.yaml", std::process::id()));
    let (mut child, _stdout, base) = spawn_listening(
        &[
            "--env-file",
            file.to_str().unwrap(),
            "--clock-stopped",
            "--max-connections",
            "8",
        ],
        Stdio::piped(),
    );
    assert!(!base.ends_with(":8765"), "{base}");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut warning = String::new();
    stderr.read_line(&mut warning).unwrap();
    assert!(warning.contains("port 8765 is taken"), "{warning}");
    let yaml = std::fs::read_to_string(&file).unwrap();
    assert!(yaml.contains(&format!("dm-hostname: {base}")), "{yaml}");
    // The controls are there over HTTP, the clock stopped as asked.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let clock: serde_json::Value = serde_json::from_str(
        &agent
            .get(format!("{base}/_sandbox/clock"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(clock["stopped"], true, "{clock}");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&file);
}
