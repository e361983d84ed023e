//! The command line against the SDK's sources (`../src`), read at test time:
//!
//! - every public endpoint function of the SDK (`pub fn NAME(client: &Client, ...) ->
//!   ApiRv<...>` in `src/dm_api/*.rs`, `src/as_api/*.rs`, `src/ui_api.rs`, and
//!   `auth::get_access_token`) is a subcommand named like it, and no subcommand is extra;
//! - each takes the function's required arguments as positionals, in order (secrets aside,
//!   which are never taken from the command line);
//! - `src/sdk_docs.rs` (the commands' help: the functions' and options' documentation) is
//!   what the SDK's sources give today. To regenerate it after the SDK changed:
//!   `SQUONK2_CLI_REGENERATE=1 cargo test -p squonk2-cli --test sdk`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One endpoint function as its source gives it.
#[derive(Debug)]
struct SdkFn {
    group: &'static str,
    name: String,
    /// The required parameters (not the client, not the options).
    params: Vec<String>,
    /// The options struct's type, aliases resolved.
    options: Option<String>,
    doc: String,
}

fn sdk_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../src")
}

fn files_of(group: &'static str) -> Vec<PathBuf> {
    let src = sdk_src();
    let mut files = match group {
        "dm" | "as" => {
            let dir = src.join(format!("{group}_api"));
            std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "rs"))
                .filter(|p| !p.ends_with("models.rs"))
                .collect()
        }
        "ui" => vec![src.join("ui_api.rs")],
        "auth" => vec![src.join("auth.rs")],
        _ => unreachable!(),
    };
    files.sort();
    files
}

/// A doc comment made readable in a terminal: code blocks dropped, links reduced to their
/// text, headings as plain lines, paragraphs kept.
fn clean_doc(lines: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut in_code = false;
    for line in lines {
        let line = line.strip_prefix(' ').unwrap_or(line);
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let line = line.trim_end();
        let line = line.strip_prefix("# ").unwrap_or(line);
        out.push(unlink(line));
    }
    // Collapse runs of empty lines, trim.
    let mut text = String::new();
    let mut blank = true;
    for line in out {
        if line.is_empty() {
            if !blank {
                text.push('\n');
            }
            blank = true;
        } else {
            if !blank && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&line);
            text.push('\n');
            blank = false;
        }
    }
    text.trim().to_string()
}

