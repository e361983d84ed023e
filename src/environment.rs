//! The environments file: named sets of Keycloak, Account Server, Data Manager and UI
//! connection details, so a program can say "use `staging`" instead of setting a dozen
//! variables.
//!
//! The file is YAML, in the same format the Python client (`im-squonk2-client`) reads, so one
//! file serves both clients. It is found through the `SQUONK2_ENVIRONMENTS_FILE` variable
//! (`~`, `$VAR` and `${VAR}` are expanded) or, when that is unset, at
//! `~/.squonk2/environments`. It is read when you load it, never at start-up, and reading it
//! never creates a directory.
//!
//! ```yaml
//! default: local
//! environments:
//!   local:
//!     keycloak-hostname: keycloak.local
//!     keycloak-realm: squonk2
//!     keycloak-as-client-id: account-server-api
//!     keycloak-dm-client-id: data-manager-api
//!     as-hostname: as.local
//!     dm-hostname: dm.local
//!     ui-hostname: ui.local
//!     admin-user: admin
//!     admin-password: pa55 word
//! ```
//!
//! `keycloak-hostname`, `keycloak-realm`, `admin-user` and `admin-password` are required;
//! the last two may instead come from `SQUONK2_ENVIRONMENT_<NAME>_ADMIN_USER` and
//! `SQUONK2_ENVIRONMENT_<NAME>_ADMIN_PASSWORD` (the name upper-cased, `-` replaced by `_`),
//! which keeps passwords out of the file. A key that is absent, null or an empty string
//! counts as missing. The other keys are optional.
//!
//! ```no_run
//! use squonk2::environment::{self, Environment};
//!
//! # fn main() -> Result<(), squonk2::Error> {
//! // The names, the default first.
//! let names = environment::load()?;
//! println!("environments: {names:?}");
//!
//! // The default environment (or pass `Some("staging")`).
//! let env = Environment::new(None)?;
//! println!("{} uses Keycloak at {}", env.environment(), env.keycloak_url());
//! if let Some(dm_api) = env.dm_api() {
//!     println!("Data Manager API: {dm_api}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Differences from the Python client: the file is read on each load (nothing is cached in
//! the process), `~/.squonk2` is never created, a trailing `/` on a hostname does not give a
//! `//` in the derived URLs, [`Environment::ui_api`] adds its path whether or not the
//! hostname starts with `http`, `0` is a value rather than a missing one, and an environment
//! entry with no keys reports the first missing key. Plain values are read as YAML 1.2
//! (Python reads YAML 1.1), so a few unquoted values differ: `yes` and `on` stay as written
//! where Python gives `True`, `1_000` stays as written where Python gives `1000`, and `1e3`
//! is `1000.0` where Python keeps `1e3`. Quote such values to read the same in both.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind};

/// The results of this module: its failures are [`ErrorKind::Environment`] errors.
type Result<T, E = Error> = std::result::Result<T, E>;

/// An [`ErrorKind::Environment`] error with a formatted message.
macro_rules! env_err {
    ($($arg:tt)*) => {
        Error::new(ErrorKind::Environment, format!($($arg)*))
    };
}
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlLoader};

/// The variable naming the environments file.
pub const ENVIRONMENTS_FILE_VAR: &str = "SQUONK2_ENVIRONMENTS_FILE";

/// Where the environments file is when [`ENVIRONMENTS_FILE_VAR`] is unset (`~` is expanded).
pub const DEFAULT_ENVIRONMENTS_FILE: &str = "~/.squonk2/environments";

const DEFAULT_KEY: &str = "default";
const ENVIRONMENTS_KEY: &str = "environments";
// PyYAML, which the Python client uses, honours YAML 1.1 merge keys; yaml-rust2 does not,
// so a file that shares settings through `<<: *anchor` is merged here.
const MERGE_KEY: &str = "<<";

