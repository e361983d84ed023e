//! The Data Manager API for running jobs in projects: wire parity with the Python client
//! for every recorded case of these functions, then end-to-end scenarios against the
//! sandbox (projects, files, jobs, instances, tasks, rates, the user account), bad input,
//! and the server's error texts.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use squonk2::dm_api::{self, *};
use squonk2::{ApiRv, Client, Progress};
use squonk2_sandbox::{Fault, FaultRule, Sandbox};

// ---------------------------------------------------------------------------------------
// Wire parity
// ---------------------------------------------------------------------------------------

/// The functions of this issue that the parity tests replay (`get_version` has its own
/// tests in tests/client.rs), by area.
const CONFIGURATION: &[&str] = &[
    "ping",
    "get_account_server_namespace",
    "get_account_server_registration",
    "get_workflow_engine_version",
    "get_job_definition_schema_version",
    "get_mode",
    "get_input_handler",
    "get_supported_file_types",
    "get_user_inventory",
];
const PROJECTS: &[&str] = &[
    "get_available_projects",
    "create_project",
    "get_project",
    "update_project",
    "delete_project",
    "add_project_administrator",
    "remove_project_administrator",
    "add_project_editor",
    "remove_project_editor",
    "add_project_observer",
    "remove_project_observer",
];
const FILES: &[&str] = &[
    "list_project_files",
    "put_unmanaged_project_files",
    "get_unmanaged_project_file",
    "get_unmanaged_project_file_with_token",
    "delete_unmanaged_project_files",
    "get_project_file",
    "delete_project_file",
    "move_project_file",
    "attach_dataset_to_project",
    "create_project_path",
    "delete_project_path",
    "move_project_path",
];
const INSTANCES_AND_TASKS: &[&str] = &[
    "start_job_instance",
    "dry_run_job_instance",
    "get_instance",
    "get_project_instances",
    "get_available_instances",
    "update_instance",
    "delete_instance",
    "delete_instance_token",
    "get_available_tasks",
    "get_tasks",
    "get_task",
    "delete_task",
];
const JOBS_AND_USER: &[&str] = &[
    "get_available_jobs",
    "get_jobs",
    "get_job",
    "get_job_by_version",
    "get_job_exchange_rates",
    "get_job_exchange_rate",
    "set_job_exchange_rates",
    "get_account",
    "get_users",
    "set_admin_state",
    "get_api_log",
    "get_api_token",
];

/// The number of recorded cases of the functions above, counted by hand from
/// wire/dm_api.json: a new or lost case fails the test instead of going unnoticed.
const RECORDED_CASES: usize = 135;

fn s<'a>(kw: &'a Value, key: &str) -> &'a str {
    kw[key].as_str().unwrap_or("")
}

fn o(kw: &Value, key: &str) -> Option<String> {
    kw[key].as_str().map(str::to_string)
}

fn b(kw: &Value, key: &str) -> bool {
    kw[key].as_bool().unwrap_or(false)
}

fn i(kw: &Value, key: &str) -> i64 {
    kw[key].as_i64().unwrap_or(0)
}

/// A "file or list of files" argument as a list.
fn list(kw: &Value, key: &str) -> Vec<String> {
    match &kw[key] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// The recorded call sent no token (no `access_token` given): the same client without one,
/// for the functions that send a token only when they have one.
fn as_recorded(client: &Client, kw: &Value) -> Client {
    if kw.get("access_token").is_some() {
        return client.clone();
    }
    let tokenless = Client::builder()
        .dm_api_url(dm_api::get_api_url(client).0)
        .build()
        .unwrap();
    match kw["timeout_s"].as_u64() {
        Some(t) => tokenless.with_timeout(Duration::from_secs(t)),
        None => tokenless,
    }
}

/// The Rust call for one recorded case: the Python keyword arguments mapped to ours.
fn call(function: &str, c: &Client, kw: &Value) -> ApiRv {
    match function {
        "ping" => dm_api::ping(c).untyped(),
        "get_account_server_namespace" => get_account_server_namespace(c).untyped(),
        "get_account_server_registration" => get_account_server_registration(c).untyped(),
        "get_workflow_engine_version" => get_workflow_engine_version(&as_recorded(c, kw)).untyped(),
        "get_job_definition_schema_version" => {
            get_job_definition_schema_version(&as_recorded(c, kw)).untyped()
        }
        "get_mode" => get_mode(c).untyped(),
        "get_input_handler" => get_input_handler(&as_recorded(c, kw)).untyped(),
        "get_supported_file_types" => get_supported_file_types(c).untyped(),
        "get_user_inventory" => get_user_inventory(
            c,
            &GetUserInventoryOptions {
                org_id: o(kw, "org_id"),
                unit_id: o(kw, "unit_id"),
                usernames: list(kw, "usernames"),
            },
        )
        .untyped(),
        "get_available_projects" => get_available_projects(
            c,
            &GetAvailableProjectsOptions {
                project_name: o(kw, "project_name"),
            },
        )
        .untyped(),
        "create_project" => create_project(
            c,
            s(kw, "project_name"),
            s(kw, "as_tier_product_id"),
            &CreateProjectOptions {
                private: b(kw, "private"),
            },
        )
        .untyped(),
        "get_project" => get_project(c, s(kw, "project_id")).untyped(),
        "update_project" => update_project(
            c,
            s(kw, "project_id"),
            &UpdateProjectOptions {
                project_name: o(kw, "project_name"),
                private: kw["private"].as_bool(),
            },
        )
        .untyped(),
        "delete_project" => delete_project(c, s(kw, "project_id")).untyped(),
        "add_project_administrator" => {
            add_project_administrator(c, s(kw, "project_id"), s(kw, "administrator")).untyped()
        }
        "remove_project_administrator" => {
            remove_project_administrator(c, s(kw, "project_id"), s(kw, "administrator")).untyped()
        }
        "add_project_editor" => {
            add_project_editor(c, s(kw, "project_id"), s(kw, "editor")).untyped()
        }
        "remove_project_editor" => {
            remove_project_editor(c, s(kw, "project_id"), s(kw, "editor")).untyped()
        }
        "add_project_observer" => {
            add_project_observer(c, s(kw, "project_id"), s(kw, "observer")).untyped()
        }
        "remove_project_observer" => {
            remove_project_observer(c, s(kw, "project_id"), s(kw, "observer")).untyped()
        }
        "list_project_files" => list_project_files(
            c,
            s(kw, "project_id"),
            &ListProjectFilesOptions {
                project_path: o(kw, "project_path"),
                include_hidden: b(kw, "include_hidden"),
            },
        )
        .untyped(),
        "put_unmanaged_project_files" => put_unmanaged_project_files(
            c,
            s(kw, "project_id"),
            &list(kw, "project_files"),
            &PutUnmanagedProjectFilesOptions {
                project_path: o(kw, "project_path"),
                force: b(kw, "force"),
                timeout_per_file: kw["timeout_per_file_s"].as_u64().map(Duration::from_secs),
                progress: None,
                ..Default::default()
            },
        )
        .untyped(),
        "get_unmanaged_project_file" => get_unmanaged_project_file(
            c,
            s(kw, "project_id"),
            s(kw, "project_file"),
            Path::new(s(kw, "local_file")),
            &GetUnmanagedProjectFileOptions {
                project_path: o(kw, "project_path"),
                progress: None,
                ..Default::default()
            },
        )
        .untyped(),
        "get_unmanaged_project_file_with_token" => get_unmanaged_project_file_with_token(
            c,
            s(kw, "token"),
            s(kw, "project_id"),
            s(kw, "project_file"),
            Path::new(s(kw, "local_file")),
            &GetUnmanagedProjectFileWithTokenOptions {
                project_path: o(kw, "project_path"),
                progress: None,
                ..Default::default()
            },
        )
        .untyped(),
        "delete_unmanaged_project_files" => delete_unmanaged_project_files(
            c,
            s(kw, "project_id"),
            &list(kw, "project_files"),
            &DeleteUnmanagedProjectFilesOptions {
                project_path: o(kw, "project_path"),
            },
        )
        .untyped(),
        "get_project_file" => get_project_file(
            c,
            s(kw, "file_id"),
            Path::new(s(kw, "local_file")),
            &GetProjectFileOptions::default(),
        )
        .untyped(),
        "delete_project_file" => delete_project_file(c, s(kw, "file_id")).untyped(),
        "move_project_file" => move_project_file(
            c,
            s(kw, "project_id"),
            s(kw, "file"),
            &MoveProjectFileOptions {
                dst_file: o(kw, "dst_file"),
                src_path: o(kw, "src_path"),
                dst_path: o(kw, "dst_path"),
            },
        )
        .untyped(),
        "attach_dataset_to_project" => attach_dataset_to_project(
            c,
            s(kw, "dataset_id"),
            i(kw, "dataset_version"),
            s(kw, "project_id"),
            s(kw, "as_type"),
            &AttachDatasetToProjectOptions {
                path: o(kw, "path"),
                compress: b(kw, "compress"),
                immutable: b(kw, "immutable"),
            },
        )
        .untyped(),
        "create_project_path" => {
            create_project_path(c, s(kw, "project_id"), s(kw, "project_path")).untyped()
        }
        "delete_project_path" => {
            delete_project_path(c, s(kw, "project_id"), s(kw, "project_path")).untyped()
        }
        "move_project_path" => move_project_path(
            c,
            s(kw, "project_id"),
            s(kw, "project_src_path"),
            s(kw, "project_dst_path"),
        )
        .untyped(),
        "start_job_instance" | "dry_run_job_instance" => {
            let opts = StartJobInstanceOptions {
                callback_url: o(kw, "callback_url"),
                callback_token: o(kw, "callback_token"),
                callback_context: o(kw, "callback_context"),
                generate_callback_token: b(kw, "generate_callback_token"),
                debug: o(kw, "debug"),
            };
            let (project_id, name, spec) =
                (s(kw, "project_id"), s(kw, "name"), &kw["specification"]);
            if function == "start_job_instance" {
                start_job_instance(c, project_id, name, spec, &opts).untyped()
            } else {
                dry_run_job_instance(c, project_id, name, spec, &opts).untyped()
            }
        }
        "get_instance" => get_instance(c, s(kw, "instance_id")).untyped(),
        "get_project_instances" => get_project_instances(c, s(kw, "project_id")).untyped(),
        "get_available_instances" => get_available_instances(c).untyped(),
        "update_instance" => update_instance(
            c,
            s(kw, "instance_id"),
            &UpdateInstanceOptions {
                archive: b(kw, "archive"),
            },
        )
        .untyped(),
        "delete_instance" => delete_instance(c, s(kw, "instance_id")).untyped(),
        "delete_instance_token" => {
            delete_instance_token(c, s(kw, "instance_id"), s(kw, "token")).untyped()
        }
        "get_available_tasks" => get_available_tasks(
            c,
            &GetAvailableTasksOptions {
                exclude_done: b(kw, "exclude_done"),
                exclude_purpose: o(kw, "exclude_purpose"),
                project_id: o(kw, "project_id"),
            },
        )
        .untyped(),
        "get_tasks" => get_tasks(
            c,
            &GetTasksOptions {
                exclude_done: b(kw, "exclude_done"),
                exclude_removal: b(kw, "exclude_removal"),
                exclude_purpose: o(kw, "exclude_purpose"),
                project_id: o(kw, "project_id"),
                instance_callback_context: o(kw, "instance_callback_context"),
            },
        )
        .untyped(),
        "get_task" => get_task(
            c,
            s(kw, "task_id"),
            &GetTaskOptions {
                event_prior_ordinal: kw["event_prior_ordinal"].as_u64().unwrap_or(0),
                event_limit: kw["event_limit"].as_u64().unwrap_or(0),
            },
        )
        .untyped(),
        "delete_task" => delete_task(c, s(kw, "task_id")).untyped(),
        "get_available_jobs" => get_available_jobs(c).untyped(),
        "get_jobs" => get_jobs(
            c,
            &GetJobsOptions {
                project_id: o(kw, "project_id"),
            },
        )
        .untyped(),
        "get_job" => get_job(
            c,
            i(kw, "job_id"),
            &GetJobOptions {
                project_id: o(kw, "project_id"),
            },
        )
        .untyped(),
        "get_job_by_version" => get_job_by_version(
            c,
            s(kw, "job_collection"),
            s(kw, "job_job"),
            s(kw, "job_version"),
            &GetJobByVersionOptions {
                project_id: o(kw, "project_id"),
            },
        )
        .untyped(),
        "get_job_exchange_rates" => get_job_exchange_rates(
            c,
            &GetJobExchangeRatesOptions {
                only_undefined: b(kw, "only_undefined"),
            },
        )
        .untyped(),
        "get_job_exchange_rate" => get_job_exchange_rate(
            c,
            i(kw, "job_id"),
            &GetJobExchangeRateOptions {
                current: b(kw, "current"),
            },
        )
        .untyped(),
        "set_job_exchange_rates" => {
            let rates: Vec<Value> = match &kw["rates"] {
                Value::Array(items) => items.clone(),
                one => vec![one.clone()],
            };
            let rates: Vec<JobExchangeRate> = rates
                .iter()
                .map(|r| JobExchangeRate {
                    collection: s(r, "collection").into(),
                    job: s(r, "job").into(),
                    version: s(r, "version").into(),
                    rate: s(r, "rate").into(),
                    comment: o(r, "comment"),
                })
                .collect();
            set_job_exchange_rates(c, &rates).untyped()
        }
        "get_account" => get_account(
            c,
            &GetAccountOptions {
                do_not_impersonate: b(kw, "do_not_impersonate"),
            },
        )
        .untyped(),
        "get_users" => get_users(c).untyped(),
        "set_admin_state" => set_admin_state(
            c,
            b(kw, "admin"),
            &SetAdminStateOptions {
                impersonate: o(kw, "impersonate"),
            },
        )
        .untyped(),
        "get_api_log" => get_api_log(
            c,
            &GetApiLogOptions {
                from_: o(kw, "from_"),
                until: o(kw, "until"),
            },
        )
        .untyped(),
        "get_api_token" => get_api_token(c).untyped(),
        other => panic!("no Rust call for {other}"),
    }
}

/// Multipart parts are compared by content when the recording has it (text), by SHA-256
/// otherwise (binary or long): the sandbox logs both for small parts.
fn normalise_parts(requests: &[Value]) -> Vec<Value> {
    requests
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(parts) = r["body"]["multipart"].as_array_mut() {
                for part in parts {
                    if part["content"].is_null() {
                        continue;
                    }
                    part["sha256"] = Value::Null;
                }
            }
            r
        })
        .collect()
}

