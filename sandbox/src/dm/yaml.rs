//! YAML documents (workflow definitions, Job manifests and Job definitions) read as JSON
//! values, the form the Data Manager answers them in.

use serde::Deserialize as _;
use serde_json::Value;

/// The first document of `text` as JSON, or why it could not be read. An empty text is
/// `null`; mapping keys must be strings, as in JSON.
pub(crate) fn parse(text: &str) -> Result<Value, String> {
    match serde_norway::Deserializer::from_str(text).next() {
        Some(document) => Value::deserialize(document).map_err(|e| e.to_string()),
        None => Ok(Value::Null),
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
        // Only the first document counts, as the Data Manager reads them.
        assert_eq!(parse("a: 1\n---\nb: 2\n").unwrap(), json!({"a": 1}));
        // Anchors and aliases are resolved.
        assert_eq!(
            parse("x: &v [1, 2]\ny: *v\n").unwrap(),
            json!({"x": [1, 2], "y": [1, 2]})
        );
    }
}
