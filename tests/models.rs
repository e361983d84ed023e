//! The typed answers (`dm_api::models`, `as_api::models`): every sandbox answer decodes into
//! the model of its endpoint's official type and encodes back to the same JSON, decoding
//! tolerates what a newer server may send, and a wrong answer names what was wrong.

mod common;
#[path = "models/dispatch.rs"]
mod dispatch;

use std::fs;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use squonk2::as_api::{self, models as am, CreateProductOptions, ProductType};
use squonk2::dm_api::{self, models as dm, JobSpecification};
use squonk2::{ApiRv, ErrorKind};
use squonk2_sandbox::{Fault, FaultRule, Sandbox};

use common::*;

const ENDPOINTS: &str = include_str!("../tools/contract/endpoints.json");

/// Where `got` (the model encoded again) differs from `sent` (the answer): nulls count as
/// absent and numbers compare as numbers (`5` and `5.0` are equal).
fn differences(path: &str, sent: &Value, got: &Value, out: &mut Vec<String>) {
    match (sent, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let here = format!("{path}.{k}");
                match b.get(k) {
                    Some(w) => differences(&here, v, w, out),
                    None if v.is_null() => {}
                    None => out.push(format!("{here}: lost (the model has no such field)")),
                }
            }
            for (k, w) in b {
                if !a.contains_key(k) && !w.is_null() {
                    out.push(format!("{path}.{k}: added ({w})"));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}[{i}]"), v, w, out);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: sent {a}, encoded again as {b}")),
    }
}

/// The official success type of `package`'s `call` (`METHOD /path/{template}`) answering
/// `status`, from tools/contract/endpoints.json (our templates name parameters as Python
/// does, the official ones in camel case, so only their places are compared).
fn official_type(package: &str, call: &str, status: u16) -> Option<String> {
    let (method, path) = call.split_once(' ')?;
    let shape = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s.starts_with('{') {
                    "{}".into()
                } else {
                    s.into()
                }
            })
            .collect()
    };
    let endpoints: Vec<Value> = serde_json::from_str(ENDPOINTS).unwrap();
    endpoints
        .iter()
        .find(|e| {
            e["package"] == package
                && e["method"] == method
                && e["status"] == status
                && shape(e["path"].as_str().unwrap()) == shape(path)
        })
        .map(|e| e["type"].as_str().unwrap().to_string())
}

/// `rv`'s answer as `T`, which must be its endpoint's official type and must encode back to
/// the answer.
///
/// `T` is the answer type of the endpoint function's signature, so the caller's annotation
/// (`let x: dm::ProjectDetail = dmt(dm_api::get_project(..))`) checks the signature too.
fn typed<T: DeserializeOwned + Serialize>(package: &str, rv: ApiRv<T>) -> T {
    assert!(rv.success, "{rv:?}");
    let name = std::any::type_name::<T>().rsplit("::").next().unwrap();
    let call = rv.call().unwrap_or_default().to_string();
    let (msg, status) = (rv.msg.clone(), rv.http_status_code);
    let value: T = rv.typed().unwrap_or_else(|e| panic!("{e}"));
    let encoded = serde_json::to_value(&value).unwrap();
    let rv = ApiRv::new(true, msg, status);
    let official = official_type(package, &call, rv.http_status_code)
        .unwrap_or_else(|| panic!("{call}: no such endpoint in the official API"));
    if official != name {
        // An alias (AdminUserPutResponse = UserAccountDetail) names the type it stands for.
        let via_official = dispatch::decode_encode(package, &official, &rv.msg);
        assert!(
            via_official.is_some_and(|r| r.as_ref() == Ok(&encoded)),
            "{call}: the official type is {official}, not {name}"
        );
    }
    let mut diffs = Vec::new();
    differences("msg", &rv.msg, &encoded, &mut diffs);
    assert!(diffs.is_empty(), "{call} as {name}:\n{}", diffs.join("\n"));
    value
}

fn dmt<T: DeserializeOwned + Serialize>(rv: ApiRv<T>) -> T {
    typed("dm", rv)
}

fn ast<T: DeserializeOwned + Serialize>(rv: ApiRv<T>) -> T {
    typed("as", rv)
}

fn quick_sandbox() -> Sandbox {
    Sandbox::builder()
        .job_duration(Duration::from_millis(150))
        .start()
        .expect("the sandbox starts")
}

const WORKFLOW: &str = r#"---
kind: DataManagerWorkflow
kind-version: "2025.1"
name: copy-once
description: Copies a file
variable-mapping:
  inputs:
  - name: candidateMolecules
steps:
- name: only-copy
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
    as: copy.smi
"#;

/// The SHA-256 of [`SDF`] (`sha256sum`).
const SDF_SHA256: &str = "dec4f28dc5b5d6bdd488d45da023e143515c28c00f3f39146744ad0b7c1367f5";

const SDF: &str =
    "benzene\n  made by hand\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n$$$$\n";

