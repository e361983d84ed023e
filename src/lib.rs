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
//!
//! ## Results and errors
//!
//! Endpoint functions never panic. Bad input (an empty id, a missing local file) fails before
//! anything is sent, with `http_status_code` 0 and an `error` naming the problem. A server
//! error keeps the server's own error text: `"Failed to get project (HTTP 404: No such
//! project)"`. No answer at all says why: `"... (connection refused)"`,
//! `"... (timed out after 4 s waiting for the server)"`. Secrets (passwords, tokens, client
//! secrets) never appear in `Debug` output, error texts or the debug log.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod api_rv;
pub mod as_api;
pub mod auth;
mod client;
pub mod dm_api;
mod encoding;
#[cfg(feature = "environment")]
pub mod environment;
mod parse;
mod request;
mod token;
pub mod ui_api;

pub use api_rv::{ApiError, ApiRv, AsApiRv, DmApiRv};
pub use client::{Client, ClientBuilder};
pub use parse::ParseError;
pub use request::Progress;
