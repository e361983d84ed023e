//! The state shared by the [`Sandbox`](crate::Sandbox) handle and every request handler.
//!
//! One [`Shared`] value lives behind an `Arc`; each independently changing piece
//! has its own `Mutex`, held only for short, non-async sections. Stateful API
//! areas (projects, files, units, ...) add their own field here, e.g.
//! `dm: Mutex<dm::DmState>`, and their handlers reach it through
//! `State<AppState>`.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fault::FaultRules;
use crate::keys::RealmKey;
use crate::record::RequestLog;
use crate::{AS_CLIENT_ID, DM_CLIENT_ID, REALM};

/// What every handler receives as `State<AppState>`.
pub(crate) type AppState = Arc<Shared>;

/// Locks `mutex`, carrying on if a panicking thread poisoned it: every
/// critical section leaves the data consistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A user the sandbox's Keycloak accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SandboxUser {
    /// The login name (matched case-insensitively, as Keycloak does).
    pub username: String,
    /// The password, compared exactly.
    pub password: String,
    /// Whether the user may become a Data Manager / Account Server admin.
    /// Such users get the realm roles `data-manager-admin` and `account-server-admin`.
    pub may_be_admin: bool,
}

/// The users every sandbox starts with: one admin-capable user and two plain ones.
pub(crate) fn default_users() -> Vec<SandboxUser> {
    let user = |name: &str, password: &str, may_be_admin| SandboxUser {
        username: name.into(),
        password: password.into(),
        may_be_admin,
    };
    vec![
        user("dmit-admin", "dmit-admin-password", true),
        user("alice", "alice-password", false),
        user("bob", "bob-password", false),
    ]
}

/// Token lifetimes for tokens issued from now on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lifetimes {
    pub(crate) access: Duration,
    pub(crate) refresh: Duration,
}

pub(crate) struct Shared {
    /// `http://127.0.0.1:PORT` or `https://...`.
    pub(crate) base_url: String,
    pub(crate) key: RealmKey,
    pub(crate) users: Mutex<Vec<SandboxUser>>,
    /// Known Keycloak clients and the secret each requires (`None`: a public client).
    pub(crate) clients: Mutex<BTreeMap<String, Option<String>>>,
    pub(crate) lifetimes: Mutex<Lifetimes>,
    pub(crate) log: Arc<RequestLog>,
    pub(crate) faults: Mutex<FaultRules>,
    /// The Data Manager's state.
    pub(crate) dm: Mutex<crate::dm::state::DmState>,
    /// The Account Server's state.
    pub(crate) account: Mutex<crate::account_server::state::AsState>,
    /// TCP connections accepted since the start, turned-away ones included.
    pub(crate) connections: AtomicU64,
    /// Keycloak sessions (`session_state`) whose tokens are no longer accepted.
    pub(crate) revoked_sessions: Mutex<std::collections::BTreeSet<String>>,
    /// The sessions opened by each user's logins (lower-cased user name), for revoking.
    pub(crate) sessions: Mutex<BTreeMap<String, Vec<String>>>,
    /// Keycloak sessions ended by a logout: their refresh tokens are refused.
    pub(crate) ended_sessions: Mutex<std::collections::HashSet<String>>,
    /// The clock every time is read from.
    pub(crate) clock: Arc<crate::clock::Clock>,
}

impl Shared {
    pub(crate) fn new(
        base_url: String,
        lifetimes: Lifetimes,
        max_recorded_requests: usize,
    ) -> std::io::Result<Self> {
        let clients = [DM_CLIENT_ID, AS_CLIENT_ID]
            .into_iter()
            .map(|c| (c.to_owned(), None))
            .collect();
        let account = Mutex::new(crate::account_server::state::AsState::new(&base_url));
        Ok(Shared {
            base_url,
            key: RealmKey::load()?,
            users: Mutex::new(default_users()),
            clients: Mutex::new(clients),
            lifetimes: Mutex::new(lifetimes),
            log: Arc::new(RequestLog::new(max_recorded_requests)),
            faults: Mutex::new(FaultRules::default()),
            dm: Mutex::new(Default::default()),
            account,
            connections: AtomicU64::new(0),
            revoked_sessions: Mutex::new(Default::default()),
            sessions: Mutex::new(BTreeMap::new()),
            clock: Arc::default(),
            ended_sessions: Mutex::default(),
        })
    }

    /// This sandbox's clock in seconds since the Unix epoch (see [`crate::clock`]), wherever
    /// it is read from. Keycloak's token claims and the API's token check read it.
    pub(crate) fn clock_secs(&self) -> u64 {
        u64::try_from(self.clock.time().as_second()).unwrap_or(0)
    }

    /// Whether tokens of Keycloak session `session_state` were revoked.
    pub(crate) fn session_revoked(&self, session_state: &str) -> bool {
        lock(&self.revoked_sessions).contains(session_state)
    }

    /// The `iss` of every token: the realm's URL.
    pub(crate) fn issuer(&self) -> String {
        format!("{}/auth/realms/{REALM}", self.base_url)
    }

    pub(crate) fn find_user(&self, username: &str) -> Option<SandboxUser> {
        lock(&self.users)
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(username))
            .cloned()
    }
}
