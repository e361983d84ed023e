//! Metadata of Datasets and of their versions, kept as the Data Manager's metadata library
//! keeps it: a description, labels (the Dataset's; the latest of each label counts) and a
//! list of annotations (a version's Fields Descriptors and Service Executions, and a record
//! of each property change). Labels and annotations are kept as sent, with their `type`,
//! `created` and `annotation_version` added when missing.

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::datasets::{editable_dataset, parse_version, visible_dataset};
use super::state::bad_request;
use super::{time, Caller, Params};
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// The version of the metadata format.
const METADATA_VERSION: &str = "0.0.1";
/// The version of the annotation format.
const ANNOTATION_VERSION: &str = "0.0.1";
/// The annotations a Dataset version accepts.
const VERSION_ANNOTATIONS: [&str; 2] = ["FieldsDescriptorAnnotation", "ServiceExecutionAnnotation"];
/// The longest label name.
const MAX_LABEL: usize = 40;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/dataset/{dataset_id}/meta",
            get(get_metadata).post(update_metadata),
        )
        .route(
            "/dataset/{dataset_id}/meta/{dataset_version}",
            get(get_version_metadata).post(update_version_metadata),
        )
}

/// The metadata of a Dataset or of one of its versions.
#[derive(Debug, Clone)]
pub(crate) struct MetaDoc {
    pub(crate) dataset_name: String,
    pub(crate) description: String,
    pub(crate) created: f64,
    pub(crate) last_updated: f64,
    pub(crate) created_by: String,
    /// `LabelAnnotation`s, one per label (the latest).
    pub(crate) labels: Vec<Value>,
    pub(crate) annotations: Vec<Value>,
}

impl MetaDoc {
    pub(crate) fn new(dataset_name: &str, description: &str, created_by: &str) -> MetaDoc {
        let now = time::now();
        MetaDoc {
            dataset_name: dataset_name.to_string(),
            description: description.to_string(),
            created: now,
            last_updated: now,
            created_by: created_by.to_string(),
            labels: Vec::new(),
            annotations: Vec::new(),
        }
    }

    /// The active labels as `{label: value}`.
    pub(crate) fn active_labels(&self) -> Map<String, Value> {
        self.labels
            .iter()
            .filter(|l| l["active"] != Value::Bool(false))
            .filter_map(|l| Some((l["label"].as_str()?.to_string(), l["value"].clone())))
            .collect()
    }

    /// Appends an annotation, completing its record.
    pub(crate) fn annotate(&mut self, kind: &str, mut annotation: Map<String, Value>) {
        let now = time::now();
        annotation.insert("type".into(), Value::String(kind.to_string()));
        annotation
            .entry("created")
            .or_insert_with(|| Value::String(time::iso(now)));
        annotation
            .entry("annotation_version")
            .or_insert_with(|| Value::String(ANNOTATION_VERSION.into()));
        self.annotations.push(Value::Object(annotation));
        self.last_updated = now;
    }

    /// The fields the Fields Descriptor annotations describe, later ones overriding
    /// earlier ones, without the inactive ones.
    pub(crate) fn fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        for annotation in &self.annotations {
            if annotation["type"] != "FieldsDescriptorAnnotation" {
                continue;
            }
            for (name, field) in annotation["fields"].as_object().into_iter().flatten() {
                fields.insert(name.clone(), field.clone());
            }
        }
        fields.retain(|_, f| f["active"] != Value::Bool(false));
        fields
    }

    fn response(&self, dataset_id: &str, version: Option<u64>) -> DatasetMetaGetResponse {
        DatasetMetaGetResponse {
            dataset_name: self.dataset_name.clone(),
            dataset_id: dataset_id.to_string(),
            dataset_version: version,
            description: self.description.clone(),
            created: time::iso(self.created),
            last_updated: time::iso(self.last_updated),
            created_by: self.created_by.clone(),
            metadata_version: METADATA_VERSION,
            annotations: self.annotations.clone(),
            labels: self.labels.clone(),
        }
    }
}