/// A broad tour of the Data Manager: every answer parsed into its model and round-tripped.
#[test]
fn data_manager_answers_decode_into_their_models() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();

    let version: dm::VersionGetResponse = dmt(dm_api::get_version(&client));
    assert!(!version.version.is_empty());
    let _: dm::VersionGetResponse = dmt(dm_api::get_workflow_engine_version(&client));
    let _: dm::VersionGetResponse = dmt(dm_api::get_job_definition_schema_version(&client));
    let _: dm::AccountServerGetNamespaceResponse =
        dmt(dm_api::get_account_server_namespace(&client));
    let _: dm::AccountServerGetRegistrationResponse =
        dmt(dm_api::get_account_server_registration(&client));
    let _: dm::ModeGetResponse = dmt(dm_api::get_mode(&client));
    let _: dm::InputHandlerGetResponse = dmt(dm_api::get_input_handler(&client));
    let types: dm::TypesGetResponse = dmt(dm_api::get_supported_file_types(&client));
    assert!(types.count >= 1);

    // Projects and files.
    let created: dm::ProjectPostResponse = dmt(dm_api::create_project(
        &client,
        "models",
        dm_api::TEST_PRODUCT_ID,
        &Default::default(),
    ));
    let project_id = created.project_id;
    let project: dm::ProjectDetail = dmt(dm_api::get_project(&client, &project_id));
    assert_eq!((project.name.as_str(), project.private), ("models", false));
    assert_eq!(project.administrators, [ADMIN_USER]);
    let projects: dm::ProjectsGetResponse =
        dmt(dm_api::get_available_projects(&client, &Default::default()));
    assert!(projects.projects.iter().any(|p| p.project_id == project_id));
    let input = tmp.path().join("molecules.smi");
    fs::write(&input, "CCO\tethanol\n").unwrap();
    ok(dm_api::put_unmanaged_project_files(
        &client,
        &project_id,
        &[&input],
        &Default::default(),
    ));
    let files: dm::FilesGetResponse = dmt(dm_api::list_project_files(
        &client,
        &project_id,
        &Default::default(),
    ));
    assert_eq!(files.files[0].file_name, "molecules.smi");
    assert_eq!(files.files[0].stat.size, 12);

    // Jobs, instances and tasks.
    let jobs: dm::JobsGetResponse = dmt(dm_api::get_available_jobs(&client));
    let copy = jobs
        .jobs
        .iter()
        .find(|j| j.job == "copy-file")
        .expect("the sandbox has im-test/copy-file");
    let job: dm::JobGetResponse = dmt(dm_api::get_job(&client, copy.id, &Default::default()));
    assert_eq!(job.collection, "im-test");
    let _: dm::JobGetResponse = dmt(dm_api::get_job_by_version(
        &client,
        "rdkit",
        "rdkit-molprops",
        "1.0.0",
        &Default::default(),
    ));
    let spec = JobSpecification::new("im-test", "copy-file", "1.0.0")
        .variable("inputFile", "molecules.smi")
        .variable("outputFile", "copy.smi");
    let dry: dm::InstanceDryRunPostResponse = dmt(dm_api::dry_run_job_instance(
        &client,
        &project_id,
        "copy",
        &spec,
        &Default::default(),
    ));
    assert_eq!(
        dry.command.as_deref(),
        Some("cp 'molecules.smi' 'copy.smi'")
    );
    let started: dm::InstancePostResponse = dmt(dm_api::start_job_instance(
        &client,
        &project_id,
        "copy",
        &spec,
        &Default::default(),
    ));
    let running: dm::InstanceGetResponse = dmt(dm_api::get_instance(&client, &started.instance_id));
    assert_eq!(
        running.application_type,
        dm::InstanceGetResponseApplicationType::Job
    );
    let done: dm::InstanceGetResponse = dmt(dm_api::wait_for_instance(
        &client,
        &started.instance_id,
        &fast_wait(),
    ));
    assert_eq!(done.phase, dm::InstanceGetResponsePhase::Completed);
    let task: dm::TaskGetResponse = dmt(dm_api::wait_for_task(
        &client,
        &started.task_id,
        &fast_wait(),
    ));
    assert!(task.done);
    assert!(task.events.as_ref().is_some_and(|e| !e.is_empty()));
    let _: dm::TasksGetResponse = dmt(dm_api::get_tasks(&client, &Default::default()));
    let _: dm::InstancesGetResponse = dmt(dm_api::get_project_instances(&client, &project_id));
    let _: dm::InstancesGetResponse = dmt(dm_api::get_available_instances(&client));

    // Exchange rates, users, accounts, inventory.
    ok(dm_api::set_admin_state(&client, true, &Default::default()));
    ok(dm_api::set_job_exchange_rates(
        &client,
        &[dm_api::JobExchangeRate {
            collection: "im-test".into(),
            job: "copy-file".into(),
            version: "1.0.0".into(),
            rate: "1.5".into(),
            comment: Some("models".into()),
        }],
    ));
    let _: dm::GetAllExchangeRatesResponse =
        dmt(dm_api::get_job_exchange_rates(&client, &Default::default()));
    let _: dm::GetExchangeRatesResponse = dmt(dm_api::get_job_exchange_rate(
        &client,
        copy.id,
        &Default::default(),
    ));
    let _: dm::UsersGetResponse = dmt(dm_api::get_users(&client));
    let account: dm::UserAccountDetail = dmt(dm_api::get_account(&client, &Default::default()));
    assert_eq!(account.user.username, ADMIN_USER);
    let _: dm::UserApiLogGetResponse = dmt(dm_api::get_api_log(&client, &Default::default()));
    let _: dm::UserApiTokenGetResponse = dmt(dm_api::get_api_token(&client));
    let _: dm::InventoryUserGetResponse = dmt(dm_api::get_user_inventory(
        &client,
        &dm_api::GetUserInventoryOptions {
            unit_id: Some(dm_api::TEST_UNIT_ID.into()),
            ..Default::default()
        },
    ));
    let _: dm::ServiceErrorsGetResponse =
        dmt(dm_api::get_service_errors(&client, &Default::default()));
    let _: dm::AdminUsersGetResponse = dmt(dm_api::get_admin_users(&client, &Default::default()));
    let _: dm::AdminJobManifestGetResponse = dmt(dm_api::get_job_manifests(&client));
    let apps: dm::ApplicationsGetResponse = dmt(dm_api::get_applications(&client));
    if let Some(app) = apps.applications.first() {
        let _: dm::ApplicationGetResponse =
            dmt(dm_api::get_application(&client, &app.application_id));
    }

    // Datasets.
    let sdf = tmp.path().join("benzene.sdf");
    fs::write(&sdf, SDF).unwrap();
    let uploaded: dm::DatasetPutPostResponse = dmt(dm_api::upload_dataset(
        &client,
        &sdf,
        "chemical/x-mdl-sdfile",
        dm_api::TEST_UNIT_ID,
        &Default::default(),
    ));
    let _: dm::TaskGetResponse = dmt(dm_api::wait_for_task(
        &client,
        &uploaded.task_id,
        &fast_wait(),
    ));
    let _: dm::DatasetsGetResponse = dmt(dm_api::get_available_datasets(&client));
    let versions: dm::DatasetDetail = dmt(dm_api::get_dataset_versions(
        &client,
        &uploaded.dataset_id,
        &Default::default(),
    ));
    assert_eq!(versions.versions.len(), 1);
    let _: dm::DatasetMetaGetResponse =
        dmt(dm_api::get_dataset_metadata(&client, &uploaded.dataset_id));

    // Workflows.
    let workflow: dm::WorkflowPostResponse = dmt(dm_api::create_workflow(
        &client,
        "copy once",
        dm_api::ScopeEnum::Global,
        &dm_api::CreateWorkflowOptions {
            definition: Some(WORKFLOW.into()),
            ..Default::default()
        },
    ));
    let _: dm::WorkflowGetAllResponse = dmt(dm_api::get_workflows(&client));
    let got: dm::WorkflowGetResponse = dmt(dm_api::get_workflow(&client, &workflow.id));
    assert_eq!(got.steps.as_ref().map(Vec::len), Some(1));
    let _: dm::WorkflowDefinitionGetResponse =
        dmt(dm_api::get_workflow_definition(&client, &workflow.id));
    let run: dm::WorkflowRunPostResponse = dmt(dm_api::run_workflow(
        &client,
        &workflow.id,
        &project_id,
        "run",
        &dm_api::RunWorkflowOptions {
            variables: Some(json!({"candidateMolecules": "molecules.smi"}).to_string()),
            ..Default::default()
        },
    ));
    assert!(wait_until(Duration::from_secs(20), || {
        dm_api::get_running_workflow(&client, &run.id).msg["done"] == true
    }));
    let finished: dm::RunningWorkflowGetResponse =
        dmt(dm_api::get_running_workflow(&client, &run.id));
    assert_eq!(
        finished.status,
        dm::RunningWorkflowGetResponseStatus::Success
    );
    let _: dm::RunningWorkflowStepsGetResponse =
        dmt(dm_api::get_running_workflow_steps(&client, &run.id));
    let _: dm::RunningWorkflowGetAllResponse =
        dmt(dm_api::get_running_workflows(&client, &Default::default()));

    // Cleaning up answers with task identities.
    let removal: dm::TaskIdentity = dmt(dm_api::delete_instance(&client, &started.instance_id));
    assert!(!removal.task_id.is_empty());
    let _: dm::TaskIdentity = dmt(dm_api::delete_project(&client, &project_id));

    // A failed call parses to an error carrying its failure text.
    let gone = dm_api::get_project(&client, &project_id);
    let err = gone.typed().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http);
    assert_eq!(err.http_status_code(), 404);
    assert_eq!(err.field_path(), None);
    assert_eq!(
        err.server_message(),
        Some(format!("Project {project_id} does not exist").as_str())
    );
    assert_eq!(
        err.to_string(),
        format!("dm_api::get_project: Failed to get project (HTTP 404: Project {project_id} does not exist) [GET /project/{{project_id}}]")
    );
}

