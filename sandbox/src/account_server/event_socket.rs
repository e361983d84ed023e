//! The event streams' websockets: `GET /event-stream/{uuid}` on the sandbox's own port (the
//! `location` that `POST /event-stream` hands out), as the vendor's
//! `squonk2-fastapi-ws-event-stream` 3.0.x serves them.
//!
//! Every stream keeps what is published to it ([`Feed`]), numbered from ordinal 1, so that a
//! connection can replay: `stream_from_ordinal` (0: from the first message kept),
//! `stream_from_timestamp` (milliseconds since the epoch) or `stream_from_datetime` (ISO 8601,
//! UTC when it has no zone); none of them: new messages only. One of them at most, each at
//! most once, or the socket closes with 1002. An unknown stream closes with 1000; a stream
//! deleted while connected closes with 1000 "The stream has been deleted". A new connection
//! to a stream replaces (closes) the one before it.
//!
//! What is published: the Account Server's processing charges (to the stream of the user the
//! work was done for), storage reports (to the stream of the unit's owner), and whatever a
//! test publishes with [`Sandbox::publish_event`]. Test controls also drop a stream's
//! connections without a close frame ([`Sandbox::drop_event_connections`]), silence them
//! ([`Sandbox::silence_event_connections`]: open, but nothing sent, read or answered, as
//! behind a dead link) and forget old messages ([`Sandbox::expire_events`]), so that
//! clients' reconnects, dead-connection checks and gap reports can be tested.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use serde_json::{json, Map, Value};
use tokio::sync::watch;

use super::state::{AsState, Charge, ChargeKind, ProductType};
use crate::state::{lock, AppState};
use crate::Sandbox;

/// The most messages a stream keeps; older ones are forgotten (the real service keeps them
/// for a few days).
const MAX_KEPT: usize = 10_000;

/// The close reason when a stream is deleted while connected (the vendor's words).
const DELETED: &str = "The stream has been deleted";

/// The replay parameters.
const FROM_ORDINAL: &str = "stream_from_ordinal";
const FROM_TIMESTAMP: &str = "stream_from_timestamp";
const FROM_DATETIME: &str = "stream_from_datetime";

/// One message kept for replay.
#[derive(Clone, Debug)]
pub(crate) struct Kept {
    pub(crate) ordinal: i64,
    /// Milliseconds since the epoch, when the stream received it.
    pub(crate) timestamp: i64,
    /// `accountserver.MerchantProcessingCharge` and the like.
    pub(crate) message_type: String,
    pub(crate) body: Value,
}

/// What a stream has received, and who is connected to it.
#[derive(Clone, Debug)]
pub(crate) struct Feed {
    kept: VecDeque<Kept>,
    next_ordinal: i64,
    /// The number of the current connection: a new connection takes the next one, and older
    /// ones close.
    connection: u64,
    /// Bumped by [`Sandbox::drop_event_connections`]: connections made before go away without
    /// a close frame.
    drops: u64,
    /// Bumped by [`Sandbox::silence_event_connections`]: connections made before go silent.
    silences: u64,
    /// Wakes the connections on any change; dropped with the stream, which closes them.
    wake: Arc<watch::Sender<u64>>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            kept: VecDeque::new(),
            next_ordinal: 1,
            connection: 0,
            drops: 0,
            silences: 0,
            wake: Arc::new(watch::channel(0).0),
        }
    }
}

impl Feed {
    fn poke(&self) {
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Adds a message, returning its ordinal.
    fn push(&mut self, message_type: &str, body: Value) -> i64 {
        let ordinal = self.next_ordinal;
        self.next_ordinal += 1;
        let now = jiff::Timestamp::now().as_millisecond();
        // Never older than the message before it, whatever the clock did.
        let timestamp = self.kept.back().map_or(now, |k| k.timestamp.max(now));
        self.kept.push_back(Kept {
            ordinal,
            timestamp,
            message_type: message_type.to_owned(),
            body,
        });
        while self.kept.len() > MAX_KEPT {
            self.kept.pop_front();
        }
        self.poke();
        ordinal
    }
}

impl AsState {
    /// Publishes a message to `username`'s stream, if they have one: its ordinal.
    pub(crate) fn publish(
        &mut self,
        username: &str,
        message_type: &str,
        body: Value,
    ) -> Option<i64> {
        let stream = self
            .event_streams
            .iter_mut()
            .find(|s| s.owner == username)?;
        Some(stream.feed.push(message_type, body))
    }