/// The recorded requests of a case after the deviations that apply to it.
fn expected_requests(case: &Value, recorded: &[Value]) -> Vec<Value> {
    let function = case["function"].as_str().unwrap();
    let variant = case["variant"].as_str().unwrap();
    recorded
        .iter()
        .map(|r| {
            let mut r = r.clone();
            match function {
                // D7: the path functions send their parameters in the query, as the API
                // defines them, not as a form body.
                "create_project_path" | "delete_project_path" | "move_project_path" => {
                    r["query"] = r["body"]["form"].clone();
                    r["body"] = Value::Null;
                    // A write without a body says `Content-Length: 0`, as Python's would.
                    r["framing"] = json!("0");
                }
                // D11: names are stripped to their base name.
                "delete_unmanaged_project_files" => {
                    for pair in r["query"].as_array_mut().unwrap() {
                        if pair[0] == "file" {
                            let name = pair[1].as_str().unwrap();
                            pair[1] = Value::from(name.rsplit('/').next().unwrap());
                        }
                    }
                }
                // D2: the value is one encoded segment; `/`, `?` and `#` stay in it.
                "add_project_editor" if variant == "special_chars_in_path" => {
                    let editor = s(&case["kwargs"], "editor");
                    let project = s(&case["kwargs"], "project_id");
                    r["path"] = Value::from(format!(
                        "/data-manager-api/project/{project}/editor/{editor}"
                    ));
                    r["query"] = json!([]);
                }
                _ => {}
            }
            r
        })
        .collect()
}

/// What our call must return for a case, after the deviations that apply to it.
fn expected_result(case: &Value, tmp: &Path) -> ApiRv {
    let function = case["function"].as_str().unwrap();
    let variant = case["variant"].as_str().unwrap();
    match (function, variant) {
        // D4: any 2xx is a success (Python insisted on 201).
        ("create_project", "failure:200_when_201_expected") => {
            ApiRv::new(true, case["requests"][0]["response"]["body"].clone(), 200)
        }
        // Python's text ends with the Python repr of the rate dict, which has no meaning
        // outside Python: we name the rate alone.
        ("set_job_exchange_rates", "failure:rate_put_500") => ApiRv::new(
            false,
            json!({"error": "Failed setting rate for job 7 (c/j/1) rate=0.1 (HTTP 500: boom)"}),
            500,
        ),
        _ => {
            let rv = expected_rv(case);
            ApiRv::new(
                rv.success,
                substitute_tmp(&rv.msg, tmp),
                rv.http_status_code,
            )
        }
    }
}

/// What the upload cases' local files hold: their recorded content, or, for the binary
/// file (recorded as length + SHA-256 only), the bytes 0..=255 sixteen times, whose
/// SHA-256 is the recorded one (the sandbox's log proves it when the upload is compared).
fn recorded_local_files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for case in cases(DM_WIRE, "put_unmanaged_project_files") {
        for request in case["requests"].as_array().unwrap() {
            for part in request["body"]["parts"].as_array().into_iter().flatten() {
                let Some(name) = part["filename"].as_str() else {
                    continue;
                };
                let content = match part["content"].as_str() {
                    Some(text) => text.as_bytes().to_vec(),
                    None => {
                        assert_eq!(part["content_length"], 4096, "{part}");
                        (0..=255u8).cycle().take(4096).collect()
                    }
                };
                if !files.iter().any(|(n, _)| n == name) {
                    files.push((name.to_string(), content));
                }
            }
        }
    }
    files
}

/// The body served for the recorded downloads whose content the fixture gives only as
/// length + SHA-256: 33 bytes that are not JSON, like the recorded ones.
const DOWNLOAD_BODY: &[u8] = b"\x00\x01 33 bytes of a binary file: \xfe\xff\n";

/// Replays every case of `functions`, returning how many were replayed.
fn replay_all(functions: &[&str]) -> usize {
    let mut replayed = 0;
    for function in functions {
        let all = cases(DM_WIRE, function);
        assert!(!all.is_empty(), "no recorded case of {function}");
        for case in &all {
            replay_case(case);
            replayed += 1;
        }
    }
    replayed
}

