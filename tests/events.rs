//! Live events (feature `event-stream`): the event_stream reader against the sandbox's
//! websockets: charges as they happen, replay, reconnects, gaps, deletion, refusals, both
//! formats, TLS.
#![cfg(feature = "event-stream")]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use squonk2::as_api::{self, EventStreamFormat};
use squonk2::dm_api::{self, WaitOptions};
use squonk2::event_stream::{
    open_event_stream, Event, EventBody, EventMessage, EventReader, EventStreamOptions, Replay,
};
use squonk2::{Client, ErrorKind};
use squonk2_sandbox::{
    Fault, FaultRule, Sandbox, SANDBOX_STORAGE_PRODUCT_ID, SANDBOX_TIER_PRODUCT_ID,
};

/// alice's project-tier product (the sandbox's Data Manager charges it for her Jobs).
const PRODUCT: &str = SANDBOX_TIER_PRODUCT_ID;

/// Options that wait at most 10 s for an event and reconnect quickly.
fn options() -> EventStreamOptions {
    EventStreamOptions {
        idle_timeout: Some(Duration::from_secs(10)),
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        ..Default::default()
    }
}

fn message(item: Option<Result<Event, squonk2::Error>>) -> EventMessage {
    match item {
        Some(Ok(Event::Message(message))) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// The next `n` messages' ordinals.
fn ordinals(reader: &mut EventReader, n: usize) -> Vec<i64> {
    (0..n).map(|_| message(reader.next()).ordinal).collect()
}

/// Charges the test product for `user`'s work called `name`.
fn charge(sandbox: &Sandbox, user: &str, name: &str) {
    sandbox.charge_product(PRODUCT, user, name, "1.25").unwrap();
}

/// Opens the client's stream (creating it) with `options`.
fn stream_of(client: &Client, options: EventStreamOptions) -> EventReader {
    open_event_stream(client, options).expect("the event stream opens")
}

/// Creates `client`'s stream and returns its id.
fn create_stream(client: &Client, format: EventStreamFormat) -> i64 {
    let created = ok(as_api::create_event_stream(client, format));
    created["id"].as_i64().unwrap()
}

#[test]
fn a_jobs_charge_arrives_as_it_happens() {
    let sandbox = Sandbox::builder()
        .job_duration(Duration::from_millis(50))
        .start()
        .unwrap();
    let client = user_client(&sandbox, "alice");
    let mut events = stream_of(&client, options());
    let created = ok(dm_api::create_project(
        &client,
        "events",
        PRODUCT,
        &Default::default(),
    ));
    let project_id = created["project_id"].as_str().unwrap().to_string();
    let spec = json!({"collection": "im-test", "job": "nop", "version": "1.0.0"});
    let started = ok(dm_api::start_job_instance(
        &client,
        &project_id,
        "the-nop",
        &spec,
        &Default::default(),
    ));
    let instance_id = started["instance_id"].as_str().unwrap();
    let waited = dm_api::wait_for_instance(
        &client,
        instance_id,
        &WaitOptions {
            timeout: Duration::from_secs(20),
            poll_interval: Duration::from_millis(20),
            ..Default::default()
        },
    );
    assert!(waited.success, "{waited:?}");

    let event = message(events.next());
    assert_eq!(event.ordinal, 1);
    assert_eq!(event.message_type, "accountserver.MerchantProcessingCharge");
    let EventBody::ProcessingCharge(charge) = &event.body else {
        panic!("{event:?}")
    };
    assert_eq!(charge.user, "alice");
    assert_eq!(charge.product, PRODUCT);
    assert_eq!(charge.name, "the-nop");
    assert_eq!(charge.merchant_kind, "DATA_MANAGER");
    assert_eq!((charge.sqn, charge.eoc), (1, true));
    assert!(!charge.coins.is_empty());
    let data: serde_json::Value =
        serde_json::from_str(charge.additional_data.as_str().unwrap()).unwrap();
    assert_eq!(data["instance_id"], instance_id);
    assert!(event.timestamp > 0);
    assert_eq!(events.last_ordinal(), Some(1));

    // A storage report goes to the stream of the unit's owner (alice).
    sandbox
        .set_product_storage(SANDBOX_STORAGE_PRODUCT_ID, 5 << 20)
        .unwrap();
    let event = message(events.next());
    assert_eq!(event.ordinal, 2);
    let EventBody::StorageCharge(storage) = &event.body else {
        panic!("{event:?}")
    };
    assert_eq!(storage.user, "alice");
    assert_eq!(storage.product, SANDBOX_STORAGE_PRODUCT_ID);
    assert_eq!(storage.bytes, "5242880");
    assert_eq!(storage.reason, "DATASET");
    events.close().unwrap();
}

#[test]
fn the_latency_from_a_charge_to_its_event_is_measured() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    let mut events = stream_of(&client, options());
    let mut latencies = Vec::new();
    for i in 0..50 {
        let start = Instant::now();
        charge(&sandbox, "alice", &format!("job-{i}"));
        let event = message(events.next());
        latencies.push(start.elapsed());
        assert_eq!(event.ordinal, i + 1);
    }
    latencies.sort();
    eprintln!(
        "charge -> event latency over {} charges: median {:?}, max {:?}",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
}

#[test]
fn replay_from_an_ordinal_a_timestamp_and_a_datetime() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    create_stream(&client, EventStreamFormat::JsonString);
    let mut stamps = Vec::new();
    for i in 1..=3 {
        charge(&sandbox, "alice", &format!("job-{i}"));
        // Distinct milliseconds, so that each time picks one message.
        std::thread::sleep(Duration::from_millis(5));
    }
    // Everything kept, then from each ordinal.
    let mut all = stream_of(
        &client,
        EventStreamOptions {
            replay: Some(Replay::FromOrdinal(0)),
            ..options()
        },
    );
    for expected in 1..=3 {
        let event = message(all.next());
        assert_eq!(event.ordinal, expected);
        stamps.push(event.timestamp);
    }
    drop(all);
    let from = |replay| {
        let mut reader = stream_of(
            &client,
            EventStreamOptions {
                replay: Some(replay),
                idle_timeout: Some(Duration::from_millis(300)),
                ..options()
            },
        );
        let mut got = Vec::new();
        while let Some(Ok(Event::Message(m))) = reader.next() {
            got.push(m.ordinal);
        }
        got
    };
    assert_eq!(from(Replay::FromOrdinal(2)), [2, 3]);
    assert_eq!(from(Replay::FromTimestamp(stamps[2])), [3]);
    let second = jiff::Timestamp::from_millisecond(stamps[1]).unwrap();
    // UTC without a zone, and the same instant with an offset.
    let naive = format!("{:.3}", jiff::tz::Offset::UTC.to_datetime(second));
    assert_eq!(from(Replay::FromDatetime(naive)), [2, 3]);
    let zoned = format!("{:.3}+02:00", jiff::tz::offset(2).to_datetime(second));
    assert_eq!(from(Replay::FromDatetime(zoned)), [2, 3]);
    // Without a replay: only what comes next.
    let mut new_only = stream_of(&client, options());
    charge(&sandbox, "alice", "job-4");
    assert_eq!(ordinals(&mut new_only, 1), [4]);
}

#[test]
fn a_dropped_connection_is_resumed_without_loss_or_repeat() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    let mut events = stream_of(&client, options());
    // Dropped before any event: it resumes from when it first connected.
    assert!(sandbox.drop_event_connections("alice"));
    charge(&sandbox, "alice", "job-1");
    assert_eq!(ordinals(&mut events, 1), [1]);
    // Dropped after one: events sent while it was away come once each.
    assert!(sandbox.drop_event_connections("alice"));
    charge(&sandbox, "alice", "job-2");
    charge(&sandbox, "alice", "job-3");
    assert_eq!(ordinals(&mut events, 2), [2, 3]);
    charge(&sandbox, "alice", "job-4");
    assert_eq!(ordinals(&mut events, 1), [4]);
}

