//! TLS trust (added CAs, the platform's store, `SQUONK2_CA_BUNDLE`), proxies (set, from
//! the environment, unreachable), the `log` records, and the settings `build` checks.
//! Everything runs against the sandbox on 127.0.0.1, through a small forwarding proxy
//! started here when a proxy is needed.

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use common::{builder_for, child_test, dead_port, TestProxy, ADMIN_PASSWORD, ADMIN_USER};
use squonk2::auth::{get_access_token, GetAccessTokenOptions};
use squonk2::{dm_api, Client, ErrorKind, Progress};
use squonk2_sandbox::{Fault, FaultRule, Sandbox, DM_CLIENT_ID};

fn https_sandbox() -> Sandbox {
    Sandbox::builder()
        .https(true)
        .start()
        .expect("the sandbox starts")
}

/// A file in a fresh temporary directory, holding `contents`.
fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    static UNIQUE: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "squonk2-transport-{}-{}",
        std::process::id(),
        UNIQUE.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Runs the ignored test `name` of this binary in a child process with `env` set (and the
/// proxy variables cleared unless given), and returns its output. The child's variables
/// cannot leak into the other tests running in parallel.
fn run_child(name: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut command = child_test(name);
    command.arg("--nocapture");
    for var in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "SQUONK2_CA_BUNDLE",
        "SQUONK2_API_DEBUG_REQUESTS",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

// ---------------------------------------------------------------------------------------
// TLS trust

#[test]
fn an_added_ca_makes_https_calls_succeed_with_verification_on() {
    let sandbox = https_sandbox();
    let client = builder_for(&sandbox)
        .add_root_certificate_pem(sandbox.ca_certificate_pem().as_bytes())
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .build()
        .unwrap();
    // A Keycloak login over TLS, then an authorised DM call and an AS call.
    let rv = dm_api::ping(&client);
    assert!(rv.success, "{rv:?}");
    let rv = dm_api::get_version(&client);
    assert!(rv.success, "{rv:?}");
    // The bundled web roots are still trusted besides the added CA: a bundle of the
    // sandbox's certificate and a second copy counts each certificate once and works.
    let twice = format!(
        "{}\n{}",
        sandbox.ca_certificate_pem(),
        sandbox.ca_certificate_pem()
    );
    let client = builder_for(&sandbox)
        .add_root_certificate_pem(twice.as_bytes())
        .build()
        .unwrap();
    assert!(dm_api::get_version(&client).success);
}

#[test]
fn without_the_ca_the_certificate_is_not_trusted() {
    let sandbox = https_sandbox();
    let client = builder_for(&sandbox)
        .retry_policy(squonk2::RetryPolicy::none())
        .build()
        .unwrap();
    let rv = dm_api::get_version(&client);
    assert!(!rv.success);
    assert_eq!(rv.error_kind(), Some(ErrorKind::Tls), "{rv:?}");
    let text = rv.error().unwrap();
    assert!(
        text.contains("the server's certificate is not trusted (unknown issuer)"),
        "{text}"
    );
    assert!(text.contains("add_root_certificate_pem"), "{text}");

    // Keycloak is verified with the same roots: the login fails, saying why.
    let client = builder_for(&sandbox)
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .build()
        .unwrap();
    let rv = dm_api::ping(&client);
    assert_eq!(rv.error_kind(), Some(ErrorKind::Login), "{rv:?}");
    assert!(
        rv.error().unwrap().contains("not trusted (unknown issuer)"),
        "{rv:?}"
    );
}

#[test]
fn certificates_that_cannot_be_used_fail_the_build() {
    let err = Client::builder()
        .add_root_certificate_pem(b"not a certificate")
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("holds no PEM certificate"),
        "{err}"
    );
}

#[cfg(feature = "platform-roots")]
#[test]
fn platform_roots_and_added_certificates_do_not_combine() {
    let sandbox = https_sandbox();
    let err = Client::builder()
        .add_root_certificate_pem(sandbox.ca_certificate_pem().as_bytes())
        .platform_roots(true)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("platform_roots"), "{err}");
}

