// @generated from the SDK's sources by `SQUONK2_CLI_REGENERATE=1 cargo test -p squonk2-cli --test sdk`;
// do not edit. Each endpoint function's documentation and its options' first paragraphs.

use crate::commands::SdkDoc;

/// Every endpoint function of the SDK, by group and name.
pub(crate) const SDK_DOCS: &[SdkDoc] = &[
    SdkDoc {
        group: "dm",
        name: "get_version",
        doc: "The Data Manager's version: `GET /version`, sent without a token.\n`msg` is `{\"version\": \"...\"}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "ping",
        doc: "Checks that the Data Manager answers and accepts the client's token:\n`GET /account-server/namespace` (as the Python client does).",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_account_server_namespace",
        doc: "The Kubernetes namespace of the Account Server this Data Manager uses:\n`GET /account-server/namespace`. `msg` is `{\"namespace\": \"...\"}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_account_server_registration",
        doc: "This Data Manager's registration with the Account Server:\n`GET /account-server/registration`. `msg` is `{\"merchant_id\", \"name\", \"registered\"}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_service_errors",
        doc: "Lists the errors the service recorded: `GET /admin/service-error`.",
        options: &[
            ("include_acknowledged", "Includes the errors already acknowledged."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "acknowledge_service_error",
        doc: "Acknowledges (but keeps) a service error: `PATCH /admin/service-error/{error_id}`. An\nid below 1 fails before anything is sent (D18).",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_service_error",
        doc: "Deletes a service error: `DELETE /admin/service-error/{error_id}`. An id below 1 fails\nbefore anything is sent (D18).",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_admin_users",
        doc: "Lists every known user in detail: `GET /admin/user`.",
        options: &[
            ("active_days", "Only users active (using the API) for at least this many days."),
            ("idle_days", "Only users idle (not using the API) for at most this many days."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "create_user_account",
        doc: "Prepares (creates) a user's Data Manager account: `PUT /admin/user/{user_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_user_account",
        doc: "Deletes a user's Data Manager account: `DELETE /admin/user/{user_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "update_user_account",
        doc: "Changes a user's account (e.g. suspends it): `PATCH /admin/user/{user_id}` with a form\n(no body when there is nothing to change).",
        options: &[
            ("suspend_message", "Suspends the account with this message; sent when `Some`, even empty."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_job_manifests",
        doc: "Lists the registered job manifests: `GET /admin/job-manifest`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "put_job_manifest",
        doc: "Registers a job manifest (typically a Git repository URL) and loads its jobs:\n`PUT /admin/job-manifest` with a form. `msg` says what was loaded (`status`,\n`num_jobs_loaded`, the failures, ...).",
        options: &[
            ("header", "JSON text of the header names and values to fetch the manifest with."),
            ("params", "JSON text of the URL parameters to fetch the manifest with."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "load_job_manifests",
        doc: "Reloads the jobs of every registered manifest: `PUT /admin/job-manifest/load`.\n`msg` says what was loaded, as for `put_job_manifest`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_job_manifest",
        doc: "Deletes a job manifest: `DELETE /admin/job-manifest/{job_manifest_id}`.",
        options: &[
            ("purge", "Also removes the manifest's jobs that nothing refers to."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_applications",
        doc: "Lists the applications the caller can launch: `GET /application`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_application",
        doc: "One application, e.g. `datamanagerjobs.squonk.it`: `GET /application/{app_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_mode",
        doc: "The Data Manager's mode (`DEVELOPMENT` or `PRODUCTION`): `GET /mode`, sent without a\ntoken. `msg` is `{\"mode\": \"...\"}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_input_handler",
        doc: "The Dataset input handlers the Data Manager has: `GET /input-handler`. The token is\nsent when the client has one (the endpoint needs none).",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_job_definition_schema_version",
        doc: "The version of the Job definition schema the Data Manager understands:\n`GET /job-definition-schema/version`. The token is sent when the client has one.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_workflow_engine_version",
        doc: "The version of the Data Manager's workflow engine: `GET /workflow-engine/version`. The\ntoken is sent when the client has one.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_supported_file_types",
        doc: "The file (MIME) types the Data Manager supports for Datasets: `GET /type`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_user_inventory",
        doc: "The users of a Unit or Organisation with their Projects and Datasets:\n`GET /inventory/user?org_id=&unit_id=&usernames=a,b` (each only when set).",
        options: &[
            ("org_id", "Only the users of this Organisation."),
            ("unit_id", "Only the users of this Unit."),
            ("usernames", "Only these users (sent comma-separated)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_available_datasets",
        doc: "Lists the datasets the caller can see: `GET /dataset`.\n`msg` is `{\"count\": ..., \"datasets\": [...]}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "upload_dataset",
        doc: "Uploads a local file as a new dataset (or a new version of `opts.dataset_id`):\n`POST /dataset`, multipart, the file streamed from disk with its base name as the part's\nfile name. The dataset is made by a task: `msg` is\n`{\"dataset_id\": ..., \"dataset_version\": ..., \"task_id\": ...}`.\n\nA missing local file fails the call before anything is sent.",
        options: &[
            ("as_filename", "The dataset's file name, instead of the local file's name."),
            ("dataset_id", "Makes the upload a new version of this dataset."),
            ("deadline", "An overall deadline for the transfer. Without one, the transfer fails only when nothing moves for the time-out (D15), however long it takes."),
            ("format_extra_variables", "Extra variables (text) for the dataset type's format-support code."),
            ("progress", "Told how the upload moves."),
            ("skip_molecule_load", "Skips loading the molecules into the database after formatting."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "create_dataset_from_project_file",
        doc: "Makes a dataset (or a new version of `opts.dataset_id`) from a file already in a project:\n`PUT /dataset` with a form. `path` is the file's project directory (starting with `/`).\nThe dataset is made by a task: `msg` is\n`{\"dataset_id\": ..., \"dataset_version\": ..., \"task_id\": ...}`.",
        options: &[
            ("dataset_id", "Makes the file a new version of this dataset."),
            ("format_extra_variables", "Extra variables (text) for the dataset type's format-support code."),
            ("skip_molecule_load", "Skips loading the molecules into the database after formatting."),
            ("unit_id", "The unit the dataset belongs to."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_dataset_versions",
        doc: "A dataset with all its versions (owner, editors, and per version its type, file name,\nprocessing stage, projects, labels): `GET /dataset/{dataset_id}/versions`.",
        options: &[
            ("include_deleted", "Includes deleted versions."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_dataset",
        doc: "Downloads a dataset version into `local_file`: `GET /dataset/{dataset_id}/{dataset_version}`.\n\nThe body is streamed into a temporary file beside `local_file`, renamed into place only\nwhen complete, so a failed download never leaves a truncated file (and leaves an existing\n`local_file` as it was). `msg` is `{}`, or the file's content when it is a small JSON\nobject (as the Python client's).",
        options: &[
            ("deadline", "An overall deadline for the transfer. Without one, the transfer fails only when nothing moves for the time-out (D15), however long it takes."),
            ("progress", "Told how the download moves."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_dataset",
        doc: "Deletes a dataset version: `DELETE /dataset/{dataset_id}/{dataset_version}`. The deletion\nis a task: `msg` is `{\"task_id\": ...}`.",
        options: &[
            ("keep_project_files", "Turns the project files made from this version into unmanaged files instead of deleting them."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_dataset_schema",
        doc: "The property schema of a dataset version:\n`GET /dataset/{dataset_id}/schema/{dataset_version}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "add_dataset_editor",
        doc: "Lets a user edit a dataset: `PUT /dataset/{dataset_id}/editor/{editor}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "remove_dataset_editor",
        doc: "Takes a user's edit permission on a dataset away:\n`DELETE /dataset/{dataset_id}/editor/{editor}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_dataset_for_digest",
        doc: "The dataset version whose content has this SHA-256 digest (64 hex digits):\n`GET /digest/dataset/{digest}`. `msg` is `{\"dataset_id\": ..., \"dataset_version\": ...}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "list_project_files",
        doc: "The files and sub-directories at a project path:\n`GET /file?project_id=&path=&include_hidden=` (12 s default time-out).\n`msg` is `{\"count\", \"project_id\", \"path\", \"files\": [...], \"paths\": [...]}`.",
        options: &[
            ("include_hidden", "Include hidden files (names starting with `.`)."),
            ("project_path", "The directory to list, starting with `/` (default `/`)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "put_unmanaged_project_files",
        doc: "Uploads local files into a project directory, one streamed\n`PUT /project/{project_id}/file` (multipart: `path`, then `file`) per file.\n\nUnless `force` is set, the directory is listed first (`GET /file?project_id=&path=`) and\nfiles whose name is already there are skipped; a 404 listing means \"no files yet\". Each\nlocal file is checked when its turn comes, and the first failure ends the loop (earlier\nuploads stay done), as in the Python client. Files are written under their base name.\n\nOn success `msg` is `{}` and `http_status_code` is the listing's status: 200, 404 when\nthe listing found no directory, or 0 with `force` (no listing). These are the Python\nclient's values.",
        options: &[
            ("deadline", "An overall deadline for the transfer. Without one, the transfer fails only when nothing moves for the time-out (D15), however long it takes."),
            ("force", "Upload every file, even those whose name is already listed at `project_path`."),
            ("progress", "Called as each upload moves, with the bytes sent and the total of the upload's multipart body (the file plus a few hundred bytes of framing)."),
            ("project_path", "The project directory to write to, starting with `/` (default `/`)."),
            ("timeout_per_file", "The time-out of each upload (default 120 s, or the client's time-out when it has one). It bounds connecting and each write, not the whole upload (D15)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_unmanaged_project_files",
        doc: "Deletes files from a project directory, one `DELETE /file?project_id=&path=&file=` per\nfile. Each name is stripped to its base name first (`dir/a.txt` deletes `a.txt`), as the\nPython client documents but does not do (D11). The first failure ends the loop (earlier\ndeletions stay done). On success `msg` is `{}` and `http_status_code` is 0, as in the\nPython client.",
        options: &[
            ("project_path", "The project directory holding the files, starting with `/` (default `/`)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_unmanaged_project_file",
        doc: "Downloads one file of a project into `local_file`:\n`GET /project/{project_id}/file?path=&file=` (12 s default time-out, inactivity-based).\n\nThe body streams into a temporary file beside `local_file`, renamed into place only when\ncomplete: a failed download leaves `local_file` as it was (D9). `msg` is `{}`, or the\nfile's content when it is a small JSON object (as the Python client's `resp.json()`).",
        options: &[
            ("deadline", "An overall deadline for the transfer. Without one, the transfer fails only when nothing moves for the time-out (D15), however long it takes."),
            ("progress", "Called as the download moves, with the bytes received and the size the server announced (0 when it did not)."),
            ("project_path", "The project directory holding the file, starting with `/` (default `/`)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_unmanaged_project_file_with_token",
        doc: "As `get_unmanaged_project_file`, with an instance's callback `token` instead of the\nclient's login: `GET /project/{project_id}/file-with-token?path=&file=&token=`, sent\nwithout an `Authorization` header.",
        options: &[
            ("deadline", "An overall deadline for the transfer. Without one, the transfer fails only when nothing moves for the time-out (D15), however long it takes."),
            ("progress", "Called as the download moves, with the bytes received and the size the server announced (0 when it did not)."),
            ("project_path", "The project directory holding the file, starting with `/` (default `/`)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_project_file",
        doc: "Downloads a managed file (a Dataset attached to a project) into `local_file`:\n`GET /file/{file_id}` (12 s default time-out), streamed as\n`get_unmanaged_project_file` does.",
        options: &[
            ("deadline", "An overall deadline for the transfer. Without one, the transfer fails only when nothing moves for the time-out (D15), however long it takes."),
            ("progress", "Called as the download moves, with the bytes received and the size the server announced (0 when it did not)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_project_file",
        doc: "Detaches a managed file from its project: `DELETE /file/{file_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "move_project_file",
        doc: "Moves or renames a file in a project:\n`PUT /file/move?project_id=&file=&dst_file=[&dst_path=]` (no body).",
        options: &[
            ("dst_file", "A new name for the file."),
            ("dst_path", "The directory to move it to, starting with `/` (the server's default: where it is)."),
            ("src_path", "The directory the file is in, starting with `/` (the server's default: `/`)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "attach_dataset_to_project",
        doc: "Attaches a Dataset version to a project as a managed file: `POST /file` with the form\n`dataset_id`, `dataset_version`, `project_id`, `as_type`, `path`[, `compress=True`]\n[, `immutable=True`] (12 s default time-out). `msg` is `{\"file_id\", \"file_name\",\n\"file_path\", \"task_id\"}`.",
        options: &[
            ("compress", "Compress the file as it is attached."),
            ("immutable", "Make the file immutable while it is in the project."),
            ("path", "The project directory to put the file in, starting with `/` (default `/`)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "create_project_path",
        doc: "Creates a directory (and any missing parents) in a project:\n`PUT /path?project_id=&path=`. A `/` is put in front of `project_path` when it lacks one.\nThe parameters go in the query, as the API defines them (D7; the Python client sends a\nform body).",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_project_path",
        doc: "Deletes a directory and everything in it from a project: `DELETE /path?project_id=&path=`\n(query, D7). A `/` is put in front of `project_path` when it lacks one.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "move_project_path",
        doc: "Moves or renames a directory of a project:\n`PUT /path/move?project_id=&src_path=&dst_path=` (query, D7). A `/` is put in front of\neach path that lacks one.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "start_job_instance",
        doc: "Starts a Job in a project: `POST /instance` with the form `application_id`, `as_name`,\n`project_id`, `specification` (the JSON text of `specification`, written as Python's\n`json.dumps` writes it), then `debug` and `callback_url` when set, and the other callback\noptions only with `callback_url`. `msg` is `{\"instance_id\", \"task_id\"[, \"callback_token\"]\n[, \"command\"]}`.\n\nThe specification names the Job (`collection`, `job`, `version`) and its `variables`:\na `JobSpecification`, or a `Value` whose keys are written in the order they were\ninserted (as Python writes a dict's keys). Floats are written as Python writes them\n(`1e-07`), integers as integers.",
        options: &[
            ("callback_context", "A string passed to the callback URL."),
            ("callback_token", "A callback token of your own, instead of `generate_callback_token`."),
            ("callback_url", "A URL the Data Manager calls as the instance progresses. The three callback options below are sent only with it, as in the Python client."),
            ("debug", "Keeps the instance from being removed automatically; only for debugging."),
            ("generate_callback_token", "Ask the Data Manager for a callback token (returned as `msg[\"callback_token\"]`), usable with `get_unmanaged_project_file_with_token`."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "dry_run_job_instance",
        doc: "Checks that a Job would start, without starting it: `POST /instance/dry-run` with the\nsame form as `start_job_instance`. `msg` is `{\"callback_token\"}`, the\ncommand the Job would run.",
        options: &[
            ("callback_context", "A string passed to the callback URL."),
            ("callback_token", "A callback token of your own, instead of `generate_callback_token`."),
            ("callback_url", "A URL the Data Manager calls as the instance progresses. The three callback options below are sent only with it, as in the Python client."),
            ("debug", "Keeps the instance from being removed automatically; only for debugging."),
            ("generate_callback_token", "Ask the Data Manager for a callback token (returned as `msg[\"callback_token\"]`), usable with `get_unmanaged_project_file_with_token`."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_instance",
        doc: "One instance: `GET /instance/{instance_id}`. Its `phase` is `PENDING`, `RUNNING`,\nthen `COMPLETED` or `FAILED` (see `wait_for_instance`).",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_project_instances",
        doc: "The instances of one project: `GET /instance?project_id=`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_available_instances",
        doc: "Every instance the caller can see: `GET /instance`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "update_instance",
        doc: "Changes an instance: `PATCH /instance/{instance_id}[?archive=True]`.",
        options: &[
            ("archive", "Archive the instance."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_instance",
        doc: "Stops an instance and removes it with its directory in the project:\n`DELETE /instance/{instance_id}`. `msg` is `{\"task_id\": \"...\"}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_instance_token",
        doc: "Revokes an instance's callback token: `DELETE /instance/{instance_id}/token/{token}`,\nsent without an `Authorization` header (the token is the credential).",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_available_jobs",
        doc: "The Jobs the caller can run: `GET /job`. `msg` is `{\"count\", \"jobs\": [...]}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_jobs",
        doc: "The Jobs, optionally for a project: `GET /job[?project_id=]`.",
        options: &[
            ("project_id", "The project the Jobs would run in."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_job",
        doc: "One Job's definition by its numeric id: `GET /job/{job_id}[?project_id=]`.\n`job_id` must be 1 or more (nothing is sent otherwise).",
        options: &[
            ("project_id", "The project the Job would run in."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_job_by_version",
        doc: "One Job's definition by collection, job and version:\n`GET /job/get-by-version?collection=&job=&version=[&project_id=]`.",
        options: &[
            ("project_id", "The project the Job would run in."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_job_exchange_rates",
        doc: "The current exchange rate of every Job: `GET /job-exchange-rates[?only_undefined=True]`.",
        options: &[
            ("only_undefined", "Only the Jobs that have no rate yet."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_job_exchange_rate",
        doc: "One Job's exchange-rate history (or current rate):\n`GET /job/{job_id}/exchange-rate?current=` (`current` always sent). A `job_id` below 1\nfails before anything is sent (D18).",
        options: &[
            ("current", "Only the current rate, not the history."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "set_job_exchange_rates",
        doc: "Sets the exchange rates of Jobs, one after the other. For each rate the Job's id is\nlooked up (`GET /job/get-by-version?collection=&job=&version=`), then the rate is set\n(`PUT /job/{id}/exchange-rate` with the form `rate`[, `comment`]).\n\nEvery rate is checked first: an empty collection, job or version, or a rate that is not\na decimal number, fails the call before anything is sent (the Python client raised\n`InvalidOperation`). The first failing request ends the loop (earlier rates stay set).\nOn success `msg` is `{}` and `http_status_code` is 0, as in the Python client. Admins\nonly.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_dataset_metadata",
        doc: "A dataset's metadata: `GET /dataset/{dataset_id}/meta`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "update_dataset_metadata",
        doc: "Changes a dataset's metadata: `POST /dataset/{dataset_id}/meta` with a form\n(`meta_properties` and `labels` when set; no body when neither is).",
        options: &[
            ("labels", "JSON text of a list of labels, in the label annotation format of the `data-manager-metadata` library."),
            ("meta_properties", "JSON text of a list of property changes (the server allows only the description)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_dataset_version_metadata",
        doc: "A dataset version's metadata: `GET /dataset/{dataset_id}/meta/{dataset_version}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "update_dataset_version_metadata",
        doc: "Changes a dataset version's metadata:\n`POST /dataset/{dataset_id}/meta/{dataset_version}` with a form (`meta_properties` and\n`annotations` when set; no body when neither is).",
        options: &[
            ("annotations", "JSON text of a list of annotations (Fields Descriptor or Service Execution annotations of the `data-manager-metadata` library)."),
            ("meta_properties", "JSON text of a list of property changes (the server allows only the description)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_available_projects",
        doc: "The projects the caller can see: `GET /project[?project_name=]`.\n`msg` is `{\"count\", \"projects\": [...]}`.",
        options: &[
            ("project_name", "Only the projects with this name."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "create_project",
        doc: "Creates a project on an Account Server product (its \"tier\"):\n`POST /project` with the form `tier_product_id`, `name`[, `private=True`].\n`msg` is `{\"project_id\": \"project-...\"}`.",
        options: &[
            ("private", "Make the project private (visible to its members only)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_project",
        doc: "One project's details: `GET /project/{project_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "update_project",
        doc: "Renames a project or changes its privacy: `PATCH /project/{project_id}` with the form\n`name`, `private` (each only when given; no body at all when neither is).",
        options: &[
            ("private", "Make the project private or public (sent when `Some`, `false` included)."),
            ("project_name", "A new name (sent when set)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_project",
        doc: "Deletes a project and its files: `DELETE /project/{project_id}`.\n`msg` is `{\"task_id\": \"...\"}`, the task doing the deletion.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "add_project_administrator",
        doc: "Makes a user an administrator of a project:\n`PUT /project/{project_id}/administrator/{administrator}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "remove_project_administrator",
        doc: "Removes an administrator from a project:\n`DELETE /project/{project_id}/administrator/{administrator}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "add_project_editor",
        doc: "Makes a user an editor of a project: `PUT /project/{project_id}/editor/{editor}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "remove_project_editor",
        doc: "Removes an editor from a project: `DELETE /project/{project_id}/editor/{editor}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "add_project_observer",
        doc: "Makes a user an observer of a project: `PUT /project/{project_id}/observer/{observer}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "remove_project_observer",
        doc: "Removes an observer from a project: `DELETE /project/{project_id}/observer/{observer}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_available_tasks",
        doc: "The tasks the caller can see:\n`GET /task?exclude_done=True[&project_id=]`.",
        options: &[
            ("exclude_done", "Leave out the tasks that are done."),
            ("exclude_purpose", "Comma-separated purposes to leave out (`DATASET`, `FILE`, `INSTANCE`, `PROJECT`)."),
            ("project_id", "Only the tasks of this project."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_tasks",
        doc: "Tasks, filtered: `GET /task` with `exclude_done=True`, `exclude_removal=True`,\n`exclude_purpose`, `project_id`, `instance_callback_context` (each only when set).",
        options: &[
            ("exclude_done", "Leave out the tasks that are done."),
            ("exclude_purpose", "Purposes to leave out, separated by `.` (`INSTANCE.FILE`)."),
            ("exclude_removal", "Leave out removal tasks."),
            ("instance_callback_context", "Only the tasks of instances launched with this callback context."),
            ("project_id", "Only the tasks of this project."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_task",
        doc: "One task with its states and events, in order:\n`GET /task/{task_id}?event_prior_ordinal=` (each only when not 0).",
        options: &[
            ("event_limit", "At most this many events (0: the server's default, typically 500)."),
            ("event_prior_ordinal", "Only the events after this ordinal (0: from the first)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_task",
        doc: "Deletes a task record (once it is done): `DELETE /task/{task_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_account",
        doc: "The caller's account: `GET /user/account[?do_not_impersonate=True]`.\n`msg` is `{\"user\": {...}, \"caller_has_admin_privilege\", \"data_manager_roles\"}`.",
        options: &[
            ("do_not_impersonate", "For an admin impersonating someone: get your own account instead."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_users",
        doc: "The users that have used the Data Manager: `GET /user`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "set_admin_state",
        doc: "Switches the caller's admin mode on or off, and optionally impersonates a user:\n`PATCH /user/account` with the form `become_admin` (always) and `impersonate` (when set).\nOnly users with the admin role may do this.",
        options: &[
            ("impersonate", "Act as this user from now on (admins only)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_api_log",
        doc: "The API calls recorded against the caller's account (GETs are not recorded):\n`GET /user/api-log?from=`.",
        options: &[
            ("from_", "Calls from this ISO-8601 date-time on (inclusive); sent as `from`."),
            ("until", "Calls before this ISO-8601 date-time (exclusive)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_api_token",
        doc: "The caller's API token: `GET /user/token`. `msg` is `{\"token\": \"...\"}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "wait_for_instance",
        doc: "Polls `get_instance` every `poll_interval` until the instance's `phase` is final\n(`COMPLETED`, `SUCCEEDED` or `FAILED`) and returns that last answer: `success` is true\nand `msg` is the instance, whether the Job succeeded or failed, so check\n`msg[\"phase\"]`. A poll that fails for a passing reason (no answer, a time-out, 429, 502,\n503, 504) is passed to `on_poll` and polling goes on; any other failed poll (401, 403,\n404, ...) is returned as it is. After `timeout`, `success` is false, `http_status_code`\n0, the kind `Timeout`, and the error names the\nlast phase.",
        options: &[
            ("on_poll", "Called with every poll's answer."),
            ("poll_interval", "The pause between polls (default 2 s)."),
            ("timeout", "Give up after this long (default 10 minutes)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "wait_for_task",
        doc: "Polls `get_task` every `poll_interval` until the task is `done` and returns that last\nanswer (the task with its states and events; `exit_code` says how it ended). Failures\nand the timeout are as for `wait_for_instance`.",
        options: &[
            ("on_poll", "Called with every poll's answer."),
            ("poll_interval", "The pause between polls (default 2 s)."),
            ("timeout", "Give up after this long (default 10 minutes)."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_workflows",
        doc: "Lists the workflows the caller can see: `GET /workflow`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "create_workflow",
        doc: "Creates a workflow: `POST /workflow`, multipart. Give the definition as text\n(`opts.definition`) or as a file (`opts.definition_file`). `msg` is\n`{\"id\": ..., \"validated\": ...}`.\n\nWithout a definition file a `definition_file` part with `filename=\"\"` and no content is\nsent, which the server reads as \"no file\" (D8).",
        options: &[
            ("definition", "The definition, as YAML text."),
            ("definition_file", "A local file holding the definition (YAML)."),
            ("scope_id", "The identity of the scope (an organisation, unit, ...); not sent for `Global`."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_workflow",
        doc: "One workflow: `GET /workflow/{workflow_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "update_workflow",
        doc: "Changes a workflow's name or definition: `PATCH /workflow/{workflow_id}`, multipart\n(with the `filename=\"\"` part when no definition file is given, as `create_workflow`).\n`msg` is `{\"validated\": ...}`.",
        options: &[
            ("definition", "A new definition, as YAML text."),
            ("definition_file", "A local file holding a new definition (YAML)."),
            ("name", "A new name."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_workflow",
        doc: "Deletes a workflow: `DELETE /workflow/{workflow_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_workflow_definition",
        doc: "A workflow's definition: `GET /workflow/{workflow_id}/definition`.\n`msg` is `{\"definition\": <the YAML text>}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "run_workflow",
        doc: "Runs a workflow in a project, its instances named after `as_name`:\n`POST /workflow/{workflow_id}/run` with a form. `msg` is `{\"id\": <running workflow id>}`.\n\nThe Python client sends no body, though the API requires `project_id` and `as_name`; this\nfunction sends them (D7), and `variables` and `debug` when set.",
        options: &[
            ("debug", "A debug value the instances may use."),
            ("variables", "JSON text of the variables given to the workflow."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "apply_workflow_version",
        doc: "Freezes a workflow under a version string (e.g. `1.0.0`):\n`PUT /workflow/{workflow_id}/version` with a form. `msg` is `{\"id\": <new workflow id>}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_running_workflows",
        doc: "Lists running workflows: `GET /running-workflow`, the filters in the query (D7: the\nPython client sends them as a form body on the GET).",
        options: &[
            ("project_id", "Only runs in this project."),
            ("workflow_id", "Only runs of this workflow."),
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_running_workflow",
        doc: "One running workflow: `GET /running-workflow/{running_workflow_id}`.\n\nThe id is required: an empty one fails before anything is sent (D3; the Python client\nwould call `/running-workflow/None`).",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "delete_running_workflow",
        doc: "Deletes a running workflow's record: `DELETE /running-workflow/{running_workflow_id}`\n(the id is required, as for `get_running_workflow`).",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "stop_running_workflow",
        doc: "Asks a running workflow to stop: `PUT /running-workflow/{running_workflow_id}/stop`\n(the id is required, as for `get_running_workflow`).",
        options: &[
        ],
    },
    SdkDoc {
        group: "dm",
        name: "get_running_workflow_steps",
        doc: "The steps of a running workflow: `GET /running-workflow/{running_workflow_id}/steps`\n(the id is required, as for `get_running_workflow`).",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_version",
        doc: "The Account Server's version: `GET /version`, sent without a token.\n`msg` is `{\"version\": \"...\"}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "ping",
        doc: "Checks that the Account Server answers: the same call as `get_version`, as in the\nPython client.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_actions",
        doc: "Action records (you need admin rights): `GET /action` with `format` (always), then `from`,\n`until`, `m_id`, `product_id`, `unit_id` and `org_id` (each when set). `msg` is\n`{\"actions\": [...], \"count\"}`. Without dates the server returns today's actions.",
        options: &[
            ("action_format", "The format of each action's content (always sent; default `PROTOCOL_STRING`)."),
            ("from_", "The first day (inclusive), sent as `from` when not empty."),
            ("merchant_id", "Only this merchant's actions (sent as `m_id` when not 0)."),
            ("org_id", "Only this organisation's actions (sent when not empty)."),
            ("product_id", "Only this product's actions (sent when not empty)."),
            ("unit_id", "Only this unit's actions (sent when not empty)."),
            ("until", "The end (exclusive), sent when not empty."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_available_assets",
        doc: "The assets you can see: `GET /asset`, with `product_id`, `unit_id`, `org_id` or\n`user_id` set to `scope_id` when given (chosen from the id's shape, as the Python client\ndoes). `msg` is `{\"assets\": [...], \"count\"}`.\n\nAn id shaped like an Account Server UUID with a prefix other than `product-`, `unit-` or\n`org-` (where the Python client fails an assertion) fails before anything is sent.",
        options: &[
            ("scope_id", "Only the assets of this scope: a username, or a `product-…`, `unit-…` or `org-…` id."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "create_asset",
        doc: "Creates an asset: `POST /asset`, multipart with the fields `name`, `scope`, `secret`,\n`description` (when not empty), `scope_id`, `content_string` (when set), then the file part\n`content_file` (the file, streamed; without one a part with `filename=\"\"`, the server's\n\"no file\": D8). `msg` is `{\"id\"}`.",
        options: &[
            ("content_file", "A local file whose content is the asset's content."),
            ("content_string", "The content as text (sent when not empty)."),
            ("is_secret", "Whether the asset is a secret (always sent, `False` by default)."),
            ("scope_id", "The id of the scope: a username, product, unit or organisation id (sent when not empty; not needed for `GLOBAL`)."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "alter_asset",
        doc: "Changes an asset's description or content: `PATCH /asset/{asset_id}`, multipart with\n`description` and `content_string` (each when set), then the file part `content_file` (as\nfor `create_asset`).",
        options: &[
            ("content_file", "A local file with the new content."),
            ("content_string", "New content as text (sent when not empty)."),
            ("description", "A new description (sent when not empty)."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "delete_asset",
        doc: "Deletes an asset (it must not be attached to a merchant): `DELETE /asset/{asset_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_asset",
        doc: "One asset: `GET /asset/{asset_id}`. `msg` is the asset's detail.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "attach_asset",
        doc: "Attaches an asset to a merchant, which can then read it:\n`PATCH /asset/{asset_id}/attach?m_id=…`. An `m_id` below 1 fails before anything is sent.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "detach_asset",
        doc: "Detaches an asset from a merchant: `PATCH /asset/{asset_id}/detach?m_id=…`. An `m_id`\nbelow 1 fails before anything is sent.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "enable_asset",
        doc: "Enables an asset: `PATCH /asset/{asset_id}/enable`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "disable_asset",
        doc: "Disables an asset: `PATCH /asset/{asset_id}/disable`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_charges",
        doc: "The charges of every organisation (you need admin rights): `GET /charges` with `from`,\n`until` and `pbp` (each when set). `msg` is\n`{\"coins\", \"count\", \"summary\", \"organisation_charges\"}`, coins as decimal strings.",
        options: &[
            ("from_", "The first day (inclusive), sent as `from` when not empty."),
            ("pbp", "A prior billing period instead of dates: `-1` is the one before the current one, down to `-23`. Sent when not 0."),
            ("until", "The end (exclusive), sent when not empty."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_product_charges",
        doc: "The charges of one product: `GET /charges/product/{product_id}` with `from`, `until` and\n`pbp` (each when set). Without them, the current billing period's.",
        options: &[
            ("from_", "The first day (inclusive), sent as `from` when not empty."),
            ("pbp", "A prior billing period instead of dates: `-1` is the one before the current one, down to `-23`. Sent when not 0."),
            ("until", "The end (exclusive), sent when not empty."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_unit_charges",
        doc: "The charges of one unit, per product: `GET /charges/unit/{unit_id}` with `from`, `until`\nand `pbp` (each when set).",
        options: &[
            ("from_", "The first day (inclusive), sent as `from` when not empty."),
            ("pbp", "A prior billing period instead of dates: `-1` is the one before the current one, down to `-23`. Sent when not 0."),
            ("until", "The end (exclusive), sent when not empty."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_organisation_charges",
        doc: "The charges of one organisation, per unit: `GET /charges/organisation/{org_id}` with\n`from`, `until` and `pbp` (each when set).",
        options: &[
            ("from_", "The first day (inclusive), sent as `from` when not empty."),
            ("pbp", "A prior billing period instead of dates: `-1` is the one before the current one, down to `-23`. Sent when not 0."),
            ("until", "The end (exclusive), sent when not empty."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_event_stream_version",
        doc: "The installed event-stream service: `GET /event-stream/version`, sent without a token.\n`msg` is `{\"version\", \"protocol\", \"name\"}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_event_stream",
        doc: "Your event stream, if you have one: `GET /event-stream`. `msg` is\n`{\"id\", \"name\", \"location\", \"format\"}`.\n\nAs in the Python client, the token is sent only when the client has one.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "create_event_stream",
        doc: "Creates your event stream: `POST /event-stream` with JSON `{\"format\": <name>}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "delete_event_stream",
        doc: "Deletes your event stream: `DELETE /event-stream/{event_stream_id}`. An id below 1 fails\nbefore anything is sent (D3).",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_merchants",
        doc: "The merchants the Account Server knows: `GET /merchant`. `msg` is\n`{\"merchants\": [...], \"count\"}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_merchant",
        doc: "One merchant: `GET /merchant/{merchant_id}`. An id below 1 fails before anything is sent.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_organisations",
        doc: "The organisations you can see, or the one with a name: `GET /organisation?name=…`. `msg`\nis `{\"count\", \"organisations\": [...]}`.",
        options: &[
            ("org_name", "Only the organisation with this name (sent as `name` when not empty)."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_organisation",
        doc: "One organisation with its users: `GET /organisation/{org_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_default_organisation",
        doc: "The Default Organisation, home of every personal unit: `GET /default/organisation`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "create_organisation",
        doc: "Creates an organisation (you need admin rights): `POST /organisation` with JSON\n`{\"name\", \"owner\"}`, `owner` being a username. `msg` is `{\"id\"}`. An empty name or owner\nfails before anything is sent.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "alter_organisation",
        doc: "Renames an organisation or changes its default product privacy:\n`PATCH /organisation/{org_id}` with JSON `{\"name\", \"default_product_privacy\"}` (each when\ngiven; `{}` when none is).\n\nAs in the Python client, the token is sent only when the client has one. The Python\nclient's error text here says \"Failed to alter product\"; ours says\n\"Failed to alter organisation\".",
        options: &[
            ("default_product_privacy", "A new default privacy for the products of the organisation's new units."),
            ("name", "A new name."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "delete_organisation",
        doc: "Deletes an organisation (you need admin rights; it must have no units):\n`DELETE /organisation/{org_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_available_products",
        doc: "The products you can see, in every unit and organisation: `GET /product`. `msg` is\n`{\"count\", \"products\": [...]}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_product",
        doc: "One product with its unit and organisation: `GET /product/{product_id}`. `msg` is\n`{\"product\": {...}}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_product_default_storage_cost",
        doc: "The default storage cost applied to products: `GET /product-default-storage-cost`.\n`msg` is `{\"default_storage_cost\": {\"cost\", \"units\", \"description\"}}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_product_types",
        doc: "The product types on offer: `GET /product-type`. `msg` is\n`{\"count\", \"product_types\": [{\"type\", \"flavour\", \"service_kind\"}, ...]}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_products_for_unit",
        doc: "The products of one unit: `GET /product/unit/{unit_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_products_for_organisation",
        doc: "The products of one organisation: `GET /product/organisation/{org_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "create_product",
        doc: "Creates a product in a unit: `POST /product/unit/{unit_id}` with JSON\n`{\"type\", \"name\", \"flavour\", \"allowance\", \"limit\"}` (the last three when set). `msg` is\n`{\"id\"}`.\n\n`product_type` is a `ProductType` or its name:\n`DATA_MANAGER_STORAGE_SUBSCRIPTION` (give an allowance) or\n`DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION` (give a flavour). An empty name, unit or type, or\na negative allowance or limit, fails before anything is sent.",
        options: &[
            ("allowance", "The coin allowance per billing period (sent when not 0; must not be negative)."),
            ("flavour", "The flavour, for types that have one: `EVALUATION`, `BRONZE`, `SILVER` or `GOLD` (sent when not empty), e.g. `ProductFlavour::Bronze.into()` or `\"BRONZE\".into()` (`ProductFlavour`)."),
            ("limit", "The coin limit per billing period (sent when not 0; must not be negative)."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "alter_product",
        doc: "Changes a product's name, allowance or limit: `PATCH /product/{product_id}` with JSON\n`{\"name\", \"allowance\", \"limit\"}` (each when given; `{}` when none is).\n\nAs in the Python client, the token is sent only when the client has one.",
        options: &[
            ("allowance", "A new coin allowance."),
            ("limit", "A new coin limit."),
            ("product_name", "A new name."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "delete_product",
        doc: "Deletes a product (a claimed one only once its claim, e.g. a Data Manager project, is\ngone): `DELETE /product/{product_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_available_units",
        doc: "The units you can see, grouped by organisation: `GET /unit`. `msg` is\n`{\"units\": [{\"organisation\", \"units\", \"count\"}, ...]}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_units",
        doc: "The units you can see, or the one with a name: `GET /unit?name=…`.",
        options: &[
            ("unit_name", "Only the unit with this name (sent as `name` when not empty)."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_unit",
        doc: "One unit with its users: `GET /unit/{unit_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_organisation_units",
        doc: "The units of one organisation: `GET /organisation/{org_id}/unit`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "create_unit",
        doc: "Creates a unit in an organisation you belong to: `POST /organisation/{org_id}/unit` with\nJSON `{\"billing_day\", \"name\"}`. `billing_day` is the day of the month (1 to 28) that\nbilling periods start. `msg` is `{\"id\"}`. An empty name or a 0 billing day fails before\nanything is sent.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "alter_unit",
        doc: "Renames a unit or changes its default product privacy: `PATCH /unit/{unit_id}` with JSON\n`{\"name\", \"default_product_privacy\"}` (each when given; `{}` when none is).\n\nAs in the Python client, the token is sent only when the client has one. The Python\nclient's error text here says \"Failed to alter product\"; ours says \"Failed to alter unit\".",
        options: &[
            ("default_product_privacy", "A new default privacy for the unit's products."),
            ("name", "A new name."),
        ],
    },
    SdkDoc {
        group: "as",
        name: "delete_unit",
        doc: "Deletes a unit (it must have no products): `DELETE /unit/{unit_id}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "create_personal_unit",
        doc: "Creates your personal unit (in the Default Organisation): `PUT /personal-unit` with JSON\n`{\"billing_day\"}`. `msg` is `{\"organisation_id\", \"id\"}`. A 0 billing day fails before\nanything is sent.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "delete_personal_unit",
        doc: "Deletes your personal unit: `DELETE /personal-unit`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_personal_unit",
        doc: "Your personal unit: `GET /personal-unit`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_account",
        doc: "Your Account Server account: `GET /user/account`. `msg` is\n`{\"user\": {\"id\"}, \"caller_has_admin_privilege\", \"account_server_roles\"}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_organisation_users",
        doc: "The members of an organisation: `GET /organisation/{org_id}/user` (deprecated by the\nAccount Server in favour of `get_organisation`'s\n`users`).",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "add_user_to_organisation",
        doc: "Adds a user to an organisation: `PUT /organisation/{org_id}/user/{username}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "remove_user_from_organisation",
        doc: "Removes a user from an organisation: `DELETE /organisation/{org_id}/user/{username}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "get_unit_users",
        doc: "The members of a unit: `GET /unit/{unit_id}/user` (deprecated by the Account Server in\nfavour of `get_unit`'s `users`).",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "add_user_to_unit",
        doc: "Adds a user to a unit: `PUT /unit/{unit_id}/user/{username}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "as",
        name: "remove_user_from_unit",
        doc: "Removes a user from a unit: `DELETE /unit/{unit_id}/user/{username}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "ui",
        name: "get_version",
        doc: "The UI's version: `GET /configuration/ui-version`. `msg` is `{\"text\": <body>}`.",
        options: &[
        ],
    },
    SdkDoc {
        group: "auth",
        name: "get_access_token",
        doc: "Logs `username` in to Keycloak and returns an access token for `keycloak_client_id`.\n\nSends `POST {keycloak_url}/realms/{keycloak_realm}/protocol/openid-connect/token` with a\nform-encoded body `client_id, grant_type=password, username, password[, client_secret]`.\nWhen `prior_token` still has at least 60 s left (by its `exp` claim) it is returned and\nnothing is sent.\n\nThe request goes through the proxy of the proxy environment variables (see\n`ClientBuilder::proxy`) and verifies Keycloak's certificate\nagainst the bundled web roots; a `Client` built with credentials offers\nevery TLS and proxy setting.\n\nErrors\n\nAn empty argument, an invalid Keycloak URL, Keycloak unreachable, the HTTP status with\nKeycloak's `error_description`, an answer without `access_token`. The texts never\ncontain the password or client secret.",
        options: &[
            ("keycloak_client_secret", "The Keycloak client secret, for confidential clients (an empty one is not sent)."),
            ("prior_token", "A token from an earlier call: returned as it is when it has at least 60 s left by its `exp` claim, read against this machine's clock (D12). A bare token carries no `expires_in`, so unlike a `Client`'s cached tokens (D23) this depends on the clocks agreeing."),
            ("timeout", "Time-out for the whole token request (default 4 s)."),
        ],
    },
];
