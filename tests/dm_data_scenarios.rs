//! Scenarios against the sandbox for the Data Manager's datasets, metadata, workflows,
//! applications and admin endpoints: what a user does with them, end to end, and the clear
//! messages bad input and server errors give.

mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use squonk2::dm_api::*;
use squonk2::{ApiRv, Client};
use squonk2_sandbox::{Fault, FaultRule, Sandbox};

/// How long a Job instance and a Dataset's processing take in these sandboxes: short, so
/// that the suite stays fast.
const JOB_DURATION: Duration = Duration::from_millis(120);
const DATASET_DURATION: Duration = Duration::from_millis(80);

/// Two molecules in an SD file, with two properties.
const SDF: &str = concat!(
    "benzene\n",
    "  sandbox\n",
    "\n",
    "  6  6  0  0  0  0  0  0  0  0999 V2000\n",
    "M  END\n",
    "> <name>\n",
    "benzene\n",
    "\n",
    "> <logp>\n",
    "1.69\n",
    "\n",
    "$$$$\n",
    "ethanol\n",
    "  sandbox\n",
    "\n",
    "  3  2  0  0  0  0  0  0  0  0999 V2000\n",
    "M  END\n",
    "> <name>\n",
    "ethanol\n",
    "\n",
    "> <logp>\n",
    "-0.31\n",
    "\n",
    "$$$$\n",
);
/// The SHA-256 of [`SDF`] (`sha256sum`).
const SDF_SHA256: &str = "910c682d264664167aa8536449581990534c192f2f294f1ade7becf97177b813";
const SDF_TYPE: &str = "chemical/x-mdl-sdfile";
const SMILES: &str = "C1=CC=CC=C1\tbenzene\nCCO\tethanol\n";

fn quick_sandbox() -> Sandbox {
    let sandbox = Sandbox::builder()
        .job_duration(JOB_DURATION)
        .start()
        .expect("the sandbox starts");
    sandbox.set_dataset_duration(DATASET_DURATION);
    sandbox
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

/// Asserts a failure with this status and error text.
fn fails(rv: ApiRv, status: u16, error: &str) {
    assert_eq!(
        (rv.success, rv.http_status_code, rv.error()),
        (false, status, Some(error)),
        "{rv:?}"
    );
}

/// Asserts this status and an error text starting with `error_start`.
fn fails_with_start(rv: ApiRv, status: u16, error_start: &str) {
    assert_eq!(rv.http_status_code, status, "{rv:?}");
    assert!(rv.error().unwrap().starts_with(error_start), "{rv:?}");
}

/// Uploads `file` as a new Dataset (or a version of `dataset_id`) and waits for its task;
/// returns (dataset id, version, the finished task).
fn upload(
    client: &Client,
    file: &Path,
    mime_type: &str,
    dataset_id: Option<&str>,
) -> (String, i64, Value) {
    let opts = UploadDatasetOptions {
        dataset_id: dataset_id.map(str::to_string),
        ..Default::default()
    };
    let created = ok(upload_dataset(client, file, mime_type, TEST_UNIT_ID, &opts));
    let task = ok(wait_for_task(
        client,
        text(&created["task_id"]),
        &fast_wait(),
    ));
    (
        text(&created["dataset_id"]).to_string(),
        created["dataset_version"].as_i64().unwrap(),
        task,
    )
}

/// The names of the files in a project directory.
fn file_names(client: &Client, project_id: &str, path: &str) -> Vec<String> {
    let listing = ok(list_project_files(
        client,
        project_id,
        &ListProjectFilesOptions {
            project_path: Some(path.into()),
            ..Default::default()
        },
    ));
    listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| text(&f["file_name"]).to_string())
        .collect()
}

