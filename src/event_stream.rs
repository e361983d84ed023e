//! Live events: read your Account Server event stream (feature `event-stream`).
//!
//! The Account Server sends each user's charges (and other merchant messages) to their event
//! stream, a websocket whose address ([`location`](crate::as_api::get_event_stream)) is its
//! own key: whoever knows it can read it, so this module never shows it in errors, logs or
//! `Debug` output. [`open_event_stream`] finds your stream (creating it when you have none),
//! connects, and hands you an iterator of [`Event`]s:
//!
//! ```no_run
//! use squonk2::event_stream::{open_event_stream, Event, EventBody, EventStreamOptions, Replay};
//! # fn main() -> anyhow::Result<()> {
//! let client = squonk2::Client::from_env()?;
//! let options = EventStreamOptions {
//!     replay: Some(Replay::FromOrdinal(0)), // everything the service still keeps
//!     ..Default::default()
//! };
//! for event in open_event_stream(&client, options)? {
//!     match event? {
//!         Event::Message(message) => {
//!             if let EventBody::ProcessingCharge(charge) = &message.body {
//!                 println!("#{}: {} coins for {}", message.ordinal, charge.coins, charge.name);
//!             }
//!         }
//!         Event::Lost(lost) => eprintln!("events {} to {} were lost", lost.first, lost.last),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! - **Replay**: from an ordinal (0: the first message the service keeps; it keeps them for a
//!   few days), a timestamp or a date and time ([`Replay`]); without one, new events only.
//! - **Reconnects**: when the connection drops, the reader connects again after a pause
//!   (doubling from [`EventStreamOptions::initial_backoff`] up to
//!   [`max_backoff`](EventStreamOptions::max_backoff), at most
//!   [`max_reconnects`](EventStreamOptions::max_reconnects) tries in a row) and resumes after
//!   the last ordinal it delivered, so nothing is repeated. Before any event was delivered
//!   it resumes from the time it first connected (by this machine's clock). A jump in
//!   ordinals means the service lost or no longer keeps messages: it is reported as an
//!   [`Event::Lost`], never skipped silently.
//! - **Time-out**: with [`idle_timeout`](EventStreamOptions::idle_timeout), the iterator
//!   yields an [`ErrorKind::Timeout`] error when no event arrived for that long, and keeps
//!   waiting if you ask for the next item.
//! - **Dead connections**: after [`ping_interval`](EventStreamOptions::ping_interval) (30
//!   s) of silence the reader pings the service; a ping without an answer in as long again
//!   means the connection died without a word (a dropped link, a middlebox that forgot it),
//!   and the reader connects again and resumes, as after a dropped connection.
//! - **Formats**: `JSON_STRING` streams give typed bodies for the three merchant messages
//!   ([`EventBody::ProcessingCharge`], [`EventBody::StorageCharge`],
//!   [`EventBody::AuthorityRequestResponse`]) and JSON for any other; `PROTOCOL_STRING`
//!   streams give the protocol-buffer text of the body ([`EventBody::Text`]). The format is
//!   chosen when the stream is created ([`EventStreamOptions::format`]).
//! - **TLS**: `wss` locations use the client's TLS settings (added roots, platform roots,
//!   the Account Server's verification switch).
//! - **Proxies**: the websocket goes through the client's proxy as its calls do
//!   ([`ClientBuilder::proxy`](crate::ClientBuilder::proxy), or the proxy variables with
//!   `NO_PROXY`), in a `CONNECT` tunnel. Only `http://` proxies can tunnel it: with an
//!   `https://` proxy, or a SOCKS proxy from the variables, connecting fails with
//!   [`ErrorKind::Connect`] saying so.
//!
//! The stream ends (the iterator returns `None` after an error) when the service closes it
//! for good: the stream was deleted, another connection to it replaced this one, or a
//! replay parameter was refused.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::{Message, WebSocket};
use ureq::ProxyProtocol;

use crate::as_api::{self, EventStreamFormat};
use crate::client::{Api, Client};
use crate::encoding::query_component;
use crate::error::{Error, ErrorKind};
use crate::transport::{proxy_for, shown_proxy};

/// Where a connection starts reading.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Replay {
    /// From this ordinal on (0: the first message the service keeps).
    FromOrdinal(i64),
    /// From the first message received at or after this time, in milliseconds since the
    /// Unix epoch.
    FromTimestamp(i64),
    /// From the first message received at or after this date and time: ISO 8601, UTC when
    /// it has no zone (`2025-04-30T19:20:37`, `2025-04-30T21:20:37+02:00`).
    FromDatetime(String),
}

/// How [`open_event_stream`] and [`EventReader::connect`] read a stream.
#[derive(Clone, Debug)]
pub struct EventStreamOptions {
    /// The format of a stream created because you had none (default `JSON_STRING`, the
    /// only one with typed bodies). An existing stream keeps its format.
    pub format: EventStreamFormat,
    /// Where to start (default `None`: new events only).
    pub replay: Option<Replay>,
    /// Yield an [`ErrorKind::Timeout`] error when no event arrived for this long (default
    /// `None`: wait for ever).
    pub idle_timeout: Option<Duration>,
    /// When nothing arrived for this long, ping the service; when a ping gets no answer
    /// within it either, the connection is dead (a link that dropped it without a word) and
    /// the reader connects again (default 30 s; `None`: never ping, and a dead connection
    /// is only noticed by `idle_timeout`).
    pub ping_interval: Option<Duration>,
    /// Reconnect tries in a row after a dropped connection before giving up (default 5).
    pub max_reconnects: u32,
    /// The pause before the first reconnect try; it doubles with each try (default 1 s).
    pub initial_backoff: Duration,
    /// The longest pause between reconnect tries (default 30 s).
    pub max_backoff: Duration,
    /// How long connecting (TCP, TLS and the websocket handshake) may take (default 30 s).
    pub connect_timeout: Duration,
}