/// `[text](target)` → `text`, `[`name`]` → `name`, `[text][ref]` → `text`.
fn unlink(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '[' {
            if let Some(close) = chars[i + 1..].iter().position(|&c| c == ']') {
                let close = i + 1 + close;
                let text: String = chars[i + 1..close].iter().collect();
                let next = chars.get(close + 1);
                if next == Some(&'(') {
                    if let Some(end) = chars[close + 2..].iter().position(|&c| c == ')') {
                        out.push_str(&text);
                        i = close + 2 + end + 1;
                        continue;
                    }
                } else if next == Some(&'[') {
                    if let Some(end) = chars[close + 2..].iter().position(|&c| c == ']') {
                        out.push_str(&text);
                        i = close + 2 + end + 1;
                        continue;
                    }
                } else if text.starts_with('`') && text.ends_with('`') {
                    let bare = text.trim_matches('`');
                    let bare = bare.rsplit("::").next().unwrap_or(bare);
                    out.push('`');
                    out.push_str(bare);
                    out.push('`');
                    i = close + 1;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The endpoint functions, options structs (name → field → doc) and type aliases of the
/// SDK's sources.
type Parsed = (
    Vec<SdkFn>,
    BTreeMap<String, BTreeMap<String, String>>,
    BTreeMap<String, String>,
);

fn parse_sdk() -> Parsed {
    let mut functions = Vec::new();
    let mut structs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut aliases = BTreeMap::new();
    for group in ["dm", "as", "ui", "auth"] {
        for file in files_of(group) {
            let source = std::fs::read_to_string(&file).unwrap();
            let lines: Vec<&str> = source.lines().collect();
            let mut doc: Vec<String> = Vec::new();
            let mut i = 0;
            while i < lines.len() {
                let line = lines[i];
                if let Some(d) = line.strip_prefix("///") {
                    doc.push(d.to_string());
                    i += 1;
                    continue;
                }
                if line.starts_with("#[") {
                    i += 1;
                    continue;
                }
                if let Some(rest) = line.strip_prefix("pub type ") {
                    if let Some((name, target)) = rest.split_once(" = ") {
                        aliases.insert(
                            name.trim().to_string(),
                            target.trim_end_matches(';').trim().to_string(),
                        );
                    }
                } else if let Some(rest) = line.strip_prefix("pub struct ") {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if name.ends_with("Options") && rest.trim_end().ends_with('{') {
                        let mut fields = BTreeMap::new();
                        let mut field_doc: Vec<String> = Vec::new();
                        i += 1;
                        while i < lines.len() && lines[i] != "}" {
                            let l = lines[i].trim();
                            if let Some(d) = l.strip_prefix("///") {
                                field_doc.push(d.to_string());
                            } else if let Some(f) = l.strip_prefix("pub ") {
                                let field = f.split(':').next().unwrap().trim().to_string();
                                let text = clean_doc(&field_doc);
                                let first = text.split("\n\n").next().unwrap_or("");
                                fields.insert(field, first.replace('\n', " "));
                                field_doc.clear();
                            } else if !l.starts_with("#[") {
                                field_doc.clear();
                            }
                            i += 1;
                        }
                        structs.insert(name, fields);
                    }
                } else if let Some(rest) = line.strip_prefix("pub fn ") {
                    let mut signature = rest.to_string();
                    while !signature.trim_end().ends_with('{') {
                        i += 1;
                        signature.push(' ');
                        signature.push_str(lines[i].trim());
                    }
                    if let Some(f) = endpoint(group, &signature, &doc) {
                        functions.push(f);
                    }
                }
                doc.clear();
                i += 1;
            }
        }
    }
    (functions, structs, aliases)
}

/// An endpoint function from its signature (`NAME(...) -> ... {`), or `None`.
fn endpoint(group: &'static str, signature: &str, doc: &[String]) -> Option<SdkFn> {
    let (name, rest) = signature.split_once('(')?;
    let (params, ret) = rest.rsplit_once(")")?;
    let is_endpoint = if group == "auth" {
        name == "get_access_token"
    } else {
        ret.contains("-> ApiRv<") && params.trim_start().starts_with("client: &Client")
    };
    if !is_endpoint {
        return None;
    }
    let mut required = Vec::new();
    let mut options = None;
    for param in params.split(',') {
        let Some((pname, ptype)) = param.split_once(':') else {
            continue;
        };
        let (pname, ptype) = (pname.trim(), ptype.trim());
        if pname == "client" {
            continue;
        }
        if pname == "opts" {
            let t = ptype.trim_start_matches('&');
            let t = t.split('<').next().unwrap().trim();
            options = Some(t.to_string());
            continue;
        }
        required.push(pname.to_string());
    }
    Some(SdkFn {
        group,
        name: name.trim().to_string(),
        params: required,
        options,
        doc: clean_doc(doc),
    })
}

/// `src/sdk_docs.rs` as the SDK's sources make it.
fn generated() -> String {
    let (functions, structs, aliases) = parse_sdk();
    let mut out = String::new();
    out.push_str(
        "// @generated from the SDK's sources by `SQUONK2_CLI_REGENERATE=1 cargo test -p squonk2-cli \
         --test sdk`;\n// do not edit. Each endpoint function's documentation and its options' \
         first paragraphs.\n\n",
    );
    out.push_str("use crate::commands::SdkDoc;\n\n");
    out.push_str("/// Every endpoint function of the SDK, by group and name.\n");
    out.push_str("pub(crate) const SDK_DOCS: &[SdkDoc] = &[\n");
    for f in &functions {
        let options = f.options.as_ref().map(|o| {
            let mut o = o.clone();
            while let Some(target) = aliases.get(&o) {
                o = target.clone();
            }
            o
        });
        let fields = options
            .as_ref()
            .and_then(|o| structs.get(o))
            .cloned()
            .unwrap_or_default();
        writeln!(out, "    SdkDoc {{").unwrap();
        writeln!(out, "        group: {:?},", f.group).unwrap();
        writeln!(out, "        name: {:?},", f.name).unwrap();
        writeln!(out, "        doc: {:?},", f.doc).unwrap();
        writeln!(out, "        options: &[").unwrap();
        for (field, doc) in fields {
            writeln!(out, "            ({field:?}, {doc:?}),").unwrap();
        }
        writeln!(out, "        ],").unwrap();
        writeln!(out, "    }},").unwrap();
    }
    out.push_str("];\n");
    out
}

#[test]
fn sdk_docs_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sdk_docs.rs");
    let want = generated();
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        if std::env::var_os("SQUONK2_CLI_REGENERATE").is_some() {
            std::fs::write(&path, want).unwrap();
        } else {
            panic!(
                "{} is not what the SDK's sources give: run \
                 SQUONK2_CLI_REGENERATE=1 cargo test -p squonk2-cli --test sdk",
                path.display()
            );
        }
    }
}

/// Parameters never taken from the command line: secrets (read from the environment or a
/// prompt), and the one argument that cannot be (the list of rates is given as JSON).
const NOT_POSITIONAL: &[(&str, &str)] = &[
    ("auth get_access_token", "password"),
    ("dm get_unmanaged_project_file_with_token", "token"),
    ("dm delete_instance_token", "token"),
];

#[test]
fn every_endpoint_function_is_a_subcommand_with_its_arguments() {
    let (functions, _, _) = parse_sdk();
    assert!(
        functions.len() > 140,
        "only {} functions found",
        functions.len()
    );
    let cli = squonk2_cli::command();
    let mut want = BTreeSet::new();
    for f in &functions {
        let sub = f.name.replace('_', "-");
        want.insert(format!("{} {sub}", f.group));
        let group = cli
            .find_subcommand(f.group)
            .unwrap_or_else(|| panic!("no group {}", f.group));
        let command = group
            .find_subcommand(&sub)
            .unwrap_or_else(|| panic!("{} {}: no such subcommand", f.group, sub));
        let positionals: Vec<String> = command
            .get_positionals()
            .map(|a| a.get_id().as_str().to_string())
            .collect();
        let expected: Vec<String> = f
            .params
            .iter()
            .filter(|p| {
                !NOT_POSITIONAL.contains(&(format!("{} {}", f.group, f.name).as_str(), p.as_str()))
            })
            .cloned()
            .collect();
        assert_eq!(
            positionals, expected,
            "{} {}: positionals differ from the function's arguments",
            f.group, sub
        );
        assert!(
            command.get_about().is_some(),
            "{} {} has no help",
            f.group,
            sub
        );
    }
    let mut have = BTreeSet::new();
    for group in ["dm", "as", "ui", "auth"] {
        for sub in cli.find_subcommand(group).unwrap().get_subcommands() {
            if !sub.is_hide_set() && sub.get_name() != "help" {
                have.insert(format!("{group} {}", sub.get_name()));
            }
        }
    }
    let missing: Vec<_> = want.difference(&have).collect();
    let extra: Vec<_> = have.difference(&want).collect();
    assert!(missing.is_empty(), "subcommands missing: {missing:?}");
    assert!(
        extra.is_empty(),
        "subcommands with no SDK function: {extra:?}"
    );
    println!(
        "{} SDK endpoint functions, {} subcommands",
        functions.len(),
        have.len()
    );
}
