//! Deletes the projects whose name starts with a prefix, in every project of a deployment:
//! the clean-up after tests and demos (the quickstart's projects start with `quickstart `).
//! Without `--do-it` it only lists what it would delete.
//!
//! ```text
//! cargo run --example delete_test_projects -- staging "quickstart "
//! cargo run --example delete_test_projects -- staging "quickstart " --do-it
//! ```
//!
//! Needs `squonk2`, `anyhow`, `lexopt` and `ctrlc`, and the files `examples/common/mod.rs`
//! and `examples/common/admin_mode.rs` copied beside it.

#[macro_use]
mod common;
#[path = "common/admin_mode.rs"]
mod admin_mode;

use std::process::ExitCode;

use anyhow::{bail, Result};
use squonk2::dm_api;
use squonk2::Client;

use admin_mode::AdminMode;

const HELP: &str = "\
Deletes the projects whose name starts with PREFIX (exactly, case matters), in every
project of a deployment, each as its creator.

usage: delete_test_projects ENVIRONMENT PREFIX [--do-it]

  ENVIRONMENT   an environment of your environments file; its admin user logs in
  PREFIX        the start of the names to delete (not empty)
  --do-it       delete them (default: only list them)
  -h, --help    print this help

Admin mode is switched on to see every project and off at the end, even after a failure
or Ctrl-C. The exit code is 0 only when every matching project was deleted (or, without
--do-it, when the listing worked).

Environment variables:
  SQUONK2_ENVIRONMENTS_FILE   the environments file (default ~/.squonk2/environments)
";

struct Args {
    environment: String,
    prefix: String,
    do_it: bool,
}

fn main() -> ExitCode {
    common::main("delete_test_projects", || run(parse_args()?))
}

/// `Ok(false)` when some projects could not be deleted.
fn run(args: Args) -> Result<bool> {
    let client = Client::from_environment(Some(&args.environment))?;
    let admin = AdminMode::enter(&client, "delete_test_projects")?;
    let outcome = delete_projects(&client, &admin, &args);
    admin.leave()?;
    out!("Left admin mode");
    outcome
}

fn delete_projects(client: &Client, admin: &AdminMode, args: &Args) -> Result<bool> {
    let all = dm_api::get_available_projects(client, &Default::default()).typed()?;
    let matching: Vec<_> = all
        .projects
        .iter()
        .filter(|p| p.name.starts_with(&args.prefix))
        .collect();
    out!("Projects whose name starts with {:?}:", args.prefix);
    for project in &matching {
        out!(
            "  {:?} [{}] of {}",
            project.name,
            project.project_id,
            project.creator
        );
    }
    out!(
        "Found {} of {} projects",
        matching.len(),
        all.projects.len()
    );
    if matching.is_empty() {
        return Ok(true);
    }
    if !args.do_it {
        out!("Nothing deleted: run again with --do-it to delete them");
        return Ok(true);
    }

    let mut failed = 0;
    for project in &matching {
        let deleted = admin.act_as(&project.creator).and_then(|()| {
            dm_api::delete_project(client, &project.project_id).typed()?;
            Ok(())
        });
        match deleted {
            Ok(_) => out!("  deleted {}", project.project_id),
            Err(e) => {
                out!("  could not delete {}: {e:#}", project.project_id);
                failed += 1;
            }
        }
    }
    out!("Deleted {}, failed {failed}", matching.len() - failed);
    Ok(failed == 0)
}

fn parse_args() -> Result<Args> {
    use lexopt::prelude::*;

    let mut positional = Vec::new();
    let mut do_it = false;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("do-it") => do_it = true,
            Short('h') | Long("help") => common::help(HELP),
            Value(value) => positional.push(value.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let Ok([environment, prefix]) = <[_; 2]>::try_from(positional) else {
        bail!("expected an environment and a prefix (see --help)");
    };
    if prefix.is_empty() {
        // An empty prefix would match every project.
        bail!("the prefix must not be empty");
    }
    Ok(Args {
        environment,
        prefix,
        do_it,
    })
}
