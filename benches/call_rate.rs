//! Calls per second of the SDK next to a raw ureq keep-alive loop making the same call, the
//! TCP connections each opens, and the threads each creates per call.
//!
//! Run it with `cargo bench --bench call_rate` (it is not part of `cargo test`). Set
//! `SQUONK2_BENCH_CALLS` for the calls of a round (default 2000) and `SQUONK2_BENCH_ROUNDS`
//! for the rounds (default 9; medians are reported).
//!
//! - The call is `GET /project/{id}` (`dm_api::get_project`) against a sandbox on loopback.
//!   The sandbox runs in this process (the `squonk2-sandbox` dev-dependency), so that `cargo
//!   bench` builds it with the bench profile (optimised, as a release build) and no separate
//!   `cargo build --release` of the sandbox binary is needed; the calls are made in a child
//!   process (this program again), one per round, so that the threads counted are the
//!   caller's alone, never the sandbox's.
//! - The raw loop is what the SDK should cost at most: one `ureq::Agent` shared by the
//!   threads, with no time-outs and a pool holding an idle connection per thread (8 per
//!   host), sending the same bearer token and decoding each answer into a
//!   `serde_json::Value` as the SDK does.
//! - Rounds alternate (SDK and raw, at 1 thread then at 4) so that a busy machine slows both
//!   alike, and which of the two goes first alternates from round to round: the one going
//!   second ran faster on a 2-core machine. A round at 4 threads makes the same number of
//!   calls, shared among them.
//! - Connections are counted by the sandbox (`Sandbox::connections_accepted`), over the
//!   whole child: its warm-up call (the login and first connection) included.
//! - Threads created are counted in the child from `std::thread::ThreadId`, which the
//!   standard library numbers from a process-wide counter as each thread is spawned: the id
//!   of a thread spawned before the calls and of one spawned after them tell how many were
//!   spawned in between (the round's own workers taken off). Sampling `/proc/self/task`
//!   would miss threads that end before the sample, as a per-call resolver thread does.
//! - The CPU time the calling threads used per call (Linux, `/proc/thread-self/schedstat`)
//!   varies less than calls per second on a busy machine: the cost of the SDK itself.

use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

mod common;
#[path = "../tests/common/threads.rs"]
mod threads;

use serde_json::Value;
use squonk2::dm_api;
use squonk2::Client;
use squonk2_sandbox::{Sandbox, DM_CLIENT_ID};
use threads::next_thread_number;

/// Set in a child process: `sdk` or `raw`.
const ROLE_VAR: &str = "SQUONK2_BENCH_ROLE";

fn main() {
    match std::env::var(ROLE_VAR).ok().as_deref() {
        Some(role) => child(role),
        None => parent(),
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .max(1)
}

/// The CPU time the calling thread has had, in nanoseconds (Linux: `/proc/thread-self/schedstat`;
/// 0 elsewhere).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// A child: makes `BENCH_CALLS` calls on `BENCH_THREADS` threads after one warm-up call;
/// prints `calls_per_second threads_created cpu_ns` (the CPU time of the threads making the
/// calls).
fn child(role: &str) {
    let arg = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name}"));
    let threads: usize = arg("BENCH_THREADS").parse().expect("threads");
    let calls: usize = arg("BENCH_CALLS").parse().expect("calls");
    let project_id = arg("BENCH_PROJECT");
    let one: Arc<dyn Fn() + Send + Sync> = match role {
        "sdk" => {
            let client = Client::builder()
                .dm_api_url(arg("BENCH_DM_URL"))
                .keycloak(arg("BENCH_KEYCLOAK_URL"), arg("BENCH_REALM"))
                .dm_client_id(DM_CLIENT_ID)
                .credentials(common::USER, common::PASSWORD)
                .build()
                .expect("client");
            Arc::new(move || {
                let rv = dm_api::get_project(&client, &project_id);
                assert!(rv.success, "{rv:?}");
            })
        }
        "raw" => {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_idle_connections_per_host(8)
                .build()
                .into();
            let url = format!("{}/project/{project_id}", arg("BENCH_DM_URL"));
            let bearer = format!("Bearer {}", arg("BENCH_TOKEN"));
            Arc::new(move || {
                let mut response = agent
                    .get(&url)
                    .header("Authorization", &bearer)
                    .call()
                    .expect("an answer");
                assert_eq!(response.status(), 200);
                let bytes = response.body_mut().read_to_vec().expect("the body");
                let value: Value = serde_json::from_slice(&bytes).expect("JSON");
                assert!(value.is_object());
            })
        }
        other => panic!("unknown role {other}"),
    };
    one();

    let before = next_thread_number();
    let started;
    let mut cpu_ns = 0;
    let workers = if threads == 1 {
        let cpu = thread_cpu_ns();
        started = Instant::now();
        for _ in 0..calls {
            one();
        }
        cpu_ns = thread_cpu_ns() - cpu;
        0
    } else {
        let start = Arc::new(Barrier::new(threads + 1));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (one, start) = (one.clone(), start.clone());
                let n = calls / threads + usize::from(i < calls % threads);
                std::thread::spawn(move || {
                    start.wait();
                    let cpu = thread_cpu_ns();
                    for _ in 0..n {
                        one();
                    }
                    thread_cpu_ns() - cpu
                })
            })
            .collect();
        start.wait();
        started = Instant::now();
        for handle in handles {
            cpu_ns += handle.join().expect("worker");
        }
        threads as u64
    };
    let seconds = started.elapsed().as_secs_f64();
    let after = next_thread_number();
    let created = after - before - 1 - workers;
    println!("{} {created} {cpu_ns}", calls as f64 / seconds);
}