impl Default for EventStreamOptions {
    fn default() -> Self {
        EventStreamOptions {
            format: EventStreamFormat::JsonString,
            replay: None,
            idle_timeout: None,
            ping_interval: Some(Duration::from_secs(30)),
            max_reconnects: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(30),
        }
    }
}

/// What the iterator yields: a message, or a report of messages that were lost.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
// Events are handed over one at a time: a box would cost an allocation per message for
// nothing.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// A message of the stream.
    Message(EventMessage),
    /// Ordinals that never arrived: the service lost them or no longer keeps them.
    Lost(LostEvents),
}

/// Ordinals `first` to `last` (both included) were not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LostEvents {
    /// The first ordinal missing.
    pub first: i64,
    /// The last ordinal missing.
    pub last: i64,
}

/// One message of the stream.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct EventMessage {
    /// Its number in the stream; resume after it with [`Replay::FromOrdinal`]`(ordinal + 1)`.
    pub ordinal: i64,
    /// When the stream received it, in milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// Its type, as sent: `accountserver.MerchantProcessingCharge` and the like.
    pub message_type: String,
    /// Its body.
    pub body: EventBody,
}

/// The body of a message.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum EventBody {
    /// `MerchantProcessingCharge`: coins charged for work (a Job, an instance).
    ProcessingCharge(MerchantProcessingCharge),
    /// `MerchantStorageCharge`: bytes stored.
    StorageCharge(MerchantStorageCharge),
    /// `MerchantAuthorityRequestResponse`: what the Account Server said to a merchant's
    /// request to act.
    AuthorityRequestResponse(MerchantAuthorityRequestResponse),
    /// Another type (or a body that did not fit its type), as JSON.
    Json(Value),
    /// The protocol-buffer text of the body (`PROTOCOL_STRING` streams).
    Text(String),
}

/// A processing charge (`informaticsmatters.protobuf.accountserver.MerchantProcessingCharge`).
/// Fields the message leaves out are empty (or 0, or `false`), as in protocol buffers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MerchantProcessingCharge {
    /// When the merchant made the charge (ISO 8601).
    pub timestamp: String,
    /// `DATA_MANAGER` and the like.
    #[serde(alias = "merchantKind")]
    pub merchant_kind: String,
    #[serde(alias = "merchantName")]
    #[allow(missing_docs)]
    pub merchant_name: String,
    #[serde(alias = "merchantId", deserialize_with = "de_int")]
    #[allow(missing_docs)]
    pub merchant_id: i64,
    /// The authority code the charge is made under.
    #[serde(alias = "authCode", deserialize_with = "de_int")]
    pub auth_code: i64,
    /// What was charged for (a Job or instance name).
    pub name: String,
    /// Coins, as a decimal string (`"1.25"`).
    #[serde(deserialize_with = "de_text")]
    pub coins: String,
    /// The sequence number of this charge among the charges for the same work.
    #[serde(deserialize_with = "de_int")]
    pub sqn: i64,
    /// Whether it is the last charge for that work (end of charges).
    pub eoc: bool,
    /// The user the work was done for.
    pub user: String,
    /// The product charged.
    pub product: String,
    /// The product's unit.
    pub unit: String,
    /// The unit's organisation.
    pub organisation: String,
    /// What the merchant added (often a JSON text); `Null` when absent.
    #[serde(alias = "additionalData")]
    pub additional_data: Value,
}

/// A storage charge (`informaticsmatters.protobuf.accountserver.MerchantStorageCharge`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MerchantStorageCharge {
    /// When the merchant reported it (ISO 8601).
    pub timestamp: String,
    #[serde(alias = "merchantKind")]
    #[allow(missing_docs)]
    pub merchant_kind: String,
    #[serde(alias = "merchantName")]
    #[allow(missing_docs)]
    pub merchant_name: String,
    #[serde(alias = "merchantId", deserialize_with = "de_int")]
    #[allow(missing_docs)]
    pub merchant_id: i64,
    #[serde(alias = "authCode", deserialize_with = "de_int")]
    #[allow(missing_docs)]
    pub auth_code: i64,
    /// What the storage is for.
    pub name: String,
    #[allow(missing_docs)]
    pub user: String,
    #[allow(missing_docs)]
    pub product: String,
    #[allow(missing_docs)]
    pub unit: String,
    #[allow(missing_docs)]
    pub organisation: String,
    /// What is stored: `UNSPECIFIED`, `DATASET` or `PROJECT` (a protocol-buffer prefix such
    /// as `STORAGE_REASON_ENUM_` is removed; a number is given as its name).
    #[serde(deserialize_with = "de_reason")]
    pub reason: String,
    /// Bytes stored, as a decimal string.
    #[serde(deserialize_with = "de_text")]
    pub bytes: String,
    /// What the merchant added; `Null` when absent.
    #[serde(alias = "additionalData")]
    pub additional_data: Value,
}

