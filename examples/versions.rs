//! Prints the versions of a Squonk2 deployment's services, and checks that a login works.
//!
//! ```text
//! cargo run --example versions
//! ```
//!
//! With `SQUONK2_DMAPI_URL` unset it starts the local sandbox in this process and logs in
//! as the sandbox's admin user. Pointed at a real deployment (`SQUONK2_DMAPI_URL`,
//! `SQUONK2_ASAPI_URL`, `SQUONK2_UIAPI_URL`) it only reads the versions, which need no
//! login; set `SQUONK2_TOKEN` to also check a Data Manager token with `ping`.

use std::process::ExitCode;

use squonk2::{as_api, dm_api, ui_api, ApiRv, Client};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    // Keep the sandbox alive until the end of `run` (it stops when dropped).
    let (client, _sandbox) = if std::env::var_os("SQUONK2_DMAPI_URL").is_some() {
        let mut builder = squonk2::ClientBuilder::from_env();
        if let Ok(token) = std::env::var("SQUONK2_TOKEN") {
            builder = builder.dm_access_token(token);
        }
        (builder.build()?, None)
    } else {
        let sandbox = squonk2_sandbox::Sandbox::start()?;
        println!(
            "No SQUONK2_DMAPI_URL set: using a local sandbox at {}",
            sandbox.base_url()
        );
        let client = Client::builder()
            .dm_api_url(sandbox.dm_api_url())
            .as_api_url(sandbox.as_api_url())
            .ui_api_url(sandbox.ui_api_url())
            .keycloak(sandbox.keycloak_url(), sandbox.realm())
            .dm_client_id(squonk2_sandbox::DM_CLIENT_ID)
            .credentials("dmit-admin", "dmit-admin-password")
            .build()?;
        (client, Some(sandbox))
    };

    show("Data Manager", dm_api::get_version(&client), "version");
    show("Account Server", as_api::get_version(&client), "version");
    show("UI", ui_api::get_version(&client), "text");

    if client.dm_access_token()?.is_some() {
        // ping needs a token: it proves the login (or the given token) works.
        let namespace = dm_api::ping(&client).into_result()?;
        println!(
            "Logged in; the Account Server namespace is {}",
            namespace["namespace"]
        );
    }
    Ok(())
}

/// Prints one service's version, or why it could not be read.
fn show(service: &str, rv: ApiRv, field: &str) {
    match rv.error() {
        None => match rv.msg[field].as_str() {
            Some(text) => println!("{service:>14}: {text}"),
            None => println!("{service:>14}: {}", rv.msg[field]),
        },
        Some(error) => println!("{service:>14}: unavailable ({error})"),
    }
}
