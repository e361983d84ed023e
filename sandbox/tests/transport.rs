//! Faults, HTTPS, streaming bodies, connections and shutdown.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{agent, agent_with_timeout, get, json_of, PatternReader};
use serde_json::json;
use squonk2_sandbox::{Fault, FaultRule, RecordedBody, Sandbox, DM_VERSION};

fn version_url(sandbox: &Sandbox) -> String {
    format!("{}/version", sandbox.dm_api_url())
}

#[test]
fn respond_faults_count_down_and_filter_by_method() {
    let sandbox = Sandbox::start().expect("start");
    let url = version_url(&sandbox);
    sandbox
        .add_fault(FaultRule::new("/data-manager-api/version", Fault::error(503, "busy")).times(2));
    assert_eq!(get(&url, None), (503, json!({"error": "busy"})));
    assert_eq!(get(&url, None), (503, json!({"error": "busy"})));
    assert_eq!(get(&url, None), (200, json!({"version": DM_VERSION})));

    sandbox.add_fault(
        FaultRule::new("/data-manager-api/version", Fault::error(500, "x")).method("POST"),
    );
    assert_eq!(get(&url, None).0, 200);
    sandbox.clear_faults();

    // Faulted requests are logged like any other.
    assert_eq!(sandbox.requests().len(), 4);
}

#[test]
fn delay_faults_answer_late() {
    let sandbox = Sandbox::start().expect("start");
    sandbox.add_fault(FaultRule::new(
        "/data-manager-api/version",
        Fault::Delay(Duration::from_millis(300)),
    ));
    let started = Instant::now();
    assert_eq!(get(&version_url(&sandbox), None).0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn hang_faults_time_clients_out_and_do_not_block_drop() {
    let sandbox = Sandbox::start().expect("start");
    sandbox.add_fault(FaultRule::new("/data-manager-api/version", Fault::Hang));
    let url = version_url(&sandbox);
    let result = agent_with_timeout(Duration::from_millis(500))
        .get(&url)
        .call();
    assert!(matches!(result, Err(ureq::Error::Timeout(_))), "{result:?}");
    // A request still hanging while the sandbox goes away.
    let hanging = std::thread::spawn(move || agent().get(&url).call().is_err());
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    drop(sandbox);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "drop took {:?}",
        started.elapsed()
    );
    assert!(
        hanging.join().expect("join"),
        "the hanging request must fail"
    );
}

#[test]
fn drop_faults_close_the_connection() {
    let sandbox = Sandbox::start().expect("start");
    sandbox.add_fault(FaultRule::new("/data-manager-api/version", Fault::Drop).times(1));
    let result = agent().get(version_url(&sandbox)).call();
    assert!(result.is_err(), "{result:?}");
    assert_eq!(get(&version_url(&sandbox), None).0, 200);
    assert_eq!(sandbox.requests().len(), 2);
}

#[test]
fn truncate_faults_cut_the_body_short() {
    let sandbox = Sandbox::start().expect("start");
    sandbox.add_fault(FaultRule::new(
        "/data-manager-api/version",
        Fault::Truncate {
            status: 200,
            declared_length: 100,
            body: br#"{"version": "5."#.to_vec(),
        },
    ));
    let mut response = agent()
        .get(version_url(&sandbox))
        .call()
        .expect("headers arrive");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some("100")
    );
    assert!(response.body_mut().read_to_string().is_err());
}

#[test]
fn faults_can_be_set_over_http() {
    let sandbox = Sandbox::start().expect("start");
    let faults = format!("{}/_sandbox/faults", sandbox.base_url());
    let add = |spec: serde_json::Value| {
        let (status, body) = json_of(agent().post(&faults).send_json_text(&spec));
        assert_eq!(status, 201, "{body}");
    };
    add(
        json!({"method": "GET", "path": "/data-manager-api/version", "kind": "respond",
               "status": 418, "content_type": "text/plain", "body": "teapot", "times": 1}),
    );
    add(
        json!({"path": "/account-server-api/version", "kind": "truncate", "body": "{", "declared_length": 10}),
    );
    add(json!({"path": "/data-manager-ui/api/configuration/ui-version", "kind": "drop"}));
    add(json!({"path": "/_sandbox/download", "kind": "delay", "delay_ms": 1}));
    let (_, listed) = get(&faults, None);
    assert_eq!(listed.as_array().map(Vec::len), Some(4));
    assert_eq!(listed[0]["kind"], "respond");

    let mut teapot = agent().get(version_url(&sandbox)).call().expect("response");
    assert_eq!(teapot.status(), 418);
    assert_eq!(teapot.body_mut().read_to_string().expect("body"), "teapot");
    let mut truncated = agent()
        .get(format!("{}/version", sandbox.as_api_url()))
        .call()
        .expect("headers");
    assert!(truncated.body_mut().read_to_string().is_err());
    assert!(agent()
        .get(format!("{}/configuration/ui-version", sandbox.ui_api_url()))
        .call()
        .is_err());

    let (status, _) = json_of(agent().delete(&faults).call());
    assert_eq!(status, 204);
    assert_eq!(get(&faults, None).1, json!([]));
}