/// Child of [`the_ca_bundle_variable_is_read_by_from_env`].
#[test]
#[ignore = "run by the_ca_bundle_variable_is_read_by_from_env in a child process"]
fn ca_bundle_child() {
    let Ok(expect) = std::env::var("CHILD_EXPECT") else {
        return;
    };
    match expect.as_str() {
        "success" => {
            let client = Client::from_env().unwrap();
            let rv = dm_api::get_version(&client);
            assert!(rv.success, "{rv:?}");
        }
        _ => {
            let err = Client::from_env().unwrap_err().to_string();
            assert!(err.contains("SQUONK2_CA_BUNDLE="), "{err}");
            assert!(err.contains(&expect), "{err}");
        }
    }
}

#[test]
fn the_ca_bundle_variable_is_read_by_from_env() {
    let sandbox = https_sandbox();
    let bundle = temp_file("ca.pem", sandbox.ca_certificate_pem().as_bytes());
    let junk = temp_file("junk.pem", b"junk");
    let dm = sandbox.dm_api_url();
    for (bundle, expect) in [
        (bundle.to_str().unwrap(), "success"),
        (junk.to_str().unwrap(), "holds no PEM certificate"),
        ("/nonexistent/ca.pem", "cannot be read"),
    ] {
        let output = run_child(
            "ca_bundle_child",
            &[
                ("CHILD_EXPECT", expect),
                ("SQUONK2_DMAPI_URL", &dm),
                ("SQUONK2_CA_BUNDLE", bundle),
            ],
        );
        assert!(output.status.success(), "{expect}: {output:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("1 passed"),
            "{output:?}"
        );
    }
}

/// Child of [`platform_roots_use_the_operating_system_store`].
#[cfg(feature = "platform-roots")]
#[test]
#[ignore = "run by platform_roots_use_the_operating_system_store in a child process"]
fn platform_roots_child() {
    let (Ok(url), Ok(expect)) = (std::env::var("CHILD_URL"), std::env::var("CHILD_EXPECT")) else {
        return;
    };
    let client = Client::builder()
        .dm_api_url(url)
        .platform_roots(true)
        .retry_policy(squonk2::RetryPolicy::none())
        .debug_requests(false)
        .build()
        .unwrap();
    let rv = dm_api::get_version(&client);
    if expect == "success" {
        assert!(rv.success, "{rv:?}");
    } else {
        assert_eq!(rv.error_kind(), Some(ErrorKind::Tls), "{rv:?}");
    }
}

