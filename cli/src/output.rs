//! Printing an answer: JSON (pretty on a terminal, compact in a pipe), YAML, or a table.

use std::io::{IsTerminal, Write};

use serde_json::Value;

/// `--output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Yaml,
    Table,
}

impl Format {
    pub(crate) const NAMES: [&'static str; 3] = ["json", "yaml", "table"];

    pub(crate) fn from_name(name: &str) -> Format {
        match name {
            "yaml" => Format::Yaml,
            "table" => Format::Table,
            _ => Format::Json,
        }
    }
}

/// The answer as text in `format`, ending with a new line (nothing for an empty table).
pub(crate) fn render(value: &Value, format: Format) -> String {
    match format {
        Format::Json => {
            let text = if std::io::stdout().is_terminal() {
                serde_json::to_string_pretty(value)
            } else {
                serde_json::to_string(value)
            };
            format!("{}\n", text.unwrap_or_default())
        }
        Format::Yaml => yaml(value),
        Format::Table => table(value),
    }
}

/// Writes to stdout; a closed pipe (`| head -1`) ends quietly.
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn to_yaml(value: &Value) -> yaml_rust2::Yaml {
    use yaml_rust2::Yaml;
    match value {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Integer(i),
            None => Yaml::Real(n.to_string()),
        },
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(items) => Yaml::Array(items.iter().map(to_yaml).collect()),
        Value::Object(map) => Yaml::Hash(
            map.iter()
                .map(|(k, v)| (Yaml::String(k.clone()), to_yaml(v)))
                .collect(),
        ),
    }
}

fn yaml(value: &Value) -> String {
    let mut out = String::new();
    let mut emitter = yaml_rust2::YamlEmitter::new(&mut out);
    if emitter.dump(&to_yaml(value)).is_err() {
        return String::new();
    }
    let out = out.strip_prefix("---\n").unwrap_or(&out).to_string();
    let out = out.strip_prefix("--- ").unwrap_or(&out).to_string();
    format!("{out}\n")
}

/// The columns of the listings, by the key that holds the rows. Columns no row has are
/// left out; a dotted name reaches into an object.
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "projects",
        &[
            "project_id",
            "name",
            "owner",
            "creator",
            "product_id",
            "private",
            "size",
            "created",
        ],
    ),
    (
        "files",
        &[
            "file_name",
            "file_id",
            "mime_type",
            "owner",
            "immutable",
            "stat.size",
            "stat.modified",
        ],
    ),
    (
        "instances",
        &[
            "id",
            "name",
            "phase",
            "job_collection",
            "job_job",
            "job_version",
            "project_id",
            "owner",
            "launched",
        ],
    ),
    (
        "tasks",
        &[
            "id",
            "purpose",
            "purpose_id",
            "done",
            "exit_code",
            "processing_stage",
            "created",
        ],
    ),
    (
        "jobs",
        &[
            "id",
            "collection",
            "job",
            "version",
            "name",
            "category",
            "disabled",
        ],
    ),
    (
        "datasets",
        &[
            "dataset_id",
            "versions.0.file_name",
            "versions.0.type",
            "versions.0.owner",
            "editors",
        ],
    ),
    (
        "workflows",
        &["id", "name", "version", "scope", "scope_id", "validated"],
    ),
    (
        "organisations",
        &["id", "name", "owner_id", "private", "created"],
    ),
    (
        "units",
        &[
            "id",
            "name",
            "organisation",
            "owner_id",
            "billing_day",
            "private",
            "created",
        ],
    ),
    (
        "products",
        &[
            "product.id",
            "product.name",
            "product.type",
            "product.flavour",
            "unit.name",
            "organisation.name",
            "coins.used",
            "storage.size.current",
        ],
    ),
    (
        "assets",
        &[
            "id", "name", "scope", "scope_id", "secret", "disabled", "creator", "created",
        ],
    ),
    (
        "organisation_charges",
        &["organisation_id", "name", "summary"],
    ),
    (
        "summary",
        &["product_id", "name", "coins", "type", "unit_id"],
    ),
    (
        "running_workflows",
        &["id", "name", "status", "done", "success", "project_id"],
    ),
    (
        "environments",
        &[
            "name",
            "default",
            "dm_api",
            "as_api",
            "keycloak_url",
            "keycloak_realm",
            "admin_user",
        ],
    ),
    (
        "users",
        &["username", "admin", "first_seen", "last_seen_date"],
    ),
    (
        "applications",
        &["application_id", "kind", "group", "versions"],
    ),
];

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            items.iter().map(cell).collect::<Vec<_>>().join(",")
        }
        other => other.to_string(),
    }
}

fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(value, |v, key| match key.parse::<usize>() {
            Ok(i) if v.is_array() => &v[i],
            _ => &v[key],
        })
}

/// The rows of a listing: the array under the first known key, or the first array of
/// objects; `get_units` lists units per organisation, flattened here.
fn rows(value: &Value) -> Option<(Vec<Value>, Vec<String>)> {
    let object = value.as_object()?;
    // A listing is `{"count", "<rows>": [...], ...}` or a few keys around its rows; an
    // object with many fields (an instance with its tasks) is one item, not a listing.
    if !object.contains_key("count") && object.len() > 3 {
        return None;
    }
    for (key, columns) in COLUMNS {
        if let Some(Value::Array(items)) = object.get(*key) {
            let mut items = items.clone();
            if *key == "units" && items.iter().any(|i| i["units"].is_array()) {
                items = items
                    .iter()
                    .flat_map(|group| {
                        let org = group["organisation"]["name"].clone();
                        group["units"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default()
                            .into_iter()
                            .map(move |mut unit| {
                                unit["organisation"] = org.clone();
                                unit
                            })
                    })
                    .collect();
            }
            let columns: Vec<String> = columns
                .iter()
                .filter(|c| items.iter().any(|i| !at(i, c).is_null()))
                .map(|c| c.to_string())
                .collect();
            return Some((items, columns));
        }
    }
    let (_, items) = object
        .iter()
        .find(|(_, v)| v.as_array().is_some_and(|a| a.iter().any(Value::is_object)))?;
    let items = items.as_array()?.clone();
    let mut columns: Vec<String> = Vec::new();
    for item in &items {
        for (k, v) in item.as_object().into_iter().flatten() {
            if !v.is_object() && !v.is_array() && !columns.contains(k) && columns.len() < 8 {
                columns.push(k.clone());
            }
        }
    }
    Some((items, columns))
}

fn table(value: &Value) -> String {
    let (header, body): (Vec<String>, Vec<Vec<String>>) = match rows(value) {
        Some((items, columns)) => {
            let body = items
                .iter()
                .map(|i| columns.iter().map(|c| cell(at(i, c))).collect())
                .collect();
            (columns.iter().map(|c| c.to_uppercase()).collect(), body)
        }
        None => match value {
            Value::Object(map) => (
                vec!["FIELD".into(), "VALUE".into()],
                map.iter().map(|(k, v)| vec![k.clone(), cell(v)]).collect(),
            ),
            Value::Array(items) => (
                vec!["VALUE".into()],
                items.iter().map(|v| vec![cell(v)]).collect(),
            ),
            other => return format!("{}\n", cell(other)),
        },
    };
    if body.is_empty() && header.len() == 2 && header[0] == "FIELD" {
        return String::new();
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &body {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count().min(60));
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            let c: String = if c.chars().count() > 60 {
                c.chars().take(59).chain(['…']).collect()
            } else {
                c.clone()
            };
            if i + 1 == cells.len() {
                s.push_str(&c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = *w));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(&header);
    for row in &body {
        out.push_str(&line(row));
    }
    out
}
