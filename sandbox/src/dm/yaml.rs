//! YAML documents (workflow definitions, Job manifests and Job definitions) read as JSON
//! values, the form the Data Manager answers them in.

use serde_json::{Map, Number, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// The first document of `text` as JSON, or why it could not be read. An empty text is
/// `null`. Mapping keys that are not strings are written as text (`1` → `"1"`).
pub(crate) fn parse(text: &str) -> Result<Value, String> {
    let documents = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    Ok(documents.first().map(to_json).unwrap_or(Value::Null))
}

fn to_json(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(i) => Value::Number((*i).into()),
        Yaml::Real(text) => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.clone())),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Hash(hash) => Value::Object(
            hash.iter()
                .map(|(k, v)| (key_text(k), to_json(v)))
                .collect::<Map<String, Value>>(),
        ),
    }
}

fn key_text(key: &Yaml) -> String {
    match key {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Null => "null".into(),
        other => format!("{other:?}"),
    }
}

/// The string at `key` of a JSON object, when it is a non-empty string.
pub(crate) fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_yaml_as_json() {
        let value =
            parse("kind: X\nversion: '1.0'\ncount: 3\nratio: 0.5\nlist: [a, 1, true]\n").unwrap();
        assert_eq!(
            value,
            json!({"kind": "X", "version": "1.0", "count": 3, "ratio": 0.5, "list": ["a", 1, true]})
        );
        assert_eq!(parse("").unwrap(), Value::Null);
        assert!(parse("a: [").is_err());
    }
}
