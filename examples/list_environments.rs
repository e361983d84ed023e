//! Lists the environments in your environments file, with the URLs each one uses.
//!
//! ```text
//! cargo run --example list_environments
//! ```
//!
//! The file is `SQUONK2_ENVIRONMENTS_FILE`, or `~/.squonk2/environments` (the same file the
//! Python client reads). Passwords are never printed.
//!
//! Needs `squonk2`, `anyhow` and `lexopt`, and the file `examples/common/mod.rs` copied
//! beside it.

#[macro_use]
mod common;

use std::process::ExitCode;

use squonk2::environment::Environments;

const HELP: &str = "\
Lists the environments of your environments file, with the URLs each one uses. Passwords
are never printed.

usage: list_environments

  -h, --help    print this help

Environment variables:
  SQUONK2_ENVIRONMENTS_FILE   the environments file (default ~/.squonk2/environments)
";

fn main() -> ExitCode {
    common::main("list_environments", run)
}

fn run() -> anyhow::Result<bool> {
    common::no_arguments(HELP)?;
    let environments = Environments::load()?;
    out!("Environments in {}:", environments.path().display());
    for name in environments.names() {
        let marker = if name == environments.default_name() {
            " (default)"
        } else {
            ""
        };
        out!();
        out!("{name}{marker}");
        // An entry can be incomplete (say, no admin user yet): show what is wrong and go on.
        let env = match environments.get(Some(&name)) {
            Ok(env) => env,
            Err(e) => {
                out!("  cannot be used: {e}");
                continue;
            }
        };
        out!(
            "  Keycloak:       {} (realm {})",
            env.keycloak_url(),
            env.keycloak_realm()
        );
        let or_unset = |url: Option<String>| url.unwrap_or_else(|| "(not set)".to_string());
        out!("  Data Manager:   {}", or_unset(env.dm_api()));
        out!("  Account Server: {}", or_unset(env.as_api()));
        out!("  UI:             {}", or_unset(env.ui_api()));
        out!("  Admin user:     {}", env.admin_user());
    }
    Ok(true)
}
