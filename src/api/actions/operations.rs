//! Operations at the controller: dry runs, starting a platform upgrade or a gateway
//! operation (split into requests under the size limit), and the statuses that follow them.

use serde::Deserialize;
use serde_json::Value;

use super::{decode, text};
use crate::api::client::{Call, Client};
use crate::api::error::ApiError;
use crate::api::statuses::GatewayStatus;
use crate::plan::{Action, Code, Finding, Severity};
use crate::version::Target;

/// The action that upgrades the platform.
pub const PLATFORM_UPGRADE: &str = "upgrade_platform";
/// The action of every gateway operation: upgrade, rollback, image upgrade.
pub const GATEWAY_OPERATION: &str = "upgrade_selected_gateway";

/// The result of a dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRun {
    pub target: Option<String>,
    pub blocked: bool,
    pub findings: Vec<Finding>,
}

/// How an operation was started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// The controller answered with this request id (a string since 7.1, a number before).
    RequestId(String),
    /// The controller answered with a message and no request id, as a synchronous call is
    /// answered: what became of the operation is read from the controller's status.
    Answered(String),
    /// The answer was lost, and the controller's status shows the operation running.
    ConfirmedByStatus,
    /// The answer to a platform upgrade was lost and the controller cannot be asked now (it
    /// restarts, as it does during an upgrade): the upgrade is followed by the controller's
    /// status and version, and counts as done only once the version has moved.
    Restarting(String),
}

/// `check_task_status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    InProgress,
    Done(String),
    Failed(String),
}

/// `platform_upgrade_status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformStatus {
    pub in_progress: bool,
    /// `in progress`, `complete`, a failure word, or empty before any upgrade.
    pub status: String,
    pub message: String,
    pub reason: String,
    /// Extension fields, when the controller gives them.
    pub phase: Option<String>,
    pub percent: Option<u8>,
}

/// `check_upgrade_status` (6.5–7.0), from the top level or from `results`. A missing `status`
/// is read as true: a failure then shows as a `result` starting with `Error`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LegacyUpgradeStatus {
    #[serde(default)]
    pub pos: u64,
    pub done: bool,
    #[serde(default = "status_unsaid")]
    pub status: bool,
    #[serde(default)]
    pub result: String,
}

fn status_unsaid() -> bool {
    true
}

impl Client {
    /// The platform upgrade's dry run (simulator extension `dry_run=true`).
    pub async fn platform_dry_run(&self, target: Target) -> Result<DryRun, ApiError> {
        let call = platform_call(target).param("dry_run", "true");
        dry_run(PLATFORM_UPGRADE, self.call(&call).await?)
    }

    /// Starts a platform upgrade (`upgrade_platform`, `async=true`). A lost answer is resolved
    /// with `platform_upgrade_status`, never by sending the request again.
    pub async fn start_platform_upgrade(&self, target: Target) -> Result<Started, ApiError> {
        let call = platform_call(target).param("async", "true");
        match self.call(&call).await {
            Ok(results) => Ok(started(results)),
            Err(ApiError::OutcomeUnknown { action, cause }) => {
                tracing::warn!(%action, %cause, "outcome unknown: checking platform_upgrade_status");
                self.confirm_platform_started(action, cause).await
            }
            Err(error) => Err(error),
        }
    }

    async fn confirm_platform_started(
        &self,
        action: String,
        cause: String,
    ) -> Result<Started, ApiError> {
        let status = match self.platform_upgrade_status().await {
            Ok(status) => status,
            Err(error) if error.is_transient() => {
                tracing::warn!(%error, "the controller does not answer after a lost start: following it");
                return Ok(Started::Restarting(format!(
                    "the answer was lost ({cause}) and the controller does not answer ({error})"
                )));
            }
            Err(error) => return Err(error),
        };
        if status.in_progress {
            return Ok(Started::ConfirmedByStatus);
        }
        Err(ApiError::Refused {
            action,
            reason: format!(
                "the answer was lost ({cause}) and the controller shows no platform upgrade running: it did not start"
            ),
        })
    }

    /// A gateway operation's dry run.
    pub async fn gateway_dry_run(
        &self,
        action: Action,
        gateways: &[String],
    ) -> Result<DryRun, ApiError> {
        let call = gateway_call(action, gateways)?.param("dry_run", "true");
        dry_run(GATEWAY_OPERATION, self.call(&call).await?)
    }

