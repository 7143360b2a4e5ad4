//! The controller's RPC actions: one function each, grouped by concern, all reached through
//! [`dispatch`] from one table (`ACTIONS`: name, endpoints, read or write, handler). Every
//! action but `get_api_token` and `login` needs a live CID.

mod backup;
mod inventory;
mod session;
pub(crate) mod status;
mod upgrade;

use serde::Serialize;
use tokio::time::Instant;

use crate::sim::listing::Listing;
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
    /// `return: true` with a long list as `results`, written by the server as it is sent.
    Listing(Listing),
    /// `return: false` with a reason.
    Refused(String),
    /// A successful login: the CID sits at the top level.
    LoggedIn { cid: String, message: String },
    /// A failed login, answered after a delay against guessing.
    LoginFailed(String),
    /// A synchronous operation: answer when the operation with this request id has finished,
    /// or, for a platform upgrade, when its restart begins.
    WaitFor(u64),
    /// An answer outside the envelope, its fields at the top level (already JSON): the 6.5–7.0
    /// `check_upgrade_status`.
    Bare(String),
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

/// Which endpoints serve an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Served {
    Api,
    Backend,
    Both,
}

impl Served {
    fn includes(self, endpoint: Endpoint) -> bool {
        matches!(
            (self, endpoint),
            (Served::Both, _) | (Served::Api, Endpoint::Api) | (Served::Backend, Endpoint::Backend)
        )
    }
}

/// Whether an action only reads (the `flaky` fault disturbs these) or changes something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// What an action is called with besides the state.
struct Call<'a> {
    params: &'a Params,
    /// The session's CID; empty for the actions that make one.
    cid: &'a str,
    /// The `X-Access-Key` header, for `login`.
    access_key: Option<&'a str>,
    now: Instant,
}

/// How an action runs.
type Handler = fn(&mut SimState, &Call<'_>) -> Result<Reply, String>;

/// One RPC action: its name, where it is served, whether it reads, and its handler.
struct Action {
    name: &'static str,
    served: Served,
    access: Access,
    /// False for the two actions that make a session (`get_api_token`, `login`).
    needs_session: bool,
    run: Handler,
}

const fn action(name: &'static str, access: Access, run: Handler) -> Action {
    Action {
        name,
        served: Served::Api,
        access,
        needs_session: true,
        run,
    }
}

/// Every action the simulator serves. `check_upgrade_status` lives on backend1 only
/// (Confirmed); `check_task_status` on both (backend1 in the 6.6–7.0 era, api since).
const ACTIONS: &[Action] = &[
    Action {
        needs_session: false,
        ..action("get_api_token", Access::Read, |state, _| {
            Ok(session::get_api_token(state))
        })
    },
    Action {
        needs_session: false,
        ..action("login", Access::Write, |state, call| {
            Ok(session::login(
                state,
                call.params,
                call.access_key,
                call.now,
            ))
        })
    },
    action("logout", Access::Write, |state, call| {
        Ok(session::logout(state, call.cid))
    }),
    action("list_version_info", Access::Read, |state, call| {
        inventory::list_version_info(state, call.params)
    }),
    action("list_vpcs_summary", Access::Read, |_, call| {
        inventory::list_vpcs_summary(call.params)
    }),
    action("get_gateway_info", Access::Read, |state, call| {
        inventory::get_gateway_info(state, call.params)
    }),
    action("list_gateway_upgrade_status", Access::Read, |_, _| {
        Ok(inventory::list_gateway_upgrade_status())
    }),
    action(
        "get_compatible_image_version",
        Access::Read,
        |state, call| inventory::get_compatible_image_version(state, call.params),
    ),
    action("get_release_catalog", Access::Read, |state, _| {
        Ok(inventory::get_release_catalog(state))
    }),
    action("get_upgrade_checklist", Access::Read, |state, _| {
        Ok(backup::get_upgrade_checklist(state))
    }),
    action("get_cloudn_backup_config", Access::Read, |state, _| {
        Ok(backup::get_cloudn_backup_config(state))
    }),
    action(
        "enable_cloudn_backup_config",
        Access::Write,
        |state, call| backup::enable_cloudn_backup_config(state, call.params),
    ),
    action("disable_cloudn_backup_config", Access::Write, |state, _| {
        Ok(backup::disable_cloudn_backup_config(state))
    }),
    action("upgrade", Access::Write, |state, call| {
        upgrade::upgrade(state, call.params, call.now)
    }),
    action("upgrade_platform", Access::Write, |state, call| {
        upgrade::upgrade_platform(state, call.params, call.now)
    }),
    action("upgrade_selected_gateway", Access::Write, |state, call| {
        upgrade::upgrade_selected_gateway(state, call.params, call.now)
    }),
    action("replace_gateway", Access::Write, |state, call| {
        upgrade::replace_gateway(state, call.params, call.now)
    }),
    action("platform_upgrade_status", Access::Read, |state, call| {
        Ok(status::platform_upgrade_status(state, call.now))
    }),
    Action {
        served: Served::Both,
        ..action("check_task_status", Access::Read, |state, call| {
            status::check_task_status(state, call.params, call.now)
        })
    },
    Action {
        served: Served::Backend,
        ..action("check_upgrade_status", Access::Read, |state, call| {
            status::check_upgrade_status(state, call.params, call.now)
        })
    },
];

/// The action called `name` on `endpoint`.
fn find(endpoint: Endpoint, name: &str) -> Option<&'static Action> {
    ACTIONS
        .iter()
        .find(|action| action.name == name && action.served.includes(endpoint))
}

/// True for actions that only read: the `flaky` fault disturbs these.
pub fn is_read(action: &str) -> bool {
    ACTIONS
        .iter()
        .any(|entry| entry.name == action && entry.access == Access::Read)
}

/// Runs `params`'s action against `state`.
pub fn dispatch(
    state: &mut SimState,
    endpoint: Endpoint,
    params: &Params,
    access_key: Option<&str>,
    now: Instant,
) -> Reply {
    let name = params.get("action").map(str::trim).unwrap_or("");
    *state.calls.entry(name.to_owned()).or_default() += 1;
    let Some(action) = find(endpoint, name) else {
        return Reply::Refused(VALID_ACTION_REQUIRED.into());
    };
    let cid = match (action.needs_session, params.get("CID")) {
        (false, _) => "",
        (true, Some(cid)) if state.sessions.touch(cid, now).is_some() => cid,
        (true, _) => return Reply::Refused(CID_INVALID.into()),
    };
    let call = Call {
        params,
        cid,
        access_key,
        now,
    };
    (action.run)(state, &call).unwrap_or_else(Reply::Refused)
}
