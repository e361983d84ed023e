//! [`Client`]: base URLs, TLS settings, time-outs, one connection pool and the token source.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::encoding::{check_base_url, redact_url};
use crate::error::{Error, ErrorKind};
use crate::request::RetryPolicy;
use crate::token::{Bearer, KeycloakLogin, LoginSettings, Secret, Slot, TokenError};
use crate::transport::{new_agent, parse_pem_certificates, ProxyChoice, Reach};

/// The services a [`Client`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    Dm,
    As,
    Ui,
}

impl Api {
    pub(crate) fn short_name(self) -> &'static str {
        match self {
            Api::Dm => "DM",
            Api::As => "AS",
            Api::Ui => "UI",
        }
    }
}

/// Where an API's bearer token comes from.
#[derive(Clone)]
pub(crate) enum TokenSource {
    None,
    Fixed(Arc<Bearer>),
    Keycloak {
        login: Arc<KeycloakLogin>,
        slot: Arc<Slot>,
    },
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::None => f.write_str("None"),
            TokenSource::Fixed(_) => f.write_str("FixedToken(***)"),
            TokenSource::Keycloak { login, slot } => f
                .debug_struct("Keycloak")
                .field("url", &redact_url(&login.settings.keycloak_url))
                .field("realm", &login.settings.realm)
                .field("client_id", &slot.client_id())
                .field("username", &login.settings.username)
                .finish_non_exhaustive(),
        }
    }
}

#[derive(Clone)]
struct ApiConfig {
    url: Option<String>,
    /// Why `url` cannot be used, worked out when it is set rather than on every call.
    url_problem: Option<String>,
    verify_ssl_cert: bool,
    token: TokenSource,
}

impl ApiConfig {
    /// Sets the base URL (an empty one is none), and why it cannot be used if it cannot.
    fn set_url(&mut self, url: Option<String>) {
        self.url = url.filter(|u| !u.is_empty());
        self.url_problem = self.url.as_deref().and_then(|u| check_base_url(u).err());
    }
}

impl fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiConfig")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("verify_ssl_cert", &self.verify_ssl_cert)
            .field("token", &self.token)
            .finish()
    }
}

/// The HTTP agents: one verifying TLS certificates, and one that does not, made only when an
/// API is configured not to verify. Both trust the same roots and use the same proxy.
struct Agents {
    reach: Reach,
    verifying: ureq::Agent,
    non_verifying: OnceLock<ureq::Agent>,
    /// Whether the client warned that it does not verify certificates of the DM, AS, UI
    /// and Keycloak ([D21](crate::python_differences)): once each, at the first request.
    warned: [AtomicBool; 4],
}

impl Agents {
    fn new(reach: Reach) -> Agents {
        Agents {
            verifying: new_agent(true, &reach),
            reach,
            non_verifying: OnceLock::new(),
            warned: Default::default(),
        }
    }

    /// The agent for a service (`which`: 0 to 3 for DM, AS, UI, Keycloak, named `name`) at
    /// `url`; the first request that does not verify certificates is a `warn` record.
    fn get(&self, verify_ssl_cert: bool, which: usize, name: &str, url: &str) -> &ureq::Agent {
        if verify_ssl_cert {
            return &self.verifying;
        }
        if !self.warned[which].swap(true, Ordering::Relaxed) {
            log::warn!(
                target: "squonk2",
                "TLS certificates of the {name} ({}) are not verified: whoever is between here and there can read and change the traffic, tokens included",
                redact_url(url)
            );
        }
        self.non_verifying
            .get_or_init(|| new_agent(false, &self.reach))
    }
}

/// A connection to one Squonk2 deployment: the Data Manager, Account Server and UI base URLs,
/// TLS verification per API, the default time-out, a connection pool, and where bearer tokens
/// come from (a fixed token, or Keycloak credentials with a cached token that is renewed
/// before it expires).
///
/// `Client` is cheap to clone (clones share the pool and the token cache) and can be used
/// from many threads at once.
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use squonk2::Client;
///
/// let client = Client::builder()
///     .dm_api_url("https://squonk.example.com/data-manager-api")
///     .keycloak("https://squonk.example.com/auth", "squonk")
///     .dm_client_id("data-manager-api")
///     .credentials("alice", "her-password")
///     .build()?;
/// let project = squonk2::dm_api::get_version(&client).into_result()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    dm: ApiConfig,
    as_: ApiConfig,
    ui: ApiConfig,
    timeout: Option<Duration>,
    debug_requests: bool,
    retry: RetryPolicy,
    agents: Arc<Agents>,
    credentials: Credentials,
}

