//! # squonk2
//!
//! A blocking Rust SDK for [Informatics Matters](https://www.informaticsmatters.com)' Squonk2
//! platform: its Keycloak login, its **Data Manager** API (projects, files, datasets, jobs,
//! instances, tasks, workflows) and its **Account Server** API (organisations, units,
//! products, assets, charges).
//!
//! It is the Rust counterpart of the Python package `im-squonk2-client`: every public call of
//! that package has a function here with the same name that sends the same request and
//! returns the same kind of result, an [`ApiRv`]. Where the Python package is wrong, this
//! crate is right: values are encoded, big files are streamed, nothing panics, and a failed
//! call says why.
//!
//! ## A first call
//!
//! ```no_run
//! use squonk2::{dm_api, Client};
//!
//! # fn main() -> Result<(), squonk2::Error> {
//! let client = Client::builder()
//!     .dm_api_url("https://squonk.example.com/data-manager-api")
//!     .keycloak("https://squonk.example.com/auth", "squonk2")
//!     .dm_client_id("data-manager-api")
//!     .credentials("alice", "her-password")
//!     .build()?;
//!
//! // `typed()` gives the answer as its model (here a `ProjectDetail`), or a `squonk2::Error`.
//! let project = dm_api::get_project(&client, "project-123").typed()?;
//! println!("{} has {} editors", project.name, project.editors.len());
//!
//! // Every function returns an ApiRv { success, msg, http_status_code }, as in Python ...
//! let rv = dm_api::get_version(&client);
//! println!("{} {}", rv.success, rv.msg);
//!
//! // ... and `into_result()` gives the answer as JSON.
//! let namespace = dm_api::ping(&client).into_result()?;
//! println!("the AS namespace is {}", namespace["namespace"]);
//! # Ok(())
//! # }
//! ```
//!
//! ## Typed answers
//!
//! An endpoint function's return type says what its success holds: `ApiRv<T>`, where `T` is
//! a type of [`dm_api::models`] or [`as_api::models`] (generated from the official API
//! packages and named as they name them), or [`NoContent`] for a call whose success has no
//! answer. [`ApiRv::typed`] decodes it; [`ApiRv::parse`] decodes into a type of your own.
//! A field the API marks optional is an `Option`; an enumerated string is an enum that keeps
//! a value it does not know as `Unknown` ([`UnknownValue`]); fields it does not know are
//! ignored; integers are `i64`, and a whole-number float such as `3.0` decodes into one. So
//! a newer server does not break a decode, and the models are `#[non_exhaustive]`: a later
//! release may add fields and values. An answer that does not fit gives an
//! [`ErrorKind::Decode`] error naming the call and the field: `dm_api::get_project: the
//! answer does not fit ProjectDetail: msg.created: invalid type: null, expected a string
//! [GET /project/{project_id}]`. Jobs are started with a [`dm_api::JobSpecification`] or a
//! JSON value.
//!
//! ## Options
//!
//! Where a Python method has optional arguments, the function takes an options struct
//! (`GetAvailableProjectsOptions`, ...) whose fields are public and which implements
//! `Default`. Write it as a struct literal that names the fields you set and ends in
//! `..Default::default()`: a later release may add fields (a new optional argument), and
//! code written this way keeps compiling. The same holds for [`dm_api::WaitOptions`] and
//! [`RetryPolicy`].
//!
//! ```no_run
//! # fn main() -> Result<(), squonk2::Error> {
//! use squonk2::dm_api::{self, GetAvailableProjectsOptions};
//!
//! let client = squonk2::Client::from_env()?;
//! let opts = GetAvailableProjectsOptions {
//!     project_name: Some("my project".into()),
//!     ..Default::default()
//! };
//! let projects = dm_api::get_available_projects(&client, &opts).typed()?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Errors
//!
//! One error type, [`Error`], comes from every fallible function: a failed call
//! ([`ApiRv::typed`], [`ApiRv::into_result`]), a client that cannot be built, the
//! environments file, a Keycloak login. It says why ([`Error::kind`], an [`ErrorKind`]),
//! the HTTP status, the function and request that failed, whether the failure may pass by
//! itself ([`Error::is_transient`]), the server's own text, and for an answer that does not
//! fit, the field. It is `Send + Sync + 'static`, so `?` works into `anyhow::Result` and
//! `Box<dyn std::error::Error>`.
//!
//! ## Differences from the Python client
//!
//! Every function sends what the Python client sends, except in the places listed in
//! [`python_differences`] (cited in these docs as D1, D2, ...), where the Python client is
//! wrong or disagrees with the official API.
//!
//! ## Configuration
//!
//! A [`Client`] is built with [`Client::builder`], from the Python client's environment
//! variables with [`Client::from_env`], or from an environments file entry with
//! `Client::from_environment` (feature `environment`, on by default). With credentials the
//! client logs in to Keycloak when it first needs a token, caches the token per Keycloak
//! client id and renews it (refresh grant, else a new login) when less than a minute remains
//! (half its lifetime, for tokens shorter than two minutes).
//!
//! - **Token lifetimes** ([D23](python_differences)): a token lives for the `expires_in`
//!   Keycloak gave it, counted on this machine's monotonic clock from when Keycloak's answer
//!   arrived, and its refresh token for `refresh_expires_in` likewise. The token's own `exp`
//!   claim is read only when the answer has no `expires_in`. So a clock minutes ahead of or
//!   behind Keycloak's neither makes a login per call nor sends tokens the services already
//!   consider expired. ([`auth::get_access_token`]'s `prior_token` has no `expires_in`: it
//!   is judged by its `exp` against this machine's clock.)
//! - **A 401** ([D22](python_differences)): when the DM, AS or UI answers 401 to a token
//!   this crate got from Keycloak (a session ended on the server, a token it considers
//!   expired), the cached token is dropped, renewed once (refresh grant, else a new login)
//!   and the request sent once more, whatever its method: a 401 means nothing was done. A
//!   second 401 is the answer. A fixed token ([`ClientBuilder::access_token`]) is never
//!   renewed. An upload streamed from a file is not sent twice: it fails with the 401 and
//!   says so, and the next call has a new token.
//!
//! | variable | meaning |
//! |---|---|
//! | `SQUONK2_DMAPI_URL`, `SQUONK2_ASAPI_URL`, `SQUONK2_UIAPI_URL` | the API base URLs |
//! | `SQUONK2_DMAPI_VERIFY_SSL_CERT` (and `ASAPI`, `UIAPI`) | `yes`, `true`, `1`, `on` (any case) verify certificates; `no`, `false`, `0`, `off` don't; unset verifies; anything else verifies and is a `warn` record ([D21](python_differences): the Python client turns verification off for anything but `yes`) |
//! | `SQUONK2_API_DEBUG_REQUESTS` | `yes` prints each request's method, URL, status and duration to stderr, tokens redacted |
//! | `SQUONK2_ENVIRONMENTS_FILE` | the environments file (default `~/.squonk2/environments`) |
//! | `SQUONK2_CA_BUNDLE` | (this crate only) a PEM file of CA certificates to trust besides the bundled web roots |
//! | `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` | the proxy requests go through (the first set of the three), and the hosts reached directly |
//!
//! ## Results and errors
//!
//! Endpoint functions never panic. Bad input (an empty id, `.` or `..` as a path value, a
//! local file that is not a readable regular file) fails before anything is sent, with
//! `http_status_code` 0 and an `error` naming the problem. A server error keeps the server's
//! own error text: `"Failed to get project (HTTP 404: No such project)"`. No answer at all
//! says why: `"... (connection refused)"`, `"... (timed out after 4 s waiting for the
//! server)"`. Every failure also has an [`ErrorKind`] ([`ApiRv::error_kind`],
//! [`Error::kind`]) to match on.
//!
//! Secrets (passwords, tokens, client secrets) never appear in error texts, the debug log,
//! or the `Debug` output of this crate's own types: [`Client`], [`ClientBuilder`], the
//! options structs, [`Error`], and [`ApiRv`] (whose `Debug` shows a string under a key that
//! names a token, password or secret as `***`). A typed answer is plain data: the model of
//! an answer that holds a token (`dm_api::get_api_token`'s
//! [`UserApiTokenGetResponse`](dm_api::models::UserApiTokenGetResponse)) shows it in its
//! `Debug` output, as `msg` does when printed.
//!
//! ## Retries, time-outs, TLS and proxies
//!
//! - **Time-outs**: each call has the Python client's default (4 s, 12 s for listings and file
//!   transfers), or the client's ([`ClientBuilder::timeout`], [`Client::with_timeout`]). A
//!   call that is not a file transfer ends within its time-out: a Keycloak login it needs,
//!   every attempt and the pauses between them included ([D20](python_differences)); a
//!   failed time-out says how many attempts were made and how long they took. A file
//!   transfer fails only when nothing moves for that long, unless it is given a deadline of
//!   its own (which then bounds its attempts too).
//! - **Retries**: a `GET` or `HEAD` that got no answer, or a 429, 502, 503 or 504, is tried
//!   again twice with a growing pause, honouring `Retry-After`, as long as the pause ends
//!   within the call's time-out; `POST`, `PUT`, `PATCH` and `DELETE` never are. An answer
//!   that breaks HTTP (a redirect loop, a malformed answer: [`ErrorKind::BadResponse`]) is
//!   not retried. [`RetryPolicy`] changes this ([`RetryPolicy::none`] turns it off;
//!   [`RetryPolicy::attempt_timeout`] bounds each attempt, leaving time to retry a server
//!   that hangs once).
//! - **TLS**: certificates are verified against the Mozilla roots bundled with the crate.
//!   Behind a corporate or self-signed CA, trust it instead of turning verification off:
//!   [`ClientBuilder::add_root_certificate_pem`], or `SQUONK2_CA_BUNDLE` with
//!   [`Client::from_env`]; `ClientBuilder::platform_roots` (feature `platform-roots`, off by
//!   default) uses the operating system's store. This applies to every API and to Keycloak.
//!   An untrusted certificate is an [`ErrorKind::Tls`] failure that says so. A client that
//!   does not verify an API's (or Keycloak's) certificates says so in a `warn` record, once,
//!   at its first request there.
//! - **Proxies**: `ALL_PROXY`, `HTTPS_PROXY` or `HTTP_PROXY` (the first set, for every URL)
//!   and `NO_PROXY` are honoured; [`ClientBuilder::proxy`] sets one proxy and
//!   [`ClientBuilder::no_proxy`] ignores the variables. A failure through a proxy names the
//!   proxy, its password redacted.
//! - **Logging**: every request is a `debug` record of the [`log`](https://docs.rs/log)
//!   facade (target `squonk2`: method, URL with secrets redacted, status, duration, attempt);
//!   retries, requests sent again after a 401, failed token renewals and turned-off
//!   certificate verification are `warn` records. ureq's own `trace` records dump
//!   the bytes on the wire, secrets included: keep the `ureq` and `ureq_proto` targets at
//!   `debug` or above.
//!
//! ## Live events
//!
//! With the feature `event-stream` (off by default), `squonk2::event_stream` reads your Account
//! Server event stream as it happens: charges with typed bodies, replay from an ordinal or a
//! time, reconnects that lose and repeat nothing, and lost events reported. It is blocking
//! too, on a websocket client (`tungstenite`) that needs no async runtime.
//!
//! ## Using squonk2 from async code
//!
//! Every call blocks the thread it runs on until the answer has arrived (or the time-out has
//! passed), so in async code run it where blocking is allowed, e.g. with tokio's
//! `spawn_blocking`. A [`Client`] is cheap to clone and `Send + Sync`: move a clone into the
//! closure, and its clones share one connection pool and one token cache.
//!
//! ```ignore
//! let client = client.clone();
//! let version = tokio::task::spawn_blocking(move || dm_api::get_version(&client))
//!     .await?
//!     .into_result()?;
//! ```
//!
//! Blocking calls in an async task (without `spawn_blocking`) stall every other task on that
//! worker thread for as long as the call takes.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api_rv;
pub mod as_api;
pub mod auth;
mod client;
pub mod dm_api;
mod encoding;
#[cfg(feature = "environment")]
#[cfg_attr(docsrs, doc(cfg(feature = "environment")))]
pub mod environment;
mod error;
#[cfg(feature = "event-stream")]
#[cfg_attr(docsrs, doc(cfg(feature = "event-stream")))]
pub mod event_stream;
mod model_support;
mod request;
mod token;
mod transport;
pub mod ui_api;

/// Sealing: public traits that only this crate implements.
mod sealed {
    /// A supertrait users cannot name, so they cannot implement the public trait.
    pub trait Sealed {}
}

#[doc = include_str!("../docs/deviations.md")]
pub mod python_differences {}

pub use api_rv::{ApiRv, AsApiRv, DmApiRv, NoContent};
pub use client::{Client, ClientBuilder};
pub use error::{Error, ErrorKind};
pub use model_support::UnknownValue;
pub use request::{Progress, RetryPolicy};