// An environments file is a few kilobytes; the cap stops a wrong path (a log, a disk image)
// from being read into memory.
const MAX_FILE_BYTES: u64 = 1024 * 1024;
// yaml-rust2 builds a document recursively, so unbounded nesting overflows the stack; an
// environments file needs four levels.
const MAX_DEPTH: usize = 64;
// Roughly the bytes that anchors and aliases may copy while the document is built: yaml-rust2
// copies an anchor's whole value for every alias, so a few hundred bytes of nested aliases
// would otherwise fill the memory.
const MAX_ALIAS_COPY: usize = 4 * 1024 * 1024;

const KEYCLOAK_HOSTNAME_KEY: &str = "keycloak-hostname";
const KEYCLOAK_REALM_KEY: &str = "keycloak-realm";
const ADMIN_USER_KEY: &str = "admin-user";
const ADMIN_PASSWORD_KEY: &str = "admin-password";
const KEYCLOAK_AS_CLIENT_ID_KEY: &str = "keycloak-as-client-id";
const KEYCLOAK_DM_CLIENT_ID_KEY: &str = "keycloak-dm-client-id";
const AS_HOSTNAME_KEY: &str = "as-hostname";
const DM_HOSTNAME_KEY: &str = "dm-hostname";
const UI_HOSTNAME_KEY: &str = "ui-hostname";

/// The names in the environments file, the default first, then the others in file order.
///
/// This is Python's `Environment.load()`. The file is found as described in the
/// [module documentation](self).
///
/// # Errors
/// When the file does not exist, cannot be read, or is not a valid environments file; the
/// message starts with the file's path.
pub fn load() -> Result<Vec<String>> {
    Ok(Environments::load()?.names())
}

/// The path of the environments file, from the process environment.
///
/// See [`environments_file_path_with_env`].
pub fn environments_file_path() -> PathBuf {
    environments_file_path_with_env(process_env)
}

/// The path of the environments file, with variables taken from `lookup` instead of the
/// process environment.
///
/// The path is `SQUONK2_ENVIRONMENTS_FILE` when that is set and not empty, otherwise
/// `~/.squonk2/environments`. As in Python, a leading `~` is replaced by `HOME` (or
/// `USERPROFILE` when `HOME` is unset), then `$NAME` and `${NAME}` are replaced by their
/// values; a variable that is not set is left as written, and so is `~user`.
///
/// ```
/// use squonk2::environment::environments_file_path_with_env;
///
/// let path = environments_file_path_with_env(|name| match name {
///     "SQUONK2_ENVIRONMENTS_FILE" => Some("~/$SITE/environments".to_string()),
///     "HOME" => Some("/home/me".to_string()),
///     "SITE" => Some("acme".to_string()),
///     _ => None,
/// });
/// assert_eq!(path.to_str(), Some("/home/me/acme/environments"));
/// ```
pub fn environments_file_path_with_env(lookup: impl Fn(&str) -> Option<String>) -> PathBuf {
    let configured = lookup(ENVIRONMENTS_FILE_VAR).filter(|value| !value.is_empty());
    let path = configured.as_deref().unwrap_or(DEFAULT_ENVIRONMENTS_FILE);
    PathBuf::from(expand_vars(&expand_user(path, &lookup), &lookup))
}

/// A parsed environments file: its default and its environments in file order.
///
/// Loading checks the file's shape; an individual environment is checked when you
/// [`get`](Environments::get) it, so one broken entry does not hide the others.
#[derive(Clone)]
pub struct Environments {
    source: PathBuf,
    default: String,
    // (name, entry) in file order; an entry is normally a mapping, or null for a bare name.
    entries: Vec<(String, Yaml)>,
}

impl Environments {
    /// Reads the environments file named by `SQUONK2_ENVIRONMENTS_FILE`, or
    /// `~/.squonk2/environments`.
    ///
    /// # Errors
    /// As [`Environments::from_file`].
    pub fn load() -> Result<Environments> {
        Environments::load_with_env(process_env)
    }

    /// Like [`Environments::load`], with variables taken from `lookup` instead of the process
    /// environment (see [`environments_file_path_with_env`]).
    ///
    /// # Errors
    /// As [`Environments::from_file`].
    pub fn load_with_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Environments> {
        Environments::from_file(environments_file_path_with_env(lookup))
    }

