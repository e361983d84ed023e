//! Measures the Data Manager client against a local sandbox, next to curl doing the same:
//! `get_project` calls per second, the time and memory it takes to decode a large listing
//! (10,000 files and 10,000 instances) into the typed models and into a `serde_json::Value`,
//! and upload and download throughput and peak memory for a large file (1 GiB by default).
//!
//! Run it with `cargo bench --bench dm_transfer` (it is not part of `cargo test`). Set
//! `SQUONK2_BENCH_MIB` to change the file size, `SQUONK2_BENCH_CALLS` the number of
//! `get_project` calls, `SQUONK2_BENCH_LISTING` the entries of each listing,
//! `SQUONK2_BENCH_RUNS` the runs of each transfer (the median time is reported). Each transfer runs in a child process (this program, or curl) so that its
//! peak memory (`VmHWM`) is its own, not the sandbox's; dirty pages are flushed (`sync`)
//! before each, so that one transfer's write-back does not slow the next.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use serde_json::Value;
use squonk2::dm_api::models::{FilesGetResponse, InstancesGetResponse};
use squonk2::dm_api::{self, GetUnmanagedProjectFileOptions};
use squonk2::{ApiRv, Client};
use squonk2_sandbox::Sandbox;

/// Set in a child process: the transfer it does.
const ROLE_VAR: &str = "SQUONK2_BENCH_ROLE";

fn main() {
    match std::env::var(ROLE_VAR).ok().as_deref() {
        Some(role) if role.starts_with("call-") => call_decode_child(role),
        Some(role) if role.starts_with("decode") => decode_child(role),
        Some(role) => child(role),
        None => parent(),
    }
}

/// Where the entries of a listing go in its template (`"files": "<here>"`).
const ITEMS: &str = "\"__ITEMS__\"";

/// The JSON text of a listing of `n` entries: `template` with its marker replaced by `n`
/// copies of `entry`, each with its own id. Built as text, so that no `Value` of the whole
/// listing exists before the decode that is measured.
fn listing(template: &str, entry: &str, id: &str, n: usize) -> String {
    let (head, tail) = template
        .split_once(ITEMS)
        .expect("a template with the marker");
    let mut text = String::with_capacity(head.len() + tail.len() + n * (entry.len() + 8));
    text.push_str(head);
    text.push('[');
    for i in 0..n {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&entry.replace(id, &format!("{id}-{i}")));
    }
    text.push(']');
    text.push_str(tail);
    text
}

/// The file and instance listings of BENCH_LISTING entries each, from the shapes in
/// BENCH_FILE (templates and entries written by the parent from the sandbox's own answers).
fn listings_from_env() -> (String, String) {
    let arg = |name: &str| std::env::var(name).unwrap_or_default();
    let n: usize = arg("BENCH_LISTING").parse().expect("BENCH_LISTING");
    let shapes: Value =
        serde_json::from_str(&fs::read_to_string(arg("BENCH_FILE")).expect("shapes"))
            .expect("json");
    let text = |kind: &str| {
        let s = &shapes[kind];
        let part = |k: &str| s[k].as_str().expect(k).to_string();
        listing(&part("template"), &part("entry"), &part("id"), n)
    };
    (text("files"), text("instances"))
}

