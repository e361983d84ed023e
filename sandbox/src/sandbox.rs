//! [`Sandbox`], the running server, and [`SandboxBuilder`].

use std::io;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::watch;

use crate::error::Error;
use crate::fault::{FaultId, FaultRule, FaultStatus};
use crate::keycloak;
use crate::keys;
use crate::record::RecordedRequest;
use crate::server;
use crate::state::{lock, AppState, Lifetimes, SandboxUser, Shared};
use crate::{AS_CLIENT_ID, DM_CLIENT_ID, REALM};

/// The default access token lifetime.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(300);
/// The default refresh token lifetime.
const DEFAULT_REFRESH_LIFETIME: Duration = Duration::from_secs(1800);
/// The default bound of the request log.
const DEFAULT_MAX_RECORDED_REQUESTS: usize = 10_000;

/// Options for a [`Sandbox`]; from [`Sandbox::builder`].
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    port: u16,
    https: bool,
    lifetimes: Lifetimes,
    max_recorded_requests: usize,
    data_dir: Option<PathBuf>,
    job_duration: Duration,
    max_recorded_bytes: usize,
    server: server::ServerOptions,
    fixture: Option<Fixture>,
    clock_stopped: bool,
}

/// Where a builder's fixture comes from.
#[derive(Debug, Clone)]
enum Fixture {
    File(PathBuf),
    Yaml(String),
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            port: 0,
            https: false,
            lifetimes: Lifetimes {
                access: DEFAULT_TOKEN_LIFETIME,
                refresh: DEFAULT_REFRESH_LIFETIME,
            },
            max_recorded_requests: DEFAULT_MAX_RECORDED_REQUESTS,
            data_dir: None,
            job_duration: crate::dm::state::DEFAULT_JOB_DURATION,
            max_recorded_bytes: crate::record::DEFAULT_MAX_LOG_BYTES,
            server: server::ServerOptions::default(),
            fixture: None,
            clock_stopped: false,
        }
    }
}

impl SandboxBuilder {
    /// The port to listen on, on 127.0.0.1; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Serves HTTPS with the sandbox's self-signed certificate
    /// ([`Sandbox::ca_certificate_pem`]) instead of plain HTTP.
    pub fn https(mut self, on: bool) -> Self {
        self.https = on;
        self
    }