/// Where the client's Keycloak credentials came from, for saying why an API has no token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Credentials {
    None,
    Given,
    FromEnvironmentsFile,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("dm", &self.dm)
            .field("as", &self.as_)
            .field("ui", &self.ui)
            .field("timeout", &self.timeout)
            .field("debug_requests", &self.debug_requests)
            .field("retry", &self.retry)
            .field("reach", &self.agents.reach)
            .finish_non_exhaustive()
    }
}

/// The environment variable naming a PEM file of certificates to trust besides the roots.
pub(crate) const CA_BUNDLE_VARIABLE: &str = "SQUONK2_CA_BUNDLE";

fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Whether the variable `name` asks for certificate verification ([D21](crate::python_differences)):
/// `yes`, `true`, `1`, `on` (any case) verify; `no`, `false`, `0`, `off` don't; unset or
/// empty verify; anything else verifies and is a `warn` record. (The Python client turns
/// verification off for anything but `yes`, so `true` and `1` meant off.)
fn env_verify(name: &str) -> bool {
    let Some(value) = env_value(name) else {
        return true;
    };
    parse_verify(name, &value)
}

fn parse_verify(name: &str, value: &str) -> bool {
    match value.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "on" => true,
        "no" | "false" | "0" | "off" => false,
        _ => {
            log::warn!(
                target: "squonk2",
                "{name}={value:?} is neither yes/true/1/on nor no/false/0/off: TLS certificates are verified"
            );
            true
        }
    }
}

pub(crate) fn debug_requests_from_env() -> bool {
    std::env::var("SQUONK2_API_DEBUG_REQUESTS")
        .map(|v| v.eq_ignore_ascii_case("yes"))
        .unwrap_or(false)
}