/// A child: decodes the two listings of BENCH_FILE (templates and entries written by the
/// parent from the sandbox's own answers) as `role` says, five times; prints
/// `best_seconds peak_kib_before peak_kib_after text_bytes`.
fn decode_child(role: &str) {
    let (files, instances) = listings_from_env();
    let before = vm_hwm_kib("self").unwrap_or(0);
    let (mut best, mut after) = (f64::MAX, 0);
    for round in 0..5 {
        let started = Instant::now();
        let decoded: Box<dyn std::any::Any> = match role {
            "decode-value" => Box::new((
                serde_json::from_str::<Value>(&files).expect("files"),
                serde_json::from_str::<Value>(&instances).expect("instances"),
            )),
            "decode-models" => Box::new((
                serde_json::from_str::<FilesGetResponse>(&files).expect("files"),
                serde_json::from_str::<InstancesGetResponse>(&instances).expect("instances"),
            )),
            _ => {
                // What a caller of this crate does: the ApiRv holds the answer as a Value
                // already, and parse() makes the models from it.
                let rv =
                    |text: &str| ApiRv::new(true, serde_json::from_str(text).expect("json"), 200);
                let (f, i) = (rv(&files), rv(&instances));
                let models = (
                    f.parse::<FilesGetResponse>().expect("files"),
                    i.parse::<InstancesGetResponse>().expect("instances"),
                );
                Box::new((f, i, models))
            }
        };
        best = best.min(started.elapsed().as_secs_f64());
        // The peak is the first round's, with its result still held (later rounds reuse the
        // memory it frees).
        if round == 0 {
            after = vm_hwm_kib("self").unwrap_or(0);
        }
        drop(decoded);
    }
    println!("{best} {before} {after} {}", files.len() + instances.len());
}

/// A child: the whole call as a user makes it, `dm_api::list_project_files` and
/// `dm_api::get_available_instances` answered by a sandbox (in this process) with the two
/// large listings, kept as `msg` (`call-msg`) or decoded with `typed()` (`call-typed`), five
/// times; prints `best_seconds 0 0 text_bytes` (no peak: the sandbox shares the process).
fn call_decode_child(role: &str) {
    use squonk2_sandbox::{Fault, FaultRule};
    let (files, instances) = listings_from_env();
    let sandbox = Sandbox::start().expect("sandbox");
    let prefix = sandbox.dm_api_url()[sandbox.base_url().len()..].to_string();
    for (path, body) in [("/file", &files), ("/instance", &instances)] {
        let value: Value = serde_json::from_str(body).expect("json");
        sandbox.add_fault(FaultRule::new(
            format!("{prefix}{path}"),
            Fault::json(200, &value),
        ));
    }
    let client = Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .access_token("bench")
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let mut best = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        let listed = dm_api::list_project_files(&client, "project-1", &Default::default());
        let running = dm_api::get_available_instances(&client);
        assert!(listed.success && running.success, "{listed:?}");
        let kept: Box<dyn std::any::Any> = if role == "call-typed" {
            Box::new((
                listed.typed().expect("files"),
                running.typed().expect("instances"),
            ))
        } else {
            Box::new((listed, running))
        };
        // Dropped inside the timing: `typed()` drops the `msg` it does not need, and a
        // caller keeping `msg` drops it in the end too.
        drop(kept);
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!("{best} 0 0 {}", files.len() + instances.len());
}

/// The answers the decode benchmark copies: a file listing and an instance listing of the
/// sandbox, each as a template with a marker where the entries go, one entry and its id.
fn listing_shapes(client: &Client, project_id: &str, work: &Path) -> Value {
    let small = work.join("molecules.smi");
    fs::write(&small, "CCO\tethanol\n").expect("write");
    dm_api::put_unmanaged_project_files(client, project_id, &[&small], &Default::default())
        .into_result()
        .expect("upload");
    let spec = serde_json::json!({"collection": "im-test", "job": "nop", "version": "1.0.0"});
    let started = dm_api::start_job_instance(client, project_id, "nop", &spec, &Default::default())
        .into_result()
        .expect("a job");
    let instance_id = started["instance_id"].as_str().expect("instance id");
    dm_api::wait_for_instance(client, instance_id, &Default::default())
        .into_result()
        .expect("the job ends");
    let shape = |mut answer: Value, key: &str, id_key: &str| {
        let entry = answer[key][0].take();
        answer[key] = Value::from("__ITEMS__");
        serde_json::json!({
            "template": answer.to_string(),
            "entry": entry.to_string(),
            "id": entry[id_key],
        })
    };
    let files = dm_api::list_project_files(client, project_id, &Default::default())
        .into_result()
        .expect("files");
    let instances = dm_api::get_project_instances(client, project_id)
        .into_result()
        .expect("instances");
    serde_json::json!({
        "files": shape(files, "files", "file_name"),
        "instances": shape(instances, "instances", "id"),
    })
}

