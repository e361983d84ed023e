//! The Account Server API: the counterpart of the Python client's `AsApi`.
//!
//! Every function takes the [`Client`] first, then the Python method's required
//! arguments in order, then (where the Python method has optional arguments) an options struct
//! with `Default`. Each returns an [`ApiRv`](crate::ApiRv). The client supplies the Account
//! Server token (the Python methods' `access_token`).
//!
//! The Account Server keeps **organisations** (with an owner and members), their **units**
//! (with a billing day and members; every user may also have a *personal unit* in the
//! Default Organisation), the **products** of a unit (Data Manager storage or project-tier
//! subscriptions, with a coin allowance and limit), the **charges** made against products,
//! **assets** (named values, often secrets, that **merchants** such as the Data Manager can
//! be given), **event streams** and **actions**.
//!
//! ```no_run
//! use squonk2::as_api::{self, CreateProductOptions};
//!
//! # fn main() -> anyhow::Result<()> {
//! let client = squonk2::Client::from_env()?;
//! let org = as_api::create_organisation(&client, "Acme", "alice").into_result()?;
//! let org_id = org["id"].as_str().unwrap_or_default();
//! let unit = as_api::create_unit(&client, "Chemistry", org_id, 1).into_result()?;
//! let unit_id = unit["id"].as_str().unwrap_or_default();
//! let storage = CreateProductOptions { allowance: 100, ..Default::default() };
//! let product = as_api::create_product(
//!     &client,
//!     "Lab storage",
//!     unit_id,
//!     "DATA_MANAGER_STORAGE_SUBSCRIPTION",
//!     &storage,
//! );
//! println!("{}", product.msg);
//! # Ok(())
//! # }
//! ```

pub mod accounting;
pub mod actions;
pub mod assets;
pub mod charges;
pub mod enums;
pub mod event_streams;
pub mod merchants;
pub mod models;
pub mod organisations;
pub mod products;
pub mod units;
pub mod user;

pub use accounting::*;
pub use actions::*;
pub use assets::*;
pub use charges::*;
pub use enums::*;
pub use event_streams::*;
pub use merchants::*;
pub use organisations::*;
pub use products::*;
pub use units::*;
pub use user::*;

use crate::client::{Api, Client};

/// Sets the Account Server API base URL and whether its TLS certificate is verified
/// (the Python client's `AsApi.set_api_url`).
pub fn set_api_url(client: &mut Client, url: &str, verify_ssl_cert: bool) {
    client.set_api_url(Api::As, url, verify_ssl_cert);
}

/// The Account Server API base URL and whether its certificate is verified
/// (`("", true)` when no URL is set), as the Python client's `AsApi.get_api_url`.
#[must_use]
pub fn get_api_url(client: &Client) -> (String, bool) {
    client.get_api_url(Api::As)
}