    /// The lifetime of access tokens (default 300 s; whole seconds).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetimes.access = lifetime;
        self
    }

    /// The lifetime of refresh tokens (default 1800 s; whole seconds).
    pub fn refresh_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetimes.refresh = lifetime;
        self
    }

    /// How many requests the log keeps before forgetting the oldest (default 10 000).
    pub fn max_recorded_requests(mut self, max: usize) -> Self {
        self.max_recorded_requests = max;
        self
    }

    /// About how much memory the request log may hold, in bytes (default 64 MiB), counting
    /// its strings, decoded bodies and part contents; past it the oldest requests are
    /// forgotten, as past [`max_recorded_requests`](Self::max_recorded_requests).
    pub fn max_recorded_bytes(mut self, max: usize) -> Self {
        self.max_recorded_bytes = max;
        self
    }

    /// Whether to answer CORS preflights and let browser apps of any origin read the
    /// answers (default on), for a web app on a development server. Off, `OPTIONS`
    /// requests go to the APIs like any other and answers carry no CORS headers.
    pub fn cors(mut self, on: bool) -> Self {
        self.server.cors = on;
        self
    }

    /// How many connections are served at once (default 256, at least 1). A connection
    /// past them gets a 503 `{"error": ...}` (over HTTPS: is closed) at once.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.server.max_connections = max;
        self
    }

    /// How long a connection may take to send a request's head (its request line and
    /// headers), and may stay idle between requests, before it is closed (default 30 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.server.header_read_timeout = timeout;
        self
    }

    /// The directory for the Data Manager's project files. It is made if missing and kept
    /// when the sandbox stops. By default each sandbox makes a fresh directory in the
    /// system's temporary directory and removes it when dropped.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// The time a Job instance takes from launch to its end (default 2 s): a quarter
    /// PENDING, the rest RUNNING. Tests make it short; [`Sandbox::set_job_duration`]
    /// changes it later.
    pub fn job_duration(mut self, duration: Duration) -> Self {
        self.job_duration = duration;
        self
    }

    /// Preloads users, organisations (with units and products) and projects (with files)
    /// from a YAML fixture file, on top of what every sandbox starts with (the users
    /// [`Sandbox::users`] lists and the organisation [`SANDBOX_ORG_ID`](crate::SANDBOX_ORG_ID)).
    /// `source` files named in it are found relative to the file. The format is in the
    /// crate's `FIXTURES.md`; [`start`](SandboxBuilder::start) fails with
    /// [`ErrorKind::Fixture`](crate::ErrorKind::Fixture) when the fixture is wrong.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = std::env::temp_dir().join(format!("fixture-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let file = dir.join("team.yaml");
    /// std::fs::write(&file, "users:\n  - {username: carol, password: carol-pw}\n")?;
    /// let sandbox = squonk2_sandbox::Sandbox::builder().fixture(&file).start()?;
    /// assert!(sandbox.users().iter().any(|u| u.username == "carol"));
    /// # drop(sandbox);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn fixture(mut self, file: impl Into<PathBuf>) -> Self {
        self.fixture = Some(Fixture::File(file.into()));
        self
    }

    /// Like [`fixture`](SandboxBuilder::fixture), with the YAML given as text (`source`
    /// files are then relative to the current directory).
    pub fn fixture_yaml(mut self, yaml: impl Into<String>) -> Self {
        self.fixture = Some(Fixture::Yaml(yaml.into()));
        self
    }

    /// Starts the sandbox with its clock stopped (default: running): time then moves only
    /// when the test moves it ([`Sandbox::advance_clock`]), so tokens never expire and
    /// instances and Datasets never progress by themselves. See [`Sandbox::stop_clock`].
    pub fn clock_stopped(mut self, stopped: bool) -> Self {
        self.clock_stopped = stopped;
        self
    }

    /// Binds the port and starts serving in a background thread. Fails with
    /// [`ErrorKind::PortInUse`](crate::ErrorKind::PortInUse) when the port is taken,
    /// [`ErrorKind::Fixture`](crate::ErrorKind::Fixture) when the fixture is wrong.
    pub fn start(self) -> Result<Sandbox, Error> {
        Ok(self.start_io()?)
    }

    fn start_io(self) -> io::Result<Sandbox> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, self.port))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let scheme = if self.https { "https" } else { "http" };
        let base_url = format!("{scheme}://127.0.0.1:{port}");
        let shared: AppState = Arc::new(Shared::new(
            base_url,
            self.lifetimes,
            self.max_recorded_requests,
        )?);
        shared.log.set_max_bytes(self.max_recorded_bytes);
        shared.clock.freeze(self.clock_stopped);
        let data_dir = DataDir::new(self.data_dir, port)?;
        {
            let mut dm = lock(&shared.dm);
            dm.data_dir = data_dir.path.clone();
            dm.job_duration = self.job_duration;
        }
        let invalid = |what: &str, e: String| {
            io::Error::new(io::ErrorKind::InvalidData, format!("fixture {what}: {e}"))
        };
        crate::fixture::load(&shared, crate::fixture::STARTING_FIXTURE, ".".as_ref())
            .map_err(|e| invalid("(the starting one)", e))?;
        match &self.fixture {
            Some(Fixture::File(file)) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| invalid(&file.display().to_string(), e.to_string()))?;
                let dir = file.parent().unwrap_or_else(|| ".".as_ref());
                crate::fixture::load(&shared, &text, dir)
                    .map_err(|e| invalid(&file.display().to_string(), e))?;
            }
            Some(Fixture::Yaml(text)) => crate::fixture::load(&shared, text, ".".as_ref())
                .map_err(|e| invalid("(YAML text)", e))?,
            None => {}
        }
        let tls = if self.https {
            Some(server::tls_acceptor()?)
        } else {
            None
        };

        let clock = shared.clock.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .on_thread_start(move || crate::clock::install(clock.clone()))
            .worker_threads(2)
            .thread_name("squonk2-sandbox-worker")
            .enable_all()
            .build()?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let (stop, stopped) = watch::channel(false);
        let router = server::router(shared.clone());
        let serving = shared.clone();
        let options = self.server;
        let thread = std::thread::Builder::new()
            .name("squonk2-sandbox".into())
            .spawn(move || {
                crate::clock::install(serving.clock.clone());
                runtime.block_on(server::serve(
                    listener, tls, router, serving, options, stopped,
                ));
                // Connections have been told to close; don't wait long for stragglers.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(Sandbox {
            shared,
            port,
            stop: Some(stop),
            thread: Some(thread),
            data_dir,
        })
    }
}