/// The Account Server's answer to a merchant's request to act
/// (`informaticsmatters.protobuf.accountserver.MerchantAuthorityRequestResponse`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MerchantAuthorityRequestResponse {
    #[serde(alias = "actionOperation")]
    #[allow(missing_docs)]
    pub action_operation: String,
    #[serde(alias = "actionValue", deserialize_with = "de_text")]
    #[allow(missing_docs)]
    pub action_value: String,
    #[serde(alias = "actionReferenceName")]
    #[allow(missing_docs)]
    pub action_reference_name: String,
    #[serde(alias = "actionReferenceId", deserialize_with = "de_text")]
    #[allow(missing_docs)]
    pub action_reference_id: String,
    /// `UNSPECIFIED`, `GRANTED` or `DENIED` (a protocol-buffer prefix removed; a number given
    /// as its name).
    #[serde(deserialize_with = "de_response")]
    pub response: String,
    #[serde(alias = "authorisationCode", deserialize_with = "de_int")]
    #[allow(missing_docs)]
    pub authorisation_code: i64,
    /// Why (for a denial).
    pub reason: String,
    #[allow(missing_docs)]
    pub user: String,
    #[allow(missing_docs)]
    pub product: String,
    #[allow(missing_docs)]
    pub unit: String,
    #[allow(missing_docs)]
    pub organisation: String,
}

/// An integer sent as a number or (protocol buffers' JSON for 64-bit integers) a string.
fn de_int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(0),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| serde::de::Error::custom(format!("{n} is not an integer"))),
        Value::String(s) if s.is_empty() => Ok(0),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not an integer"))),
        other => Err(serde::de::Error::custom(format!(
            "{other} is not an integer"
        ))),
    }
}

/// A decimal or text value sent as a string or a number.
fn de_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("{other} is not a value"))),
    }
}

/// An enum value as its short name.
fn enum_name(value: Value, prefixes: &[&str], names: &[&str]) -> Result<String, String> {
    match value {
        Value::Null => Ok(names[0].to_owned()),
        Value::Number(n) => n
            .as_u64()
            .and_then(|i| names.get(i as usize))
            .map(|s| (*s).to_owned())
            .ok_or_else(|| format!("{n} is not a known value")),
        Value::String(s) => {
            let short = prefixes
                .iter()
                .find_map(|p| s.strip_prefix(p))
                .unwrap_or(&s);
            Ok(short.to_owned())
        }
        other => Err(format!("{other} is not an enum value")),
    }
}

fn de_reason<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    enum_name(
        Value::deserialize(d)?,
        &["STORAGE_REASON_ENUM_", "STORAGE_REASON_"],
        &["UNSPECIFIED", "DATASET", "PROJECT"],
    )
    .map_err(serde::de::Error::custom)
}

fn de_response<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    enum_name(
        Value::deserialize(d)?,
        &[
            "AUTHORITY_RESPONSE_ENUM_",
            "AUTHORITY_RESPONSE_",
            "RESPONSE_",
        ],
        &["UNSPECIFIED", "GRANTED", "DENIED"],
    )
    .map_err(serde::de::Error::custom)
}

/// The typed body of a message type, if it is one of the three.
fn typed_body(message_type: &str, body: Value) -> EventBody {
    let short = message_type.rsplit('.').next().unwrap_or(message_type);
    let typed = match short {
        // From a reference: only the fields are copied, and the body is kept for a body
        // that does not fit.
        "MerchantProcessingCharge" => {
            MerchantProcessingCharge::deserialize(&body).map(EventBody::ProcessingCharge)
        }
        "MerchantStorageCharge" => {
            MerchantStorageCharge::deserialize(&body).map(EventBody::StorageCharge)
        }
        "MerchantAuthorityRequestResponse" => MerchantAuthorityRequestResponse::deserialize(&body)
            .map(EventBody::AuthorityRequestResponse),
        _ => return EventBody::Json(body),
    };
    typed.unwrap_or(EventBody::Json(body))
}