#[derive(Serialize)]
struct DatasetMetaGetResponse {
    dataset_name: String,
    dataset_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    dataset_version: Option<u64>,
    description: String,
    created: String,
    last_updated: String,
    created_by: String,
    metadata_version: &'static str,
    annotations: Vec<Value>,
    labels: Vec<Value>,
}

/// A form field holding JSON: one object or a list of objects.
fn objects(params: &Params, name: &str) -> Result<Option<Vec<Map<String, Value>>>, ApiError> {
    let Some(text) = params.get_set(name) else {
        return Ok(None);
    };
    let value: Value = serde_json::from_str(text)
        .map_err(|e| bad_request(format!("'{name}' is not JSON: {e}")))?;
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(map) => Ok(map),
            other => Err(bad_request(format!(
                "'{name}' must hold JSON objects, not {other}"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Checks `meta_properties` (only the description may change) and returns the changes.
fn property_changes(params: &Params) -> Result<Vec<String>, ApiError> {
    let mut descriptions = Vec::new();
    for change in objects(params, "meta_properties")?.unwrap_or_default() {
        for (key, value) in change {
            if key != "description" {
                return Err(bad_request(format!(
                    "Only the 'description' can be changed through meta_properties, not {key:?}"
                )));
            }
            let Value::String(description) = value else {
                return Err(bad_request("The 'description' must be a string"));
            };
            descriptions.push(description);
        }
    }
    Ok(descriptions)
}

fn set_descriptions(meta: &mut MetaDoc, descriptions: Vec<String>) {
    for description in descriptions {
        let previous = std::mem::replace(&mut meta.description, description);
        let mut change = Map::new();
        change.insert("meta_property".into(), json!("description"));
        change.insert("previous_value".into(), Value::String(previous));
        meta.annotate("PropertyChangeAnnotation", change);
    }
}

/// Checks `labels`: `{"label": name, "value": text or null, "active": bool}` each.
fn labels(params: &Params) -> Result<Vec<Map<String, Value>>, ApiError> {
    let mut labels = objects(params, "labels")?.unwrap_or_default();
    for label in &mut labels {
        let name = label
            .get("label")
            .and_then(Value::as_str)
            .map(str::to_lowercase)
            .filter(|n| !n.is_empty() && n.len() <= MAX_LABEL && !n.contains(char::is_whitespace))
            .ok_or_else(|| {
                bad_request(format!(
                    "Each label needs a 'label': a name of 1 to {MAX_LABEL} characters \
                     without spaces"
                ))
            })?;
        label.insert("label".into(), Value::String(name));
        match label.get("value") {
            None => {
                label.insert("value".into(), Value::Null);
            }
            Some(Value::String(_) | Value::Null) => {}
            Some(other) => {
                return Err(bad_request(format!(
                    "A label's 'value' must be a string or null, not {other}"
                )))
            }
        }
        match label.get("active") {
            None => {
                label.insert("active".into(), Value::Bool(true));
            }
            Some(Value::Bool(_)) => {}
            Some(other) => {
                return Err(bad_request(format!(
                    "A label's 'active' must be true or false, not {other}"
                )))
            }
        }
    }
    Ok(labels)
}

/// An annotation's type and its other fields.
type Annotation = (String, Map<String, Value>);

/// Checks `annotations` (Fields Descriptors and Service Executions).
fn version_annotations(params: &Params) -> Result<Vec<Annotation>, ApiError> {
    let mut annotations = Vec::new();
    for mut annotation in objects(params, "annotations")?.unwrap_or_default() {
        let kind = annotation
            .remove("type")
            .and_then(|t| t.as_str().map(str::to_string))
            .filter(|t| VERSION_ANNOTATIONS.contains(&t.as_str()))
            .ok_or_else(|| {
                bad_request(format!(
                    "Each annotation needs a 'type': one of {}",
                    VERSION_ANNOTATIONS.join(", ")
                ))
            })?;
        if kind == "FieldsDescriptorAnnotation" {
            match annotation.get("fields") {
                None => {
                    annotation.insert("fields".into(), json!({}));
                }
                Some(Value::Object(fields)) => {
                    if let Some((name, _)) = fields.iter().find(|(_, f)| !f.is_object()) {
                        return Err(bad_request(format!(
                            "The field {name:?} of a FieldsDescriptorAnnotation must be an \
                             object ({{\"type\", \"description\", \"required\", \"active\"}})"
                        )));
                    }
                }
                Some(_) => {
                    return Err(bad_request(
                        "The 'fields' of a FieldsDescriptorAnnotation must be an object",
                    ))
                }
            }
        }
        annotations.push((kind, annotation));
    }
    Ok(annotations)
}

/// `GET /dataset/{dataset_id}/meta`
async fn get_metadata(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(dataset_id): UrlPath<String>,
) -> Result<Json<DatasetMetaGetResponse>, ApiError> {
    let dm = lock(&shared.dm);
    let dataset = visible_dataset(&dm, &caller, &dataset_id)?;
    Ok(Json(dataset.meta.response(&dataset_id, None)))
}

/// `POST /dataset/{dataset_id}/meta` (form `meta_properties`, `labels`).
async fn update_metadata(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath(dataset_id): UrlPath<String>,
    params: Params,
) -> Result<(StatusCode, Json<DatasetMetaGetResponse>), ApiError> {
    let descriptions = property_changes(&params)?;
    let labels = labels(&params)?;
    if descriptions.is_empty() && labels.is_empty() {
        return Err(bad_request(
            "Nothing to change: give 'meta_properties' or 'labels' (JSON)",
        ));
    }
    let mut dm = lock(&shared.dm);
    let dataset = editable_dataset(&mut dm, &caller, &dataset_id)?;
    let meta = &mut dataset.meta;
    set_descriptions(meta, descriptions);
    let now = time::now();
    for mut label in labels {
        label.insert("type".into(), json!("LabelAnnotation"));
        label.insert("created".into(), Value::String(time::iso(now)));
        label.insert("annotation_version".into(), json!(ANNOTATION_VERSION));
        meta.labels.retain(|l| l["label"] != label["label"]);
        meta.labels.push(Value::Object(label));
        meta.last_updated = now;
    }
    Ok((
        StatusCode::CREATED,
        Json(dataset.meta.response(&dataset_id, None)),
    ))
}

/// `GET /dataset/{dataset_id}/meta/{dataset_version}`
async fn get_version_metadata(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath((dataset_id, version)): UrlPath<(String, String)>,
) -> Result<Json<DatasetMetaGetResponse>, ApiError> {
    let version = parse_version(&dataset_id, &version)?;
    let dm = lock(&shared.dm);
    let dataset = visible_dataset(&dm, &caller, &dataset_id)?;
    let found = dataset.live_version(version)?;
    Ok(Json(found.meta.response(&dataset_id, Some(version))))
}

/// `POST /dataset/{dataset_id}/meta/{dataset_version}` (form `meta_properties`,
/// `annotations`).
async fn update_version_metadata(
    State(shared): State<AppState>,
    caller: Caller,
    UrlPath((dataset_id, version)): UrlPath<(String, String)>,
    params: Params,
) -> Result<(StatusCode, Json<DatasetMetaGetResponse>), ApiError> {
    let version = parse_version(&dataset_id, &version)?;
    let descriptions = property_changes(&params)?;
    let annotations = version_annotations(&params)?;
    if descriptions.is_empty() && annotations.is_empty() {
        return Err(bad_request(
            "Nothing to change: give 'meta_properties' or 'annotations' (JSON)",
        ));
    }
    let mut dm = lock(&shared.dm);
    let dataset = editable_dataset(&mut dm, &caller, &dataset_id)?;
    let found = dataset.live_version_mut(version)?;
    set_descriptions(&mut found.meta, descriptions);
    for (kind, annotation) in annotations {
        found.meta.annotate(&kind, annotation);
    }
    Ok((
        StatusCode::CREATED,
        Json(found.meta.response(&dataset_id, Some(version))),
    ))
}
