//! Applications: the operators a deployment has installed. Real deployments list the Job
//! operator (which runs every Job instance) and the Jupyter notebook operator; the sandbox
//! lists both, and launches Jobs only.

use axum::extract::{Path as UrlPath, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::instances::{JOB_APPLICATION_ID, JOB_APPLICATION_VERSION};
use super::state::not_found;
use super::Caller;
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// The group every application belongs to.
const GROUP: &str = "squonk.it";
/// The Jupyter notebook application.
const JUPYTER_APPLICATION_ID: &str = "jupyternotebooks.squonk.it";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/application", get(list_applications))
        .route("/application/{application_id}", get(get_application))
}

/// One installed application.
struct Application {
    id: &'static str,
    kind: &'static str,
    version: &'static str,
    template: &'static str,
    /// Images users may choose, as (name, image).
    image_variants: &'static [(&'static str, &'static str)],
    /// (cost, unit, period, pro rata) when it is charged for.
    cost: Option<(&'static str, &'static str, &'static str, bool)>,
}

const APPLICATIONS: [Application; 2] = [
    Application {
        id: JOB_APPLICATION_ID,
        kind: "DataManagerJob",
        version: JOB_APPLICATION_VERSION,
        template: "# A Job instance is described by its Job (collection, job, version)\n\
                   # and the values of the Job's variables.\n\
                   collection: ''\njob: ''\nversion: ''\nvariables: {}\n",
        image_variants: &[],
        cost: None,
    },
    Application {
        id: JUPYTER_APPLICATION_ID,
        kind: "JupyterNotebook",
        version: "v1",
        template: "# A Jupyter notebook server for a project.\n\
                   # The squonk2 sandbox lists this application but cannot launch it.\n\
                   image: minimal\ncpu: 1\nmemory: 1Gi\n",
        image_variants: &[
            ("minimal", "jupyter/minimal-notebook:2023-10-20"),
            ("scipy", "jupyter/scipy-notebook:2023-10-20"),
            ("rdkit", "informaticsmatters/rdkit-jupyter:2023.09.1"),
        ],
        cost: Some(("1.0", "PxGi", "1 hour", true)),
    },
];

/// An application as the official `ApplicationSummary` type has it (also in a Job's detail).
#[derive(Serialize)]
pub(crate) struct ApplicationSummary {
    pub(crate) kind: &'static str,
    pub(crate) group: &'static str,
    pub(crate) application_id: &'static str,
    pub(crate) latest_version: &'static str,
}

#[derive(Serialize)]
struct ApplicationsGetResponse {
    count: usize,
    applications: Vec<ApplicationSummary>,
}

/// `GET /application`
async fn list_applications(_caller: Caller) -> Json<ApplicationsGetResponse> {
    let applications: Vec<ApplicationSummary> = APPLICATIONS
        .iter()
        .map(|a| ApplicationSummary {
            kind: a.kind,
            group: GROUP,
            application_id: a.id,
            latest_version: a.version,
        })
        .collect();
    Json(ApplicationsGetResponse {
        count: applications.len(),
        applications,
    })
}

#[derive(Serialize)]
struct ApplicationImageVariant {
    name: &'static str,
    image: &'static str,
}

#[derive(Serialize)]
struct ApplicationImageVariants {
    public: Vec<ApplicationImageVariant>,
}

#[derive(Serialize)]
struct ApplicationGetResponse {
    id: &'static str,
    template: &'static str,
    instances: Vec<String>,
    group: &'static str,
    kind: &'static str,
    versions: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_variants: Option<ApplicationImageVariants>,
    cost: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_period: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_pro_rata: Option<bool>,
}

/// `GET /application/{application_id}`: the application, with the instances of it the
/// caller can see.
async fn get_application(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(application_id): UrlPath<String>,
) -> Result<Json<ApplicationGetResponse>, ApiError> {
    let application = APPLICATIONS
        .iter()
        .find(|a| a.id == application_id)
        .ok_or_else(|| {
            not_found(format!(
                "There is no application {application_id:?} (the sandbox has {})",
                APPLICATIONS.map(|a| a.id).join(" and ")
            ))
        })?;
    let instances = if application.id == JOB_APPLICATION_ID {
        let dm = lock(&shared.dm);
        dm.instances
            .values()
            .filter(|i| {
                caller.admin
                    || i.owner == caller.username
                    || dm
                        .projects
                        .get(&i.project_id)
                        .is_some_and(|p| p.can_read(&caller))
            })
            .map(|i| i.instance_id.clone())
            .collect()
    } else {
        Vec::new()
    };
    Ok(Json(ApplicationGetResponse {
        id: application.id,
        template: application.template,
        instances,
        group: GROUP,
        kind: application.kind,
        versions: vec![application.version],
        image_variants: (!application.image_variants.is_empty()).then(|| {
            ApplicationImageVariants {
                public: application
                    .image_variants
                    .iter()
                    .map(|(name, image)| ApplicationImageVariant { name, image })
                    .collect(),
            }
        }),
        cost: application.cost.map_or("0", |c| c.0),
        cost_unit: application.cost.map(|c| c.1),
        cost_period: application.cost.map(|c| c.2),
        cost_pro_rata: application.cost.map(|c| c.3),
    }))
}