#[cfg(feature = "platform-roots")]
#[test]
fn platform_roots_use_the_operating_system_store() {
    let sandbox = https_sandbox();
    let ca = temp_file("ca.pem", sandbox.ca_certificate_pem().as_bytes());
    let url = sandbox.dm_api_url();
    // On Linux the platform's store is found as OpenSSL finds it: SSL_CERT_FILE names it.
    for (env, expect) in [
        (vec![("SSL_CERT_FILE", ca.to_str().unwrap())], "success"),
        (vec![], "failure"),
    ] {
        let mut env = env;
        env.extend([("CHILD_URL", url.as_str()), ("CHILD_EXPECT", expect)]);
        let output = run_child("platform_roots_child", &env);
        assert!(output.status.success(), "{expect}: {output:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("1 passed"),
            "{output:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Proxies

#[test]
fn calls_go_through_the_proxy_set_on_the_builder() {
    let sandbox = common::sandbox();
    let proxy = TestProxy::start();
    let proxied = format!("http://carol:proxy-pass-7@127.0.0.1:{}", proxy.port);
    let client = builder_for(&sandbox)
        .proxy(&proxied)
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .build()
        .unwrap();
    // The login and the call.
    let rv = dm_api::ping(&client);
    assert!(rv.success, "{rv:?}");
    assert!(proxy.forwarded() >= 1, "nothing went through the proxy");
    // The proxy's credentials went to the proxy (Basic carol:proxy-pass-7) ...
    let seen = proxy.authorizations.lock().unwrap().clone();
    assert!(
        seen.iter().any(|v| v == "Basic Y2Fyb2w6cHJveHktcGFzcy03"),
        "{seen:?}"
    );
    // ... and never into Debug output.
    let builder = builder_for(&sandbox).proxy(&proxied);
    assert!(!format!("{builder:?}").contains("proxy-pass-7"));

    // no_proxy: straight to the sandbox, whatever the environment says.
    let before = proxy.forwarded();
    let direct = builder_for(&sandbox).no_proxy().build().unwrap();
    assert!(dm_api::get_version(&direct).success);
    assert_eq!(proxy.forwarded(), before);

    // The client's Debug says which proxy, without its password.
    let debug = format!("{client:?}");
    assert!(
        debug.contains(&format!("http://***@127.0.0.1:{}", proxy.port)),
        "{debug}"
    );
    assert!(!debug.contains("proxy-pass-7"), "{debug}");

    // A proxy URL that is not one (or a SOCKS proxy) fails the build, its password redacted.
    for bad in [
        "http://u:hidden-pw@[bad",
        "socks5://u:hidden-pw@127.0.0.1:1080",
    ] {
        let err = builder_for(&sandbox)
            .proxy(bad)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("proxy URL"), "{err}");
        assert!(!err.contains("hidden-pw"), "{err}");
    }
}

#[test]
fn https_goes_through_the_proxy_in_a_tunnel_and_is_still_verified() {
    let sandbox = https_sandbox();
    let proxy = TestProxy::start();
    let client = builder_for(&sandbox)
        .proxy(proxy.url())
        .add_root_certificate_pem(sandbox.ca_certificate_pem().as_bytes())
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .build()
        .unwrap();
    let rv = dm_api::ping(&client);
    assert!(rv.success, "{rv:?}");
    assert!(proxy.forwarded() >= 1, "nothing went through the proxy");
    // The certificate is checked end to end, through the tunnel: without the CA it fails,
    // and the text names the proxy it went through.
    let untrusting = builder_for(&sandbox)
        .proxy(proxy.url())
        .retry_policy(squonk2::RetryPolicy::none())
        .build()
        .unwrap();
    let rv = dm_api::get_version(&untrusting);
    assert_eq!(rv.error_kind(), Some(ErrorKind::Tls), "{rv:?}");
    let text = rv.error().unwrap();
    assert!(text.contains("not trusted (unknown issuer)"), "{text}");
    assert!(
        text.contains(&format!("through the proxy {}", proxy.url())),
        "{text}"
    );
}

#[test]
fn an_unreachable_proxy_is_named_in_the_failure() {
    let sandbox = common::sandbox();
    let port = dead_port();
    let client = builder_for(&sandbox)
        .proxy(format!("http://dave:dead-proxy-pw@127.0.0.1:{port}"))
        .retry_policy(squonk2::RetryPolicy::none())
        .build()
        .unwrap();
    let rv = dm_api::get_version(&client);
    assert_eq!(rv.error_kind(), Some(ErrorKind::Connect), "{rv:?}");
    let text = rv.error().unwrap();
    assert!(
        text.contains(&format!(
            "the proxy http://***@127.0.0.1:{port} could not be reached"
        )),
        "{text}"
    );
    assert!(!text.contains("dead-proxy-pw"), "{text}");

    // A Keycloak login through it blames the proxy, not Keycloak's host.
    let client = builder_for(&sandbox)
        .proxy(format!("http://127.0.0.1:{port}"))
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .build()
        .unwrap();
    let rv = dm_api::ping(&client);
    assert_eq!(rv.error_kind(), Some(ErrorKind::Login), "{rv:?}");
    assert!(
        rv.error().unwrap().contains(&format!(
            "the proxy http://127.0.0.1:{port} could not be reached"
        )),
        "{rv:?}"
    );
}

/// Child of [`the_proxy_variables_are_honoured`].
#[test]
#[ignore = "run by the_proxy_variables_are_honoured in a child process"]
fn proxy_env_child() {
    let (Ok(url), Ok(expect)) = (std::env::var("CHILD_URL"), std::env::var("CHILD_EXPECT")) else {
        return;
    };
    let client = Client::builder()
        .dm_api_url(url)
        .retry_policy(squonk2::RetryPolicy::none())
        .debug_requests(false)
        .build()
        .unwrap();
    let rv = dm_api::get_version(&client);
    match expect.as_str() {
        "success" => assert!(rv.success, "{rv:?}"),
        proxy => {
            assert_eq!(rv.error_kind(), Some(ErrorKind::Connect), "{rv:?}");
            let text = rv.error().unwrap();
            assert!(text.contains(&format!("the proxy {proxy}")), "{text}");
            assert!(
                text.contains("from the proxy environment variables"),
                "{text}"
            );
        }
    }
}

#[test]
fn the_proxy_variables_are_honoured() {
    let sandbox = common::sandbox();
    let proxy = TestProxy::start();
    let url = sandbox.dm_api_url();
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let proxy_url = proxy.url();
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("HTTPS_PROXY", &proxy_url)], "success"),
        (&[("HTTP_PROXY", &proxy_url)], "success"),
        (&[("ALL_PROXY", &dead)], &dead),
        // NO_PROXY: the dead proxy is not used for the sandbox's host.
        (
            &[("HTTP_PROXY", &dead), ("NO_PROXY", "127.0.0.1")],
            "success",
        ),
    ];
    let mut through = 0;
    for (vars, expect) in cases {
        let before = proxy.forwarded();
        let mut env = vars.to_vec();
        env.extend([("CHILD_URL", url.as_str()), ("CHILD_EXPECT", expect)]);
        let output = run_child("proxy_env_child", &env);
        assert!(output.status.success(), "{vars:?}: {output:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("1 passed"),
            "{output:?}"
        );
        if vars[0].1 == proxy_url {
            assert!(proxy.forwarded() > before, "{vars:?} did not use the proxy");
            through += 1;
        }
    }
    assert_eq!(through, 2);
}

