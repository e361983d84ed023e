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
//! # fn main() -> anyhow::Result<()> {
//! let client = Client::builder()
//!     .dm_api_url("https://squonk.example.com/data-manager-api")
//!     .keycloak("https://squonk.example.com/auth", "squonk2")
//!     .dm_client_id("data-manager-api")
//!     .credentials("alice", "her-password")
//!     .build()?;
//!
//! // Every function returns an ApiRv { success, msg, http_status_code } ...
//! let rv = dm_api::get_version(&client);
//! println!("{} {}", rv.success, rv.msg);
//!
//! // ... which `into_result()` turns into a Result for `?` ...
//! let namespace = dm_api::ping(&client).into_result()?;
//! println!("the AS namespace is {}", namespace["namespace"]);
//!
//! // ... and `parse()` into the answer's typed model.
//! let project: dm_api::models::ProjectDetail =
//!     dm_api::get_project(&client, "project-123").parse()?;
//! println!("{} has {} editors", project.name, project.editors.len());
//! # Ok(())
//! # }
//! ```
//!
//! ## Typed answers
//!
//! [`dm_api::models`] and [`as_api::models`] hold a Rust type for every type a success answer
//! of the official APIs can contain, generated from the official client packages and named as
//! they name them (each endpoint's documentation says which). [`ApiRv::parse`] decodes
//! `msg` into one; a field the API marks optional is an `Option`, an enumerated string an
//! enum that keeps values it does not know, and fields it does not know are ignored, so a
//! newer server does not break a decode. An answer that does not fit gives a [`ParseError`]
//! naming the call and the field: `GET /project/{project_id}: msg.created: invalid type:
//! null, expected a string`. Jobs are started with a [`dm_api::JobSpecification`] or a JSON
//! value.
//!
//! ## Configuration
//!
//! A [`Client`] is built with [`Client::builder`], from the Python client's environment
//! variables with [`Client::from_env`], or from an environments file entry with
//! `Client::from_environment` (feature `environment`, on by default). With credentials the
//! client logs in to Keycloak when it first needs a token, caches the token per Keycloak
//! client id and renews it (refresh grant, else a new login) when less than a minute remains.
//!
//! | variable | meaning |
//! |---|---|
//! | `SQUONK2_DMAPI_URL`, `SQUONK2_ASAPI_URL`, `SQUONK2_UIAPI_URL` | the API base URLs |
//! | `SQUONK2_DMAPI_VERIFY_SSL_CERT` (and `ASAPI`, `UIAPI`) | certificates are verified unless set to something other than `yes` |
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
//! [`ApiError::kind`]) to match on. Secrets (passwords, tokens, client secrets) never appear
//! in `Debug` output, error texts or the debug log.
//!
//! ## Retries, time-outs, TLS and proxies
//!
//! - **Time-outs**: each call has the Python client's default (4 s, 12 s for listings and file
//!   transfers), or the client's ([`ClientBuilder::timeout`], [`Client::with_timeout`]). A
//!   call that is not a file transfer ends within its time-out, a Keycloak login it needs
//!   included; a file transfer fails only when nothing moves for that long, unless it is given
//!   a deadline of its own.
//! - **Retries**: a `GET` or `HEAD` that got no answer, or a 429, 502, 503 or 504, is tried
//!   again twice with a growing pause, honouring `Retry-After`; `POST`, `PUT`, `PATCH` and
//!   `DELETE` never are. [`RetryPolicy`] changes this ([`RetryPolicy::none`] turns it off).
//! - **TLS**: certificates are verified against the Mozilla roots bundled with the crate.
//!   Behind a corporate or self-signed CA, trust it instead of turning verification off:
//!   [`ClientBuilder::add_root_certificate_pem`], or `SQUONK2_CA_BUNDLE` with
//!   [`Client::from_env`]; [`ClientBuilder::platform_roots`] uses the operating system's
//!   store. This applies to every API and to Keycloak. An untrusted certificate is an
//!   [`ErrorKind::Tls`] failure that says so.
//! - **Proxies**: `ALL_PROXY`, `HTTPS_PROXY` or `HTTP_PROXY` (the first set, for every URL)
//!   and `NO_PROXY` are honoured; [`ClientBuilder::proxy`] sets one proxy and
//!   [`ClientBuilder::no_proxy`] ignores the variables. A failure through a proxy names the
//!   proxy, its password redacted.
//! - **Logging**: every request is a `debug` record of the [`log`](https://docs.rs/log)
//!   facade (target `squonk2`: method, URL with secrets redacted, status, duration, attempt);
//!   retries and failed token renewals are `warn` records. ureq's own `trace` records dump
//!   the bytes on the wire, secrets included: keep the `ureq` and `ureq_proto` targets at
//!   `debug` or above.
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
mod model_support;
mod request;
mod token;
mod transport;
pub mod ui_api;

pub use api_rv::{ApiRv, AsApiRv, DmApiRv, NoContent};
pub use client::{Client, ClientBuilder};
pub use error::{Error, ErrorKind};
pub use model_support::UnknownValue;
pub use request::{Progress, RetryPolicy};
