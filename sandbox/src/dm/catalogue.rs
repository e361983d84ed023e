//! The sandbox's Job catalogue, what each Job does when run in the sandbox, and the small
//! part of Jinja2 the Job commands use.
//!
//! The definitions follow the shape of real Data Manager Job definitions
//! (`DataManagerJobDefinition` YAML, as served by `GET /job/{id}`); `rdkit-molprops` carries
//! the variables of the real Job. The sandbox runs no containers: the `im-test` Jobs do what
//! they say (nothing, emit events, toss a coin, copy a file), and a Job it cannot really run
//! writes an output that says it came from the sandbox.

use serde_json::{json, Map, Value};

/// What the sandbox does when an instance of a Job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behaviour {
    /// Nothing (succeeds).
    Nop,
    /// Emits `count` task events while it runs.
    Events,
    /// Succeeds on `heads`, fails on `tails` (the `coin` option).
    Coin,
    /// Copies `inputFile` to `outputFile` in the project.
    CopyFile,
    /// Cannot run here: writes a note saying so to each output file, and succeeds.
    Note,
}

/// One Job of the catalogue.
#[derive(Debug, Clone)]
pub(crate) struct JobDefinition {
    pub(crate) collection: String,
    pub(crate) job: String,
    pub(crate) version: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) category: String,
    pub(crate) keywords: Vec<String>,
    pub(crate) doc_url: Option<String>,
    pub(crate) image_name: String,
    pub(crate) image_tag: String,
    pub(crate) image_project_directory: String,
    pub(crate) image_working_directory: String,
    /// A Jinja2 template of the command.
    pub(crate) command: String,
    /// `{order?, inputs?, outputs?, options?}`, each JSON-Schema-like.
    pub(crate) variables: Value,
    pub(crate) behaviour: Behaviour,
    /// The Job manifest that loaded it (`None`: built in).
    pub(crate) manifest_id: Option<u64>,
    /// Purged from the catalogue: its id stays taken, it is no longer listed or found.
    pub(crate) removed: bool,
}

#[allow(clippy::too_many_arguments)]
fn definition(
    collection: &str,
    job: &str,
    name: &str,
    description: &str,
    category: &str,
    keywords: &[&str],
    image: (&str, &str),
    command: &str,
    variables: Value,
    behaviour: Behaviour,
) -> JobDefinition {
    JobDefinition {
        collection: collection.into(),
        job: job.into(),
        version: "1.0.0".into(),
        name: name.into(),
        description: description.into(),
        category: category.into(),
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        doc_url: None,
        image_name: image.0.into(),
        image_tag: image.1.into(),
        image_project_directory: "/data".into(),
        image_working_directory: "/data".into(),
        command: command.into(),
        variables,
        behaviour,
        manifest_id: None,
        removed: false,
    }
}

