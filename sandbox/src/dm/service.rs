//! The Data Manager's service endpoints: versions, namespace, registration, mode, input
//! handlers and the supported file types.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::{time, Caller, DM_VERSION, NAMESPACE};
use crate::auth::AuthUser;
use crate::state::{lock, AppState};

/// The version of the Job definition schema the sandbox reports.
const JOB_DEFINITION_SCHEMA_VERSION: &str = "2024.1";
/// The version of the workflow engine the sandbox reports.
const WORKFLOW_ENGINE_VERSION: &str = "1.0.0-sandbox";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/version", get(get_version))
        .route(
            "/account-server/namespace",
            get(get_account_server_namespace),
        )
        .route(
            "/account-server/registration",
            get(get_account_server_registration),
        )
        .route("/mode", get(get_mode))
        .route("/input-handler", get(get_input_handlers))
        .route(
            "/job-definition-schema/version",
            get(get_job_definition_schema_version),
        )
        .route("/workflow-engine/version", get(get_workflow_engine_version))
        .route("/type", get(get_file_types))
}

#[derive(Serialize)]
struct VersionGetResponse {
    version: &'static str,
}

/// `GET /version`
async fn get_version() -> Json<VersionGetResponse> {
    Json(VersionGetResponse {
        version: DM_VERSION,
    })
}

#[derive(Serialize)]
struct AccountServerGetNamespaceResponse {
    namespace: &'static str,
}

/// `GET /account-server/namespace`
async fn get_account_server_namespace(_user: AuthUser) -> Json<AccountServerGetNamespaceResponse> {
    Json(AccountServerGetNamespaceResponse {
        namespace: NAMESPACE,
    })
}

#[derive(Serialize)]
struct AccountServerGetRegistrationResponse {
    merchant_id: u64,
    name: &'static str,
    registered: String,
}

/// `GET /account-server/registration`
async fn get_account_server_registration(
    State(shared): State<AppState>,
    _caller: Caller,
) -> Json<AccountServerGetRegistrationResponse> {
    let started = lock(&shared.dm).started;
    Json(AccountServerGetRegistrationResponse {
        merchant_id: 1,
        name: "squonk2-sandbox-data-manager",
        registered: time::iso(started),
    })
}

#[derive(Serialize)]
struct ModeGetResponse {
    mode: &'static str,
}

/// `GET /mode`
async fn get_mode() -> Json<ModeGetResponse> {
    Json(ModeGetResponse {
        mode: "DEVELOPMENT",
    })
}

#[derive(Serialize)]
struct InputHandlerDetail {
    input_type: &'static str,
    documentation: &'static str,
}

#[derive(Serialize)]
struct InputHandlerGetResponse {
    count: usize,
    input_handlers: Vec<InputHandlerDetail>,
}

/// `GET /input-handler`
async fn get_input_handlers() -> Json<InputHandlerGetResponse> {
    let input_handlers = vec![
        InputHandlerDetail {
            input_type: "chemical/x-mdl-sdfile",
            documentation: "# SD files\n\nMolecules in MDL SD format (`.sdf`, `.sdf.gz`).",
        },
        InputHandlerDetail {
            input_type: "squonk/x-smiles",
            documentation: "# SMILES\n\nTab-separated SMILES and identifiers (`.smi`).",
        },
    ];
    Json(InputHandlerGetResponse {
        count: input_handlers.len(),
        input_handlers,
    })
}

/// `GET /job-definition-schema/version`
async fn get_job_definition_schema_version() -> Json<VersionGetResponse> {
    Json(VersionGetResponse {
        version: JOB_DEFINITION_SCHEMA_VERSION,
    })
}

/// `GET /workflow-engine/version`
async fn get_workflow_engine_version() -> Json<VersionGetResponse> {
    Json(VersionGetResponse {
        version: WORKFLOW_ENGINE_VERSION,
    })
}

#[derive(Serialize)]
struct TypeSummary {
    mime: &'static str,
    file_extensions: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    formatter_image: Option<&'static str>,
    formatter_supports_db_load: bool,
}

#[derive(Serialize)]
struct TypesGetResponse {
    count: usize,
    types: Vec<TypeSummary>,
}

/// The file types the sandbox knows: (MIME, extensions, formatter image).
pub(crate) const FILE_TYPES: &[(&str, &[&str], Option<&str>)] = &[
    (
        "chemical/x-mdl-sdfile",
        &[".sdf", ".sdf.gz"],
        Some("informaticsmatters/squonk2-dm-format-support:latest"),
    ),
    ("chemical/x-mdl-molfile", &[".mol"], None),
    (
        "squonk/x-smiles",
        &[".smi", ".smi.gz"],
        Some("informaticsmatters/squonk2-dm-format-support:latest"),
    ),
    ("chemical/x-pdb", &[".pdb"], None),
    ("text/csv", &[".csv"], None),
    ("text/plain", &[".txt"], None),
];

/// `GET /type`
async fn get_file_types(_caller: Caller) -> Json<TypesGetResponse> {
    let types: Vec<TypeSummary> = FILE_TYPES
        .iter()
        .map(|(mime, extensions, image)| TypeSummary {
            mime,
            file_extensions: extensions.to_vec(),
            formatter_image: *image,
            formatter_supports_db_load: image.is_some(),
        })
        .collect();
    Json(TypesGetResponse {
        count: types.len(),
        types,
    })
}