fn replay_case(case: &Value) {
    let function = case["function"].as_str().unwrap();
    let variant = case["variant"].as_str().unwrap();
    let what = format!("{function} / {variant}");
    let placeholder_download = case["requests"][0]["response"]["body"]["bytes_length"].is_u64();
    let mut tmp_dir = PathBuf::new();
    let mut downloaded: Option<Option<Vec<u8>>> = None;
    let replayed = replay(
        case,
        |sandbox, tmp| {
            tmp_dir = tmp.to_path_buf();
            if function == "put_unmanaged_project_files" {
                for (name, content) in recorded_local_files() {
                    fs::write(tmp.join(name), content).unwrap();
                }
            }
            if function == "add_project_editor" && variant == "special_chars_in_path" {
                // D2: our path keeps the whole value; answer it as the recorder did.
                let path = &expected_requests(case, &[json!({})])[0]["path"];
                sandbox.add_fault(
                    FaultRule::new(
                        path.as_str().unwrap().to_string(),
                        Fault::Respond {
                            status: 201,
                            content_type: "application/json".into(),
                            body: b"{}".to_vec(),
                        },
                    )
                    .method("PUT")
                    .times(1),
                );
            }
            if placeholder_download {
                let request = &case["requests"][0];
                sandbox.clear_faults();
                sandbox.add_fault(
                    FaultRule::new(
                        request["path_decoded"].as_str().unwrap().to_string(),
                        Fault::Respond {
                            status: 200,
                            content_type: "application/octet-stream".into(),
                            body: DOWNLOAD_BODY.to_vec(),
                        },
                    )
                    .method("GET")
                    .times(1),
                );
            }
        },
        |client, kw, _tmp| {
            let rv = call(function, client, kw);
            // The temporary directory goes with the replay: read the download now.
            if let Some(local) = o(kw, "local_file") {
                downloaded = Some(fs::read(local).ok());
            }
            rv
        },
    );
    let tmp = tmp_dir.as_path();
    match variant {
        "failure:api_url_not_set" => {
            assert_eq!(replayed.rv, expected_rv(case), "{what}");
            assert!(replayed.received.is_empty(), "{what}");
            return;
        }
        "failure:connection_refused" => {
            assert_no_response_rv(case, &replayed.rv, "connection refused");
            assert!(replayed.received.is_empty(), "{what}");
            return;
        }
        "failure:rate_not_decimal" => {
            // Python raised InvalidOperation before sending; we refuse it the same way,
            // as an ApiRv naming the rate.
            assert!(replayed.received.is_empty(), "{what}");
            assert!(!replayed.rv.success);
            assert_eq!(replayed.rv.http_status_code, 0);
            let error = replayed.rv.error().unwrap();
            assert!(
                error.contains("\"not-a-number\"") && error.contains("c/j/1"),
                "{error}"
            );
            return;
        }
        _ => {}
    }
    let expected = normalise_parts(&expected_requests(case, &replayed.recorded));
    let received: Vec<Value> = replayed.received.iter().map(comparable).collect();
    let mut ours = normalise_parts(&received);
    for r in &mut ours {
        if r["token"].is_string() {
            r["token"] = Value::from("<token>");
        }
    }
    let expected: Vec<Value> = expected
        .into_iter()
        .map(|mut r| {
            if r["token"].is_string() {
                r["token"] = Value::from("<token>");
            }
            r
        })
        .collect();
    assert_eq!(ours, expected, "requests differ for {what}");
    // Tokens: ours is the client's real token wherever Python sent one.
    for request in &replayed.received {
        if let Some(token) = header(request, "authorization") {
            assert_eq!(
                Some(token.trim_start_matches("Bearer ")),
                replayed.dm_token.as_deref(),
                "{what}"
            );
        }
    }
    assert_eq!(replayed.rv, expected_result(case, tmp), "{what}");
    if let Some(got) = downloaded {
        match &case["local_file_written"] {
            Value::Null => assert!(got.is_none(), "{what}: no file may be written"),
            written => {
                let got = got.unwrap_or_else(|| panic!("{what}: no file written"));
                if placeholder_download {
                    assert_eq!(got, DOWNLOAD_BODY, "{what}");
                    assert_eq!(written["length"], DOWNLOAD_BODY.len(), "{what}");
                } else {
                    let body = &case["requests"][0]["response"]["body"];
                    assert_eq!(got, python_json(body).into_bytes(), "{what}");
                    assert_eq!(written["length"], got.len(), "{what}");
                }
            }
        }
    }
}

#[test]
fn every_recorded_case_of_these_functions_is_replayed() {
    let all: Vec<&str> = [
        CONFIGURATION,
        PROJECTS,
        FILES,
        INSTANCES_AND_TASKS,
        JOBS_AND_USER,
    ]
    .concat();
    let recorded: usize = all.iter().map(|f| cases(DM_WIRE, f).len()).sum();
    assert_eq!(recorded, RECORDED_CASES);
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "a function is listed twice");
    assert_eq!(all.len(), 56);
}

#[test]
fn configuration_functions_match_the_recordings() {
    assert_eq!(replay_all(CONFIGURATION), 18);
}

#[test]
fn project_functions_match_the_recordings() {
    assert_eq!(replay_all(PROJECTS), 29);
}

#[test]
fn file_functions_match_the_recordings() {
    assert_eq!(replay_all(FILES), 34);
}

#[test]
fn instance_and_task_functions_match_the_recordings() {
    assert_eq!(replay_all(INSTANCES_AND_TASKS), 26);
}

#[test]
fn job_and_user_functions_match_the_recordings() {
    assert_eq!(replay_all(JOBS_AND_USER), 28);
}

// ---------------------------------------------------------------------------------------
// Scenarios against the sandbox
// ---------------------------------------------------------------------------------------

/// The job duration of the scenario sandboxes: short, so that the suite stays fast.
const JOB_DURATION: Duration = Duration::from_millis(200);

fn quick_sandbox() -> Sandbox {
    Sandbox::builder()
        .job_duration(JOB_DURATION)
        .start()
        .expect("the sandbox starts")
}

/// Creates a project with the test product and returns its id.
fn new_project(client: &Client, name: &str, private: bool) -> String {
    let rv = create_project(
        client,
        name,
        TEST_PRODUCT_ID,
        &CreateProjectOptions { private },
    );
    assert_eq!(rv.http_status_code, 201, "{rv:?}");
    rv.msg["project_id"].as_str().unwrap().to_string()
}

/// Writes `size` bytes to `path` in 1 MiB pieces (never the whole file in memory); byte i
/// is `(i * 7 + i / 4096) % 256`, so misplaced pieces show.
fn write_big_file(path: &Path, size: u64) {
    let mut file = std::io::BufWriter::new(fs::File::create(path).unwrap());
    let mut written = 0u64;
    let mut piece = vec![0u8; 1 << 20];
    while written < size {
        let n = piece.len().min((size - written) as usize);
        for (k, byte) in piece[..n].iter_mut().enumerate() {
            let i = written + k as u64;
            *byte = ((i * 7 + i / 4096) % 256) as u8;
        }
        file.write_all(&piece[..n]).unwrap();
        written += n as u64;
    }
    file.flush().unwrap();
}

/// Whether two files hold the same bytes (read piece by piece).
fn same_content(a: &Path, b: &Path) -> bool {
    let (mut a, mut b) = (fs::File::open(a).unwrap(), fs::File::open(b).unwrap());
    let (mut x, mut y) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = read_full(&mut a, &mut x);
        let m = read_full(&mut b, &mut y);
        if n != m || x[..n] != y[..m] {
            return false;
        }
        if n == 0 {
            return true;
        }
    }
}

fn read_full(file: &mut fs::File, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]).unwrap() {
            0 => break,
            n => filled += n,
        }
    }
    filled
}