/// The peak resident memory of a process, in KiB, from `/proc/<pid>/status`.
fn vm_hwm_kib(pid: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A child: one upload or download with the squonk2 client; prints `seconds peak_kib`.
fn child(role: &str) {
    let arg = |name: &str| std::env::var(name).unwrap_or_default();
    let client = Client::builder()
        .dm_api_url(arg("BENCH_DM_URL"))
        .access_token(arg("BENCH_TOKEN"))
        .build()
        .expect("a client");
    let project_id = arg("BENCH_PROJECT");
    let file = PathBuf::from(arg("BENCH_FILE"));
    let started = Instant::now();
    let rv = match role {
        "upload" => dm_api::put_unmanaged_project_files(
            &client,
            &project_id,
            &[&file],
            &dm_api::PutUnmanagedProjectFilesOptions {
                project_path: Some("/client".into()),
                force: true,
                ..Default::default()
            },
        ),
        _ => dm_api::get_unmanaged_project_file(
            &client,
            &project_id,
            "big.bin",
            &file,
            &GetUnmanagedProjectFileOptions {
                project_path: Some("/client".into()),
                ..Default::default()
            },
        ),
    };
    let seconds = started.elapsed().as_secs_f64();
    assert!(rv.success, "{role}: {rv:?}");
    println!("{seconds} {}", vm_hwm_kib("self").unwrap_or(0));
}

/// Runs `command`, sampling its peak memory until it ends; (seconds, peak KiB, stdout).
fn measure(mut command: Command) -> (f64, u64, String) {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the command starts");
    let pid = child.id().to_string();
    let mut peak = 0;
    loop {
        if let Some(kib) = vm_hwm_kib(&pid) {
            peak = peak.max(kib);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let seconds = started.elapsed().as_secs_f64();
    let output = child.wait_with_output().expect("output");
    assert!(output.status.success(), "{command:?} failed");
    (
        seconds,
        peak,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn write_file(path: &Path, size: u64) {
    let mut out = BufWriter::new(fs::File::create(path).expect("create"));
    let piece: Vec<u8> = (0..1 << 20).map(|i| (i * 7 % 251) as u8).collect();
    let mut left = size;
    while left > 0 {
        let n = left.min(piece.len() as u64) as usize;
        out.write_all(&piece[..n]).expect("write");
        left -= n as u64;
    }
    out.flush().expect("flush");
}

fn mib_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / seconds
}

fn parent() {
    let mib: u64 = std::env::var("SQUONK2_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let runs: usize = std::env::var("SQUONK2_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let calls: u32 = std::env::var("SQUONK2_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let size = mib * 1024 * 1024;
    let work = std::env::temp_dir().join(format!("squonk2-bench-{}", std::process::id()));
    fs::create_dir_all(&work).expect("work dir");
    let sandbox = Sandbox::builder()
        .data_dir(work.join("sandbox"))
        .start()
        .expect("sandbox");
    let (client, token, project_id) = common::logged_in(&sandbox);

    println!(
        "squonk2 DM benchmark against the sandbox at {}",
        sandbox.base_url()
    );
    // Calls per second.
    for _ in 0..50 {
        let _ = dm_api::get_project(&client, &project_id);
    }
    let started = Instant::now();
    for _ in 0..calls {
        assert!(dm_api::get_project(&client, &project_id).success);
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "get_project: {calls} calls in {seconds:.2} s = {:.0} calls/s",
        f64::from(calls) / seconds
    );

    // Decoding a large listing: into the models, into a Value, and (as a caller of ApiRv
    // does) into a Value and then the models.
    let n: usize = std::env::var("SQUONK2_BENCH_LISTING")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let shapes = work.join("shapes.json");
    fs::write(
        &shapes,
        listing_shapes(&client, &project_id, &work).to_string(),
    )
    .expect("shapes");
    println!(
        "decoding {n} files and {n} instances (best of 5; peak = VmHWM growth while decoding):"
    );
    for (role, name) in [
        ("decode-models", "text -> models"),
        ("decode-value", "text -> Value"),
        ("decode-parse", "text -> Value -> models (ApiRv::parse)"),
        ("call-msg", "the calls, answers kept as msg"),
        ("call-typed", "the calls, answers decoded with typed()"),
    ] {
        let mut command = Command::new(std::env::current_exe().expect("exe"));
        command
            .env(ROLE_VAR, role)
            .env("BENCH_LISTING", n.to_string())
            .env("BENCH_FILE", &shapes);
        let (_, _, out) = measure(command);
        let fields: Vec<f64> = out
            .split_whitespace()
            .filter_map(|s| s.parse().ok())
            .collect();
        let [seconds, before, after, bytes] = fields[..] else {
            panic!("{role}: {out}");
        };
        let peak = if after > 0.0 {
            format!("peak +{:>6.1} MiB", (after - before) / 1024.0)
        } else {
            "(HTTP included)  ".to_string()
        };
        println!(
            "  {name:<40} {:>7.1} ms  {peak}  ({:.1} MiB of JSON)",
            seconds * 1000.0,
            bytes / (1024.0 * 1024.0)
        );
    }

    let big = work.join("big.bin");
    write_file(&big, size);
    let url = format!("{}/project/{project_id}/file", sandbox.dm_api_url());
    let auth = format!("Authorization: Bearer {token}");
    println!("transfers of a {mib} MiB file (peak = the process's VmHWM):");

    let ours = |role: &str, file: &Path| {
        let mut command = Command::new(std::env::current_exe().expect("exe"));
        command
            .env(ROLE_VAR, role)
            .env("BENCH_DM_URL", sandbox.dm_api_url())
            .env("BENCH_TOKEN", &token)
            .env("BENCH_PROJECT", &project_id)
            .env("BENCH_FILE", file);
        let (_, peak, out) = measure(command);
        let mut fields = out.split_whitespace();
        let seconds: f64 = fields.next().and_then(|s| s.parse().ok()).expect("seconds");
        let own_peak: u64 = fields.next().and_then(|s| s.parse().ok()).unwrap_or(peak);
        (seconds, own_peak.max(peak))
    };
    let curl = |download: bool, file: &Path| {
        let mut command = Command::new("curl");
        command.args(["-sS", "-f", "-H", &auth]);
        if download {
            command
                .arg("-o")
                .arg(file)
                .arg(format!("{url}?path=%2Fcurl&file=big.bin"));
        } else {
            command
                .args(["-o", "/dev/null", "-X", "PUT", "-F", "path=/curl", "-F"])
                .arg(format!("file=@{}", file.display()))
                .arg(&url);
        }
        let (seconds, peak, _) = measure(command);
        (seconds, peak)
    };
    let back = work.join("back.bin");
    // (name, runs) with each run's (seconds, peak KiB).
    let mut results: Vec<(&str, Vec<(f64, u64)>)> = vec![
        ("squonk2 upload", Vec::new()),
        ("curl upload", Vec::new()),
        ("squonk2 download", Vec::new()),
        ("curl download", Vec::new()),
    ];
    for _ in 0..runs {
        for (i, (name, times)) in results.iter_mut().enumerate() {
            let _ = Command::new("sync").status();
            let _ = fs::remove_file(&back);
            let run = match i {
                0 => ours("upload", &big),
                1 => curl(false, &big),
                2 => ours("download", &back),
                _ => curl(true, &back),
            };
            if i >= 2 {
                assert_eq!(fs::metadata(&back).expect(name).len(), size, "{name}");
            }
            times.push(run);
        }
    }
    for (name, mut times) in results {
        times.sort_by(|a, b| a.0.total_cmp(&b.0));
        let seconds = times[times.len() / 2].0;
        let peak = times.iter().map(|t| t.1).max().unwrap_or(0);
        println!(
            "  {name:<18} {seconds:>6.2} s  {:>7.1} MiB/s  peak {:>6.1} MiB  (median of {runs})",
            mib_per_s(size, seconds),
            peak as f64 / 1024.0
        );
    }

    drop(sandbox);
    let _ = fs::remove_dir_all(&work);
}