/// A broad tour of the Account Server: every answer parsed into its model and round-tripped.
#[test]
fn account_server_answers_decode_into_their_models() {
    let sandbox = sandbox();
    sandbox
        .set_account_server_today(Some("2024-03-15"))
        .unwrap();
    let admin = client_for(&sandbox);

    let _: am::StateGetVersionResponse = ast(as_api::get_version(&admin));
    let org: am::OrganisationPostResponse =
        ast(as_api::create_organisation(&admin, "Acme", "alice"));
    let _: am::OrganisationsGetResponse =
        ast(as_api::get_organisations(&admin, &Default::default()));
    let detail: am::OrganisationAllDetail = ast(as_api::get_organisation(&admin, &org.id));
    assert_eq!(detail.owner_id.as_deref(), Some("alice"));
    let _: am::OrganisationGetDefaultResponse = ast(as_api::get_default_organisation(&admin));
    let unit: am::OrganisationUnitPostResponse =
        ast(as_api::create_unit(&admin, "Chemistry", &org.id, 3));
    let _: am::OrganisationUnitsGetResponse = ast(as_api::get_organisation_units(&admin, &org.id));
    let got: am::UnitAllDetail = ast(as_api::get_unit(&admin, &unit.id));
    assert_eq!(got.billing_day, 3);
    let _: am::UnitsGetResponse = ast(as_api::get_units(&admin, &Default::default()));
    let _: am::UnitsGetResponse = ast(as_api::get_available_units(&admin));

    // Products, typed on the way in too.
    let storage: am::UnitProductPostResponse = ast(as_api::create_product(
        &admin,
        "Lab storage",
        &unit.id,
        ProductType::DataManagerStorageSubscription,
        &CreateProductOptions {
            allowance: 100,
            limit: 150,
            ..Default::default()
        },
    ));
    let tier: am::UnitProductPostResponse = ast(as_api::create_product(
        &admin,
        "Lab project",
        &unit.id,
        ProductType::DataManagerProjectTierSubscription,
        &CreateProductOptions {
            flavour: as_api::ProductFlavour::Bronze.into(),
            ..Default::default()
        },
    ));
    let products: am::ProductsGetResponse = ast(as_api::get_products_for_unit(&admin, &unit.id));
    assert_eq!(products.count, 2);
    // What every kind of product has is read without matching on the kind.
    let mut names: Vec<_> = products
        .products
        .iter()
        .map(|p| {
            (
                p.unit().id.as_str(),
                p.product().name.as_deref(),
                p.claimable(),
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            (unit.id.as_str(), Some("Lab project"), true),
            (unit.id.as_str(), Some("Lab storage"), false)
        ]
    );
    let _: am::ProductsGetResponse = ast(as_api::get_products_for_organisation(&admin, &org.id));
    let _: am::ProductsGetResponse = ast(as_api::get_available_products(&admin));
    let product: am::ProductUnitGetResponse = ast(as_api::get_product(&admin, &tier.id));
    match product.product {
        am::ProductUnitGetResponseProduct::ProductDmProjectTier(p) => {
            assert_eq!(p.product.flavour, Some(am::ProductDetailFlavour::Bronze));
            assert_eq!(p.coins.billing_day, 3);
        }
        other => panic!("a project tier is a ProductDmProjectTier: {other:?}"),
    }
    let product: am::ProductUnitGetResponse = ast(as_api::get_product(&admin, &storage.id));
    assert!(matches!(
        product.product,
        am::ProductUnitGetResponseProduct::ProductDmStorage(_)
    ));
    let _: am::ProductsGetTypesResponse = ast(as_api::get_product_types(&admin));
    let _: am::ProductsGetDefaultStorageCost =
        ast(as_api::get_product_default_storage_cost(&admin));

    // Charges.
    sandbox
        .charge_product(&tier.id, "alice", "job-1", "1.25")
        .unwrap();
    sandbox.set_product_storage(&storage.id, 3 << 29).unwrap();
    let march = as_api::GetChargesOptions {
        from_: Some("2024-03-01".into()),
        until: Some("2024-04-01".into()),
        pbp: None,
    };
    let charges: am::ProductChargesGetResponse =
        ast(as_api::get_product_charges(&admin, &tier.id, &march));
    assert_eq!(charges.coins, "1.25");
    let _: am::ProductChargesGetResponse =
        ast(as_api::get_product_charges(&admin, &storage.id, &march));
    let _: am::UnitChargesGetResponse = ast(as_api::get_unit_charges(&admin, &unit.id, &march));
    let _: am::OrganisationChargesGetResponse =
        ast(as_api::get_organisation_charges(&admin, &org.id, &march));
    let _: am::ChargesGetResponse = ast(as_api::get_charges(&admin, &march));

    // Users, assets, merchants, event streams, actions.
    let _: am::UserAccountDetail = ast(as_api::get_account(&admin));
    let _: am::UsersGetResponse = ast(as_api::get_organisation_users(&admin, &org.id));
    let _: am::UsersGetResponse = ast(as_api::get_unit_users(&admin, &unit.id));
    let asset: am::AssetPostResponse = ast(as_api::create_asset(
        &admin,
        "API_KEY",
        "a key",
        as_api::ScopeEnum::Unit,
        &as_api::CreateAssetOptions {
            scope_id: Some(unit.id.clone()),
            content_string: Some("s3cr3t".into()),
            is_secret: true,
            ..Default::default()
        },
    ));
    let _: am::AssetDetail = ast(as_api::get_asset(&admin, &asset.id));
    let _: am::AssetGetResponse = ast(as_api::get_available_assets(&admin, &Default::default()));
    let merchants: am::MerchantsGetResponse = ast(as_api::get_merchants(&admin));
    let merchant = &merchants.merchants[0];
    assert_eq!(merchant.kind, am::MerchantDetailKind::DataManager);
    let _: am::MerchantDetail = ast(as_api::get_merchant(&admin, merchant.id));
    let _: am::EventStreamVersionGetResponse = ast(as_api::get_event_stream_version(&admin));
    let _: am::EventStreamGetPostResponse = ast(as_api::create_event_stream(
        &admin,
        as_api::EventStreamFormat::JsonString,
    ));
    let _: am::EventStreamGetPostResponse = ast(as_api::get_event_stream(&admin));
    let actions: am::ActionGetResponse = ast(as_api::get_actions(&admin, &Default::default()));
    assert!(!actions.actions.is_empty());
    let bob = user_client(&sandbox, "bob");
    let _: am::PersonalUnitPutResponse = ast(as_api::create_personal_unit(&bob, 12));
    let _: am::UnitAllDetail = ast(as_api::get_personal_unit(&bob));
}

/// The path the sandbox serves `api_path` of the Data Manager at.
fn dm_path(sandbox: &Sandbox, api_path: &str) -> String {
    let prefix = sandbox.dm_api_url()[sandbox.base_url().len()..].to_string();
    format!("{prefix}{api_path}")
}

/// A newer server may send enum values and fields this crate does not know: both decode,
/// the value is kept and sent back as it came. A wrong-typed field names its path.
#[test]
fn unknown_values_decode_and_wrong_types_name_their_field() {
    let sandbox = sandbox();
    let client = client_for(&sandbox);
    let created = ok(dm_api::create_project(
        &client,
        "newer",
        dm_api::TEST_PRODUCT_ID,
        &Default::default(),
    ));
    let project_id = created["project_id"].as_str().unwrap();
    let spec = json!({"collection": "im-test", "job": "nop", "version": "1.0.0"});
    let started = ok(dm_api::start_job_instance(
        &client,
        project_id,
        "nop",
        &spec,
        &Default::default(),
    ));
    let instance_id = started["instance_id"].as_str().unwrap();
    let mut answer = ok(dm_api::get_instance(&client, instance_id));
    answer["phase"] = json!("HIBERNATING");
    answer["a_field_of_2030"] = json!({"nested": [1, 2]});
    let path = dm_path(&sandbox, &format!("/instance/{instance_id}"));
    sandbox.add_fault(FaultRule::new(path.clone(), Fault::json(200, &answer)).times(1));
    let rv = dm_api::get_instance(&client, instance_id);
    let instance: dm::InstanceGetResponse = rv.parse().unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(instance.phase, dm::InstancePhase::Unknown(_)));
    assert_eq!(instance.phase, dm::InstancePhase::from("HIBERNATING"));
    assert_eq!(instance.phase.as_str(), "HIBERNATING");
    let again = serde_json::to_value(&instance).unwrap();
    assert_eq!(again["phase"], "HIBERNATING");
    assert!(again.get("a_field_of_2030").is_none());

    // A wrong-typed field, deep down: its path, the call and what was wrong.
    let mut wrong = answer.clone();
    wrong["tasks"][0]["id"] = json!(42);
    sandbox.add_fault(FaultRule::new(path.clone(), Fault::json(200, &wrong)).times(1));
    let err = dm_api::get_instance(&client, instance_id)
        .typed()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.http_status_code(), 200);
    assert_eq!(err.field_path(), Some("msg.tasks[0].id"));
    assert_eq!(
        err.to_string(),
        "dm_api::get_instance: the answer does not fit InstanceGetResponse: msg.tasks[0].id: invalid type: integer `42`, expected a string [GET /instance/{instance_id}]"
    );
    // typed() decodes msg: a msg changed after the call is what is decoded, never the
    // answer as it came.
    let mut changed = dm_api::get_instance(&client, instance_id);
    changed.msg["phase"] = json!(7);
    let err = changed.typed().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("expected a string"), "{err}");
    let mut changed = dm_api::get_instance(&client, instance_id);
    changed.msg["name"] = json!("renamed here");
    assert_eq!(changed.typed().unwrap().name, "renamed here");
    // A string where it does not belong is not repeated: it could be a secret.
    let mut wrong = answer.clone();
    wrong["archived"] = json!("secret-token-1");
    sandbox.add_fault(FaultRule::new(path.clone(), Fault::json(200, &wrong)).times(1));
    let err = dm_api::get_instance(&client, instance_id)
        .parse::<dm::InstanceGetResponse>()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dm_api::get_instance: the answer does not fit InstanceGetResponse: msg.archived: invalid type: string, expected a boolean [GET /instance/{instance_id}]"
    );
    // A required field sent as null.
    let mut null = answer;
    null["launched"] = Value::Null;
    sandbox.add_fault(FaultRule::new(path, Fault::json(200, &null)).times(1));
    let err = dm_api::get_instance(&client, instance_id)
        .parse::<dm::InstanceGetResponse>()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dm_api::get_instance: the answer does not fit InstanceGetResponse: msg.launched: invalid type: null, expected a string [GET /instance/{instance_id}]"
    );
}