trait SendJsonText {
    fn send_json_text(
        self,
        value: &serde_json::Value,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error>;
}

impl SendJsonText for ureq::RequestBuilder<ureq::typestate::WithBody> {
    fn send_json_text(
        self,
        value: &serde_json::Value,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        self.content_type("application/json")
            .send(value.to_string())
    }
}

fn tls_agent(sandbox: &Sandbox) -> ureq::Agent {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let cert = Certificate::from_pem(sandbox.ca_certificate_pem().as_bytes()).expect("PEM");
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .tls_config(
            TlsConfig::builder()
                .root_certs(RootCerts::Specific(Arc::new(vec![cert])))
                .build(),
        )
        .build()
        .into()
}

#[test]
fn https_serves_with_the_self_signed_certificate() {
    let sandbox = Sandbox::builder().https(true).start().expect("start");
    assert!(sandbox.base_url().starts_with("https://127.0.0.1:"));
    let agent = tls_agent(&sandbox);
    let (status, body) = json_of(agent.get(version_url(&sandbox)).call());
    assert_eq!((status, body), (200, json!({"version": DM_VERSION})));
    let (status, body) = json_of(
        agent
            .post(format!(
                "{}/realms/squonk2/protocol/openid-connect/token",
                sandbox.keycloak_url()
            ))
            .send_form([
                ("grant_type", "password"),
                ("client_id", "data-manager-api"),
                ("username", "alice"),
                ("password", "alice-password"),
            ]),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"]
        .as_str()
        .is_some_and(|t| t.starts_with("eyJ")));
    // "localhost" is in the certificate too.
    let localhost = format!(
        "https://localhost:{}/data-manager-api/version",
        sandbox.port()
    );
    assert_eq!(json_of(agent.get(&localhost).call()).0, 200);
    // Without trusting the certificate, the handshake fails.
    assert!(common::agent().get(version_url(&sandbox)).call().is_err());
}

#[test]
fn echo_streams_a_50_mb_body() {
    let sandbox = Sandbox::start().expect("start");
    let len = 50 * 1024 * 1024;
    let mut reader = PatternReader::new(len);
    let (status, body) = json_of(
        agent()
            .post(format!("{}/_sandbox/echo", sandbox.base_url()))
            .content_type("application/octet-stream")
            .send(ureq::SendBody::from_reader(&mut reader)),
    );
    assert_eq!(status, 200, "{body}");
    let expected = reader.sha256_hex();
    assert_eq!(
        body,
        json!({"length": len, "sha256": expected, "content_type": "application/octet-stream", "parts": []})
    );
    let log = sandbox.requests();
    assert_eq!(
        log[0].body,
        RecordedBody::Other {
            content_type: Some("application/octet-stream".into()),
            length: len,
            sha256: expected,
        }
    );
}

#[test]
fn echo_reports_multipart_parts() {
    let sandbox = Sandbox::start().expect("start");
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 7) as u8 + b'0').collect();
    let body = common::multipart(
        "b0undary",
        &[
            ("meta", None, None, b"{}"),
            ("file", Some("big.txt"), Some("text/plain"), &big),
        ],
    );
    let (status, reply) = json_of(
        agent()
            .put(format!("{}/_sandbox/echo", sandbox.base_url()))
            .content_type("multipart/form-data; boundary=b0undary")
            .send(&body[..]),
    );
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["length"], body.len());
    assert_eq!(
        reply["parts"][1],
        json!({"name": "file", "filename": "big.txt", "content_type": "text/plain",
               "length": big.len(), "sha256": common::sha256_hex(&big)})
    );
    let RecordedBody::Multipart { parts, .. } = &sandbox.requests()[0].body else {
        panic!("not multipart");
    };
    // Over 64 KiB: length and digest only.
    assert_eq!(
        (parts[1].length, parts[1].content.as_deref()),
        (big.len() as u64, None)
    );
    assert_eq!(parts[0].content.as_deref(), Some("{}"));
}

#[test]
fn download_streams_the_pattern() {
    let sandbox = Sandbox::start().expect("start");
    let size = 3 * 1024 * 1024 + 17;
    let mut response = agent()
        .get(format!(
            "{}/_sandbox/download?size={size}",
            sandbox.base_url()
        ))
        .call()
        .expect("download");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some(size.to_string().as_str())
    );
    let mut data = Vec::new();
    response
        .body_mut()
        .as_reader()
        .read_to_end(&mut data)
        .expect("read");
    assert_eq!(data.len(), size);
    assert!(data.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
}

