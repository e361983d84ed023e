//! Watches your Account Server event stream and prints each event as one JSON line: act on a
//! charge as it happens instead of polling.
//!
//! ```text
//! cargo run -q --features event-stream --example watch_events -- my-env --from-ordinal 0 | jq .
//! ```
//!
//! Needs `squonk2` (feature `event-stream`), `anyhow`, `lexopt`, `ctrlc` and `serde_json`,
//! and the file `examples/common/mod.rs` copied beside it.

#[macro_use]
mod common;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde_json::json;
use squonk2::event_stream::{open_event_stream, Event, EventStreamOptions, Replay};
use squonk2::{Client, ErrorKind};

const HELP: &str = "\
Watches your Account Server event stream (made if you have none) and prints each event as
one JSON line: {\"ordinal\", \"timestamp\", \"message_type\", \"body\"}, or {\"lost\": {\"first\",
\"last\"}} when the service lost events. A dropped connection is resumed without losing or
repeating events.

usage: watch_events [ENVIRONMENT] [--from-ordinal N] [--max-events N] [--timeout SECONDS]

  ENVIRONMENT          an environment of your environments file (default: its default)
  --from-ordinal N     replay from event N (0: everything the service keeps; default: new
                       events only)
  --max-events N       stop after N events, with exit code 0
  --timeout SECONDS    give up, with exit code 1, when no event arrived for that long
  -h, --help           print this help

Ctrl-C stops it (exit code 0). When it stops it says, on stderr, which ordinal to carry on
from with --from-ordinal.

Environment variables:
  SQUONK2_ENVIRONMENTS_FILE   the environments file (default ~/.squonk2/environments)
";

struct Args {
    environment: Option<String>,
    from_ordinal: Option<i64>,
    max_events: Option<u64>,
    timeout: Option<Duration>,
}

fn main() -> ExitCode {
    common::main("watch_events", || run(parse_args()?))
}

fn parse_args() -> Result<Args> {
    use lexopt::prelude::*;

    let mut args = Args {
        environment: None,
        from_ordinal: None,
        max_events: None,
        timeout: None,
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("from-ordinal") => {
                let n: i64 = common::value(&mut parser, "--from-ordinal")?;
                if n < 0 {
                    bail!("invalid value {n} for --from-ordinal: it must be 0 or more");
                }
                args.from_ordinal = Some(n);
            }
            Long("max-events") => {
                args.max_events = Some(common::value(&mut parser, "--max-events")?)
            }
            Long("timeout") => {
                let seconds: f64 = common::value(&mut parser, "--timeout")?;
                if !(seconds > 0.0 && seconds.is_finite()) {
                    bail!("invalid value {seconds} for --timeout: it must be more than 0");
                }
                args.timeout = Some(Duration::from_secs_f64(seconds));
            }
            Short('h') | Long("help") => common::help(HELP),
            Value(value) if args.environment.is_none() => args.environment = Some(value.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    Ok(args)
}

/// How often the watch looks up from the stream (for Ctrl-C and --timeout).
const TICK: Duration = Duration::from_millis(200);

fn run(args: Args) -> Result<bool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))?;

    let client = Client::from_environment(args.environment.as_deref())?;
    let options = EventStreamOptions {
        replay: args.from_ordinal.map(Replay::FromOrdinal),
        idle_timeout: Some(TICK),
        ..Default::default()
    };
    let mut events = open_event_stream(&client, options)?;
    let mut count = 0u64;
    let mut last_arrival = Instant::now();
    let resume = |last: Option<i64>| match last {
        Some(last) => eprintln!("watch_events: carry on with --from-ordinal {}", last + 1),
        None => eprintln!("watch_events: no event arrived"),
    };
    loop {
        if args.max_events.is_some_and(|max| count >= max) {
            break;
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let event = match events.next() {
            None => break,
            Some(Err(e)) if e.kind() == ErrorKind::Timeout => {
                if let Some(limit) = args.timeout {
                    if last_arrival.elapsed() >= limit {
                        resume(events.last_ordinal());
                        bail!("no event arrived in {} s", limit.as_secs_f64());
                    }
                }
                continue;
            }
            Some(Err(e)) => {
                resume(events.last_ordinal());
                return Err(e.into());
            }
            Some(Ok(event)) => event,
        };
        last_arrival = Instant::now();
        count += 1;
        // A message as its fields (`ordinal`, `timestamp`, `message_type`, `body`); a gap
        // as `{"lost": {"first", "last"}}`.
        match event {
            Event::Message(message) => out!("{}", serde_json::to_value(&message)?),
            Event::Lost(lost) => out!("{}", json!({ "lost": lost })),
            _ => {}
        }
    }
    resume(events.last_ordinal());
    // A closed stream (deleted, replaced) ended with an error above; Ctrl-C and
    // --max-events end here.
    let _ = events.close();
    Ok(true)
}