impl Client {
    /// A builder with nothing set but `SQUONK2_API_DEBUG_REQUESTS`.
    #[must_use]
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from the same environment variables the Python client reads:
    /// `SQUONK2_DMAPI_URL`, `SQUONK2_ASAPI_URL`, `SQUONK2_UIAPI_URL`, the matching
    /// `SQUONK2_*API_VERIFY_SSL_CERT` (`no`, `false`, `0` or `off`, any case, turn
    /// certificate verification off; `yes`, `true`, `1`, `on` or unset keep it on; anything
    /// else keeps it on with a `warn` record: [D21](crate::python_differences)) and
    /// `SQUONK2_API_DEBUG_REQUESTS`, and this crate's `SQUONK2_CA_BUNDLE`
    /// (a PEM file of certificates to trust besides the bundled roots). It has no token: use
    /// [`ClientBuilder::from_env`] to add one.
    ///
    /// # Errors
    ///
    /// As [`ClientBuilder::build`]: an invalid URL, or a `SQUONK2_CA_BUNDLE` that cannot be
    /// read or holds no certificate.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env().build()
    }

    /// A client for one environment of the environments file (see [`crate::environment`]):
    /// its DM, AS and UI URLs, its Keycloak, and its admin user and password as credentials.
    /// `None` picks the file's default environment.
    ///
    /// # Errors
    ///
    /// When the environments file cannot be read or has no such environment, or as
    /// [`ClientBuilder::build`].
    #[cfg(feature = "environment")]
    #[cfg_attr(docsrs, doc(cfg(feature = "environment")))]
    pub fn from_environment(name: Option<&str>) -> Result<Client, Error> {
        ClientBuilder::from_environment(name)?.build()
    }

    fn api(&self, api: Api) -> &ApiConfig {
        match api {
            Api::Dm => &self.dm,
            Api::As => &self.as_,
            Api::Ui => &self.ui,
        }
    }

    fn api_mut(&mut self, api: Api) -> &mut ApiConfig {
        match api {
            Api::Dm => &mut self.dm,
            Api::As => &mut self.as_,
            Api::Ui => &mut self.ui,
        }
    }

    pub(crate) fn set_api_url(&mut self, api: Api, url: &str, verify_ssl_cert: bool) {
        let config = self.api_mut(api);
        config.set_url(Some(url.to_string()));
        config.verify_ssl_cert = verify_ssl_cert;
    }

    /// Why the base URL of `api` cannot be used (`None`: it can, or there is none).
    pub(crate) fn base_url_problem(&self, api: Api) -> Option<&str> {
        self.api(api).url_problem.as_deref()
    }

    pub(crate) fn get_api_url(&self, api: Api) -> (String, bool) {
        let config = self.api(api);
        (
            config.url.clone().unwrap_or_default(),
            config.verify_ssl_cert,
        )
    }

    pub(crate) fn base_url(&self, api: Api) -> Option<&str> {
        self.api(api).url.as_deref()
    }

    pub(crate) fn agent(&self, api: Api) -> &ureq::Agent {
        let config = self.api(api);
        let (which, name) = match api {
            Api::Dm => (0, "Data Manager API"),
            Api::As => (1, "Account Server API"),
            Api::Ui => (2, "UI API"),
        };
        let url = config.url.as_deref().unwrap_or_default();
        self.agents.get(config.verify_ssl_cert, which, name, url)
    }

    /// Which certificates the client trusts (for the event streams' websockets).
    #[cfg(feature = "event-stream")]
    pub(crate) fn reach(&self) -> &crate::transport::Reach {
        &self.agents.reach
    }

    pub(crate) fn debug_requests(&self) -> bool {
        self.debug_requests
    }

    /// The time-out for one call: the client's, when set, otherwise the call's own default.
    pub(crate) fn timeout_or(&self, default: Duration) -> Duration {
        self.timeout.unwrap_or(default)
    }

    /// Which failed requests are tried again.
    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The bearer token for `api`: `Ok(None)` when the client has no token source for it.
    /// A login it needs takes at most `timeout` (the time-out of the call that needs it).
    pub(crate) fn token(
        &self,
        api: Api,
        timeout: Duration,
    ) -> Result<Option<Arc<Bearer>>, TokenError> {
        match &self.api(api).token {
            TokenSource::None => Ok(None),
            TokenSource::Fixed(token) => Ok(Some(token.clone())),
            TokenSource::Keycloak { login, slot } => {
                let settings = &login.settings;
                let agent = self.agents.get(
                    settings.verify_ssl_cert,
                    3,
                    "Keycloak",
                    &settings.keycloak_url,
                );
                login.token(agent, slot, timeout).map(Some)
            }
        }
    }

    /// Whether `api`'s token comes from Keycloak, so that a 401 is answered by renewing it
    /// ([D22](crate::python_differences)); a fixed token is what it is.
    pub(crate) fn renews_token(&self, api: Api) -> bool {
        matches!(self.api(api).token, TokenSource::Keycloak { .. })
    }

    /// Drops `token` from the cache (when it is still the cached one): a server refused it.
    pub(crate) fn forget_token(&self, api: Api, token: &Bearer) {
        if let TokenSource::Keycloak { slot, .. } = &self.api(api).token {
            KeycloakLogin::forget(slot, token);
        }
    }

    /// Why the client has no token for `api`, and what would give it one.
    pub(crate) fn no_token_reason(&self, api: Api) -> String {
        let name = api.short_name();
        let setting = match api {
            Api::Dm => "dm",
            Api::As => "as",
            Api::Ui => return format!("the client has no token for the {name} API"),
        };
        match self.credentials {
            Credentials::None => {
                format!("the client has no token or Keycloak credentials for the {name} API")
            }
            Credentials::Given => format!(
                "Keycloak credentials were given but no Keycloak client id for the {name} API: set it with ClientBuilder::{setting}_client_id"
            ),
            Credentials::FromEnvironmentsFile => format!(
                "Keycloak credentials were given but no Keycloak client id for the {name} API: the environments file has no keycloak-{setting}-client-id"
            ),
        }
    }

    /// Whether the client has a token source for `api`.
    pub(crate) fn has_token_source(&self, api: Api) -> bool {
        !matches!(self.api(api).token, TokenSource::None)
    }

    /// A clone of this client whose calls all use `timeout` instead of each function's
    /// default (4 s, or 12 s for listings and file transfers, as in the Python client). A
    /// call that is not a file transfer ends within its time-out, a Keycloak login it needs,
    /// retries and their pauses included ([D19](crate::python_differences),
    /// [D20](crate::python_differences)); a file transfer fails only when nothing moves for
    /// that long ([D15](crate::python_differences)).
    /// The clone shares the connection pool and token cache.
    #[must_use]
    pub fn with_timeout(&self, timeout: Duration) -> Client {
        let mut client = self.clone();
        client.timeout = Some(timeout);
        client
    }

    /// The bearer token the client would send to the Data Manager now (getting or renewing it
    /// from Keycloak when the client has credentials). `Ok(None)` when it has no token source.
    ///
    /// # Errors
    ///
    /// When no token could be had from Keycloak (refused credentials, Keycloak unreachable
    /// or answering nonsense); the text never holds the password.
    pub fn dm_access_token(&self) -> Result<Option<String>, Error> {
        self.access_token_for(Api::Dm, "Client::dm_access_token")
    }

    /// As [`Client::dm_access_token`], for the Account Server.
    ///
    /// # Errors
    ///
    /// As [`Client::dm_access_token`].
    pub fn as_access_token(&self) -> Result<Option<String>, Error> {
        self.access_token_for(Api::As, "Client::as_access_token")
    }

    fn access_token_for(&self, api: Api, function: &str) -> Result<Option<String>, Error> {
        self.token(api, self.timeout_or(crate::request::DEFAULT_TIMEOUT))
            .map(|token| token.map(|token| token.expose().to_string()))
            .map_err(|e| {
                Error::new(ErrorKind::Login, e.message)
                    .with_transient(e.transient)
                    .with_function(function)
            })
    }
}