    /// Reads an environments file from `path`.
    ///
    /// The file must be a regular file of at most 1 MiB, in UTF-8 (a byte-order mark is
    /// allowed).
    ///
    /// # Errors
    /// Each message starts with the path: `<file> does not exist`, `<file> is empty`,
    /// `<file> is too large: ...`, `<file> is not formatted correctly: <reason>` (not YAML,
    /// nested more than 64 levels deep, aliases that copy more than 4 MiB, or a value of the
    /// wrong type, named with what was expected and what was found),
    /// `<file> does not have a 'default'`, `<file> does not have a 'environments' section`,
    /// `<file> default is not in 'environments'`, or `<file> could not be read: <reason>`
    /// (also for a directory, a FIFO or a device).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Environments> {
        let path = path.as_ref();
        let text = read_file(path)?;
        Environments::parse(path.to_path_buf(), &text)
    }

    /// Parses environments from YAML text; `source_name` stands for the file in messages and
    /// is what [`path`](Environments::path) returns.
    ///
    /// ```
    /// use squonk2::environment::Environments;
    ///
    /// let yaml = "default: b\nenvironments:\n  a: {}\n  b: {}\n";
    /// let environments = Environments::from_yaml_str("inline", yaml)?;
    /// assert_eq!(environments.names(), ["b", "a"]);
    /// # Ok::<(), squonk2::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Environments::from_file`], apart from the file-system ones and the size limit
    /// (the text is already in memory).
    pub fn from_yaml_str(source_name: &str, yaml: &str) -> Result<Environments> {
        Environments::parse(PathBuf::from(source_name), yaml)
    }

    fn parse(source: PathBuf, yaml: &str) -> Result<Environments> {
        let file = source.display();
        // PyYAML skips a byte-order mark; yaml-rust2 would make it part of the first key.
        let yaml = yaml.strip_prefix('\u{feff}').unwrap_or(yaml);
        check_bounds(yaml)
            .map_err(|reason| env_err!("{file} is not formatted correctly: {reason}"))?;
        let documents = YamlLoader::load_from_str(yaml)
            .map_err(|error| env_err!("{file} is not formatted correctly: {error}"))?;
        let root = match documents.as_slice() {
            [] => return Err(env_err!("{file} is empty")),
            [root] => root,
            more => {
                return Err(env_err!(
                    "{file} is not formatted correctly: expected one YAML document, found {}",
                    more.len()
                ))
            }
        };
        if is_falsy(root) {
            return Err(env_err!("{file} is empty"));
        }
        let Yaml::Hash(top) = root else {
            return Err(wrong_type(&source, "the file", "a mapping", root));
        };

        let default = top
            .get(&yaml_str(DEFAULT_KEY))
            .ok_or_else(|| env_err!("{file} does not have a '{DEFAULT_KEY}'"))?;
        // Python asserts on a null or empty default; saying it is missing is more useful.
        let default = scalar_string(default)
            .map_err(|()| wrong_type(&source, &format!("'{DEFAULT_KEY}'"), "a string", default))?
            .ok_or_else(|| env_err!("{file} does not have a '{DEFAULT_KEY}'"))?;

        let section = top
            .get(&yaml_str(ENVIRONMENTS_KEY))
            .ok_or_else(|| env_err!("{file} does not have a '{ENVIRONMENTS_KEY}' section"))?;
        let entries = match section {
            Yaml::Hash(section) => section
                .iter()
                .map(|(name, entry)| match scalar_string(name) {
                    Ok(Some(name)) => Ok((name, entry.clone())),
                    _ => Err(wrong_type(
                        &source,
                        &format!("a name in '{ENVIRONMENTS_KEY}'"),
                        "a string",
                        name,
                    )),
                })
                .collect::<Result<Vec<_>>>()?,
            Yaml::Null => Vec::new(),
            _ => {
                return Err(wrong_type(
                    &source,
                    &format!("'{ENVIRONMENTS_KEY}'"),
                    "a mapping",
                    section,
                ))
            }
        };
        if !entries.iter().any(|(name, _)| *name == default) {
            return Err(env_err!("{file} default is not in '{ENVIRONMENTS_KEY}'"));
        }

        Ok(Environments {
            source,
            default,
            entries,
        })
    }

    /// The file these environments came from (or the `source_name` given to
    /// [`from_yaml_str`](Environments::from_yaml_str)).
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.source
    }

    /// The environment names, the default first, then the others in file order.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        let others = self
            .entries
            .iter()
            .map(|(name, _)| name)
            .filter(|name| **name != self.default);
        std::iter::once(&self.default)
            .chain(others)
            .cloned()
            .collect()
    }

    /// The name of the default environment.
    #[must_use]
    pub fn default_name(&self) -> &str {
        &self.default
    }

    /// The environment called `name`, or the default one for `None` (or, as in Python, an
    /// empty name). Missing admin credentials are taken from the process environment.
    ///
    /// # Errors
    /// `<file> '<name>' environment does not exist`, or
    /// `<file> '<name>' could not determine value for '<key>'` when a required key is
    /// missing; see also [`Environments::get_with_env`].
    pub fn get(&self, name: Option<&str>) -> Result<Environment> {
        self.get_with_env(name, process_env)
    }

    /// Like [`Environments::get`], with the admin-credential variables
    /// (`SQUONK2_ENVIRONMENT_<NAME>_ADMIN_USER`, `SQUONK2_ENVIRONMENT_<NAME>_ADMIN_PASSWORD`)
    /// taken from `lookup` instead of the process environment.
    ///
    /// ```
    /// use squonk2::environment::Environments;
    ///
    /// let yaml = "default: dev\nenvironments:\n  dev:\n    keycloak-hostname: kc.dev\n    keycloak-realm: squonk2\n    admin-user: admin\n";
    /// let environments = Environments::from_yaml_str("inline", yaml)?;
    /// let dev = environments.get_with_env(None, |name| {
    ///     (name == "SQUONK2_ENVIRONMENT_DEV_ADMIN_PASSWORD").then(|| "secret".to_string())
    /// })?;
    /// assert_eq!(dev.admin_password(), "secret");
    /// assert_eq!(dev.keycloak_url(), "https://kc.dev/auth");
    /// # Ok::<(), squonk2::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Environments::get`]; also `<file> is not formatted correctly: 'environments.<name>'
    /// should be a mapping, found <what>` when the entry is not a mapping, and
    /// `<file> is not formatted correctly: 'environments.<name>.<key>' should be a string,
    /// found <what>` when a value is a list or a mapping.
    pub fn get_with_env(
        &self,
        name: Option<&str>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Environment> {
        let file = self.source.display();
        let name = match name {
            Some(name) if !name.is_empty() => name,
            _ => self.default.as_str(),
        };
        let (_, entry) = self
            .entries
            .iter()
            .find(|(entry_name, _)| entry_name == name)
            .ok_or_else(|| env_err!("{file} '{name}' environment does not exist"))?;
        let keys = match entry {
            Yaml::Hash(keys) => Some(keys),
            // A bare `name:` entry; Python fails with an AttributeError here.
            Yaml::Null => None,
            _ => {
                return Err(wrong_type(
                    &self.source,
                    &format!("'{ENVIRONMENTS_KEY}.{name}'"),
                    "a mapping",
                    entry,
                ))
            }
        };

        let optional = |key: &str| -> Result<Option<String>> {
            match keys.and_then(|keys| lookup_key(keys, key)) {
                None => Ok(None),
                Some(value) => scalar_string(value).map_err(|()| {
                    wrong_type(
                        &self.source,
                        &format!("'{ENVIRONMENTS_KEY}.{name}.{key}'"),
                        "a string",
                        value,
                    )
                }),
            }
        };
        let missing = |key: &str| env_err!("{file} '{name}' could not determine value for '{key}'");
        let required = |key: &str| optional(key)?.ok_or_else(|| missing(key));
        let required_or_env = |key: &str| -> Result<String> {
            if let Some(value) = optional(key)? {
                return Ok(value);
            }
            let variable = format!(
                "SQUONK2_ENVIRONMENT_{}_{}",
                name.to_uppercase().replace('-', "_"),
                key.to_uppercase().replace('-', "_")
            );
            lookup(&variable)
                .filter(|value| !value.is_empty())
                .ok_or_else(|| missing(key))
        };

        Ok(Environment {
            name: name.to_owned(),
            keycloak_hostname: required(KEYCLOAK_HOSTNAME_KEY)?,
            keycloak_realm: required(KEYCLOAK_REALM_KEY)?,
            admin_user: required_or_env(ADMIN_USER_KEY)?,
            admin_password: required_or_env(ADMIN_PASSWORD_KEY)?,
            keycloak_as_client_id: optional(KEYCLOAK_AS_CLIENT_ID_KEY)?,
            as_hostname: optional(AS_HOSTNAME_KEY)?,
            keycloak_dm_client_id: optional(KEYCLOAK_DM_CLIENT_ID_KEY)?,
            dm_hostname: optional(DM_HOSTNAME_KEY)?,
            ui_hostname: optional(UI_HOSTNAME_KEY)?,
        })
    }
}

