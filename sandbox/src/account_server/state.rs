//! The Account Server's state: organisations, units, products, charges, assets, merchants,
//! event streams and actions, and who may see what.

use super::dates::{timestamp, Cents, Date, Period};
use crate::calendar;

/// The id of the built-in Default Organisation, home of every personal unit.
pub(crate) const DEFAULT_ORG_ID: &str = "org-de7a0170-0000-4000-8000-000000000000";
/// Its name.
pub(crate) const DEFAULT_ORG_NAME: &str = "Default";
/// The id of the sandbox's own Data Manager as a merchant.
pub(crate) const DM_MERCHANT_ID: i64 = 1;
/// Storage is charged per started unit of this many bytes (1 GiB) of a day's peak.
pub(crate) const STORAGE_UNIT_BYTES: u64 = 1 << 30;
/// What one storage unit costs per day, in hundredths of a coin.
pub(crate) const STORAGE_UNIT_COST: Cents = 100;

/// A product privacy default (`default_product_privacy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Privacy {
    AlwaysPrivate,
    AlwaysPublic,
    DefaultPrivate,
    DefaultPublic,
}

impl Privacy {
    pub(crate) const ALL: [Privacy; 4] = [
        Privacy::AlwaysPrivate,
        Privacy::AlwaysPublic,
        Privacy::DefaultPrivate,
        Privacy::DefaultPublic,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Privacy::AlwaysPrivate => "ALWAYS_PRIVATE",
            Privacy::AlwaysPublic => "ALWAYS_PUBLIC",
            Privacy::DefaultPrivate => "DEFAULT_PRIVATE",
            Privacy::DefaultPublic => "DEFAULT_PUBLIC",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Privacy> {
        Privacy::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether a unit may have `unit` under an organisation with `self`: an `ALWAYS_`
    /// organisation forces its units.
    pub(crate) fn allows(self, unit: Privacy) -> bool {
        match self {
            Privacy::AlwaysPrivate | Privacy::AlwaysPublic => unit == self,
            _ => true,
        }
    }
}

/// A product type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProductType {
    Storage,
    ProjectTier,
}

impl ProductType {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ProductType::Storage => "DATA_MANAGER_STORAGE_SUBSCRIPTION",
            ProductType::ProjectTier => "DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<ProductType> {
        [ProductType::Storage, ProductType::ProjectTier]
            .into_iter()
            .find(|t| t.name() == name)
    }
}

/// A project-tier flavour, with its allowance and limit per billing period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavour {
    Evaluation,
    Bronze,
    Silver,
    Gold,
}