/// A running sandbox: Keycloak, the Data Manager, Account Server and UI APIs
/// on one port of 127.0.0.1. Dropping it stops the server and closes every
/// connection, hanging ones included.
///
/// See the [crate documentation](crate) for an example.
pub struct Sandbox {
    pub(crate) shared: AppState,
    port: u16,
    stop: Option<watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
    data_dir: DataDir,
}

/// The Data Manager's data directory, removed on drop when the sandbox made it.
struct DataDir {
    path: PathBuf,
    remove: bool,
}

impl DataDir {
    fn new(chosen: Option<PathBuf>, port: u16) -> io::Result<DataDir> {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let (path, remove) = match chosen {
            Some(path) => (path, false),
            None => (
                std::env::temp_dir().join(format!(
                    "squonk2-sandbox-{}-{port}-{}",
                    std::process::id(),
                    COUNT.fetch_add(1, Ordering::Relaxed)
                )),
                true,
            ),
        };
        std::fs::create_dir_all(&path)?;
        Ok(DataDir { path, remove })
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A handle on a running sandbox's state for its HTTP controls: dropping it stops and
    /// removes nothing.
    pub(crate) fn view(shared: AppState) -> Sandbox {
        let port = shared
            .base_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let path = lock(&shared.dm).data_dir.clone();
        Sandbox {
            shared,
            port,
            stop: None,
            thread: None,
            data_dir: DataDir {
                path,
                remove: false,
            },
        }
    }

    /// Starts a plain-HTTP sandbox on a free port with default settings.
    pub fn start() -> Result<Sandbox, Error> {
        Sandbox::builder().start()
    }

    /// Options for a sandbox; finish with [`SandboxBuilder::start`].
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, or `https://...` when serving HTTPS.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Keycloak's URL: the base URL + `/auth`.
    pub fn keycloak_url(&self) -> String {
        format!("{}/auth", self.shared.base_url)
    }

    /// The Data Manager API's URL: the base URL + `/data-manager-api`.
    pub fn dm_api_url(&self) -> String {
        format!("{}/data-manager-api", self.shared.base_url)
    }

    /// The Account Server API's URL: the base URL + `/account-server-api`.
    pub fn as_api_url(&self) -> String {
        format!("{}/account-server-api", self.shared.base_url)
    }

    /// The UI API's URL: the base URL + `/data-manager-ui/api`.
    pub fn ui_api_url(&self) -> String {
        format!("{}{}", self.shared.base_url, crate::ui::PREFIX)
    }

    /// The directory holding the Data Manager's project directories (one per project, named
    /// by its id) and staged uploads.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.path.clone()
    }

    /// The Keycloak realm, [`REALM`].
    pub fn realm(&self) -> &str {
        REALM
    }

    /// The users Keycloak accepts.
    pub fn users(&self) -> Vec<SandboxUser> {
        lock(&self.shared.users).clone()
    }

    /// Adds a user, or replaces the password and admin flag of an existing one.
    pub fn add_user(&self, username: &str, password: &str, may_be_admin: bool) {
        let mut users = lock(&self.shared.users);
        let user = SandboxUser {
            username: username.to_owned(),
            password: password.to_owned(),
            may_be_admin,
        };
        match users
            .iter_mut()
            .find(|u| u.username.eq_ignore_ascii_case(username))
        {
            Some(existing) => *existing = user,
            None => users.push(user),
        }
    }

    /// Makes the token endpoint require `secret` from `client_id` (`None`: a
    /// public client, no secret needed). An unknown `client_id` becomes a new
    /// client, whose tokens the DM and AS APIs reject as issued for another client.
    pub fn set_client_secret(&self, client_id: &str, secret: Option<&str>) {
        lock(&self.shared.clients).insert(client_id.to_owned(), secret.map(str::to_owned));
    }

