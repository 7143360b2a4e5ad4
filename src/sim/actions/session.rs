//! `get_api_token`, `login` and `logout` (controller-api.md §1.3).

use serde::Serialize;
use tokio::time::Instant;

use crate::sim::actions::Reply;
use crate::sim::params::Params;
use crate::sim::state::SimState;

/// The reason for bad credentials (Invented: the real wording is not public).
pub const BAD_CREDENTIALS: &str = "Invalid username or password.";

#[derive(Serialize)]
struct ApiToken {
    api_token: String,
    legal_terms: &'static str,
    reason: &'static str,
}

/// A token for the `X-Access-Key` header of `login`.
pub fn get_api_token(state: &mut SimState) -> Reply {
    Reply::done(&ApiToken {
        api_token: state.sessions.issue_token(),
        legal_terms: "Simulated Aviatrix controller: for rehearsals and tests only.",
        reason: "",
    })
}

/// Checks the credentials (and the access key, when one is sent or required) and opens a session.
pub fn login(
    state: &mut SimState,
    params: &Params,
    access_key: Option<&str>,
    now: Instant,
) -> Reply {
    let (Ok(user), Ok(password)) = (params.require("username"), params.require("password")) else {
        return Reply::LoginFailed("username and password required.".into());
    };
    let key_ok = match access_key {
        Some(key) => state.sessions.token_known(key),
        None => !state.settings.require_access_key,
    };
    if !key_ok {
        return Reply::LoginFailed("Invalid X-Access-Key: call get_api_token first.".into());
    }
    let credentials = &state.settings.credentials;
    let user_ok = credentials.user == user;
    let password_ok = credentials.password.matches(password);
    if !(user_ok && password_ok) {
        return Reply::LoginFailed(BAD_CREDENTIALS.into());
    }
    let user = user.to_owned();
    let cid = state.sessions.open(&user, now);
    Reply::LoggedIn {
        cid,
        message: format!(
            "User login:{user} in account:admin has been authorized successfully on controller 127.0.0.1 - Please check email confirmation."
        ),
    }
}

/// Ends the session of `cid`.
pub fn logout(state: &mut SimState, cid: &str) -> Reply {
    state.sessions.close(cid);
    Reply::message("You have been logged out.")
}