impl Flavour {
    pub(crate) const ALL: [Flavour; 4] = [
        Flavour::Evaluation,
        Flavour::Bronze,
        Flavour::Silver,
        Flavour::Gold,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Flavour::Evaluation => "EVALUATION",
            Flavour::Bronze => "BRONZE",
            Flavour::Silver => "SILVER",
            Flavour::Gold => "GOLD",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Flavour> {
        Flavour::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The coin allowance and limit of a flavour (whole coins).
    pub(crate) fn coins(self) -> (i64, i64) {
        match self {
            Flavour::Evaluation => (100, 100),
            Flavour::Bronze => (1000, 1500),
            Flavour::Silver => (2500, 3750),
            Flavour::Gold => (5000, 7500),
        }
    }
}

/// An asset scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    User,
    Product,
    Unit,
    Organisation,
    Global,
}

impl Scope {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scope::User => "USER",
            Scope::Product => "PRODUCT",
            Scope::Unit => "UNIT",
            Scope::Organisation => "ORGANISATION",
            Scope::Global => "GLOBAL",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Scope> {
        [
            Scope::User,
            Scope::Product,
            Scope::Unit,
            Scope::Organisation,
            Scope::Global,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// The kind of a charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChargeKind {
    Processing,
    Storage,
}

impl ChargeKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ChargeKind::Processing => "PROCESSING",
            ChargeKind::Storage => "STORAGE",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Organisation {
    pub(crate) id: String,
    pub(crate) name: String,
    /// `None` only for the Default Organisation.
    pub(crate) owner: Option<String>,
    pub(crate) created: String,
    pub(crate) privacy: Privacy,
    /// Users added explicitly (the owner is a member without being listed).
    pub(crate) members: Vec<String>,
}

impl Organisation {
    pub(crate) fn is_default(&self) -> bool {
        self.id == DEFAULT_ORG_ID
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Unit {
    pub(crate) id: String,
    pub(crate) org_id: String,
    pub(crate) name: String,
    /// The creator (for a personal unit, its user).
    pub(crate) owner: String,
    pub(crate) created: String,
    pub(crate) billing_day: u32,
    pub(crate) privacy: Privacy,
    /// Users added explicitly (the owner is a member without being listed).
    pub(crate) members: Vec<String>,
}

impl Unit {
    /// Whether it is a personal unit (one in the Default Organisation).
    pub(crate) fn is_personal(&self) -> bool {
        self.org_id == DEFAULT_ORG_ID
    }
}

/// What has claimed a product (for a project-tier product, the Data Manager project).
#[derive(Clone, Debug)]
pub(crate) struct Claim {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Product {
    pub(crate) id: String,
    pub(crate) unit_id: String,
    pub(crate) kind: ProductType,
    pub(crate) flavour: Option<Flavour>,
    pub(crate) name: String,
    pub(crate) created: String,
    /// Whole coins per billing period.
    pub(crate) allowance: i64,
    pub(crate) limit: i64,
    pub(crate) claim: Option<Claim>,
    /// Bytes stored now.
    pub(crate) storage_bytes: u64,
    /// The day of the last storage report and that day's peak.
    pub(crate) storage_peak: Option<(Date, u64)>,
}

#[derive(Clone, Debug)]
pub(crate) struct Charge {
    pub(crate) id: i64,
    pub(crate) kind: ChargeKind,
    pub(crate) product_id: String,
    pub(crate) product_type: ProductType,
    pub(crate) unit_id: String,
    pub(crate) merchant_id: i64,
    pub(crate) date: Date,
    pub(crate) timestamp: String,
    pub(crate) coins: Cents,
    pub(crate) username: String,
    pub(crate) name: Option<String>,
    /// What the merchant said about the charge (`additional_data`; empty: nothing).
    pub(crate) additional_data: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug)]
pub(crate) struct Asset {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) scope: Scope,
    pub(crate) scope_id: String,
    pub(crate) secret: bool,
    pub(crate) disabled: bool,
    pub(crate) content: String,
    pub(crate) created: String,
    pub(crate) content_modified: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) creator: String,
    /// Ids of the merchants it is attached to.
    pub(crate) merchants: Vec<i64>,
}

#[derive(Clone, Debug)]
pub(crate) struct Merchant {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) created: String,
}

#[derive(Clone, Debug)]
pub(crate) struct EventStream {
    pub(crate) id: i64,
    pub(crate) owner: String,
    pub(crate) name: String,
    pub(crate) location: String,
    pub(crate) format: String,
    /// What has been published to it, and its connections.
    pub(crate) feed: super::event_socket::Feed,
}

/// One action record: what happened, to what, and its fields (rendered in the requested
/// format when read).
#[derive(Clone, Debug)]
pub(crate) struct Action {
    pub(crate) id: i64,
    pub(crate) action: &'static str,
    pub(crate) date: Date,
    pub(crate) timestamp: String,
    pub(crate) merchant_id: Option<i64>,
    pub(crate) org_id: Option<String>,
    pub(crate) unit_id: Option<String>,
    pub(crate) product_id: Option<String>,
    pub(crate) fields: Vec<(&'static str, String)>,
}

/// Everything the sandbox's Account Server remembers.
#[derive(Debug)]
pub(crate) struct AsState {
    /// The sandbox's base URL (the merchants' host and event-stream locations derive from it).
    pub(crate) base_url: String,
    /// Set by [`Sandbox::set_account_server_today`](crate::Sandbox::set_account_server_today):
    /// the day the Account Server believes it is.
    pub(crate) today_override: Option<Date>,
    next_number: i64,
    pub(crate) organisations: Vec<Organisation>,
    pub(crate) units: Vec<Unit>,
    pub(crate) products: Vec<Product>,
    pub(crate) charges: Vec<Charge>,
    pub(crate) assets: Vec<Asset>,
    pub(crate) merchants: Vec<Merchant>,
    pub(crate) event_streams: Vec<EventStream>,
    pub(crate) actions: Vec<Action>,
}

impl AsState {
    pub(crate) fn new(base_url: &str) -> AsState {
        let mut state = AsState {
            base_url: base_url.to_owned(),
            today_override: None,
            next_number: 1,
            organisations: Vec::new(),
            units: Vec::new(),
            products: Vec::new(),
            charges: Vec::new(),
            assets: Vec::new(),
            merchants: Vec::new(),
            event_streams: Vec::new(),
            actions: Vec::new(),
        };
        let created = state.now();
        state.organisations.push(Organisation {
            id: DEFAULT_ORG_ID.to_owned(),
            name: DEFAULT_ORG_NAME.to_owned(),
            owner: None,
            created: created.clone(),
            privacy: Privacy::DefaultPrivate,
            members: Vec::new(),
        });
        // The sandbox's own Data Manager registers as merchant 1.
        state.merchants.push(Merchant {
            id: DM_MERCHANT_ID,
            name: "Data Manager (squonk2-sandbox)".to_owned(),
            created,
        });
        state.next_number = DM_MERCHANT_ID + 1;
        state
    }

