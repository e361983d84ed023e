//! Shared by the integration tests: a sandbox per test, clients for it, and the wire-parity
//! harness that replays the Python client's recorded cases (tests/fixtures/wire/*.json)
//! against our functions.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod examples;
mod proxy;
pub mod threads;
#[allow(unused_imports)]
pub use examples::{example, text, Deployment};
#[allow(unused_imports)]
pub use proxy::TestProxy;

use serde_json::{json, Value};
use squonk2::{ApiRv, Client};
use squonk2_sandbox::{Fault, FaultRule, Sandbox, AS_CLIENT_ID, DM_CLIENT_ID};

pub const AUTH_WIRE: &str = include_str!("../fixtures/wire/auth.json");
pub const DM_WIRE: &str = include_str!("../fixtures/wire/dm_api.json");
pub const AS_WIRE: &str = include_str!("../fixtures/wire/as_api.json");
pub const UI_WIRE: &str = include_str!("../fixtures/wire/ui_api.json");

/// The admin-capable user every sandbox knows.
pub const ADMIN_USER: &str = "dmit-admin";
pub const ADMIN_PASSWORD: &str = "dmit-admin-password";

pub fn sandbox() -> Sandbox {
    Sandbox::start().expect("the sandbox starts")
}

/// A client for every API of `sandbox`, logging in as the admin user.
pub fn client_for(sandbox: &Sandbox) -> Client {
    builder_for(sandbox)
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .build()
        .expect("a client for the sandbox")
}

/// As [`client_for`], without retries: for tests of what one failed request gives.
pub fn client_without_retries(sandbox: &Sandbox) -> Client {
    builder_for(sandbox)
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .retry_policy(squonk2::RetryPolicy::none())
        .build()
        .expect("a client for the sandbox")
}

/// A builder with the sandbox's URLs, Keycloak and client ids, and no credentials.
pub fn builder_for(sandbox: &Sandbox) -> squonk2::ClientBuilder {
    Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .as_api_url(sandbox.as_api_url())
        .ui_api_url(sandbox.ui_api_url())
        .keycloak(sandbox.keycloak_url(), sandbox.realm())
        .dm_client_id(DM_CLIENT_ID)
        .as_client_id(AS_CLIENT_ID)
        .debug_requests(false)
}

/// A port with nothing listening on it.
pub fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A command running the ignored test `name` of this test binary alone, in a child process
/// (for tests that need environment variables or stderr of their own); add `--nocapture`
/// to see its output.
pub fn child_test(name: &str) -> std::process::Command {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args(["--ignored", "--exact", name, "--test-threads=1"]);
    command
}

/// Creates a project on the test product and returns its id.
pub fn new_test_project(client: &Client, name: &str) -> String {
    let created = ok(squonk2::dm_api::create_project(
        client,
        name,
        squonk2::dm_api::TEST_PRODUCT_ID,
        &Default::default(),
    ));
    created["project_id"]
        .as_str()
        .expect("a project id")
        .to_string()
}

/// A JWT-shaped token with the given `exp`, signed by nobody (for prior-token cases, which
/// the client decides from `exp` alone).
pub fn unsigned_jwt(exp: i64) -> String {
    jwt_with_claims(&json!({"exp": exp, "preferred_username": "someone"}))
}

