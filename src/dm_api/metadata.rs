//! Dataset metadata: the dataset's own (properties and labels) and each version's
//! (properties and annotations). Changes are sent as JSON text in form fields.

use super::models::DatasetMetaGetResponse;
use crate::api_rv::ApiRv;
use crate::client::{Api, Client};
use crate::request::call;

/// A dataset's metadata: `GET /dataset/{dataset_id}/meta`.
pub fn get_dataset_metadata(client: &Client, dataset_id: &str) -> ApiRv<DatasetMetaGetResponse> {
    call!(Api::Dm, "GET", "/dataset/{dataset_id}/meta")
        .path("dataset_id", dataset_id)
        .error("Failed to get dataset metadata")
        .run(client)
}

/// Optional arguments of [`update_dataset_metadata`].
#[derive(Clone, Debug, Default)]
pub struct UpdateDatasetMetadataOptions {
    /// JSON text of a list of property changes (the server allows only the description).
    pub meta_properties: Option<String>,
    /// JSON text of a list of labels, in the label annotation format of the
    /// `data-manager-metadata` library.
    pub labels: Option<String>,
}

/// Changes a dataset's metadata: `POST /dataset/{dataset_id}/meta` with a form
/// (`meta_properties` and `labels` when set; no body when neither is).
pub fn update_dataset_metadata(
    client: &Client,
    dataset_id: &str,
    opts: &UpdateDatasetMetadataOptions,
) -> ApiRv<DatasetMetaGetResponse> {
    call!(Api::Dm, "POST", "/dataset/{dataset_id}/meta")
        .path("dataset_id", dataset_id)
        .form("meta_properties", &opts.meta_properties)
        .form("labels", &opts.labels)
        .error("Failed to update dataset metadata")
        .run(client)
}

/// A dataset version's metadata: `GET /dataset/{dataset_id}/meta/{dataset_version}`.
pub fn get_dataset_version_metadata(
    client: &Client,
    dataset_id: &str,
    dataset_version: i64,
) -> ApiRv<DatasetMetaGetResponse> {
    call!(
        Api::Dm,
        "GET",
        "/dataset/{dataset_id}/meta/{dataset_version}",
    )
    .path("dataset_id", dataset_id)
    .require_positive("dataset_version", dataset_version)
    .path("dataset_version", dataset_version)
    .error("Failed to get dataset version metadata")
    .run(client)
}

/// Optional arguments of [`update_dataset_version_metadata`].
#[derive(Clone, Debug, Default)]
pub struct UpdateDatasetVersionMetadataOptions {
    /// JSON text of a list of property changes (the server allows only the description).
    pub meta_properties: Option<String>,
    /// JSON text of a list of annotations (Fields Descriptor or Service Execution annotations
    /// of the `data-manager-metadata` library).
    pub annotations: Option<String>,
}

/// Changes a dataset version's metadata:
/// `POST /dataset/{dataset_id}/meta/{dataset_version}` with a form (`meta_properties` and
/// `annotations` when set; no body when neither is).
pub fn update_dataset_version_metadata(
    client: &Client,
    dataset_id: &str,
    dataset_version: i64,
    opts: &UpdateDatasetVersionMetadataOptions,
) -> ApiRv<DatasetMetaGetResponse> {
    call!(
        Api::Dm,
        "POST",
        "/dataset/{dataset_id}/meta/{dataset_version}",
    )
    .path("dataset_id", dataset_id)
    .require_positive("dataset_version", dataset_version)
    .path("dataset_version", dataset_version)
    .form("meta_properties", &opts.meta_properties)
    .form("annotations", &opts.annotations)
    .error("Failed to update dataset version metadata")
    .run(client)
}