/// Builds a [`Client`]. Every setting is optional; an API without a URL answers every call
/// with `{"error": "No API URL defined"}`, as the Python client does.
#[derive(Clone)]
pub struct ClientBuilder {
    dm_api_url: Option<String>,
    as_api_url: Option<String>,
    ui_api_url: Option<String>,
    dm_verify: bool,
    as_verify: bool,
    ui_verify: bool,
    dm_token: Option<Secret>,
    as_token: Option<Secret>,
    keycloak_url: Option<String>,
    keycloak_realm: Option<String>,
    keycloak_verify: bool,
    dm_client_id: Option<String>,
    as_client_id: Option<String>,
    username: Option<String>,
    password: Option<Secret>,
    client_secret: Option<Secret>,
    timeout: Option<Duration>,
    debug_requests: bool,
    retry: RetryPolicy,
    /// Certificates to trust besides the roots, as given: checked by `build`.
    root_pems: Vec<Vec<u8>>,
    /// `SQUONK2_CA_BUNDLE`: read by `build`.
    ca_bundle: Option<PathBuf>,
    platform_roots: bool,
    /// The proxy URL as given (checked by `build`), or the choice.
    proxy: ProxySetting,
    /// Filled from an environments file, whose client ids are optional.
    from_environments_file: bool,
}

/// A proxy as the builder holds it.
#[derive(Clone)]
enum ProxySetting {
    FromEnv,
    Url(Secret),
    Direct,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("dm_api_url", &self.dm_api_url.as_deref().map(redact_url))
            .field("as_api_url", &self.as_api_url.as_deref().map(redact_url))
            .field("ui_api_url", &self.ui_api_url.as_deref().map(redact_url))
            .field(
                "keycloak_url",
                &self.keycloak_url.as_deref().map(redact_url),
            )
            .field("keycloak_realm", &self.keycloak_realm)
            .field("dm_client_id", &self.dm_client_id)
            .field("as_client_id", &self.as_client_id)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("dm_token", &self.dm_token)
            .field("as_token", &self.as_token)
            .field("client_secret", &self.client_secret)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("root_certificates", &self.root_pems.len())
            .field("ca_bundle", &self.ca_bundle)
            .field("platform_roots", &self.platform_roots)
            .field(
                "proxy",
                &match &self.proxy {
                    ProxySetting::FromEnv => "from the environment".to_string(),
                    ProxySetting::Url(url) => redact_url(url.expose()),
                    ProxySetting::Direct => "none".to_string(),
                },
            )
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// Nothing set; certificates verified; `SQUONK2_API_DEBUG_REQUESTS` read.
    #[must_use]
    pub fn new() -> ClientBuilder {
        ClientBuilder {
            dm_api_url: None,
            as_api_url: None,
            ui_api_url: None,
            dm_verify: true,
            as_verify: true,
            ui_verify: true,
            dm_token: None,
            as_token: None,
            keycloak_url: None,
            keycloak_realm: None,
            keycloak_verify: true,
            dm_client_id: None,
            as_client_id: None,
            username: None,
            password: None,
            client_secret: None,
            timeout: None,
            debug_requests: debug_requests_from_env(),
            retry: RetryPolicy::default(),
            root_pems: Vec::new(),
            ca_bundle: None,
            platform_roots: false,
            proxy: ProxySetting::FromEnv,
            from_environments_file: false,
        }
    }

    /// A builder filled from the environment variables [`Client::from_env`] reads, to which
    /// a token or credentials can be added. `SQUONK2_CA_BUNDLE` is read by
    /// [`build`](ClientBuilder::build), which fails when the file cannot be used.
    #[must_use]
    pub fn from_env() -> ClientBuilder {
        let mut builder = ClientBuilder::new();
        builder.dm_api_url = env_value("SQUONK2_DMAPI_URL");
        builder.as_api_url = env_value("SQUONK2_ASAPI_URL");
        builder.ui_api_url = env_value("SQUONK2_UIAPI_URL");
        builder.dm_verify = env_verify("SQUONK2_DMAPI_VERIFY_SSL_CERT");
        builder.as_verify = env_verify("SQUONK2_ASAPI_VERIFY_SSL_CERT");
        builder.ui_verify = env_verify("SQUONK2_UIAPI_VERIFY_SSL_CERT");
        builder.ca_bundle = env_value(CA_BUNDLE_VARIABLE).map(PathBuf::from);
        builder
    }

