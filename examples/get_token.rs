//! Gets a Keycloak access token and prints it, for use with curl or another program.
//!
//! ```text
//! export SQUONK2_KEYCLOAK_USER=alice
//! export SQUONK2_KEYCLOAK_USER_PASSWORD=...
//! TOKEN=$(cargo run -q --example get_token -- https://example.com/auth squonk2 data-manager-api)
//! ```
//!
//! Arguments: the Keycloak URL (ending in `/auth` on most deployments), the realm and the
//! client id (`data-manager-api` or `account-server-api`); `--client-secret S` for a
//! confidential client. The user and password come from the environment so that they stay
//! out of your shell history. Only the token is printed on stdout; errors go to stderr.

use std::process::ExitCode;

use squonk2::auth::{get_access_token, GetAccessTokenOptions};

const USAGE: &str = "usage: get_token KEYCLOAK_URL REALM CLIENT_ID [--client-secret SECRET]
(the user and password come from SQUONK2_KEYCLOAK_USER and SQUONK2_KEYCLOAK_USER_PASSWORD)";

fn main() -> ExitCode {
    match run() {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("get_token: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<String> {
    use lexopt::prelude::*;

    let mut positional = Vec::new();
    let mut client_secret = None;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("client-secret") => client_secret = Some(parser.value()?.string()?),
            Short('h') | Long("help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(value) => positional.push(value.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let [keycloak_url, realm, client_id] = positional.as_slice() else {
        anyhow::bail!("expected three arguments\n{USAGE}");
    };
    let username = std::env::var("SQUONK2_KEYCLOAK_USER")
        .map_err(|_| anyhow::anyhow!("SQUONK2_KEYCLOAK_USER is not set"))?;
    let password = std::env::var("SQUONK2_KEYCLOAK_USER_PASSWORD")
        .map_err(|_| anyhow::anyhow!("SQUONK2_KEYCLOAK_USER_PASSWORD is not set"))?;
    get_access_token(
        keycloak_url,
        realm,
        client_id,
        &username,
        &password,
        &GetAccessTokenOptions {
            keycloak_client_secret: client_secret,
            ..Default::default()
        },
    )
}