/// Polls `poll` until `done` says so (20 s at most).
fn poll_until(mut poll: impl FnMut() -> Value, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let value = poll();
        if done(&value) {
            return value;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "gave up waiting: {value}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------
// Datasets and metadata
// ---------------------------------------------------------------------------------------

#[test]
fn a_dataset_is_uploaded_versioned_described_attached_downloaded_and_deleted() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();
    let sdf = tmp.path().join("molecules.sdf");
    fs::write(&sdf, SDF).unwrap();

    // Upload: a task takes the version through its stages.
    let (dataset_id, version, task) = upload(&client, &sdf, SDF_TYPE, None);
    assert!(dataset_id.starts_with("dataset-"), "{dataset_id}");
    assert_eq!(version, 1);
    assert_eq!(
        (task["done"].clone(), task["exit_code"].clone()),
        (json!(true), json!(0))
    );
    assert_eq!(task["purpose"], "DATASET");
    assert_eq!(task["purpose_id"], dataset_id.as_str());
    let states: Vec<&str> = task["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| text(&s["state"]))
        .collect();
    assert_eq!(states, ["PENDING", "STARTED", "SUCCESS"]);
    let events: Vec<&str> = task["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| text(&e["message"]))
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("Formatting molecules.sdf")),
        "{events:?}"
    );
    assert!(events.contains(&"Loading 2 records"), "{events:?}");

    let listed = ok(get_available_datasets(&client));
    assert_eq!(listed["count"], 1);
    let summary = &listed["datasets"][0];
    assert_eq!(summary["dataset_id"], dataset_id.as_str());
    assert_eq!(summary["editors"], json!([ADMIN_USER]));
    let v1 = &summary["versions"][0];
    assert_eq!(v1["processing_stage"], "DONE");
    assert_eq!(v1["type"], SDF_TYPE);
    assert_eq!(v1["file_name"], "molecules.sdf");
    assert_eq!(v1["size"], SDF.len());
    assert_eq!(v1["owner"], ADMIN_USER);

    // The content's digest finds it.
    assert_eq!(
        ok(get_dataset_for_digest(&client, SDF_SHA256)),
        json!({"dataset_id": dataset_id, "dataset_version": 1})
    );
    fails(
        get_dataset_for_digest(&client, &"0".repeat(64)).checked(),
        404,
        &format!(
            "Failed to get dataset digest (HTTP 404: No Dataset you can see has the digest {})",
            "0".repeat(64)
        ),
    );

    // A second version: a project file made into a Dataset version, skipping the load.
    let project_id = new_test_project(&client, "datasets");
    let smiles = tmp.path().join("more.smi");
    fs::write(&smiles, SMILES).unwrap();
    ok(put_unmanaged_project_files(
        &client,
        &project_id,
        &[&smiles],
        &Default::default(),
    ));
    let created = ok(create_dataset_from_project_file(
        &client,
        &project_id,
        "/",
        "more.smi",
        "squonk/x-smiles",
        &CreateDatasetFromProjectFileOptions {
            dataset_id: Some(dataset_id.clone()),
            skip_molecule_load: true,
            ..Default::default()
        },
    ));
    assert_eq!(created["dataset_version"], 2);
    let task = ok(wait_for_task(
        &client,
        text(&created["task_id"]),
        &fast_wait(),
    ));
    assert_eq!(task["exit_code"], 0, "{task}");
    let versions = ok(get_dataset_versions(
        &client,
        &dataset_id,
        &Default::default(),
    ));
    assert_eq!(versions["count"], 2);
    assert_eq!(versions["owner"], ADMIN_USER);
    assert_eq!(
        versions["versions"][1]["source_ref"],
        format!("{project_id}:/more.smi")
    );
    assert_eq!(versions["versions"][1]["type"], "squonk/x-smiles");

    // Metadata: the Dataset's description and labels, the version's annotations.
    let meta = ok(get_dataset_metadata(&client, &dataset_id));
    assert_eq!(meta["dataset_id"], dataset_id.as_str());
    assert_eq!(meta["description"], "");
    assert_eq!(meta["labels"], json!([]));
    let meta = update_dataset_metadata(
        &client,
        &dataset_id,
        &UpdateDatasetMetadataOptions {
            meta_properties: Some(json!({"description": "Two small molecules"}).to_string()),
            labels: Some(
                json!([{"label": "Origin", "value": "sandbox"}, {"label": "test"}]).to_string(),
            ),
        },
    );
    assert_eq!(meta.http_status_code, 201, "{meta:?}");
    let meta = ok(get_dataset_metadata(&client, &dataset_id));
    assert_eq!(meta["description"], "Two small molecules");
    let labels: Vec<(&str, Value)> = meta["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (text(&l["label"]), l["value"].clone()))
        .collect();
    assert_eq!(
        labels,
        [("origin", json!("sandbox")), ("test", Value::Null)]
    );
    assert_eq!(meta["annotations"][0]["type"], "PropertyChangeAnnotation");
    assert_eq!(meta["annotations"][0]["previous_value"], "");
    // A label sent again replaces the old one.
    ok(update_dataset_metadata(
        &client,
        &dataset_id,
        &UpdateDatasetMetadataOptions {
            labels: Some(json!({"label": "origin", "value": "tests"}).to_string()),
            ..Default::default()
        },
    ));
    let listed = ok(get_available_datasets(&client));
    assert_eq!(
        listed["datasets"][0]["versions"][0]["labels"],
        json!({"test": null, "origin": "tests"})
    );

    // The formatter described the SD file's properties; an annotation adds what they are.
    let version_meta = ok(get_dataset_version_metadata(&client, &dataset_id, 1));
    assert_eq!(version_meta["dataset_version"], 1);
    assert_eq!(
        version_meta["annotations"][0]["type"],
        "FieldsDescriptorAnnotation"
    );
    let schema = ok(get_dataset_schema(&client, &dataset_id, 1));
    assert_eq!(schema["type"], "object");
    assert_eq!(
        schema["fields"],
        json!({"name": {"type": "string", "description": ""}, "logp": {"type": "string", "description": ""}})
    );
    assert_eq!(schema["required"], json!([]));
    let annotation = json!([{
        "type": "FieldsDescriptorAnnotation",
        "origin": "tests",
        "description": "What the properties are",
        "fields": {
            "logp": {"type": "number", "description": "Crippen LogP", "required": true, "active": true},
        },
    }]);
    let updated = ok(update_dataset_version_metadata(
        &client,
        &dataset_id,
        1,
        &UpdateDatasetVersionMetadataOptions {
            annotations: Some(annotation.to_string()),
            ..Default::default()
        },
    ));
    assert_eq!(updated["annotations"].as_array().unwrap().len(), 2);
    let schema = ok(get_dataset_schema(&client, &dataset_id, 1));
    assert_eq!(
        schema["fields"]["logp"],
        json!({"type": "number", "description": "Crippen LogP"})
    );
    assert_eq!(schema["required"], json!(["logp"]));
    assert_eq!(schema["labels"], json!({"test": null, "origin": "tests"}));

    // Editors: bob sees the Dataset once he is one.
    let bob = user_client(&sandbox, "bob");
    assert_eq!(ok(get_available_datasets(&bob))["count"], 0);
    assert_eq!(
        add_dataset_editor(&client, &dataset_id, "bob").http_status_code,
        201
    );
    assert_eq!(ok(get_available_datasets(&bob))["count"], 1);
    fails(
        add_dataset_editor(&bob, &dataset_id, "alice").checked(),
        403,
        &format!(
            "Failed adding dataset editor (HTTP 403: Only the owner of Dataset {dataset_id} \
             (dmit-admin) can change its editors)"
        ),
    );
    assert_eq!(
        remove_dataset_editor(&client, &dataset_id, "bob").http_status_code,
        204
    );
    fails(
        remove_dataset_editor(&client, &dataset_id, ADMIN_USER).checked(),
        400,
        &format!(
            "Failed removing dataset editor (HTTP 400: dmit-admin owns Dataset {dataset_id} and \
             stays one of its editors)"
        ),
    );

    // Attach version 1 to the project: it appears among the project's files.
    let attached = ok(attach_dataset_to_project(
        &client,
        &dataset_id,
        1,
        &project_id,
        SDF_TYPE,
        &AttachDatasetToProjectOptions {
            path: Some("/data".into()),
            immutable: true,
            ..Default::default()
        },
    ));
    assert_eq!(attached["file_name"], "molecules.sdf");
    let file_id = text(&attached["file_id"]).to_string();
    let listing = ok(list_project_files(
        &client,
        &project_id,
        &ListProjectFilesOptions {
            project_path: Some("/data".into()),
            ..Default::default()
        },
    ));
    let file = &listing["files"][0];
    assert_eq!(file["file_name"], "molecules.sdf");
    assert_eq!(file["dataset_id"], dataset_id.as_str());
    assert_eq!(file["dataset_version"], 1);
    assert_eq!(file["file_id"], file_id.as_str());
    assert_eq!(file["immutable"], true);
    let versions = ok(get_dataset_versions(
        &client,
        &dataset_id,
        &Default::default(),
    ));
    assert_eq!(versions["versions"][0]["projects"], json!([project_id]));
    assert_eq!(
        versions["versions"][0]["project_files"],
        json!([{"project_name": "datasets", "project": project_id, "files": ["/data/molecules.sdf"]}])
    );

    // Download: the same bytes; the attached file too.
    let back = tmp.path().join("back.sdf");
    assert_eq!(
        get_dataset(&client, &dataset_id, 1, &back, &Default::default()),
        ApiRv::new(true, json!({}), 200)
    );
    assert_eq!(fs::read_to_string(&back).unwrap(), SDF);
    let attached_copy = tmp.path().join("attached.sdf");
    ok(get_project_file(
        &client,
        &file_id,
        &attached_copy,
        &Default::default(),
    ));
    assert_eq!(fs::read_to_string(&attached_copy).unwrap(), SDF);

    // Delete version 2, then version 1 with its project file.
    let deleted = ok(delete_dataset(&client, &dataset_id, 2, &Default::default()));
    let removal = ok(wait_for_task(
        &client,
        text(&deleted["task_id"]),
        &fast_wait(),
    ));
    assert_eq!(
        (removal["removal"].clone(), removal["exit_code"].clone()),
        (json!(true), json!(0))
    );
    let versions = ok(get_dataset_versions(
        &client,
        &dataset_id,
        &Default::default(),
    ));
    assert_eq!(versions["count"], 1);
    let all = ok(get_dataset_versions(
        &client,
        &dataset_id,
        &GetDatasetVersionsOptions {
            include_deleted: true,
        },
    ));
    assert_eq!(all["count"], 2);
    assert_eq!(all["versions"][1]["deleting_user"], ADMIN_USER);
    assert!(all["versions"][1]["deleted"].is_string());
    fails(
        get_dataset(
            &client,
            &dataset_id,
            2,
            tmp.path().join("gone.smi"),
            &Default::default(),
        )
        .checked(),
        404,
        &format!(
            "Failed to get dataset (HTTP 404: Dataset {dataset_id} has no version 2 (or it was \
             deleted))"
        ),
    );
    assert!(!tmp.path().join("gone.smi").exists());
    ok(delete_dataset(&client, &dataset_id, 1, &Default::default()));
    assert_eq!(
        file_names(&client, &project_id, "/data"),
        Vec::<String>::new()
    );
    assert_eq!(ok(get_available_datasets(&client))["count"], 0);
    fails(
        get_dataset_for_digest(&client, SDF_SHA256).checked(),
        404,
        &format!(
            "Failed to get dataset digest (HTTP 404: No Dataset you can see has the digest \
             {SDF_SHA256})"
        ),
    );
}

#[test]
fn a_deleted_dataset_can_leave_its_project_files_behind() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();
    let smiles = tmp.path().join("kept.smi");
    fs::write(&smiles, SMILES).unwrap();
    let (dataset_id, _, _) = upload(&client, &smiles, "squonk/x-smiles", None);
    let project_id = new_test_project(&client, "keeper");
    ok(attach_dataset_to_project(
        &client,
        &dataset_id,
        1,
        &project_id,
        "squonk/x-smiles",
        &Default::default(),
    ));
    // The user inventory of the project's organisation lists the Dataset.
    ok(set_admin_state(&client, true, &Default::default()));
    let inventory = ok(get_user_inventory(
        &client,
        &GetUserInventoryOptions {
            org_id: Some(TEST_ORG_ID.into()),
            ..Default::default()
        },
    ));
    assert_eq!(
        inventory["users"][0]["datasets"],
        json!({
            "owner": [{"id": dataset_id, "version": 1, "filename": "kept.smi", "unit_id": TEST_UNIT_ID}],
            "editor": [],
        })
    );
    ok(delete_dataset(
        &client,
        &dataset_id,
        1,
        &DeleteDatasetOptions {
            keep_project_files: true,
        },
    ));
    let listing = ok(list_project_files(
        &client,
        &project_id,
        &Default::default(),
    ));
    let file = &listing["files"][0];
    assert_eq!(file["file_name"], "kept.smi");
    assert!(file.get("file_id").is_none(), "{file}");
    assert!(file.get("dataset_id").is_none(), "{file}");
    // It is an ordinary file now: it can be deleted as one.
    ok(delete_unmanaged_project_files(
        &client,
        &project_id,
        &["kept.smi"],
        &Default::default(),
    ));
}

#[test]
fn bad_datasets_and_metadata_are_refused_with_clear_messages() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();
    let sdf = tmp.path().join("molecules.sdf");
    fs::write(&sdf, SDF).unwrap();

    // A type the Data Manager does not support.
    fails_with_start(
        upload_dataset(
            &client,
            &sdf,
            "application/x-nonsense",
            TEST_UNIT_ID,
            &Default::default(),
        )
        .checked(),
        415,
        "Failed to upload dataset (HTTP 415: The Dataset type \"application/x-nonsense\" is not \
         supported; the supported types (GET /type) are chemical/x-mdl-sdfile",
    );
    // A unit the Account Server does not have.
    let unit = "unit-00000000-0000-0000-0000-000000000000";
    fails(
        upload_dataset(&client, &sdf, SDF_TYPE, unit, &Default::default()).checked(),
        403,
        &format!(
            "Failed to upload dataset (HTTP 403: The Account Server has no unit {unit} (use \
             {TEST_UNIT_ID} for tests))"
        ),
    );
    // A file that is not what it says fails its task, and the version is FAILED.
    let not_sdf = tmp.path().join("not.sdf");
    fs::write(&not_sdf, SMILES).unwrap();
    let (dataset_id, _, task) = upload(&client, &not_sdf, SDF_TYPE, None);
    assert_eq!(task["exit_code"], 1, "{task}");
    let last = task["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["level"], "ERROR");
    assert_eq!(
        last["message"],
        "The file is not an SD file: it has no molecule block (no 'M  END' line)"
    );
    let versions = ok(get_dataset_versions(
        &client,
        &dataset_id,
        &Default::default(),
    ));
    assert_eq!(versions["versions"][0]["processing_stage"], "FAILED");
    fails(
        get_dataset(
            &client,
            &dataset_id,
            1,
            tmp.path().join("x.sdf"),
            &Default::default(),
        )
        .checked(),
        404,
        &format!(
            "Failed to get dataset (HTTP 404: Dataset {dataset_id} version 1 is not ready (it is \
             FAILED))"
        ),
    );
    // Versions of a Dataset that does not exist, or of someone else's.
    let missing = "dataset-00000000-0000-0000-0000-000000000000";
    fails(
        upload_dataset(
            &client,
            &sdf,
            SDF_TYPE,
            TEST_UNIT_ID,
            &UploadDatasetOptions {
                dataset_id: Some(missing.into()),
                ..Default::default()
            },
        )
        .checked(),
        404,
        &format!("Failed to upload dataset (HTTP 404: Dataset {missing} does not exist)"),
    );
    let alice = user_client(&sandbox, "alice");
    fails(
        get_dataset_versions(&alice, &dataset_id, &Default::default()).checked(),
        403,
        &format!(
            "Failed to get dataset versions (HTTP 403: alice is neither the owner nor an editor \
             of Dataset {dataset_id})"
        ),
    );
    fails(
        delete_dataset(&alice, &dataset_id, 1, &Default::default()).checked(),
        403,
        &format!(
            "Failed to delete dataset (HTTP 403: alice is neither the owner nor an editor of \
             Dataset {dataset_id})"
        ),
    );
    // Metadata: only the description changes, labels need a name, JSON must be JSON.
    fails(
        update_dataset_metadata(
            &client,
            &dataset_id,
            &UpdateDatasetMetadataOptions {
                meta_properties: Some(json!({"dataset_name": "x"}).to_string()),
                ..Default::default()
            },
        )
        .checked(),
        400,
        "Failed to update dataset metadata (HTTP 400: Only the 'description' can be changed \
         through meta_properties, not \"dataset_name\")",
    );
    fails(
        update_dataset_metadata(
            &client,
            &dataset_id,
            &UpdateDatasetMetadataOptions {
                labels: Some("[{\"value\": 1}]".into()),
                ..Default::default()
            },
        )
        .checked(),
        400,
        "Failed to update dataset metadata (HTTP 400: Each label needs a 'label': a name of 1 \
         to 40 characters without spaces)",
    );
    fails(
        update_dataset_metadata(&client, &dataset_id, &Default::default()).checked(),
        400,
        "Failed to update dataset metadata (HTTP 400: Nothing to change: give 'meta_properties' \
         or 'labels' (JSON))",
    );
    fails_with_start(
        update_dataset_version_metadata(
            &client,
            &dataset_id,
            1,
            &UpdateDatasetVersionMetadataOptions {
                annotations: Some("{not json".into()),
                ..Default::default()
            },
        )
        .checked(),
        400,
        "Failed to update dataset version metadata (HTTP 400: 'annotations' is not JSON:",
    );
    fails(
        update_dataset_version_metadata(
            &client,
            &dataset_id,
            1,
            &UpdateDatasetVersionMetadataOptions {
                annotations: Some(json!({"type": "LabelAnnotation"}).to_string()),
                ..Default::default()
            },
        )
        .checked(),
        400,
        "Failed to update dataset version metadata (HTTP 400: Each annotation needs a 'type': \
         one of FieldsDescriptorAnnotation, ServiceExecutionAnnotation)",
    );
    // A project file that is not there.
    let project_id = new_test_project(&client, "bad input");
    fails(
        create_dataset_from_project_file(
            &client,
            &project_id,
            "/",
            "absent.sdf",
            SDF_TYPE,
            &Default::default(),
        )
        .checked(),
        404,
        &format!(
            "Failed to create dataset from project file (HTTP 404: The file /absent.sdf does \
             not exist in project {project_id})"
        ),
    );
    // Checked before anything is sent: no version 0, no missing local file.
    sandbox.clear_requests();
    let rv = get_dataset(
        &client,
        &dataset_id,
        0,
        tmp.path().join("v0"),
        &Default::default(),
    );
    assert_eq!((rv.success, rv.http_status_code), (false, 0), "{rv:?}");
    let rv = upload_dataset(
        &client,
        tmp.path().join("absent.sdf"),
        SDF_TYPE,
        TEST_UNIT_ID,
        &Default::default(),
    );
    assert_eq!((rv.success, rv.http_status_code), (false, 0), "{rv:?}");
    assert!(api_requests(&sandbox).is_empty());
}

// ---------------------------------------------------------------------------------------
// Workflows
// ---------------------------------------------------------------------------------------

/// Two steps of `im-test/copy-file`: the workflow input is copied, then the copy is copied.
const TWO_STEP_WORKFLOW: &str = r#"---
kind: DataManagerWorkflow
kind-version: "2025.1"
name: copy-twice
description: Copies a file, then copies the copy
variable-mapping:
  inputs:
  - name: candidateMolecules
steps:
- name: first-copy
  specification:
    collection: im-test
    job: copy-file
    version: "1.0.0"
  inputs:
  - input: inputFile
    from:
      workflow-input: candidateMolecules
  outputs:
  - output: outputFile
    as: first.smi
- name: second-copy
  specification:
    collection: im-test
    job: copy-file
    version: "1.0.0"
  inputs:
  - input: inputFile
    from:
      step: first-copy
      output: outputFile
  outputs:
  - output: outputFile
    as: second.smi
"#;

fn create(client: &Client, name: &str, definition: &str) -> Value {
    ok(create_workflow(
        client,
        name,
        ScopeEnum::Global,
        &CreateWorkflowOptions {
            definition: Some(definition.into()),
            ..Default::default()
        },
    ))
}

/// Waits for a running workflow to end and returns it, with the step statuses seen on
/// the way (by step name).
fn wait_for_run(client: &Client, run_id: &str) -> (Value, Vec<(String, String)>) {
    let mut seen: Vec<(String, String)> = Vec::new();
    let run = poll_until(
        || {
            let steps = ok(get_running_workflow_steps(client, run_id));
            for step in steps["running_workflow_steps"].as_array().unwrap() {
                let entry = (
                    text(&step["name"]).to_string(),
                    text(&step["status"]).to_string(),
                );
                if !seen.contains(&entry) {
                    seen.push(entry);
                }
            }
            ok(get_running_workflow(client, run_id))
        },
        |run| run["done"] == true,
    );
    (run, seen)
}

#[test]
fn a_workflow_runs_its_steps_in_order_and_a_second_run_is_stopped() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();
    let project_id = new_test_project(&client, "workflows");
    let input = tmp.path().join("molecules.smi");
    fs::write(&input, SMILES).unwrap();
    ok(put_unmanaged_project_files(
        &client,
        &project_id,
        &[&input],
        &Default::default(),
    ));

    // Create, read, rename and version the workflow.
    let created = create(&client, "copy twice", TWO_STEP_WORKFLOW);
    assert_eq!(created["validated"], true, "{created}");
    let workflow_id = text(&created["id"]).to_string();
    let listed = ok(get_workflows(&client));
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["workflows"][0]["workflow_name"], "copy-twice");
    assert_eq!(listed["workflows"][0]["scope"], "GLOBAL");
    let workflow = ok(get_workflow(&client, &workflow_id));
    assert_eq!(workflow["creating_user"], ADMIN_USER);
    assert_eq!(
        workflow["workflow_description"],
        "Copies a file, then copies the copy"
    );
    let steps: Vec<&str> = workflow["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| text(&s["name"]))
        .collect();
    assert_eq!(steps, ["first-copy", "second-copy"]);
    assert_eq!(workflow["steps"][0]["specification"]["job"], "copy-file");
    assert_eq!(
        ok(get_workflow_definition(&client, &workflow_id)),
        json!({"definition": TWO_STEP_WORKFLOW})
    );
    assert_eq!(
        ok(update_workflow(
            &client,
            &workflow_id,
            &UpdateWorkflowOptions {
                name: Some("copy it twice".into()),
                ..Default::default()
            },
        )),
        json!({"validated": true})
    );
    let versioned = ok(apply_workflow_version(&client, &workflow_id, "1.0.0"));
    let version_id = text(&versioned["id"]).to_string();
    let version = ok(get_workflow(&client, &version_id));
    assert_eq!(version["version"], "1.0.0");
    assert_eq!(version["source_id"], workflow_id.as_str());
    assert_eq!(version["name"], "copy it twice");
    fails(
        update_workflow(
            &client,
            &version_id,
            &UpdateWorkflowOptions {
                name: Some("renamed".into()),
                ..Default::default()
            },
        )
        .checked(),
        400,
        &format!(
            "Failed to update workflow (HTTP 400: Workflow {version_id} is version \"1.0.0\" of \
             {workflow_id}: a version cannot change)"
        ),
    );

    // Run the version: its steps start one after the other.
    let variables = json!({"candidateMolecules": "molecules.smi"}).to_string();
    let run = ok(run_workflow(
        &client,
        &version_id,
        &project_id,
        "first run",
        &RunWorkflowOptions {
            variables: Some(variables.clone()),
            ..Default::default()
        },
    ));
    let run_id = text(&run["id"]).to_string();
    let (finished, seen) = wait_for_run(&client, &run_id);
    assert_eq!(finished["status"], "SUCCESS", "{finished}");
    assert_eq!(finished["success"], true);
    assert_eq!(finished["error_num"], 0);
    assert_eq!(finished["running_user"], ADMIN_USER);
    assert_eq!(
        finished["variables"],
        json!({"candidateMolecules": "molecules.smi"})
    );
    assert_eq!(
        finished["workflow"],
        json!({"id": version_id, "name": "copy it twice", "version": "1.0.0"})
    );
    assert_eq!(
        finished["project"],
        json!({"id": project_id, "name": "workflows"})
    );
    // The second step never ran before the first ended.
    let first_done = seen
        .iter()
        .position(|s| *s == ("first-copy".into(), "SUCCESS".into()));
    let second_seen = seen.iter().position(|(name, _)| name == "second-copy");
    assert!(first_done.is_some() && first_done < second_seen, "{seen:?}");
    let steps = ok(get_running_workflow_steps(&client, &run_id));
    assert_eq!(steps["count"], 2);
    let second = &steps["running_workflow_steps"][1];
    assert_eq!(second["status"], "SUCCESS");
    assert_eq!(second["done"], true);
    assert_eq!(
        second["variables"],
        json!({"outputFile": "second.smi", "inputFile": "first.smi"})
    );
    assert_eq!(second["running_workflow"]["id"], run_id.as_str());
    // Each step was an instance in the project, which wrote its copy.
    let instance = ok(get_instance(&client, text(&second["instance_id"])));
    assert_eq!(instance["running_workflow_step_id"], second["id"]);
    assert_eq!(instance["phase"], "COMPLETED");
    let dir = sandbox.project_dir(&project_id).unwrap();
    assert_eq!(fs::read_to_string(dir.join("first.smi")).unwrap(), SMILES);
    assert_eq!(fs::read_to_string(dir.join("second.smi")).unwrap(), SMILES);

    // A second run, stopped while its first step runs (a longer one, so that the stop comes
    // first however slow the machine): no further step starts.
    sandbox.set_job_duration(Duration::from_millis(600));
    let run = ok(run_workflow(
        &client,
        &version_id,
        &project_id,
        "second run",
        &RunWorkflowOptions {
            variables: Some(variables),
            ..Default::default()
        },
    ));
    let second_run = text(&run["id"]).to_string();
    assert_eq!(
        stop_running_workflow(&client, &second_run).http_status_code,
        204
    );
    let stopped = ok(get_running_workflow(&client, &second_run));
    assert_eq!(stopped["status"], "USER_STOPPED");
    assert_eq!(stopped["stopping_user"], ADMIN_USER);
    assert_eq!(
        (stopped["done"].clone(), stopped["success"].clone()),
        (json!(true), json!(false))
    );
    let steps = ok(get_running_workflow_steps(&client, &second_run));
    let instance_id = text(&steps["running_workflow_steps"][0]["instance_id"]).to_string();
    // The step's instance is left to end on its own; its end starts nothing.
    let instance = ok(wait_for_instance(&client, &instance_id, &fast_wait()));
    assert_eq!(instance["phase"], "COMPLETED");
    sandbox.set_job_duration(JOB_DURATION);
    let steps = ok(get_running_workflow_steps(&client, &second_run));
    assert_eq!(steps["count"], 1, "{steps}");
    assert_eq!(steps["running_workflow_steps"][0]["status"], "FAILURE");
    assert_eq!(
        steps["running_workflow_steps"][0]["error_msg"],
        "The run was stopped by dmit-admin"
    );
    fails(
        stop_running_workflow(&client, &second_run).checked(),
        400,
        &format!(
            "Failed to stop running workflow (HTTP 400: Running workflow {second_run} has \
             already ended (USER_STOPPED))"
        ),
    );

    // List, filter, delete.
    let runs = ok(get_running_workflows(
        &client,
        &GetRunningWorkflowsOptions {
            workflow_id: Some(version_id.clone()),
            ..Default::default()
        },
    ));
    assert_eq!(runs["count"], 2);
    let other_project = new_test_project(&client, "elsewhere");
    let none = ok(get_running_workflows(
        &client,
        &GetRunningWorkflowsOptions {
            project_id: Some(other_project),
            ..Default::default()
        },
    ));
    assert_eq!(none["count"], 0);
    assert_eq!(
        delete_running_workflow(&client, &run_id).http_status_code,
        204
    );
    assert_eq!(
        delete_running_workflow(&client, &second_run).http_status_code,
        204
    );
    fails(
        get_running_workflow(&client, &run_id).checked(),
        404,
        &format!("Failed to get the workflow (HTTP 404: Running workflow {run_id} does not exist)"),
    );
    assert_eq!(delete_workflow(&client, &version_id).http_status_code, 204);
    assert_eq!(delete_workflow(&client, &workflow_id).http_status_code, 204);
    assert_eq!(ok(get_workflows(&client))["count"], 0);
}