    /// A builder filled from one environment of the environments file: API URLs, Keycloak
    /// URL and realm, the DM and AS client ids, and the admin user and password.
    ///
    /// # Errors
    ///
    /// When the environments file cannot be read or has no such environment.
    #[cfg(feature = "environment")]
    #[cfg_attr(docsrs, doc(cfg(feature = "environment")))]
    pub fn from_environment(name: Option<&str>) -> Result<ClientBuilder, Error> {
        let env = crate::environment::Environment::new(name)?;
        Ok(ClientBuilder::from_environment_values(&env))
    }

    /// A builder filled from an [`Environment`](crate::environment::Environment) already read.
    #[cfg(feature = "environment")]
    #[cfg_attr(docsrs, doc(cfg(feature = "environment")))]
    #[must_use]
    pub fn from_environment_values(env: &crate::environment::Environment) -> ClientBuilder {
        let mut builder = ClientBuilder::new();
        builder.dm_api_url = env.dm_api();
        builder.as_api_url = env.as_api();
        builder.ui_api_url = env.ui_api();
        builder.keycloak_url = Some(env.keycloak_url());
        builder.keycloak_realm = Some(env.keycloak_realm().to_string());
        builder.dm_client_id = env.keycloak_dm_client_id().map(str::to_string);
        builder.as_client_id = env.keycloak_as_client_id().map(str::to_string);
        builder.username = Some(env.admin_user().to_string());
        builder.password = Some(Secret::new(env.admin_password()));
        builder.from_environments_file = true;
        builder
    }

    /// The Data Manager API base URL, e.g. `https://example.com/data-manager-api`.
    #[must_use]
    pub fn dm_api_url(mut self, url: impl Into<String>) -> Self {
        self.dm_api_url = Some(url.into());
        self
    }

    /// The Account Server API base URL, e.g. `https://example.com/account-server-api`.
    #[must_use]
    pub fn as_api_url(mut self, url: impl Into<String>) -> Self {
        self.as_api_url = Some(url.into());
        self
    }

    /// The UI API base URL, e.g. `https://example.com/data-manager-ui/api`.
    #[must_use]
    pub fn ui_api_url(mut self, url: impl Into<String>) -> Self {
        self.ui_api_url = Some(url.into());
        self
    }

    /// Whether to verify the Data Manager's TLS certificate (default `true`).
    #[must_use]
    pub fn dm_verify_ssl_cert(mut self, verify: bool) -> Self {
        self.dm_verify = verify;
        self
    }

    /// Whether to verify the Account Server's TLS certificate (default `true`).
    #[must_use]
    pub fn as_verify_ssl_cert(mut self, verify: bool) -> Self {
        self.as_verify = verify;
        self
    }

    /// Whether to verify the UI's TLS certificate (default `true`).
    #[must_use]
    pub fn ui_verify_ssl_cert(mut self, verify: bool) -> Self {
        self.ui_verify = verify;
        self
    }

    /// Whether to verify Keycloak's TLS certificate (default `true`).
    #[must_use]
    pub fn keycloak_verify_ssl_cert(mut self, verify: bool) -> Self {
        self.keycloak_verify = verify;
        self
    }

    /// Sets TLS verification for every service at once.
    #[must_use]
    pub fn verify_ssl_cert(self, verify: bool) -> Self {
        self.dm_verify_ssl_cert(verify)
            .as_verify_ssl_cert(verify)
            .ui_verify_ssl_cert(verify)
            .keycloak_verify_ssl_cert(verify)
    }

    /// A fixed bearer token for both the Data Manager and the Account Server.
    #[must_use]
    pub fn access_token(self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.dm_access_token(token.clone()).as_access_token(token)
    }

    /// A fixed bearer token for the Data Manager (takes precedence over credentials).
    #[must_use]
    pub fn dm_access_token(mut self, token: impl Into<String>) -> Self {
        self.dm_token = Some(Secret::new(token));
        self
    }

    /// A fixed bearer token for the Account Server (takes precedence over credentials).
    #[must_use]
    pub fn as_access_token(mut self, token: impl Into<String>) -> Self {
        self.as_token = Some(Secret::new(token));
        self
    }

