//! The command table: one line per SDK endpoint function, giving its group, name,
//! positionals, options and the SDK call. The `commands!` macro turns each line into a clap
//! subcommand (help from [`crate::sdk_docs`]) and the function that runs it.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Arg, ArgMatches, Command};
use serde_json::Value;
use squonk2::{as_api, auth, dm_api, ui_api, ApiRv};

use crate::args::{long, Json, OptArg, Positional};
use crate::run::{self, Cx, Failure};
use crate::sdk_docs::SDK_DOCS;

/// An endpoint function's documentation, as `src/sdk_docs.rs` (generated) holds it.
pub(crate) struct SdkDoc {
    pub group: &'static str,
    pub name: &'static str,
    pub doc: &'static str,
    /// The options struct's fields and the first paragraph of their documentation.
    pub options: &'static [(&'static str, &'static str)],
}

/// One subcommand: its group (`dm`, `as`, `ui`, `auth`), its SDK function's name, its
/// arguments and how it runs.
pub(crate) struct Entry {
    pub group: &'static str,
    pub name: &'static str,
    pub args: fn() -> Vec<Arg>,
    pub run: fn(&Cx, &ArgMatches) -> Result<Value, Failure>,
}

/// Help of the options the command line adds to some functions.
const EXTRA_HELP: &[(&str, &str)] = &[
    ("wait", "Wait for the Job to end, showing its phase as it changes on stderr; the answer is then {\"instance_id\", \"task_id\", \"instance\": the instance once it ended}; exit with code 15 when it failed"),
    ("timeout", "With --wait or for a wait command: give up after this many seconds (default 600)"),
    ("poll_interval", "With --wait or for a wait command: seconds between polls (default 2)"),
    ("deadline", "An overall deadline for the transfer, in seconds (default: none; it fails only when nothing moves for the time-out)"),
    ("timeout_per_file", "The time-out of each upload, in seconds (default 120): it bounds connecting and each write"),
]
;

fn sdk_doc(group: &str, name: &str) -> Option<&'static SdkDoc> {
    SDK_DOCS.iter().find(|d| d.group == group && d.name == name)
}

/// The help of option `field` of `group name`: the SDK's, else the command line's.
fn option_help(group: &str, name: &str, field: &str) -> String {
    sdk_doc(group, name)
        .and_then(|d| d.options.iter().find(|(f, _)| *f == field))
        .map(|(_, doc)| doc.to_string())
        .filter(|d| !d.is_empty())
        .or_else(|| {
            EXTRA_HELP
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, h)| h.to_string())
        })
        .unwrap_or_default()
}

/// The clap command of an entry: `get_project` → `get-project`, with the SDK's doc.
pub(crate) fn subcommand(entry: &Entry) -> Command {
    let mut command = Command::new(long(entry.name)).args((entry.args)());
    if let Some(doc) = sdk_doc(entry.group, entry.name) {
        let first = doc
            .doc
            .split("\n\n")
            .next()
            .unwrap_or("")
            .replace('\n', " ");
        command = command.about(first).long_about(doc.doc);
    }
    let mut extra = crate::run::secret_help(entry.group, entry.name);
    let texts = sdk_doc(entry.group, entry.name)
        .into_iter()
        .flat_map(|d| std::iter::once(d.doc).chain(d.options.iter().map(|(_, doc)| *doc)));
    if texts.into_iter().any(names_a_difference) {
        if !extra.is_empty() {
            extra.push_str("\n\n");
        }
        extra.push_str(crate::DIFFERENCES_HELP);
    }
    if !extra.is_empty() {
        command = command.after_help(extra);
    }
    command
}

/// Whether `text` names one of the SDK's differences from the Python client (`D15`).
fn names_a_difference(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(2).enumerate().any(|(i, pair)| {
        pair[0] == b'D'
            && pair[1].is_ascii_digit()
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
    })
}

/// What a command's SDK call gives, as the answer to print or the failure.
pub(crate) trait IntoAnswer {
    fn into_answer(self) -> Result<Value, Failure>;
}

