//! The Data Manager API: the counterpart of the Python client's `DmApi`.
//!
//! Every function takes the [`Client`] first, then the Python method's required
//! arguments in order, then (where the Python method has optional arguments) an options struct
//! with `Default`. Each returns an [`ApiRv`](crate::ApiRv).
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! let client = squonk2::Client::from_env()?;
//! let rv = squonk2::dm_api::get_version(&client);
//! if rv.success {
//!     println!("DM version {}", rv.msg["version"]);
//! } else {
//!     eprintln!("{}", rv.error().unwrap_or_default());
//! }
//! # Ok(())
//! # }
//! ```

// Issue "DM API, running jobs": accounting, configuration, projects, files, instances,
// tasks, jobs, user, wait.
pub mod accounting;
pub mod configuration;
pub mod files;
pub mod instances;
pub mod jobs;
pub mod projects;
pub mod tasks;
pub mod user;
pub mod wait;
// Issue "DM API, the rest": datasets, metadata, workflows, applications, admin.
pub mod admin;
pub mod applications;
pub mod datasets;
pub mod metadata;
pub mod models;
pub mod workflows;

pub use accounting::*;
pub use admin::*;
pub use applications::*;
pub use configuration::*;
pub use datasets::*;
pub use files::*;
pub use instances::*;
pub use jobs::*;
pub use metadata::*;
pub use projects::*;
pub use tasks::*;
pub use user::*;
pub use wait::*;
pub use workflows::*;

use crate::client::{Api, Client};

/// Sets the Data Manager API base URL and whether its TLS certificate is verified
/// (the Python client's `DmApi.set_api_url`).
pub fn set_api_url(client: &mut Client, url: &str, verify_ssl_cert: bool) {
    client.set_api_url(Api::Dm, url, verify_ssl_cert);
}

/// The Data Manager API base URL and whether its certificate is verified
/// (`("", true)` when no URL is set), as the Python client's `DmApi.get_api_url`.
#[must_use]
pub fn get_api_url(client: &Client) -> (String, bool) {
    client.get_api_url(Api::Dm)
}