// ---------------------------------------------------------------------------------------
// The log facade

struct Capture;

static RECORDS: Mutex<Vec<(log::Level, String, String)>> = Mutex::new(Vec::new());
static CAPTURE: Capture = Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        RECORDS.lock().unwrap().push((
            record.level(),
            record.target().to_string(),
            record.args().to_string(),
        ));
    }

    fn flush(&self) {}
}

fn capture_logs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&CAPTURE).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// The records whose text mentions `needle` (the sandbox's port: tests run in parallel).
fn records_with(needle: &str) -> Vec<(log::Level, String, String)> {
    RECORDS
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, _, text)| text.contains(needle))
        .cloned()
        .collect()
}

#[test]
fn requests_retries_and_failed_logins_are_logged_without_secrets() {
    capture_logs();
    let sandbox = common::sandbox();
    let port = format!("127.0.0.1:{}", sandbox.port());
    let client = builder_for(&sandbox)
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .retry_policy(squonk2::RetryPolicy {
            initial_backoff: Duration::from_millis(10),
            ..Default::default()
        })
        .build()
        .unwrap();
    sandbox
        .add_fault(FaultRule::new("/data-manager-api/version", Fault::error(503, "busy")).times(1));
    assert!(dm_api::ping(&client).success);
    assert!(dm_api::get_version(&client).success);
    let token = client.dm_access_token().unwrap().unwrap();

    let records = records_with(&port);
    let debug: Vec<&String> = records
        .iter()
        .filter(|(level, target, _)| *level == log::Level::Debug && target == "squonk2")
        .map(|(_, _, text)| text)
        .collect();
    assert!(
        debug
            .iter()
            .any(|t| t.starts_with("POST ") && t.contains("/openid-connect/token -> 200")),
        "{debug:?}"
    );
    // One record per attempt: the 503, then the retry's 200.
    assert!(
        debug
            .iter()
            .any(|t| t.starts_with("GET ") && t.contains("/data-manager-api/version -> 503")),
        "{debug:?}"
    );
    assert!(
        debug
            .iter()
            .any(|t| t.contains("/data-manager-api/version -> 200") && t.ends_with(", attempt 2)")),
        "{debug:?}"
    );
    let warned = records.iter().any(|(level, _, text)| {
        *level == log::Level::Warn
            && text.starts_with("retrying GET ")
            && text.contains("/data-manager-api/version")
            && text.contains("HTTP 503")
    });
    assert!(warned, "{records:?}");

    // A failed login is a warning too (the only 401 from Keycloak in this binary).
    let refused = builder_for(&sandbox)
        .credentials(ADMIN_USER, "wrong-password-for-the-log")
        .build()
        .unwrap();
    assert!(!dm_api::ping(&refused).success);
    // Our records only: ureq's own `trace` records dump the bytes on the wire, secrets
    // included (the README says to keep `ureq` at `debug` or above).
    let all: Vec<_> = RECORDS
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, target, _)| target == "squonk2")
        .cloned()
        .collect();
    assert!(
        all.iter().any(|(level, _, text)| *level == log::Level::Warn
            && text.contains("could not get a token from Keycloak")
            && text.contains("Keycloak answered HTTP 401")),
        "{all:?}"
    );
    for (_, _, text) in &all {
        for secret in [ADMIN_PASSWORD, "wrong-password-for-the-log", token.as_str()] {
            assert!(!text.contains(secret), "a secret in the log: {text}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Settings `build` checks, Duration time-outs, stateful callbacks

#[test]
fn credentials_without_a_client_id_fail_the_build_naming_the_setter() {
    let sandbox = common::sandbox();
    let err = Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .keycloak(sandbox.keycloak_url(), sandbox.realm())
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("ClientBuilder::dm_client_id"), "{err}");
    assert!(err.contains("Data Manager"), "{err}");
    assert!(!err.contains(ADMIN_PASSWORD), "{err}");

    let err = Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .as_api_url(sandbox.as_api_url())
        .keycloak(sandbox.keycloak_url(), sandbox.realm())
        .dm_client_id(DM_CLIENT_ID)
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("ClientBuilder::as_client_id"), "{err}");

    // A DM-only user: credentials and a DM client id, no AS URL.
    let dm_only = Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .keycloak(sandbox.keycloak_url(), sandbox.realm())
        .dm_client_id(DM_CLIENT_ID)
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .debug_requests(false)
        .build()
        .unwrap();
    assert!(dm_api::get_available_projects(&dm_only, &Default::default()).success);
    // A fixed AS token stands in for the AS client id.
    let token = sandbox.issue_token(
        ADMIN_USER,
        squonk2_sandbox::AS_CLIENT_ID,
        Duration::from_secs(300),
    );
    let with_token = Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .as_api_url(sandbox.as_api_url())
        .keycloak(sandbox.keycloak_url(), sandbox.realm())
        .dm_client_id(DM_CLIENT_ID)
        .as_access_token(token)
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .debug_requests(false)
        .build()
        .unwrap();
    assert!(dm_api::ping(&with_token).success);
}

/// An environments file may leave out a client id (the Python client allows it): the
/// client is built, the other API works, and calls to that API say what the file lacks.
#[cfg(feature = "environment")]
#[test]
fn an_environments_file_without_a_client_id_says_so_on_each_call() {
    let sandbox = common::sandbox();
    let yaml: String = sandbox
        .environments_yaml()
        .lines()
        .filter(|l| !l.contains("keycloak-as-client-id"))
        .map(|l| format!("{l}\n"))
        .collect();
    let environments =
        squonk2::environment::Environments::from_yaml_str("no-as-client.yaml", &yaml).unwrap();
    let env = environments.get(None).unwrap();
    let client = squonk2::ClientBuilder::from_environment_values(&env)
        .debug_requests(false)
        .build()
        .unwrap();
    assert!(dm_api::ping(&client).success);
    let rv = squonk2::as_api::get_available_units(&client);
    assert_eq!(rv.error_kind(), Some(ErrorKind::NotConfigured), "{rv:?}");
    let text = rv.error().unwrap();
    assert!(
        text.contains("the environments file has no keycloak-as-client-id"),
        "{text}"
    );
}

#[test]
fn the_token_time_out_is_a_duration() {
    // Accepts connections (the backlog) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/auth",
        silent.local_addr().unwrap().port()
    );
    let opts = GetAccessTokenOptions {
        timeout: Some(Duration::from_millis(300)),
        ..Default::default()
    };
    let started = Instant::now();
    let err = get_access_token(&url, "squonk2", DM_CLIENT_ID, "u", "pw-xyz-123", &opts)
        .unwrap_err()
        .to_string();
    assert!(started.elapsed() < Duration::from_secs(3), "not bounded");
    assert!(err.contains("timed out after 0.3 s"), "{err}");
    // The deprecated seconds field still works when `timeout` is not set.
    #[allow(deprecated)]
    let old = GetAccessTokenOptions {
        timeout: Some(Duration::from_secs(1)),
        ..Default::default()
    };
    let err = get_access_token(&url, "squonk2", DM_CLIENT_ID, "u", "pw-xyz-123", &old)
        .unwrap_err()
        .to_string();
    assert!(err.contains("timed out after 1 s"), "{err}");
    drop(silent);
}