impl<T> IntoAnswer for ApiRv<T> {
    fn into_answer(self) -> Result<Value, Failure> {
        self.into_result().map_err(Failure::Sdk)
    }
}

impl IntoAnswer for Result<String, squonk2::Error> {
    fn into_answer(self) -> Result<Value, Failure> {
        self.map(Value::String).map_err(Failure::Sdk)
    }
}

impl<T> IntoAnswer for Result<ApiRv<T>, Failure> {
    fn into_answer(self) -> Result<Value, Failure> {
        self.and_then(IntoAnswer::into_answer)
    }
}

impl IntoAnswer for Result<Value, Failure> {
    fn into_answer(self) -> Result<Value, Failure> {
        self
    }
}

/// Binds what a command's body is given: the client (`client`), or the context alone
/// (`context`, for the one call that needs no client).
macro_rules! bind {
    (client, $cx:ident) => {
        &$cx.client()?
    };
    (context, $cx:ident) => {
        $cx
    };
}

/// The table: `group name(positional: Type, ...) [option: Type, ...] mode |var| call;`
/// where `mode` is `client` (`var` is the `&Client`) or `context` (`var` is the `&Cx`).
macro_rules! commands {
    ($(
        $group:ident $name:ident ( $($p:ident : $pt:ty),* $(,)? ) [ $($o:ident : $ot:ty),* $(,)? ]
            $mode:ident |$c:ident| $body:expr;
    )*) => {
        /// Every subcommand of the SDK's endpoint functions.
        pub(crate) const ENTRIES: &[Entry] = &[$(
            Entry {
                group: stringify!($group),
                name: stringify!($name),
                args: || vec![
                    $( <$pt as Positional>::arg(stringify!($p)), )*
                    $( <$ot as OptArg>::arg(stringify!($o)).help(option_help(
                        stringify!($group), stringify!($name), stringify!($o))), )*
                ],
                run: |cx, m| {
                    let _ = m;
                    $( let $p: $pt = <$pt as Positional>::get(m, stringify!($p)); )*
                    $( let $o: $ot = <$ot as OptArg>::get(m, stringify!($o)); )*
                    let $c = bind!($mode, cx);
                    IntoAnswer::into_answer($body)
                },
            },
        )*];
    };
}

use as_api as asa;
use dm_api as dm;