#[test]
fn lost_ordinals_are_reported() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    create_stream(&client, EventStreamFormat::JsonString);
    for i in 1..=4 {
        charge(&sandbox, "alice", &format!("job-{i}"));
    }
    // 1 and 2 are no longer kept: a replay from 1 says so before 3.
    assert_eq!(sandbox.expire_events("alice", 3), 2);
    let mut events = stream_of(
        &client,
        EventStreamOptions {
            replay: Some(Replay::FromOrdinal(1)),
            ..options()
        },
    );
    match events.next() {
        Some(Ok(Event::Lost(lost))) => assert_eq!((lost.first, lost.last), (1, 2)),
        other => panic!("expected a gap, got {other:?}"),
    }
    assert_eq!(ordinals(&mut events, 2), [3, 4]);
    // Lost while disconnected: 5 and 6 expire before the reconnect reaches them.
    sandbox.drop_event_connections("alice");
    charge(&sandbox, "alice", "job-5");
    charge(&sandbox, "alice", "job-6");
    charge(&sandbox, "alice", "job-7");
    sandbox.expire_events("alice", 7);
    match events.next() {
        Some(Ok(Event::Lost(lost))) => assert_eq!((lost.first, lost.last), (5, 6)),
        other => panic!("expected a gap, got {other:?}"),
    }
    assert_eq!(ordinals(&mut events, 1), [7]);
}