#[test]
fn bad_workflows_say_what_is_wrong_and_failing_steps_fail_the_run() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let project_id = new_test_project(&client, "bad workflows");

    // A definition with problems is kept, not validated, and cannot run.
    let broken =
        "kind: DataManagerWorkflow\nname: broken\nsteps:\n- name: a\n  specification:\n    \
                  collection: im-test\n    job: no-such-job\n    version: '1.0.0'\n";
    let created = create(&client, "broken", broken);
    assert_eq!(created["validated"], false);
    let workflow_id = text(&created["id"]).to_string();
    let workflow = ok(get_workflow(&client, &workflow_id));
    assert_eq!(workflow["validation_error_num"], 2);
    assert_eq!(
        workflow["validation_error_msg"],
        json!([
            "'kind-version' is missing",
            "Step 'a': there is no Job im-test/no-such-job/1.0.0"
        ])
    );
    assert!(workflow.get("steps").is_none());
    fails(
        run_workflow(
            &client,
            &workflow_id,
            &project_id,
            "run",
            &Default::default(),
        )
        .checked(),
        400,
        &format!(
            "Failed to run the workflow (HTTP 400: Workflow {workflow_id} has problems and \
             cannot run: 'kind-version' is missing; Step 'a': there is no Job \
             im-test/no-such-job/1.0.0)"
        ),
    );
    // Fixing the definition validates it.
    let fixed = broken
        .replace("no-such-job", "nop")
        .replace("name: broken", "kind-version: '2025.1'\nname: fixed");
    assert_eq!(
        ok(update_workflow(
            &client,
            &workflow_id,
            &UpdateWorkflowOptions {
                definition: Some(fixed),
                ..Default::default()
            },
        )),
        json!({"validated": true})
    );

    // Not YAML, no definition, a scope the API does not have.
    fails_with_start(
        create_workflow(
            &client,
            "not yaml",
            ScopeEnum::Global,
            &CreateWorkflowOptions {
                definition: Some("steps: [".into()),
                ..Default::default()
            },
        )
        .checked(),
        400,
        "Failed to create workflow (HTTP 400: The workflow definition is not YAML: ",
    );
    fails(
        create_workflow(&client, "nothing", ScopeEnum::Global, &Default::default()).checked(),
        400,
        "Failed to create workflow (HTTP 400: A workflow needs a definition: the 'definition' \
         field or a 'definition_file')",
    );
    fails(
        create_workflow(
            &client,
            "unit scoped",
            ScopeEnum::Unit,
            &CreateWorkflowOptions {
                scope_id: Some(TEST_UNIT_ID.into()),
                definition: Some(TWO_STEP_WORKFLOW.into()),
                ..Default::default()
            },
        )
        .checked(),
        400,
        "Failed to create workflow (HTTP 400: 'scope' must be one of GLOBAL, AS_ORGANISATION, \
         AS_UNIT, not \"UNIT\")",
    );

    // A definition in a file works as inline text does.
    let tmp = TempDir::new();
    let file = tmp.path().join("workflow.yaml");
    fs::write(&file, TWO_STEP_WORKFLOW).unwrap();
    let from_file = ok(create_workflow(
        &client,
        "from a file",
        ScopeEnum::Global,
        &CreateWorkflowOptions {
            definition_file: Some(file),
            ..Default::default()
        },
    ));
    let two_step = text(&from_file["id"]).to_string();
    // A run without its workflow input is refused.
    fails(
        run_workflow(
            &client,
            &two_step,
            &project_id,
            "no input",
            &Default::default(),
        )
        .checked(),
        400,
        "Failed to run the workflow (HTTP 400: The workflow input 'candidateMolecules' is \
         missing from the run's variables)",
    );
    // A step whose input file is not there fails the run.
    let run = ok(run_workflow(
        &client,
        &two_step,
        &project_id,
        "missing file",
        &RunWorkflowOptions {
            variables: Some(json!({"candidateMolecules": "absent.smi"}).to_string()),
            ..Default::default()
        },
    ));
    let (failed, _) = wait_for_run(&client, text(&run["id"]));
    assert_eq!(failed["status"], "FAILURE");
    assert_eq!(
        failed["error_msg"],
        "Step 'first-copy' failed: Step could not start: The input file 'absent.smi' (variable \
         'inputFile') is not in the project"
    );

    // A step whose Job fails fails the run; run variables reach the steps that declare them.
    let coin = "kind: DataManagerWorkflow\nkind-version: '2025.1'\nname: coin\nsteps:\n- name: \
                toss\n  specification: {collection: im-test, job: coin-test, version: '1.0.0'}\n\
                - name: never\n  specification: {collection: im-test, job: nop, version: '1.0.0'}\n";
    let coin_id = text(&create(&client, "coin", coin)["id"]).to_string();
    let run = ok(run_workflow(
        &client,
        &coin_id,
        &project_id,
        "tails",
        &RunWorkflowOptions {
            variables: Some(json!({"coin": "tails"}).to_string()),
            ..Default::default()
        },
    ));
    let run_id = text(&run["id"]).to_string();
    let (failed, seen) = wait_for_run(&client, &run_id);
    assert_eq!(failed["status"], "FAILURE");
    assert_eq!(failed["error_num"], 1);
    assert_eq!(
        failed["error_msg"],
        "Step 'toss' failed: The coin landed tails"
    );
    assert!(seen.iter().all(|(name, _)| name == "toss"), "{seen:?}");
    let steps = ok(get_running_workflow_steps(&client, &run_id));
    assert_eq!(
        steps["running_workflow_steps"][0]["variables"],
        json!({"coin": "tails"})
    );

    // Someone else's workflow cannot be changed; unknown ones are not found.
    let bob = user_client(&sandbox, "bob");
    fails(
        delete_workflow(&bob, &coin_id).checked(),
        403,
        &format!(
            "Failed to delete workflow (HTTP 403: Only the creator of workflow {coin_id} \
             (dmit-admin) can change it)"
        ),
    );
    // The project is public: bob sees the run, but may not change it.
    ok(get_running_workflow(&bob, &run_id));
    fails(
        delete_running_workflow(&bob, &run_id).checked(),
        403,
        &format!(
            "Failed to delete running workflow (HTTP 403: bob may not change running workflow \
             {run_id})"
        ),
    );
    fails(
        get_workflow(&client, "workflow-00000000-0000-0000-0000-000000000000").checked(),
        404,
        "Failed to get workflow (HTTP 404: Workflow workflow-00000000-0000-0000-0000-000000000000 \
         does not exist)",
    );
}

