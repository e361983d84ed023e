//! What the examples share: `--help`, flags whose bad values are named, the exit code, and
//! output that ends quietly when its reader goes away (`... | head -1`). To use an example
//! in your own crate, copy this file beside it as `common/mod.rs`; it needs `anyhow` and
//! `lexopt`.
// Each example uses only some of it.
#![allow(dead_code)]

use std::fmt;
use std::io::Write as _;
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::{anyhow, Result};

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
    writeln!(stdout, "{args}").map_err(|_| StdoutClosed)?;
    Ok(())
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
        Err(e) if e.is::<StdoutClosed>() => ExitCode::SUCCESS,
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
