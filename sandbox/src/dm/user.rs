//! Users: the list of users, the caller's account (admin mode, impersonation, privacy), the
//! API log, the API token, and the user inventory of a Unit or Organisation.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::state::{bad_request, forbidden, DmUser, Role};
use super::{time, Caller, Params};
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// The days of the inventory's monitoring period.
const MONITORING_DAYS: i64 = 7;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/user", get(list_users))
        .route("/user/account", get(get_account).patch(update_account))
        .route("/user/api-log", get(get_api_log))
        .route("/user/token", get(get_api_token))
        .route("/inventory/user", get(get_inventory))
}

#[derive(Serialize)]
struct UserSummary {
    username: String,
}

#[derive(Serialize)]
struct UsersGetResponse {
    count: usize,
    users: Vec<UserSummary>,
}

/// `GET /user`: the users that have used the Data Manager.
async fn list_users(State(shared): State<AppState>, _caller: Caller) -> Json<UsersGetResponse> {
    let dm = lock(&shared.dm);
    let users: Vec<UserSummary> = dm
        .users
        .keys()
        .map(|username| UserSummary {
            username: username.clone(),
        })
        .collect();
    Json(UsersGetResponse {
        count: users.len(),
        users,
    })
}

#[derive(Serialize)]
pub(crate) struct UserDetail {
    username: String,
    f_uid: u64,
    first_seen: String,
    last_seen_date: String,
    private: bool,
    suspended: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    suspension_message: Option<String>,
    become_admin: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    impersonate: Option<String>,
}