    /// Starts a gateway software upgrade, rollback or image upgrade (`async=true`) in one
    /// request. A lost answer is resolved with `list_gateway_upgrade_status`.
    pub async fn start_gateway_operation(
        &self,
        action: Action,
        gateways: &[String],
    ) -> Result<Started, ApiError> {
        let requests = [gateways.to_vec()];
        let mut answers = self.start_gateway_requests(action, &requests).await?;
        answers
            .pop()
            .unwrap_or_else(|| Err(ApiError::Config("no request was sent".into())))
    }

    /// Starts one gateway operation as several requests (`requests`, e.g. from
    /// [`crate::plan::chunks::pack`]), sent at once; one answer per request, in order. The
    /// statuses are read once first (an error there means nothing was sent): a request whose
    /// answer is lost is resolved against them.
    pub async fn start_gateway_requests(
        &self,
        action: Action,
        requests: &[Vec<String>],
    ) -> Result<Vec<Result<Started, ApiError>>, ApiError> {
        let calls = requests
            .iter()
            .map(|gateways| Ok(gateway_call(action, gateways)?.param("async", "true")))
            .collect::<Result<Vec<Call>, ApiError>>()?;
        // What the selected gateways look like before the calls: if an answer is lost, a
        // change since then (or an operation running) proves that its request started.
        let before = self.gateway_upgrade_status().await?;
        let sent = calls.iter().zip(requests).map(|(call, gateways)| async {
            let before = selected_statuses(&before, gateways);
            self.start_one(call, gateways, before).await
        });
        Ok(futures::future::join_all(sent).await)
    }

    async fn start_one(
        &self,
        call: &Call,
        gateways: &[String],
        before: Vec<GatewayStatus>,
    ) -> Result<Started, ApiError> {
        match self.call(call).await {
            Ok(results) => Ok(started(results)),
            Err(ApiError::OutcomeUnknown { action, cause }) => {
                tracing::warn!(%action, %cause, "outcome unknown: checking list_gateway_upgrade_status");
                let after = selected_statuses(&self.gateway_upgrade_status().await?, gateways);
                let started = after.iter().any(GatewayStatus::in_progress) || after != before;
                if started {
                    return Ok(Started::ConfirmedByStatus);
                }
                Err(ApiError::Refused {
                    action,
                    reason: format!(
                        "the answer was lost ({cause}) and no selected gateway changed or shows an operation running: it did not start"
                    ),
                })
            }
            Err(error) => Err(error),
        }
    }

    /// `check_task_status`.
    pub async fn task_status(&self, request_id: &str) -> Result<TaskState, ApiError> {
        let call = Call::read("check_task_status").param("request_id", request_id);
        match self.call(&call).await {
            Ok(results) => Ok(TaskState::Done(
                results.as_str().unwrap_or("done").to_owned(),
            )),
            Err(ApiError::Refused { reason, .. }) if reason == "REQUEST_IN_PROGRESS" => {
                Ok(TaskState::InProgress)
            }
            Err(ApiError::Refused { reason, .. }) => Ok(TaskState::Failed(reason)),
            Err(error) => Err(error),
        }
    }

    /// `platform_upgrade_status` (`platform_only=true`).
    pub async fn platform_upgrade_status(&self) -> Result<PlatformStatus, ApiError> {
        self.platform_status(Call::read("platform_upgrade_status"))
            .await
    }

    /// `platform_upgrade_status` sent once, for a poller: a restarting controller shows at once.
    pub async fn poll_platform_upgrade_status(&self) -> Result<PlatformStatus, ApiError> {
        self.platform_status(Call::poll("platform_upgrade_status"))
            .await
    }

    async fn platform_status(&self, call: Call) -> Result<PlatformStatus, ApiError> {
        let results = self.call(&call.param("platform_only", "true")).await?;
        let upgrade = &results["platform_upgrade"];
        let inner = &upgrade["results"];
        Ok(PlatformStatus {
            in_progress: results["is_upgrade_in_progress"].as_bool().unwrap_or(false),
            status: text(inner, "status").to_owned(),
            message: Some(text(upgrade, "progmsg"))
                .filter(|m| !m.is_empty())
                .unwrap_or(text(inner, "msg"))
                .to_owned(),
            reason: Some(text(inner, "reason"))
                .filter(|r| !r.is_empty())
                .unwrap_or(text(upgrade, "reason"))
                .to_owned(),
            phase: upgrade
                .get("phase")
                .and_then(Value::as_str)
                .map(str::to_owned),
            percent: upgrade
                .get("percent")
                .and_then(Value::as_u64)
                .and_then(|p| u8::try_from(p).ok()),
        })
    }