// The entries hold admin passwords, so only the names are shown.
impl fmt::Debug for Environments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Environments")
            .field("path", &self.source)
            .field("default", &self.default)
            .field("names", &self.names())
            .finish()
    }
}

/// One environment's connection details, with the service URLs derived from them.
///
/// Values are kept as written in the file (numbers and booleans as Python's `str()` writes
/// them, so realm `12345` is `"12345"` and `true` is `"True"`). Its `Debug` output hides the
/// admin password.
#[derive(Clone, PartialEq, Eq)]
pub struct Environment {
    name: String,
    keycloak_hostname: String,
    keycloak_realm: String,
    keycloak_as_client_id: Option<String>,
    keycloak_dm_client_id: Option<String>,
    admin_user: String,
    admin_password: String,
    as_hostname: Option<String>,
    dm_hostname: Option<String>,
    ui_hostname: Option<String>,
}

impl Environment {
    /// Loads the environments file and returns the environment called `name`, or the default
    /// one for `None`.
    ///
    /// This is Python's `Environment(name)`, without the need to call `load()` first.
    ///
    /// # Errors
    /// As [`Environments::load`] and [`Environments::get`].
    pub fn new(name: Option<&str>) -> Result<Environment> {
        Environments::load()?.get(name)
    }

    /// The environment's name.
    #[must_use]
    pub fn environment(&self) -> &str {
        &self.name
    }