#[test]
fn a_project_runs_a_job_end_to_end() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();

    // Create a project and a directory in it.
    let project_id = new_project(&client, "end to end", true);
    ok(create_project_path(&client, &project_id, "work"));

    // Upload files, one of them over 100 MiB (made on disk, never held in memory).
    let small = tmp.path().join("molecules.smi");
    fs::write(&small, "C1=CC=CC=C1\tbenzene\nCCO\tethanol\n").unwrap();
    let big = tmp.path().join("big.bin");
    let big_size = 101 * 1024 * 1024 + 17;
    write_big_file(&big, big_size);
    let reports = Arc::new(Mutex::new(Vec::new()));
    let seen = reports.clone();
    let opts = PutUnmanagedProjectFilesOptions {
        project_path: Some("/work".into()),
        progress: Some(Progress::new(move |done, total| {
            seen.lock().unwrap().push((done, total))
        })),
        ..Default::default()
    };
    let rv = put_unmanaged_project_files(&client, &project_id, &[&small, &big], &opts);
    // The listing of a new, empty directory answers 200: that is the code returned.
    assert_eq!(rv, ApiRv::new(true, json!({}), 200));
    let reports = reports.lock().unwrap().clone();
    let (done, total) = *reports.last().unwrap();
    assert_eq!(done, total);
    assert!(
        total > big_size,
        "the last report is the big file's: {reports:?}"
    );
    assert!(reports
        .windows(2)
        .all(|w| w[0].0 <= w[1].0 || w[1].1 != w[0].1));

    // Uploading again skips what is there: nothing is sent but the listing.
    sandbox.clear_requests();
    let rv = put_unmanaged_project_files(&client, &project_id, &[&small, &big], &opts);
    assert!(rv.success, "{rv:?}");
    assert_eq!(api_requests(&sandbox).len(), 1);

    // List.
    let listing = ok(list_project_files(
        &client,
        &project_id,
        &ListProjectFilesOptions {
            project_path: Some("/work".into()),
            ..Default::default()
        },
    ));
    assert_eq!(file_names(&listing), ["big.bin", "molecules.smi"]);
    assert_eq!(listing["files"][0]["stat"]["size"], big_size);
    assert_eq!(listing["files"][0]["owner"], ADMIN_USER);

    // Start a job that copies a file, and wait for it, watching the phases go by.
    let spec = json!({
        "collection": "im-test",
        "job": "copy-file",
        "version": "1.0.0",
        "variables": {"inputFile": "work/molecules.smi", "outputFile": "work/copy.smi"},
    });
    let dry = ok(dry_run_job_instance(
        &client,
        &project_id,
        "copy",
        &spec,
        &DryRunJobInstanceOptions::default(),
    ));
    assert_eq!(dry["command"], "cp 'work/molecules.smi' 'work/copy.smi'");
    let started = start_job_instance(
        &client,
        &project_id,
        "copy",
        &spec,
        &StartJobInstanceOptions::default(),
    );
    assert_eq!(started.http_status_code, 201, "{started:?}");
    let instance_id = started.msg["instance_id"].as_str().unwrap().to_string();
    let task_id = started.msg["task_id"].as_str().unwrap().to_string();
    let phases = Arc::new(Mutex::new(Vec::new()));
    let seen = phases.clone();
    let instance = ok(wait_for_instance(
        &client,
        &instance_id,
        &WaitOptions {
            on_poll: Some(OnPoll::new(move |poll| {
                let phase =
                    poll.map(|instance: &models::InstanceGetResponse| instance.phase.to_string());
                seen.lock().unwrap().push(phase.unwrap_or_default())
            })),
            ..fast_wait()
        },
    ));
    assert_eq!(instance["phase"], "COMPLETED", "{instance}");
    assert_eq!(
        instance["outputs"]["outputFile"]["creates"],
        "work/copy.smi"
    );
    let phases = phases.lock().unwrap().clone();
    assert_eq!(
        phases.first().map(String::as_str),
        Some("PENDING"),
        "{phases:?}"
    );
    assert!(phases.iter().any(|p| p == "RUNNING"), "{phases:?}");
    let order = |p: &str| {
        ["PENDING", "RUNNING", "COMPLETED"]
            .iter()
            .position(|x| *x == p)
    };
    assert!(
        phases.windows(2).all(|w| order(&w[0]) <= order(&w[1])),
        "{phases:?}"
    );

    // The task's events, in order, and read in two pages.
    let task = ok(wait_for_task(&client, &task_id, &fast_wait()));
    assert_eq!(task["done"], true);
    assert_eq!(task["exit_code"], 0);
    let events = task["events"].as_array().unwrap();
    let ordinals: Vec<u64> = events
        .iter()
        .map(|e| e["ordinal"].as_u64().unwrap())
        .collect();
    assert_eq!(ordinals, (1..=ordinals.len() as u64).collect::<Vec<_>>());
    assert!(events.last().unwrap()["message"]
        .as_str()
        .unwrap()
        .starts_with("Job completed"));
    let later = ok(get_task(
        &client,
        &task_id,
        &GetTaskOptions {
            event_prior_ordinal: 2,
            event_limit: 1,
        },
    ));
    assert_eq!(later["events"], json!([events[2]]));
    let states: Vec<&str> = task["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["PENDING", "STARTED", "SUCCESS"]);

    // Download the output, and the big file back.
    let copy = tmp.path().join("copy.smi");
    let rv = get_unmanaged_project_file(
        &client,
        &project_id,
        "copy.smi",
        &copy,
        &GetUnmanagedProjectFileOptions {
            project_path: Some("/work".into()),
            progress: None,
            ..Default::default()
        },
    );
    assert_eq!(rv, ApiRv::new(true, json!({}), 200));
    assert!(same_content(&copy, &small));
    let back = tmp.path().join("big-back.bin");
    let last = Arc::new(Mutex::new((0, 0)));
    let seen = last.clone();
    ok(get_unmanaged_project_file(
        &client,
        &project_id,
        "big.bin",
        &back,
        &GetUnmanagedProjectFileOptions {
            project_path: Some("/work".into()),
            progress: Some(Progress::new(move |done, total| {
                *seen.lock().unwrap() = (done, total)
            })),
            ..Default::default()
        },
    ));
    assert_eq!(*last.lock().unwrap(), (big_size, big_size));
    assert!(same_content(&back, &big));

    // The instance has a directory in the project until it is deleted.
    let project_dir = sandbox.project_dir(&project_id).unwrap();
    let instance_dir = project_dir.join(format!(".{instance_id}"));
    assert!(instance_dir.join("job.log").is_file());
    let hidden = ok(list_project_files(
        &client,
        &project_id,
        &ListProjectFilesOptions {
            include_hidden: true,
            ..Default::default()
        },
    ));
    assert!(hidden["paths"]
        .as_array()
        .unwrap()
        .contains(&Value::from(format!(".{instance_id}"))));
    let deleted = ok(delete_instance(&client, &instance_id));
    let removal = ok(wait_for_task(
        &client,
        deleted["task_id"].as_str().unwrap(),
        &fast_wait(),
    ));
    assert_eq!(removal["removal"], true);
    assert!(!instance_dir.exists());
    assert_eq!(get_instance(&client, &instance_id).http_status_code, 404);

    // Delete the project: its files go too.
    let deleted = ok(delete_project(&client, &project_id));
    assert!(deleted["task_id"].is_string());
    assert!(!project_dir.exists());
    let rv = get_project(&client, &project_id);
    assert_eq!(rv.http_status_code, 404);
    assert_eq!(
        rv.error(),
        Some(
            format!("Failed to get project (HTTP 404: Project {project_id} does not exist)")
                .as_str()
        )
    );
}

#[test]
fn jobs_fail_when_made_to_and_say_what_the_sandbox_did() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();
    let project_id = new_project(&client, "jobs", false);
    let start = |collection: &str, job: &str, variables: Value| {
        let spec = json!({"collection": collection, "job": job, "version": "1.0.0",
                          "variables": variables});
        let rv = start_job_instance(
            &client,
            &project_id,
            job,
            &spec,
            &StartJobInstanceOptions::default(),
        );
        assert_eq!(rv.http_status_code, 201, "{rv:?}");
        (
            rv.msg["instance_id"].as_str().unwrap().to_string(),
            rv.msg["task_id"].as_str().unwrap().to_string(),
        )
    };

    // A Job made to fail ends FAILED, with its error and a failed task.
    sandbox.fail_job("im-test", "nop", "the sandbox was told to fail this job");
    let (nop, nop_task) = start("im-test", "nop", json!({}));
    let instance = ok(wait_for_instance(&client, &nop, &fast_wait()));
    assert_eq!(instance["phase"], "FAILED");
    assert_eq!(
        instance["error_message"],
        "the sandbox was told to fail this job"
    );
    let task = ok(get_task(&client, &nop_task, &GetTaskOptions::default()));
    assert_eq!(task["exit_code"], 1);
    assert_eq!(
        task["states"].as_array().unwrap().last().unwrap()["state"],
        "FAILURE"
    );
    assert_eq!(
        task["events"].as_array().unwrap().last().unwrap()["level"],
        "ERROR"
    );
    sandbox.clear_job_failures();
    let (nop, _) = start("im-test", "nop", json!({}));
    assert_eq!(
        ok(wait_for_instance(&client, &nop, &fast_wait()))["phase"],
        "COMPLETED"
    );

    // coin-test fails on tails.
    let (tails, _) = start("im-test", "coin-test", json!({"coin": "tails"}));
    let (heads, _) = start("im-test", "coin-test", json!({}));
    assert_eq!(
        ok(wait_for_instance(&client, &tails, &fast_wait()))["phase"],
        "FAILED"
    );
    assert_eq!(
        ok(wait_for_instance(&client, &heads, &fast_wait()))["phase"],
        "COMPLETED"
    );

    // event-test emits its events, in order.
    let (_, events_task) = start("im-test", "event-test", json!({"count": 3}));
    let task = ok(wait_for_task(&client, &events_task, &fast_wait()));
    let messages: Vec<&str> = task["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    let emitted: Vec<&&str> = messages
        .iter()
        .filter(|m| m.starts_with("Event "))
        .collect();
    assert_eq!(emitted, [&"Event 1 of 3", &"Event 2 of 3", &"Event 3 of 3"]);

    // rdkit-molprops cannot run here: its output says so, and no chemistry is pretended.
    let molecules = tmp.path().join("100.smi");
    fs::write(&molecules, "CCO\tethanol\n").unwrap();
    ok(put_unmanaged_project_files(
        &client,
        &project_id,
        &[&molecules],
        &PutUnmanagedProjectFilesOptions {
            project_path: Some("/work".into()),
            ..Default::default()
        },
    ));
    let job = ok(get_job_by_version(
        &client,
        "rdkit",
        "rdkit-molprops",
        "1.0.0",
        &GetJobByVersionOptions::default(),
    ));
    assert_eq!(
        job["variables"]["options"]["properties"]["separator"]["enum"],
        json!(["tab", "comma", "space", "pipe"])
    );
    let (props, _) = start(
        "rdkit",
        "rdkit-molprops",
        json!({"inputFile": "work/100.smi", "outputFile": "work/props.smi"}),
    );
    let instance = ok(wait_for_instance(&client, &props, &fast_wait()));
    assert_eq!(instance["phase"], "COMPLETED");
    let out = tmp.path().join("props.smi");
    ok(get_unmanaged_project_file(
        &client,
        &project_id,
        "props.smi",
        &out,
        &GetUnmanagedProjectFileOptions {
            project_path: Some("/work".into()),
            progress: None,
            ..Default::default()
        },
    ));
    let note = fs::read_to_string(&out).unwrap();
    assert!(note.contains("written by the squonk2 sandbox"), "{note}");
    assert!(note.contains("nothing was\n# calculated"), "{note}");

    // A missing input or a bad option is refused at launch with the server's reason.
    let spec = json!({"collection": "rdkit", "job": "rdkit-molprops", "version": "1.0.0",
                      "variables": {"inputFile": "work/none.smi", "outputFile": "x.smi"}});
    let rv = start_job_instance(&client, &project_id, "x", &spec, &Default::default());
    assert_eq!(rv.http_status_code, 400);
    assert!(rv.error().unwrap().contains("work/none.smi"), "{rv:?}");
    let spec = json!({"collection": "im-test", "job": "coin-test", "version": "1.0.0",
                      "variables": {"coin": "edge"}});
    let rv = dry_run_job_instance(&client, &project_id, "x", &spec, &Default::default());
    assert_eq!(rv.http_status_code, 400);
    assert!(
        rv.error().unwrap().contains("'coin' must be one of"),
        "{rv:?}"
    );

    // Instances are listed for their project, and can be archived.
    let listed = ok(get_project_instances(&client, &project_id));
    assert_eq!(listed["count"], 6);
    ok(update_instance(
        &client,
        &props,
        &UpdateInstanceOptions { archive: true },
    ));
    assert_eq!(ok(get_instance(&client, &props))["archived"], true);
    let tasks = ok(get_tasks(
        &client,
        &GetTasksOptions {
            exclude_done: true,
            project_id: Some(project_id.clone()),
            ..Default::default()
        },
    ));
    assert_eq!(tasks["count"], 0, "{tasks}");
    let tasks = ok(get_available_tasks(
        &client,
        &GetAvailableTasksOptions {
            project_id: Some(project_id.clone()),
            ..Default::default()
        },
    ));
    assert_eq!(tasks["count"], 6, "{tasks}");
    let done_task = tasks["tasks"][0]["id"].as_str().unwrap();
    assert_eq!(delete_task(&client, done_task).http_status_code, 204);
    assert_eq!(
        get_task(&client, done_task, &GetTaskOptions::default()).http_status_code,
        404
    );
}