// ---------------------------------------------------------------------------------------
// Applications
// ---------------------------------------------------------------------------------------

#[test]
fn the_applications_are_the_job_and_notebook_operators() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let listed = ok(get_applications(&client));
    assert_eq!(listed["count"], 2);
    let ids: Vec<&str> = listed["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| text(&a["application_id"]))
        .collect();
    assert_eq!(
        ids,
        ["datamanagerjobs.squonk.it", "jupyternotebooks.squonk.it"]
    );
    let project_id = new_test_project(&client, "apps");
    let spec = json!({"collection": "im-test", "job": "nop", "version": "1.0.0"});
    let started = ok(start_job_instance(
        &client,
        &project_id,
        "nop",
        &spec,
        &Default::default(),
    ));
    let jobs = ok(get_application(&client, "datamanagerjobs.squonk.it"));
    assert_eq!(jobs["kind"], "DataManagerJob");
    assert_eq!(jobs["instances"], json!([started["instance_id"]]));
    let notebooks = ok(get_application(&client, "jupyternotebooks.squonk.it"));
    assert_eq!(notebooks["cost_unit"], "PxGi");
    assert!(
        notebooks["image_variants"]["public"]
            .as_array()
            .unwrap()
            .len()
            > 1
    );
    fails(
        get_application(&client, "nope.squonk.it").checked(),
        404,
        "Failed to get application (HTTP 404: There is no application \"nope.squonk.it\" (the \
         sandbox has datamanagerjobs.squonk.it and jupyternotebooks.squonk.it))",
    );
}