    /// A number no other charge, action or event stream has.
    pub(crate) fn next_number(&mut self) -> i64 {
        let n = self.next_number;
        self.next_number += 1;
        n
    }

    /// The day it is for the Account Server.
    pub(crate) fn today(&self) -> Date {
        self.today_override
            .unwrap_or_else(|| Date::of(calendar::now()))
    }

    /// The current timestamp (on the overridden day, if any).
    pub(crate) fn now(&self) -> String {
        timestamp(self.today(), calendar::now())
    }

    /// `host:port` of the sandbox, the merchants' `api_hostname`.
    pub(crate) fn host(&self) -> &str {
        self.base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, host)| host)
    }

    pub(crate) fn org(&self, id: &str) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.id == id)
    }

    pub(crate) fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    pub(crate) fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    pub(crate) fn merchant(&self, id: i64) -> Option<&Merchant> {
        self.merchants.iter().find(|m| m.id == id)
    }

    /// The product `id`, to change; an error text when there is none.
    fn existing_product(&mut self, id: &str) -> Result<&mut Product, String> {
        self.products
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| format!("Product {id} does not exist"))
    }

    /// The owner and the explicitly added users.
    pub(crate) fn is_org_member(org: &Organisation, user: &str) -> bool {
        org.owner.as_deref() == Some(user) || org.members.iter().any(|m| m == user)
    }

    pub(crate) fn is_unit_member(unit: &Unit, user: &str) -> bool {
        unit.owner == user || unit.members.iter().any(|m| m == user)
    }

    /// Admins and members (the owner included) see an organisation; members of its units
    /// do not.
    pub(crate) fn can_see_org(org: &Organisation, user: &Caller) -> bool {
        user.admin || AsState::is_org_member(org, &user.name)
    }

    /// Admins, the unit's members and its organisation's members see (and manage) a unit.
    pub(crate) fn can_see_unit(&self, unit: &Unit, user: &Caller) -> bool {
        user.admin
            || AsState::is_unit_member(unit, &user.name)
            || self
                .org(&unit.org_id)
                .is_some_and(|org| AsState::is_org_member(org, &user.name))
    }

    /// Whether `user` may see (and change) an asset.
    pub(crate) fn can_use_asset(&self, asset: &Asset, user: &Caller) -> bool {
        if user.admin {
            return true;
        }
        match asset.scope {
            Scope::Global => true,
            Scope::User => asset.scope_id == user.name,
            Scope::Unit => self
                .unit(&asset.scope_id)
                .is_some_and(|unit| self.can_see_unit(unit, user)),
            Scope::Product => self
                .product(&asset.scope_id)
                .and_then(|p| self.unit(&p.unit_id))
                .is_some_and(|unit| self.can_see_unit(unit, user)),
            Scope::Organisation => self
                .org(&asset.scope_id)
                .is_some_and(|org| AsState::can_see_org(org, user)),
        }
    }

    /// The charges of a product in a period, oldest first.
    pub(crate) fn product_charges(&self, product_id: &str, period: Period) -> Vec<&Charge> {
        self.charges
            .iter()
            .filter(|c| c.product_id == product_id && period.contains(c.date))
            .collect()
    }

    /// Records an action.
    pub(crate) fn record_action(&mut self, action: &'static str, about: ActionAbout) {
        let id = self.next_number();
        let timestamp = self.now();
        let date = self.today();
        self.actions.push(Action {
            id,
            action,
            date,
            timestamp,
            merchant_id: about.merchant_id,
            org_id: about.org_id,
            unit_id: about.unit_id,
            product_id: about.product_id,
            fields: about.fields,
        });
    }

    /// Records a charge against a product (and its action), returning the charge id.
    pub(crate) fn add_charge(&mut self, new: NewCharge) -> Result<i64, String> {
        let product = self
            .product(&new.product_id)
            .ok_or_else(|| format!("Product {} does not exist", new.product_id))?;
        let unit = self
            .unit(&product.unit_id)
            .ok_or_else(|| format!("The unit of product {} has gone", product.id))?;
        let (product_type, unit_id, org_id) = (product.kind, unit.id.clone(), unit.org_id.clone());
        let id = self.next_number();
        let date = new.date.unwrap_or_else(|| self.today());
        let timestamp = timestamp(date, calendar::now());
        let charge = Charge {
            id,
            kind: new.kind,
            product_id: new.product_id.clone(),
            product_type,
            unit_id: unit_id.clone(),
            merchant_id: DM_MERCHANT_ID,
            date,
            timestamp,
            coins: new.coins,
            username: new.username.clone(),
            name: new.name.clone(),
            additional_data: new.additional_data,
        };
        let fields = vec![
            ("charge_id", id.to_string()),
            ("coins", super::dates::coins_text(new.coins)),
            ("username", new.username),
        ];
        self.charges.push(charge);
        if new.kind == ChargeKind::Processing {
            self.publish_processing_charge(id);
        }
        self.record_action(
            match new.kind {
                ChargeKind::Processing => "ProcessingCharge",
                ChargeKind::Storage => "StorageCharge",
            },
            ActionAbout {
                merchant_id: Some(DM_MERCHANT_ID),
                org_id: Some(org_id),
                unit_id: Some(unit_id),
                product_id: Some(new.product_id),
                fields,
            },
        );
        Ok(id)
    }

    /// Sets the bytes a product stores now: the day's peak rises with it, and the day's
    /// storage charge is that peak's started units times their cost.
    pub(crate) fn set_storage(&mut self, product_id: &str, bytes: u64) -> Result<(), String> {
        let today = self.today();
        let product = self.existing_product(product_id)?;
        product.storage_bytes = bytes;
        let peak = match product.storage_peak {
            Some((day, peak)) if day == today => peak.max(bytes),
            _ => bytes,
        };
        product.storage_peak = Some((today, peak));
        let coins = storage_units(peak) as i64 * STORAGE_UNIT_COST;
        let owner = unit_owner_of(self, product_id);
        let mut additional_data = serde_json::Map::new();
        additional_data.insert("peak_bytes".into(), peak.into());
        match self.charges.iter_mut().find(|c| {
            c.product_id == product_id && c.kind == ChargeKind::Storage && c.date == today
        }) {
            Some(charge) => {
                charge.coins = coins;
                charge.additional_data = additional_data;
            }
            None if coins > 0 => {
                self.add_charge(NewCharge {
                    kind: ChargeKind::Storage,
                    product_id: product_id.to_owned(),
                    coins,
                    username: owner.clone(),
                    name: None,
                    date: Some(today),
                    additional_data,
                })?;
            }
            None => {}
        }
        self.publish_storage_charge(product_id, &owner, bytes);
        Ok(())
    }
}