    /// The `keycloak-hostname` value, as written.
    #[must_use]
    pub fn keycloak_hostname(&self) -> &str {
        &self.keycloak_hostname
    }

    /// The Keycloak URL: the hostname with `https://` in front (unless it starts with
    /// `http`), without a trailing `/`, ending in `/auth`.
    #[must_use]
    pub fn keycloak_url(&self) -> String {
        service_url(&self.keycloak_hostname, "/auth")
    }

    /// The `keycloak-realm` value.
    #[must_use]
    pub fn keycloak_realm(&self) -> &str {
        &self.keycloak_realm
    }

    /// The `keycloak-as-client-id` value: the Keycloak client of the Account Server.
    #[must_use]
    pub fn keycloak_as_client_id(&self) -> Option<&str> {
        self.keycloak_as_client_id.as_deref()
    }

    /// The `keycloak-dm-client-id` value: the Keycloak client of the Data Manager.
    #[must_use]
    pub fn keycloak_dm_client_id(&self) -> Option<&str> {
        self.keycloak_dm_client_id.as_deref()
    }

    /// The admin user, from `admin-user` or `SQUONK2_ENVIRONMENT_<NAME>_ADMIN_USER`.
    #[must_use]
    pub fn admin_user(&self) -> &str {
        &self.admin_user
    }

    /// The admin user's password, from `admin-password` or
    /// `SQUONK2_ENVIRONMENT_<NAME>_ADMIN_PASSWORD`.
    #[must_use]
    pub fn admin_password(&self) -> &str {
        &self.admin_password
    }

