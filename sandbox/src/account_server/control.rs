//! Test controls of the sandbox's Account Server: the day it believes it is, and the
//! charges its Data Manager merchant makes.

use super::dates::{parse_coins, Date};
use super::state::{ChargeKind, NewCharge};
use crate::error::Error;
use crate::state::lock;
use crate::Sandbox;

impl Sandbox {
    /// Makes the Account Server believe today is `date` (`YYYY-MM-DD`), for billing periods,
    /// charges, actions and timestamps; `None` goes back to the real (UTC) clock.
    ///
    /// ```
    /// let sandbox = squonk2_sandbox::Sandbox::start()?;
    /// sandbox.set_account_server_today(Some("2024-03-15"))?;
    /// # Ok::<(), squonk2_sandbox::Error>(())
    /// ```
    pub fn set_account_server_today(&self, date: Option<&str>) -> Result<(), Error> {
        let date = date
            .map(|d| {
                Date::parse(d)
                    .ok_or_else(|| Error::invalid(format!("{d:?} is not a YYYY-MM-DD date")))
            })
            .transpose()?;
        lock(&self.shared.account).today_override = date;
        Ok(())
    }

    /// Charges `coins` (a decimal string with at most two places, e.g. `"1.25"`) to a product
    /// today, as the sandbox's Data Manager would for work done by `username` (an instance
    /// or job called `name`). Returns the charge id; fails for an unknown product.
    pub fn charge_product(
        &self,
        product_id: &str,
        username: &str,
        name: &str,
        coins: &str,
    ) -> Result<i64, Error> {
        let _clock = self.shared.clock.enter();
        let coins = parse_coins(coins)
            .ok_or_else(|| Error::invalid(format!("{coins:?} is not a coin amount")))?;
        if !crate::account_server::product_exists(&self.shared, product_id) {
            return Err(Error::not_found(format!(
                "There is no product {product_id}"
            )));
        }
        lock(&self.shared.account)
            .add_charge(NewCharge {
                kind: ChargeKind::Processing,
                product_id: product_id.to_owned(),
                coins,
                username: username.to_owned(),
                name: Some(name.to_owned()).filter(|n| !n.is_empty()),
                date: None,
                // Made by a test, not by a Job: no Job to describe.
                additional_data: Default::default(),
            })
            .map_err(Error::invalid)
    }

    /// Reports the bytes a product's storage holds now. Storage is charged each day for the
    /// day's peak, per started GiB, at the default storage cost (1 coin per GiB per day).
    pub fn set_product_storage(&self, product_id: &str, bytes: u64) -> Result<(), Error> {
        let _clock = self.shared.clock.enter();
        if !crate::account_server::product_exists(&self.shared, product_id) {
            return Err(Error::not_found(format!(
                "There is no product {product_id}"
            )));
        }
        lock(&self.shared.account)
            .set_storage(product_id, bytes)
            .map_err(Error::invalid)
    }
}

impl Sandbox {
    /// The Account Server's organisations (the Default one left out), their units and
    /// products, one per line, indented under their owner: what the binary prints at
    /// start-up.
    ///
    /// ```
    /// let sandbox = squonk2_sandbox::Sandbox::start()?;
    /// let summary = sandbox.organisations_summary();
    /// assert!(summary.contains(squonk2_sandbox::SANDBOX_TIER_PRODUCT_ID));
    /// # Ok::<(), squonk2_sandbox::Error>(())
    /// ```
    pub fn organisations_summary(&self) -> String {
        let state = lock(&self.shared.account);
        let people = |owner: &str, members: &[String]| {
            if members.is_empty() {
                format!("owner {owner}")
            } else {
                format!("owner {owner}, members {}", members.join(", "))
            }
        };
        let mut text = String::new();
        for org in state.organisations.iter().filter(|o| !o.is_default()) {
            let owner = org.owner.as_deref().unwrap_or_default();
            text.push_str(&format!(
                "{} ({}): {}\n",
                org.name,
                org.id,
                people(owner, &org.members)
            ));
            for unit in state.units.iter().filter(|u| u.org_id == org.id) {
                text.push_str(&format!(
                    "  unit {} ({}): {}\n",
                    unit.name,
                    unit.id,
                    people(&unit.owner, &unit.members)
                ));
                for product in state.products.iter().filter(|p| p.unit_id == unit.id) {
                    let flavour = product.flavour.map(|f| format!(" {}", f.name()));
                    text.push_str(&format!(
                        "    product {} ({}): {}{}\n",
                        product.name,
                        product.id,
                        product.kind.name(),
                        flavour.unwrap_or_default()
                    ));
                }
            }
        }
        text
    }
}