/// A JWT-shaped token with these claims (any JSON, extreme numbers included), signed by
/// nobody.
pub fn jwt_with_claims(claims: &Value) -> String {
    format!(
        "{}.{}.{}",
        base64url(br#"{"alg":"RS256","typ":"JWT"}"#),
        base64url(claims.to_string().as_bytes()),
        base64url(b"not-a-signature")
    )
}

/// The cases of `function` in a wire file.
pub fn cases(wire: &str, function: &str) -> Vec<Value> {
    let all: Vec<Value> = serde_json::from_str(wire).expect("wire fixture is JSON");
    all.into_iter()
        .filter(|c| c["function"] == function)
        .collect()
}

/// The one case of `function` named `variant`.
pub fn case(wire: &str, function: &str, variant: &str) -> Value {
    cases(wire, function)
        .into_iter()
        .find(|c| c["variant"] == variant)
        .unwrap_or_else(|| panic!("no case {function} / {variant}"))
}

/// The recorder served the UI under `/ui-api`; the sandbox serves it where deployments do.
pub fn sandbox_path(recorded_path: &str) -> String {
    match recorded_path.strip_prefix("/ui-api") {
        Some(rest) => format!("/data-manager-ui/api{rest}"),
        None => recorded_path.to_string(),
    }
}

/// The bytes and content type of a recorded answer.
fn recorded_body(response: &Value) -> (String, Vec<u8>) {
    let content_type = response["content_type"]
        .as_str()
        .unwrap_or("application/json")
        .to_string();
    let body = match &response["body"] {
        Value::Null => Vec::new(),
        Value::String(s) if !content_type.contains("json") => s.clone().into_bytes(),
        other => python_json(other).into_bytes(),
    };
    (content_type, body)
}

/// JSON as Python's `json.dumps` writes it by default (`", "`, `": "`, `\uXXXX` escapes), the
/// bytes the recorder answered with.
pub fn python_json(value: &Value) -> String {
    match value {
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_json).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    python_json(&Value::String(k.clone())),
                    python_json(v)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::String(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                        let mut buf = [0u16; 2];
                        for unit in c.encode_utf16(&mut buf) {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        other => other.to_string(),
    }
}

/// Makes the sandbox give, once each, the answers the recorder gave for the case's requests,
/// so that our result can be compared with the Python client's.
pub fn force_recorded_responses(sandbox: &Sandbox, case: &Value) {
    for request in case["requests"].as_array().into_iter().flatten() {
        let response = &request["response"];
        let (content_type, body) = recorded_body(response);
        sandbox.add_fault(
            FaultRule::new(
                sandbox_path(request["path_decoded"].as_str().unwrap()),
                Fault::Respond {
                    status: response["status"].as_u64().unwrap() as u16,
                    content_type,
                    body,
                },
            )
            .method(request["method"].as_str().unwrap())
            .times(1),
        );
    }
}

/// The parts of a request that parity compares: method, decoded path, decoded query pairs,
/// the decoded body, and the bearer token (or null).
pub fn comparable(request: &Value) -> Value {
    let body = &request["body"];
    let body = match body["encoding"].as_str() {
        Some("form") => json!({"form": body["pairs"]}),
        Some("json") => json!({"json": body["value"]}),
        Some("multipart") => {
            json!({"multipart": body["parts"].as_array().unwrap().iter().map(|p| json!({
            "name": p["name"],
            "filename": p["filename"],
            "content": p.get("content").cloned().unwrap_or(Value::Null),
            "sha256": p.get("content_sha256").or(p.get("sha256")).cloned().unwrap_or(Value::Null),
        })).collect::<Vec<_>>()})
        }
        _ => Value::Null,
    };
    let token = if request.get("authorization").is_some() {
        // A recorded request.
        request["authorization"]["token"].clone()
    } else {
        // A sandbox request.
        header(request, "authorization")
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .map(|t| Value::String(t.to_string()))
            })
            .unwrap_or(Value::Null)
    };
    // How the body is framed: Python sends `Content-Length: 0` for a write without a body,
    // and a length (never chunked) for one with a body. Lengths of multipart bodies differ
    // with the boundary, so only their presence is compared.
    let named = |name: &str| -> Option<String> {
        match request["headers"].as_object() {
            // A recorded request: a name -> value object.
            Some(map) => map
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str().map(str::to_string)),
            None => header(request, name).map(str::to_string),
        }
    };
    let framing = match (named("transfer-encoding"), named("content-length")) {
        (Some(_), _) => json!("chunked"),
        (None, Some(length)) if length == "0" => json!("0"),
        (None, Some(_)) => json!("length"),
        (None, None) => Value::Null,
    };
    json!({
        "method": request["method"],
        "path": sandbox_path(request["path_decoded"].as_str().unwrap_or("")),
        "query": request["query"],
        "body": body,
        "framing": framing,
        "token": token,
    })
}

/// A header of a sandbox request (as JSON), case-insensitively.
pub fn header<'a>(request: &'a Value, name: &str) -> Option<&'a str> {
    request["headers"].as_array()?.iter().find_map(|pair| {
        let pair = pair.as_array()?;
        (pair.first()?.as_str()?.eq_ignore_ascii_case(name)).then(|| pair.get(1)?.as_str())?
    })
}

/// What the sandbox received, as JSON, without its own control calls.
pub fn received(sandbox: &Sandbox) -> Vec<Value> {
    sandbox
        .requests()
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect()
}

/// Received requests to API paths (not Keycloak's token endpoint).
pub fn api_requests(sandbox: &Sandbox) -> Vec<Value> {
    received(sandbox)
        .into_iter()
        .filter(|r| {
            !r["path_decoded"]
                .as_str()
                .unwrap_or("")
                .starts_with("/auth/")
        })
        .collect()
}