#[test]
fn a_stream_deleted_while_connected_ends_the_reader() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    let mut events = stream_of(&client, options());
    let id = ok(as_api::get_event_stream(&client))["id"]
        .as_i64()
        .unwrap();
    ok(as_api::delete_event_stream(&client, id));
    let e = events.next().unwrap().unwrap_err();
    assert!(e.message().contains("has been deleted"), "{e}");
    assert!(events.next().is_none());
}

#[test]
fn a_bad_replay_parameter_is_refused() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    create_stream(&client, EventStreamFormat::JsonString);
    for replay in [
        Replay::FromDatetime("yesterday".into()),
        Replay::FromOrdinal(-1),
    ] {
        let mut events = stream_of(
            &client,
            EventStreamOptions {
                replay: Some(replay),
                ..options()
            },
        );
        let e = events.next().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.message().contains("1002"), "{e}");
        assert!(events.next().is_none());
    }
}

#[test]
fn protocol_string_streams_give_the_text_body() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    create_stream(&client, EventStreamFormat::ProtocolString);
    let mut events = stream_of(&client, options());
    charge(&sandbox, "alice", "job|1");
    let event = message(events.next());
    assert_eq!(event.ordinal, 1);
    assert_eq!(event.message_type, "accountserver.MerchantProcessingCharge");
    let EventBody::Text(text) = &event.body else {
        panic!("{event:?}")
    };
    assert!(text.contains(r#"name: "job|1""#), "{text}");
    assert!(text.contains(r#"coins: "1.25""#), "{text}");
    assert!(event.timestamp > 0);
}

#[test]
fn other_message_types_are_kept_as_json_and_camel_case_is_read() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    let mut events = stream_of(&client, options());
    let body = json!({"actionOperation": "RUN", "response": "GRANTED", "authorisationCode": "42"});
    sandbox
        .publish_event(
            "alice",
            "accountserver.MerchantAuthorityRequestResponse",
            body,
        )
        .unwrap();
    sandbox
        .publish_event("alice", "accountserver.Something", json!({"a": 1}))
        .unwrap();
    let event = message(events.next());
    let EventBody::AuthorityRequestResponse(response) = &event.body else {
        panic!("{event:?}")
    };
    assert_eq!(response.action_operation, "RUN");
    assert_eq!(response.response, "GRANTED");
    assert_eq!(response.authorisation_code, 42);
    assert_eq!(
        message(events.next()).body,
        EventBody::Json(json!({"a": 1}))
    );
}

#[test]
fn a_new_connection_replaces_the_old_one() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    let mut first = stream_of(&client, options());
    let mut second = stream_of(&client, options());
    let e = first.next().unwrap().unwrap_err();
    assert!(e.message().contains("replaced"), "{e}");
    charge(&sandbox, "alice", "job-1");
    assert_eq!(ordinals(&mut second, 1), [1]);
}

#[test]
fn nothing_arriving_in_time_is_a_timeout_and_reading_goes_on() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    let mut events = stream_of(
        &client,
        EventStreamOptions {
            idle_timeout: Some(Duration::from_millis(200)),
            ..options()
        },
    );
    let started = Instant::now();
    let e = events.next().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(started.elapsed() >= Duration::from_millis(200));
    charge(&sandbox, "alice", "job-1");
    assert_eq!(ordinals(&mut events, 1), [1]);
}