/// The catalogue every sandbox starts with.
pub(crate) fn jobs() -> Vec<JobDefinition> {
    const IM_TEST: (&str, &str) = ("informaticsmatters/squonk2-im-test-jobs", "1.0.0");
    let mut molprops = definition(
        "rdkit",
        "rdkit-molprops",
        "Molecular property calculations",
        "Calculates molecular properties using RDKit",
        "comp chem",
        &["rdkit", "properties"],
        ("informaticsmatters/vs-prep", "latest"),
        "/code/rdkit_props.py --input '{{ inputFile }}' --outfile '{{ outputFile }}' \
         {% if readHeader %}--read-header{% endif %} \
         {% if writeHeader %}--write-header{% endif %} \
         {% if separator is defined %}--delimiter '{{ separator }}'{% endif %} \
         {% if sdfReadRecords is defined %}--sdf-read-records '{{ sdfReadRecords }}'{% endif %} \
         {% if idColumn is defined %}--id-column '{{ idColumn }}'{% endif %} \
         --interval 10000",
        rdkit_molprops_variables(),
        Behaviour::Note,
    );
    molprops.doc_url = Some("https://discourse.squonk.it/t/job-rdkit-props/91".into());
    vec![
        definition(
            "im-test",
            "nop",
            "No operation",
            "A Job that does nothing and succeeds",
            "test",
            &["test", "nop"],
            IM_TEST,
            "/code/nop.py",
            json!({}),
            Behaviour::Nop,
        ),
        definition(
            "im-test",
            "event-test",
            "Event generator",
            "A Job that emits task events while it runs",
            "test",
            &["test", "events"],
            IM_TEST,
            "/code/event_test.py --count {{ count }}",
            json!({
                "options": {
                    "type": "object",
                    "properties": {
                        "count": {
                            "title": "Number of events",
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 100,
                            "default": 5
                        }
                    }
                }
            }),
            Behaviour::Events,
        ),
        definition(
            "im-test",
            "coin-test",
            "Coin toss",
            "A Job that succeeds on heads and fails on tails",
            "test",
            &["test", "failure"],
            IM_TEST,
            "/code/coin_test.py --coin '{{ coin }}'",
            json!({
                "options": {
                    "type": "object",
                    "properties": {
                        "coin": {
                            "title": "The side the coin lands on",
                            "type": "string",
                            "enum": ["heads", "tails"],
                            "default": "heads"
                        }
                    }
                }
            }),
            Behaviour::Coin,
        ),
        definition(
            "im-test",
            "copy-file",
            "Copy a file",
            "A Job that copies a project file to a new file in the project",
            "test",
            &["test", "file"],
            IM_TEST,
            "cp '{{ inputFile }}' '{{ outputFile }}'",
            json!({
                "order": {"options": ["outputFile"]},
                "inputs": {
                    "type": "object",
                    "required": ["inputFile"],
                    "properties": {
                        "inputFile": {
                            "title": "File to copy",
                            "mime-types": ["text/plain", "application/octet-stream"],
                            "type": "file"
                        }
                    }
                },
                "outputs": {
                    "type": "object",
                    "properties": {
                        "outputFile": {
                            "title": "The copy",
                            "mime-types": ["text/plain", "application/octet-stream"],
                            "creates": "{{ outputFile }}",
                            "type": "file"
                        }
                    }
                },
                "options": {
                    "type": "object",
                    "required": ["outputFile"],
                    "properties": {
                        "outputFile": {
                            "title": "Output file name",
                            "type": "string",
                            "pattern": "^[A-Za-z0-9_/\\.\\-]+$"
                        }
                    }
                }
            }),
            Behaviour::CopyFile,
        ),
        molprops,
    ]
}

/// The variables of the real `rdkit-molprops` Job (virtual-screening `rdkit.yaml`).
fn rdkit_molprops_variables() -> Value {
    let field = |kind: &str, description: &str| json!({"type": kind, "description": description, "required": true, "active": true});
    json!({
        "inputs": {
            "type": "object",
            "required": ["inputFile"],
            "properties": {
                "inputFile": {
                    "title": "Molecules",
                    "mime-types": ["chemical/x-mdl-sdfile", "squonk/x-smiles", "text/csv"],
                    "type": "file"
                }
            }
        },
        "outputs": {
            "type": "object",
            "properties": {
                "outputFile": {
                    "title": "Output file",
                    "mime-types": ["chemical/x-mdl-sdfile", "squonk/x-smiles", "text/csv"],
                    "creates": "{{ outputFile }}",
                    "type": "file",
                    "annotation-properties": {
                        "fields-descriptor": {
                            "origin": "squonk2-job",
                            "description": "Molecular property calculation",
                            "fields": {
                                "hac": field("integer", "Heavy atom count"),
                                "num_rot_bonds": field("integer", "Rotatable bond count"),
                                "num_rings": field("integer", "Number of rings"),
                                "num_aro_rings": field("integer", "Number of aromatic rings"),
                                "num_cc": field("integer", "Number of chiral centres"),
                                "num_undef_cc": field("integer", "Number of undefined chiral centres"),
                                "num_sp3": field("integer", "Number of SP3 hybridised carbons"),
                                "logp": field("number", "Crippen LogP"),
                                "tpsa": field("number", "Topological polar surface area")
                            }
                        },
                        "service-execution": {
                            "service_ref": "https://discourse.squonk.it/t/job-rdkit-props/91"
                        },
                        "derived-from": "inputFile"
                    }
                }
            }
        },
        "options": {
            "type": "object",
            "required": ["outputFile"],
            "properties": {
                "outputFile": {
                    "title": "Output file name",
                    "type": "string",
                    "pattern": "^[A-Za-z0-9_/\\.\\-]+$"
                },
                "readHeader": {"title": "Input has header line (text formats only)", "type": "boolean"},
                "writeHeader": {"title": "Output has header line (text formats only)", "type": "boolean"},
                "separator": {
                    "title": "Separator for text formats",
                    "type": "string",
                    "default": "tab",
                    "enum": ["tab", "comma", "space", "pipe"]
                },
                "idColumn": {
                    "title": "Index (text) or name (SDF) to use for the ID field",
                    "type": ["string"],
                    "pattern": "^[A-Za-z0-9_\\.\\- ]+$"
                },
                "sdfReadRecords": {
                    "title": "Number of SDF records to read field names",
                    "type": "integer",
                    "default": 100
                }
            }
        }
    })
}