/// An integer field of a frame, sent as a number or a string.
fn frame_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads a text frame of either format.
pub(crate) fn parse_frame(text: &str) -> Result<EventMessage, String> {
    let text = text.trim();
    if text.starts_with('{') {
        let mut frame: Value = serde_json::from_str(text)
            .map_err(|e| format!("a JSON frame that is not JSON: {e}"))?;
        let int = |names: &[&str]| names.iter().find_map(|n| frame.get(*n).and_then(frame_int));
        let ordinal = int(&["ess_ordinal", "essOrdinal", "ess_offset"])
            .ok_or("a JSON frame without ess_ordinal")?;
        let timestamp = int(&["ess_timestamp", "essTimestamp"]).unwrap_or(0);
        let message_type = frame
            .get("message_type")
            .or_else(|| frame.get("messageType"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        // Taken out of the frame, not copied.
        let body = frame.as_object_mut().and_then(|frame| {
            frame
                .remove("message_body")
                .or_else(|| frame.remove("messageBody"))
        });
        let body = match body {
            // Some services send the body as a JSON text.
            Some(Value::String(s)) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
            Some(body) => body,
            None => Value::Null,
        };
        Ok(EventMessage {
            ordinal,
            timestamp,
            body: typed_body(&message_type, body),
            message_type,
        })
    } else {
        // TYPE|BODY|ordinal: N|timestamp: MS (the body may hold '|' in its strings).
        let mut tail = text.rsplitn(3, '|');
        let (Some(timestamp), Some(ordinal), Some(head)) = (tail.next(), tail.next(), tail.next())
        else {
            return Err("a text frame without ordinal and timestamp".into());
        };
        let number = |part: &str, names: &[&str]| {
            let (name, value) = part.split_once(':')?;
            names
                .contains(&name.trim())
                .then(|| value.trim().parse::<i64>().ok())
                .flatten()
        };
        let ordinal = number(ordinal, &["ordinal", "offset"])
            .ok_or("a text frame whose ordinal cannot be read")?;
        let timestamp = number(timestamp, &["timestamp"])
            .ok_or("a text frame whose timestamp cannot be read")?;
        let (message_type, body) = head.split_once('|').unwrap_or((head, ""));
        Ok(EventMessage {
            ordinal,
            timestamp,
            message_type: message_type.trim().to_owned(),
            body: EventBody::Text(body.trim().to_owned()),
        })
    }
}

/// A websocket address, taken apart.
struct Location {
    url: String,
    /// The location without its key, for messages.
    shown: String,
    tls: bool,
    host: String,
    port: u16,
}

impl Location {
    fn parse(url: &str) -> Result<Location, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or("the event stream's location is not a URL")?;
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "ws" => false,
            "wss" => true,
            other => {
                return Err(format!(
                    "the event stream's location is not a websocket (ws or wss) URL but {other}"
                ))
            }
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let authority = authority.rsplit('@').next().unwrap_or_default();
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or("the event stream's location has a malformed host")?;
            (host.to_owned(), after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host.to_owned(), Some(port)),
                None => (authority.to_owned(), None),
            }
        };
        if host.is_empty() {
            return Err("the event stream's location has no host".into());
        }
        let port = match port {
            Some(p) => p
                .parse()
                .map_err(|_| "the event stream's location has a malformed port")?,
            None if tls => 443,
            None => 80,
        };
        let scheme = if tls { "wss" } else { "ws" };
        Ok(Location {
            url: url.to_owned(),
            shown: format!("{scheme}://{host}:{port}/…"),
            tls,
            host,
            port,
        })
    }

    /// `host:port`, with an IPv6 address in brackets.
    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The location without its key (the stream's id), for messages.
    fn redacted(&self) -> &str {
        &self.shown
    }
}

/// A connection, plain or TLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.get_ref(),
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// Accepts every certificate (the client was told not to verify the Account Server's).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The TLS configuration for the Account Server's websockets: the client's roots and its
/// Account Server verification switch.
fn tls_config(client: &Client) -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let reach = client.reach();
    let verify = client.get_api_url(Api::As).1;
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS cannot be set up: {e}"))?;
    #[cfg(feature = "platform-roots")]
    if verify && reach.platform_roots {
        let verifier = rustls_platform_verifier::Verifier::new(provider)
            .map_err(|e| format!("the platform's trust store cannot be used: {e}"))?;
        let mut config = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        return Ok(Arc::new(config));
    }
    let mut config = if !verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(
            reach
                .trusted_certificates()
                .map(|der| rustls::pki_types::CertificateDer::from(der.to_vec())),
        );
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The proxy the websocket to `location` goes through: the client's (its builder's, or the
/// proxy variables', `NO_PROXY` honoured), as for its calls. An error for a proxy that
/// cannot tunnel a websocket here (SOCKS, HTTPS).
fn stream_proxy(client: &Client, location: &Location) -> Result<Option<ureq::Proxy>, Error> {
    let agent = client.agent(Api::As);
    let scheme = if location.tls { "https" } else { "http" };
    let proxy = match format!("{scheme}://{}/", location.authority()).parse() {
        Ok(uri) => proxy_for(agent, &uri),
        Err(_) => agent.config().proxy().cloned(),
    };
    let Some(proxy) = proxy else {
        return Ok(None);
    };
    match proxy.protocol() {
        ProxyProtocol::Http => Ok(Some(proxy)),
        other => Err(error(
            ErrorKind::Connect,
            format!(
                "{}: the event stream can only go through an HTTP proxy (CONNECT), not the {other:?} proxy {}",
                location.redacted(),
                shown_proxy(&proxy)
            ),
        )),
    }
}

/// A TCP connection to `host`:`port` by `deadline` (`what` names it in errors).
fn connect_tcp(host: &str, port: u16, deadline: Instant, what: &str) -> Result<TcpStream, Error> {
    let addresses = (host, port).to_socket_addrs().map_err(|e| {
        error(
            ErrorKind::Connect,
            format!("{what}: cannot resolve the host: {e}"),
        )
        .with_transient(true)
    })?;
    let mut last = None;
    for address in addresses {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            last = Some(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection timed out",
            ));
            break;
        }
        match TcpStream::connect_timeout(&address, left) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    let kind = match &last {
        Some(e) if e.kind() == io::ErrorKind::TimedOut => ErrorKind::Timeout,
        _ => ErrorKind::Connect,
    };
    let why = last.map_or("no address".to_string(), |e| e.to_string());
    Err(error(kind, format!("{what}: cannot connect: {why}")).with_transient(true))
}

/// The most of a proxy's answer to `CONNECT` read.
const MAX_PROXY_ANSWER: usize = 16 * 1024;