#[test]
fn progress_callbacks_may_keep_state() {
    let sandbox = common::sandbox();
    let client = common::client_for(&sandbox);
    let project = dm_api::create_project(
        &client,
        "progress-state",
        dm_api::TEST_PRODUCT_ID,
        &dm_api::CreateProjectOptions::default(),
    );
    assert!(project.success, "{project:?}");
    let project_id = project.msg["project_id"].as_str().unwrap().to_string();
    let file = temp_file("data.txt", &vec![b'x'; 600 * 1024]);
    let (tx, rx) = std::sync::mpsc::channel();
    // State of its own, no Arc<Mutex<...>>: the count of reports and the last figure.
    let mut reports = 0u32;
    let mut last = 0u64;
    let progress = Progress::new(move |done, _total| {
        reports += 1;
        assert!(done >= last, "progress went backwards");
        last = done;
        let _ = tx.send((reports, last));
    });
    let rv = dm_api::put_unmanaged_project_files(
        &client,
        &project_id,
        &[file],
        &dm_api::PutUnmanagedProjectFilesOptions {
            timeout_per_file: Some(Duration::from_secs(30)),
            progress: Some(progress),
            ..Default::default()
        },
    );
    assert!(rv.success, "{rv:?}");
    let seen: Vec<(u32, u64)> = rx.try_iter().collect();
    let (count, done) = *seen.last().expect("progress was reported");
    assert_eq!(count as usize, seen.len());
    assert!(done > 600 * 1024, "{seen:?}");
}