    /// The lifetime of access tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.shared.lifetimes).access = lifetime;
    }

    /// The lifetime of refresh tokens issued from now on.
    pub fn set_refresh_lifetime(&self, lifetime: Duration) {
        lock(&self.shared.lifetimes).refresh = lifetime;
    }

    /// Moves the deployment's clock `offset_secs` seconds ahead of this machine's (negative:
    /// behind), as on a deployment whose clock differs from the client's. Keycloak's token
    /// claims (`exp`, `iat`) and the APIs' check of `exp` read the moved clock; `expires_in`
    /// is still the lifetime. With an offset of -600, a 300 s token's `exp` is already past
    /// by this machine's clock though the APIs accept it for 300 s. It sets the sandbox's
    /// one clock (as [`set_clock`](Self::set_clock) does), so everything else follows it too.
    pub fn set_clock_offset(&self, offset_secs: i64) {
        let offset = jiff::SignedDuration::from_secs(offset_secs);
        let to = jiff::Timestamp::now()
            .checked_add(offset)
            .unwrap_or(jiff::Timestamp::now());
        self.shared.clock.set(to);
    }

    /// Ends every Keycloak session of `username` (as an administrator's "sign out" or a
    /// password change does): the access and refresh tokens of the user's logins so far are
    /// refused from now on (the APIs answer 401, a refresh `invalid_grant`); a new login
    /// works.
    pub fn revoke_sessions(&self, username: &str) {
        let sessions = lock(&self.shared.sessions)
            .remove(&username.to_lowercase())
            .unwrap_or_default();
        lock(&self.shared.revoked_sessions).extend(sessions);
    }

    /// A signed access token for `username` issued to `client_id`, valid for
    /// `lifetime` (whole seconds; zero gives an already expired token). The
    /// user need not exist.
    pub fn issue_token(&self, username: &str, client_id: &str, lifetime: Duration) -> String {
        self.issue_token_expiring_at(
            username,
            client_id,
            self.shared.clock_secs().saturating_add(lifetime.as_secs()),
        )
    }

    /// A signed access token for `username` issued to `client_id`, expiring at
    /// `exp` (seconds since the Unix epoch).
    pub fn issue_token_expiring_at(&self, username: &str, client_id: &str, exp: u64) -> String {
        let session = self.shared.key.random_uuid();
        keycloak::access_token(&self.shared, username, client_id, &session, exp)
    }

    /// A signed refresh token for `username` issued to `client_id`, valid for
    /// `lifetime` (zero gives an already expired token).
    pub fn issue_refresh_token(
        &self,
        username: &str,
        client_id: &str,
        lifetime: Duration,
    ) -> String {
        let session = self.shared.key.random_uuid();
        let exp = self.shared.clock_secs().saturating_add(lifetime.as_secs());
        keycloak::refresh_token(&self.shared, username, client_id, &session, exp)
    }

    /// The realm's RSA public key as SubjectPublicKeyInfo DER (what the realm
    /// endpoint's `public_key` holds, base64-encoded).
    pub fn public_key_der(&self) -> Vec<u8> {
        keys::REALM_PUBLIC_SPKI_DER.to_vec()
    }

    /// The realm's RSA public key as SubjectPublicKeyInfo PEM.
    pub fn public_key_pem(&self) -> String {
        keys::REALM_PUBLIC_PEM.to_owned()
    }

    /// The self-signed certificate served over HTTPS, PEM; trust it as a root.
    pub fn ca_certificate_pem(&self) -> String {
        keys::TLS_CERT_PEM.to_owned()
    }

    /// The self-signed certificate served over HTTPS, DER.
    pub fn ca_certificate_der(&self) -> Vec<u8> {
        keys::TLS_CERT_DER.to_vec()
    }

    /// The request log, oldest first: the most recent requests, within
    /// [`SandboxBuilder::max_recorded_requests`] and [`SandboxBuilder::max_recorded_bytes`].
    /// A request's entry is complete once the client has its response.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.snapshot()
    }

    /// How many TCP connections the sandbox has accepted since it started (those turned away
    /// past [`SandboxBuilder::max_connections`] included): what a client opened, for
    /// checking that it keeps connections alive. `GET /_sandbox/connections` answers the
    /// same as `{"accepted": N}`.
    pub fn connections_accepted(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// The requests received after request `id` (a [`RecordedRequest::id`]), oldest first;
    /// `requests_since(0)` is the whole log.
    ///
    /// ```
    /// let sandbox = squonk2_sandbox::Sandbox::start()?;
    /// let mark = sandbox.requests().last().map_or(0, |r| r.id);
    /// // ... the code under test ...
    /// assert!(sandbox.requests_since(mark).is_empty());
    /// # Ok::<(), squonk2_sandbox::Error>(())
    /// ```
    pub fn requests_since(&self, id: u64) -> Vec<RecordedRequest> {
        self.shared.log.since(id)
    }

    /// Empties the request log (ids go on growing).
    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Adds a fault rule after the others; the first matching rule with requests left
    /// applies. Its id reads how often it applied ([`fault_hits`](Self::fault_hits)).
    ///
    /// ```
    /// use squonk2_sandbox::{Fault, FaultRule, Sandbox};
    /// let sandbox = Sandbox::start()?;
    /// let busy = sandbox.add_fault(FaultRule::new("/data-manager-api/instance/*", Fault::error(503, "busy")).times(2));
    /// assert_eq!(sandbox.fault_hits(busy), 0);
    /// assert_eq!(sandbox.faults()[0].remaining, Some(2));
    /// # Ok::<(), squonk2_sandbox::Error>(())
    /// ```
    pub fn add_fault(&self, fault: FaultRule) -> FaultId {
        lock(&self.shared.faults).add(fault)
    }

    /// The fault rules, in the order added, with how many requests each has affected and
    /// may still affect (rules used up stay listed, with none remaining).
    pub fn faults(&self) -> Vec<FaultStatus> {
        lock(&self.shared.faults).rules.clone()
    }

    /// How many requests the rule `id` has affected (0 for a rule removed or unknown).
    pub fn fault_hits(&self, id: FaultId) -> u32 {
        lock(&self.shared.faults)
            .rules
            .iter()
            .find(|s| s.id == id)
            .map_or(0, |s| s.hits)
    }

    /// Removes the rule `id`; false when there is none.
    pub fn remove_fault(&self, id: FaultId) -> bool {
        let mut faults = lock(&self.shared.faults);
        let before = faults.rules.len();
        faults.rules.retain(|s| s.id != id);
        faults.rules.len() != before
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).rules.clear();
    }

    /// An environments file for the Python client (and the squonk2 SDK)
    /// pointing at this sandbox, as the only and default environment.
    ///
    /// Both clients read it unchanged: `ui-hostname` carries the UI API's path, because the
    /// Python client (7.0.0) takes a UI hostname that starts with `http` as the whole URL,
    /// while the SDK adds the path only when it is missing.
    pub fn environments_yaml(&self) -> String {
        let base = &self.shared.base_url;
        let ui = crate::ui::PREFIX;
        let admin = lock(&self.shared.users)
            .iter()
            .find(|u| u.may_be_admin)
            .cloned();
        let mut yaml = format!(
            "---\n\
             default: sandbox\n\
             environments:\n  \
               sandbox:\n    \
                 keycloak-hostname: {base}\n    \
                 keycloak-realm: {REALM}\n    \
                 keycloak-dm-client-id: {DM_CLIENT_ID}\n    \
                 keycloak-as-client-id: {AS_CLIENT_ID}\n    \
                 dm-hostname: {base}\n    \
                 as-hostname: {base}\n    \
                 ui-hostname: {base}{ui}\n"
        );
        if let Some(admin) = admin {
            yaml.push_str(&format!(
                "    admin-user: {}\n    admin-password: {}\n",
                yaml_scalar(&admin.username),
                yaml_scalar(&admin.password)
            ));
        }
        yaml
    }
}

/// `value` as a YAML scalar: plain when that is unambiguous, else double-quoted.
fn yaml_scalar(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/@-".contains(c))
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.parse::<f64>().is_err()
        && !["true", "false", "yes", "no", "on", "off", "null", "y", "n"]
            .iter()
            .any(|word| value.eq_ignore_ascii_case(word));
    if plain {
        value.to_owned()
    } else {
        // A JSON string is a valid YAML double-quoted scalar.
        serde_json::Value::from(value).to_string()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