/// Asks the HTTP proxy at the other end of `tcp` for a tunnel to `location`, by `deadline`.
fn tunnel(
    tcp: &mut TcpStream,
    proxy: &ureq::Proxy,
    location: &Location,
    deadline: Instant,
) -> Result<(), (ErrorKind, String)> {
    let left = || Some(deadline.saturating_duration_since(Instant::now())).filter(|d| !d.is_zero());
    let failed = |e: io::Error| {
        if matches!(
            e.kind(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
        ) {
            (
                ErrorKind::Timeout,
                "the proxy did not answer in time".to_string(),
            )
        } else {
            (ErrorKind::Connect, format!("the tunnel failed: {e}"))
        }
    };
    let timed_out = || failed(io::Error::from(io::ErrorKind::TimedOut));
    let authority = location.authority();
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(user) = proxy.username() {
        let credentials = format!("{user}:{}", proxy.password().unwrap_or_default());
        request.push_str("Proxy-Authorization: Basic ");
        request.push_str(&crate::encoding::base64_encode(credentials.as_bytes()));
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    tcp.set_write_timeout(Some(left().ok_or_else(timed_out)?))
        .map_err(failed)?;
    tcp.write_all(request.as_bytes()).map_err(failed)?;
    // The answer's head, a byte at a time: nothing of the tunnel is read past it.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_PROXY_ANSWER {
            return Err((ErrorKind::Connect, "the proxy's answer is too long".into()));
        }
        tcp.set_read_timeout(Some(left().ok_or_else(timed_out)?))
            .map_err(failed)?;
        let mut byte = [0u8];
        match tcp.read(&mut byte) {
            Ok(0) => return Err((ErrorKind::Connect, "the proxy closed the connection".into())),
            Ok(_) => head.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(failed(e)),
        }
    }
    let status_line = String::from_utf8_lossy(&head);
    let status_line = status_line.lines().next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok());
    match status {
        Some(200..=299) => Ok(()),
        Some(407) => Err((
            ErrorKind::Connect,
            "the proxy wants credentials it was not given, or refused them (HTTP 407)".into(),
        )),
        Some(status) => Err((
            ErrorKind::Connect,
            format!("the proxy refused the tunnel (HTTP {status})"),
        )),
        None => Err((ErrorKind::Connect, "the proxy's answer is not HTTP".into())),
    }
}

/// Milliseconds since the Unix epoch, by this machine's clock.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

const FUNCTION: &str = "event_stream";

fn error(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind, message).with_function(FUNCTION)
}

/// Opens your event stream: checks that the Account Server has a websocket event-stream
/// service (`GET /event-stream/version`), gets your stream (`GET /event-stream`), creating it
/// in `options.format` when you have none (`POST /event-stream`), and connects to it.
///
/// # Errors
///
/// [`ErrorKind::NotConfigured`] when the service says event streaming is not installed (or is
/// not a websocket service); the failures of the calls above; [`ErrorKind::Connect`],
/// [`ErrorKind::Tls`], [`ErrorKind::Timeout`] or [`ErrorKind::Http`] when the websocket
/// cannot be opened.
pub fn open_event_stream(
    client: &Client,
    options: EventStreamOptions,
) -> Result<EventReader, Error> {
    let function = "event_stream::open_event_stream";
    let version = as_api::get_event_stream_version(client).untyped();
    if !version.success && version.http_status_code == 404 {
        return Err(Error::new(
            ErrorKind::NotConfigured,
            "the Account Server has no event-stream service installed (GET /event-stream/version answered 404)",
        )
        .with_function(function));
    }
    let version = version.into_result()?;
    let protocol = version
        .get("protocol")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !protocol.eq_ignore_ascii_case("WEBSOCKET") {
        return Err(Error::new(
            ErrorKind::NotConfigured,
            format!(
                "the Account Server's event streaming is not installed as a websocket service (protocol {protocol:?})"
            ),
        )
        .with_function(function));
    }
    let existing = as_api::get_event_stream(client).untyped();
    let stream = if !existing.success && existing.http_status_code == 404 {
        as_api::create_event_stream(client, options.format)
            .untyped()
            .into_result()?
    } else {
        existing.into_result()?
    };
    let location = stream
        .get("location")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::new(ErrorKind::Decode, "the event stream has no location")
                .with_function(function)
        })?;
    EventReader::connect(client, location, options)
}

/// Reads an event stream: an iterator of `Result<`[`Event`]`, `[`Error`]`>` (see the
/// [module documentation](self)). Dropping it closes the connection; [`close`](Self::close)
/// does so with the websocket's closing handshake.
pub struct EventReader {
    location: Location,
    tls: Option<Arc<rustls::ClientConfig>>,
    /// The HTTP proxy the websocket is tunnelled through.
    proxy: Option<ureq::Proxy>,
    options: EventStreamOptions,
    socket: Option<WebSocket<Conn>>,
    /// The last ordinal delivered.
    last_ordinal: Option<i64>,
    /// When the first connection was made (ms), to resume from before any event.
    first_connected: Option<i64>,
    /// A message held back while its gap is reported.
    pending: Option<EventMessage>,
    /// Reconnect tries since the last successful connection.
    tries: u32,
    finished: bool,
    /// When the last event arrived (or the connection was made): what `idle_timeout`
    /// counts from.
    last_activity: Instant,
    /// When anything last arrived (an event, a ping, a pong): what `ping_interval` counts
    /// from.
    last_heard: Instant,
    /// When the ping not yet answered was sent.
    ping_sent: Option<Instant>,
}

