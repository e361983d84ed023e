//! `squonk2-sandbox`: runs a sandbox until Ctrl-C or SIGTERM.

#![forbid(unsafe_code)]

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use squonk2_sandbox::{ErrorKind, Sandbox, AS_CLIENT_ID, DM_CLIENT_ID, SANDBOX_TIER_PRODUCT_ID};

/// The port the binary listens on unless told otherwise.
const DEFAULT_PORT: u16 = 8765;

const USAGE: &str = "\
usage: squonk2-sandbox [--port N] [--https] [--token-lifetime SECS] [--refresh-lifetime SECS]
                       [--data-dir DIR] [--job-duration-ms MS] [--dataset-duration-ms MS]
                       [--no-cors] [--fixture FILE] [--env-file PATH] [--clock-stopped]
                       [--max-recorded-requests N] [--max-recorded-bytes N]
                       [--max-connections N] [--header-read-timeout SECS]

Runs a local stand-in for a Squonk2 deployment (Keycloak, Data Manager API,
Account Server API, UI API) on 127.0.0.1 until Ctrl-C or SIGTERM. Scripts
steer it over HTTP under /_sandbox/ (see the README's control API table).

  --port N                  listen on port N (default 8765; when that is taken, a
                            free port, said so on stderr; 0: a free port)
  --https                   serve HTTPS with the built-in self-signed certificate
  --token-lifetime SECS     access token lifetime (default 300)
  --refresh-lifetime SECS   refresh token lifetime (default 1800)
  --data-dir DIR            keep the Data Manager's project files in DIR (default: a
                            temporary directory removed on exit)
  --job-duration-ms MS      how long a Job instance runs (default 2000)
  --no-cors                 answer no CORS preflights and send no CORS headers (by
                            default browser apps of any origin may call the sandbox)
  --fixture FILE            preload users, organisations, units, products, projects and
                            files from a YAML file (see FIXTURES.md)
  --env-file PATH           also write the environments-file snippet to PATH
  --dataset-duration-ms MS  how long a Dataset version takes to load (default 1000)
  --clock-stopped           start with the sandbox's clock stopped (move it with
                            POST /_sandbox/clock/advance)
  --max-recorded-requests N requests the log keeps (default 10000)
  --max-recorded-bytes N    memory the request log may hold (default 67108864)
  --max-connections N       connections served at once (default 256)
  --header-read-timeout SECS  time to send a request head, or stay idle (default 30)
  -V, --version             print the version
  -h, --help                show this help";

struct Options {
    /// `None`: the default port, or a free one when it is taken.
    port: Option<u16>,
    env_file: Option<String>,
    dataset_duration_ms: Option<u64>,
    clock_stopped: bool,
    max_recorded_requests: Option<usize>,
    max_recorded_bytes: Option<usize>,
    max_connections: Option<usize>,
    header_read_timeout: Option<u64>,
    https: bool,
    token_lifetime: Option<u64>,
    refresh_lifetime: Option<u64>,
    data_dir: Option<String>,
    job_duration_ms: Option<u64>,
    cors: bool,
    fixture: Option<String>,
}

