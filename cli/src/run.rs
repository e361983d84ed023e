//! Running a command: the client (from the environments file or the environment), secrets,
//! failures and their exit codes, transfers with progress and Ctrl-C, waits.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;
use squonk2::dm_api::models::{InstanceGetResponse, TaskGetResponse};
use squonk2::dm_api::{self, JobExchangeRate, OnPoll, WaitOptions};
use squonk2::{as_api, ApiRv, Client, ClientBuilder, ErrorKind, Progress};

use crate::commands::IntoAnswer;

/// Variables the command line reads besides the SDK's (`SQUONK2_DMAPI_URL`, ...).
pub(crate) const ENVIRONMENT: &str = "SQUONK2_ENVIRONMENT";
pub(crate) const TOKEN: &str = "SQUONK2_TOKEN";
pub(crate) const KEYCLOAK_URL: &str = "SQUONK2_KEYCLOAK_URL";
pub(crate) const KEYCLOAK_REALM: &str = "SQUONK2_KEYCLOAK_REALM";
pub(crate) const DM_CLIENT_ID: &str = "SQUONK2_KEYCLOAK_DM_CLIENT_ID";
pub(crate) const AS_CLIENT_ID: &str = "SQUONK2_KEYCLOAK_AS_CLIENT_ID";
pub(crate) const USER: &str = "SQUONK2_KEYCLOAK_USER";
pub(crate) const PASSWORD: &str = "SQUONK2_KEYCLOAK_USER_PASSWORD";
pub(crate) const CLIENT_SECRET: &str = "SQUONK2_KEYCLOAK_CLIENT_SECRET";
pub(crate) const PRIOR_TOKEN: &str = "SQUONK2_PRIOR_TOKEN";
pub(crate) const FILE_TOKEN: &str = "SQUONK2_FILE_TOKEN";
pub(crate) const INSTANCE_TOKEN: &str = "SQUONK2_INSTANCE_TOKEN";
pub(crate) const CALLBACK_TOKEN: &str = "SQUONK2_CALLBACK_TOKEN";

/// Why a command failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The SDK's error.
    Sdk(squonk2::Error),
    /// Input the command line refused before calling the SDK.
    Input(String),
    /// Something the command line needs is not configured.
    NotConfigured(String),
    /// `--wait` or a wait command: the Job ended `FAILED` (the instance id, the instance).
    JobFailed(String, Value),
    /// `wait-for-task`: the task ended with an exit code other than 0 (the task id, the task).
    TaskFailed(String, Value),
    /// Ctrl-C.
    Interrupted,
}

/// The exit codes, also listed in `--help` and the README: each with the kind of the SDK's
/// errors it is given for, if any, and what it means. A kind not listed gives 1.
pub(crate) const EXIT_CODES: &[(u8, Option<ErrorKind>, &str)] = &[
    (0, None, "success"),
    (1, None, "another failure"),
    (
        2,
        None,
        "bad usage (an unknown command or option, a missing or malformed argument)",
    ),
    (
        3,
        Some(ErrorKind::InvalidInput),
        "invalid input, refused before anything was sent (ErrorKind::InvalidInput)",
    ),
    (
        4,
        Some(ErrorKind::NotConfigured),
        "not configured: no URL, token or credentials (NotConfigured)",
    ),
    (5, Some(ErrorKind::InvalidUrl), "an invalid URL (InvalidUrl)"),
    (
        6,
        Some(ErrorKind::Certificate),
        "CA certificates that cannot be used (Certificate)",
    ),
    (
        7,
        Some(ErrorKind::Environment),
        "the environments file cannot be used (Environment)",
    ),
    (
        8,
        Some(ErrorKind::Login),
        "the login was refused or failed (Login)",
    ),
    (
        9,
        Some(ErrorKind::Connect),
        "the server could not be reached (Connect)",
    ),
    (10, Some(ErrorKind::Timeout), "a time-out (Timeout)"),
    (11, Some(ErrorKind::Tls), "TLS failed (Tls)"),
    (
        12,
        Some(ErrorKind::Http),
        "the server answered with an error status, e.g. 404 (Http)",
    ),
    (
        13,
        Some(ErrorKind::Decode),
        "an answer that could not be read (Decode)",
    ),
    (
        14,
        Some(ErrorKind::LocalFile),
        "a local file that cannot be read or written (LocalFile)",
    ),
    (
        JOB_FAILED_CODE,
        None,
        "the Job ended FAILED (--wait, wait-for-instance), or the task ended with an exit code other than 0 (wait-for-task)",
    ),
    (INTERRUPTED_CODE, None, "interrupted (Ctrl-C)"),
];