    /// The fields every merchant message has, for a charge.
    fn merchant_fields(&self, charge: &Charge) -> Map<String, Value> {
        let merchant_name = self
            .merchant(charge.merchant_id)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        let organisation = self
            .unit(&charge.unit_id)
            .map(|u| u.org_id.clone())
            .unwrap_or_default();
        let mut body = Map::new();
        body.insert("timestamp".into(), charge.timestamp.clone().into());
        body.insert("merchant_kind".into(), "DATA_MANAGER".into());
        body.insert("merchant_name".into(), merchant_name.into());
        body.insert("merchant_id".into(), charge.merchant_id.into());
        if let Some(name) = &charge.name {
            body.insert("name".into(), name.clone().into());
        }
        body.insert("user".into(), charge.username.clone().into());
        body.insert("product".into(), charge.product_id.clone().into());
        body.insert("unit".into(), charge.unit_id.clone().into());
        body.insert("organisation".into(), organisation.into());
        if !charge.additional_data.is_empty() {
            // A string in the protocol buffer: the merchant's JSON, as text.
            let data = Value::Object(charge.additional_data.clone()).to_string();
            body.insert("additional_data".into(), data.into());
        }
        body
    }

    /// Publishes a processing charge just recorded (the one with `charge_id`) to the stream
    /// of the user it was for: one charge per Job, so its sequence number is 1 and it is
    /// the end of the charges.
    pub(crate) fn publish_processing_charge(&mut self, charge_id: i64) {
        let Some(charge) = self.charges.iter().find(|c| c.id == charge_id).cloned() else {
            return;
        };
        let mut body = self.merchant_fields(&charge);
        body.insert(
            "coins".into(),
            super::dates::coins_text(charge.coins).into(),
        );
        body.insert("sqn".into(), 1.into());
        body.insert("eoc".into(), true.into());
        self.publish(
            &charge.username,
            "accountserver.MerchantProcessingCharge",
            Value::Object(body),
        );
    }