impl std::fmt::Debug for EventReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventReader")
            .field("location", &self.location.redacted())
            .field("connected", &self.socket.is_some())
            .field("last_ordinal", &self.last_ordinal)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl EventReader {
    /// Connects to the event stream at `location` (a `ws://` or `wss://` URL, as
    /// [`as_api::get_event_stream`] gives it), with the client's TLS settings.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidUrl`] for a location that is not a websocket URL;
    /// [`ErrorKind::Connect`], [`ErrorKind::Tls`], [`ErrorKind::Timeout`] or
    /// [`ErrorKind::Http`] when the websocket cannot be opened; [`ErrorKind::InvalidInput`]
    /// when the service refuses the replay parameter.
    pub fn connect(
        client: &Client,
        location: &str,
        options: EventStreamOptions,
    ) -> Result<EventReader, Error> {
        let location = Location::parse(location).map_err(|m| error(ErrorKind::InvalidUrl, m))?;
        let tls = if location.tls {
            Some(tls_config(client).map_err(|m| error(ErrorKind::Tls, m))?)
        } else {
            None
        };
        let proxy = stream_proxy(client, &location)?;
        let mut reader = EventReader {
            location,
            tls,
            proxy,
            options,
            socket: None,
            last_ordinal: None,
            first_connected: None,
            pending: None,
            tries: 0,
            finished: false,
            last_activity: Instant::now(),
            last_heard: Instant::now(),
            ping_sent: None,
        };
        reader.socket = Some(reader.open()?);
        Ok(reader)
    }

    /// The ordinal of the last message delivered (`None`: none yet). To carry on later, replay
    /// from the one after it.
    #[must_use]
    pub fn last_ordinal(&self) -> Option<i64> {
        self.last_ordinal
    }

    /// Closes the connection with the websocket's closing handshake (waiting for the service's
    /// answer at most 5 s).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Connect`] when the close could not be sent.
    pub fn close(mut self) -> Result<(), Error> {
        self.finished = true;
        let Some(mut socket) = self.socket.take() else {
            return Ok(());
        };
        let _ = socket
            .get_ref()
            .tcp()
            .set_read_timeout(Some(Duration::from_secs(5)));
        if let Err(e) = socket.close(None) {
            if !matches!(
                e,
                tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed
            ) {
                return Err(error(
                    ErrorKind::Connect,
                    format!("the event stream could not be closed: {e}"),
                ));
            }
        }
        // Read until the service's close frame (or the end), so the handshake completes.
        loop {
            match socket.read() {
                Ok(_) => continue,
                Err(_) => return Ok(()),
            }
        }
    }

    /// Where the next connection starts: after the last message delivered; before any, the
    /// replay asked for, or the time of the first connection.
    fn query(&self) -> String {
        let replay = match self.last_ordinal {
            Some(last) => Some(Replay::FromOrdinal(last + 1)),
            None => match (&self.options.replay, self.first_connected) {
                (Some(replay), _) => Some(replay.clone()),
                (None, Some(at)) => Some(Replay::FromTimestamp(at)),
                (None, None) => None,
            },
        };
        match replay {
            None => String::new(),
            Some(Replay::FromOrdinal(n)) => format!("stream_from_ordinal={n}"),
            Some(Replay::FromTimestamp(t)) => format!("stream_from_timestamp={t}"),
            Some(Replay::FromDatetime(d)) => {
                format!("stream_from_datetime={}", query_component(&d))
            }
        }
    }

    /// Opens one connection.
    fn open(&mut self) -> Result<WebSocket<Conn>, Error> {
        let where_ = self.location.redacted();
        let timeout = self.options.connect_timeout.max(Duration::from_millis(1));
        let deadline = Instant::now() + timeout;
        let tcp = match &self.proxy {
            None => connect_tcp(&self.location.host, self.location.port, deadline, where_)?,
            Some(proxy) => {
                let shown = format!("the proxy {}", shown_proxy(proxy));
                let mut tcp = connect_tcp(proxy.host(), proxy.port(), deadline, &shown)?;
                tunnel(&mut tcp, proxy, &self.location, deadline).map_err(|(kind, why)| {
                    error(kind, format!("{where_} through {shown}: {why}"))
                        .with_transient(kind == ErrorKind::Timeout)
                })?;
                tcp
            }
        };
        let _ = tcp.set_nodelay(true);
        let io = |e: io::Error| error(ErrorKind::Connect, format!("{where_}: {e}"));
        // The handshakes' reads and writes: what is left of the time-out.
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        tcp.set_read_timeout(Some(left)).map_err(io)?;
        tcp.set_write_timeout(Some(left)).map_err(io)?;
        let conn = match &self.tls {
            None => Conn::Plain(tcp),
            Some(config) => {
                let name = rustls::pki_types::ServerName::try_from(self.location.host.clone())
                    .map_err(|e| error(ErrorKind::InvalidUrl, format!("{where_}: {e}")))?;
                let connection = rustls::ClientConnection::new(config.clone(), name)
                    .map_err(|e| error(ErrorKind::Tls, format!("{where_}: {e}")))?;
                Conn::Tls(Box::new(rustls::StreamOwned::new(connection, tcp)))
            }
        };
        let query = self.query();
        let url = if query.is_empty() {
            self.location.url.clone()
        } else if self.location.url.contains('?') {
            format!("{}&{query}", self.location.url)
        } else {
            format!("{}?{query}", self.location.url)
        };
        let (socket, _) = tungstenite::client::client_with_config(url.as_str(), conn, None)
            .map_err(|e| handshake_error(where_, e))?;
        // Reads wait for the idle time-out or the ping interval, whichever is shorter (or for
        // ever); writes (pings, the closing handshake) for the connect time-out.
        let wait = [self.options.idle_timeout, self.options.ping_interval]
            .into_iter()
            .flatten()
            .filter(|d| !d.is_zero())
            .min();
        let tcp = socket.get_ref().tcp();
        tcp.set_read_timeout(wait).map_err(io)?;
        tcp.set_write_timeout(Some(timeout)).map_err(io)?;
        if self.first_connected.is_none() {
            self.first_connected = Some(now_ms());
        }
        self.last_activity = Instant::now();
        self.last_heard = self.last_activity;
        self.ping_sent = None;
        Ok(socket)
    }

    /// Connects again after a dropped connection, with backoff; an error when the tries are
    /// used up.
    fn reconnect(&mut self, why: String) -> Result<(), Error> {
        let mut why = why;
        loop {
            if self.tries >= self.options.max_reconnects {
                return Err(error(
                    ErrorKind::Connect,
                    format!(
                        "{}: the connection was lost and {} reconnect tries failed: {why}",
                        self.location.redacted(),
                        self.tries
                    ),
                )
                .with_transient(true));
            }
            let factor = 1u32.checked_shl(self.tries.min(31)).unwrap_or(u32::MAX);
            let pause = self
                .options
                .initial_backoff
                .saturating_mul(factor)
                .min(self.options.max_backoff);
            self.tries += 1;
            log::warn!(
                "{}: event stream connection lost ({why}); reconnecting in {pause:?} (try {} of {})",
                self.location.redacted(),
                self.tries,
                self.options.max_reconnects
            );
            std::thread::sleep(pause);
            match self.open() {
                Ok(socket) => {
                    self.socket = Some(socket);
                    self.tries = 0;
                    return Ok(());
                }
                // A refusal will not change with more tries.
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::InvalidInput | ErrorKind::Http | ErrorKind::Tls
                    ) =>
                {
                    return Err(e)
                }
                Err(e) => why = e.message().to_owned(),
            }
        }
    }

    /// Delivers a message, or the gap before it (holding the message back).
    fn deliver(&mut self, message: EventMessage) -> Option<Event> {
        // After the last one delivered; before any, the ordinal a replay asked for.
        let expected = self
            .last_ordinal
            .map(|l| l + 1)
            .or(match self.options.replay {
                Some(Replay::FromOrdinal(n)) if n > 0 => Some(n),
                _ => None,
            });
        if let Some(last) = self.last_ordinal {
            if message.ordinal <= last {
                // Already delivered (a replay overlapping what was read).
                return None;
            }
        }
        self.last_ordinal = Some(message.ordinal);
        match expected {
            Some(first) if message.ordinal > first => {
                let lost = LostEvents {
                    first,
                    last: message.ordinal - 1,
                };
                self.pending = Some(message);
                Some(Event::Lost(lost))
            }
            _ => Some(Event::Message(message)),
        }
    }

    /// The end of the stream with an error.
    fn finish(&mut self, e: Error) -> Option<Result<Event, Error>> {
        self.finished = true;
        self.socket = None;
        Some(Err(e))
    }
}

