//! The journal's records, format version 1: one JSON object a line, each with the format
//! version (`v`), the time it was written (`at`), the operation it belongs to (`op`) and what
//! it is (`record`: `operation`, `call`, `answer` or `outcome`; for a rollout, `rollout`,
//! `gate` and `skip`).
//!
//! No type here has a field for a password, a session id or a token, and the controller URL is
//! written (and shown by `Debug`) without any `user:password@` part, so no secret can reach the
//! journal. Readers
//! tolerate fields they do not know, so a later version can add some; a new `v` is refused.

use std::borrow::Cow;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize, Serializer};

use crate::plan::Action;
use crate::version::Version;

mod id;
mod outcome;

pub use id::OperationId;
pub use outcome::{GatewayAfter, Outcome, VerdictRecord};

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The format version ([`FORMAT_VERSION`]).
    pub v: u32,
    /// When the record was written.
    pub at: Timestamp,
    /// The operation the record belongs to.
    pub op: OperationId,
    #[serde(flatten)]
    pub entry: Entry,
}

impl Record {
    /// A record of the current format version.
    pub fn new(op: OperationId, at: Timestamp, entry: impl Into<Entry>) -> Self {
        Self {
            v: FORMAT_VERSION,
            at,
            op,
            entry: entry.into(),
        }
    }

    /// A record written now.
    pub fn now(op: OperationId, entry: impl Into<Entry>) -> Self {
        Self::new(op, Timestamp::now(), entry)
    }
}

/// What a record says; its `record` field names the kind. (The intent is boxed: it is large,
/// and most records are calls and answers.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "kebab-case")]
pub enum Entry {
    Operation(Box<Operation>),
    Call(Call),
    Answer(Answer),
    Outcome(Outcome),
    /// A rollout's plan, written before its first wave (the record's `op` is the rollout's
    /// id; each wave is an operation whose intent names it in `rollout`).
    Rollout(Box<RolloutPlan>),
    /// A gate between waves, and how the rollout ended (`op`: the rollout's id).
    Gate(Gate),
    /// A gateway the operator left out of a rollout's remaining steps (`op`: the rollout's
    /// id); a resume leaves it out too.
    Skip(Skip),
}

impl Entry {
    /// The kind as written in the `record` field, e.g. `call`.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Operation(_) => "operation",
            Entry::Call(_) => "call",
            Entry::Answer(_) => "answer",
            Entry::Outcome(_) => "outcome",
            Entry::Rollout(_) => "rollout",
            Entry::Gate(_) => "gate",
            Entry::Skip(_) => "skip",
        }
    }
}

impl From<Operation> for Entry {
    fn from(operation: Operation) -> Self {
        Entry::Operation(Box::new(operation))
    }
}

impl From<RolloutPlan> for Entry {
    fn from(plan: RolloutPlan) -> Self {
        Entry::Rollout(Box::new(plan))
    }
}

impl From<Gate> for Entry {
    fn from(gate: Gate) -> Self {
        Entry::Gate(gate)
    }
}

impl From<Skip> for Entry {
    fn from(skip: Skip) -> Self {
        Entry::Skip(skip)
    }
}

impl From<Call> for Entry {
    fn from(call: Call) -> Self {
        Entry::Call(call)
    }
}

impl From<Answer> for Entry {
    fn from(answer: Answer) -> Self {
        Entry::Answer(answer)
    }
}

impl From<Outcome> for Entry {
    fn from(outcome: Outcome) -> Self {
        Entry::Outcome(outcome)
    }
}

/// The intent, written before anything is sent. (`Debug`, like the journal, shows the
/// controller URL without a `user:password@` part.)
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// The controller's URL as configured (written without a `user:password@` part).
    #[serde(serialize_with = "serialize_controller")]
    pub controller: String,
    /// The controller account that logs in.
    pub controller_user: String,
    /// Who runs avx-upgrade on this machine (see [`local_user`]).
    pub local_user: String,
    pub action: Action,
    /// The version the gateways or the platform go to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Version>,
    /// The controller's version before the operation.
    pub platform_before: Version,
    /// The gateways that change, with their state before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gateways: Vec<GatewayBefore>,
    /// Gateways that were selected but left out, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// What the operator typed to confirm (e.g. `22`, `7.2.5090`), or `--yes by alice`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<DryRunRecord>,
    /// The rollout and wave this operation is part of; `None` for a single operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutStep>,
}