#[test]
fn waiting_gives_up_after_its_timeout() {
    let sandbox = Sandbox::builder()
        .job_duration(Duration::from_secs(30))
        .start()
        .unwrap();
    let client = client_for(&sandbox);
    let project_id = new_project(&client, "slow", false);
    let spec = json!({"collection": "im-test", "job": "nop", "version": "1.0.0"});
    let started = ok(start_job_instance(
        &client,
        &project_id,
        "slow",
        &spec,
        &Default::default(),
    ));
    let instance_id = started["instance_id"].as_str().unwrap();
    let rv = wait_for_instance(
        &client,
        instance_id,
        &WaitOptions {
            timeout: Duration::from_millis(150),
            poll_interval: Duration::from_millis(40),
            on_poll: None,
        },
    );
    assert!(!rv.success);
    assert_eq!(rv.http_status_code, 0);
    let error = rv.error().unwrap();
    assert!(
        error.starts_with("Timed out after 0.")
            && error.ends_with(&format!(
                "waiting for instance {instance_id} (phase PENDING)"
            )),
        "{error}"
    );
    // An instance that is not there ends the wait at once with the server's answer.
    let rv = wait_for_instance(&client, "instance-nope", &fast_wait());
    assert_eq!(rv.http_status_code, 404);
    assert_eq!(
        rv.error(),
        Some("Failed to get instance (HTTP 404: Instance instance-nope does not exist)")
    );
}

#[test]
fn only_members_may_see_and_only_editors_may_change_a_project() {
    let sandbox = quick_sandbox();
    let alice = user_client(&sandbox, "alice");
    let bob = user_client(&sandbox, "bob");
    let tmp = TempDir::new();
    let project_id = new_project(&alice, "alice's", true);

    // Bob may not see Alice's private project: a 403 with the server's reason.
    let rv = get_project(&bob, &project_id);
    assert_eq!(
        rv,
        ApiRv::new(
            false,
            json!({"error": format!(
                "Failed to get project (HTTP 403: bob is not a member of private project {project_id})"
            )}),
            403
        )
    );
    assert_eq!(
        ok(get_available_projects(&bob, &Default::default()))["count"],
        0
    );

    // As an observer he sees it but may not change it.
    assert_eq!(
        add_project_observer(&alice, &project_id, "bob").http_status_code,
        201
    );
    let project = ok(get_project(&bob, &project_id));
    assert_eq!(project["observers"], json!(["bob"]));
    assert_eq!(project["administrators"], json!(["alice"]));
    assert_eq!(project["unit_id"], TEST_UNIT_ID);
    assert_eq!(project["organisation_id"], TEST_ORG_ID);
    let file = tmp.path().join("a.txt");
    fs::write(&file, "a").unwrap();
    let rv = put_unmanaged_project_files(&bob, &project_id, &[&file], &Default::default());
    assert_eq!(rv.http_status_code, 403, "{rv:?}");
    assert_eq!(
        rv.error(),
        Some(
            format!(
                "Failed putting file {} -> / (HTTP 403: bob is not an editor of project {project_id})",
                file.display()
            )
            .as_str()
        )
    );
    let rv = add_project_editor(&bob, &project_id, "bob");
    assert_eq!(rv.http_status_code, 403);
    assert_eq!(
        rv.error(),
        Some(
            format!(
                "Failed adding project editor (HTTP 403: bob is not an administrator of project {project_id})"
            )
            .as_str()
        )
    );

    // As an editor he may upload and run jobs, but not manage members or rename it.
    ok(add_project_editor(&alice, &project_id, "bob"));
    ok(put_unmanaged_project_files(
        &bob,
        &project_id,
        &[&file],
        &Default::default(),
    ));
    let rv = update_project(
        &bob,
        &project_id,
        &UpdateProjectOptions {
            project_name: Some("bob's".into()),
            private: None,
        },
    );
    assert_eq!(rv.http_status_code, 403);
    assert!(
        rv.error()
            .unwrap()
            .starts_with("Failed updating project (HTTP 403"),
        "{rv:?}"
    );
    ok(update_project(
        &alice,
        &project_id,
        &UpdateProjectOptions {
            project_name: Some("renamed".into()),
            private: Some(false),
        },
    ));
    let project = ok(get_project(&bob, &project_id));
    assert_eq!(
        (project["name"].as_str(), project["private"].as_bool()),
        (Some("renamed"), Some(false))
    );
    assert_eq!(
        ok(get_available_projects(
            &bob,
            &GetAvailableProjectsOptions {
                project_name: Some("renamed".into())
            }
        ))["count"],
        1
    );

    // Removing members: the creator stays an administrator; unknown members are refused.
    let rv = remove_project_administrator(&alice, &project_id, "alice");
    assert_eq!(rv.http_status_code, 400);
    ok(add_project_administrator(&alice, &project_id, "bob"));
    ok(remove_project_administrator(&alice, &project_id, "bob"));
    ok(remove_project_editor(&alice, &project_id, "bob"));
    ok(remove_project_observer(&alice, &project_id, "bob"));
    let rv = remove_project_observer(&alice, &project_id, "bob");
    assert_eq!(
        rv.error(),
        Some(
            format!(
                "Failed removing project observer (HTTP 400: bob is not an observer of project {project_id})"
            )
            .as_str()
        )
    );
    assert_eq!(delete_project(&bob, &project_id).http_status_code, 403);

    // A project on a product the Account Server does not know is refused.
    let rv = create_project(&alice, "x", "product-unknown", &Default::default());
    assert_eq!(rv.http_status_code, 400);
    assert!(rv.error().unwrap().contains("product-unknown"), "{rv:?}");
}