#[test]
fn streaming_not_installed_is_refused_clearly() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    sandbox.add_fault(FaultRule::new(
        "/account-server-api/event-stream/version",
        Fault::error(404, "Not found"),
    ));
    let e = open_event_stream(&client, options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotConfigured, "{e}");
    assert!(
        e.message().contains("not installed") || e.message().contains("no event-stream"),
        "{e}"
    );
    // Nothing was created.
    assert_eq!(as_api::get_event_stream(&client).http_status_code, 404);
}

#[test]
fn an_unknown_stream_and_an_unreachable_one_fail() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    let host = sandbox.base_url().replace("http://", "ws://");
    let location = format!("{host}/event-stream/not-a-stream");
    let mut events = EventReader::connect(&client, &location, options()).unwrap();
    let e = events.next().unwrap().unwrap_err();
    assert!(e.message().contains("does not know"), "{e}");
    assert!(
        !e.message().contains("not-a-stream"),
        "the key is not shown: {e}"
    );
    let dead = format!("ws://127.0.0.1:{}/event-stream/secret-key", dead_port());
    let e = EventReader::connect(&client, &dead, options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert!(!e.message().contains("secret-key"), "{e}");
    assert!(!format!("{events:?}").contains("not-a-stream"));
}

#[test]
fn wss_uses_the_clients_tls_settings() {
    let sandbox = Sandbox::builder().https(true).start().unwrap();
    let trusting = builder_for(&sandbox)
        .credentials("alice", "alice-password")
        .add_root_certificate_pem(sandbox.ca_certificate_pem().as_bytes())
        .build()
        .unwrap();
    let mut events = stream_of(&trusting, options());
    let location = ok(as_api::get_event_stream(&trusting))["location"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(location.starts_with("wss://"), "{location}");
    charge(&sandbox, "alice", "job-1");
    assert_eq!(ordinals(&mut events, 1), [1]);
    drop(events);

    // Without the sandbox's CA the certificate is refused; with verification off it is not.
    let plain = builder_for(&sandbox)
        .credentials("alice", "alice-password")
        .verify_ssl_cert(false)
        .build()
        .unwrap();
    let mut unverified = EventReader::connect(&plain, &location, options()).unwrap();
    charge(&sandbox, "alice", "job-2");
    assert_eq!(ordinals(&mut unverified, 1), [2]);
    let verifying = builder_for(&sandbox).build().unwrap();
    let e = EventReader::connect(&verifying, &location, options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
}

#[test]
fn the_websocket_goes_through_the_clients_proxy_in_a_tunnel() {
    let sandbox = sandbox();
    let proxy = TestProxy::start();
    let proxied = format!("http://carol:proxy-pass-7@127.0.0.1:{}", proxy.port);
    let client = builder_for(&sandbox)
        .credentials("alice", "alice-password")
        .proxy(&proxied)
        .build()
        .unwrap();
    create_stream(&client, EventStreamFormat::JsonString);
    let location = ok(as_api::get_event_stream(&client))["location"]
        .as_str()
        .unwrap()
        .to_string();

    // The websocket is one more tunnel, with the proxy's credentials.
    let before = proxy.forwarded();
    let mut events = EventReader::connect(&client, &location, options()).unwrap();
    assert_eq!(proxy.forwarded(), before + 1);
    assert!(proxy
        .authorizations
        .lock()
        .unwrap()
        .iter()
        .all(|seen| seen == "Basic Y2Fyb2w6cHJveHktcGFzcy03"));
    charge(&sandbox, "alice", "job-1");
    assert_eq!(ordinals(&mut events, 1), [1]);
    assert!(!format!("{events:?}").contains("proxy-pass-7"));
    drop(events);

    // A proxy that cannot reach the stream refuses the tunnel: said, without the password.
    let unreachable = format!("ws://127.0.0.1:{}/event-stream/secret-key", dead_port());
    let e = EventReader::connect(&client, &unreachable, options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert!(e.message().contains("refused the tunnel (HTTP 502)"), "{e}");
    assert!(!e.to_string().contains("proxy-pass-7"), "{e}");
    assert!(!e.to_string().contains("secret-key"), "{e}");

    // A dead proxy is a connection failure naming the proxy.
    let dead = builder_for(&sandbox)
        .credentials("alice", "alice-password")
        .proxy(format!(
            "http://carol:proxy-pass-7@127.0.0.1:{}",
            dead_port()
        ))
        .build()
        .unwrap();
    let e = EventReader::connect(&dead, &location, options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert!(
        e.message().contains("the proxy http://***@127.0.0.1:"),
        "{e}"
    );
    assert!(!e.to_string().contains("proxy-pass-7"), "{e}");

    // An HTTPS proxy cannot carry it here: refused before connecting, saying why.
    let https = builder_for(&sandbox)
        .credentials("alice", "alice-password")
        .proxy(format!("https://127.0.0.1:{}", proxy.port))
        .build()
        .unwrap();
    let before = proxy.forwarded();
    let e = EventReader::connect(&https, &location, options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert!(e.message().contains("only go through an HTTP proxy"), "{e}");
    assert_eq!(proxy.forwarded(), before);

    // Without a proxy, straight to the service.
    let direct = builder_for(&sandbox)
        .credentials("alice", "alice-password")
        .no_proxy()
        .build()
        .unwrap();
    let before = proxy.forwarded();
    let mut events = EventReader::connect(&direct, &location, options()).unwrap();
    charge(&sandbox, "alice", "job-2");
    assert_eq!(message(events.next()).ordinal, 2);
    assert_eq!(proxy.forwarded(), before);
}

/// `reader.next()` on another thread, failing the test when it takes over `limit`.
fn next_within(
    mut reader: EventReader,
    limit: Duration,
) -> (EventReader, Option<Result<Event, squonk2::Error>>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let item = reader.next();
        let _ = tx.send((reader, item));
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("the reader did not answer in {limit:?}"))
}

#[test]
fn a_connection_that_went_silent_is_noticed_by_its_pings_and_replaced() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    // Idle time-outs come more often than pings: they do not keep the pings from going.
    let opts = EventStreamOptions {
        ping_interval: Some(Duration::from_millis(100)),
        idle_timeout: Some(Duration::from_millis(30)),
        ..options()
    };
    let mut events = stream_of(&client, opts);
    charge(&sandbox, "alice", "job-1");
    assert_eq!(ordinals(&mut events, 1), [1]);

    // The link dies without a word: what is published meanwhile comes after the reconnect.
    let connections = sandbox.connections_accepted();
    assert!(sandbox.silence_event_connections("alice"));
    charge(&sandbox, "alice", "job-2");
    let started = Instant::now();
    let mut reader = events;
    let (mut events, item) = loop {
        let (back, item) = next_within(reader, Duration::from_secs(10));
        match item {
            Some(Err(e)) if e.kind() == ErrorKind::Timeout => {
                assert!(started.elapsed() < Duration::from_secs(5), "{e}");
                reader = back;
            }
            item => break (back, item),
        }
    };
    assert_eq!(message(item).ordinal, 2);
    // A ping after 100 ms of silence, no answer for 100 ms more, then a new connection.
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(sandbox.connections_accepted() > connections);
    charge(&sandbox, "alice", "job-3");
    assert_eq!(ordinals(&mut events, 1), [3]);
}

#[test]
fn answered_pings_keep_a_quiet_connection_and_do_not_count_as_events() {
    let sandbox = sandbox();
    let client = user_client(&sandbox, "alice");
    let opts = EventStreamOptions {
        ping_interval: Some(Duration::from_millis(50)),
        idle_timeout: Some(Duration::from_millis(600)),
        ..options()
    };
    let events = stream_of(&client, opts);
    let connections = sandbox.connections_accepted();
    // About ten pings are answered in the 600 ms: the idle time-out still comes, as no
    // event arrived, and the connection is the same.
    let started = Instant::now();
    let (mut events, item) = next_within(events, Duration::from_secs(10));
    match item {
        Some(Err(e)) => assert_eq!(e.kind(), ErrorKind::Timeout, "{e}"),
        other => panic!("expected the idle time-out, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert_eq!(sandbox.connections_accepted(), connections);
    charge(&sandbox, "alice", "job-1");
    assert_eq!(ordinals(&mut events, 1), [1]);
    assert_eq!(sandbox.connections_accepted(), connections);
}