/// The exit code of a Job that ended `FAILED`, or of a task that ended with an exit code
/// other than 0.
const JOB_FAILED_CODE: u8 = 15;
/// The exit code after Ctrl-C.
const INTERRUPTED_CODE: u8 = 130;

/// The exit code of an error of `kind`, from [`EXIT_CODES`]; 1 for a kind not listed.
fn exit_code_of(kind: ErrorKind) -> u8 {
    EXIT_CODES
        .iter()
        .find(|(_, k, _)| *k == Some(kind))
        .map_or(1, |(code, _, _)| *code)
}

impl Failure {
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Sdk(e) => exit_code_of(e.kind()),
            Failure::Input(_) => exit_code_of(ErrorKind::InvalidInput),
            Failure::NotConfigured(_) => exit_code_of(ErrorKind::NotConfigured),
            Failure::JobFailed(..) | Failure::TaskFailed(..) => JOB_FAILED_CODE,
            Failure::Interrupted => INTERRUPTED_CODE,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Sdk(e) => write!(f, "{e}"),
            Failure::Input(m) | Failure::NotConfigured(m) => f.write_str(m),
            Failure::JobFailed(id, instance) => write!(
                f,
                "the Job of instance {id} ended {}: {}",
                instance["phase"].as_str().unwrap_or("FAILED"),
                instance["error_message"]
                    .as_str()
                    .unwrap_or("no error message")
            ),
            Failure::TaskFailed(id, task) => {
                let last = task["states"]
                    .as_array()
                    .and_then(|states| states.last())
                    .and_then(|state| state["message"].as_str())
                    .unwrap_or("no message");
                write!(
                    f,
                    "task {id} ended with exit code {}: {last}",
                    task["exit_code"]
                )
            }
            Failure::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl From<squonk2::Error> for Failure {
    fn from(e: squonk2::Error) -> Self {
        Failure::Sdk(e)
    }
}

/// What every command is run with: the global options. The client is made only by the
/// command that needs one (so that `--help`, `auth` and bad usage need no configuration).
pub(crate) struct Cx {
    environment: Option<String>,
}

impl Cx {
    pub(crate) fn new(environment: Option<String>, quiet: bool) -> Cx {
        QUIET.store(quiet, Ordering::Relaxed);
        Cx { environment }
    }