#[test]
fn errors_keep_the_servers_text() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    // 404 from the sandbox itself.
    let rv = get_job(&client, 99, &Default::default());
    assert_eq!(
        rv,
        ApiRv::new(
            false,
            json!({"error": "Failed to get job (HTTP 404: Job 99 does not exist)"}),
            404
        )
    );
    // 500 from a fault, JSON and not.
    sandbox.add_fault(
        FaultRule::new(
            "/data-manager-api/project",
            Fault::error(500, "database unavailable"),
        )
        .times(1),
    );
    let rv = get_available_projects(&client, &Default::default());
    assert_eq!(rv.http_status_code, 500);
    assert_eq!(
        rv.error(),
        Some("Failed to get projects (HTTP 500: database unavailable)")
    );
    sandbox.add_fault(
        FaultRule::new(
            "/data-manager-api/task",
            Fault::Respond {
                status: 500,
                content_type: "text/html".into(),
                body: b"<h1>Internal Server Error</h1>".to_vec(),
            },
        )
        .times(1),
    );
    let rv = get_tasks(&client, &Default::default());
    assert_eq!(
        rv.error(),
        Some("Failed to get tasks (HTTP 500: <h1>Internal Server Error</h1>)")
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();
    let project_id = new_project(&client, "input", false);
    let present = tmp.path().join("present.txt");
    fs::write(&present, "x").unwrap();
    let missing = tmp.path().join("missing.txt");
    sandbox.clear_requests();
    let refused = |rv: ApiRv, error: &str| {
        assert_eq!(rv, ApiRv::new(false, json!({ "error": error }), 0));
    };
    refused(get_project(&client, "").untyped(), "project_id is required");
    refused(
        get_instance(&client, "").untyped(),
        "instance_id is required",
    );
    refused(
        get_task(&client, "", &Default::default()).untyped(),
        "task_id is required",
    );
    refused(
        delete_project_file(&client, "").untyped(),
        "file_id is required",
    );
    refused(
        create_project(&client, "", TEST_PRODUCT_ID, &Default::default()).untyped(),
        "project_name is required",
    );
    refused(
        start_job_instance(&client, &project_id, "", &json!({}), &Default::default()).untyped(),
        "name is required",
    );
    refused(
        start_job_instance(&client, &project_id, "x", &json!([1]), &Default::default()).untyped(),
        "specification must be a JSON object",
    );
    refused(
        put_unmanaged_project_files(&client, "", &[&present], &Default::default()).untyped(),
        "project_id is required",
    );
    refused(
        put_unmanaged_project_files(&client, &project_id, &[] as &[PathBuf], &Default::default())
            .untyped(),
        "project_files is required",
    );
    let no_slash = PutUnmanagedProjectFilesOptions {
        project_path: Some("work".into()),
        ..Default::default()
    };
    refused(
        put_unmanaged_project_files(&client, &project_id, &[&present], &no_slash).untyped(),
        "project_path must start with '/' (got \"work\")",
    );
    refused(
        list_project_files(
            &client,
            &project_id,
            &ListProjectFilesOptions {
                project_path: Some("work".into()),
                ..Default::default()
            },
        )
        .untyped(),
        "project_path must start with '/' (got \"work\")",
    );
    refused(
        get_unmanaged_project_file(
            &client,
            &project_id,
            "a.txt",
            &tmp.path().join("a.txt"),
            &GetUnmanagedProjectFileOptions {
                project_path: Some("sub".into()),
                progress: None,
                ..Default::default()
            },
        )
        .untyped(),
        "project_path must start with '/' (got \"sub\")",
    );
    refused(
        get_unmanaged_project_file(
            &client,
            &project_id,
            "",
            &tmp.path().join("a"),
            &Default::default(),
        )
        .untyped(),
        "project_file is required",
    );
    refused(
        get_project_file(&client, "file-1", Path::new(""), &Default::default()).untyped(),
        "local_file is required",
    );
    refused(
        move_project_file(
            &client,
            &project_id,
            "a.txt",
            &MoveProjectFileOptions {
                dst_path: Some("elsewhere".into()),
                ..Default::default()
            },
        )
        .untyped(),
        "dst_path must start with '/' (got \"elsewhere\")",
    );
    refused(
        delete_unmanaged_project_files(&client, &project_id, &["dir/"], &Default::default())
            .untyped(),
        "project_files has an empty file name",
    );
    refused(
        attach_dataset_to_project(
            &client,
            "dataset-1",
            0,
            &project_id,
            "text/plain",
            &Default::default(),
        )
        .untyped(),
        "dataset_version must be 1 or more (got 0)",
    );
    refused(
        get_job(&client, 0, &Default::default()).untyped(),
        "job_id must be 1 or more (got 0)",
    );
    refused(
        get_unmanaged_project_file_with_token(
            &client,
            "",
            &project_id,
            "a",
            &tmp.path().join("a"),
            &Default::default(),
        )
        .untyped(),
        "token is required",
    );
    refused(
        set_job_exchange_rates(
            &client,
            &[JobExchangeRate {
                collection: "im-test".into(),
                job: "nop".into(),
                version: "1.0.0".into(),
                rate: "1,5".into(),
                comment: None,
            }],
        )
        .untyped(),
        "The rate \"1,5\" for im-test/nop/1.0.0 is not a decimal number",
    );
    refused(
        create_project_path(&client, &project_id, "").untyped(),
        "project_path is required",
    );
    assert!(
        api_requests(&sandbox).is_empty(),
        "{:?}",
        api_requests(&sandbox)
    );

    // A missing local file is found when its turn comes, after the listing and the
    // uploads before it (as in the Python client).
    let rv = put_unmanaged_project_files(
        &client,
        &project_id,
        &[&present, &missing],
        &Default::default(),
    );
    assert_eq!(
        rv,
        ApiRv::new(
            false,
            json!({"error": format!("No such file ({})", missing.display())}),
            200
        )
    );
    let sent: Vec<String> = api_requests(&sandbox)
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            "GET /data-manager-api/file".to_string(),
            format!("PUT /data-manager-api/project/{project_id}/file")
        ]
    );
}

#[test]
fn files_and_paths_move_and_go_and_immutable_files_stay() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();
    let project_id = new_project(&client, "files", false);
    let names = |path: &str| -> (Vec<String>, Vec<String>) {
        let listing = ok(list_project_files(
            &client,
            &project_id,
            &ListProjectFilesOptions {
                project_path: Some(path.into()),
                ..Default::default()
            },
        ));
        let files = listing["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["file_name"].as_str().unwrap().to_string())
            .collect();
        let paths = listing["paths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect();
        (files, paths)
    };
    let local: Vec<PathBuf> = ["a.txt", "b ü.txt", "c.txt"]
        .iter()
        .map(|n| {
            let p = tmp.path().join(n);
            fs::write(&p, format!("content of {n}")).unwrap();
            p
        })
        .collect();
    // Uploading into a directory that does not exist yet: the listing is a 404, which
    // means "no files" (and is the code returned, as in the Python client).
    let rv = put_unmanaged_project_files(
        &client,
        &project_id,
        &local,
        &PutUnmanagedProjectFilesOptions {
            project_path: Some("/in/deep".into()),
            ..Default::default()
        },
    );
    assert_eq!(rv, ApiRv::new(true, json!({}), 404));
    assert_eq!(names("/in/deep").0, ["a.txt", "b ü.txt", "c.txt"]);
    assert_eq!(names("/").1, ["in"]);

    // Move and rename a file; move a directory.
    ok(move_project_file(
        &client,
        &project_id,
        "a.txt",
        &MoveProjectFileOptions {
            dst_file: Some("renamed.txt".into()),
            src_path: Some("/in/deep".into()),
            dst_path: Some("/out".into()),
        },
    ));
    assert_eq!(names("/out").0, ["renamed.txt"]);
    ok(move_project_path(&client, &project_id, "in", "/moved"));
    assert_eq!(names("/moved/deep").0, ["b ü.txt", "c.txt"]);
    let rv = move_project_path(&client, &project_id, "/missing", "/x");
    assert_eq!(rv.http_status_code, 404);

    // Delete files: names are stripped to their base name (D11).
    let rv = delete_unmanaged_project_files(
        &client,
        &project_id,
        &["somewhere/b ü.txt"],
        &DeleteUnmanagedProjectFilesOptions {
            project_path: Some("/moved/deep".into()),
        },
    );
    assert_eq!(rv, ApiRv::new(true, json!({}), 0));
    assert_eq!(names("/moved/deep").0, ["c.txt"]);
    let rv = delete_unmanaged_project_files(
        &client,
        &project_id,
        &["c.txt", "c.txt"],
        &DeleteUnmanagedProjectFilesOptions {
            project_path: Some("/moved/deep".into()),
        },
    );
    assert_eq!(rv.http_status_code, 404);
    assert_eq!(
        rv.error(),
        Some("Failed to delete project file (HTTP 404: The file /moved/deep/c.txt does not exist in the project)")
    );

    // An immutable file can be neither overwritten, moved nor deleted, nor its directory.
    sandbox
        .set_file_immutable(&project_id, "/out/renamed.txt", true)
        .unwrap();
    let again = tmp.path().join("renamed.txt");
    fs::write(&again, "new").unwrap();
    let rv = put_unmanaged_project_files(
        &client,
        &project_id,
        &[&again],
        &PutUnmanagedProjectFilesOptions {
            project_path: Some("/out".into()),
            force: true,
            ..Default::default()
        },
    );
    assert_eq!(rv.http_status_code, 403, "{rv:?}");
    assert!(rv
        .error()
        .unwrap()
        .ends_with("(HTTP 403: The file /out/renamed.txt is immutable)"));
    let rv = delete_unmanaged_project_files(
        &client,
        &project_id,
        &["renamed.txt"],
        &DeleteUnmanagedProjectFilesOptions {
            project_path: Some("/out".into()),
        },
    );
    assert_eq!(rv.http_status_code, 403);
    assert_eq!(
        delete_project_path(&client, &project_id, "/out").http_status_code,
        403
    );
    sandbox
        .set_file_immutable(&project_id, "/out/renamed.txt", false)
        .unwrap();
    ok(delete_project_path(&client, &project_id, "out"));
    assert_eq!(names("/").1, ["moved"]);
    assert_eq!(
        list_project_files(
            &client,
            &project_id,
            &ListProjectFilesOptions {
                project_path: Some("/out".into()),
                ..Default::default()
            }
        )
        .http_status_code,
        404
    );

    // No path escapes the project.
    let rv = create_project_path(&client, &project_id, "/a/../../etc");
    assert_eq!(rv.http_status_code, 400, "{rv:?}");
    let rv = get_unmanaged_project_file(
        &client,
        &project_id,
        "..",
        &tmp.path().join("x"),
        &Default::default(),
    );
    assert_eq!(rv.http_status_code, 400);

    // Datasets are attached by the datasets area; an unknown one is a 404.
    let rv = attach_dataset_to_project(
        &client,
        "dataset-x",
        1,
        &project_id,
        "chemical/x-mdl-sdfile",
        &Default::default(),
    );
    assert_eq!(
        rv.error(),
        Some("Failed to attach dataset to project (HTTP 404: Dataset dataset-x version 1 does not exist)")
    );
    assert_eq!(
        get_project_file(
            &client,
            "file-x",
            &tmp.path().join("f"),
            &Default::default()
        )
        .http_status_code,
        404
    );
    assert_eq!(delete_project_file(&client, "file-x").http_status_code, 404);
}

#[test]
fn callback_tokens_fetch_files_until_revoked() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();
    let project_id = new_project(&client, "callbacks", false);
    let input = tmp.path().join("in.txt");
    fs::write(&input, "shared with a callback").unwrap();
    ok(put_unmanaged_project_files(
        &client,
        &project_id,
        &[&input],
        &Default::default(),
    ));
    let spec = json!({"collection": "im-test", "job": "nop", "version": "1.0.0"});
    let started = ok(start_job_instance(
        &client,
        &project_id,
        "with callback",
        &spec,
        &StartJobInstanceOptions {
            callback_url: Some("https://example.com/callback".into()),
            callback_context: Some("ctx-1".into()),
            generate_callback_token: true,
            ..Default::default()
        },
    ));
    let token = started["callback_token"].as_str().unwrap().to_string();
    let instance_id = started["instance_id"].as_str().unwrap().to_string();
    assert_eq!(
        ok(get_instance(&client, &instance_id))["has_valid_callback_token"],
        true
    );
    let by_context = ok(get_tasks(
        &client,
        &GetTasksOptions {
            instance_callback_context: Some("ctx-1".into()),
            ..Default::default()
        },
    ));
    assert_eq!(by_context["count"], 1);

    // The token alone (no login) fetches project files.
    let anonymous = Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .build()
        .unwrap();
    let out = tmp.path().join("out.txt");
    sandbox.clear_requests();
    let rv = get_unmanaged_project_file_with_token(
        &anonymous,
        &token,
        &project_id,
        "in.txt",
        &out,
        &Default::default(),
    );
    assert_eq!(rv, ApiRv::new(true, json!({}), 200));
    assert_eq!(fs::read_to_string(&out).unwrap(), "shared with a callback");
    assert!(header(&api_requests(&sandbox)[0], "authorization").is_none());

    // Revoked, it no longer does; a failed download leaves the old file as it was.
    let rv = delete_instance_token(&anonymous, &instance_id, &token);
    assert_eq!(rv, ApiRv::new(true, json!({}), 204));
    assert_eq!(
        delete_instance_token(&anonymous, &instance_id, &token).http_status_code,
        404
    );
    let rv = get_unmanaged_project_file_with_token(
        &anonymous,
        &token,
        &project_id,
        "in.txt",
        &out,
        &Default::default(),
    );
    assert_eq!(rv.http_status_code, 403);
    assert_eq!(fs::read_to_string(&out).unwrap(), "shared with a callback");
    assert_eq!(
        ok(get_instance(&client, &instance_id))["has_valid_callback_token"],
        false
    );
}

