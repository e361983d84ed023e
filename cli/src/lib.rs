//! `squonk2`, a command line over every endpoint function of the
//! [`squonk2`](https://docs.rs/squonk2) SDK: `squonk2 dm get-project PROJECT_ID`,
//! `squonk2 as get-organisations`, `squonk2 auth get-access-token ...`,
//! `squonk2 ui get-version`.
//!
//! This library is the binary's inside, public so that its tests (and a build step making
//! the man page) can reach the command definition; it is not a stable API.

use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Arg, ArgAction, ArgMatches, Command, ValueEnum};
use clap_complete::Shell;
use serde_json::{json, Value};

mod args;
mod commands;
mod output;
mod run;
#[rustfmt::skip]
mod sdk_docs;

use output::Format;
use run::{Cx, Failure};

const GROUPS: &[(&str, &str)] = &[
    (
        "dm",
        "Data Manager API: projects, files, datasets, Jobs, instances, tasks, workflows",
    ),
    (
        "as",
        "Account Server API: organisations, units, products, assets, charges",
    ),
    ("ui", "The UI's API"),
    ("auth", "Keycloak: an access token"),
];

/// The shells of `squonk2 completions`, in the order its help, errors and completion scripts
/// list them (clap_complete's own order, `Shell`'s parser, is alphabetical).
const SHELLS: &[Shell] = &[
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

/// What the codes such as D15 in the help are.
pub(crate) const DIFFERENCES_HELP: &str =
    "D15 and the like: where squonk2 differs from the Python \
     client (im-squonk2-client) on purpose, listed at \
     https://docs.rs/squonk2/latest/squonk2/python_differences/";

fn exit_codes_help() -> String {
    let mut text = String::from("Exit codes:\n");
    for (code, _, meaning) in run::EXIT_CODES {
        text.push_str(&format!("  {code:>3}  {meaning}\n"));
    }
    text
}

fn configuration_help() -> String {
    format!(
        "Configuration: -e NAME (or {env}) uses an environment of the environments file \
         ({file}, or {file_var}). Otherwise the API URLs come \
         from SQUONK2_DMAPI_URL, SQUONK2_ASAPI_URL, SQUONK2_UIAPI_URL, and the login from \
         {token} (a token), or {kc} (with {realm}, default squonk2; {dm}, {as_}; {user} and \
         {password}, or a prompt; {secret}). Secrets are never taken from the command line.",
        env = run::ENVIRONMENT,
        file = squonk2::environment::DEFAULT_ENVIRONMENTS_FILE,
        file_var = squonk2::environment::ENVIRONMENTS_FILE_VAR,
        token = run::TOKEN,
        kc = run::KEYCLOAK_URL,
        realm = run::KEYCLOAK_REALM,
        dm = run::DM_CLIENT_ID,
        as_ = run::AS_CLIENT_ID,
        user = run::USER,
        password = run::PASSWORD,
        secret = run::CLIENT_SECRET,
    )
}

/// The whole command line: every group and subcommand, with their help.
pub fn command() -> Command {
    let mut root = Command::new("squonk2")
        .version(env!("CARGO_PKG_VERSION"))
        .about("A command line for the Squonk2 Data Manager, Account Server, UI and Keycloak APIs")
        .long_about(
            "A command line for the Squonk2 Data Manager, Account Server, UI and Keycloak \
             APIs: every function of the squonk2 SDK is a subcommand named like it \
             (`squonk2 dm get-project PROJECT_ID`). The answer is printed on stdout (JSON: \
             pretty on a terminal, compact in a pipe); a failure prints nothing on stdout, \
             says why on stderr and exits with the code of its kind.",
        )
        .after_help(format!(
            "{}\n\n{}\n\n{DIFFERENCES_HELP}",
            configuration_help(),
            exit_codes_help()
        ))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("environment")
                .short('e')
                .long("environment")
                .value_name("NAME")
                .global(true)
                .help("An environment of the environments file (default: SQUONK2_ENVIRONMENT, else the variables)"),
        )
        .arg(
            Arg::new("output")
                .short('o')
                .long("output")
                .value_name("FORMAT")
                .global(true)
                .value_parser(Format::NAMES)
                .default_value("json")
                .help("How the answer is printed: json (pretty on a terminal, compact in a pipe), yaml, or table"),
        )
        .arg(
            Arg::new("quiet")
                .short('q')
                .long("quiet")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("No progress bars, no phases: only the answer"),
        );
    for (option, _) in run::SECRET_OPTIONS {
        root = root.arg(
            Arg::new(*option)
                .long(*option)
                .global(true)
                .hide(true)
                .num_args(0..=1)
                .value_name("REFUSED"),
        );
    }
    for (group, about) in GROUPS {
        let mut sub = Command::new(*group)
            .about(*about)
            .subcommand_required(true)
            .arg_required_else_help(true);
        for entry in commands::ENTRIES.iter().filter(|e| e.group == *group) {
            sub = sub.subcommand(commands::subcommand(entry));
        }
        root = root.subcommand(sub);
    }
    root.subcommand(
        Command::new("environments")
            .about("Lists the environments of the environments file, without their passwords"),
    )
    .subcommand(
        Command::new("completions")
            .about("Prints a completion script for a shell")
            .long_about(
                "Prints a completion script for a shell: `squonk2 completions bash > \
                 ~/.local/share/bash-completion/completions/squonk2`, `squonk2 completions zsh \
                 > ~/.zfunc/_squonk2`, `squonk2 completions fish > \
                 ~/.config/fish/completions/squonk2.fish`.",
            )
            .arg(
                Arg::new("shell").required(true).value_parser(
                    PossibleValuesParser::new(
                        SHELLS.iter().filter_map(ValueEnum::to_possible_value),
                    )
                    .try_map(|name| name.parse::<Shell>()),
                ),
            ),
    )
    .subcommand(
        Command::new("man")
            .about("Prints the man page (roff): `squonk2 man > squonk2.1; man ./squonk2.1`"),
    )
}