    /// A new client (a command makes its one client, once: each call builds another, and
    /// may ask for a password again).
    pub(crate) fn client(&self) -> Result<Client, Failure> {
        build_client(self.environment.as_deref())
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `-e NAME` (or `SQUONK2_ENVIRONMENT`): an entry of the environments file. Otherwise the
/// SDK's variables (`SQUONK2_DMAPI_URL`, ...) with `SQUONK2_TOKEN`, or Keycloak and a user
/// whose password is in `SQUONK2_KEYCLOAK_USER_PASSWORD` or typed at a prompt.
fn build_client(environment: Option<&str>) -> Result<Client, Failure> {
    if let Some(name) = environment.map(str::to_string).or_else(|| var(ENVIRONMENT)) {
        return Ok(Client::from_environment(Some(&name))?);
    }
    let mut builder = ClientBuilder::from_env();
    if let Some(token) = var(TOKEN) {
        builder = builder.access_token(token);
    } else if let Some(keycloak) = var(KEYCLOAK_URL) {
        let user = var(USER).ok_or_else(|| {
            Failure::NotConfigured(format!("{KEYCLOAK_URL} is set but {USER} is not"))
        })?;
        let password = secret(PASSWORD, &format!("{user}'s password"))?;
        builder = builder
            .keycloak(
                keycloak,
                var(KEYCLOAK_REALM).unwrap_or_else(|| "squonk2".into()),
            )
            .dm_client_id(var(DM_CLIENT_ID).unwrap_or_else(|| "data-manager-api".into()))
            .as_client_id(var(AS_CLIENT_ID).unwrap_or_else(|| "account-server-api".into()))
            .credentials(user, password);
        if let Some(secret) = var(CLIENT_SECRET) {
            builder = builder.keycloak_client_secret(secret);
        }
    }
    Ok(builder.build()?)
}

/// A secret from the variable `name`, else typed at a terminal prompt (without echo), else
/// a failure saying which variable to set.
pub(crate) fn secret(name: &str, what: &str) -> Result<String, Failure> {
    if let Some(value) = var(name) {
        return Ok(value);
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let typed = rpassword::prompt_password(format!("{what}: "))
            .map_err(|e| Failure::Input(format!("cannot read {what}: {e}")))?;
        if !typed.is_empty() {
            return Ok(typed);
        }
    }
    Err(Failure::NotConfigured(format!(
        "{what} is needed: set {name} (secrets are never taken from the command line), or run \
         on a terminal to be asked for it"
    )))
}

/// A secret that may be left out: the variable's value, if set.
pub(crate) fn optional_secret(name: &str) -> Option<String> {
    var(name)
}

/// The secrets a command reads, for its help.
pub(crate) fn secret_help(group: &str, name: &str) -> String {
    match (group, name) {
        ("auth", "get_access_token") => format!(
            "The password is read from {PASSWORD} or typed at a prompt; the client secret from \
             {CLIENT_SECRET}, a prior token from {PRIOR_TOKEN}. Secrets are never taken from the \
             command line."
        ),
        ("dm", "get_unmanaged_project_file_with_token") => {
            format!("The token is read from {FILE_TOKEN} or typed at a prompt.")
        }
        ("dm", "delete_instance_token") => {
            format!("The token is read from {INSTANCE_TOKEN} or typed at a prompt.")
        }
        ("dm", "start_job_instance" | "dry_run_job_instance") => {
            format!("A callback token, if any, is read from {CALLBACK_TOKEN}.")
        }
        _ => String::new(),
    }
}

/// The options that would put a secret on the command line, where every user of the machine
/// sees it in the process list: refused, saying where to put it instead.
pub(crate) const SECRET_OPTIONS: &[(&str, &str)] = &[
    ("password", PASSWORD),
    ("user-password", PASSWORD),
    ("keycloak-user-password", PASSWORD),
    ("token", TOKEN),
    ("access-token", TOKEN),
    ("client-secret", CLIENT_SECRET),
    ("keycloak-client-secret", CLIENT_SECRET),
    ("callback-token", CALLBACK_TOKEN),
    ("prior-token", PRIOR_TOKEN),
];

/// `--is-secret` content given on the command line is refused: `--content-file` instead.
pub(crate) fn check_secret_content(
    is_secret: bool,
    content_string: &Option<String>,
) -> Result<(), Failure> {
    if is_secret && content_string.is_some() {
        return Err(Failure::Input(
            "a secret asset's content is not taken from the command line: use --content-file"
                .into(),
        ));
    }
    Ok(())
}

/// `JSON_STRING` or `PROTOCOL_STRING` (the default).
pub(crate) fn event_format(name: Option<&str>) -> Result<as_api::EventStreamFormat, Failure> {
    match name {
        None | Some("PROTOCOL_STRING") => Ok(as_api::EventStreamFormat::ProtocolString),
        Some("JSON_STRING") => Ok(as_api::EventStreamFormat::JsonString),
        Some(other) => Err(Failure::Input(format!(
            "{other:?} is not an event format: JSON_STRING or PROTOCOL_STRING"
        ))),
    }
}

/// The rates of `set-job-exchange-rates`: a JSON array of
/// `{"collection", "job", "version", "rate"[, "comment"]}`.
pub(crate) fn exchange_rates(rates: &Value) -> Result<Vec<JobExchangeRate>, Failure> {
    let bad = || {
        Failure::Input(
            "RATES must be a JSON array of {\"collection\", \"job\", \"version\", \"rate\"[, \
             \"comment\"]} (strings)"
                .into(),
        )
    };
    let items = rates.as_array().ok_or_else(bad)?;
    items
        .iter()
        .map(|item| {
            let text = |key: &str| -> Result<String, Failure> {
                match &item[key] {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) if key == "rate" => Ok(n.to_string()),
                    _ => Err(bad()),
                }
            };
            Ok(JobExchangeRate {
                collection: text("collection")?,
                job: text("job")?,
                version: text("version")?,
                rate: text("rate")?,
                comment: item["comment"].as_str().map(str::to_string),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Transfers: progress and Ctrl-C.

static QUIET: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// The destination of the download under way, for the Ctrl-C handler.
static DOWNLOADING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The payload of the panic a progress callback raises after Ctrl-C: it unwinds through
/// the SDK, which removes the download's `.part` file, to `main`, which exits with 130.
pub(crate) struct Interrupt;

/// Ctrl-C (and SIGTERM): during a download, stop it through its progress callback and, if
/// it does not move within a second (a stalled server), remove its partial file here; then
/// exit with 130.
pub(crate) fn install_interrupt_handler() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<Interrupt>().is_none() {
            default_hook(info);
        }
    }));
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let downloading = DOWNLOADING.lock().ok().and_then(|d| d.clone());
        if let Some(destination) = downloading {
            std::thread::sleep(Duration::from_secs(1));
            remove_partial_files(&destination);
        }
        eprintln!("\nsquonk2: interrupted");
        std::process::exit(130);
    });
}

/// Removes the SDK's temporary files of this process for `destination`:
/// `.{file name}.{process id in hex}{...}.part` beside it.
fn remove_partial_files(destination: &Path) {
    let Some(name) = destination.file_name() else {
        return;
    };
    let dir = match destination.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let prefix = format!(".{}.{:x}", name.to_string_lossy(), std::process::id());
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().to_string();
            if file.starts_with(&prefix) && file.ends_with(".part") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// A progress callback: raises [`Interrupt`] after Ctrl-C, and draws a bar (bytes, rate,
/// time left) on stderr when it is a terminal.
fn progress(label: &'static str) -> Progress {
    let draw = std::io::stderr().is_terminal() && !QUIET.load(Ordering::Relaxed);
    let mut bar = Bar::new(label);
    Progress::new(move |done, total| {
        if INTERRUPTED.load(Ordering::SeqCst) {
            std::panic::panic_any(Interrupt);
        }
        if draw {
            bar.update(done, total);
        }
    })
}

struct Bar {
    label: &'static str,
    start: Instant,
    last_draw: Option<Instant>,
    last_done: u64,
    drawn: bool,
}

impl Bar {
    fn new(label: &'static str) -> Bar {
        Bar {
            label,
            start: Instant::now(),
            last_draw: None,
            last_done: 0,
            drawn: false,
        }
    }

    fn update(&mut self, done: u64, total: u64) {
        let finished = total > 0 && done >= total;
        if done < self.last_done {
            // The next file of an upload of several.
            if self.drawn {
                eprintln!();
            }
            self.start = Instant::now();
        } else if finished && done == self.last_done && !self.drawn {
            // The end, reported again.
            return;
        }
        self.last_done = done;
        let now = Instant::now();
        if !finished
            && self
                .last_draw
                .is_some_and(|t| now - t < Duration::from_millis(100))
        {
            return;
        }
        self.last_draw = Some(now);
        let secs = self.start.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let mut line = format!("\r{} {}", self.label, human(done as f64));
        if total > 0 {
            let width = 24;
            let filled = ((done.min(total) as f64 / total as f64) * width as f64) as usize;
            line = format!(
                "\r{} [{}{}] {} / {} {:>3}%",
                self.label,
                "#".repeat(filled),
                "-".repeat(width - filled),
                human(done as f64),
                human(total as f64),
                done.min(total) * 100 / total
            );
        }
        line.push_str(&format!("  {}/s", human(rate)));
        if total > done && rate > 0.0 {
            let left = (total - done) as f64 / rate;
            line.push_str(&format!("  {:.0} s left", left.ceil()));
        }
        eprint!("{line}\x1b[K");
        self.drawn = true;
        if finished {
            eprintln!();
            self.drawn = false;
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if self.drawn {
            eprintln!();
        }
    }
}

fn human(bytes: f64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// An upload, given its progress callback.
pub(crate) fn upload<R: IntoAnswer>(
    call: impl FnOnce(Option<Progress>) -> R,
) -> Result<Value, Failure> {
    call(Some(progress("uploading"))).into_answer()
}

/// A download into `destination`, given its progress callback; Ctrl-C leaves no partial file.
pub(crate) fn download<R: IntoAnswer>(
    destination: &Path,
    call: impl FnOnce(Option<Progress>) -> R,
) -> Result<Value, Failure> {
    if let Ok(mut d) = DOWNLOADING.lock() {
        *d = Some(destination.to_path_buf());
    }
    let answer = call(Some(progress("downloading"))).into_answer();
    if let Ok(mut d) = DOWNLOADING.lock() {
        *d = None;
    }
    answer
}

// ---------------------------------------------------------------------------------------
// Jobs and waits.

fn wait_options<T: 'static>(
    timeout: Option<Duration>,
    poll_interval: Option<Duration>,
    on_poll: Option<OnPoll<T>>,
) -> WaitOptions<T> {
    let default = WaitOptions::<T>::default();
    WaitOptions {
        timeout: timeout.unwrap_or(default.timeout),
        poll_interval: poll_interval.unwrap_or(default.poll_interval),
        on_poll,
    }
}

/// A wait's poll callback: raises [`Interrupt`] after Ctrl-C, and shows `what` of each
/// answer (`describe`) on stderr when it changes (unless `-q`), and failed polls.
fn show_changes<T>(
    what: &'static str,
    describe: impl Fn(&T) -> String + Send + 'static,
) -> impl FnMut(Result<&T, &squonk2::Error>) + Send + 'static {
    let quiet = QUIET.load(Ordering::Relaxed);
    let mut last = String::new();
    move |poll| {
        if INTERRUPTED.load(Ordering::SeqCst) {
            std::panic::panic_any(Interrupt);
        }
        match poll {
            Ok(answer) => {
                let now = describe(answer);
                if !now.is_empty() && now != last && !quiet {
                    eprintln!("{what}: {now}");
                }
                last = now;
            }
            Err(e) if !quiet => eprintln!("a poll failed (trying again): {e}"),
            Err(_) => {}
        }
    }
}

/// Waits for an instance, showing its phase on stderr as it changes; a Job that ended
/// `FAILED` is a failure (exit code 15).
pub(crate) fn wait_for_instance(
    client: &Client,
    instance_id: &str,
    timeout: Option<Duration>,
    poll_interval: Option<Duration>,
) -> Result<Value, Failure> {
    let on_poll = OnPoll::for_instance(show_changes("phase", |instance: &InstanceGetResponse| {
        instance.phase.to_string()
    }));
    let instance = dm_api::wait_for_instance(
        client,
        instance_id,
        &wait_options(timeout, poll_interval, Some(on_poll)),
    )
    .into_answer()?;
    if instance["phase"].as_str() == Some("FAILED") {
        return Err(Failure::JobFailed(instance_id.to_string(), instance));
    }
    Ok(instance)
}

/// Waits for a task to be done, showing its latest state on stderr as it changes; a task
/// that ended with an exit code other than 0 is a failure (exit code 15).
pub(crate) fn wait_for_task(
    client: &Client,
    task_id: &str,
    timeout: Option<Duration>,
    poll_interval: Option<Duration>,
) -> Result<Value, Failure> {
    let on_poll = OnPoll::for_task(show_changes("state", |task: &TaskGetResponse| {
        task.states
            .as_ref()
            .and_then(|states| states.last())
            .map(|state| state.state.to_string())
            .unwrap_or_default()
    }));
    let task = dm_api::wait_for_task(
        client,
        task_id,
        &wait_options(timeout, poll_interval, Some(on_poll)),
    )
    .into_answer()?;
    if task["exit_code"].as_i64().is_some_and(|code| code != 0) {
        return Err(Failure::TaskFailed(task_id.to_string(), task));
    }
    Ok(task)
}

/// `start-job-instance`: the answer, or with `--wait` `{"instance_id", "task_id",
/// "instance"}` with the instance once it ended.
pub(crate) fn start_job<T>(
    client: &Client,
    wait: bool,
    timeout: Option<Duration>,
    poll_interval: Option<Duration>,
    started: ApiRv<T>,
) -> Result<Value, Failure> {
    let started = started.into_answer()?;
    if !wait {
        return Ok(started);
    }
    let Some(instance_id) = started["instance_id"].as_str() else {
        return Err(Failure::Input(format!(
            "the answer names no instance to wait for: {started}"
        )));
    };
    if !QUIET.load(Ordering::Relaxed) {
        eprintln!("started instance {instance_id}");
    }
    let instance = wait_for_instance(client, instance_id, timeout, poll_interval)?;
    Ok(serde_json::json!({
        "instance_id": instance_id,
        "task_id": started["task_id"],
        "instance": instance,
    }))
}