#[test]
fn many_connections_at_once() {
    let sandbox = Sandbox::start().expect("start");
    let url = version_url(&sandbox);
    let threads: Vec<_> = (0..32)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let agent = agent();
                (0..10)
                    .map(|_| json_of(agent.get(&url).call()).0)
                    .filter(|s| *s == 200)
                    .count()
            })
        })
        .collect();
    let ok: usize = threads.into_iter().map(|t| t.join().expect("join")).sum();
    assert_eq!(ok, 320);
    assert_eq!(sandbox.requests().len(), 320);
}

/// Reads one HTTP/1.1 response with a Content-Length body from `stream`.
fn read_response(stream: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("read head");
        data.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&data).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).expect("read body");
    format!("{head}{}", String::from_utf8_lossy(&body))
}

#[test]
fn keep_alive_connections_and_garbage_requests() {
    let sandbox = Sandbox::start().expect("start");
    let mut stream = TcpStream::connect(("127.0.0.1", sandbox.port())).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    for _ in 0..3 {
        stream
            .write_all(b"GET /data-manager-api/version HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("write");
        let response = read_response(&mut stream);
        assert!(response.starts_with("http/1.1 200"), "{response}");
        assert!(response.ends_with(&format!("{{\"version\":\"{DM_VERSION}\"}}")));
    }

    let mut garbage = TcpStream::connect(("127.0.0.1", sandbox.port())).expect("connect");
    garbage
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    garbage
        .write_all(b"NOT HTTP AT ALL\r\n\r\n")
        .expect("write");
    let mut reply = Vec::new();
    let _ = garbage.read_to_end(&mut reply);
    assert!(String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 400"));

    // The server still works, and dropping it with an idle keep-alive
    // connection open is prompt.
    assert_eq!(get(&version_url(&sandbox), None).0, 200);
    let started = Instant::now();
    drop(sandbox);
    assert!(started.elapsed() < Duration::from_secs(3));
    let mut rest = Vec::new();
    assert_eq!(
        stream.read_to_end(&mut rest).map(|n| n == 0).ok(),
        Some(true)
    );
}

#[test]
fn sandbox_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Sandbox>();
}

/// The resident set size of this process, in KiB (Linux only).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A manual check (`cargo test -p squonk2-sandbox --test transport -- --ignored --nocapture`):
/// 300 MB uploads, raw and multipart, must not grow memory much.
#[test]
#[ignore = "slow; run by hand to check memory use"]
fn large_uploads_use_constant_memory() {
    let sandbox = Sandbox::start().expect("start");
    let url = format!("{}/_sandbox/echo", sandbox.base_url());
    let len = 300 * 1024 * 1024;
    let before = rss_kib();

    let started = Instant::now();
    let mut reader = PatternReader::new(len);
    let (status, _) = json_of(
        agent_with_timeout(Duration::from_secs(600))
            .post(&url)
            .content_type("application/octet-stream")
            .send(ureq::SendBody::from_reader(&mut reader)),
    );
    assert_eq!(status, 200);
    let raw = (started.elapsed(), rss_kib());

    let started = Instant::now();
    let head = b"--BOUNDARY\r\ncontent-disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n";
    let tail = b"\r\n--BOUNDARY--\r\n";
    let mut body = head
        .as_slice()
        .chain(PatternReader::new(len))
        .chain(tail.as_slice());
    let (status, reply) = json_of(
        agent_with_timeout(Duration::from_secs(600))
            .post(&url)
            .content_type("multipart/form-data; boundary=BOUNDARY")
            .send(ureq::SendBody::from_reader(&mut body)),
    );
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["parts"][0]["length"], len);
    let multipart = (started.elapsed(), rss_kib());

    println!("RSS before: {before:?} KiB");
    println!("raw 300 MB upload: {:?}, RSS after {:?} KiB", raw.0, raw.1);
    println!(
        "multipart 300 MB upload: {:?}, RSS after {:?} KiB",
        multipart.0, multipart.1
    );
    if let (Some(before), Some(after)) = (before, multipart.1) {
        assert!(
            after < before + 64 * 1024,
            "RSS grew from {before} to {after} KiB"
        );
    }
}

/// Sends `head` (a request without a body) on a new connection and reads the answer (its
/// head lower-cased).
fn raw_request(sandbox: &Sandbox, head: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", sandbox.port())).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream.write_all(head.as_bytes()).expect("write");
    read_response(&mut stream)
}