// ---------------------------------------------------------------------------------------
// Admin
// ---------------------------------------------------------------------------------------

fn job_names(client: &Client) -> Vec<String> {
    ok(get_available_jobs(client))["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| format!("{}/{}", text(&j["collection"]), text(&j["job"])))
        .collect()
}

#[test]
fn an_admin_puts_job_manifests_and_their_jobs_appear() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let url = sandbox.builtin_job_manifest_url();

    // Admin endpoints want the admin role; admin mode stays off (as the vendor's
    // load-job-manifests tool leaves it).
    let alice = user_client(&sandbox, "alice");
    fails(
        get_job_manifests(&alice).checked(),
        403,
        "Failed to get job manifests (HTTP 403: Only admins can see Job manifests: alice does \
         not have the Data Manager admin role)",
    );

    // The built-in manifest.
    assert!(!job_names(&client).contains(&"sandbox-examples/count-molecules".to_string()));
    let loaded = ok(put_job_manifest(&client, url, &Default::default()));
    assert_eq!(
        loaded,
        json!({
            "status": true,
            "num_manifest_files_inspected": 1,
            "num_job_definition_files_inspected": 1,
            "num_jobs_inspected": 2,
            "num_jobs_loaded": 2,
            "num_jobs_purged": 0,
        })
    );
    let names = job_names(&client);
    assert!(
        names.contains(&"sandbox-examples/count-molecules".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"sandbox-examples/say-hello".to_string()),
        "{names:?}"
    );
    let manifests = ok(get_job_manifests(&client));
    assert_eq!(manifests["count"], 1);
    let manifest = &manifests["job_manifests"][0];
    assert_eq!(manifest["url"], url);
    assert_eq!(manifest["last_load_status"], "SUCCESS");
    assert_eq!(manifest["job_definitions_loaded"], 2);
    assert_eq!(manifest["creator"], ADMIN_USER);
    let builtin_id = manifest["id"].as_i64().unwrap();

    // A manifest of our own, one of whose Jobs is broken.
    let own = "https://example.com/jobs/data-manager/manifest.yaml";
    sandbox.add_web_file(
        own,
        "kind: DataManagerManifest\nkind-version: '2021.1'\njob-definition-files:\n- mine.yaml\n",
    );
    sandbox.add_web_file(
        "https://example.com/jobs/data-manager/mine.yaml",
        "kind: DataManagerJobDefinition\nkind-version: '2021.1'\ncollection: mine\njobs:\n  \
         shout:\n    name: Shout\n    version: '1.0.0'\n    image: {name: me/shout, tag: '1'}\n    \
         command: shout.py\n  broken:\n    name: Broken\n    version: '1.0.0'\n    command: x\n",
    );
    let loaded = ok(put_job_manifest(
        &client,
        own,
        &PutJobManifestOptions {
            params: Some(json!({"ref": "main"}).to_string()),
            ..Default::default()
        },
    ));
    assert_eq!(loaded["status"], false);
    assert_eq!(loaded["num_jobs_inspected"], 2);
    assert_eq!(loaded["num_jobs_loaded"], 1);
    assert_eq!(
        loaded["job_definition_failures"],
        json!(["https://example.com/jobs/data-manager/mine.yaml: Job mine/broken: 'image.name' is missing"])
    );
    assert!(job_names(&client).contains(&"mine/shout".to_string()));

    // A URL with nothing there.
    let nowhere = ok(put_job_manifest(
        &client,
        "https://example.com/none.yaml",
        &Default::default(),
    ));
    assert_eq!(nowhere["status"], false);
    assert!(
        text(&nowhere["manifest_file_failures"][0])
            .starts_with("https://example.com/none.yaml: could not get the manifest"),
        "{nowhere}"
    );
    let manifests = ok(get_job_manifests(&client));
    assert_eq!(manifests["count"], 3);
    assert_eq!(manifests["job_manifests"][2]["last_load_status"], "FAILURE");

    // Reloading everything; a loaded Job runs like any other.
    let reloaded = ok(load_job_manifests(&client));
    assert_eq!(reloaded["num_manifest_files_inspected"], 3);
    assert_eq!(reloaded["num_jobs_loaded"], 3);
    let project_id = new_test_project(&client, "manifest jobs");
    let spec = json!({"collection": "sandbox-examples", "job": "say-hello", "version": "1.0.0"});
    let started = ok(start_job_instance(
        &client,
        &project_id,
        "hello",
        &spec,
        &Default::default(),
    ));
    let instance = ok(wait_for_instance(
        &client,
        text(&started["instance_id"]),
        &fast_wait(),
    ));
    assert_eq!(instance["phase"], "COMPLETED");
    assert_eq!(instance["job_name"], "Say hello");

    // Deleting with purge takes the Jobs no instance uses out of the catalogue.
    assert_eq!(
        delete_job_manifest(
            &client,
            builtin_id,
            &DeleteJobManifestOptions { purge: true }
        )
        .http_status_code,
        204
    );
    let names = job_names(&client);
    assert!(
        !names.contains(&"sandbox-examples/count-molecules".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"sandbox-examples/say-hello".to_string()),
        "{names:?}"
    );
    fails(
        delete_job_manifest(&client, builtin_id, &Default::default()).checked(),
        400,
        &format!(
            "Failed to delete job manifest (HTTP 400: There is no Job manifest \"{builtin_id}\")"
        ),
    );
}