// ---------------------------------------------------------------------------------------
// TLS switches fail safe (D21)

/// Child of [`verify_switches_in_the_environment_fail_safe`]: for each value of
/// `SQUONK2_DMAPI_VERIFY_SSL_CERT`, whether an HTTPS call to the sandbox (whose certificate
/// is not trusted here) is verified, and the warnings.
#[test]
#[ignore = "run by verify_switches_in_the_environment_fail_safe in a child process"]
fn verify_switch_child() {
    let Ok(url) = std::env::var("CHILD_URL") else {
        return;
    };
    capture_logs();
    for (value, verified, warns_about_value) in [
        ("yes", true, false),
        ("YES", true, false),
        ("true", true, false),
        ("TRUE", true, false),
        ("1", true, false),
        ("On", true, false),
        ("no", false, false),
        ("false", false, false),
        ("0", false, false),
        ("OFF", false, false),
        ("maybe", true, true),
    ] {
        std::env::set_var("SQUONK2_DMAPI_URL", &url);
        std::env::set_var("SQUONK2_DMAPI_VERIFY_SSL_CERT", value);
        RECORDS.lock().unwrap().clear();
        let client = Client::from_env().unwrap();
        let once = squonk2::ClientBuilder::from_env()
            .retry_policy(squonk2::RetryPolicy::none())
            .build()
            .unwrap();
        let rv = dm_api::get_version(&once);
        let _ = dm_api::get_version(&once);
        let _ = dm_api::get_version(&once.clone());
        assert_eq!(
            rv.error_kind() == Some(ErrorKind::Tls),
            verified,
            "{value}: {rv:?}"
        );
        assert!(rv.success != verified, "{value}: {rv:?}");
        drop(client);
        let warnings: Vec<String> = RECORDS
            .lock()
            .unwrap()
            .iter()
            .filter(|(level, target, _)| *level == log::Level::Warn && target == "squonk2")
            .map(|(_, _, text)| text.clone())
            .collect();
        let about_value = warnings
            .iter()
            .filter(|t| t.contains("SQUONK2_DMAPI_VERIFY_SSL_CERT") && t.contains(value))
            .count();
        assert_eq!(about_value > 0, warns_about_value, "{value}: {warnings:?}");
        let not_verified = warnings
            .iter()
            .filter(|t| t.contains("not verified"))
            .count();
        assert_eq!(
            not_verified,
            usize::from(!verified),
            "{value}: one warning per client (and its clones) while verification is off: {warnings:?}"
        );
    }
}

#[test]
fn verify_switches_in_the_environment_fail_safe() {
    let sandbox = https_sandbox();
    let url = sandbox.dm_api_url();
    let output = run_child("verify_switch_child", &[("CHILD_URL", url.as_str())]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "{output:?}"
    );
}