    /// The `as-hostname` value, as written.
    #[must_use]
    pub fn as_hostname(&self) -> Option<&str> {
        self.as_hostname.as_deref()
    }

    /// The Account Server API URL, ending in `/account-server-api` (derived from
    /// `as-hostname` as [`keycloak_url`](Environment::keycloak_url) is).
    #[must_use]
    pub fn as_api(&self) -> Option<String> {
        self.as_hostname
            .as_deref()
            .map(|host| service_url(host, "/account-server-api"))
    }

    /// The `dm-hostname` value, as written.
    #[must_use]
    pub fn dm_hostname(&self) -> Option<&str> {
        self.dm_hostname.as_deref()
    }

    /// The Data Manager API URL, ending in `/data-manager-api` (derived from `dm-hostname` as
    /// [`keycloak_url`](Environment::keycloak_url) is).
    #[must_use]
    pub fn dm_api(&self) -> Option<String> {
        self.dm_hostname
            .as_deref()
            .map(|host| service_url(host, "/data-manager-api"))
    }

    /// The `ui-hostname` value, as written.
    #[must_use]
    pub fn ui_hostname(&self) -> Option<&str> {
        self.ui_hostname.as_deref()
    }

    /// The Data Manager UI API URL, ending in `/data-manager-ui/api` (derived from
    /// `ui-hostname` as [`keycloak_url`](Environment::keycloak_url) is).
    #[must_use]
    pub fn ui_api(&self) -> Option<String> {
        self.ui_hostname
            .as_deref()
            .map(|host| service_url(host, "/data-manager-ui/api"))
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Environment")
            .field("environment", &self.name)
            .field("keycloak_hostname", &self.keycloak_hostname)
            .field("keycloak_realm", &self.keycloak_realm)
            .field("keycloak_as_client_id", &self.keycloak_as_client_id)
            .field("keycloak_dm_client_id", &self.keycloak_dm_client_id)
            .field("admin_user", &self.admin_user)
            .field("admin_password", &"***")
            .field("as_hostname", &self.as_hostname)
            .field("dm_hostname", &self.dm_hostname)
            .field("ui_hostname", &self.ui_hostname)
            .finish()
    }
}

/// The file's text, refusing what is not a regular file or is larger than
/// [`MAX_FILE_BYTES`].
fn read_file(path: &Path) -> Result<String> {
    let file = path.display();
    let failed = |error: std::io::Error| {
        if error.kind() == std::io::ErrorKind::NotFound {
            env_err!("{file} does not exist")
        } else {
            env_err!("{file} could not be read: {error}")
        }
    };
    let too_large = |size: u64| {
        env_err!("{file} is too large: {size} bytes, more than the {MAX_FILE_BYTES} an environments file may have")
    };
    // Opening a FIFO for reading waits for a writer, so the type is checked before opening.
    let metadata = std::fs::metadata(path).map_err(failed)?;
    if metadata.is_dir() {
        return Err(env_err!("{file} could not be read: it is a directory"));
    }
    if !metadata.is_file() {
        return Err(env_err!(
            "{file} could not be read: it is not a regular file"
        ));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large(metadata.len()));
    }
    // The file may grow (or be replaced) after the check, so the read is capped as well.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|opened| opened.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(env_err!(
            "{file} is too large: more than the {MAX_FILE_BYTES} bytes an environments file may have"
        ));
    }
    String::from_utf8(bytes).map_err(|error| {
        env_err!(
            "{file} could not be read: it is not UTF-8 text (byte {})",
            error.utf8_error().valid_up_to()
        )
    })
}