#[test]
fn admins_set_rates_and_impersonate_and_calls_are_logged() {
    let sandbox = quick_sandbox();
    let admin = client_for(&sandbox);
    let alice = user_client(&sandbox, "alice");
    let token = admin.dm_access_token().unwrap().unwrap();
    let rate = |job: &str, rate: &str, comment: Option<&str>| JobExchangeRate {
        collection: "im-test".into(),
        job: job.into(),
        version: "1.0.0".into(),
        rate: rate.into(),
        comment: comment.map(str::to_string),
    };

    // Rates need the admin role (admin mode may stay off).
    let rv = set_job_exchange_rates(&alice, &[rate("nop", "0.5", None)]);
    assert_eq!(rv.http_status_code, 403);
    assert_eq!(
        rv.error(),
        Some(
            "Failed setting rate for job 1 (im-test/nop/1.0.0) rate=0.5 (HTTP 403: Only admins \
             can set exchange rates: alice does not have the Data Manager admin role)"
        )
    );
    let rv = set_admin_state(&alice, true, &Default::default());
    assert_eq!(rv.http_status_code, 403);
    assert_eq!(
        rv.error(),
        Some("Failed to set the admin state (HTTP 403: alice does not have the Data Manager admin role)")
    );
    let rv = set_job_exchange_rates(
        &admin,
        &[
            rate("nop", "0.5", None),
            rate("nop", "0.75", Some("dearer")),
            rate("copy-file", "2", None),
        ],
    );
    assert_eq!(rv, ApiRv::new(true, json!({}), 0));
    let history = ok(get_job_exchange_rate(&admin, 1, &Default::default()));
    assert_eq!(history["count"], 2);
    assert_eq!(history["exchange_rates"][0]["rate"], "0.75");
    assert_eq!(history["exchange_rates"][0]["comment"], "dearer");
    assert_eq!(history["exchange_rates"][0]["user_id"], ADMIN_USER);
    let current = ok(get_job_exchange_rate(
        &admin,
        1,
        &GetJobExchangeRateOptions { current: true },
    ));
    assert_eq!(current["count"], 1);
    let undefined = ok(get_job_exchange_rates(
        &admin,
        &GetJobExchangeRatesOptions {
            only_undefined: true,
        },
    ));
    let undefined: Vec<&str> = undefined["exchange_rates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["job"].as_str().unwrap())
        .collect();
    assert_eq!(undefined, ["event-test", "coin-test", "rdkit-molprops"]);
    assert_eq!(
        ok(get_job(&admin, 1, &Default::default()))["exchange_rate"],
        "0.75"
    );
    let rv = set_job_exchange_rates(&admin, &[rate("no-such-job", "1", None)]);
    assert_eq!(
        rv,
        ApiRv::new(
            false,
            json!({"error": "Failed getting job by version im-test/no-such-job/1.0.0 (HTTP 404: There is no Job im-test/no-such-job/1.0.0)"}),
            404
        )
    );
    assert_eq!(
        ok(set_admin_state(&admin, true, &Default::default())),
        json!({})
    );

    // Impersonation: the admin acts as Alice until told otherwise.
    let project_id = new_project(&alice, "alice's", true);
    ok(set_admin_state(
        &admin,
        false,
        &SetAdminStateOptions {
            impersonate: Some("alice".into()),
        },
    ));
    let account = ok(get_account(&admin, &Default::default()));
    assert_eq!(account["user"]["username"], "alice");
    assert_eq!(account["caller_has_admin_privilege"], true);
    let own = ok(get_account(
        &admin,
        &GetAccountOptions {
            do_not_impersonate: true,
        },
    ));
    assert_eq!(own["user"]["username"], ADMIN_USER);
    assert_eq!(own["user"]["impersonate"], "alice");
    assert_eq!(ok(get_project(&admin, &project_id))["creator"], "alice");
    ok(update_project(
        &admin,
        &project_id,
        &UpdateProjectOptions {
            project_name: Some("done for alice".into()),
            private: None,
        },
    ));
    // Setting the admin state without `impersonate` ends the impersonation.
    ok(set_admin_state(&admin, false, &Default::default()));
    assert_eq!(get_project(&admin, &project_id).http_status_code, 403);

    // Alice's API log shows her calls (her refused attempts at a rate and at admin mode
    // included) and the change the admin made as her; GETs are not logged.
    let log = ok(get_api_log(&alice, &Default::default()));
    let entries: Vec<(String, String, Value)> = log["api_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap().to_string(),
                e.get("impersonator").cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                "PUT".to_string(),
                "/job/1/exchange-rate".to_string(),
                Value::Null
            ),
            (
                "PATCH".to_string(),
                "/user/account".to_string(),
                Value::Null
            ),
            ("POST".to_string(), "/project".to_string(), Value::Null),
            (
                "PATCH".to_string(),
                format!("/project/{project_id}"),
                json!(ADMIN_USER)
            ),
        ]
    );
    let future = ok(get_api_log(
        &alice,
        &GetApiLogOptions {
            from_: Some("2999-01-01T00:00:00Z".into()),
            until: None,
        },
    ));
    assert_eq!(future["count"], 0);
    let rv = get_api_log(
        &alice,
        &GetApiLogOptions {
            from_: Some("yesterday".into()),
            until: None,
        },
    );
    assert_eq!(rv.http_status_code, 400);

    // The token, the users, the inventory.
    assert_eq!(ok(get_api_token(&admin))["token"], token);
    let users = ok(get_users(&admin));
    let users: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["alice", ADMIN_USER]);
    // Only members of the unit or organisation (dmit-admin is not one of the Sandbox
    // organisation), or admins in admin mode, may see its inventory.
    let of_sandbox_org = GetUserInventoryOptions {
        org_id: Some(squonk2_sandbox::SANDBOX_ORG_ID.into()),
        ..Default::default()
    };
    assert_eq!(
        get_user_inventory(&admin, &of_sandbox_org).http_status_code,
        403
    );
    ok(set_admin_state(&admin, true, &Default::default()));
    assert_eq!(
        get_user_inventory(&admin, &of_sandbox_org).http_status_code,
        200
    );
    let inventory = ok(get_user_inventory(
        &admin,
        &GetUserInventoryOptions {
            unit_id: Some(TEST_UNIT_ID.into()),
            ..Default::default()
        },
    ));
    assert_eq!(inventory["users"][0]["username"], "alice");
    assert_eq!(
        inventory["users"][0]["projects"]["administrator"][0]["id"],
        project_id
    );
    assert_eq!(inventory["users"][0]["activity"]["total_days_active"], 1);
    let rv = get_user_inventory(&admin, &Default::default());
    assert_eq!(rv.http_status_code, 400);
}