    /// `check_upgrade_status` on backend1 (the 6.5–7.0 flow).
    pub async fn legacy_upgrade_status(&self, id: &str) -> Result<LegacyUpgradeStatus, ApiError> {
        let call = Call::poll("check_upgrade_status")
            .param("id", id)
            .param("pos", "0")
            .on_backend();
        decode("check_upgrade_status", self.call(&call).await?)
    }
}

/// The statuses of the named gateways, in the controller's order.
fn selected_statuses(statuses: &[GatewayStatus], names: &[String]) -> Vec<GatewayStatus> {
    let names: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
    statuses
        .iter()
        .filter(|status| names.contains(status.name.as_str()))
        .cloned()
        .collect()
}

/// `upgrade_platform` to `target`, always named: an empty version and `latest` mean different
/// things to different controllers (docs/controller-api.md, "latest"), so neither is sent.
fn platform_call(target: Target) -> Call {
    let version = target.to_string();
    Call::mutate(PLATFORM_UPGRADE)
        .param("gateway_list", "")
        .param("software_version", version.clone())
        .param("version", version)
}

/// What a request costs besides its `gateway_list`: the other parameters, the session id and
/// the form's separators, generously.
const REQUEST_OVERHEAD: usize = 2048;

impl Client {
    /// The bytes one request may spend on gateway names ([`gateway_name_cost`] each).
    pub fn gateway_list_budget(&self) -> usize {
        usize::try_from(self.max_request())
            .unwrap_or(usize::MAX)
            .saturating_sub(REQUEST_OVERHEAD)
            .max(1)
    }
}

/// The bytes `name` takes in a request's `gateway_list`, form-encoded, with its separator.
pub fn gateway_name_cost(name: &str) -> usize {
    let encoded: usize = url::form_urlencoded::byte_serialize(name.as_bytes())
        .map(str::len)
        .sum();
    encoded + "%2C".len()
}

fn gateway_call(action: Action, gateways: &[String]) -> Result<Call, ApiError> {
    let software = match action {
        Action::SoftwareRollback => "previous",
        Action::SoftwareUpgrade | Action::ImageUpgrade => "latest",
        Action::PlatformUpgrade => {
            return Err(ApiError::Config(
                "a platform upgrade is not a gateway operation".into(),
            ));
        }
    };
    let mut call = Call::mutate(GATEWAY_OPERATION)
        .param("gateway_list", gateways.join(","))
        .param("software_version", software)
        .param("operation", action.as_str());
    if action == Action::ImageUpgrade {
        call = call.param("image_version", "latest");
    }
    Ok(call)
}

/// How a start was answered: a request id (a string, a number, or an object's `request_id`),
/// or anything else, such as a message (which has spaces no id has), as answered without one.
fn started(results: Value) -> Started {
    let id = match &results {
        Value::Number(id) => id.to_string(),
        Value::String(id) if !id.contains(char::is_whitespace) => id.clone(),
        other => text(other, "request_id").to_owned(),
    };
    if !id.is_empty() {
        return Started::RequestId(id);
    }
    match results {
        Value::String(message) => Started::Answered(message),
        Value::Null => Started::Answered(String::new()),
        other => Started::Answered(crate::quote::clipped(&other.to_string()).to_string()),
    }
}

fn dry_run(action: &str, results: Value) -> Result<DryRun, ApiError> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(default)]
        target: Option<String>,
        #[serde(default)]
        blocked: bool,
        #[serde(default)]
        findings: Vec<RawFinding>,
    }
    #[derive(Deserialize)]
    struct RawFinding {
        severity: String,
        code: String,
        message: String,
        #[serde(default)]
        gateways: Vec<String>,
    }
    let raw: Raw = decode(action, results)?;
    // A code or severity this build does not know is kept (as written, and as a blocker), so
    // a newer controller's findings are never dropped or made to look harmless.
    let findings: Vec<Finding> = raw
        .findings
        .into_iter()
        .map(|finding| {
            let mut decoded = Finding::about(
                Code::from_name(&finding.code),
                finding.message,
                finding.gateways,
            );
            decoded.severity = Severity::from_name(&finding.severity);
            decoded
        })
        .collect();
    let blocked = raw.blocked
        || findings
            .iter()
            .any(|finding| finding.severity == Severity::Blocker);
    Ok(DryRun {
        target: raw.target,
        blocked,
        findings,
    })
}

#[cfg(test)]
mod tests;
