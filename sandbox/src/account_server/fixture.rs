//! The Account Server's part of a fixture (`sandbox/FIXTURES.md`): organisations, their
//! units and the units' products, checked as the API would check them when made one by one.

use serde::Deserialize;

use super::organisations::{known_user, privacy_of};
use super::products::product_terms;
use super::state::{AsState, Organisation, Privacy, Product, ProductType, Unit};
use super::units::billing_day_of;
use crate::state::{lock, Shared};

/// An organisation of a fixture.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FixtureOrganisation {
    pub(crate) name: String,
    pub(crate) id: Option<String>,
    pub(crate) owner: String,
    #[serde(default)]
    pub(crate) members: Vec<String>,
    pub(crate) default_product_privacy: Option<String>,
    #[serde(default)]
    pub(crate) units: Vec<FixtureUnit>,
}

/// A unit of a fixture's organisation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FixtureUnit {
    pub(crate) name: String,
    pub(crate) id: Option<String>,
    /// Default: the organisation's owner.
    pub(crate) owner: Option<String>,
    #[serde(default)]
    pub(crate) members: Vec<String>,
    /// Default: 1.
    pub(crate) billing_day: Option<serde_json::Value>,
    pub(crate) default_product_privacy: Option<String>,
    #[serde(default)]
    pub(crate) products: Vec<FixtureProduct>,
}

/// A product of a fixture's unit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FixtureProduct {
    pub(crate) name: String,
    pub(crate) id: Option<String>,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) flavour: Option<String>,
    pub(crate) allowance: Option<i64>,
    pub(crate) limit: Option<i64>,
}

/// An id given in the fixture, checked to have the prefix, or a new one.
pub(crate) fn id_of(shared: &Shared, given: Option<&str>, prefix: &str) -> Result<String, String> {
    match given {
        Some(id) if id.starts_with(&format!("{prefix}-")) && id.len() > prefix.len() + 1 => {
            Ok(id.to_owned())
        }
        Some(id) => Err(format!("the id {id:?} must start with \"{prefix}-\"")),
        None => Ok(format!("{prefix}-{}", shared.key.random_uuid())),
    }
}

/// A user Keycloak knows (the fixture's own users are added first), by its canonical name.
pub(crate) fn user(shared: &Shared, name: &str) -> Result<String, String> {
    known_user(shared, name).map_err(|e| e.message)
}

fn users(shared: &Shared, names: &[String]) -> Result<Vec<String>, String> {
    names.iter().map(|n| user(shared, n)).collect()
}

/// What a fixture adds, before it is added.
#[derive(Default)]
struct New {
    organisations: Vec<Organisation>,
    units: Vec<Unit>,
    products: Vec<Product>,
}

impl New {
    /// Whether an organisation, unit or product, old or new, has the id.
    fn taken(&self, state: &AsState, id: &str) -> bool {
        state.org(id).is_some()
            || state.unit(id).is_some()
            || state.product(id).is_some()
            || self.organisations.iter().any(|o| o.id == id)
            || self.units.iter().any(|u| u.id == id)
            || self.products.iter().any(|p| p.id == id)
    }
}

/// Adds the organisations, units and products (no actions are recorded: they were there
/// before the sandbox started). All or nothing: on an error nothing is added.
pub(crate) fn add_organisations(
    shared: &Shared,
    organisations: &[FixtureOrganisation],
) -> Result<(), String> {
    let mut state = lock(&shared.account);
    let mut new = New::default();
    let created = state.now();
    for org in organisations {
        let context = |e: String| format!("organisation {:?}: {e}", org.name);
        let id = id_of(shared, org.id.as_deref(), "org").map_err(context)?;
        if new.taken(&state, &id) {
            return Err(context(format!("the id {id} is taken")));
        }
        if state
            .organisations
            .iter()
            .chain(&new.organisations)
            .any(|o| o.name == org.name)
        {
            return Err(context("an organisation of that name exists".into()));
        }
        let privacy = privacy_of(org.default_product_privacy.as_deref())
            .map_err(|e| context(e.message))?
            .unwrap_or(Privacy::DefaultPrivate);
        new.organisations.push(Organisation {
            id: id.clone(),
            name: org.name.clone(),
            owner: Some(user(shared, &org.owner).map_err(context)?),
            created: created.clone(),
            privacy,
            members: users(shared, &org.members).map_err(context)?,
        });
        for unit in &org.units {
            let context = |e: String| format!("unit {:?} of {:?}: {e}", unit.name, org.name);
            let unit_id = id_of(shared, unit.id.as_deref(), "unit").map_err(context)?;
            if new.taken(&state, &unit_id) {
                return Err(context(format!("the id {unit_id} is taken")));
            }
            if new
                .units
                .iter()
                .any(|u| u.org_id == id && u.name == unit.name)
            {
                return Err(context("the organisation has a unit of that name".into()));
            }
            let one = serde_json::Value::from(1);
            let billing_day = billing_day_of(Some(unit.billing_day.as_ref().unwrap_or(&one)))
                .map_err(|e| context(e.message))?;
            let unit_privacy = privacy_of(unit.default_product_privacy.as_deref())
                .map_err(|e| context(e.message))?
                .unwrap_or(privacy);
            if !privacy.allows(unit_privacy) {
                return Err(context(format!(
                    "the organisation is {}: its units cannot be {}",
                    privacy.name(),
                    unit_privacy.name()
                )));
            }
            new.units.push(Unit {
                id: unit_id.clone(),
                org_id: id.clone(),
                name: unit.name.clone(),
                owner: user(shared, unit.owner.as_deref().unwrap_or(&org.owner))
                    .map_err(context)?,
                created: created.clone(),
                billing_day,
                privacy: unit_privacy,
                members: users(shared, &unit.members).map_err(context)?,
            });
            for product in &unit.products {
                let context =
                    |e: String| format!("product {:?} of unit {:?}: {e}", product.name, unit.name);
                let product_id =
                    id_of(shared, product.id.as_deref(), "product").map_err(context)?;
                if new.taken(&state, &product_id) {
                    return Err(context(format!("the id {product_id} is taken")));
                }
                if new
                    .products
                    .iter()
                    .any(|p| p.unit_id == unit_id && p.name == product.name)
                {
                    return Err(context("the unit has a product of that name".into()));
                }
                let kind = ProductType::parse(&product.kind).ok_or_else(|| {
                    context(format!(
                        "the type must be {} or {}, not {:?}",
                        ProductType::Storage.name(),
                        ProductType::ProjectTier.name(),
                        product.kind
                    ))
                })?;
                let (flavour, allowance, limit) = product_terms(
                    kind,
                    product.flavour.clone(),
                    product.allowance,
                    product.limit,
                )
                .map_err(|e| context(e.message))?;
                new.products.push(Product {
                    id: product_id,
                    unit_id: unit_id.clone(),
                    kind,
                    flavour,
                    name: product.name.clone(),
                    created: created.clone(),
                    allowance,
                    limit,
                    claim: None,
                    storage_bytes: 0,
                    storage_peak: None,
                });
            }
        }
    }
    state.organisations.append(&mut new.organisations);
    state.units.append(&mut new.units);
    state.products.append(&mut new.products);
    Ok(())
}