#[test]
fn the_service_answers_its_configuration() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let anonymous = Client::builder()
        .dm_api_url(sandbox.dm_api_url())
        .build()
        .unwrap();
    assert_eq!(ok(get_mode(&anonymous))["mode"], "DEVELOPMENT");
    assert!(ok(get_job_definition_schema_version(&anonymous))["version"].is_string());
    assert!(ok(get_workflow_engine_version(&anonymous))["version"].is_string());
    assert_eq!(ok(get_input_handler(&anonymous))["count"], 2);
    assert_eq!(
        ok(get_account_server_namespace(&client))["namespace"],
        "squonk2-sandbox"
    );
    assert_eq!(
        ok(get_account_server_registration(&client))["merchant_id"],
        1
    );
    let types = ok(get_supported_file_types(&client));
    assert!(types["types"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["mime"] == "chemical/x-mdl-sdfile"));
    let jobs = ok(get_available_jobs(&client));
    let jobs: Vec<String> = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            format!(
                "{}/{}",
                j["collection"].as_str().unwrap(),
                j["job"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        jobs,
        [
            "im-test/nop",
            "im-test/event-test",
            "im-test/coin-test",
            "im-test/copy-file",
            "rdkit/rdkit-molprops"
        ]
    );
    assert_eq!(
        get_jobs(
            &client,
            &GetJobsOptions {
                project_id: Some("project-x".into())
            }
        )
        .http_status_code,
        404
    );
    // Without a token the token-needing calls are refused by the server.
    let rv = get_supported_file_types(
        &Client::builder()
            .dm_api_url(sandbox.dm_api_url())
            .access_token("not-a-jwt")
            .build()
            .unwrap(),
    );
    assert_eq!(rv.http_status_code, 401);
}

/// Collects one answer of every response type of these endpoints from a live sandbox and,
/// when `SQUONK2_CONTRACT_SAMPLES` names a file, writes them there for the contract checker
/// (`check.sh FILE`, package "dm"), which type-checks them against the official types.
#[test]
fn sandbox_answers_can_be_checked_against_the_official_types() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();
    let mut samples: Vec<Value> = Vec::new();
    let mut sample = |kind: &str, rv: ApiRv| {
        assert!(rv.success, "{kind}: {rv:?}");
        samples.push(json!({"type": kind, "package": "dm", "value": rv.msg}));
    };
    sample(
        "VersionGetResponse",
        get_workflow_engine_version(&client).untyped(),
    );
    sample(
        "VersionGetResponse",
        get_job_definition_schema_version(&client).untyped(),
    );
    sample(
        "AccountServerGetNamespaceResponse",
        get_account_server_namespace(&client).untyped(),
    );
    sample(
        "AccountServerGetRegistrationResponse",
        get_account_server_registration(&client).untyped(),
    );
    sample("ModeGetResponse", get_mode(&client).untyped());
    sample(
        "InputHandlerGetResponse",
        get_input_handler(&client).untyped(),
    );
    sample(
        "TypesGetResponse",
        get_supported_file_types(&client).untyped(),
    );
    let created = create_project(&client, "contract", TEST_PRODUCT_ID, &Default::default());
    let project_id = created.msg["project_id"].as_str().unwrap().to_string();
    sample("ProjectPostResponse", created.untyped());
    sample("ProjectDetail", get_project(&client, &project_id).untyped());
    let input = tmp.path().join("in.txt");
    fs::write(&input, "x").unwrap();
    ok(put_unmanaged_project_files(
        &client,
        &project_id,
        &[&input],
        &Default::default(),
    ));
    let spec = json!({"collection": "im-test", "job": "copy-file", "version": "1.0.0",
                      "variables": {"inputFile": "in.txt", "outputFile": "out.txt"}});
    let opts = StartJobInstanceOptions {
        callback_url: Some("https://example.com/cb".into()),
        generate_callback_token: true,
        ..Default::default()
    };
    sample(
        "InstanceDryRunPostResponse",
        dry_run_job_instance(&client, &project_id, "dry", &spec, &opts).untyped(),
    );
    ok(set_admin_state(&client, true, &Default::default()));
    ok(set_job_exchange_rates(
        &client,
        &[JobExchangeRate {
            collection: "im-test".into(),
            job: "copy-file".into(),
            version: "1.0.0".into(),
            rate: "1.5".into(),
            comment: Some("for the contract".into()),
        }],
    ));
    sandbox.set_job_duration(Duration::from_millis(400));
    let started = start_job_instance(&client, &project_id, "copy", &spec, &opts);
    let instance_id = started.msg["instance_id"].as_str().unwrap().to_string();
    let task_id = started.msg["task_id"].as_str().unwrap().to_string();
    sample("InstancePostResponse", started.untyped());
    sample(
        "InstanceGetResponse",
        get_instance(&client, &instance_id).untyped(),
    );
    sample(
        "TaskGetResponse",
        get_task(&client, &task_id, &Default::default()).untyped(),
    );
    assert!(wait_until(Duration::from_secs(5), || {
        get_instance(&client, &instance_id).msg["phase"] == "RUNNING"
    }));
    sample(
        "InstanceGetResponse",
        get_instance(&client, &instance_id).untyped(),
    );
    sample(
        "InstancesGetResponse",
        get_project_instances(&client, &project_id).untyped(),
    );
    sample(
        "InstanceGetResponse",
        wait_for_instance(&client, &instance_id, &fast_wait()).untyped(),
    );
    sandbox.fail_job("im-test", "nop", "made to fail");
    let spec = json!({"collection": "im-test", "job": "nop", "version": "1.0.0"});
    let failed = ok(start_job_instance(
        &client,
        &project_id,
        "nop",
        &spec,
        &Default::default(),
    ));
    let failed = failed["instance_id"].as_str().unwrap();
    sample(
        "InstanceGetResponse",
        wait_for_instance(&client, failed, &fast_wait()).untyped(),
    );
    sample(
        "InstancesGetResponse",
        get_available_instances(&client).untyped(),
    );
    sample(
        "TaskGetResponse",
        wait_for_task(&client, &task_id, &fast_wait()).untyped(),
    );
    sample(
        "FilesGetResponse",
        list_project_files(
            &client,
            &project_id,
            &ListProjectFilesOptions {
                include_hidden: true,
                ..Default::default()
            },
        )
        .untyped(),
    );
    sample("JobsGetResponse", get_available_jobs(&client).untyped());
    for id in 1..=5 {
        sample(
            "JobGetResponse",
            get_job(&client, id, &Default::default()).untyped(),
        );
    }
    sample(
        "JobGetResponse",
        get_job_by_version(
            &client,
            "rdkit",
            "rdkit-molprops",
            "1.0.0",
            &Default::default(),
        )
        .untyped(),
    );
    sample(
        "GetAllExchangeRatesResponse",
        get_job_exchange_rates(&client, &Default::default()).untyped(),
    );
    sample(
        "GetExchangeRatesResponse",
        get_job_exchange_rate(&client, 4, &Default::default()).untyped(),
    );
    sample(
        "GetExchangeRatesResponse",
        get_job_exchange_rate(&client, 1, &Default::default()).untyped(),
    );
    sample("UsersGetResponse", get_users(&client).untyped());
    sample(
        "UserAccountDetail",
        get_account(&client, &Default::default()).untyped(),
    );
    sample(
        "UserApiLogGetResponse",
        get_api_log(&client, &Default::default()).untyped(),
    );
    sample("UserApiTokenGetResponse", get_api_token(&client).untyped());
    sample(
        "InventoryUserGetResponse",
        get_user_inventory(
            &client,
            &GetUserInventoryOptions {
                unit_id: Some(TEST_UNIT_ID.into()),
                ..Default::default()
            },
        )
        .untyped(),
    );
    let removal = delete_instance(&client, &instance_id);
    let removal_task = removal.msg["task_id"].as_str().unwrap().to_string();
    sample("TaskIdentity", removal.untyped());
    sample(
        "TaskGetResponse",
        get_task(&client, &removal_task, &Default::default()).untyped(),
    );
    sample(
        "TasksGetResponse",
        get_tasks(&client, &Default::default()).untyped(),
    );
    sample(
        "ProjectsGetResponse",
        get_available_projects(&client, &Default::default()).untyped(),
    );
    sample(
        "TaskIdentity",
        delete_project(&client, &project_id).untyped(),
    );
    let error = get_project(&client, &project_id);
    assert_eq!(error.http_status_code, 404);
    samples.push(json!({"type": "DmError", "package": "dm",
                        "value": {"error": "Project x does not exist"}}));
    if let Ok(path) = std::env::var("SQUONK2_CONTRACT_SAMPLES") {
        fs::write(path, serde_json::to_string_pretty(&samples).unwrap()).unwrap();
    }
}

#[test]
fn a_download_cut_short_leaves_the_local_file_as_it_was() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();
    let project_id = new_project(&client, "truncated", false);
    let upload = tmp.path().join("data.bin");
    fs::write(&upload, vec![7u8; 100_000]).unwrap();
    ok(put_unmanaged_project_files(
        &client,
        &project_id,
        &[&upload],
        &Default::default(),
    ));
    let local = tmp.path().join("local.bin");
    fs::write(&local, "the old content").unwrap();
    sandbox.add_fault(
        FaultRule::new(
            format!("/data-manager-api/project/{project_id}/file"),
            Fault::Truncate {
                status: 200,
                declared_length: 100_000,
                body: vec![7u8; 5000],
            },
        )
        .times(1),
    );
    let rv = get_unmanaged_project_file(
        &client,
        &project_id,
        "data.bin",
        &local,
        &Default::default(),
    );
    assert!(!rv.success, "{rv:?}");
    assert!(
        rv.error()
            .unwrap()
            .starts_with("Failed to get file (the download was cut short"),
        "{rv:?}"
    );
    assert_eq!(fs::read_to_string(&local).unwrap(), "the old content");
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // The next download is whole.
    ok(get_unmanaged_project_file(
        &client,
        &project_id,
        "data.bin",
        &local,
        &Default::default(),
    ));
    assert_eq!(fs::read(&local).unwrap(), vec![7u8; 100_000]);
}