    /// The Keycloak base URL (ending in `/auth` on most deployments) and realm.
    #[must_use]
    pub fn keycloak(mut self, keycloak_url: impl Into<String>, realm: impl Into<String>) -> Self {
        self.keycloak_url = Some(keycloak_url.into());
        self.keycloak_realm = Some(realm.into());
        self
    }

    /// The Keycloak client id used for Data Manager tokens (usually `data-manager-api`).
    #[must_use]
    pub fn dm_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.dm_client_id = Some(client_id.into());
        self
    }

    /// The Keycloak client id used for Account Server tokens (usually `account-server-api`).
    #[must_use]
    pub fn as_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.as_client_id = Some(client_id.into());
        self
    }

    /// The user name and password to log in to Keycloak with.
    #[must_use]
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(Secret::new(password));
        self
    }

    /// A Keycloak client secret, for confidential clients.
    #[must_use]
    pub fn keycloak_client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(Secret::new(secret)).filter(|s| !s.expose().is_empty());
        self
    }

    /// One time-out for every call instead of each function's default (4 s, or 12 s for
    /// listings and file transfers): see [`Client::with_timeout`].
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Which failed requests are tried again (default [`RetryPolicy::default`]: `GET` and
    /// `HEAD` twice, on no answer and on 429/502/503/504; [`RetryPolicy::none`] turns
    /// retries off).
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Print each request's method, URL, status and duration to stderr (tokens redacted).
    /// Defaults to `SQUONK2_API_DEBUG_REQUESTS=yes`. The same lines are always `debug`
    /// records of the `log` facade (target `squonk2`), whatever this says.
    #[must_use]
    pub fn debug_requests(mut self, on: bool) -> Self {
        self.debug_requests = on;
        self
    }

    /// Trusts the certificates in `pem` (one or more `-----BEGIN CERTIFICATE-----` blocks,
    /// such as a corporate or self-signed CA) besides the bundled web roots, for every API
    /// and Keycloak. Can be called more than once; [`build`](ClientBuilder::build) fails
    /// when `pem` holds no certificate. Not combinable with
    /// `platform_roots(true)` (feature `platform-roots`): add the CA to the operating
    /// system's store instead.
    ///
    /// ```no_run
    /// # fn main() -> anyhow::Result<()> {
    /// let ca = std::fs::read("/etc/squonk2/corporate-ca.pem")?;
    /// let client = squonk2::Client::builder()
    ///     .dm_api_url("https://squonk.internal/data-manager-api")
    ///     .add_root_certificate_pem(&ca)
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.root_pems.push(pem.to_vec());
        self
    }

    /// Verifies certificates against the operating system's trust store (through
    /// `rustls-platform-verifier`) instead of the web roots bundled with the crate (default
    /// `false`). On Linux the store is found as OpenSSL finds it (`SSL_CERT_FILE`,
    /// `SSL_CERT_DIR`, the distribution's bundle).
    ///
    /// Needs the crate's `platform-roots` feature (off by default: it adds the platform
    /// verifier and its dependencies to the build); without it, this method does not exist,
    /// so a program that needs the store fails to compile rather than trusting other roots.
    #[cfg(feature = "platform-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "platform-roots")))]
    #[must_use]
    pub fn platform_roots(mut self, on: bool) -> Self {
        self.platform_roots = on;
        self
    }

    /// Sends every request, to every API and Keycloak, through this proxy, e.g.
    /// `http://proxy.example.com:3128` or `http://user:password@proxy:3128` (`socks5://`
    /// is not supported). Without this, the proxy comes from `ALL_PROXY`, `HTTPS_PROXY` or
    /// `HTTP_PROXY` (the first set, whatever the scheme of the target), and the hosts
    /// `NO_PROXY` lists are reached directly. [`build`](ClientBuilder::build) fails on a URL
    /// that is not a proxy URL. A failure through a proxy names it (its password
    /// redacted).
    #[must_use]
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxySetting::Url(Secret::new(url));
        self
    }

    /// Connects directly to every service, whatever the proxy variables say.
    #[must_use]
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxySetting::Direct;
        self
    }

    /// The roots and proxy, checked.
    fn reach(&self) -> Result<Reach, Error> {
        let mut extra_roots = Vec::new();
        for (i, pem) in self.root_pems.iter().enumerate() {
            let certificates = parse_pem_certificates(pem).map_err(|why| {
                build_error(ErrorKind::Certificate, format!(
                    "the certificate given to add_root_certificate_pem (call {}) cannot be used: {why}",
                    i + 1
                ))
            })?;
            extra_roots.extend(certificates);
        }
        if let Some(path) = &self.ca_bundle {
            let pem = std::fs::read(path).map_err(|e| {
                build_error(
                    ErrorKind::Certificate,
                    format!(
                        "{CA_BUNDLE_VARIABLE}={} cannot be read: {e}",
                        path.display()
                    ),
                )
            })?;
            let certificates = parse_pem_certificates(&pem).map_err(|why| {
                build_error(
                    ErrorKind::Certificate,
                    format!(
                        "{CA_BUNDLE_VARIABLE}={} cannot be used: {why}",
                        path.display()
                    ),
                )
            })?;
            extra_roots.extend(certificates);
        }
        if self.platform_roots && !extra_roots.is_empty() {
            return Err(build_error(ErrorKind::NotConfigured, format!(
                "platform_roots(true) cannot be combined with add_root_certificate_pem or {CA_BUNDLE_VARIABLE}: add the certificate to the operating system's trust store, or use the bundled roots with the added certificate"
            )));
        }
        let proxy = match &self.proxy {
            ProxySetting::FromEnv => ProxyChoice::FromEnv,
            ProxySetting::Direct => ProxyChoice::Direct,
            ProxySetting::Url(url) => {
                let shown = redact_url(url.expose());
                let proxy = ureq::Proxy::new(url.expose()).map_err(|e| {
                    build_error(
                        ErrorKind::InvalidUrl,
                        format!("the proxy URL {shown:?} is not valid: {e}"),
                    )
                })?;
                if !matches!(
                    proxy.protocol(),
                    ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https
                ) {
                    return Err(build_error(
                        ErrorKind::InvalidUrl,
                        format!("the proxy URL {shown:?} is not valid: only http:// and https:// proxies are supported"),
                    ));
                }
                ProxyChoice::Fixed(proxy)
            }
        };
        Ok(Reach {
            extra_roots,
            platform_roots: self.platform_roots,
            proxy,
        })
    }

    /// Checks the settings and makes the client.
    ///
    /// # Errors
    ///
    /// On a URL that is not `http://` or `https://`; on credentials without a Keycloak URL
    /// and realm; on credentials for an API that has a URL but neither a fixed token nor a
    /// Keycloak client id ([`dm_client_id`](ClientBuilder::dm_client_id),
    /// [`as_client_id`](ClientBuilder::as_client_id)); on a certificate that cannot be used
    /// ([`add_root_certificate_pem`](ClientBuilder::add_root_certificate_pem),
    /// `SQUONK2_CA_BUNDLE`); on a proxy URL that is not valid.
    pub fn build(self) -> Result<Client, Error> {
        for (what, url) in [
            ("DM API URL", &self.dm_api_url),
            ("AS API URL", &self.as_api_url),
            ("UI API URL", &self.ui_api_url),
            ("Keycloak URL", &self.keycloak_url),
        ] {
            if let Some(url) = url.as_deref().filter(|u| !u.is_empty()) {
                check_base_url(url).map_err(|why| {
                    build_error(
                        ErrorKind::InvalidUrl,
                        format!("the {what} {:?} is not valid: {why}", redact_url(url)),
                    )
                })?;
            }
        }
        let login = match (&self.username, &self.password) {
            (Some(username), Some(password)) => {
                let (Some(url), Some(realm)) = (&self.keycloak_url, &self.keycloak_realm) else {
                    return Err(build_error(
                        ErrorKind::NotConfigured,
                        "credentials were given without a Keycloak URL and realm (use ClientBuilder::keycloak)",
                    ));
                };
                if realm.is_empty() {
                    return Err(build_error(
                        ErrorKind::NotConfigured,
                        "the Keycloak realm is empty",
                    ));
                }
                Some(Arc::new(KeycloakLogin::new(LoginSettings {
                    keycloak_url: url.trim_end_matches('/').to_string(),
                    realm: realm.clone(),
                    username: username.clone(),
                    password: password.clone(),
                    client_secret: self.client_secret.clone(),
                    verify_ssl_cert: self.keycloak_verify,
                    debug_requests: self.debug_requests,
                })))
            }
            _ => None,
        };
        if login.is_some() && !self.from_environments_file {
            // Credentials for an API without a client id would fail every call with "no
            // token"; a DM-only user gives no AS URL (or a token), and is not stopped. An
            // environments file may leave a client id out (as the Python client allows):
            // calls to that API then say the file has none.
            for (name, url, token, client_id, setter, usual) in [
                (
                    "Data Manager",
                    &self.dm_api_url,
                    &self.dm_token,
                    &self.dm_client_id,
                    "dm",
                    "data-manager-api",
                ),
                (
                    "Account Server",
                    &self.as_api_url,
                    &self.as_token,
                    &self.as_client_id,
                    "as",
                    "account-server-api",
                ),
            ] {
                let has_url = url.as_deref().is_some_and(|u| !u.is_empty());
                let has_client_id = client_id.as_deref().is_some_and(|c| !c.is_empty());
                if has_url && token.is_none() && !has_client_id {
                    return Err(build_error(ErrorKind::NotConfigured, format!(
                        "credentials were given, but no Keycloak client id for the {name} API: call ClientBuilder::{setter}_client_id (usually {usual:?}), or give a token with ClientBuilder::{setter}_access_token"
                    )));
                }
            }
        }
        let reach = self.reach()?;
        let source =
            |fixed: &Option<Secret>, client_id: &Option<String>| match (fixed, &login, client_id) {
                (Some(token), _, _) => TokenSource::Fixed(Bearer::new(token.expose())),
                (None, Some(login), Some(client_id)) if !client_id.is_empty() => {
                    TokenSource::Keycloak {
                        login: login.clone(),
                        slot: login.slot(client_id),
                    }
                }
                _ => TokenSource::None,
            };
        let config = |url: &Option<String>, verify: bool, token: TokenSource| {
            let mut config = ApiConfig {
                url: None,
                url_problem: None,
                verify_ssl_cert: verify,
                token,
            };
            config.set_url(url.clone());
            config
        };
        Ok(Client {
            dm: config(
                &self.dm_api_url,
                self.dm_verify,
                source(&self.dm_token, &self.dm_client_id),
            ),
            as_: config(
                &self.as_api_url,
                self.as_verify,
                source(&self.as_token, &self.as_client_id),
            ),
            ui: config(&self.ui_api_url, self.ui_verify, TokenSource::None),
            timeout: self.timeout,
            debug_requests: self.debug_requests,
            retry: self.retry,
            credentials: match (&login, self.from_environments_file) {
                (None, _) => Credentials::None,
                (Some(_), false) => Credentials::Given,
                (Some(_), true) => Credentials::FromEnvironmentsFile,
            },
            agents: Arc::new(Agents::new(reach)),
        })
    }
}

