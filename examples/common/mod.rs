//! What the examples share: `--help`, flags whose bad values are named, the exit code,
//! output that ends quietly when its reader goes away (`... | head -1`), logging in with
//! `-e` or `-t`/`-d`, and a project of their own. To use an example in your own crate, copy
//! this file beside it as `common/mod.rs`; it needs `squonk2`, `anyhow` and `lexopt`.
// Each example uses only some of it.
#![allow(dead_code)]

use std::fmt;
use std::io::Write as _;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{anyhow, bail, Context as _, Result};
use squonk2::dm_api::{self, models::InstanceGetResponse, OnPoll};
use squonk2::Client;

/// `println!` that does not panic: writes a line to the locked stdout and returns (with `?`)
/// from the function when stdout is closed.
macro_rules! out {
    () => {
        crate::common::line(format_args!(""))?
    };
    ($($arg:tt)*) => {
        crate::common::line(format_args!($($arg)*))?
    };
}

/// Stdout was closed (the reader of a pipe went away): [`main`] ends quietly.
#[derive(Debug)]
pub struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stdout is closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Writes a line to stdout (what [`out!`] does).
pub fn line(args: fmt::Arguments) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{args}") {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to stdout")),
    }
}

/// Writes part of a line and shows it now (progress while waiting); a closed stdout is
/// noticed by the next [`out!`].
pub fn progress(args: fmt::Arguments) {
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{args}").and_then(|()| stdout.flush());
}

/// Runs an example: exit code 0 for `Ok(true)`, 1 for `Ok(false)` or an error (printed
/// after the example's name), and 0 without a word when stdout was closed.
pub fn main(name: &str, run: impl FnOnce() -> Result<bool>) -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) if e.chain().any(|cause| cause.is::<StdoutClosed>()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the help and exits 0, before anything is done.
pub fn help(text: &str) -> ! {
    let _ = write!(std::io::stdout().lock(), "{text}");
    std::process::exit(0)
}

/// The value of `flag`, read as a `T`: an error names the flag and the value.
pub fn value<T: FromStr>(parser: &mut lexopt::Parser, flag: &str) -> Result<T>
where
    T::Err: fmt::Display,
{
    let raw = parser.value()?;
    let text = raw.to_string_lossy();
    text.parse()
        .map_err(|e| anyhow!("invalid value {text:?} for {flag}: {e}"))
}

/// For examples without arguments: `--help` prints `help`, anything else is an error.
pub fn no_arguments(help_text: &str) -> Result<()> {
    let mut parser = lexopt::Parser::from_env();
    if let Some(arg) = parser.next()? {
        match arg {
            lexopt::Arg::Short('h') | lexopt::Arg::Long("help") => help(help_text),
            _ => return Err(arg.unexpected().into()),
        }
    }
    Ok(())
}

/// How to log in: an environment of the environments file, or a Data Manager token and URL.
pub enum Login {
    Environment(Option<String>),
    Token { token: String, dm_api_url: String },
}

impl Login {
    /// From the flags `-e`, `-t` and `-d`.
    pub fn from_flags(
        environment: Option<String>,
        token: Option<String>,
        dm_api_url: Option<String>,
    ) -> Result<Login> {
        Ok(match (environment, token, dm_api_url) {
            (Some(_), Some(_), _) => bail!("give an environment or a token, not both"),
            (_, Some(token), Some(dm_api_url)) => Login::Token { token, dm_api_url },
            (_, Some(_), None) => bail!("a token needs the Data Manager URL (-d)"),
            (_, None, Some(_)) => bail!("the Data Manager URL (-d) goes with a token (-t)"),
            (environment, None, None) => Login::Environment(environment),
        })
    }

    pub fn connect(&self) -> Result<Client> {
        match self {
            Login::Environment(name) => {
                let client = Client::from_environment(name.as_deref())?;
                // Log in now, so that a wrong password is reported before anything is done.
                client.dm_access_token()?;
                Ok(client)
            }
            Login::Token { token, dm_api_url } => Ok(Client::builder()
                .dm_api_url(dm_api_url)
                .dm_access_token(token)
                .build()?),
        }
    }
}

/// The project to work in: the one given, or with `--new-project` one made for this run
/// (on `product_id`), which [`Project::finish`] deletes unless it is kept.
pub struct Project {
    pub id: String,
    made: bool,
}

impl Project {
    pub fn given_or_new(
        client: &Client,
        given: Option<String>,
        product_id: &str,
        name: &str,
    ) -> Result<Project> {
        if let Some(id) = given {
            return Ok(Project { id, made: false });
        }
        // A name of our own each time: a user cannot have two projects of one name.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        let name = format!("{name} {}", now.map_or(0, |d| d.as_secs()));
        let made =
            dm_api::create_project(client, &name, product_id, &Default::default()).typed()?;
        line(format_args!("Made project {} ({name:?})", made.project_id))?;
        Ok(Project {
            id: made.project_id,
            made: true,
        })
    }

    /// Deletes the project if this run made it and `keep` is false.
    pub fn finish(self, client: &Client, keep: bool) -> Result<()> {
        if !self.made {
            return Ok(());
        }
        if keep {
            line(format_args!("Keeping project {}", self.id))?;
            return Ok(());
        }
        dm_api::delete_project(client, &self.id)
            .typed()
            .with_context(|| format!("could not delete project {}", self.id))?;
        line(format_args!("Deleted project {}", self.id))
    }
}

/// A poll callback for [`dm_api::wait_for_instance`], printing the instance's phase each
/// time it changes (a poll that failed is left out: the wait goes on, or says why it ended).
pub fn show_phase_changes() -> OnPoll<InstanceGetResponse> {
    let last_phase = Arc::new(Mutex::new(String::new()));
    OnPoll::new(move |poll: Result<&InstanceGetResponse, &squonk2::Error>| {
        let Ok(instance) = poll else {
            return;
        };
        let phase = instance.phase.as_str();
        let mut last = last_phase.lock().unwrap_or_else(PoisonError::into_inner);
        if *last != phase {
            progress(format_args!(" {phase}"));
            *last = phase.to_string();
        }
    })
}