/// A variable's value as Jinja2 prints a Python value.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Bool(true)) => true,
    }
}

/// Renders the Jinja2 the catalogue uses: `{{ name }}`, and `{% if name %}` /
/// `{% if name is defined %}` ... `{% endif %}` (not nested). White space is folded.
pub(crate) fn render(template: &str, variables: &Map<String, Value>) -> String {
    let mut out = String::new();
    let mut rest = template;
    let mut skipping = false;
    while let Some(open) = rest.find(['{']) {
        let (before, tag) = rest.split_at(open);
        if !skipping {
            out.push_str(before);
        }
        if let Some(inner) = tag.strip_prefix("{{") {
            let Some(close) = inner.find("}}") else {
                out.push_str(tag);
                rest = "";
                break;
            };
            if !skipping {
                let name = inner[..close].trim();
                out.push_str(&variables.get(name).map(text_of).unwrap_or_default());
            }
            rest = &inner[close + 2..];
        } else if let Some(inner) = tag.strip_prefix("{%") {
            let Some(close) = inner.find("%}") else {
                rest = "";
                break;
            };
            let statement = inner[..close].trim();
            if let Some(condition) = statement.strip_prefix("if ") {
                let condition = condition.trim();
                skipping = match condition.strip_suffix(" is defined") {
                    Some(name) => !variables.contains_key(name.trim()),
                    None => !truthy(variables.get(condition)),
                };
            } else if statement == "endif" {
                skipping = false;
            }
            rest = &inner[close + 2..];
        } else {
            if !skipping {
                out.push('{');
            }
            rest = &tag[1..];
        }
    }
    if !skipping {
        out.push_str(rest);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl JobDefinition {
    fn section(&self, name: &str) -> Option<&Map<String, Value>> {
        self.variables[name]["properties"].as_object()
    }

    fn required(&self, name: &str) -> Vec<&str> {
        self.variables[name]["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    }

    /// The names of the Job's file inputs.
    pub(crate) fn input_names(&self) -> Vec<String> {
        self.section("inputs")
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Checks the given variables and adds the options' defaults. `file_exists` says whether
    /// a project-relative input path names a file.
    pub(crate) fn complete_variables(
        &self,
        given: &Map<String, Value>,
        file_exists: impl Fn(&str) -> bool,
    ) -> Result<Map<String, Value>, String> {
        let mut variables = given.clone();
        for name in self.required("inputs") {
            if !given.contains_key(name) {
                return Err(format!("The Job's input variable '{name}' is missing"));
            }
        }
        for name in self.input_names() {
            if let Some(value) = given.get(&name) {
                let paths: Vec<&Value> = match value {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                for path in paths {
                    let Some(path) = path.as_str().filter(|p| !p.is_empty()) else {
                        return Err(format!("The input variable '{name}' must name a file"));
                    };
                    if !file_exists(path) {
                        return Err(format!(
                            "The input file '{path}' (variable '{name}') is not in the project"
                        ));
                    }
                }
            }
        }
        if let Some(options) = self.section("options") {
            for (name, property) in options {
                match given.get(name) {
                    Some(value) => check_option(name, property, value)?,
                    None => {
                        if let Some(default) = property.get("default") {
                            variables.insert(name.clone(), default.clone());
                        }
                    }
                }
            }
        }
        for name in self.required("options") {
            if !variables.contains_key(name) {
                return Err(format!("The Job's option '{name}' is missing"));
            }
        }
        Ok(variables)
    }

    /// The Job's outputs with their `creates` rendered.
    pub(crate) fn rendered_outputs(&self, variables: &Map<String, Value>) -> Map<String, Value> {
        let mut outputs = Map::new();
        for (name, property) in self.section("outputs").into_iter().flatten() {
            let mut property = property.clone();
            if let Some(creates) = property["creates"].as_str() {
                property["creates"] = Value::String(render(creates, variables));
            }
            outputs.insert(name.clone(), property);
        }
        outputs
    }
}

/// Checks an option's value against its declared `type`, `enum`, `minimum` and `maximum`
/// (and `exclusiveMinimum`, `exclusiveMaximum`), as the Data Manager checks a specification;
/// the error names the option.
pub(crate) fn check_option(name: &str, property: &Value, value: &Value) -> Result<(), String> {
    let kind = property["type"].as_str().unwrap_or("");
    let type_ok = match kind {
        "integer" => match value {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        "number" => value.is_number(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    };
    if !type_ok {
        return Err(format!(
            "The option '{name}' must be of type {kind}, not {value}"
        ));
    }
    if let Some(allowed) = property["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(format!(
                "The option '{name}' must be one of {}",
                Value::Array(allowed.clone())
            ));
        }
    }
    if let Some(number) = value.as_f64() {
        let bound = |key: &str| property[key].as_f64();
        if let Some(min) = bound("minimum").filter(|min| number < *min) {
            return Err(format!(
                "The option '{name}' must be at least {min}, not {value}"
            ));
        }
        if let Some(max) = bound("maximum").filter(|max| number > *max) {
            return Err(format!(
                "The option '{name}' must be at most {max}, not {value}"
            ));
        }
        if let Some(min) = bound("exclusiveMinimum").filter(|min| number <= *min) {
            return Err(format!(
                "The option '{name}' must be more than {min}, not {value}"
            ));
        }
        if let Some(max) = bound("exclusiveMaximum").filter(|max| number >= *max) {
            return Err(format!(
                "The option '{name}' must be less than {max}, not {value}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_against_their_declaration() {
        let count = json!({"type": "integer", "minimum": 1, "maximum": 100});
        assert!(check_option("count", &count, &json!(5)).is_ok());
        assert!(check_option("count", &count, &json!(5.0)).is_ok());
        for bad in [
            json!(4294967295u64),
            json!(1e9),
            json!(0),
            json!(-3),
            json!("abc"),
            json!(2.5),
        ] {
            let error = check_option("count", &count, &bad).unwrap_err();
            assert!(error.contains("'count'"), "{error}");
        }
        let coin = json!({"type": "string", "enum": ["heads", "tails"]});
        assert!(check_option("coin", &coin, &json!("edge")).is_err());
        assert!(check_option("coin", &coin, &json!(1)).is_err());
    }

    #[test]
    fn renders_the_jinja_the_catalogue_uses() {
        let vars = json!({"inputFile": "a.smi", "readHeader": false, "separator": "tab"});
        let vars = vars.as_object().unwrap();
        assert_eq!(
            render(
                "x '{{ inputFile }}' {% if readHeader %}--rh{% endif %} \
                 {% if separator is defined %}--d '{{ separator }}'{% endif %} \
                 {% if idColumn is defined %}--id{% endif %} end",
                vars
            ),
            "x 'a.smi' --d 'tab' end"
        );
    }

    #[test]
    fn checks_variables_and_fills_defaults() {
        let jobs = jobs();
        let molprops = jobs.iter().find(|j| j.job == "rdkit-molprops").unwrap();
        let given = json!({"inputFile": "in.smi", "outputFile": "out.smi"});
        let full = molprops
            .complete_variables(given.as_object().unwrap(), |p| p == "in.smi")
            .unwrap();
        assert_eq!(full["separator"], "tab");
        assert_eq!(full["sdfReadRecords"], 100);
        let missing = json!({"outputFile": "out.smi"});
        assert!(molprops
            .complete_variables(missing.as_object().unwrap(), |_| true)
            .is_err());
        let no_file = molprops.complete_variables(given.as_object().unwrap(), |_| false);
        assert!(no_file.unwrap_err().contains("in.smi"));
        let outputs = molprops.rendered_outputs(&full);
        assert_eq!(outputs["outputFile"]["creates"], "out.smi");
    }
}