impl AsState {
    /// Marks a project-tier product as claimed by a (Data Manager) project.
    pub(crate) fn claim(
        &mut self,
        product_id: &str,
        project_id: &str,
        project_name: &str,
    ) -> Result<(), String> {
        let product = self.existing_product(product_id)?;
        if product.kind != ProductType::ProjectTier {
            return Err(format!(
                "Product {product_id} is not a {}",
                ProductType::ProjectTier.name()
            ));
        }
        match &product.claim {
            Some(claim) if claim.id != project_id => Err(format!(
                "Product {product_id} is already claimed by {}",
                claim.id
            )),
            _ => {
                product.claim = Some(Claim {
                    id: project_id.to_owned(),
                    name: Some(project_name.to_owned()).filter(|n| !n.is_empty()),
                });
                Ok(())
            }
        }
    }

    /// Removes a project's claim on a product.
    pub(crate) fn release(&mut self, product_id: &str, project_id: &str) {
        if let Some(product) = self.products.iter_mut().find(|p| p.id == product_id) {
            if product.claim.as_ref().is_some_and(|c| c.id == project_id) {
                product.claim = None;
            }
        }
    }
}

/// The owner of a product's unit (who storage charges are made out to).
fn unit_owner_of(state: &AsState, product_id: &str) -> String {
    state
        .product(product_id)
        .and_then(|p| state.unit(&p.unit_id))
        .map(|u| u.owner.clone())
        .unwrap_or_default()
}

/// Started storage units of `bytes`.
pub(crate) fn storage_units(bytes: u64) -> u64 {
    bytes.div_ceil(STORAGE_UNIT_BYTES)
}