const PREFLIGHT: &str = "OPTIONS /data-manager-api/project HTTP/1.1\r\nHost: x\r\n\
    Origin: http://localhost:5173\r\nAccess-Control-Request-Method: POST\r\n\
    Access-Control-Request-Headers: authorization, content-type\r\n\r\n";

#[test]
fn cors_preflights_are_answered_and_not_recorded() {
    let sandbox = Sandbox::start().expect("start");
    let reply = raw_request(&sandbox, PREFLIGHT);
    assert!(reply.starts_with("http/1.1 204"), "{reply}");
    for expected in [
        "access-control-allow-origin: http://localhost:5173\r\n",
        "access-control-allow-credentials: true\r\n",
        "access-control-allow-headers: authorization, content-type\r\n",
        "access-control-max-age: 600\r\n",
    ] {
        assert!(reply.contains(expected), "no {expected:?} in {reply}");
    }
    let methods = reply
        .lines()
        .find_map(|l| l.strip_prefix("access-control-allow-methods: "))
        .unwrap_or_default();
    assert!(
        ["get", "post", "put", "patch", "delete"]
            .iter()
            .all(|m| methods.contains(m)),
        "{methods}"
    );
    // The browser's question, not the app's call: neither logged nor faulted.
    sandbox.add_fault(FaultRule::new(
        "/data-manager-api/project",
        Fault::error(503, "x"),
    ));
    assert!(raw_request(&sandbox, PREFLIGHT).starts_with("http/1.1 204"));
    assert!(sandbox.requests().is_empty());
}

#[test]
fn cors_headers_go_with_every_answer() {
    let sandbox = Sandbox::start().expect("start");
    // A simple request from a web app's origin, and one refused for want of a token.
    let reply = raw_request(
        &sandbox,
        "GET /data-manager-api/version HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:5173\r\n\r\n",
    );
    assert!(reply.starts_with("http/1.1 200"), "{reply}");
    assert!(reply.contains("access-control-allow-origin: http://localhost:5173\r\n"));
    assert!(reply.contains("vary: origin\r\n"), "{reply}");
    let exposed = reply
        .lines()
        .find_map(|l| l.strip_prefix("access-control-expose-headers: "))
        .unwrap_or_default();
    assert!(exposed.contains("content-disposition"), "{reply}");
    let reply = raw_request(
        &sandbox,
        "GET /data-manager-api/project HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:5173\r\n\r\n",
    );
    assert!(reply.starts_with("http/1.1 401"), "{reply}");
    assert!(reply.contains("access-control-allow-origin: http://localhost:5173\r\n"));
    // Without an Origin (not a browser): any origin.
    let reply = raw_request(
        &sandbox,
        "GET /data-manager-api/version HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert!(
        reply.contains("access-control-allow-origin: *\r\n"),
        "{reply}"
    );
}

#[test]
fn cors_can_be_turned_off() {
    let sandbox = Sandbox::builder().cors(false).start().expect("start");
    let reply = raw_request(&sandbox, PREFLIGHT);
    // An OPTIONS request like any other: the API wants a token.
    assert!(reply.starts_with("http/1.1 401"), "{reply}");
    assert!(!reply.contains("access-control-"), "{reply}");
    let reply = raw_request(
        &sandbox,
        "GET /data-manager-api/version HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:5173\r\n\r\n",
    );
    assert!(reply.starts_with("http/1.1 200"), "{reply}");
    assert!(!reply.contains("access-control-"), "{reply}");
    assert_eq!(sandbox.requests().len(), 2);
}

#[test]
fn the_contract_capture_skips_options_answers() {
    use std::io::BufRead as _;
    let dir = std::env::temp_dir().join(format!("squonk2-sandbox-capture-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for cors in ["--no-cors", "--port=0"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_squonk2-sandbox"))
            .arg(cors)
            .env(squonk2_sandbox::CONTRACT_DIR_VAR, &dir)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("a line");
        // Keep reading so that the child's summary finds its pipe open.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let port: u16 = first
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{first:?}"));
        let send = |head: &str| {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            stream.write_all(head.as_bytes()).expect("write");
            read_response(&mut stream)
        };
        // Off, the preflight goes to the API (401); on, the sandbox answers it (204).
        let expected = if cors == "--no-cors" {
            "http/1.1 401"
        } else {
            "http/1.1 204"
        };
        assert!(send(PREFLIGHT).starts_with(expected));
        assert!(
            send("GET /data-manager-api/version HTTP/1.1\r\nHost: x\r\n\r\n")
                .starts_with("http/1.1 200")
        );
        let _ = child.kill();
        let _ = child.wait();
    }
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("captured samples") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        lines.extend(text.lines().map(str::to_owned));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines.iter().all(|l| l.contains(r#""method":"GET""#)),
        "{lines:?}"
    );
}
