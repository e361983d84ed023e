//! The sandbox under abuse: big unauthenticated bodies, huge multipart bodies, a log filled
//! with big bodies, idle half-sent connections and too many connections. Memory is that of
//! the `squonk2-sandbox` binary run as a child (`/proc/PID/status`, Linux), so this test
//! process's own buffers don't count. Each test prints its figures (`--nocapture`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{access_token, agent, json_of};
use squonk2_sandbox::{RecordedBody, Sandbox, DM_CLIENT_ID};

/// The `squonk2-sandbox` binary, killed on drop.
struct Binary {
    child: Child,
    base: String,
}

impl Binary {
    fn start() -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_squonk2-sandbox"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("a first line");
        let base = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line: {first:?}"))
            .to_string();
        // Keep reading so that the child never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Binary { child, base }
    }

    /// (VmRSS, VmHWM) of the child, in MiB.
    fn memory_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/PID/status (Linux)");
        let field = |name: &str| -> f64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .map(|kib| kib / 1024.0)
                .unwrap_or_else(|| panic!("no {name} in /proc/PID/status"))
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    fn port(&self) -> u16 {
        self.base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port")
    }

    /// The request log (slow when it holds many MiB: it comes as one JSON text).
    fn log(&self) -> serde_json::Value {
        let response = common::agent_with_timeout(Duration::from_secs(300))
            .get(format!("{}/_sandbox/requests", self.base))
            .call()
            .expect("the log");
        let text = response
            .into_body()
            .with_config()
            .limit(u64::MAX)
            .read_to_string()
            .expect("the log's text");
        serde_json::from_str(&text).expect("the log as JSON")
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A JSON body of `len` bytes holding one string.
fn json_text_body(len: usize) -> Vec<u8> {
    let mut body = b"{\"text\":\"".to_vec();
    body.resize(len - 2, b'x');
    body.extend_from_slice(b"\"}");
    body
}

/// A JSON body of `len` bytes, as many values as fit (what costs a parser the most memory).
fn json_body(len: usize) -> Vec<u8> {
    let mut body = b"{\"values\":[0".to_vec();
    while body.len() + 4 <= len {
        body.extend_from_slice(b",0");
    }
    body.extend_from_slice(b"]}");
    body
}

const MIB: usize = 1024 * 1024;

#[test]
fn refused_requests_keep_only_a_summary_of_their_bodies() {
    let sandbox = Binary::start();
    let (rss_before, _) = sandbox.memory_mib();
    let body = json_body(MIB);
    let url = format!("{}/data-manager-api/project", sandbox.base);
    let agent = agent();
    for _ in 0..300 {
        let (status, _) = json_of(
            agent
                .post(&url)
                .content_type("application/json")
                .send(&body[..]),
        );
        assert_eq!(status, 401);
    }
    let (rss, hwm) = sandbox.memory_mib();
    println!(
        "300 unauthenticated 1 MiB JSON bodies: RSS {rss_before:.1} -> {rss:.1} MiB (peak {hwm:.1})"
    );
    // Each was logged, as its length and digest only.
    let log = sandbox.log();
    let entries = log.as_array().expect("a list");
    assert_eq!(entries.len(), 300);
    assert!(entries.iter().all(|e| e["body"]["encoding"] == "other"
        && e["body"]["length"] == body.len()
        && e["body_complete"] == true));
    // Before, the bodies were kept decoded: 605 MiB.
    assert!(
        hwm - rss_before < 48.0,
        "grew from {rss_before:.1} to {hwm:.1} MiB"
    );
}

#[test]
fn a_huge_multipart_body_keeps_at_most_64_parts() {
    let sandbox = Binary::start();
    let (rss_before, _) = sandbox.memory_mib();
    // 190 MB of 64 KiB text parts, streamed.
    let text = "x".repeat(64 * 1024);
    let part_count = 190_000_000 / text.len();
    let parts = (0..part_count).flat_map(move |i| {
        let head = format!(
            "--B\r\ncontent-disposition: form-data; name=\"part{i}\"\r\ncontent-type: text/plain\r\n\r\n"
        );
        [head.into_bytes(), text.clone().into_bytes(), b"\r\n".to_vec()]
    });
    let mut body = ChunkReader::new(parts.chain([b"--B--\r\n".to_vec()]));
    let started = Instant::now();
    let (status, reply) = json_of(
        common::agent_with_timeout(Duration::from_secs(600))
            .post(format!("{}/_sandbox/echo", sandbox.base))
            .content_type("multipart/form-data; boundary=B")
            .send(ureq::SendBody::from_reader(&mut body)),
    );
    assert_eq!(status, 200, "{reply}");
    let (rss, hwm) = sandbox.memory_mib();
    println!(
        "one {} MB multipart of {part_count} 64 KiB text parts in {:.1?}: RSS {rss_before:.1} -> {rss:.1} MiB (peak {hwm:.1})",
        body.sent / 1_000_000,
        started.elapsed()
    );
    let log = sandbox.log();
    let recorded = &log[0]["body"];
    assert_eq!(recorded["encoding"], "multipart");
    assert_eq!(recorded["parts"].as_array().map(Vec::len), Some(64));
    assert_eq!(recorded["parts_omitted"], part_count - 64);
    // 1 MiB of content at most: the first 16 parts keep theirs, later ones only a digest.
    assert_eq!(
        recorded["parts"][15]["content"].as_str().map(str::len),
        Some(64 * 1024)
    );
    assert!(recorded["parts"][16]["content"].is_null());
    assert_eq!(recorded["parts"][63]["length"], 64 * 1024);
    // Before, every part's content was kept: 177 MiB.
    assert!(
        hwm - rss_before < 48.0,
        "grew from {rss_before:.1} to {hwm:.1} MiB"
    );
}

#[test]
fn the_request_log_is_bounded_in_bytes() {
    let sandbox = Sandbox::builder()
        .max_recorded_bytes(8 * MIB)
        .start()
        .expect("start");
    let token = sandbox.issue_token("alice", DM_CLIENT_ID, Duration::from_secs(300));
    let url = format!("{}/project", sandbox.dm_api_url());
    let agent = agent();
    let post = |body: &[u8]| {
        let (status, _) = json_of(
            agent
                .post(&url)
                .header("Authorization", format!("Bearer {token}"))
                .content_type("application/json")
                .send(body),
        );
        assert!(status < 500, "{status}");
    };
    // Each is kept decoded, as text and value: about 2 MiB.
    let text = json_text_body(MIB);
    for _ in 0..20 {
        post(&text);
    }
    let log = sandbox.requests();
    assert!((2..=4).contains(&log.len()), "{} entries", log.len());
    assert!(log
        .iter()
        .all(|r| matches!(&r.body, RecordedBody::Json { raw, .. } if raw.len() == text.len())));
    // A body whose value would take some 40 MiB is kept as its length and digest.
    let numbers = json_body(MIB);
    post(&numbers);
    let log = sandbox.requests();
    assert!(
        matches!(log.last().map(|r| &r.body), Some(RecordedBody::Other { length, .. }) if *length == numbers.len() as u64),
        "{:?}",
        log.last().map(|r| &r.body)
    );
}

#[test]
fn accepted_big_bodies_grow_the_sandbox_by_its_log_bound_at_most() {
    let sandbox = Binary::start();
    let (rss_before, _) = sandbox.memory_mib();
    let token_url = format!(
        "{}/auth/realms/squonk2/protocol/openid-connect/token",
        sandbox.base
    );
    let reply: serde_json::Value = json_of(agent().post(&token_url).send_form([
        ("grant_type", "password"),
        ("client_id", DM_CLIENT_ID),
        ("username", "alice"),
        ("password", "alice-password"),
    ]))
    .1;
    let token = access_token(&reply).to_string();
    // 300 accepted 1 MiB JSON bodies, each decoded into the log (about 2 MiB each, text
    // and value): far past its default 64 MiB.
    let body = json_text_body(MIB);
    let url = format!("{}/data-manager-api/project", sandbox.base);
    let agent = agent();
    for _ in 0..300 {
        let (status, _) = json_of(
            agent
                .post(&url)
                .header("Authorization", format!("Bearer {token}"))
                .content_type("application/json")
                .send(&body[..]),
        );
        assert!(status < 500, "{status}");
    }
    let (rss, hwm) = sandbox.memory_mib();
    println!("300 accepted 1 MiB JSON bodies: RSS {rss_before:.1} -> {rss:.1} MiB (peak {hwm:.1})");
    assert!(
        hwm - rss_before < 128.0,
        "grew from {rss_before:.1} to {hwm:.1} MiB"
    );
}

#[test]
fn a_thousand_half_sent_connections_are_turned_away_past_the_limit() {
    let sandbox = Binary::start();
    let (rss_before, _) = sandbox.memory_mib();
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..1000 {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", sandbox.port())) else {
            refused += 1;
            continue;
        };
        let _ = stream.write_all(b"GET /data-manager-api/version HTTP/1.1\r\nHost: x\r\n");
        held.push(stream);
    }
    // Those past the 256 places were answered 503 and closed at once.
    for stream in &held {
        stream.set_nonblocking(true).expect("non-blocking");
    }
    let mut answered = vec![false; held.len()];
    let mut busy = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while busy + refused < 1000 - 256 && Instant::now() < deadline {
        for (stream, answered) in held.iter_mut().zip(answered.iter_mut()) {
            let mut reply = [0u8; 12];
            if !*answered && matches!(stream.peek(&mut reply), Ok(12)) {
                *answered = true;
                busy += usize::from(&reply == b"HTTP/1.1 503");
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let (rss, hwm) = sandbox.memory_mib();
    println!(
        "1,000 half-sent connections: {busy} answered 503, {refused} refused; RSS {rss_before:.1} -> {rss:.1} MiB (peak {hwm:.1})"
    );
    assert!(
        busy + refused >= 1000 - 256,
        "{busy} busy, {refused} refused"
    );
    assert!(
        hwm - rss_before < 48.0,
        "grew from {rss_before:.1} to {hwm:.1} MiB"
    );
}

#[test]
fn half_sent_and_silent_connections_are_closed_after_the_header_time_out() {
    let timeout = Duration::from_secs(1);
    let sandbox = Sandbox::builder()
        .header_read_timeout(timeout)
        .max_connections(16)
        .start()
        .expect("start");
    let started = Instant::now();
    // Fifteen half-sent, one silent.
    let mut streams: Vec<TcpStream> = (0..16)
        .map(|i| {
            let mut stream = TcpStream::connect(("127.0.0.1", sandbox.port())).expect("connect");
            if i > 0 {
                stream
                    .write_all(b"GET /data-manager-api/version HTTP/1.1\r\nHost: x\r\n")
                    .expect("write");
            }
            stream
        })
        .collect();
    // Every place is taken: one more is told so at once.
    let mut extra = TcpStream::connect(("127.0.0.1", sandbox.port())).expect("connect");
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut reply = String::new();
    let _ = extra.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply:?}");
    assert!(reply.contains("Too many connections"), "{reply:?}");

    // Each half-sent one is closed once the time-out passes.
    for stream in &mut streams {
        stream.set_read_timeout(Some(timeout * 5)).expect("timeout");
        let mut rest = Vec::new();
        let closed = match stream.read_to_end(&mut rest) {
            Ok(_) => true,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        };
        assert!(closed, "still open after {:?}", started.elapsed());
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= timeout, "closed after {elapsed:?}");
    assert!(elapsed < timeout * 5, "closed after {elapsed:?}");

    // The places are free again.
    let (status, _) = json_of(
        agent()
            .get(format!("{}/version", sandbox.dm_api_url()))
            .call(),
    );
    assert_eq!(status, 200);
}

/// A reader over a stream of byte vectors, counting what it gave.
struct ChunkReader<I: Iterator<Item = Vec<u8>>> {
    chunks: I,
    current: Vec<u8>,
    offset: usize,
    sent: usize,
}

impl<I: Iterator<Item = Vec<u8>>> ChunkReader<I> {
    fn new(chunks: I) -> Self {
        ChunkReader {
            chunks,
            current: Vec::new(),
            offset: 0,
            sent: 0,
        }
    }
}

impl<I: Iterator<Item = Vec<u8>>> Read for ChunkReader<I> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.offset == self.current.len() {
            match self.chunks.next() {
                Some(chunk) => {
                    self.current = chunk;
                    self.offset = 0;
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.offset);
        buf[..n].copy_from_slice(&self.current[self.offset..self.offset + n]);
        self.offset += n;
        self.sent += n;
        Ok(n)
    }
}

#[test]
fn an_endless_header_time_out_is_no_panic() {
    let sandbox = Sandbox::builder()
        .header_read_timeout(Duration::MAX)
        .max_connections(0)
        .start()
        .expect("start");
    // At least one place, and a time-out that never comes.
    let (status, _) = json_of(
        agent()
            .get(format!("{}/version", sandbox.dm_api_url()))
            .call(),
    );
    assert_eq!(status, 200);
}