#[test]
fn an_admin_handles_service_errors_and_user_accounts() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let first = sandbox
        .add_service_error("ERROR", "The database went away")
        .unwrap();
    let second = sandbox
        .add_service_error("warning", "The disk is 90% full")
        .unwrap();
    assert!(sandbox.add_service_error("BAD", "x").is_err());
    // The admin role is enough: admin mode stays off.

    // Service errors: listed, acknowledged (then hidden unless asked for), deleted.
    let errors = ok(get_service_errors(&client, &Default::default()));
    assert_eq!(errors["count"], 2);
    assert_eq!(
        errors["service_errors"][0]["summary"],
        "The database went away"
    );
    assert_eq!(errors["service_errors"][1]["severity"], "WARNING");
    assert_eq!(
        acknowledge_service_error(&client, first as i64).http_status_code,
        204
    );
    let errors = ok(get_service_errors(&client, &Default::default()));
    assert_eq!(errors["count"], 1);
    let errors = ok(get_service_errors(
        &client,
        &GetServiceErrorsOptions {
            include_acknowledged: true,
        },
    ));
    assert_eq!(errors["count"], 2);
    assert_eq!(errors["service_errors"][0]["acknowledged"], true);
    assert_eq!(
        errors["service_errors"][0]["acknowledging_user"],
        ADMIN_USER
    );
    assert_eq!(
        delete_service_error(&client, second as i64).http_status_code,
        204
    );
    fails(
        delete_service_error(&client, second as i64).checked(),
        404,
        &format!("Failed to delete service error (HTTP 404: There is no service error {second})"),
    );
    fails(
        acknowledge_service_error(&client, 99).checked(),
        404,
        "Failed to patch service error (HTTP 404: There is no service error 99)",
    );

    // Impersonating a user is acting as them: no admin endpoints meanwhile.
    ok(set_admin_state(
        &client,
        true,
        &SetAdminStateOptions {
            impersonate: Some("bob".into()),
        },
    ));
    fails(
        get_service_errors(&client, &Default::default()).checked(),
        403,
        "Failed to get service errors (HTTP 403: Only admins can see service errors: dmit-admin \
         is acting as bob (stop impersonating bob first))",
    );
    ok(set_admin_state(&client, false, &Default::default()));

    // User accounts: prepared, listed, suspended (a suspended user gets 403), deleted.
    let created = create_user_account(&client, "carol");
    assert_eq!(created.http_status_code, 201, "{created:?}");
    assert_eq!(created.msg["user"]["username"], "carol");
    assert_eq!(created.msg["user"]["suspended"], false);
    let alice = user_client(&sandbox, "alice");
    let project_id = new_test_project(&alice, "alice's");
    let users = ok(get_admin_users(&client, &Default::default()));
    let names: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| text(&u["username"]))
        .collect();
    assert_eq!(names, ["alice", "carol", "dmit-admin"]);
    let active = ok(get_admin_users(
        &client,
        &GetAdminUsersOptions {
            active_days: Some(1),
            ..Default::default()
        },
    ));
    assert_eq!(active["count"], 3);
    let idle = ok(get_admin_users(
        &client,
        &GetAdminUsersOptions {
            idle_days: Some(1),
            ..Default::default()
        },
    ));
    assert_eq!(idle["count"], 0);
    fails(
        get_admin_users(
            &client,
            &GetAdminUsersOptions {
                idle_days: Some(0),
                ..Default::default()
            },
        )
        .checked(),
        400,
        "Failed to get admin users (HTTP 400: 'idle_days' must be a whole number of days, at \
         least 1, not \"0\")",
    );

    // Carol logs in and works until she is suspended; then every call gets a 403 that says
    // why, until the suspension is lifted. Then her account goes.
    sandbox.add_user("carol", "carol-password", false);
    let carol = user_client(&sandbox, "carol");
    ok(get_available_projects(&carol, &Default::default()));
    let suspend = UpdateUserAccountOptions {
        suspend_message: Some("Your licence has expired".into()),
    };
    assert_eq!(
        update_user_account(&client, "carol", &suspend).http_status_code,
        204
    );
    fails(
        get_available_projects(&carol, &Default::default()).checked(),
        403,
        "Failed to get projects (HTTP 403: Your account is suspended. Your licence has expired)",
    );
    let tmp = TempDir::new();
    let note = tmp.path().join("note.txt");
    fs::write(&note, "hello").unwrap();
    fails(
        upload_dataset(
            &carol,
            &note,
            "text/plain",
            TEST_UNIT_ID,
            &Default::default(),
        )
        .checked(),
        403,
        "Failed to upload dataset (HTTP 403: Your account is suspended. Your licence has \
         expired)",
    );
    let users = ok(get_admin_users(&client, &Default::default()));
    assert_eq!(users["users"][1]["username"], "carol");
    assert_eq!(users["users"][1]["suspended"], true);
    assert_eq!(
        users["users"][1]["suspension_message"],
        "Your licence has expired"
    );
    let lift = UpdateUserAccountOptions {
        suspend_message: Some(String::new()),
    };
    ok(update_user_account(&client, "carol", &lift));
    ok(get_available_projects(&carol, &Default::default()));
    fails(
        update_user_account(&client, ADMIN_USER, &suspend).checked(),
        400,
        "Failed to update user account (HTTP 400: You cannot suspend your own account)",
    );
    assert_eq!(delete_user_account(&client, "carol").http_status_code, 204);
    let users = ok(get_admin_users(&client, &Default::default()));
    assert_eq!(users["count"], 2, "{users}");

    fails(
        delete_user_account(&client, "alice").checked(),
        400,
        &format!(
            "Failed to delete user account (HTTP 400: User alice still owns project {project_id} \
             (alice's); delete it first)"
        ),
    );
    fails(
        delete_user_account(&client, "nobody").checked(),
        400,
        "Failed to delete user account (HTTP 400: User nobody has no Data Manager account)",
    );
    // Non-admins get 403 on every admin endpoint.
    for rv in [
        create_user_account(&alice, "dave").checked(),
        delete_user_account(&alice, "carol").checked(),
        update_user_account(&alice, "bob", &suspend).checked(),
        get_admin_users(&alice, &Default::default()).checked(),
        get_service_errors(&alice, &Default::default()).checked(),
        acknowledge_service_error(&alice, first as i64).checked(),
        delete_service_error(&alice, first as i64).checked(),
        get_job_manifests(&alice).checked(),
        put_job_manifest(&alice, "https://example.com/m.yaml", &Default::default()).checked(),
        load_job_manifests(&alice).checked(),
        delete_job_manifest(&alice, 1, &Default::default()).checked(),
    ] {
        assert_eq!((rv.success, rv.http_status_code), (false, 403), "{rv:?}");
        assert!(
            rv.error()
                .unwrap()
                .contains("alice does not have the Data Manager admin role"),
            "{rv:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Server errors
// ---------------------------------------------------------------------------------------

#[test]
fn server_errors_and_unreachable_servers_give_clear_messages() {
    let sandbox = quick_sandbox();
    // One answer each: a GET failing with 502 would otherwise be retried (D20).
    let client = client_without_retries(&sandbox);
    sandbox.add_fault(
        FaultRule::new(
            "/data-manager-api/dataset",
            Fault::error(500, "database unavailable"),
        )
        .times(1),
    );
    fails(
        get_available_datasets(&client).checked(),
        500,
        "Failed to get datasets (HTTP 500: database unavailable)",
    );
    sandbox.add_fault(
        FaultRule::new(
            "/data-manager-api/workflow",
            Fault::Respond {
                status: 502,
                content_type: "text/html".into(),
                body: b"<h1>Bad Gateway</h1>".to_vec(),
            },
        )
        .times(1),
    );
    fails(
        get_workflows(&client).checked(),
        502,
        "Failed to get workflows (HTTP 502: <h1>Bad Gateway</h1>)",
    );
    // Once the faults are spent, the same calls work.
    ok(get_available_datasets(&client));
    ok(get_workflows(&client));

    // No server at all: the cause, and no status.
    let offline = Client::builder()
        .dm_api_url(format!("http://127.0.0.1:{}/data-manager-api", dead_port()))
        .access_token("token")
        .build()
        .unwrap();
    let rv = get_applications(&offline);
    assert_eq!((rv.success, rv.http_status_code), (false, 0), "{rv:?}");
    let error = rv.error().unwrap();
    assert!(
        error.starts_with("Failed to get applications (") && error.contains("refused"),
        "{rv:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Projects on Account Server products
// ---------------------------------------------------------------------------------------

#[test]
fn a_project_claims_its_account_server_product_until_it_is_deleted() {
    use squonk2::as_api;
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let id = |rv: ApiRv| text(&ok(rv)["id"]).to_string();
    let org_id = id(as_api::create_organisation(&client, "Claims", "alice").checked());
    let unit_id = id(as_api::create_unit(&client, "Claims unit", &org_id, 1).checked());
    let tier_id = id(as_api::create_product(
        &client,
        "Claimed tier",
        &unit_id,
        "DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION",
        &as_api::CreateProductOptions {
            flavour: "BRONZE".into(),
            ..Default::default()
        },
    )
    .checked());
    let claimed = ok(create_project(
        &client,
        "claiming",
        &tier_id,
        &Default::default(),
    ));
    let project_id = text(&claimed["project_id"]).to_string();
    // The project belongs to the product's unit and organisation.
    let project = ok(get_project(&client, &project_id));
    assert_eq!(project["unit_id"], unit_id.as_str());
    assert_eq!(project["organisation_id"], org_id.as_str());
    // One project per product; the product stays while its project does.
    fails(
        create_project(&client, "second", &tier_id, &Default::default()).checked(),
        400,
        &format!(
            "Failed creating project (HTTP 400: Product {tier_id} is already claimed by \
             {project_id})"
        ),
    );
    let rv = as_api::delete_product(&client, &tier_id);
    assert!(!rv.success, "{rv:?}");
    assert!(rv.error().unwrap().contains("is claimed by"), "{rv:?}");
    ok(delete_project(&client, &project_id));
    ok(as_api::delete_product(&client, &tier_id));
}