/// Why a websocket could not be opened.
fn handshake_error(
    where_: &str,
    e: tungstenite::HandshakeError<tungstenite::ClientHandshake<Conn>>,
) -> Error {
    match e {
        tungstenite::HandshakeError::Interrupted(_) => error(
            ErrorKind::Timeout,
            format!("{where_}: the websocket handshake timed out"),
        )
        .with_transient(true),
        tungstenite::HandshakeError::Failure(e) => socket_error(where_, e),
    }
}

/// A websocket failure as an error.
fn socket_error(where_: &str, e: tungstenite::Error) -> Error {
    match e {
        tungstenite::Error::Http(response) => {
            let status = response.status().as_u16();
            error(
                ErrorKind::Http,
                format!("{where_}: the websocket was refused with HTTP {status}"),
            )
            .with_status(status)
        }
        tungstenite::Error::Io(io)
            if matches!(
                io.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            error(ErrorKind::Timeout, format!("{where_}: timed out ({io})")).with_transient(true)
        }
        tungstenite::Error::Io(io) => {
            let tls = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .map(|t| t.to_string());
            match tls {
                Some(t) => error(ErrorKind::Tls, format!("{where_}: TLS error: {t}")),
                None => error(ErrorKind::Connect, format!("{where_}: {io}")).with_transient(true),
            }
        }
        tungstenite::Error::Tls(t) => error(ErrorKind::Tls, format!("{where_}: TLS error: {t}")),
        other => error(ErrorKind::Connect, format!("{where_}: {other}")).with_transient(true),
    }
}

/// What a close frame from the service means.
enum Closed {
    /// For good: an error to report, then the end.
    End(Error),
    /// Connect again.
    Retry(String),
}

fn closed(where_: &str, frame: Option<&CloseFrame>) -> Closed {
    let Some(frame) = frame else {
        return Closed::Retry("closed without a code".into());
    };
    let code = u16::from(frame.code);
    let reason = frame.reason.as_str();
    let said = if reason.is_empty() {
        format!("code {code}")
    } else {
        format!("code {code}: {reason:?}")
    };
    match frame.code {
        CloseCode::Normal => Closed::End(error(
            ErrorKind::Other,
            if reason.contains("deleted") {
                format!("{where_}: the event stream has been deleted ({said})")
            } else {
                format!(
                    "{where_}: the service closed the event stream ({said}): it does not know the stream, or another connection replaced this one"
                )
            },
        )),
        CloseCode::Protocol => Closed::End(error(
            ErrorKind::InvalidInput,
            format!("{where_}: the service refused the replay parameter ({said})"),
        )),
        CloseCode::Policy => Closed::End(error(
            ErrorKind::Other,
            format!("{where_}: the service closed the event stream ({said})"),
        )),
        _ => Closed::Retry(format!("closed with {said}")),
    }
}