commands! {
    // Data Manager: accounting and configuration.
    dm get_version() [] client |c| dm::get_version(c);
    dm ping() [] client |c| dm::ping(c);
    dm get_account_server_namespace() [] client |c| dm::get_account_server_namespace(c);
    dm get_account_server_registration() [] client |c| dm::get_account_server_registration(c);
    dm get_mode() [] client |c| dm::get_mode(c);
    dm get_input_handler() [] client |c| dm::get_input_handler(c);
    dm get_job_definition_schema_version() [] client |c| dm::get_job_definition_schema_version(c);
    dm get_workflow_engine_version() [] client |c| dm::get_workflow_engine_version(c);
    dm get_supported_file_types() [] client |c| dm::get_supported_file_types(c);
    dm get_user_inventory() [org_id: Option<String>, unit_id: Option<String>, usernames: Vec<String>]
        client |c| dm::get_user_inventory(c, &dm::GetUserInventoryOptions { org_id, unit_id, usernames });

    // Data Manager: admin.
    dm get_service_errors() [include_acknowledged: bool]
        client |c| dm::get_service_errors(c, &dm::GetServiceErrorsOptions { include_acknowledged });
    dm acknowledge_service_error(error_id: i64) [] client |c| dm::acknowledge_service_error(c, error_id);
    dm delete_service_error(error_id: i64) [] client |c| dm::delete_service_error(c, error_id);
    dm get_admin_users() [idle_days: Option<i64>, active_days: Option<i64>]
        client |c| dm::get_admin_users(c, &dm::GetAdminUsersOptions { idle_days, active_days });
    dm create_user_account(user_id: String) [] client |c| dm::create_user_account(c, &user_id);
    dm delete_user_account(user_id: String) [] client |c| dm::delete_user_account(c, &user_id);
    dm update_user_account(user_id: String) [suspend_message: Option<String>]
        client |c| dm::update_user_account(c, &user_id, &dm::UpdateUserAccountOptions { suspend_message });
    dm get_job_manifests() [] client |c| dm::get_job_manifests(c);
    dm put_job_manifest(url: String) [header: Option<String>, params: Option<String>]
        client |c| dm::put_job_manifest(c, &url, &dm::PutJobManifestOptions { header, params });
    dm load_job_manifests() [] client |c| dm::load_job_manifests(c);
    dm delete_job_manifest(job_manifest_id: i64) [purge: bool]
        client |c| dm::delete_job_manifest(c, job_manifest_id, &dm::DeleteJobManifestOptions { purge });

    // Data Manager: applications.
    dm get_applications() [] client |c| dm::get_applications(c);
    dm get_application(app_id: String) [] client |c| dm::get_application(c, &app_id);

    // Data Manager: datasets and their metadata.
    dm get_available_datasets() [] client |c| dm::get_available_datasets(c);
    dm upload_dataset(dataset_file: PathBuf, dataset_type: String, unit_id: String)
        [format_extra_variables: Option<String>, skip_molecule_load: bool, as_filename: Option<String>,
         dataset_id: Option<String>, deadline: Option<Duration>]
        client |c| run::upload(|progress| dm::upload_dataset(c, &dataset_file, &dataset_type, &unit_id,
            &dm::UploadDatasetOptions { format_extra_variables, skip_molecule_load, as_filename,
                dataset_id, progress, deadline }));
    dm create_dataset_from_project_file(project_id: String, path: String, file_name: String, dataset_type: String)
        [format_extra_variables: Option<String>, skip_molecule_load: bool, dataset_id: Option<String>,
         unit_id: Option<String>]
        client |c| dm::create_dataset_from_project_file(c, &project_id, &path, &file_name, &dataset_type,
            &dm::CreateDatasetFromProjectFileOptions { format_extra_variables, skip_molecule_load,
                dataset_id, unit_id });
    dm get_dataset_versions(dataset_id: String) [include_deleted: bool]
        client |c| dm::get_dataset_versions(c, &dataset_id, &dm::GetDatasetVersionsOptions { include_deleted });
    dm get_dataset(dataset_id: String, dataset_version: i64, local_file: PathBuf) [deadline: Option<Duration>]
        client |c| run::download(&local_file, |progress| dm::get_dataset(c, &dataset_id, dataset_version,
            &local_file, &dm::GetDatasetOptions { progress, deadline }));
    dm delete_dataset(dataset_id: String, dataset_version: i64) [keep_project_files: bool]
        client |c| dm::delete_dataset(c, &dataset_id, dataset_version,
            &dm::DeleteDatasetOptions { keep_project_files });
    dm get_dataset_schema(dataset_id: String, dataset_version: i64) []
        client |c| dm::get_dataset_schema(c, &dataset_id, dataset_version);
    dm add_dataset_editor(dataset_id: String, editor: String) []
        client |c| dm::add_dataset_editor(c, &dataset_id, &editor);
    dm remove_dataset_editor(dataset_id: String, editor: String) []
        client |c| dm::remove_dataset_editor(c, &dataset_id, &editor);
    dm get_dataset_for_digest(digest: String) [] client |c| dm::get_dataset_for_digest(c, &digest);
    dm get_dataset_metadata(dataset_id: String) [] client |c| dm::get_dataset_metadata(c, &dataset_id);
    dm update_dataset_metadata(dataset_id: String) [meta_properties: Option<String>, labels: Option<String>]
        client |c| dm::update_dataset_metadata(c, &dataset_id,
            &dm::UpdateDatasetMetadataOptions { meta_properties, labels });
    dm get_dataset_version_metadata(dataset_id: String, dataset_version: i64) []
        client |c| dm::get_dataset_version_metadata(c, &dataset_id, dataset_version);
    dm update_dataset_version_metadata(dataset_id: String, dataset_version: i64)
        [meta_properties: Option<String>, annotations: Option<String>]
        client |c| dm::update_dataset_version_metadata(c, &dataset_id, dataset_version,
            &dm::UpdateDatasetVersionMetadataOptions { meta_properties, annotations });

    // Data Manager: files and paths.
    dm list_project_files(project_id: String) [project_path: Option<String>, include_hidden: bool]
        client |c| dm::list_project_files(c, &project_id,
            &dm::ListProjectFilesOptions { project_path, include_hidden });
    dm put_unmanaged_project_files(project_id: String, project_files: Vec<PathBuf>)
        [project_path: Option<String>, force: bool, timeout_per_file: Option<Duration>, deadline: Option<Duration>]
        client |c| run::upload(|progress| dm::put_unmanaged_project_files(c, &project_id, &project_files[..],
            &dm::PutUnmanagedProjectFilesOptions { project_path, force, timeout_per_file, progress, deadline }));
    dm delete_unmanaged_project_files(project_id: String, project_files: Vec<String>) [project_path: Option<String>]
        client |c| dm::delete_unmanaged_project_files(c, &project_id, &project_files[..],
            &dm::DeleteUnmanagedProjectFilesOptions { project_path });
    dm get_unmanaged_project_file(project_id: String, project_file: String, local_file: PathBuf)
        [project_path: Option<String>, deadline: Option<Duration>]
        client |c| run::download(&local_file, |progress| dm::get_unmanaged_project_file(c, &project_id,
            &project_file, &local_file, &dm::GetUnmanagedProjectFileOptions { project_path, progress, deadline }));
    dm get_unmanaged_project_file_with_token(project_id: String, project_file: String, local_file: PathBuf)
        [project_path: Option<String>, deadline: Option<Duration>]
        client |c| run::download(&local_file, |progress| {
            let token = run::secret(run::FILE_TOKEN, "the token")?;
            Ok::<_, Failure>(dm::get_unmanaged_project_file_with_token(c, &token, &project_id, &project_file, &local_file,
                &dm::GetUnmanagedProjectFileWithTokenOptions { project_path, progress, deadline }))
        });
    dm get_project_file(file_id: String, local_file: PathBuf) [deadline: Option<Duration>]
        client |c| run::download(&local_file, |progress| dm::get_project_file(c, &file_id, &local_file,
            &dm::GetProjectFileOptions { progress, deadline }));
    dm delete_project_file(file_id: String) [] client |c| dm::delete_project_file(c, &file_id);
    dm move_project_file(project_id: String, file: String)
        [dst_file: Option<String>, src_path: Option<String>, dst_path: Option<String>]
        client |c| dm::move_project_file(c, &project_id, &file,
            &dm::MoveProjectFileOptions { dst_file, src_path, dst_path });
    dm attach_dataset_to_project(dataset_id: String, dataset_version: i64, project_id: String, as_type: String)
        [path: Option<String>, compress: bool, immutable: bool]
        client |c| dm::attach_dataset_to_project(c, &dataset_id, dataset_version, &project_id, &as_type,
            &dm::AttachDatasetToProjectOptions { path, compress, immutable });
    dm create_project_path(project_id: String, project_path: String) []
        client |c| dm::create_project_path(c, &project_id, &project_path);
    dm delete_project_path(project_id: String, project_path: String) []
        client |c| dm::delete_project_path(c, &project_id, &project_path);
    dm move_project_path(project_id: String, project_src_path: String, project_dst_path: String) []
        client |c| dm::move_project_path(c, &project_id, &project_src_path, &project_dst_path);

    // Data Manager: instances (Jobs run in a project) and waiting for them.
    dm start_job_instance(project_id: String, name: String, specification: Json)
        [callback_url: Option<String>, callback_context: Option<String>, generate_callback_token: bool,
         debug: Option<String>, wait: bool, timeout: Option<Duration>, poll_interval: Option<Duration>]
        client |c| run::start_job(c, wait, timeout, poll_interval, dm::start_job_instance(c, &project_id, &name,
            &specification.0, &dm::StartJobInstanceOptions { callback_url,
                callback_token: run::optional_secret(run::CALLBACK_TOKEN), callback_context,
                generate_callback_token, debug }));
    dm dry_run_job_instance(project_id: String, name: String, specification: Json)
        [callback_url: Option<String>, callback_context: Option<String>, generate_callback_token: bool,
         debug: Option<String>]
        client |c| dm::dry_run_job_instance(c, &project_id, &name, &specification.0,
            &dm::DryRunJobInstanceOptions { callback_url,
                callback_token: run::optional_secret(run::CALLBACK_TOKEN), callback_context,
                generate_callback_token, debug });
    dm get_instance(instance_id: String) [] client |c| dm::get_instance(c, &instance_id);
    dm get_project_instances(project_id: String) [] client |c| dm::get_project_instances(c, &project_id);
    dm get_available_instances() [] client |c| dm::get_available_instances(c);
    dm update_instance(instance_id: String) [archive: bool]
        client |c| dm::update_instance(c, &instance_id, &dm::UpdateInstanceOptions { archive });
    dm delete_instance(instance_id: String) [] client |c| dm::delete_instance(c, &instance_id);
    dm delete_instance_token(instance_id: String) []
        client |c| run::secret(run::INSTANCE_TOKEN, "the instance's token")
            .map(|token| dm::delete_instance_token(c, &instance_id, &token));
    dm wait_for_instance(instance_id: String) [timeout: Option<Duration>, poll_interval: Option<Duration>]
        client |c| run::wait_for_instance(c, &instance_id, timeout, poll_interval);
    dm wait_for_task(task_id: String) [timeout: Option<Duration>, poll_interval: Option<Duration>]
        client |c| run::wait_for_task(c, &task_id, timeout, poll_interval);

    // Data Manager: Jobs and their exchange rates.
    dm get_available_jobs() [] client |c| dm::get_available_jobs(c);
    dm get_jobs() [project_id: Option<String>] client |c| dm::get_jobs(c, &dm::GetJobsOptions { project_id });
    dm get_job(job_id: i64) [project_id: Option<String>]
        client |c| dm::get_job(c, job_id, &dm::GetJobOptions { project_id });
    dm get_job_by_version(job_collection: String, job_job: String, job_version: String) [project_id: Option<String>]
        client |c| dm::get_job_by_version(c, &job_collection, &job_job, &job_version,
            &dm::GetJobByVersionOptions { project_id });
    dm get_job_exchange_rates() [only_undefined: bool]
        client |c| dm::get_job_exchange_rates(c, &dm::GetJobExchangeRatesOptions { only_undefined });
    dm get_job_exchange_rate(job_id: i64) [current: bool]
        client |c| dm::get_job_exchange_rate(c, job_id, &dm::GetJobExchangeRateOptions { current });
    dm set_job_exchange_rates(rates: Json) []
        client |c| run::exchange_rates(&rates.0).map(|rates| dm::set_job_exchange_rates(c, &rates));

    // Data Manager: projects.
    dm get_available_projects() [project_name: Option<String>]
        client |c| dm::get_available_projects(c, &dm::GetAvailableProjectsOptions { project_name });
    dm create_project(project_name: String, as_tier_product_id: String) [private: bool]
        client |c| dm::create_project(c, &project_name, &as_tier_product_id, &dm::CreateProjectOptions { private });
    dm get_project(project_id: String) [] client |c| dm::get_project(c, &project_id);
    dm update_project(project_id: String) [project_name: Option<String>, private: Option<bool>]
        client |c| dm::update_project(c, &project_id, &dm::UpdateProjectOptions { project_name, private });
    dm delete_project(project_id: String) [] client |c| dm::delete_project(c, &project_id);
    dm add_project_administrator(project_id: String, administrator: String) []
        client |c| dm::add_project_administrator(c, &project_id, &administrator);
    dm remove_project_administrator(project_id: String, administrator: String) []
        client |c| dm::remove_project_administrator(c, &project_id, &administrator);
    dm add_project_editor(project_id: String, editor: String) []
        client |c| dm::add_project_editor(c, &project_id, &editor);
    dm remove_project_editor(project_id: String, editor: String) []
        client |c| dm::remove_project_editor(c, &project_id, &editor);
    dm add_project_observer(project_id: String, observer: String) []
        client |c| dm::add_project_observer(c, &project_id, &observer);
    dm remove_project_observer(project_id: String, observer: String) []
        client |c| dm::remove_project_observer(c, &project_id, &observer);

    // Data Manager: tasks.
    dm get_available_tasks() [exclude_done: bool, exclude_purpose: Option<String>, project_id: Option<String>]
        client |c| dm::get_available_tasks(c, &dm::GetAvailableTasksOptions { exclude_done, exclude_purpose, project_id });
    dm get_tasks() [exclude_done: bool, exclude_removal: bool, exclude_purpose: Option<String>,
        project_id: Option<String>, instance_callback_context: Option<String>]
        client |c| dm::get_tasks(c, &dm::GetTasksOptions { exclude_done, exclude_removal, exclude_purpose,
            project_id, instance_callback_context });
    dm get_task(task_id: String) [event_prior_ordinal: u64, event_limit: u64]
        client |c| dm::get_task(c, &task_id, &dm::GetTaskOptions { event_prior_ordinal, event_limit });
    dm delete_task(task_id: String) [] client |c| dm::delete_task(c, &task_id);

    // Data Manager: the user.
    dm get_account() [do_not_impersonate: bool]
        client |c| dm::get_account(c, &dm::GetAccountOptions { do_not_impersonate });
    dm get_users() [] client |c| dm::get_users(c);
    dm set_admin_state(admin: bool) [impersonate: Option<String>]
        client |c| dm::set_admin_state(c, admin, &dm::SetAdminStateOptions { impersonate });
    dm get_api_log() [from_: Option<String>, until: Option<String>]
        client |c| dm::get_api_log(c, &dm::GetApiLogOptions { from_, until });
    dm get_api_token() [] client |c| dm::get_api_token(c);

    // Data Manager: workflows.
    dm get_workflows() [] client |c| dm::get_workflows(c);
    dm create_workflow(name: String, scope: String)
        [scope_id: Option<String>, definition: Option<String>, definition_file: Option<PathBuf>]
        client |c| dm::create_workflow(c, &name, scope.as_str().into(),
            &dm::CreateWorkflowOptions { scope_id, definition, definition_file });
    dm get_workflow(workflow_id: String) [] client |c| dm::get_workflow(c, &workflow_id);
    dm update_workflow(workflow_id: String)
        [name: Option<String>, definition: Option<String>, definition_file: Option<PathBuf>]
        client |c| dm::update_workflow(c, &workflow_id, &dm::UpdateWorkflowOptions { name, definition, definition_file });
    dm delete_workflow(workflow_id: String) [] client |c| dm::delete_workflow(c, &workflow_id);
    dm get_workflow_definition(workflow_id: String) [] client |c| dm::get_workflow_definition(c, &workflow_id);
    dm run_workflow(workflow_id: String, project_id: String, as_name: String)
        [variables: Option<String>, debug: Option<String>]
        client |c| dm::run_workflow(c, &workflow_id, &project_id, &as_name, &dm::RunWorkflowOptions { variables, debug });
    dm apply_workflow_version(workflow_id: String, version_str: String) []
        client |c| dm::apply_workflow_version(c, &workflow_id, &version_str);
    dm get_running_workflows() [workflow_id: Option<String>, project_id: Option<String>]
        client |c| dm::get_running_workflows(c, &dm::GetRunningWorkflowsOptions { workflow_id, project_id });
    dm get_running_workflow(running_workflow_id: String) []
        client |c| dm::get_running_workflow(c, &running_workflow_id);
    dm delete_running_workflow(running_workflow_id: String) []
        client |c| dm::delete_running_workflow(c, &running_workflow_id);
    dm stop_running_workflow(running_workflow_id: String) []
        client |c| dm::stop_running_workflow(c, &running_workflow_id);
    dm get_running_workflow_steps(running_workflow_id: String) []
        client |c| dm::get_running_workflow_steps(c, &running_workflow_id);

    // Account Server.
    as get_version() [] client |c| asa::get_version(c);
    as ping() [] client |c| asa::ping(c);
    as get_actions() [from_: Option<String>, until: Option<String>, merchant_id: Option<i64>,
        product_id: Option<String>, unit_id: Option<String>, org_id: Option<String>, action_format: Option<String>]
        client |c| run::event_format(action_format.as_deref()).map(|action_format| asa::get_actions(c,
            &asa::GetActionsOptions { from_, until, merchant_id, product_id, unit_id, org_id, action_format }));
    as get_available_assets() [scope_id: Option<String>]
        client |c| asa::get_available_assets(c, &asa::GetAvailableAssetsOptions { scope_id });
    as create_asset(name: String, description: String, scope: String)
        [content_string: Option<String>, content_file: Option<PathBuf>, scope_id: Option<String>, is_secret: bool]
        client |c| run::check_secret_content(is_secret, &content_string).map(|()| asa::create_asset(c, &name,
            &description, scope.as_str().into(),
            &asa::CreateAssetOptions { content_string, content_file, scope_id, is_secret }));
    as alter_asset(asset_id: String)
        [description: Option<String>, content_string: Option<String>, content_file: Option<PathBuf>]
        client |c| asa::alter_asset(c, &asset_id, &asa::AlterAssetOptions { description, content_string, content_file });
    as delete_asset(asset_id: String) [] client |c| asa::delete_asset(c, &asset_id);
    as get_asset(asset_id: String) [] client |c| asa::get_asset(c, &asset_id);
    as attach_asset(asset_id: String, m_id: i64) [] client |c| asa::attach_asset(c, &asset_id, m_id);
    as detach_asset(asset_id: String, m_id: i64) [] client |c| asa::detach_asset(c, &asset_id, m_id);
    as enable_asset(asset_id: String) [] client |c| asa::enable_asset(c, &asset_id);
    as disable_asset(asset_id: String) [] client |c| asa::disable_asset(c, &asset_id);
    as get_charges() [from_: Option<String>, until: Option<String>, pbp: Option<i64>]
        client |c| asa::get_charges(c, &asa::GetChargesOptions { from_, until, pbp });
    as get_product_charges(product_id: String) [from_: Option<String>, until: Option<String>, pbp: Option<i64>]
        client |c| asa::get_product_charges(c, &product_id, &asa::GetProductChargesOptions { from_, until, pbp });
    as get_unit_charges(unit_id: String) [from_: Option<String>, until: Option<String>, pbp: Option<i64>]
        client |c| asa::get_unit_charges(c, &unit_id, &asa::GetUnitChargesOptions { from_, until, pbp });
    as get_organisation_charges(org_id: String) [from_: Option<String>, until: Option<String>, pbp: Option<i64>]
        client |c| asa::get_organisation_charges(c, &org_id, &asa::GetOrganisationChargesOptions { from_, until, pbp });
    as get_event_stream_version() [] client |c| asa::get_event_stream_version(c);
    as get_event_stream() [] client |c| asa::get_event_stream(c);
    as create_event_stream(event_format: String) []
        client |c| run::event_format(Some(&event_format)).map(|format| asa::create_event_stream(c, format));
    as delete_event_stream(event_stream_id: i64) [] client |c| asa::delete_event_stream(c, event_stream_id);
    as get_merchants() [] client |c| asa::get_merchants(c);
    as get_merchant(merchant_id: i64) [] client |c| asa::get_merchant(c, merchant_id);
    as get_organisations() [org_name: Option<String>]
        client |c| asa::get_organisations(c, &asa::GetOrganisationsOptions { org_name });
    as get_organisation(org_id: String) [] client |c| asa::get_organisation(c, &org_id);
    as get_default_organisation() [] client |c| asa::get_default_organisation(c);
    as create_organisation(org_name: String, org_owner: String) []
        client |c| asa::create_organisation(c, &org_name, &org_owner);
    as alter_organisation(org_id: String) [name: Option<String>, default_product_privacy: Option<String>]
        client |c| asa::alter_organisation(c, &org_id, &asa::AlterOrganisationOptions { name,
            default_product_privacy: default_product_privacy.as_deref().map(Into::into) });
    as delete_organisation(org_id: String) [] client |c| asa::delete_organisation(c, &org_id);
    as get_available_products() [] client |c| asa::get_available_products(c);
    as get_product(product_id: String) [] client |c| asa::get_product(c, &product_id);
    as get_product_default_storage_cost() [] client |c| asa::get_product_default_storage_cost(c);
    as get_product_types() [] client |c| asa::get_product_types(c);
    as get_products_for_unit(unit_id: String) [] client |c| asa::get_products_for_unit(c, &unit_id);
    as get_products_for_organisation(org_id: String) [] client |c| asa::get_products_for_organisation(c, &org_id);
    as create_product(product_name: String, unit_id: String, product_type: String)
        [allowance: i64, limit: i64, flavour: String]
        client |c| asa::create_product(c, &product_name, &unit_id, &product_type,
            &asa::CreateProductOptions { allowance, limit, flavour });
    as alter_product(product_id: String) [product_name: Option<String>, allowance: Option<i64>, limit: Option<i64>]
        client |c| asa::alter_product(c, &product_id, &asa::AlterProductOptions { product_name, allowance, limit });
    as delete_product(product_id: String) [] client |c| asa::delete_product(c, &product_id);
    as get_available_units() [] client |c| asa::get_available_units(c);
    as get_units() [unit_name: Option<String>] client |c| asa::get_units(c, &asa::GetUnitsOptions { unit_name });
    as get_unit(unit_id: String) [] client |c| asa::get_unit(c, &unit_id);
    as get_organisation_units(org_id: String) [] client |c| asa::get_organisation_units(c, &org_id);
    as create_unit(unit_name: String, org_id: String, billing_day: i64) []
        client |c| asa::create_unit(c, &unit_name, &org_id, billing_day);
    as alter_unit(unit_id: String) [name: Option<String>, default_product_privacy: Option<String>]
        client |c| asa::alter_unit(c, &unit_id, &asa::AlterUnitOptions { name,
            default_product_privacy: default_product_privacy.as_deref().map(Into::into) });
    as delete_unit(unit_id: String) [] client |c| asa::delete_unit(c, &unit_id);
    as create_personal_unit(billing_day: i64) [] client |c| asa::create_personal_unit(c, billing_day);
    as delete_personal_unit() [] client |c| asa::delete_personal_unit(c);
    as get_personal_unit() [] client |c| asa::get_personal_unit(c);
    as get_account() [] client |c| asa::get_account(c);
    as get_organisation_users(org_id: String) [] client |c| asa::get_organisation_users(c, &org_id);
    as add_user_to_organisation(org_id: String, username: String) []
        client |c| asa::add_user_to_organisation(c, &org_id, &username);
    as remove_user_from_organisation(org_id: String, username: String) []
        client |c| asa::remove_user_from_organisation(c, &org_id, &username);
    as get_unit_users(unit_id: String) [] client |c| asa::get_unit_users(c, &unit_id);
    as add_user_to_unit(unit_id: String, username: String) []
        client |c| asa::add_user_to_unit(c, &unit_id, &username);
    as remove_user_from_unit(unit_id: String, username: String) []
        client |c| asa::remove_user_from_unit(c, &unit_id, &username);

    // UI.
    ui get_version() [] client |c| ui_api::get_version(c);

    // Keycloak: the password, client secret and prior token come from the environment or a
    // prompt, never from the command line.
    auth get_access_token(keycloak_url: String, keycloak_realm: String, keycloak_client_id: String, username: String) []
        context |_cx| run::secret(run::PASSWORD, &format!("{username}'s password")).and_then(|password|
            auth::get_access_token(&keycloak_url, &keycloak_realm, &keycloak_client_id, &username, &password,
                &auth::GetAccessTokenOptions {
                    keycloak_client_secret: run::optional_secret(run::CLIENT_SECRET),
                    prior_token: run::optional_secret(run::PRIOR_TOKEN),
                    timeout: None,
                }).into_answer());
}