/// Walks the YAML events once, without building anything, so that a document nested more
/// than [`MAX_DEPTH`] levels deep, or whose anchors and aliases would copy more than
/// [`MAX_ALIAS_COPY`] bytes, is refused before yaml-rust2 builds it (recursively, copying
/// every alias). Alias copies count towards the depth as well, at the alias's place.
fn check_bounds(yaml: &str) -> Result<(), String> {
    // What a node costs as a copy, and how many levels it spans (0 for a scalar).
    #[derive(Clone, Copy)]
    struct Size {
        bytes: usize,
        height: usize,
    }
    struct Open {
        anchor: usize,
        size: Size,
    }
    let node_bytes = std::mem::size_of::<Yaml>();
    let too_deep = || format!("it is nested more than {MAX_DEPTH} levels deep");

    let mut parser = Parser::new_from_str(yaml);
    let mut open: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, Size> = HashMap::new();
    let mut copied: usize = 0;
    loop {
        let (event, _) = parser.next_token().map_err(|error| error.to_string())?;
        let (anchor, size) = match event {
            Event::StreamEnd => return Ok(()),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if open.len() >= MAX_DEPTH {
                    return Err(too_deep());
                }
                let size = Size {
                    bytes: node_bytes,
                    height: 1,
                };
                open.push(Open { anchor, size });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop() {
                Some(Open { anchor, size }) => (anchor, size),
                None => continue,
            },
            Event::Scalar(value, _, anchor, _) => (
                anchor,
                Size {
                    bytes: node_bytes.saturating_add(value.len()),
                    height: 0,
                },
            ),
            Event::Alias(anchor) => {
                let size = anchors.get(&anchor).copied().unwrap_or(Size {
                    bytes: node_bytes,
                    height: 0,
                });
                copied = copied.saturating_add(size.bytes);
                (0, size)
            }
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => {
                continue
            }
        };
        // Anchor ids are 1 and up; the loader keeps a copy of every anchored node.
        if anchor > 0 {
            copied = copied.saturating_add(size.bytes);
            anchors.insert(anchor, size);
        }
        if copied > MAX_ALIAS_COPY {
            return Err(format!(
                "its aliases ('*name') copy more than {} MiB",
                MAX_ALIAS_COPY >> 20
            ));
        }
        if open.len() + size.height > MAX_DEPTH {
            return Err(too_deep());
        }
        if let Some(parent) = open.last_mut() {
            parent.size.bytes = parent.size.bytes.saturating_add(size.bytes);
            parent.size.height = parent.size.height.max(size.height + 1);
        }
    }
}

/// `<file> is not formatted correctly: <what> should be <expected>, found <a kind>`.
fn wrong_type(source: &Path, what: &str, expected: &str, found: &Yaml) -> Error {
    let found = match found {
        Yaml::String(_) => "a string",
        Yaml::Integer(_) | Yaml::Real(_) => "a number",
        Yaml::Boolean(_) => "a boolean",
        Yaml::Array(_) => "a list",
        Yaml::Hash(_) => "a mapping",
        Yaml::Null => "nothing",
        Yaml::Alias(_) => "an alias",
        // A value whose tag does not fit it, such as `!!int nope`.
        Yaml::BadValue => "an invalid value",
    };
    env_err!(
        "{} is not formatted correctly: {what} should be {expected}, found {found}",
        source.display()
    )
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn service_url(hostname: &str, suffix: &str) -> String {
    let url = if hostname.starts_with("http") {
        hostname.to_owned()
    } else {
        format!("https://{hostname}")
    };
    let url = url.trim_end_matches('/');
    if url.ends_with(suffix) {
        url.to_owned()
    } else {
        format!("{url}{suffix}")
    }
}

/// Python's `os.path.expanduser` for `~` and `~/...`; `~user` is left alone.
fn expand_user(path: &str, lookup: &impl Fn(&str) -> Option<String>) -> String {
    let Some(rest) = path.strip_prefix('~') else {
        return path.to_owned();
    };
    if !(rest.is_empty() || rest.starts_with(std::path::is_separator)) {
        return path.to_owned();
    }
    match lookup("HOME").or_else(|| lookup("USERPROFILE")) {
        Some(home) => {
            let expanded = format!("{}{rest}", home.trim_end_matches(std::path::is_separator));
            if expanded.is_empty() {
                "/".to_owned()
            } else {
                expanded
            }
        }
        None => path.to_owned(),
    }
}

/// Python's `posixpath.expandvars`: `$name` (ASCII letters, digits, `_`) and `${name}`;
/// unknown variables stay as written and substituted values are not expanded again.
fn expand_vars(path: &str, lookup: &impl Fn(&str) -> Option<String>) -> String {
    let mut expanded = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(dollar) = rest.find('$') {
        expanded.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let (name, reference_len) = match after.strip_prefix('{') {
            Some(braced) => match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            },
            None => {
                let len = after
                    .bytes()
                    .take_while(|byte| byte.is_ascii_alphanumeric() || *byte == b'_')
                    .count();
                (&after[..len], len)
            }
        };
        if reference_len == 0 {
            expanded.push('$');
            rest = after;
            continue;
        }
        let reference = &after[..reference_len];
        match lookup(name) {
            Some(value) => expanded.push_str(&value),
            None => {
                expanded.push('$');
                expanded.push_str(reference);
            }
        }
        rest = &after[reference_len..];
    }
    expanded.push_str(rest);
    expanded
}

