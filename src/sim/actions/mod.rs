//! The controller's RPC actions: one function each, grouped by concern, all reached through
//! [`dispatch`]. Every action but `get_api_token` and `login` needs a live CID.

mod backup;
mod inventory;
mod session;
pub(crate) mod status;
mod upgrade;

use serde::Serialize;
use tokio::time::Instant;

use crate::sim::params::Params;
use crate::sim::sessions::CID_INVALID;
use crate::sim::state::SimState;

/// The reason for an unknown or missing action (Confirmed).
pub const VALID_ACTION_REQUIRED: &str = "valid action required";

/// Which RPC endpoint a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v1/api` or `/v2/api`.
    Api,
    /// `/v1/backend1` or `/v2/backend1`.
    Backend,
}

/// What an action answers, before it becomes an HTTP response.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `return: true` with `results` (already JSON).
    Done(String),
    /// `return: false` with a reason.
    Refused(String),
    /// A successful login: the CID sits at the top level.
    LoggedIn { cid: String, message: String },
    /// A failed login, answered after a delay against guessing.
    LoginFailed(String),
    /// A synchronous operation: answer when the operation with this request id has finished.
    WaitFor(u64),
}

impl Reply {
    /// `return: true` with `results` serialised from `value`.
    pub fn done(value: &impl Serialize) -> Reply {
        match serde_json::to_string(value) {
            Ok(json) => Reply::Done(json),
            Err(error) => {
                Reply::Refused(format!("internal error: cannot encode the answer: {error}"))
            }
        }
    }

    /// `return: true` with a text message as `results`.
    pub fn message(text: impl Into<String>) -> Reply {
        Reply::done(&text.into())
    }
}

/// True for actions that only read: the `flaky` fault disturbs these.
pub fn is_read(action: &str) -> bool {
    action.starts_with("list_")
        || action.starts_with("get_")
        || matches!(
            action,
            "platform_upgrade_status" | "check_upgrade_status" | "check_task_status"
        )
}

/// Runs `params`'s action against `state`.
pub fn dispatch(
    state: &mut SimState,
    endpoint: Endpoint,
    params: &Params,
    access_key: Option<&str>,
    now: Instant,
) -> Reply {
    let action = params.get("action").map(str::trim).unwrap_or("");
    *state.calls.entry(action.to_owned()).or_default() += 1;
    match (endpoint, action) {
        (Endpoint::Api, "get_api_token") => return session::get_api_token(state),
        (Endpoint::Api, "login") => return session::login(state, params, access_key, now),
        _ => {}
    }
    if !known(endpoint, action) {
        return Reply::Refused(VALID_ACTION_REQUIRED.into());
    }
    let Some(cid) = params.get("CID") else {
        return Reply::Refused(CID_INVALID.into());
    };
    if state.sessions.touch(cid, now).is_none() {
        return Reply::Refused(CID_INVALID.into());
    }
    let result = match action {
        "logout" => Ok(session::logout(state, cid)),
        "list_version_info" => inventory::list_version_info(state, params),
        "list_vpcs_summary" => inventory::list_vpcs_summary(state, params),
        "get_gateway_info" => inventory::get_gateway_info(state, params),
        "list_gateway_upgrade_status" => Ok(inventory::list_gateway_upgrade_status(state)),
        "get_compatible_image_version" => inventory::get_compatible_image_version(state, params),
        "get_release_catalog" => Ok(inventory::get_release_catalog(state)),
        "get_upgrade_checklist" => Ok(backup::get_upgrade_checklist(state)),
        "get_cloudn_backup_config" => Ok(backup::get_cloudn_backup_config(state)),
        "enable_cloudn_backup_config" => backup::enable_cloudn_backup_config(state, params),
        "disable_cloudn_backup_config" => Ok(backup::disable_cloudn_backup_config(state)),
        "upgrade" => upgrade::upgrade(state, params, now),
        "upgrade_platform" => upgrade::upgrade_platform(state, params, now),
        "upgrade_selected_gateway" => upgrade::upgrade_selected_gateway(state, params, now),
        "replace_gateway" => upgrade::replace_gateway(state, params, now),
        "platform_upgrade_status" => Ok(status::platform_upgrade_status(state, now)),
        "check_task_status" => status::check_task_status(state, params, now),
        "check_upgrade_status" => status::check_upgrade_status(state, params, now),
        _ => Err(VALID_ACTION_REQUIRED.to_owned()),
    };
    result.unwrap_or_else(Reply::Refused)
}

/// The actions each endpoint serves. `check_upgrade_status` lives on backend1 only (Confirmed);
/// `check_task_status` on both (backend1 in the 6.6–7.0 era, api since).
fn known(endpoint: Endpoint, action: &str) -> bool {
    const API: &[&str] = &[
        "logout",
        "list_version_info",
        "list_vpcs_summary",
        "get_gateway_info",
        "list_gateway_upgrade_status",
        "get_compatible_image_version",
        "get_release_catalog",
        "get_upgrade_checklist",
        "get_cloudn_backup_config",
        "enable_cloudn_backup_config",
        "disable_cloudn_backup_config",
        "upgrade",
        "upgrade_platform",
        "upgrade_selected_gateway",
        "replace_gateway",
        "platform_upgrade_status",
        "check_task_status",
    ];
    match endpoint {
        Endpoint::Api => API.contains(&action),
        Endpoint::Backend => matches!(action, "check_upgrade_status" | "check_task_status"),
    }
}