/// A failure of [`ClientBuilder::build`].
fn build_error(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind, message).with_function("ClientBuilder::build")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        assert!(check_base_url("https://example.com/data-manager-api").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080").is_ok());
        assert!(check_base_url("example.com").is_err());
        assert!(check_base_url("http://").is_err());
        assert!(check_base_url("http://x/y?z=1").is_err());
        assert_eq!(
            check_base_url("http://x/a b").unwrap_err(),
            "it contains white space"
        );
        for (url, shown) in [("http://x/a\0", "'\\0'"), ("http://x\x07/dm", "'\\u{7}'")] {
            let why = check_base_url(url).unwrap_err();
            assert_eq!(why, format!("it contains a control character ({shown})"));
        }
        let err = Client::builder()
            .keycloak("http://k/auth\x07", "r")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("control character"), "{err}");
    }

    #[test]
    fn verify_switches_read_like_yes_or_no() {
        for on in ["yes", "YES", "true", "True", "1", "on", "ON", " yes "] {
            assert!(parse_verify("V", on), "{on}");
        }
        for off in ["no", "NO", "false", "FALSE", "0", "off", "Off"] {
            assert!(!parse_verify("V", off), "{off}");
        }
        for unknown in ["maybe", "2", "y", "verify"] {
            assert!(
                parse_verify("V", unknown),
                "{unknown}: verified when in doubt"
            );
        }
    }

    #[test]
    fn builder_rejects_bad_urls_and_credentials_without_keycloak() {
        let err = Client::builder().dm_api_url("ftp://x").build().unwrap_err();
        assert!(err.to_string().contains("DM API URL"), "{err}");
        let err = Client::builder()
            .credentials("u", "secret-pw")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("Keycloak"), "{err}");
        assert!(!err.to_string().contains("secret-pw"));
    }

    #[test]
    fn debug_shows_no_secret() {
        let client = Client::builder()
            .dm_access_token("tok-123-secret")
            .keycloak("http://k/auth", "r")
            .as_client_id("account-server-api")
            .credentials("alice", "pw-very-secret")
            .keycloak_client_secret("cs-secret")
            .build()
            .unwrap();
        let text = format!("{client:?}");
        for secret in ["tok-123-secret", "pw-very-secret", "cs-secret"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("alice"));
    }
}