/// Who runs avx-upgrade on this machine: `$USER`, else `$LOGNAME`, else `unknown`.
pub fn local_user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|variable| std::env::var(variable).ok())
        .find(|user| !user.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operation")
            .field("controller", &without_userinfo(&self.controller))
            .field("controller_user", &self.controller_user)
            .field("local_user", &self.local_user)
            .field("action", &self.action)
            .field("target", &self.target)
            .field("platform_before", &self.platform_before)
            .field("gateways", &self.gateways)
            .field("skipped", &self.skipped)
            .field("confirmation", &self.confirmation)
            .field("dry_run", &self.dry_run)
            .field("rollout", &self.rollout)
            .finish()
    }
}

/// Writes the controller URL without its user name and password, should it have any: the
/// journal never holds a secret, whatever the caller passes.
fn serialize_controller<S: Serializer>(url: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&without_userinfo(url))
}

/// `url` without a user name and password.
pub(super) fn without_userinfo(url: &str) -> Cow<'_, str> {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return userinfo_cut(url);
    };
    if parsed.username().is_empty() && parsed.password().is_none() {
        return Cow::Borrowed(url);
    }
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    Cow::Owned(parsed.into())
}

/// `url` without anything before an `@` in its authority, for text `url` cannot parse.
fn userinfo_cut(url: &str) -> Cow<'_, str> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return Cow::Borrowed(url);
    };
    let host_and_path = &rest[at + 1..];
    match scheme {
        "" => Cow::Borrowed(host_and_path),
        _ => Cow::Owned(format!("{scheme}://{host_and_path}")),
    }
}

/// A gateway that the operation changes, as it was before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayBefore {
    pub name: String,
    pub software: Version,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The gateway's state as the controller reported it (e.g. `up`).
    pub state: String,
    pub tunnels_up: bool,
    /// The software the gateway should run afterwards, when the operation changes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_software: Option<Version>,
    /// The image the gateway should run afterwards, when the operation changes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_image: Option<String>,
}

/// A gateway that was selected but left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub name: String,
    /// Why, e.g. `already at 7.0.2239`.
    pub reason: String,
}

impl Skipped {
    pub fn new(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            reason: reason.into(),
        }
    }
}

/// The dry run the operator saw before confirming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRunRecord {
    pub passed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckRecord>,
}

/// One checklist item of a dry run and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRecord {
    pub item: String,
    pub passed: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl CheckRecord {
    pub fn new(item: impl Into<String>, passed: bool, detail: impl Into<String>) -> Self {
        Self {
            item: item.into(),
            passed,
            detail: detail.into(),
        }
    }
}

/// Where an operation sits in a staged rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutStep {
    /// The rollout's name or id.
    pub rollout: String,
    /// The wave, counted from 1.
    pub wave: u32,
}

/// One request, written before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The call's number within its operation, counted from 1.
    pub call: u32,
    /// What is asked of the controller (e.g. the API action), never its parameters' secrets.
    pub endpoint: String,
    /// The gateways the call concerns; empty for a platform call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gateways: Vec<String>,
}

impl Call {
    pub fn new(call: u32, endpoint: impl Into<String>, gateways: Vec<String>) -> Self {
        Self {
            call,
            endpoint: endpoint.into(),
            gateways,
        }
    }
}

/// The controller's answer to call number `call`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub call: u32,
    pub accepted: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The controller's id for the request, when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Answer {
    pub fn new(call: u32, accepted: bool, message: impl Into<String>) -> Self {
        Self {
            call,
            accepted,
            message: message.into(),
            request_id: None,
        }
    }
}

/// A rollout as it was confirmed: the plan document, who confirmed it and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutPlan {
    pub document: crate::plan::rollout::Document,
    pub controller_user: String,
    pub local_user: String,
    /// What was typed to confirm, or `--yes by alice`.
    pub confirmation: String,
}

/// A gateway skipped by the operator during a rollout, and who skipped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    pub gateway: String,
    pub by: String,
}

/// A rollout's gate after a wave (`wave`), or its end (`wave` 0 when it ended before any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    pub wave: u32,
    pub passed: bool,
    pub message: String,
    /// Failed gateways so far, across waves.
    pub failed: u32,
}

#[cfg(test)]
mod tests;