fn yaml_str(text: &str) -> Yaml {
    Yaml::String(text.to_owned())
}

/// A key of an environment entry, looking through YAML merge keys (`<<: *anchor`, or a list
/// of them) when the entry does not have the key itself.
fn lookup_key<'a>(keys: &'a Hash, key: &str) -> Option<&'a Yaml> {
    if let Some(value) = keys.get(&yaml_str(key)) {
        return Some(value);
    }
    match keys.get(&yaml_str(MERGE_KEY))? {
        Yaml::Hash(merged) => lookup_key(merged, key),
        Yaml::Array(sources) => sources.iter().find_map(|source| match source {
            Yaml::Hash(merged) => lookup_key(merged, key),
            _ => None,
        }),
        _ => None,
    }
}

/// Python's truth value of a parsed YAML document.
fn is_falsy(value: &Yaml) -> bool {
    match value {
        Yaml::Null | Yaml::Boolean(false) | Yaml::Integer(0) => true,
        Yaml::String(text) => text.is_empty(),
        Yaml::Array(items) => items.is_empty(),
        Yaml::Hash(keys) => keys.is_empty(),
        Yaml::Real(_) => value.as_f64() == Some(0.0),
        _ => false,
    }
}

/// A scalar as Python's `str()` writes what PyYAML gives; `None` for null and `""` (which
/// count as missing); `Err` for lists, mappings and invalid values.
fn scalar_string(value: &Yaml) -> Result<Option<String>, ()> {
    match value {
        Yaml::Null => Ok(None),
        Yaml::String(text) if text.is_empty() => Ok(None),
        Yaml::String(text) => Ok(Some(text.clone())),
        Yaml::Integer(number) => Ok(Some(number.to_string())),
        Yaml::Boolean(true) => Ok(Some("True".to_owned())),
        Yaml::Boolean(false) => Ok(Some("False".to_owned())),
        Yaml::Real(text) => Ok(Some(match value.as_f64() {
            Some(number) => python_float_repr(number),
            None => text.clone(),
        })),
        Yaml::Array(_) | Yaml::Hash(_) | Yaml::Alias(_) | Yaml::BadValue => Err(()),
    }
}

/// Python's `repr(float)`: the shortest round-trip digits, in positional notation for
/// exponents from -4 to 15 and in scientific notation (`1e+16`) otherwise.
fn python_float_repr(number: f64) -> String {
    if number.is_nan() {
        return "nan".to_owned();
    }
    if number.is_infinite() {
        return if number > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "-1.25e-7".
    let scientific = format!("{number:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(unsigned) => ("-", unsigned),
        None => ("", mantissa),
    };
    let digits = mantissa.replace('.', "");
    let body = if (-4..16).contains(&exponent) {
        // Digits before the decimal point; at most 16 here, so the cast cannot truncate.
        let point = exponent + 1;
        if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else {
            let point = point as usize;
            if point >= digits.len() {
                format!("{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                format!("{}.{}", &digits[..point], &digits[point..])
            }
        }
    } else {
        let (first, others) = digits.split_at(1);
        let mantissa = if others.is_empty() {
            first.to_owned()
        } else {
            format!("{first}.{others}")
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{exponent_sign}{:02}", exponent.unsigned_abs())
    };
    format!("{sign}{body}")
}