/// Asserts that the requests the sandbox received match the recorded ones, with the
/// recorded bearer token replaced by `token` (ours is a real sandbox token).
pub fn assert_requests_match(case: &Value, received: &[Value], token: Option<&str>) {
    let expected: Vec<Value> = case["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let mut c = comparable(r);
            if !c["token"].is_null() {
                c["token"] = token.map(Value::from).unwrap_or(Value::Null);
            }
            c
        })
        .collect();
    let got: Vec<Value> = received.iter().map(comparable).collect();
    assert_eq!(
        got, expected,
        "requests differ for {} / {}",
        case["function"], case["variant"]
    );
}

/// The error detail our client adds for an answer the recorder gave: the server's `error`
/// field, else the body's start.
fn detail_of(response: &Value) -> String {
    match &response["body"] {
        Value::Object(map) => match map.get("error") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => Value::Object(map.clone()).to_string(),
        },
        Value::String(s) => s.split_whitespace().collect::<Vec<_>>().join(" "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The ApiRv the Python client returned for the case, with its failure text rewritten as
/// deviation D5 says ours is: `(resp=<Response [N]>)` becomes `(HTTP N: <server text>)`.
/// `(resp=None)` cases are left as they are: compare them with [`assert_no_response_rv`].
pub fn expected_rv(case: &Value) -> ApiRv {
    let result = &case["result"];
    assert_eq!(
        result["type"], "ApiRv",
        "case {} has no ApiRv",
        case["variant"]
    );
    let mut msg = result["msg"].clone();
    let status = result["http_status_code"].as_u64().unwrap() as u16;
    if let Some(error) = msg["error"].as_str() {
        let marker = format!(" (resp=<Response [{status}]>)");
        if let Some(prefix) = error.strip_suffix(&marker) {
            let response = case["requests"]
                .as_array()
                .and_then(|r| r.iter().rev().find(|r| r["response"]["status"] == status))
                .map(|r| r["response"].clone())
                .unwrap_or(Value::Null);
            let detail = detail_of(&response);
            msg["error"] = Value::String(if detail.is_empty() {
                format!("{prefix} (HTTP {status})")
            } else {
                format!("{prefix} (HTTP {status}: {detail})")
            });
        }
    }
    ApiRv::new(result["success"].as_bool().unwrap(), msg, status)
}

/// Asserts a no-answer failure: Python's `<text> (resp=None)` is ours `<text> (<cause>)`.
pub fn assert_no_response_rv<T>(case: &Value, rv: &ApiRv<T>, cause: &str) {
    let error = case["result"]["msg"]["error"].as_str().unwrap();
    let prefix = error
        .strip_suffix(" (resp=None)")
        .expect("a no-response case");
    assert!(!rv.success, "{rv:?}");
    assert_eq!(rv.http_status_code, 0, "{rv:?}");
    let ours = rv.error().unwrap();
    assert!(
        ours.starts_with(&format!("{prefix} (")) && ours.contains(cause),
        "expected {prefix:?} with cause {cause:?}, got {ours:?}"
    );
}

/// Waits until `cond` holds, up to `limit`.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// What [`replay`] saw: our result, what the sandbox received, and the case's recorded
/// requests in comparable form (before any deviation was applied).
pub struct Replayed {
    pub rv: ApiRv,
    pub received: Vec<Value>,
    pub recorded: Vec<Value>,
    /// The DM token our client used, if any (the recorded token is replaced by it).
    pub dm_token: Option<String>,
    /// The AS token our client used, if any.
    pub as_token: Option<String>,
}

/// A temporary directory for one test, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "squonk2-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `kwargs` with `{TMP}` replaced by `tmp` in every string.
pub fn substitute_tmp(value: &Value, tmp: &std::path::Path) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace("{TMP}", &tmp.to_string_lossy())),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute_tmp(v, tmp)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute_tmp(v, tmp)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Replays one recorded case: a sandbox answering as the recorder did (including forced
/// answers and delays), a client logged in as the admin user (or with no URL, or pointed at a
/// dead port, as the variant says), a `{TMP}` directory for local files, then `call` with the
/// case's kwargs (`{TMP}` substituted). `setup` runs before the call (e.g. to write the local
/// files the case uploads).
pub fn replay<T>(
    case: &Value,
    setup: impl FnOnce(&Sandbox, &std::path::Path),
    call: impl FnOnce(&Client, &Value, &std::path::Path) -> ApiRv<T>,
) -> Replayed {
    let variant = case["variant"].as_str().unwrap_or("");
    let sandbox = sandbox();
    let tmp = TempDir::new();
    let kwargs = substitute_tmp(&case["kwargs"], tmp.path());
    let mut client = client_for(&sandbox);
    let dm_token = client.dm_access_token().unwrap();
    let as_token = client.as_access_token().unwrap();
    if variant == "failure:api_url_not_set" {
        client = Client::builder().access_token("unused").build().unwrap();
    } else if variant == "failure:connection_refused" {
        let dead = format!("http://127.0.0.1:{}", dead_port());
        client = Client::builder()
            .dm_api_url(format!("{dead}/data-manager-api"))
            .as_api_url(format!("{dead}/account-server-api"))
            .ui_api_url(format!("{dead}/ui-api"))
            .access_token("unused")
            .build()
            .unwrap();
    }
    if let Some(t) = kwargs["timeout_s"].as_u64() {
        client = client.with_timeout(Duration::from_secs(t));
    }
    force_recorded_responses(&sandbox, case);
    for forced in case["server_forced_responses"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(delay) = forced["delay_s"].as_f64() {
            for request in case["requests"].as_array().into_iter().flatten() {
                sandbox.add_fault(
                    FaultRule::new(
                        sandbox_path(request["path_decoded"].as_str().unwrap()),
                        Fault::Delay(Duration::from_secs_f64(delay)),
                    )
                    .method(request["method"].as_str().unwrap())
                    .times(1),
                );
            }
        }
    }
    setup(&sandbox, tmp.path());
    sandbox.clear_requests();
    let rv = call(&client, &kwargs, tmp.path()).untyped();
    let received = api_requests(&sandbox);
    let recorded = case["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| substitute_tmp(&comparable(r), tmp.path()))
        .collect();
    Replayed {
        rv,
        received,
        recorded,
        dm_token,
        as_token,
    }
}

impl Replayed {
    /// Asserts that what was sent matches `expected` (comparable requests, usually
    /// `self.recorded` after the deviations that apply), with any recorded bearer token
    /// replaced by `token`.
    pub fn assert_sent(&self, expected: &[Value], token: Option<&str>, what: &str) {
        let expected: Vec<Value> = expected
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if !r["token"].is_null() {
                    r["token"] = token.map(Value::from).unwrap_or(Value::Null);
                }
                r
            })
            .collect();
        let got: Vec<Value> = self.received.iter().map(comparable).collect();
        assert_eq!(got, expected, "requests differ for {what}");
    }
}

/// Waits of at most 20 s that poll every 20 ms (the sandbox's Jobs take milliseconds).
pub fn fast_wait<T>() -> squonk2::dm_api::WaitOptions<T> {
    squonk2::dm_api::WaitOptions {
        timeout: Duration::from_secs(20),
        poll_interval: Duration::from_millis(20),
        ..Default::default()
    }
}

/// A client for every API of `sandbox`, logging in as `user` (whose password is
/// `<user>-password`).
pub fn user_client(sandbox: &Sandbox, user: &str) -> Client {
    builder_for(sandbox)
        .credentials(user, format!("{user}-password"))
        .build()
        .unwrap()
}

/// A call's result as JSON, after its success (if it succeeded) was decoded with `typed()`
/// into the answer type of the endpoint function's signature: a success that does not decode
/// fails the test. The scenario tests use it where a call's answer is the sandbox's own.
/// (Not the wire-parity tests: the Python client's recordings were answered by a bare
/// stand-in whose bodies lack required fields; `tests/models.rs` decodes every endpoint's
/// answer from the sandbox instead.)
pub trait Checked {
    /// The result, untyped, once a success has decoded.
    fn checked(self) -> ApiRv;
}

impl<T: serde::de::DeserializeOwned> Checked for ApiRv<T> {
    fn checked(self) -> ApiRv {
        let untyped = self.clone().untyped();
        if self.success {
            let function = self.function().unwrap_or_default().to_string();
            if let Err(e) = self.typed() {
                panic!("{function}: a success that does not decode into its type: {e}");
            }
        }
        untyped
    }
}

/// The answer of a call that must succeed.
pub fn ok<T>(rv: ApiRv<T>) -> Value {
    assert!(rv.success, "{rv:?}");
    rv.msg
}

/// The file names of a project file listing (`list_project_files`), in its order.
pub fn file_names(listing: &Value) -> Vec<&str> {
    listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file_name"].as_str().unwrap())
        .collect()
}

/// The entries of a `get_job_exchange_rates` answer as `collection/job/version=rate` (`-`
/// when an entry has no rate), in the answer's order.
pub fn rate_entries(listing: &Value) -> Vec<String> {
    listing["exchange_rates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}/{}/{}={}",
                r["collection"].as_str().unwrap(),
                r["job"].as_str().unwrap(),
                r["version"].as_str().unwrap(),
                r["rate"].as_str().unwrap_or("-")
            )
        })
        .collect()
}