    /// Publishes a storage report of `bytes` for a product to its unit owner's stream (the
    /// day's storage charge, if any, is `charge_id`).
    pub(crate) fn publish_storage_charge(&mut self, product_id: &str, owner: &str, bytes: u64) {
        let Some(product) = self.product(product_id) else {
            return;
        };
        let charge = self
            .charges
            .iter()
            .rev()
            .find(|c| c.product_id == product_id && c.kind == ChargeKind::Storage)
            .cloned();
        let reason = if product.kind == ProductType::ProjectTier {
            "PROJECT"
        } else {
            "DATASET"
        };
        let mut body = match &charge {
            Some(charge) => self.merchant_fields(charge),
            None => Map::new(),
        };
        body.insert("user".into(), owner.into());
        body.insert("product".into(), product_id.into());
        body.insert("reason".into(), reason.into());
        body.insert("bytes".into(), bytes.to_string().into());
        self.publish(
            owner,
            "accountserver.MerchantStorageCharge",
            Value::Object(body),
        );
    }
}

/// A kept message as a text frame in the stream's format.
fn frame_text(kept: &Kept, format: &str) -> String {
    if format == "JSON_STRING" {
        json!({
            "message_type": kept.message_type,
            "message_body": kept.body,
            "ess_ordinal": kept.ordinal,
            "ess_timestamp": kept.timestamp,
        })
        .to_string()
    } else {
        format!(
            "{}|{}|ordinal: {}|timestamp: {}",
            kept.message_type,
            text_format(&kept.body),
            kept.ordinal,
            kept.timestamp
        )
    }
}

/// A JSON object in the protocol buffers' text format, on one line (strings quoted, the
/// other scalars bare, objects in braces).
fn text_format(value: &Value) -> String {
    let Value::Object(fields) = value else {
        return value.to_string();
    };
    let field = |(key, value): (&String, &Value)| match value {
        Value::Object(_) => format!("{key} {{ {} }}", text_format(value)),
        Value::Array(items) => items
            .iter()
            .map(|item| format!("{key}: {}", text_format(item)))
            .collect::<Vec<_>>()
            .join(" "),
        Value::Null => String::new(),
        other => format!("{key}: {other}"),
    };
    fields
        .iter()
        .map(field)
        .filter(|f| !f.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where a connection starts.
enum Start {
    New,
    Ordinal(i64),
    Timestamp(i64),
}

/// The replay parameter of a query, or why it is refused.
fn start_of(query: Option<&str>) -> Result<Start, String> {
    let mut start = None;
    // The replay parameter met first: a second one is refused.
    let mut seen = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if ![FROM_ORDINAL, FROM_TIMESTAMP, FROM_DATETIME].contains(&key.as_ref()) {
            continue;
        }
        match &seen {
            Some(first) if *first == key => {
                return Err(format!("{key} given more than once"));
            }
            Some(_) => {
                return Err(format!(
                    "Give at most one of {FROM_ORDINAL}, {FROM_TIMESTAMP} and {FROM_DATETIME}"
                ));
            }
            None => {}
        }
        let bad = || format!("{key} has an invalid value: {value:?}");
        let count = || {
            value
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(bad)
        };
        start = Some(match key.as_ref() {
            FROM_ORDINAL => Start::Ordinal(count()?),
            FROM_TIMESTAMP => Start::Timestamp(count()?),
            _ => Start::Timestamp(
                crate::calendar::parse_instant(&value)
                    .ok_or_else(bad)?
                    .as_millisecond(),
            ),
        });
        seen = Some(key);
    }
    Ok(start.unwrap_or(Start::New))
}

/// A connection registered with its stream: where it starts, and what ends it.
struct Registered {
    me: u64,
    drops: u64,
    silences: u64,
    rx: watch::Receiver<u64>,
    next: i64,
    format: String,
}

/// `GET /event-stream/{uuid}`: the websocket. The connection is registered (and where it
/// starts decided) before the handshake is answered, so that nothing published after the
/// client's handshake is missed.
pub(crate) async fn connect(
    State(shared): State<AppState>,
    Path(uuid): Path<String>,
    uri: Uri,
    upgrade: WebSocketUpgrade,
) -> Response {
    let start = start_of(uri.query());
    let location_suffix = format!("/event-stream/{uuid}");
    let registered = match &start {
        Err(_) => None,
        Ok(start) => register(&shared, &location_suffix, start),
    };
    upgrade.on_upgrade(move |socket| async move {
        match (start, registered) {
            (Err(why), _) => close(socket, 1002, &why).await,
            (Ok(_), None) => close(socket, 1000, "Unknown event stream").await,
            (Ok(_), Some(registered)) => serve(shared, location_suffix, registered, socket).await,
        }
    })
}

fn register(shared: &AppState, location_suffix: &str, start: &Start) -> Option<Registered> {
    let mut state = lock(&shared.account);
    let stream = state
        .event_streams
        .iter_mut()
        .find(|s| s.location.ends_with(location_suffix))?;
    let feed = &mut stream.feed;
    feed.connection += 1;
    let rx = feed.wake.subscribe();
    feed.poke();
    let next = match *start {
        Start::New => feed.next_ordinal,
        Start::Ordinal(n) => n,
        Start::Timestamp(t) => feed
            .kept
            .iter()
            .find(|k| k.timestamp >= t)
            .map_or(feed.next_ordinal, |k| k.ordinal),
    };
    Some(Registered {
        me: feed.connection,
        drops: feed.drops,
        silences: feed.silences,
        rx,
        next,
        format: stream.format.clone(),
    })
}

async fn close(mut socket: WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
    // Wait (briefly) for the client's answer, so that it reads the frame before the end.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

async fn serve(
    shared: AppState,
    location_suffix: String,
    registered: Registered,
    socket: WebSocket,
) {
    let Registered {
        me,
        drops,
        silences,
        mut rx,
        mut next,
        format,
    } = registered;
    let mut socket = socket;
    let mut silent = false;
    loop {
        enum Step {
            Send(Vec<String>),
            Silent,
            Replaced,
            Dropped,
            Deleted,
        }
        let step = {
            let state = lock(&shared.account);
            match state
                .event_streams
                .iter()
                .find(|s| s.location.ends_with(&location_suffix))
            {
                // A silent connection ends without a word, whatever ends it.
                None if silent => Step::Dropped,
                None => Step::Deleted,
                Some(stream) if stream.feed.drops != drops => Step::Dropped,
                Some(stream) if stream.feed.connection != me && silent => Step::Dropped,
                Some(stream) if stream.feed.connection != me => Step::Replaced,
                Some(stream) if stream.feed.silences != silences => Step::Silent,
                Some(stream) => {
                    // Kept in ordinal order: the new ones are the last, found by halving.
                    let kept = &stream.feed.kept;
                    let texts: Vec<String> = kept
                        .range(kept.partition_point(|k| k.ordinal < next)..)
                        .map(|k| frame_text(k, &format))
                        .collect();
                    next = next.max(stream.feed.next_ordinal);
                    Step::Send(texts)
                }
            }
        };
        match step {
            Step::Deleted => return close(socket, 1000, DELETED).await,
            // Dropping the socket closes the connection without a close frame.
            Step::Dropped => return,
            Step::Replaced => return close(socket, 1000, "Replaced by a newer connection").await,
            // Open but deaf and mute (pings are answered only while reading): waits for the
            // stream to change (a newer connection, a drop, its deletion), which ends it
            // without a word.
            Step::Silent => {
                silent = true;
                if rx.changed().await.is_err() {
                    return;
                }
                continue;
            }
            Step::Send(texts) => {
                for text in texts {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
            }
        }
        tokio::select! {
            changed = rx.changed() => {
                if changed.is_err() {
                    // The stream (and its sender) is gone.
                    return close(socket, 1000, DELETED).await;
                }
            }
            received = socket.recv() => match received {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                // Pings are answered by the websocket layer; anything else is ignored.
                Some(Ok(_)) => {}
            },
        }
    }
}

impl Sandbox {
    /// Publishes a message to `username`'s event stream, as the Account Server would:
    /// `message_type` such as `"accountserver.MerchantProcessingCharge"`, and its body (a
    /// JSON object). Returns its ordinal; fails when the user has no event stream.
    ///
    /// ```
    /// let sandbox = squonk2_sandbox::Sandbox::start()?;
    /// let body = serde_json::json!({"coins": "1.00"});
    /// assert!(sandbox.publish_event("alice", "accountserver.MerchantProcessingCharge", body).is_err());
    /// # Ok::<(), squonk2_sandbox::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`NotFound`](crate::ErrorKind::NotFound) error when the user has no event stream.
    pub fn publish_event(
        &self,
        username: &str,
        message_type: &str,
        body: Value,
    ) -> Result<i64, crate::Error> {
        lock(&self.shared.account)
            .publish(username, message_type, body)
            .ok_or_else(|| crate::Error::not_found(format!("{username} has no event stream")))
    }

    /// Drops the connections to `username`'s event stream without a close frame, as a
    /// network failure would. Returns whether the user has a stream.
    pub fn drop_event_connections(&self, username: &str) -> bool {
        self.change_event_connections(username, |feed| feed.drops += 1)
    }

    /// Silences the connections to `username`'s event stream, as a dead link or a
    /// middlebox that dropped them would: they stay open, but nothing more is sent on them,
    /// nothing is read, and pings go unanswered. Each ends, still without a word, when a newer
    /// connection replaces it or the stream goes. Returns whether the user has a stream.
    pub fn silence_event_connections(&self, username: &str) -> bool {
        self.change_event_connections(username, |feed| feed.silences += 1)
    }

    /// Applies `change` to `username`'s stream and wakes its connections; `false` when the
    /// user has no stream.
    fn change_event_connections(&self, username: &str, change: impl FnOnce(&mut Feed)) -> bool {
        let mut state = lock(&self.shared.account);
        match state.event_streams.iter_mut().find(|s| s.owner == username) {
            Some(stream) => {
                change(&mut stream.feed);
                stream.feed.poke();
                true
            }
            None => false,
        }
    }

    /// Forgets the messages of `username`'s event stream below ordinal `before`, as the real
    /// service forgets messages after a few days. Returns how many were forgotten.
    pub fn expire_events(&self, username: &str, before: i64) -> usize {
        let mut state = lock(&self.shared.account);
        let Some(stream) = state.event_streams.iter_mut().find(|s| s.owner == username) else {
            return 0;
        };
        let count = stream.feed.kept.len();
        stream.feed.kept.retain(|k| k.ordinal >= before);
        count - stream.feed.kept.len()
    }

    /// The ordinal the next message to `username`'s event stream will have (`None`: no
    /// stream).
    pub fn next_event_ordinal(&self, username: &str) -> Option<i64> {
        let state = lock(&self.shared.account);
        state
            .event_streams
            .iter()
            .find(|s| s.owner == username)
            .map(|s| s.feed.next_ordinal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_parameters() {
        assert!(matches!(start_of(None), Ok(Start::New)));
        assert!(matches!(
            start_of(Some("stream_from_ordinal=0")),
            Ok(Start::Ordinal(0))
        ));
        assert!(matches!(
            start_of(Some("stream_from_datetime=1970-01-01T00:00:01")),
            Ok(Start::Timestamp(1000))
        ));
        assert!(matches!(
            start_of(Some("stream_from_datetime=1970-01-01T01:00:01%2B01:00")),
            Ok(Start::Timestamp(1000))
        ));
        assert!(start_of(Some("stream_from_ordinal=1&stream_from_ordinal=2")).is_err());
        assert!(start_of(Some("stream_from_ordinal=1&stream_from_timestamp=2")).is_err());
        assert!(start_of(Some("stream_from_ordinal=x")).is_err());
        assert!(start_of(Some("stream_from_datetime=yesterday")).is_err());
    }

    #[test]
    fn both_formats() {
        let kept = Kept {
            ordinal: 3,
            timestamp: 7,
            message_type: "accountserver.MerchantStorageCharge".into(),
            body: json!({"bytes": "10", "merchant_id": 1, "reason": "DATASET"}),
        };
        assert_eq!(
            frame_text(&kept, "PROTOCOL_STRING"),
            "accountserver.MerchantStorageCharge|bytes: \"10\" merchant_id: 1 reason: \"DATASET\"|ordinal: 3|timestamp: 7"
        );
        let json: Value = serde_json::from_str(&frame_text(&kept, "JSON_STRING")).unwrap();
        assert_eq!(json["ess_ordinal"], 3);
        assert_eq!(json["message_body"]["bytes"], "10");
    }
}
