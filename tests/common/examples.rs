//! Running the built examples as a user would, against a sandbox: shared by
//! tests/examples.rs and tests/sandbox_admin.rs.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use squonk2::Client;
use squonk2_sandbox::Sandbox;

use super::TempDir;

/// The built example `name` (in target/<profile>/examples, beside this test's deps folder),
/// built first when missing, with none of the developer's own `SQUONK2_*` or `DMAPI_*`
/// settings in its environment.
pub fn example(name: &str) -> Command {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path: PathBuf = profile_dir.join("examples").join(name);
    if !path.exists() {
        // `cargo test` builds every example; `cargo test --test examples` does not.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // --all-features: as the README's test command builds them (watch_events needs
        // `event-stream`).
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--all-features", "--example", name])
            .status()
            .unwrap();
        assert!(status.success(), "cannot build the example {name}");
    }
    let mut command = Command::new(path);
    // Examples must not depend on the developer's own settings: the deployment's URLs,
    // Keycloak, environments file and environment, users, tokens, product, debugging.
    for (var, _) in std::env::vars_os() {
        let named = var.to_string_lossy();
        if named.starts_with("SQUONK2_") || named.starts_with("DMAPI_") {
            command.env_remove(&var);
        }
    }
    command
}

/// The stdout and stderr of a finished example.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A sandbox with an environments file (in a temporary directory) whose one environment,
/// `sandbox`, logs in as the admin-capable user.
pub struct Deployment {
    pub sandbox: Sandbox,
    pub dir: TempDir,
    pub environments: PathBuf,
}

impl Deployment {
    /// A deployment whose Jobs are quick.
    pub fn start() -> Deployment {
        Deployment::of(
            Sandbox::builder()
                .job_duration(Duration::from_millis(100))
                .start()
                .unwrap(),
        )
    }

    /// `sandbox` as a deployment.
    pub fn of(sandbox: Sandbox) -> Deployment {
        let dir = TempDir::new();
        let environments = dir.path().join("environments");
        std::fs::write(&environments, sandbox.environments_yaml()).unwrap();
        Deployment {
            sandbox,
            dir,
            environments,
        }
    }

    /// Runs an example with the environments file; asserts it did not panic. (success,
    /// stdout, stderr)
    pub fn run(&self, name: &str, args: &[&str]) -> (bool, String, String) {
        self.run_with(example(name).args(args))
    }

    /// As [`Deployment::run`], for a command made with [`example`].
    pub fn run_with(&self, command: &mut Command) -> (bool, String, String) {
        let output = command
            .env("SQUONK2_ENVIRONMENTS_FILE", &self.environments)
            .output()
            .unwrap();
        let (stdout, stderr) = text(&output);
        assert!(!stderr.contains("panicked"), "{stderr}");
        (output.status.success(), stdout, stderr)
    }

    /// A client logged in as the admin-capable user (admin mode off).
    pub fn admin(&self) -> Client {
        super::client_for(&self.sandbox)
    }

    /// A client logged in as `user` (whose password is `<user>-password`).
    pub fn user(&self, user: &str) -> Client {
        super::user_client(&self.sandbox, user)
    }
}
