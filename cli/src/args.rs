//! How each Rust type of the command table becomes a command-line argument, and is read back.
//!
//! Required arguments are positionals ([`Positional`]); optional ones are `--kebab-case`
//! options ([`OptArg`]): a flag for a `bool`, a repeatable option for a `Vec`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{value_parser, Arg, ArgAction, ArgMatches, ValueHint};
use serde_json::Value;

/// The value name shown in usage: `project_id` → `PROJECT_ID`.
fn value_name(id: &str) -> String {
    id.trim_end_matches('_').to_uppercase()
}

/// The option's flag: `project_path` → `project-path`, `from_` → `from`.
pub(crate) fn long(id: &str) -> String {
    id.trim_end_matches('_').replace('_', "-")
}

/// A required argument, given in order.
pub(crate) trait Positional: Sized {
    /// The argument.
    fn arg(id: &'static str) -> Arg;
    /// Its value (clap has checked that it is there and parses).
    fn get(m: &ArgMatches, id: &str) -> Self;
}

/// An optional argument, `--kebab-case`.
pub(crate) trait OptArg: Sized {
    /// The argument.
    fn arg(id: &'static str) -> Arg;
    /// Its value, or the SDK's default when it is not given.
    fn get(m: &ArgMatches, id: &str) -> Self;
}

fn positional(id: &'static str) -> Arg {
    Arg::new(id).required(true).value_name(value_name(id))
}

fn option(id: &'static str) -> Arg {
    Arg::new(id).long(long(id)).value_name(value_name(id))
}

/// A JSON value given as text, `@FILE` (read from a file) or `-` (read from stdin).
#[derive(Clone, Debug)]
pub(crate) struct Json(pub Value);

fn parse_json(text: &str) -> Result<Json, String> {
    let source = if text == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        s
    } else if let Some(file) = text.strip_prefix('@') {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?
    } else {
        text.to_string()
    };
    serde_json::from_str(&source)
        .map(Json)
        .map_err(|e| format!("not JSON: {e}"))
}

/// Seconds, as a whole or decimal number: `30`, `0.5`.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{text:?}: {e}"))
}

impl Positional for String {
    fn arg(id: &'static str) -> Arg {
        positional(id)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<String>(id).cloned().unwrap_or_default()
    }
}

impl Positional for i64 {
    fn arg(id: &'static str) -> Arg {
        positional(id)
            .value_parser(value_parser!(i64))
            .allow_negative_numbers(true)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<i64>(id).copied().unwrap_or_default()
    }
}

impl Positional for bool {
    fn arg(id: &'static str) -> Arg {
        positional(id).value_parser(value_parser!(bool))
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<bool>(id).copied().unwrap_or_default()
    }
}

impl Positional for PathBuf {
    fn arg(id: &'static str) -> Arg {
        positional(id)
            .value_parser(value_parser!(PathBuf))
            .value_hint(ValueHint::FilePath)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<PathBuf>(id).cloned().unwrap_or_default()
    }
}

impl Positional for Vec<String> {
    fn arg(id: &'static str) -> Arg {
        positional(id).num_args(1..)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_many::<String>(id)
            .map(|v| v.cloned().collect())
            .unwrap_or_default()
    }
}

impl Positional for Vec<PathBuf> {
    fn arg(id: &'static str) -> Arg {
        positional(id)
            .num_args(1..)
            .value_parser(value_parser!(PathBuf))
            .value_hint(ValueHint::FilePath)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_many::<PathBuf>(id)
            .map(|v| v.cloned().collect())
            .unwrap_or_default()
    }
}

impl Positional for Json {
    fn arg(id: &'static str) -> Arg {
        positional(id).value_parser(parse_json)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<Json>(id).cloned().unwrap_or(Json(Value::Null))
    }
}

impl OptArg for Option<String> {
    fn arg(id: &'static str) -> Arg {
        option(id)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<String>(id).cloned()
    }
}

/// A string option whose SDK default is empty (not sent).
impl OptArg for String {
    fn arg(id: &'static str) -> Arg {
        option(id)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<String>(id).cloned().unwrap_or_default()
    }
}

impl OptArg for Option<i64> {
    fn arg(id: &'static str) -> Arg {
        option(id)
            .value_parser(value_parser!(i64))
            .allow_negative_numbers(true)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<i64>(id).copied()
    }
}

/// A number option whose SDK default is 0 (not sent).
impl OptArg for i64 {
    fn arg(id: &'static str) -> Arg {
        option(id)
            .value_parser(value_parser!(i64))
            .allow_negative_numbers(true)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<i64>(id).copied().unwrap_or_default()
    }
}

/// A count whose SDK default is 0 (not sent).
impl OptArg for u64 {
    fn arg(id: &'static str) -> Arg {
        option(id).value_parser(value_parser!(u64))
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<u64>(id).copied().unwrap_or_default()
    }
}

/// A flag.
impl OptArg for bool {
    fn arg(id: &'static str) -> Arg {
        Arg::new(id).long(long(id)).action(ArgAction::SetTrue)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_flag(id)
    }
}

/// `--name true|false`, or not given.
impl OptArg for Option<bool> {
    fn arg(id: &'static str) -> Arg {
        option(id)
            .value_name("true|false")
            .value_parser(value_parser!(bool))
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<bool>(id).copied()
    }
}

impl OptArg for Option<PathBuf> {
    fn arg(id: &'static str) -> Arg {
        option(id)
            .value_parser(value_parser!(PathBuf))
            .value_hint(ValueHint::FilePath)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<PathBuf>(id).cloned()
    }
}

/// Seconds: `--deadline 600`, `--poll-interval 0.5`.
impl OptArg for Option<Duration> {
    fn arg(id: &'static str) -> Arg {
        option(id).value_name("SECONDS").value_parser(parse_seconds)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_one::<Duration>(id).copied()
    }
}

/// A repeatable option: `--usernames a --usernames b`.
impl OptArg for Vec<String> {
    fn arg(id: &'static str) -> Arg {
        option(id).action(ArgAction::Append)
    }
    fn get(m: &ArgMatches, id: &str) -> Self {
        m.get_many::<String>(id)
            .map(|v| v.cloned().collect())
            .unwrap_or_default()
    }
}
