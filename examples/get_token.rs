//! Gets a Keycloak access token and prints it, for use with curl or another program.
//!
//! ```text
//! export SQUONK2_KEYCLOAK_USER=alice
//! export SQUONK2_KEYCLOAK_USER_PASSWORD=...
//! TOKEN=$(cargo run -q --example get_token -- https://example.com/auth squonk2 data-manager-api)
//! ```
//!
//! Needs `squonk2`, `anyhow` and `lexopt`, and the file `examples/common/mod.rs` copied
//! beside it.

#[macro_use]
mod common;

use std::process::ExitCode;

use squonk2::auth::{get_access_token, GetAccessTokenOptions};

const HELP: &str = "\
Gets a Keycloak access token and prints it (only it, on stdout), for use with curl or
another program.

usage: get_token KEYCLOAK_URL REALM CLIENT_ID [--client-secret SECRET]

  KEYCLOAK_URL              Keycloak (ending in /auth on most deployments)
  REALM                     the realm
  CLIENT_ID                 data-manager-api or account-server-api
  --client-secret SECRET    for a confidential client (default: none)
  -h, --help                print this help

The user and password come from the environment, so that they stay out of your shell
history.

Environment variables:
  SQUONK2_KEYCLOAK_USER            the user (required)
  SQUONK2_KEYCLOAK_USER_PASSWORD   their password (required)
";

fn main() -> ExitCode {
    common::main("get_token", || {
        let token = run()?;
        out!("{token}");
        Ok(true)
    })
}

fn run() -> anyhow::Result<String> {
    use lexopt::prelude::*;

    let mut positional = Vec::new();
    let mut client_secret = None;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("client-secret") => {
                client_secret = Some(common::value(&mut parser, "--client-secret")?)
            }
            Short('h') | Long("help") => common::help(HELP),
            Value(value) => positional.push(value.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let [keycloak_url, realm, client_id] = positional.as_slice() else {
        anyhow::bail!(
            "expected three arguments\nusage: get_token KEYCLOAK_URL REALM CLIENT_ID (see --help)"
        );
    };
    let username = std::env::var("SQUONK2_KEYCLOAK_USER")
        .map_err(|_| anyhow::anyhow!("SQUONK2_KEYCLOAK_USER is not set"))?;
    let password = std::env::var("SQUONK2_KEYCLOAK_USER_PASSWORD")
        .map_err(|_| anyhow::anyhow!("SQUONK2_KEYCLOAK_USER_PASSWORD is not set"))?;
    let token = get_access_token(
        keycloak_url,
        realm,
        client_id,
        &username,
        &password,
        &GetAccessTokenOptions {
            keycloak_client_secret: client_secret,
            ..Default::default()
        },
    )?;
    Ok(token)
}
