//! A local stand-in for a whole Squonk2 deployment, for testing clients.
//!
//! Install the program with `cargo install squonk2-sandbox`, or add the crate as a
//! dev-dependency and start a [`Sandbox`] in each test. Where it differs from a real
//! deployment is listed in
//! `FIDELITY.md` (beside its README).
//!
//! One [`Sandbox`] serves, on one port of 127.0.0.1 and at a real deployment's paths:
//!
//! | Service | Path | URL method |
//! |---|---|---|
//! | Keycloak, realm [`REALM`] | `/auth` | [`Sandbox::keycloak_url`] |
//! | Data Manager API | `/data-manager-api` | [`Sandbox::dm_api_url`] |
//! | Account Server API | `/account-server-api` | [`Sandbox::as_api_url`] |
//! | Data Manager UI API | `/data-manager-ui/api` | [`Sandbox::ui_api_url`] |
//!
//! Clients talk real HTTP (or HTTPS) to it: they log in with the password
//! grant, get RS256-signed JWTs, and call the APIs with `Authorization: Bearer`.
//! Tests can then look at exactly what the client sent ([`Sandbox::requests`])
//! and make the server misbehave ([`Sandbox::add_fault`]).
//!
//! ```
//! use squonk2_sandbox::{Sandbox, DM_CLIENT_ID, REALM};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::start()?; // a free port, plain HTTP
//! let agent: ureq::Agent = ureq::Agent::config_builder()
//!     .http_status_as_error(false)
//!     .build()
//!     .into();
//!
//! // Log in as a user the sandbox knows (see `Sandbox::users`).
//! let url = format!("{}/realms/{REALM}/protocol/openid-connect/token", sandbox.keycloak_url());
//! let reply = agent
//!     .post(&url)
//!     .send_form([
//!         ("grant_type", "password"),
//!         ("client_id", DM_CLIENT_ID),
//!         ("username", "alice"),
//!         ("password", "alice-password"),
//!     ])?
//!     .into_body()
//!     .read_to_string()?;
//! let reply: serde_json::Value = serde_json::from_str(&reply)?;
//! let token = reply["access_token"].as_str().ok_or("no token")?;
//!
//! // Call the Data Manager with it.
//! let mut response = agent
//!     .get(format!("{}/account-server/namespace", sandbox.dm_api_url()))
//!     .header("Authorization", format!("Bearer {token}"))
//!     .call()?;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.body_mut().read_to_string()?, r#"{"namespace":"squonk2-sandbox"}"#);
//!
//! // Everything sent to the APIs is in the request log.
//! let log = sandbox.requests();
//! assert_eq!(log[0].body.form_value("username"), Some("alice"));
//! assert_eq!(log[1].header("authorization"), Some(format!("Bearer {token}").as_str()));
//! # Ok(())
//! # }
//! ```
//!
//! # Users and clients
//!
//! Keycloak accepts `dmit-admin` / `dmit-admin-password` (admin-capable),
//! `alice` / `alice-password` and `bob` / `bob-password`; add more with
//! [`Sandbox::add_user`]. The clients [`DM_CLIENT_ID`] and [`AS_CLIENT_ID`]
//! are public unless given a secret with [`Sandbox::set_client_secret`]. The
//! Data Manager only accepts tokens issued to [`DM_CLIENT_ID`], the Account
//! Server only those issued to [`AS_CLIENT_ID`]. Tokens for tests that need no
//! login come from [`Sandbox::issue_token`].
//!
//! Every Data Manager and Account Server path, unknown ones included, answers
//! 401 `{"error": "..."}` without a valid token, except the open paths: DM
//! `/version`, `/mode`, `/job-definition-schema/version`,
//! `/workflow-engine/version`, `/input-handler`, `/instance/{id}/token/{token}`
//! and `/project/{id}/file-with-token`; AS `/version` and
//! `/event-stream/version`. Keycloak and the UI API need no token. Unknown
//! paths answer 404 `{"error": "Not found: METHOD PATH"}`.
//!
//! # The Data Manager
//!
//! The Data Manager keeps state like a real one, and answers with the official response
//! types:
//!
//! - **Projects** with a creator, administrators, editors and observers, a private flag and
//!   an Account Server product (`product-11111111-1111-1111-1111-111111111111`, the test
//!   product, always works). Members may see a private project, editors change its files
//!   and run Jobs in it, administrators manage it; others get a 403. A user with the admin
//!   role who switches admin mode on (`PATCH /user/account`) may do everything, and may
//!   impersonate other users.
//! - **Files** on disk, one directory per project below [`Sandbox::data_dir`] (a fresh
//!   temporary directory removed on drop, unless [`SandboxBuilder::data_dir`] names one).
//!   Uploads and downloads stream in constant memory; files can be listed, moved, deleted
//!   and made immutable ([`Sandbox::set_file_immutable`]); [`Sandbox::project_dir`] says
//!   where a project's files are.
//! - **Jobs**: `im-test` `nop`, `event-test` (emits task events), `coin-test` (fails on
//!   `tails`), `copy-file` (copies `inputFile` to `outputFile`), and `rdkit`
//!   `rdkit-molprops` with the real Job's variables. No container runs: a Job the sandbox
//!   cannot run writes outputs that say they came from the sandbox.
//! - **Instances** go PENDING → RUNNING → COMPLETED (or FAILED) over the job duration
//!   (2 s; [`SandboxBuilder::job_duration`], [`Sandbox::set_job_duration`]), each with a
//!   task whose events and states are ordered, and a hidden `.instance-<id>` directory in
//!   the project that deleting the instance removes. Options are checked against their
//!   declared type, `enum`, `minimum` and `maximum` at launch. [`Sandbox::fail_job`] makes a
//!   Job fail; [`Sandbox::script_job`] ([`InstanceScript`]) makes its instances go through
//!   any official phases ([`InstancePhase`]) and end in any of them, with events and a
//!   message; [`Sandbox::set_instance_phase`] changes one instance now.
//!   Callback tokens give access to a project's files until revoked.
//! - Exchange rates (listed for the Jobs that have one, or with `only_undefined` for those
//!   that have none; set by admins), the user account, the API log (every call but GETs)
//!   and the API token.
//! - **Datasets**, uploaded or made from project files: each version goes COPYING →
//!   FORMATTING → LOADING → DONE over the Dataset duration (1 s;
//!   [`Sandbox::set_dataset_duration`]) in a task; the "formatter" hashes it (for
//!   `/digest/dataset/{sha256}`), refuses empty files and SD files without a molecule, and
//!   notes an SD file's properties (its schema). Versions, editors, metadata (description,
//!   labels, annotations), downloads, deletion, and attaching to projects (`POST /file`).
//! - **Workflows**: YAML definitions (`kind: DataManagerWorkflow`, steps of catalogue Jobs,
//!   inputs from run variables or earlier steps' outputs) checked when created, versions,
//!   and runs whose steps are instances launched one after the other; runs can be stopped.
//! - **Applications**: the Job operator and the Jupyter notebook operator (listed only).
//! - **Admin** (the admin role is enough, admin mode need not be on): service errors ([`Sandbox::add_service_error`]), user
//!   accounts (a suspended user gets 403 everywhere), and Job manifests, loaded from what
//!   [`Sandbox::add_web_file`] registers (the sandbox never goes to the network) or from
//!   [`Sandbox::builtin_job_manifest_url`]; their Jobs join the catalogue.
//!
//! ```
//! use std::time::Duration;
//! use squonk2_sandbox::Sandbox;
//!
//! # fn main() -> Result<(), squonk2_sandbox::Error> {
//! let sandbox = Sandbox::builder().job_duration(Duration::from_millis(100)).start()?;
//! sandbox.fail_job("im-test", "coin-test", "the coin fell in a drain");
//! assert!(sandbox.data_dir().is_dir());
//! # Ok(())
//! # }
//! ```
//!
//! # Starting state and fixtures
//!
//! Besides the users, every sandbox starts with an Account Server organisation for `alice`
//! (owner) and `bob` (member): [`SANDBOX_ORG_ID`], its unit [`SANDBOX_UNIT_ID`], a BRONZE
//! project-tier product [`SANDBOX_TIER_PRODUCT_ID`] (make projects on it) and a storage
//! product [`SANDBOX_STORAGE_PRODUCT_ID`]. [`SandboxBuilder::fixture`] (the binary's
//! `--fixture FILE`) preloads more from YAML: users, organisations, units, products,
//! projects and their files; the format is in the crate's `FIXTURES.md`.
//!
//! ```
//! use squonk2_sandbox::{Sandbox, SANDBOX_ORG_ID};
//!
//! # fn main() -> Result<(), squonk2_sandbox::Error> {
//! let yaml = "projects:\n  - {name: shared, creator: alice, editors: [bob]}\n";
//! let sandbox = Sandbox::builder().fixture_yaml(yaml).start()?;
//! assert!(sandbox.organisations_summary().contains(SANDBOX_ORG_ID));
//! # Ok(())
//! # }
//! ```
//!
//! # Fidelity
//!
//! Answers have the official types' fields exactly; of the optional fields, the sandbox
//! sends those a real deployment sends where it can know them, and writes timestamps as the
//! real services do (naive UTC, `2026-12-01T20:09:51.813613`). The crate's `FIDELITY.md`
//! lists the optional fields it leaves out, and why.
//!
//! # Time
//!
//! The sandbox has one clock that tests control ([`Sandbox::advance_clock`],
//! [`Sandbox::set_clock`], [`Sandbox::stop_clock`], [`SandboxBuilder::clock_stopped`]):
//! token expiry, instance phases, task events, Dataset stages and the Account Server's
//! "today" follow it, so no test needs to sleep.
//!
//! ```
//! use std::time::Duration;
//! use squonk2_sandbox::{Sandbox, DM_CLIENT_ID};
//!
//! # fn main() -> Result<(), squonk2_sandbox::Error> {
//! let sandbox = Sandbox::builder().clock_stopped(true).start()?;
//! let token = sandbox.issue_token("alice", DM_CLIENT_ID, Duration::from_secs(60));
//! sandbox.advance_clock(Duration::from_secs(61)); // `token` has now expired
//! # let _ = token;
//! # Ok(())
//! # }
//! ```
//!
//! # Faults
//!
//! [`FaultRule`]s make matching requests (a path pattern with `*` and `**` segments, and
//! optionally a method, query parameters and the body) slow, fail, hang, drip, lose their
//! connection or get a truncated body; [`Sandbox::faults`] and [`Sandbox::fault_hits`] say
//! how often each applied:
//!
//! ```no_run
//! use std::time::Duration;
//! use squonk2_sandbox::{Fault, FaultRule, Sandbox};
//!
//! let sandbox = Sandbox::start()?;
//! sandbox.add_fault(FaultRule::new("/data-manager-api/version", Fault::error(503, "busy")).times(2));
//! sandbox.add_fault(FaultRule::new("/account-server-api/version", Fault::Delay(Duration::from_secs(2))));
//! # Ok::<(), squonk2_sandbox::Error>(())
//! ```
//!
//! # Control endpoints
//!
//! Every control of a [`Sandbox`] has an HTTP twin under `/_sandbox/`, for scripts run
//! against the `squonk2-sandbox` binary (`--help` lists its options); the README has the
//! table. Among them:
//!
//! - `GET /_sandbox/requests` (the log as JSON; `?since=ID`), `DELETE /_sandbox/requests`;
//! - `POST /_sandbox/faults` with `{"path", "kind": "delay" | "respond" | "drip" | "hang"
//!   | "drop" | "truncate", "method"?, "query"?, "body_contains"?, "body_json"?,
//!   "delay_ms"?, "status"?, "content_type"?, "headers"?, "body"?, "interval_ms"?,
//!   "declared_length"?, "times"?}`, `GET` and `DELETE /_sandbox/faults` (and
//!   `/_sandbox/faults/{id}`);
//! - `POST /_sandbox/clock/advance`, `PUT /_sandbox/clock`, `POST /_sandbox/tokens`,
//!   `POST /_sandbox/users`, `PATCH /_sandbox/settings`, `POST /_sandbox/job-scripts`,
//!   `PUT /_sandbox/instances/{id}/phase`, ...;
//! - `POST` or `PUT /_sandbox/echo`: reads the body as a stream and answers
//!   `{"length", "sha256", "content_type", "parts": [{"name", "filename",
//!   "content_type", "length", "sha256"}]}` (`parts`, the first 64, is empty unless the body
//!   is `multipart/form-data`);
//! - `GET /_sandbox/download?size=N`: N bytes, byte i being `i % 251`.
//!
//! # Browsers (CORS)
//!
//! A web app served from another origin (a development server, with the official
//! TypeScript client) can call the sandbox: it answers CORS preflights itself (not recorded,
//! never faulted), allowing any origin, method and requested header, and every answer
//! carries `Access-Control-Allow-Origin` (the caller's `Origin`, credentials allowed).
//! [`SandboxBuilder::cors`] (the binary's `--no-cors`) turns this off.
//!
//! # Bodies and memory
//!
//! Bodies are never held whole: form and JSON bodies up to 1 MiB are decoded into the log
//! (a JSON body whose parsed value would take more than 8 MiB is not), multipart bodies are
//! parsed as they stream by (the first 64 parts' headers, length, SHA-256, and content when
//! at most 64 KiB of UTF-8, 1 MiB of content per request), and anything else is logged as
//! its length and SHA-256. A request refused for its token keeps only its body's length and
//! SHA-256. Uploads of many GiB pass in constant memory.
//!
//! The log keeps the most recent 10 000 requests ([`SandboxBuilder::max_recorded_requests`])
//! and about 64 MiB of them ([`SandboxBuilder::max_recorded_bytes`]). At most 256
//! connections are served at once ([`SandboxBuilder::max_connections`]); one more is answered
//! 503 at once. A connection that does not send a whole request head within 30 s
//! ([`SandboxBuilder::header_read_timeout`]), also when idle between requests, is closed.
//!
//! So whatever it is sent, the sandbox's memory stays under about 20 MiB + 1.6 ×
//! `max_recorded_bytes` + 3 MiB per connection busy sending a body (plus the log's JSON
//! text while `GET /_sandbox/requests` answers): with the defaults, some 130 MiB with a few
//! uploads under way. Measured on the binary: 300 unauthenticated 1 MiB JSON bodies, one
//! 190 MB multipart body of 64 KiB text parts, or 1,000 idle half-sent connections each
//! leave it under 20 MiB; 300 accepted 1 MiB JSON bodies take it to about 107 MiB (the log
//! full).
//!
//! # Keys
//!
//! The realm's RSA signing key and the TLS certificate and key are fixed
//! files in this crate's `src/keys/`. They are public test keys, not secrets:
//! never trust them outside tests.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod account_server;
mod auth;
mod calendar;
mod clock;
mod contract;
mod control;
mod control_http;
mod cors;
mod dm;
mod error;
mod fault;
mod fixture;
mod jwt;
mod keycloak;
mod keys;
mod multipart;
mod record;
mod sandbox;
mod server;
mod state;
mod ui;

pub use account_server::AS_VERSION;
#[doc(hidden)]
pub use contract::CONTRACT_DIR_VAR;
pub use dm::script::{InstancePhase, InstanceScript};
pub use dm::DM_VERSION;
pub use error::{Error, ErrorKind};
pub use fault::{Fault, FaultId, FaultRule, FaultStatus};
pub use fixture::{
    SANDBOX_ORG_ID, SANDBOX_STORAGE_PRODUCT_ID, SANDBOX_TIER_PRODUCT_ID, SANDBOX_UNIT_ID,
};
pub use record::{RecordedBody, RecordedPart, RecordedRequest};
pub use sandbox::{Sandbox, SandboxBuilder};
pub use state::SandboxUser;
pub use ui::UI_VERSION;

/// The Keycloak client of the Data Manager API.
pub const DM_CLIENT_ID: &str = "data-manager-api";
/// The Keycloak client of the Account Server API.
pub const AS_CLIENT_ID: &str = "account-server-api";
/// The Keycloak realm.
pub const REALM: &str = "squonk2";
