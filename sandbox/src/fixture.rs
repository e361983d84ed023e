//! Fixtures: users, organisations (with units and products) and projects (with files) a
//! sandbox starts with, written in YAML. The format is in `sandbox/FIXTURES.md`.
//!
//! Every sandbox first loads [`STARTING_FIXTURE`], the organisation `alice` and `bob` work
//! in; then the fixture given to [`SandboxBuilder::fixture`](crate::SandboxBuilder::fixture)
//! or the binary's `--fixture FILE`.

use std::fs;
use std::path::{Component, Path};

use serde::Deserialize;

use crate::account_server::fixture::{add_organisations, id_of, user, FixtureOrganisation};
use crate::dm::projects::{TEST_ORG_ID, TEST_PRODUCT_FLAVOUR, TEST_PRODUCT_ID, TEST_UNIT_ID};
use crate::dm::state::{FileMeta, Project};
use crate::state::{lock, SandboxUser, Shared};

/// The id of the organisation every sandbox starts with.
pub const SANDBOX_ORG_ID: &str = "org-5a4db0c5-0000-4000-8000-000000000001";
/// The id of its unit.
pub const SANDBOX_UNIT_ID: &str = "unit-5a4db0c5-0000-4000-8000-000000000002";
/// The id of the unit's project-tier product (`BRONZE`), for `create_project`.
pub const SANDBOX_TIER_PRODUCT_ID: &str = "product-5a4db0c5-0000-4000-8000-000000000003";
/// The id of the unit's storage product.
pub const SANDBOX_STORAGE_PRODUCT_ID: &str = "product-5a4db0c5-0000-4000-8000-000000000004";

/// What every sandbox starts with: an organisation `alice` owns and `bob` belongs to, with
/// one unit (both members) holding a project-tier product and a storage product.
pub(crate) const STARTING_FIXTURE: &str = "\
organisations:
  - name: Sandbox
    id: org-5a4db0c5-0000-4000-8000-000000000001
    owner: alice
    members: [bob]
    units:
      - name: Sandbox Unit
        id: unit-5a4db0c5-0000-4000-8000-000000000002
        members: [bob]
        billing_day: 1
        products:
          - name: Sandbox Project Tier
            id: product-5a4db0c5-0000-4000-8000-000000000003
            type: DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION
            flavour: BRONZE
          - name: Sandbox Storage
            id: product-5a4db0c5-0000-4000-8000-000000000004
            type: DATA_MANAGER_STORAGE_SUBSCRIPTION
            allowance: 100
";