/// A `JobSpecification` goes out byte for byte as the equivalent JSON value.
#[test]
fn a_job_specification_sends_what_the_value_sends() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let created = ok(dm_api::create_project(
        &client,
        "specs",
        dm_api::TEST_PRODUCT_ID,
        &Default::default(),
    ));
    let project_id = created["project_id"].as_str().unwrap();
    let tmp = TempDir::new();
    let input = tmp.path().join("a.smi");
    fs::write(&input, "CCO\n").unwrap();
    ok(dm_api::put_unmanaged_project_files(
        &client,
        project_id,
        &[&input],
        &Default::default(),
    ));
    let value = json!({
        "collection": "im-test",
        "job": "copy-file",
        "version": "1.0.0",
        "variables": {"inputFile": "a.smi", "outputFile": "b.smi", "threshold": 1e-7, "n": 3},
    });
    let typed = JobSpecification::new("im-test", "copy-file", "1.0.0")
        .variable("inputFile", "a.smi")
        .variable("outputFile", "b.smi")
        .variable("threshold", 1e-7)
        .variable("n", 3);
    // What was sent: the whole body as received (raw text and decoded parts), with the
    // method, path and query.
    let sent = |call: &dyn Fn() -> ApiRv| {
        sandbox.clear_requests();
        let rv = call();
        assert!(rv.success, "{rv:?}");
        let requests = api_requests(&sandbox);
        assert_eq!(requests.len(), 1, "{requests:?}");
        let r = &requests[0];
        json!([r["method"], r["path_decoded"], r["query"], r["body"]])
    };
    let opts = dm_api::StartJobInstanceOptions::default();
    let dry_value =
        sent(&|| dm_api::dry_run_job_instance(&client, project_id, "x", &value, &opts).untyped());
    let dry_typed =
        sent(&|| dm_api::dry_run_job_instance(&client, project_id, "x", &typed, &opts).untyped());
    assert_eq!(dry_value, dry_typed);
    // ... and the text is Python's: 1e-07, not 1e-7.
    assert!(dry_typed.to_string().contains("1e-07"), "{dry_typed}");
    let start_value =
        sent(&|| dm_api::start_job_instance(&client, project_id, "x", &value, &opts).untyped());
    let start_typed =
        sent(&|| dm_api::start_job_instance(&client, project_id, "x", &typed, &opts).untyped());
    assert_eq!(start_value, start_typed);
    assert_ne!(
        start_value, dry_value,
        "a start and a dry run go to different paths"
    );
}