impl Iterator for EventReader {
    type Item = Result<Event, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(message) = self.pending.take() {
            return Some(Ok(Event::Message(message)));
        }
        loop {
            if self.finished {
                return None;
            }
            let Some(socket) = self.socket.as_mut() else {
                let why = "not connected".to_string();
                if let Err(e) = self.reconnect(why) {
                    return self.finish(e);
                }
                continue;
            };
            let lost_because = match socket.read() {
                Ok(Message::Text(text)) => {
                    self.last_activity = Instant::now();
                    self.last_heard = self.last_activity;
                    self.ping_sent = None;
                    match parse_frame(text.as_str()) {
                        Ok(message) => match self.deliver(message) {
                            Some(event) => return Some(Ok(event)),
                            None => continue,
                        },
                        Err(why) => {
                            return Some(Err(error(
                                ErrorKind::Decode,
                                format!("{}: the service sent {why}", self.location.redacted()),
                            )))
                        }
                    }
                }
                Ok(Message::Close(frame)) => match closed(self.location.redacted(), frame.as_ref())
                {
                    Closed::End(e) => return self.finish(e),
                    Closed::Retry(why) => why,
                },
                // A ping (answered by the next read or write), a pong: the connection lives.
                Ok(_) => {
                    self.last_heard = Instant::now();
                    self.ping_sent = None;
                    continue;
                }
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    // Whether the connection lives first (a ping due, or one unanswered),
                    // then whether the caller hears of the idle time-out.
                    let interval = self.options.ping_interval.filter(|d| !d.is_zero());
                    let dead = match (interval, self.ping_sent) {
                        (Some(interval), Some(sent)) if sent.elapsed() >= interval => {
                            Some(format!("a ping got no answer in {interval:?}"))
                        }
                        (Some(interval), None) if self.last_heard.elapsed() >= interval => {
                            match socket.send(Message::Ping(Default::default())) {
                                Ok(()) => {
                                    self.ping_sent = Some(Instant::now());
                                    None
                                }
                                Err(e) => Some(
                                    socket_error(self.location.redacted(), e)
                                        .message()
                                        .to_owned(),
                                ),
                            }
                        }
                        _ => None,
                    };
                    if let Some(why) = dead {
                        why
                    } else {
                        if let Some(idle) = self.options.idle_timeout.filter(|d| !d.is_zero()) {
                            if self.last_activity.elapsed() >= idle {
                                self.last_activity = Instant::now();
                                return Some(Err(error(
                                    ErrorKind::Timeout,
                                    format!(
                                        "{}: no event arrived in {idle:?}",
                                        self.location.redacted()
                                    ),
                                )
                                .with_transient(true)));
                            }
                        }
                        continue;
                    }
                }
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    "the connection closed".to_string()
                }
                Err(e) => socket_error(self.location.redacted(), e)
                    .message()
                    .to_owned(),
            };
            self.socket = None;
            if let Err(e) = self.reconnect(lost_because) {
                return self.finish(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_frames_in_both_spellings() {
        let frame = r#"{"message_type": "accountserver.MerchantProcessingCharge",
            "message_body": {"merchantName": "DM", "merchant_id": "7", "coins": "1.25", "sqn": 2, "eoc": true},
            "ess_ordinal": 4, "ess_timestamp": 1746042171620}"#;
        let message = parse_frame(frame).unwrap();
        assert_eq!((message.ordinal, message.timestamp), (4, 1746042171620));
        let EventBody::ProcessingCharge(charge) = message.body else {
            panic!("{message:?}")
        };
        assert_eq!(charge.merchant_name, "DM");
        assert_eq!((charge.merchant_id, charge.sqn, charge.eoc), (7, 2, true));
        assert_eq!(charge.coins, "1.25");
        let storage = parse_frame(
            r#"{"message_type": "accountserver.MerchantStorageCharge", "message_body": {"reason": "STORAGE_REASON_ENUM_DATASET", "bytes": 12}, "ess_ordinal": 1, "ess_timestamp": 2}"#,
        )
        .unwrap();
        let EventBody::StorageCharge(storage) = storage.body else {
            panic!()
        };
        assert_eq!(
            (storage.reason.as_str(), storage.bytes.as_str()),
            ("DATASET", "12")
        );
        let other = parse_frame(
            r#"{"message_type": "x.Y", "message_body": {"a": 1}, "ess_ordinal": 1, "ess_timestamp": 2}"#,
        )
        .unwrap();
        assert_eq!(other.body, EventBody::Json(serde_json::json!({"a": 1})));
    }

    #[test]
    fn protocol_string_frames() {
        let message = parse_frame(
            r#"accountserver.MerchantProcessingCharge|name: "a|b" coins: "1.00"|ordinal: 2|timestamp: 1746042171620"#,
        )
        .unwrap();
        assert_eq!(
            message.message_type,
            "accountserver.MerchantProcessingCharge"
        );
        assert_eq!(
            message.body,
            EventBody::Text(r#"name: "a|b" coins: "1.00""#.into())
        );
        assert_eq!((message.ordinal, message.timestamp), (2, 1746042171620));
        assert!(parse_frame("garbage").is_err());
    }

    #[test]
    fn locations() {
        let l = Location::parse("wss://example.com/event-stream/abc").unwrap();
        assert_eq!((l.tls, l.host.as_str(), l.port), (true, "example.com", 443));
        assert!(!l.redacted().contains("abc"));
        let l = Location::parse("ws://[::1]:8080/event-stream/abc").unwrap();
        assert_eq!((l.host.as_str(), l.port), ("::1", 8080));
        assert!(Location::parse("http://example.com/x").is_err());
    }
}