impl UserDetail {
    pub(crate) fn of(user: &DmUser) -> UserDetail {
        UserDetail {
            username: user.username.clone(),
            f_uid: user.f_uid,
            first_seen: time::iso(user.first_seen),
            last_seen_date: time::date(user.last_seen),
            private: user.private,
            suspended: user.suspended,
            suspension_message: user.suspension_message.clone(),
            become_admin: user.become_admin,
            impersonate: user.impersonate.clone(),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct UserAccountDetail {
    user: UserDetail,
    caller_has_admin_privilege: bool,
    data_manager_roles: Vec<&'static str>,
}

impl UserAccountDetail {
    /// The account of `user`, for a caller who has (or not) the admin role; `user_is_admin`:
    /// the user has the Data Manager admin role.
    pub(crate) fn new(
        user: UserDetail,
        caller_has_admin_privilege: bool,
        user_is_admin: bool,
    ) -> UserAccountDetail {
        UserAccountDetail {
            user,
            caller_has_admin_privilege,
            data_manager_roles: if user_is_admin {
                vec!["data-manager-admin"]
            } else {
                Vec::new()
            },
        }
    }
}

/// `GET /user/account[?do_not_impersonate=]`: the account the caller acts as.
async fn get_account(State(shared): State<AppState>, caller: Caller) -> Json<UserAccountDetail> {
    let mut dm = lock(&shared.dm);
    let user = UserDetail::of(dm.user_mut(&caller.username));
    Json(UserAccountDetail::new(
        user,
        caller.may_be_admin,
        caller.may_be_admin,
    ))
}

/// `PATCH /user/account` (form `private`, `become_admin`, `impersonate`,
/// `use_impersonation`): changes the token's user's own account. Only users with the admin
/// role may switch admin mode on or impersonate.
async fn update_account(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let private = params.opt_flag("private")?;
    let become_admin = params.opt_flag("become_admin")?;
    let use_impersonation = params.opt_flag("use_impersonation")?;
    let impersonate = params.get("impersonate");
    let wants_admin_rights =
        become_admin == Some(true) || impersonate.is_some_and(|u| !u.is_empty());
    if wants_admin_rights && !caller.may_be_admin {
        return Err(forbidden(format!(
            "{} does not have the Data Manager admin role",
            caller.real_username
        )));
    }
    let mut dm = lock(&shared.dm);
    let user = dm.user_mut(&caller.real_username);
    if let Some(private) = private {
        user.private = private;
    }
    if let Some(become_admin) = become_admin {
        user.become_admin = become_admin;
    }
    // The admin state is set as a whole: `become_admin` without `impersonate` ends any
    // impersonation (this is how the Python client's set_admin_state stops it).
    match impersonate {
        Some(impersonate) => {
            user.impersonate = (!impersonate.is_empty()).then(|| impersonate.to_string())
        }
        None if become_admin.is_some() => user.impersonate = None,
        None => {}
    }
    if use_impersonation == Some(false) {
        user.impersonate = None;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct ApiLogDetail {
    method: String,
    path: String,
    began: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ns: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    impersonator: Option<String>,
}

/// A number with a comma between each group of three digits: `7,969,400`.
fn humanised(n: u128) -> String {
    let digits = n.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

#[derive(Serialize)]
struct UserApiLogGetResponse {
    count: usize,
    api_log: Vec<ApiLogDetail>,
}

/// `GET /user/api-log[?from=][&until=]`: the caller's calls other than GET, oldest first.
async fn get_api_log(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<UserApiLogGetResponse>, ApiError> {
    let bound = |name: &str| {
        params
            .get_set(name)
            .map(|v| {
                time::parse_iso(v).ok_or_else(|| {
                    bad_request(format!("'{name}' must be an ISO-8601 date-time, not {v:?}"))
                })
            })
            .transpose()
    };
    let (from, until) = (bound("from")?, bound("until")?);
    let mut dm = lock(&shared.dm);
    let api_log: Vec<ApiLogDetail> = dm
        .user_mut(&caller.username)
        .api_log
        .iter()
        .filter(|e| from.is_none_or(|f| e.began >= f) && until.is_none_or(|u| e.began < u))
        .map(|e| ApiLogDetail {
            method: e.method.clone(),
            path: e.path.clone(),
            began: time::iso(e.began),
            duration_ns: e.duration_ns.map(humanised),
            status_code: e.status_code,
            params: e.params.clone(),
            body: e.body.clone(),
            impersonator: e.impersonator.clone(),
        })
        .collect();
    Ok(Json(UserApiLogGetResponse {
        count: api_log.len(),
        api_log,
    }))
}

#[derive(Serialize)]
struct UserApiTokenGetResponse {
    token: String,
}

/// `GET /user/token`: the token the caller used.
async fn get_api_token(caller: Caller) -> Json<UserApiTokenGetResponse> {
    Json(UserApiTokenGetResponse {
        token: caller.token,
    })
}

#[derive(Serialize)]
struct InventoryProjectDetail {
    id: String,
    name: String,
    unit_id: String,
}

#[derive(Serialize)]
struct InventoryUserDetailProjects {
    administrator: Vec<InventoryProjectDetail>,
    editor: Vec<InventoryProjectDetail>,
    observer: Vec<InventoryProjectDetail>,
}

#[derive(Serialize)]
struct InventoryDatasetDetail {
    id: String,
    version: u64,
    filename: String,
    unit_id: String,
}

#[derive(Serialize)]
struct InventoryUserDetailDatasets {
    owner: Vec<InventoryDatasetDetail>,
    editor: Vec<InventoryDatasetDetail>,
}

/// The user's Dataset versions (not deleted) that belong to one of `units`, as owner and
/// as editor.
fn inventory_datasets(
    dm: &super::state::DmState,
    username: &str,
    units: &[String],
) -> InventoryUserDetailDatasets {
    let of = |owner: bool| {
        dm.datasets
            .values()
            .filter(|d| {
                if owner {
                    d.owner == username
                } else {
                    d.owner != username && d.editors.iter().any(|e| e == username)
                }
            })
            .flat_map(|d| {
                d.versions
                    .values()
                    .filter(|v| v.deleted.is_none() && units.contains(&v.unit_id))
                    .map(|v| InventoryDatasetDetail {
                        id: d.dataset_id.clone(),
                        version: v.version,
                        filename: v.file_name.clone(),
                        unit_id: v.unit_id.clone(),
                    })
            })
            .collect()
    };
    InventoryUserDetailDatasets {
        owner: of(true),
        editor: of(false),
    }
}

#[derive(Serialize)]
struct UserActivityDetailPeriod {
    monitoring_period: String,
    active_days: usize,
    inactive_days: usize,
    activity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    active_dates: Option<Vec<String>>,
}

#[derive(Serialize)]
struct UserActivityDetail {
    total_days_since_first_seen: i64,
    total_days_active: usize,
    total_days_inactive: i64,
    total_activity: String,
    period_a: UserActivityDetailPeriod,
}

#[derive(Serialize)]
struct InventoryUserDetail {
    f_uid: u64,
    first_seen: String,
    last_seen_date: String,
    username: String,
    projects: InventoryUserDetailProjects,
    datasets: InventoryUserDetailDatasets,
    activity: UserActivityDetail,
}

#[derive(Serialize)]
struct InventoryUserGetResponse {
    today: String,
    users: Vec<InventoryUserDetail>,
}

fn percent(part: usize, whole: i64) -> String {
    if whole <= 0 {
        return "0%".into();
    }
    format!("{:.0}%", part as f64 * 100.0 / whole as f64)
}

fn activity(user: &DmUser, now: f64) -> UserActivityDetail {
    let today = time::day(now);
    let since = (today - time::day(user.first_seen) + 1).max(1);
    let active = user.active_days.len();
    let recent: Vec<i64> = user
        .active_days
        .iter()
        .rev()
        .copied()
        .filter(|d| *d > today - MONITORING_DAYS)
        .collect();
    let complete = recent.len() as i64 >= MONITORING_DAYS;
    UserActivityDetail {
        total_days_since_first_seen: since,
        total_days_active: active,
        total_days_inactive: since - active as i64,
        total_activity: percent(active, since),
        period_a: UserActivityDetailPeriod {
            monitoring_period: format!("{MONITORING_DAYS} days"),
            active_days: recent.len(),
            inactive_days: (MONITORING_DAYS as usize).saturating_sub(recent.len()),
            activity: percent(recent.len(), MONITORING_DAYS),
            active_dates: (!complete && !recent.is_empty()).then(|| {
                recent
                    .iter()
                    .map(|d| time::date(*d as f64 * 86_400.0))
                    .collect()
            }),
        },
    }
}

/// `GET /inventory/user?unit_id=|org_id=[&usernames=a,b]`: for members of the Unit or
/// Organisation (and admins). The users with projects in it, and their activity.
async fn get_inventory(
    State(shared): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<InventoryUserGetResponse>, ApiError> {
    let (unit_id, org_id) = (params.get_set("unit_id"), params.get_set("org_id"));
    if unit_id.is_some() == org_id.is_some() {
        return Err(bad_request("Give either 'unit_id' or 'org_id'"));
    }
    // Everyone may use the test product, so everyone belongs to its unit and organisation.
    let of_test_product = unit_id == Some(super::projects::TEST_UNIT_ID)
        || org_id == Some(super::projects::TEST_ORG_ID);
    // Asked before the DM lock is taken: the Account Server has its own.
    if !caller.admin
        && !of_test_product
        && !crate::account_server::is_member(&shared, unit_id, org_id, &caller.username)
    {
        return Err(forbidden(format!(
            "{} is not a member of {}",
            caller.username,
            unit_id.or(org_id).unwrap_or_default()
        )));
    }
    let wanted: Option<Vec<&str>> = params
        .get_set("usernames")
        .map(|u| u.split(',').map(str::trim).collect());
    // The units whose Datasets count, asked before the DM lock is taken (the Account
    // Server has its own).
    let units: Vec<String> = match (unit_id, org_id) {
        (Some(u), _) => vec![u.to_string()],
        (_, Some(o)) => {
            let mut units: Vec<String> = lock(&shared.account)
                .units
                .iter()
                .filter(|u| u.org_id == o)
                .map(|u| u.id.clone())
                .collect();
            if o == super::projects::TEST_ORG_ID {
                units.push(super::projects::TEST_UNIT_ID.to_string());
            }
            units
        }
        _ => Vec::new(),
    };
    let now = time::now();
    let dm = lock(&shared.dm);
    let projects: Vec<_> = dm
        .projects
        .values()
        .filter(|p| match (unit_id, org_id) {
            (Some(u), _) => p.unit_id.as_deref() == Some(u),
            (_, Some(o)) => p.organisation_id.as_deref() == Some(o),
            _ => false,
        })
        .collect();
    let users = dm
        .users
        .values()
        .filter(|u| {
            wanted
                .as_ref()
                .is_none_or(|w| w.contains(&u.username.as_str()))
        })
        .filter(|u| projects.iter().any(|p| p.is_member(&u.username)))
        .map(|u| {
            let of_role = |role: Role| {
                projects
                    .iter()
                    .filter(|p| p.members(role).contains(&u.username))
                    .map(|p| InventoryProjectDetail {
                        id: p.project_id.clone(),
                        name: p.name.clone(),
                        unit_id: p.unit_id.clone().unwrap_or_default(),
                    })
                    .collect()
            };
            InventoryUserDetail {
                f_uid: u.f_uid,
                first_seen: time::iso(u.first_seen),
                last_seen_date: time::date(u.last_seen),
                username: u.username.clone(),
                projects: InventoryUserDetailProjects {
                    administrator: of_role(Role::Administrator),
                    editor: of_role(Role::Editor),
                    observer: of_role(Role::Observer),
                },
                datasets: inventory_datasets(&dm, &u.username, &units),
                activity: activity(u, now),
            }
        })
        .collect();
    Ok(Json(InventoryUserGetResponse {
        today: time::date(now),
        users,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_are_humanised_with_commas() {
        assert_eq!(super::humanised(7_969_400), "7,969,400");
        assert_eq!(super::humanised(999), "999");
        assert_eq!(super::humanised(1000), "1,000");
        assert_eq!(super::humanised(0), "0");
    }
}
