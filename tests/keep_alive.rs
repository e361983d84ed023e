//! Calls reuse kept-alive connections and create no threads: counted, never timed.
//!
//! - Connections are counted by the sandbox, which counts every TCP connection it accepts
//!   (`Sandbox::connections_accepted`).
//! - Threads are counted with `std::thread::ThreadId`, which the standard library numbers
//!   from a process-wide counter as each thread is spawned: the ids of a thread spawned
//!   before the calls and of one spawned after them tell how many threads were spawned in
//!   between, however short-lived (sampling `/proc/self/task` would miss a thread that ends
//!   before the sample, as a per-call resolver thread did). The calls run in a child process
//!   of this test binary, alone, so that no other test's thread and no sandbox thread is
//!   counted.

mod common;

use std::sync::{Arc, Barrier};

use common::threads::next_thread_number;
use common::*;
use squonk2::dm_api;
use squonk2_sandbox::{Fault, FaultRule};

const CALLS: usize = 200;
const THREADS: usize = 4;

#[test]
fn threads_sharing_a_client_use_one_connection_each() {
    let sandbox = sandbox();
    let client = client_for(&sandbox);
    let project_id = new_test_project(&client, "keep-alive");
    let before = sandbox.connections_accepted();
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (client, project_id, start) = (client.clone(), project_id.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for _ in 0..CALLS / THREADS {
                    let rv = dm_api::get_project(&client, &project_id);
                    assert!(rv.success, "{rv:?}");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("a calling thread");
    }
    let opened = sandbox.connections_accepted() - before;
    // The connection of the login and project creation is idle in the pool, and at most one
    // per thread is in use at a time: none is closed, so at most 3 more are opened.
    assert!(
        opened < THREADS as u64,
        "{CALLS} calls on {THREADS} threads sharing a client opened {opened} new connections \
         (the pool keeps one per thread; connections dropped and opened again?)"
    );
}

#[test]
fn calls_create_no_threads_and_keep_their_connection() {
    let sandbox = sandbox();
    let client = client_for(&sandbox);
    let project_id = new_test_project(&client, "no-threads");
    // The first of the calls is answered 503 and retried; its answer must be read so that
    // the connection is kept.
    sandbox.add_fault(
        FaultRule::new(
            format!("/data-manager-api/project/{project_id}"),
            Fault::respond_with_headers(503, &[("retry-after", "0")], br#"{"error": "busy"}"#),
        )
        .times(1),
    );
    let before = sandbox.connections_accepted();
    let output = child_test("counted_calls")
        .env("KEEP_ALIVE_DM_URL", sandbox.dm_api_url())
        .env("KEEP_ALIVE_KEYCLOAK_URL", sandbox.keycloak_url())
        .env("KEEP_ALIVE_REALM", sandbox.realm())
        .env("KEEP_ALIVE_PROJECT", &project_id)
        .output()
        .expect("the child test runs");
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains("1 passed"),
        "the child test did not run: {said}"
    );
    let opened = sandbox.connections_accepted() - before;
    // The first client: one for its login and all its calls; the second: one for its login
    // (at 127.0.0.1) and one for its calls (at localhost).
    assert_eq!(
        opened, 3,
        "a login and {CALLS} calls on one thread (a retried 503 and error answers among \
         them) should use one connection, and a client calling localhost two"
    );
}

/// Run by `calls_create_no_threads_and_keep_their_connection` in a child process.
#[test]
#[ignore = "run by calls_create_no_threads_and_keep_their_connection"]
fn counted_calls() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"));
    let client = squonk2::Client::builder()
        .dm_api_url(var("KEEP_ALIVE_DM_URL"))
        .keycloak(var("KEEP_ALIVE_KEYCLOAK_URL"), var("KEEP_ALIVE_REALM"))
        .dm_client_id(squonk2_sandbox::DM_CLIENT_ID)
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .build()
        .expect("a client");
    let project_id = var("KEEP_ALIVE_PROJECT");
    // The login and the first connection.
    assert!(dm_api::get_version(&client).success);

    let before = next_thread_number();
    for _ in 0..CALLS - 10 {
        let rv = dm_api::get_project(&client, &project_id);
        assert!(rv.success, "{rv:?}");
    }
    // Error answers are read to their end too.
    for _ in 0..10 {
        let rv = dm_api::get_project(&client, "project-00000000-0000-0000-0000-000000000000");
        assert_eq!(rv.http_status_code, 404, "{rv:?}");
    }
    let created = next_thread_number() - before - 1;
    assert_eq!(
        created, 0,
        "{CALLS} calls on a kept-alive connection created {created} threads"
    );

    // A host name is looked up (on a thread bounded by the call's deadline) only when a
    // connection is made: once for 20 calls.
    let by_name = squonk2::Client::builder()
        .dm_api_url(var("KEEP_ALIVE_DM_URL").replace("127.0.0.1", "localhost"))
        .keycloak(var("KEEP_ALIVE_KEYCLOAK_URL"), var("KEEP_ALIVE_REALM"))
        .dm_client_id(squonk2_sandbox::DM_CLIENT_ID)
        .credentials(ADMIN_USER, ADMIN_PASSWORD)
        .build()
        .expect("a client");
    let before = next_thread_number();
    for _ in 0..20 {
        let rv = dm_api::get_project(&by_name, &project_id);
        assert!(rv.success, "{rv:?}");
    }
    let created = next_thread_number() - before - 1;
    assert_eq!(
        created, 1,
        "20 calls to localhost created {created} threads"
    );
}