/// A fixture as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    #[serde(default)]
    users: Vec<FixtureUser>,
    #[serde(default)]
    organisations: Vec<FixtureOrganisation>,
    #[serde(default)]
    projects: Vec<FixtureProject>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureUser {
    username: String,
    password: String,
    #[serde(default)]
    admin: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureProject {
    name: String,
    id: Option<String>,
    /// A project-tier product's id, or its name; default: the test product.
    product: Option<String>,
    creator: String,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    administrators: Vec<String>,
    #[serde(default)]
    editors: Vec<String>,
    #[serde(default)]
    observers: Vec<String>,
    #[serde(default)]
    files: Vec<FixtureFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    /// Project-relative: `data/ligands.smi`.
    path: String,
    /// The file's text...
    content: Option<String>,
    /// ... or a file to copy, relative to the fixture file.
    source: Option<String>,
}

/// Loads the YAML fixture `text` into the sandbox; `dir` is where `source` files are found.
/// Users come first (so the rest may name them), then organisations, then projects.
pub(crate) fn load(shared: &Shared, text: &str, dir: &Path) -> Result<(), String> {
    let value = crate::dm::yaml::parse(text).map_err(|e| format!("not YAML: {e}"))?;
    let fixture: Fixture = if value.is_null() {
        Fixture::default()
    } else {
        serde_json::from_value(value).map_err(|e| e.to_string())?
    };
    for user in &fixture.users {
        if user.username.trim().is_empty() {
            return Err("a user needs a username".into());
        }
        let mut users = lock(&shared.users);
        users.retain(|u| !u.username.eq_ignore_ascii_case(&user.username));
        users.push(SandboxUser {
            username: user.username.clone(),
            password: user.password.clone(),
            may_be_admin: user.admin,
        });
    }
    add_organisations(shared, &fixture.organisations)?;
    for project in &fixture.projects {
        add_project(shared, project, dir)
            .map_err(|e| format!("project {:?}: {e}", project.name))?;
    }
    Ok(())
}

/// `names` known to Keycloak, with `first` in front unless already there.
fn members(shared: &Shared, first: &str, names: &[String]) -> Result<Vec<String>, String> {
    let mut all = vec![first.to_owned()];
    for name in names {
        let name = user(shared, name)?;
        if !all.contains(&name) {
            all.push(name);
        }
    }
    Ok(all)
}

fn add_project(shared: &Shared, project: &FixtureProject, dir: &Path) -> Result<(), String> {
    let creator = user(shared, &project.creator)?;
    let project_id = id_of(shared, project.id.as_deref(), "project")?;
    if lock(&shared.dm).projects.contains_key(&project_id) {
        return Err(format!("the id {project_id} is taken"));
    }
    let product_id = match project.product.as_deref() {
        None | Some(TEST_PRODUCT_ID) => TEST_PRODUCT_ID.to_owned(),
        Some(wanted) => crate::account_server::tier_product_named(shared, wanted)
            .ok_or_else(|| format!("there is no project-tier product {wanted:?}"))?,
    };
    let (unit_id, organisation_id, product_flavour) = if product_id == TEST_PRODUCT_ID {
        (
            TEST_UNIT_ID.to_owned(),
            TEST_ORG_ID.to_owned(),
            Some(TEST_PRODUCT_FLAVOUR.to_owned()),
        )
    } else {
        crate::account_server::claim_product(shared, &product_id, &project_id, &project.name)?;
        let home = crate::account_server::product_home(shared, &product_id)
            .ok_or_else(|| format!("product {product_id} has no unit"))?;
        (
            home.unit_id,
            home.organisation_id,
            home.flavour.map(str::to_owned),
        )
    };
    let administrators = members(shared, &creator, &project.administrators)?;
    let editors = members(shared, &creator, &project.editors)?;
    let observers = project
        .observers
        .iter()
        .map(|name| user(shared, name))
        .collect::<Result<Vec<_>, _>>()?;
    let mut dm = lock(&shared.dm);
    if dm
        .projects
        .values()
        .any(|p| p.creator == creator && p.name == project.name)
    {
        return Err(format!("{creator} already has a project of that name"));
    }
    let root = dm.project_dir(&project_id);
    let mut files = std::collections::BTreeMap::new();
    for file in &project.files {
        let relative = Path::new(&file.path);
        let safe = !file.path.is_empty()
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !safe {
            return Err(format!(
                "{:?} is not a project-relative file path",
                file.path
            ));
        }
        let content = match (&file.content, &file.source) {
            (Some(text), None) => text.clone().into_bytes(),
            (None, Some(source)) => {
                let source = dir.join(source);
                fs::read(&source).map_err(|e| format!("{}: {e}", source.display()))?
            }
            _ => {
                return Err(format!(
                    "{:?} needs either content or source (not both)",
                    file.path
                ))
            }
        };
        let target = root.join(relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        fs::write(&target, content).map_err(|e| format!("{}: {e}", target.display()))?;
        let key = format!("/{}", file.path.trim_start_matches('/'));
        files.insert(
            key,
            FileMeta {
                owner: creator.clone(),
                immutable: false,
                file_id: None,
            },
        );
    }
    fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    dm.projects.insert(
        project_id.clone(),
        Project {
            project_id,
            name: project.name.clone(),
            creator,
            created: crate::dm::time::now(),
            product_id,
            product_flavour,
            unit_id: Some(unit_id),
            organisation_id: Some(organisation_id),
            private: project.private,
            administrators,
            editors,
            observers,
            files,
        },
    );
    Ok(())
}
