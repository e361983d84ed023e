//! Lists the environments in your environments file, with the URLs each one uses.
//!
//! ```text
//! cargo run --example list_environments
//! ```
//!
//! The file is `SQUONK2_ENVIRONMENTS_FILE`, or `~/.squonk2/environments` (the same file the
//! Python client reads). Passwords are never printed.

use std::process::ExitCode;

use squonk2::environment::Environments;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("list_environments: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let environments = Environments::load()?;
    println!("Environments in {}:", environments.path().display());
    for name in environments.names() {
        let marker = if name == environments.default_name() {
            " (default)"
        } else {
            ""
        };
        println!();
        println!("{name}{marker}");
        // An entry can be incomplete (say, no admin user yet): show what is wrong and go on.
        let env = match environments.get(Some(&name)) {
            Ok(env) => env,
            Err(e) => {
                println!("  cannot be used: {e}");
                continue;
            }
        };
        println!(
            "  Keycloak:       {} (realm {})",
            env.keycloak_url(),
            env.keycloak_realm()
        );
        let or_unset = |url: Option<String>| url.unwrap_or_else(|| "(not set)".to_string());
        println!("  Data Manager:   {}", or_unset(env.dm_api()));
        println!("  Account Server: {}", or_unset(env.as_api()));
        println!("  UI:             {}", or_unset(env.ui_api()));
        println!("  Admin user:     {}", env.admin_user());
    }
    Ok(())
}