/// What the command line asks for.
enum Command {
    Run(Box<Options>),
    Help,
    Version,
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("bad number for {flag}: {v}"))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut options = Options {
        port: None,
        env_file: None,
        dataset_duration_ms: None,
        clock_stopped: false,
        max_recorded_requests: None,
        max_recorded_bytes: None,
        max_connections: None,
        header_read_timeout: None,
        https: false,
        token_lifetime: None,
        refresh_lifetime: None,
        data_dir: None,
        job_duration_ms: None,
        cors: true,
        fixture: None,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--clock-stopped" => options.clock_stopped = true,
            "--env-file" => options.env_file = Some(value("--env-file")?),
            "--dataset-duration-ms" => {
                options.dataset_duration_ms = Some(number(&flag, &value("--dataset-duration-ms")?)?)
            }
            "--max-recorded-requests" => {
                options.max_recorded_requests =
                    Some(number(&flag, &value("--max-recorded-requests")?)?)
            }
            "--max-recorded-bytes" => {
                options.max_recorded_bytes = Some(number(&flag, &value("--max-recorded-bytes")?)?)
            }
            "--max-connections" => {
                options.max_connections = Some(number(&flag, &value("--max-connections")?)?)
            }
            "--header-read-timeout" => {
                options.header_read_timeout = Some(number(&flag, &value("--header-read-timeout")?)?)
            }
            "--https" => options.https = true,
            "--no-cors" => options.cors = false,
            "--port" => {
                let v = value("--port")?;
                options.port = Some(v.parse().map_err(|_| format!("bad port: {v}"))?);
            }
            "--token-lifetime" => {
                let v = value("--token-lifetime")?;
                options.token_lifetime = Some(v.parse().map_err(|_| format!("bad seconds: {v}"))?);
            }
            "--refresh-lifetime" => {
                let v = value("--refresh-lifetime")?;
                options.refresh_lifetime =
                    Some(v.parse().map_err(|_| format!("bad seconds: {v}"))?);
            }
            "--data-dir" => options.data_dir = Some(value("--data-dir")?),
            "--fixture" => options.fixture = Some(value("--fixture")?),
            "--job-duration-ms" => {
                let v = value("--job-duration-ms")?;
                options.job_duration_ms =
                    Some(v.parse().map_err(|_| format!("bad milliseconds: {v}"))?);
            }
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(Command::Run(Box::new(options)))
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("squonk2-sandbox {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("squonk2-sandbox: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut builder = Sandbox::builder()
        .port(options.port.unwrap_or(DEFAULT_PORT))
        .https(options.https)
        .cors(options.cors)
        .clock_stopped(options.clock_stopped);
    if let Some(n) = options.max_recorded_requests {
        builder = builder.max_recorded_requests(n);
    }
    if let Some(n) = options.max_recorded_bytes {
        builder = builder.max_recorded_bytes(n);
    }
    if let Some(n) = options.max_connections {
        builder = builder.max_connections(n);
    }
    if let Some(secs) = options.header_read_timeout {
        builder = builder.header_read_timeout(Duration::from_secs(secs));
    }
    if let Some(secs) = options.token_lifetime {
        builder = builder.token_lifetime(Duration::from_secs(secs));
    }
    if let Some(secs) = options.refresh_lifetime {
        builder = builder.refresh_lifetime(Duration::from_secs(secs));
    }
    if let Some(dir) = options.data_dir {
        builder = builder.data_dir(dir);
    }
    if let Some(ms) = options.job_duration_ms {
        builder = builder.job_duration(Duration::from_millis(ms));
    }
    if let Some(file) = options.fixture {
        builder = builder.fixture(file);
    }
    let started = match builder.clone().start() {
        Err(e) if options.port.is_none() && e.kind() == ErrorKind::PortInUse => {
            eprintln!(
                "squonk2-sandbox: port {DEFAULT_PORT} is taken (another sandbox?); listening on \
                 a free port instead: the URLs and environments snippet below name it"
            );
            builder.port(0).start()
        }
        other => other,
    };
    let sandbox = match started {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("squonk2-sandbox: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };

    if let Some(ms) = options.dataset_duration_ms {
        sandbox.set_dataset_duration(Duration::from_millis(ms));
    }
    if let Some(path) = &options.env_file {
        if let Err(e) = std::fs::write(path, sandbox.environments_yaml()) {
            eprintln!("squonk2-sandbox: cannot write the environments file {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("listening on {}", sandbox.base_url());
    let _ = std::io::stdout().flush();
    print_summary(&sandbox, options.https);
    let _ = std::io::stdout().flush();

    if let Err(e) = wait_for_shutdown() {
        eprintln!("squonk2-sandbox: cannot wait for signals: {e}");
        return ExitCode::FAILURE;
    }
    println!("stopping");
    drop(sandbox);
    ExitCode::SUCCESS
}

fn print_summary(sandbox: &Sandbox, https: bool) {
    println!();
    println!(
        "Keycloak:     {} (realm {})",
        sandbox.keycloak_url(),
        sandbox.realm()
    );
    println!("DM API:       {}", sandbox.dm_api_url());
    println!("AS API:       {}", sandbox.as_api_url());
    println!("UI API:       {}", sandbox.ui_api_url());
    println!("Request log:  {}/_sandbox/requests", sandbox.base_url());
    println!(
        "Controls:     {}/_sandbox/ (see the README)",
        sandbox.base_url()
    );
    println!("DM files:     {}", sandbox.data_dir().display());
    println!();
    println!("Clients (public): {DM_CLIENT_ID}, {AS_CLIENT_ID}");
    println!("Users (username / password):");
    for user in sandbox.users() {
        let admin = if user.may_be_admin {
            "  (admin-capable)"
        } else {
            ""
        };
        println!("  {} / {}{admin}", user.username, user.password);
    }
    println!();
    println!("Organisations (Account Server), units and products:");
    for line in sandbox.organisations_summary().lines() {
        println!("  {line}");
    }
    println!("  (projects: create one on a project-tier product, e.g. {SANDBOX_TIER_PRODUCT_ID})");
    if https {
        println!();
        println!("TLS certificate to trust (a public test certificate):");
        print!("{}", sandbox.ca_certificate_pem());
    }
    println!();
    println!("Environments file (~/.squonk2/environments):");
    print!("{}", sandbox.environments_yaml());
    println!();
    println!("Press Ctrl-C to stop.");
}

/// Blocks until Ctrl-C, or SIGTERM on Unix.
fn wait_for_shutdown() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            let mut terminate =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                result = tokio::signal::ctrl_c() => result,
                _ = terminate.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await
        }
    })
}