/// One round's figures.
#[derive(Clone, Copy, Debug)]
struct Round {
    calls_per_second: f64,
    connections: u64,
    threads_per_call: f64,
    cpu_us_per_call: f64,
}

fn run_child(
    role: &str,
    threads: usize,
    calls: usize,
    env: &[(&str, String)],
    sandbox: &Sandbox,
) -> Round {
    let mut command = Command::new(std::env::current_exe().expect("exe"));
    command
        .env(ROLE_VAR, role)
        .env("BENCH_THREADS", threads.to_string())
        .env("BENCH_CALLS", calls.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (name, value) in env {
        command.env(name, value);
    }
    let connections_before = sandbox.connections_accepted();
    let output = command.output().expect("the child runs");
    assert!(
        output.status.success(),
        "{role} at {threads} threads failed"
    );
    // The sandbox counts a connection when it accepts it; give it a moment after the child.
    std::thread::sleep(Duration::from_millis(20));
    let connections = sandbox.connections_accepted() - connections_before;
    let out = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<f64> = out
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect();
    let [calls_per_second, created, cpu_ns] = fields[..] else {
        panic!("{role}: {out}");
    };
    Round {
        calls_per_second,
        connections,
        threads_per_call: created / calls as f64,
        cpu_us_per_call: cpu_ns / 1000.0 / calls as f64,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn parent() {
    let calls = env_number("SQUONK2_BENCH_CALLS", 2000);
    let rounds = env_number("SQUONK2_BENCH_ROUNDS", 9);
    let sandbox = Sandbox::builder()
        .token_lifetime(Duration::from_secs(3600))
        .start()
        .expect("sandbox");
    let (_, token, project_id) = common::logged_in(&sandbox);
    let env = [
        ("BENCH_DM_URL", sandbox.dm_api_url()),
        ("BENCH_KEYCLOAK_URL", sandbox.keycloak_url()),
        ("BENCH_REALM", sandbox.realm().to_string()),
        ("BENCH_PROJECT", project_id),
        ("BENCH_TOKEN", token),
    ];

    println!(
        "squonk2 call rate: GET /project/{{id}} against the sandbox at {}, {calls} calls a round, {rounds} rounds",
        sandbox.base_url()
    );
    let thread_counts = [1usize, 4];
    // results[t][0] is the SDK's, results[t][1] raw ureq's.
    let mut results: Vec<[Vec<Round>; 2]> =
        thread_counts.iter().map(|_| [vec![], vec![]]).collect();
    for round in 1..=rounds {
        for (t, &threads) in thread_counts.iter().enumerate() {
            // Which goes first alternates, so that neither gains from its place.
            let order = if round % 2 == 1 { [0, 1] } else { [1, 0] };
            for k in order {
                let role = ["sdk", "raw"][k];
                let r = run_child(role, threads, calls, &env, &sandbox);
                println!(
                    "round {round}: {role} {threads} thread(s): {:.0} calls/s, {} connections, {:.3} threads/call, {:.1} us CPU/call",
                    r.calls_per_second, r.connections, r.threads_per_call, r.cpu_us_per_call
                );
                results[t][k].push(r);
            }
        }
    }

    println!();
    println!("medians of {rounds} rounds of {calls} calls:");
    println!("| threads | SDK calls/s | raw ureq calls/s | SDK / raw | connections SDK / raw | threads created per call SDK / raw | caller CPU us per call SDK / raw |");
    println!("|---|---|---|---|---|---|---|");
    for (t, &threads) in thread_counts.iter().enumerate() {
        let [sdk, raw] = &results[t];
        let rate = |rs: &[Round]| median(rs.iter().map(|r| r.calls_per_second).collect());
        let conns = |rs: &[Round]| median(rs.iter().map(|r| r.connections as f64).collect());
        let per_call = |rs: &[Round]| median(rs.iter().map(|r| r.threads_per_call).collect());
        let cpu = |rs: &[Round]| median(rs.iter().map(|r| r.cpu_us_per_call).collect());
        let ratio = median(
            sdk.iter()
                .zip(raw)
                .map(|(s, r)| s.calls_per_second / r.calls_per_second)
                .collect(),
        );
        println!(
            "| {threads} | {:.0} | {:.0} | {ratio:.2}x | {} / {} | {:.3} / {:.3} | {:.1} / {:.1} |",
            rate(sdk),
            rate(raw),
            conns(sdk),
            conns(raw),
            per_call(sdk),
            per_call(raw),
            cpu(sdk),
            cpu(raw),
        );
    }
    println!(
        "(SDK / raw is the median of each round's ratio; connections include the warm-up call's)"
    );
}