/// What an action is about.
#[derive(Default)]
pub(crate) struct ActionAbout {
    pub(crate) merchant_id: Option<i64>,
    pub(crate) org_id: Option<String>,
    pub(crate) unit_id: Option<String>,
    pub(crate) product_id: Option<String>,
    pub(crate) fields: Vec<(&'static str, String)>,
}

/// A charge to record with [`AsState::add_charge`].
pub(crate) struct NewCharge {
    pub(crate) kind: ChargeKind,
    pub(crate) product_id: String,
    pub(crate) coins: Cents,
    pub(crate) username: String,
    pub(crate) name: Option<String>,
    /// The day (default: today).
    pub(crate) date: Option<Date>,
    /// What the merchant says about it (empty: nothing).
    pub(crate) additional_data: serde_json::Map<String, serde_json::Value>,
}

/// Who is calling, and whether they have admin rights.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) name: String,
    pub(crate) admin: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with_products() -> AsState {
        let mut state = AsState::new("http://127.0.0.1:1");
        state.today_override = Date::from_ymd(2024, 3, 15);
        state.organisations.push(Organisation {
            id: "org-1".into(),
            name: "O".into(),
            owner: Some("bob".into()),
            created: state.now(),
            privacy: Privacy::DefaultPrivate,
            members: Vec::new(),
        });
        state.units.push(Unit {
            id: "unit-1".into(),
            org_id: "org-1".into(),
            name: "U".into(),
            owner: "bob".into(),
            created: state.now(),
            billing_day: 3,
            privacy: Privacy::DefaultPrivate,
            members: vec!["carol".into()],
        });
        for (id, kind) in [
            ("product-s", ProductType::Storage),
            ("product-t", ProductType::ProjectTier),
        ] {
            state.products.push(Product {
                id: id.into(),
                unit_id: "unit-1".into(),
                kind,
                flavour: None,
                name: id.into(),
                created: state.now(),
                allowance: 10,
                limit: 10,
                claim: None,
                storage_bytes: 0,
                storage_peak: None,
            });
        }
        state
    }

    #[test]
    fn storage_is_charged_for_the_days_peak() {
        let mut state = state_with_products();
        state.set_storage("product-s", 3 << 30).unwrap();
        state.set_storage("product-s", 1).unwrap();
        let charges: Vec<_> = state.charges.iter().map(|c| (c.kind, c.coins)).collect();
        assert_eq!(charges, [(ChargeKind::Storage, 300)]);
        assert_eq!(state.products[0].storage_bytes, 1);
        // A new day starts a new peak.
        state.today_override = Date::from_ymd(2024, 3, 16);
        state.set_storage("product-s", 1).unwrap();
        assert_eq!(state.charges.len(), 2);
        assert_eq!(state.charges[1].coins, 100);
        assert!(state.set_storage("product-x", 1).is_err());
    }

    #[test]
    fn charges_are_recorded_with_an_action() {
        let mut state = state_with_products();
        let id = state
            .add_charge(NewCharge {
                kind: ChargeKind::Processing,
                product_id: "product-t".into(),
                coins: 125,
                username: "carol".into(),
                name: Some("job".into()),
                date: None,
                additional_data: Default::default(),
            })
            .unwrap();
        let period = Period::billing(3, state.today(), 0);
        assert_eq!(state.product_charges("product-t", period)[0].id, id);
        assert_eq!(state.actions.last().unwrap().action, "ProcessingCharge");
        assert_eq!(
            state.actions.last().unwrap().merchant_id,
            Some(DM_MERCHANT_ID)
        );
    }

    #[test]
    fn only_project_tier_products_are_claimed_once() {
        let mut state = state_with_products();
        assert!(state.claim("product-s", "project-1", "p").is_err());
        state.claim("product-t", "project-1", "p").unwrap();
        state.claim("product-t", "project-1", "p").unwrap();
        assert!(state.claim("product-t", "project-2", "q").is_err());
        state.release("product-t", "project-2");
        assert!(state.products[1].claim.is_some());
        state.release("product-t", "project-1");
        assert!(state.products[1].claim.is_none());
    }

    #[test]
    fn members_see_what_they_belong_to() {
        let state = state_with_products();
        let caller = |name: &str, admin| Caller {
            name: name.into(),
            admin,
        };
        let org = state.org("org-1").unwrap();
        let unit = state.unit("unit-1").unwrap();
        assert!(AsState::can_see_org(org, &caller("bob", false)));
        assert!(!AsState::can_see_org(org, &caller("carol", false)));
        assert!(AsState::can_see_org(org, &caller("root", true)));
        assert!(state.can_see_unit(unit, &caller("carol", false)));
        assert!(state.can_see_unit(unit, &caller("bob", false)));
        assert!(!state.can_see_unit(unit, &caller("dave", false)));
    }
}