/// Every answer the sandbox gave during a `cargo test` run with the contract capture, as
/// written by `node tools/contract/sandbox-check.mjs DIR --typed-samples FILE`: each decodes
/// into the model of its official type and encodes back to the same JSON. `.ci/run` runs it
/// (`SQUONK2_MODEL_SAMPLES=FILE cargo test --test models -- --ignored`).
#[test]
#[ignore = "needs SQUONK2_MODEL_SAMPLES, written by the contract check"]
fn every_captured_sandbox_answer_round_trips_through_its_model() {
    let file = std::env::var("SQUONK2_MODEL_SAMPLES").expect("SQUONK2_MODEL_SAMPLES names a file");
    let samples: Vec<Value> = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    assert!(!samples.is_empty(), "{file} has no samples");
    let mut failures = Vec::new();
    for s in &samples {
        let (package, ty) = (s["package"].as_str().unwrap(), s["type"].as_str().unwrap());
        let where_ = s["where"].as_str().unwrap_or("?");
        match dispatch::decode_encode(package, ty, &s["value"]) {
            None => failures.push(format!("{where_}: no model named {package}:{ty}")),
            Some(Err(e)) => failures.push(format!("{where_}: as {ty}: {e}")),
            Some(Ok(back)) => {
                let mut diffs = Vec::new();
                differences("msg", &s["value"], &back, &mut diffs);
                for d in diffs {
                    failures.push(format!("{where_}: as {ty}: {d}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} answers do not round-trip:\n{}",
        failures.len(),
        samples.len(),
        failures.join("\n")
    );
    eprintln!("{} typed sandbox answers round-trip", samples.len());
}

/// The error bodies have models too.
#[test]
fn error_bodies_decode() {
    let body = json!({"error": "Project x does not exist"});
    let dm: dm::DmError = serde_json::from_value(body.clone()).unwrap();
    let asr: am::AsError = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(dm.error, asr.error);
    let rv = ApiRv::new(true, body, 200);
    assert_eq!(
        rv.parse::<dm::DmError>().unwrap().error,
        "Project x does not exist"
    );
}

/// The round-trip check itself: a field an answer has and its model lacks is reported, so a
/// model that falls behind the sandbox fails the tests.
#[test]
fn the_round_trip_check_reports_a_field_the_model_lacks() {
    let answer = json!({"count": 1, "projects": [], "next_page": "p2"});
    let back = dispatch::decode_encode("dm", "ProjectsGetResponse", &answer)
        .expect("a model of that name")
        .expect("it decodes");
    let mut diffs = Vec::new();
    differences("msg", &answer, &back, &mut diffs);
    assert_eq!(diffs, ["msg.next_page: lost (the model has no such field)"]);
    // 1 and 1.0 are the same number, and a null is no value.
    let mut diffs = Vec::new();
    differences(
        "msg",
        &json!({"a": 1, "b": null}),
        &json!({"a": 1.0}),
        &mut diffs,
    );
    assert!(diffs.is_empty(), "{diffs:?}");
}

/// `rv` succeeded, and `typed()` gives its `NoContent`.
fn done(rv: ApiRv<squonk2::NoContent>) {
    assert!(rv.success, "{rv:?}");
    assert_eq!(rv.typed(), Ok(squonk2::NoContent));
}

/// The endpoint functions the tours above leave out, typed against the sandbox's own
/// answers: together with them, every endpoint function's success goes through `typed()`
/// (checked by `every_endpoint_function_is_typed_in_these_tests`).
#[test]
fn every_other_endpoint_answers_its_type() {
    let sandbox = quick_sandbox();
    let client = client_for(&sandbox);
    let tmp = TempDir::new();

    // Projects, members, files and paths.
    let project_id = dmt(dm_api::create_project(
        &client,
        "more",
        dm_api::TEST_PRODUCT_ID,
        &Default::default(),
    ))
    .project_id;
    let _: dm::AccountServerGetNamespaceResponse = dmt(dm_api::ping(&client));
    done(dm_api::update_project(
        &client,
        &project_id,
        &dm_api::UpdateProjectOptions {
            private: Some(true),
            ..Default::default()
        },
    ));
    for user in ["alice", "bob"] {
        done(dm_api::add_project_administrator(
            &client,
            &project_id,
            user,
        ));
        done(dm_api::remove_project_administrator(
            &client,
            &project_id,
            user,
        ));
        done(dm_api::add_project_editor(&client, &project_id, user));
        done(dm_api::remove_project_editor(&client, &project_id, user));
        done(dm_api::add_project_observer(&client, &project_id, user));
        done(dm_api::remove_project_observer(&client, &project_id, user));
    }
    let input = tmp.path().join("molecules.smi");
    fs::write(&input, "CCO\tethanol\n").unwrap();
    done(dm_api::put_unmanaged_project_files(
        &client,
        &project_id,
        &[&input],
        &Default::default(),
    ));
    let out = tmp.path().join("got.smi");
    done(dm_api::get_unmanaged_project_file(
        &client,
        &project_id,
        "molecules.smi",
        &out,
        &Default::default(),
    ));
    assert_eq!(fs::read_to_string(&out).unwrap(), "CCO\tethanol\n");
    done(dm_api::create_project_path(&client, &project_id, "/work"));
    done(dm_api::move_project_file(
        &client,
        &project_id,
        "molecules.smi",
        &dm_api::MoveProjectFileOptions {
            dst_path: Some("/work".into()),
            ..Default::default()
        },
    ));
    done(dm_api::move_project_path(
        &client,
        &project_id,
        "/work",
        "/done",
    ));
    done(dm_api::delete_unmanaged_project_files(
        &client,
        &project_id,
        &["molecules.smi"],
        &dm_api::DeleteUnmanagedProjectFilesOptions {
            project_path: Some("/done".into()),
        },
    ));
    done(dm_api::delete_project_path(&client, &project_id, "/done"));

    // Datasets, their metadata, and a dataset attached to a project as a file.
    let sdf = tmp.path().join("benzene.sdf");
    fs::write(&sdf, SDF).unwrap();
    let uploaded = dmt(dm_api::upload_dataset(
        &client,
        &sdf,
        "chemical/x-mdl-sdfile",
        dm_api::TEST_UNIT_ID,
        &Default::default(),
    ));
    let dataset_id = uploaded.dataset_id;
    let _: dm::TaskGetResponse = dmt(dm_api::get_task(
        &client,
        &uploaded.task_id,
        &Default::default(),
    ));
    dmt(dm_api::wait_for_task(
        &client,
        &uploaded.task_id,
        &fast_wait(),
    ));
    let _: dm::TasksGetResponse = dmt(dm_api::get_available_tasks(&client, &Default::default()));
    done(dm_api::delete_task(&client, &uploaded.task_id));
    let _: dm::DatasetMetaGetResponse = dmt(dm_api::update_dataset_metadata(
        &client,
        &dataset_id,
        &dm_api::UpdateDatasetMetadataOptions {
            meta_properties: Some(json!({"description": "Benzene"}).to_string()),
            ..Default::default()
        },
    ));
    let _: dm::DatasetMetaGetResponse = dmt(dm_api::get_dataset_version_metadata(
        &client,
        &dataset_id,
        1,
    ));
    let _: dm::DatasetMetaGetResponse = dmt(dm_api::update_dataset_version_metadata(
        &client,
        &dataset_id,
        1,
        &dm_api::UpdateDatasetVersionMetadataOptions {
            meta_properties: Some(json!({"description": "One molecule"}).to_string()),
            ..Default::default()
        },
    ));
    let _: dm::DatasetSchemaGetResponse = dmt(dm_api::get_dataset_schema(&client, &dataset_id, 1));
    done(dm_api::add_dataset_editor(&client, &dataset_id, "alice"));
    done(dm_api::remove_dataset_editor(&client, &dataset_id, "alice"));
    let found: dm::DatasetDigestGetResponse =
        dmt(dm_api::get_dataset_for_digest(&client, SDF_SHA256));
    assert_eq!(found.dataset_id, dataset_id);
    let local = tmp.path().join("benzene-copy.sdf");
    done(dm_api::get_dataset(
        &client,
        &dataset_id,
        1,
        &local,
        &Default::default(),
    ));
    let attached: dm::FilePostResponse = dmt(dm_api::attach_dataset_to_project(
        &client,
        &dataset_id,
        1,
        &project_id,
        "chemical/x-mdl-sdfile",
        &Default::default(),
    ));
    let copy = tmp.path().join("attached.sdf");
    done(dm_api::get_project_file(
        &client,
        &attached.file_id,
        &copy,
        &Default::default(),
    ));
    done(dm_api::delete_project_file(&client, &attached.file_id));
    let smiles = tmp.path().join("more.smi");
    fs::write(&smiles, "c1ccccc1\tbenzene\n").unwrap();
    done(dm_api::put_unmanaged_project_files(
        &client,
        &project_id,
        &[&smiles],
        &Default::default(),
    ));
    let second: dm::DatasetPutPostResponse = dmt(dm_api::create_dataset_from_project_file(
        &client,
        &project_id,
        "/",
        "more.smi",
        "squonk/x-smiles",
        &dm_api::CreateDatasetFromProjectFileOptions {
            dataset_id: Some(dataset_id.clone()),
            skip_molecule_load: true,
            ..Default::default()
        },
    ));
    dmt(dm_api::wait_for_task(
        &client,
        &second.task_id,
        &fast_wait(),
    ));
    let removal: dm::TaskIdentity = dmt(dm_api::delete_dataset(
        &client,
        &dataset_id,
        2,
        &Default::default(),
    ));
    assert!(!removal.task_id.is_empty());

    // Jobs, instances and their callback tokens.
    let _: dm::JobsGetResponse = dmt(dm_api::get_jobs(&client, &Default::default()));
    let spec = JobSpecification::new("im-test", "nop", "1.0.0");
    let started = dmt(dm_api::start_job_instance(
        &client,
        &project_id,
        "nop",
        &spec,
        &dm_api::StartJobInstanceOptions {
            callback_url: Some("http://127.0.0.1:9/callback".into()),
            generate_callback_token: true,
            ..Default::default()
        },
    ));
    let token = started
        .callback_token
        .clone()
        .expect("a generated callback token");
    dmt(dm_api::wait_for_instance(
        &client,
        &started.instance_id,
        &fast_wait(),
    ));
    done(dm_api::put_unmanaged_project_files(
        &client,
        &project_id,
        &[&input],
        &Default::default(),
    ));
    done(dm_api::get_unmanaged_project_file_with_token(
        &client,
        &token,
        &project_id,
        "molecules.smi",
        &tmp.path().join("with-token.smi"),
        &Default::default(),
    ));
    done(dm_api::delete_instance_token(
        &client,
        &started.instance_id,
        &token,
    ));
    done(dm_api::update_instance(
        &client,
        &started.instance_id,
        &dm_api::UpdateInstanceOptions { archive: true },
    ));

    // Workflows: a version, a run stopped and deleted.
    let workflow = dmt(dm_api::create_workflow(
        &client,
        "copy once",
        dm_api::ScopeEnum::Global,
        &dm_api::CreateWorkflowOptions {
            definition: Some(WORKFLOW.into()),
            ..Default::default()
        },
    ));
    let _: dm::WorkflowPatchResponse = dmt(dm_api::update_workflow(
        &client,
        &workflow.id,
        &dm_api::UpdateWorkflowOptions {
            name: Some("copy one".into()),
            ..Default::default()
        },
    ));
    let version: dm::WorkflowVersionPutResponse = dmt(dm_api::apply_workflow_version(
        &client,
        &workflow.id,
        "1.0.0",
    ));
    sandbox.set_job_duration(Duration::from_secs(5));
    let run = dmt(dm_api::run_workflow(
        &client,
        &version.id,
        &project_id,
        "run",
        &dm_api::RunWorkflowOptions {
            variables: Some(json!({"candidateMolecules": "molecules.smi"}).to_string()),
            ..Default::default()
        },
    ));
    done(dm_api::stop_running_workflow(&client, &run.id));
    assert!(wait_until(Duration::from_secs(20), || {
        dm_api::get_running_workflow(&client, &run.id).msg["done"] == true
    }));
    done(dm_api::delete_running_workflow(&client, &run.id));
    done(dm_api::delete_workflow(&client, &workflow.id));

    // Administration.
    let error_id = sandbox
        .add_service_error("WARNING", "The disk is full")
        .unwrap() as i64;
    done(dm_api::acknowledge_service_error(&client, error_id));
    done(dm_api::delete_service_error(&client, error_id));
    let _: dm::UserAccountDetail = dmt(dm_api::create_user_account(&client, "carol"));
    done(dm_api::update_user_account(
        &client,
        "carol",
        &dm_api::UpdateUserAccountOptions {
            suspend_message: Some("on leave".into()),
        },
    ));
    done(dm_api::delete_user_account(&client, "carol"));
    let loaded: dm::AdminJobManifestLoadPutResponse = dmt(dm_api::put_job_manifest(
        &client,
        sandbox.builtin_job_manifest_url(),
        &Default::default(),
    ));
    assert!(loaded.status);
    let _: dm::AdminJobManifestLoadPutResponse = dmt(dm_api::load_job_manifests(&client));
    let manifest_id = dmt(dm_api::get_job_manifests(&client)).job_manifests[0].id;
    done(dm_api::delete_job_manifest(
        &client,
        manifest_id,
        &Default::default(),
    ));
    done(dm_api::set_admin_state(&client, true, &Default::default()));
    done(dm_api::set_job_exchange_rates(
        &client,
        &[dm_api::JobExchangeRate {
            collection: "im-test".into(),
            job: "nop".into(),
            version: "1.0.0".into(),
            rate: "0.5".into(),
            comment: None,
        }],
    ));
    done(dm_api::set_admin_state(&client, false, &Default::default()));
    let _: am::StateGetVersionResponse = ast(as_api::ping(&client));

    // The Account Server: organisations, units, products, users, assets, event streams.
    let org = ast(as_api::create_organisation(&client, "Acme", "alice"));
    done(as_api::alter_organisation(
        &client,
        &org.id,
        &as_api::AlterOrganisationOptions {
            name: Some("Acme Ltd".into()),
            ..Default::default()
        },
    ));
    done(as_api::add_user_to_organisation(&client, &org.id, "bob"));
    done(as_api::remove_user_from_organisation(
        &client, &org.id, "bob",
    ));
    let unit = ast(as_api::create_unit(&client, "Chemistry", &org.id, 3));
    done(as_api::alter_unit(
        &client,
        &unit.id,
        &as_api::AlterUnitOptions {
            name: Some("Chemistry Lab".into()),
            ..Default::default()
        },
    ));
    done(as_api::add_user_to_unit(&client, &unit.id, "bob"));
    done(as_api::remove_user_from_unit(&client, &unit.id, "bob"));
    let product = ast(as_api::create_product(
        &client,
        "Storage",
        &unit.id,
        ProductType::DataManagerStorageSubscription,
        &CreateProductOptions {
            allowance: 100,
            limit: 150,
            ..Default::default()
        },
    ));
    done(as_api::alter_product(
        &client,
        &product.id,
        &as_api::AlterProductOptions {
            product_name: Some("Lab storage".into()),
            ..Default::default()
        },
    ));
    done(as_api::delete_product(&client, &product.id));
    let asset = ast(as_api::create_asset(
        &client,
        "API_KEY",
        "a key",
        as_api::ScopeEnum::Unit,
        &as_api::CreateAssetOptions {
            scope_id: Some(unit.id.clone()),
            content_string: Some("k3y".into()),
            ..Default::default()
        },
    ));
    done(as_api::alter_asset(
        &client,
        &asset.id,
        &as_api::AlterAssetOptions {
            description: Some("the key".into()),
            ..Default::default()
        },
    ));
    done(as_api::disable_asset(&client, &asset.id));
    done(as_api::enable_asset(&client, &asset.id));
    let merchant = ast(as_api::get_merchants(&client)).merchants[0].id;
    done(as_api::attach_asset(&client, &asset.id, merchant));
    done(as_api::detach_asset(&client, &asset.id, merchant));
    done(as_api::delete_asset(&client, &asset.id));
    done(as_api::delete_unit(&client, &unit.id));
    done(as_api::delete_organisation(&client, &org.id));
    let stream = ast(as_api::create_event_stream(
        &client,
        as_api::EventStreamFormat::JsonString,
    ));
    done(as_api::delete_event_stream(&client, stream.id));
    let bob = user_client(&sandbox, "bob");
    ast(as_api::create_personal_unit(&bob, 12));
    done(as_api::delete_personal_unit(&bob));
    let _: squonk2::ui_api::Version = squonk2::ui_api::get_version(&client)
        .typed()
        .unwrap_or_else(|e| panic!("{e}"));

    let _: dm::TaskIdentity = dmt(dm_api::delete_project(&client, &project_id));
}

/// Every public endpoint function of the SDK (read from its sources: a `pub fn` taking the
/// `Client` first and returning an `ApiRv`) is called in this file through `dmt`, `ast`,
/// `done` or `typed()`, so its success is decoded into the type of its signature against
/// the sandbox.
#[test]
fn every_endpoint_function_is_typed_in_these_tests() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let this = fs::read_to_string(root.join("tests/models.rs")).unwrap();
    let mut files = vec![root.join("src/ui_api.rs")];
    for api in ["dm_api", "as_api"] {
        for entry in fs::read_dir(root.join("src").join(api)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    let mut functions = Vec::new();
    for file in files {
        let api = file
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .filter(|n| *n != "src")
            .unwrap_or("ui_api")
            .to_string();
        let text = fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("\npub fn ") {
            let rest = &text[at + 8..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let signature = &rest[..rest.find('{').unwrap_or(rest.len())];
            if signature.contains("client: &Client") && signature.contains("-> ApiRv") {
                functions.push((api.clone(), name));
            }
        }
    }
    assert!(functions.len() > 150, "{} functions found", functions.len());
    let missing: Vec<String> = functions
        .iter()
        .filter(|(api, name)| {
            let called = format!("{api}::{name}(");
            !["dmt(", "ast(", "done(", ""].iter().any(|wrap| {
                this.match_indices(&format!("{wrap}{called}"))
                    .any(|(at, _)| {
                        !wrap.is_empty()
                            || this[at..]
                                .split(';')
                                .next()
                                .unwrap_or("")
                                .contains(".typed()")
                    })
            })
        })
        .map(|(api, name)| format!("{api}::{name}"))
        .collect();
    assert!(
        missing.is_empty(),
        "not typed in tests/models.rs: {missing:?}"
    );
}