/// The environments of the environments file, without secrets.
fn environments() -> Result<Value, Failure> {
    let envs = squonk2::environment::Environments::load()?;
    let mut list = Vec::new();
    for name in envs.names() {
        let env = envs.get(Some(&name))?;
        list.push(json!({
            "name": name,
            "default": name == envs.default_name(),
            "keycloak_url": env.keycloak_url(),
            "keycloak_realm": env.keycloak_realm(),
            "keycloak_dm_client_id": env.keycloak_dm_client_id(),
            "keycloak_as_client_id": env.keycloak_as_client_id(),
            "dm_api": env.dm_api(),
            "as_api": env.as_api(),
            "ui_api": env.ui_api(),
            "admin_user": env.admin_user(),
        }));
    }
    Ok(json!({
        "file": envs.path().display().to_string(),
        "default": envs.default_name(),
        "environments": list,
    }))
}

/// The matches of the last subcommand given, where global options end up.
fn leaf(matches: &ArgMatches) -> &ArgMatches {
    let mut m = matches;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    m
}

fn run_matches(matches: &ArgMatches) -> Result<Option<Value>, Failure> {
    let globals = leaf(matches);
    for (option, variable) in run::SECRET_OPTIONS {
        if globals.value_source(option) == Some(clap::parser::ValueSource::CommandLine) {
            return Err(Failure::Input(format!(
                "--{option}: secrets are never taken from the command line (other users of the \
                 machine see it in the process list): set {variable}, or run on a terminal to be \
                 asked for it"
            )));
        }
    }
    let (name, sub) = matches.subcommand().expect("a subcommand is required");
    let cx = Cx::new(
        globals.get_one::<String>("environment").cloned(),
        globals.get_flag("quiet"),
    );
    match name {
        "environments" => environments().map(Some),
        "completions" => {
            let shell = *sub.get_one::<Shell>("shell").expect("a shell is required");
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut command(), "squonk2", &mut out);
            output::print(&String::from_utf8_lossy(&out));
            Ok(None)
        }
        "man" => {
            let mut out = Vec::new();
            clap_mangen::Man::new(command())
                .render(&mut out)
                .map_err(|e| Failure::Input(format!("cannot write the man page: {e}")))?;
            output::print(&String::from_utf8_lossy(&out));
            Ok(None)
        }
        group => {
            let (function, m) = sub.subcommand().expect("a subcommand is required");
            let function = function.replace('-', "_");
            let entry = commands::ENTRIES
                .iter()
                .find(|e| e.group == group && e.name == function)
                .expect("every subcommand has an entry");
            (entry.run)(&cx, m).map(Some)
        }
    }
}

/// The binary: parses the command line, runs the command, prints the answer or the failure,
/// and gives the exit code.
pub fn main() -> ExitCode {
    run::install_interrupt_handler();
    let matches = match command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let format = Format::from_name(
        leaf(&matches)
            .get_one::<String>("output")
            .map(String::as_str)
            .unwrap_or("json"),
    );
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_matches(&matches)));
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(payload) if payload.downcast_ref::<run::Interrupt>().is_some() => {
            Err(Failure::Interrupted)
        }
        Err(payload) => std::panic::resume_unwind(payload),
    };
    match outcome {
        Ok(Some(value)) => {
            output::print(&output::render(&value, format));
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("squonk2: error: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}
