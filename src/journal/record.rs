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

/// Names one operation across its records, e.g. `20261130T211500Z-3fa2`: the UTC time of the
/// intent and 4 random hex digits, so two consoles starting in the same second differ.
/// A record whose id is not in this shape is not a record of this format: the reader counts it
/// as a bad line, so everything `history` lists can be named to `report`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OperationId(String);

impl TryFrom<String> for OperationId {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<OperationId> for String {
    fn from(id: OperationId) -> String {
        id.0
    }
}

impl OperationId {
    /// A new id for an operation whose intent is recorded at `now`.
    pub fn new(now: Timestamp) -> Self {
        let suffix: u16 = rand::random();
        Self(format!("{}-{suffix:04x}", now.strftime("%Y%m%dT%H%M%SZ")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for OperationId {
    type Err = String;

    /// An id as `history` shows it: `YYYYMMDDTHHMMSSZ-xxxx`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let well_formed = text.len() == 21
            && text.is_char_boundary(16)
            && text[..16].chars().enumerate().all(|(at, c)| match at {
                8 => c == 'T',
                15 => c == 'Z',
                _ => c.is_ascii_digit(),
            })
            && text[16..].starts_with('-')
            && text[17..].chars().all(|c| c.is_ascii_hexdigit());
        match well_formed {
            true => Ok(Self(text.to_owned())),
            false => Err(format!(
                "\"{}\" is not an operation id: expected one such as 20261130T211500Z-3fa2, as `avx-upgrade history` lists them",
                crate::quote::quoted(text)
            )),
        }
    }
}

impl fmt::Display for OperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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

/// The end of the operation, verified gateway by gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<VerdictRecord>,
}

impl Outcome {
    /// An outcome that is ok when every gateway passed.
    pub fn from_verdicts(message: impl Into<String>, verdicts: Vec<VerdictRecord>) -> Self {
        Self {
            ok: verdicts.iter().all(VerdictRecord::passed),
            message: message.into(),
            verdicts,
        }
    }
}

/// One gateway's verdict after the operation: `failure` says what is wrong, if anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictRecord {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The gateway as read back after the operation; absent when it was not listed, and in
    /// records written before the change record needed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<GatewayAfter>,
}

/// A gateway as read back after an operation: what the change record's before-and-after
/// table shows next to [`GatewayBefore`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayAfter {
    pub software: Version,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub state: String,
    pub tunnels_up: bool,
}

impl VerdictRecord {
    pub fn pass(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            failure: None,
            after: None,
        }
    }

    pub fn fail(name: impl Into<String>, failure: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            failure: Some(failure.into()),
            after: None,
        }
    }

    /// The same verdict, with the gateway as read back after the operation.
    pub fn with_after(mut self, after: Option<GatewayAfter>) -> Self {
        self.after = after;
        self
    }

    pub fn passed(&self) -> bool {
        self.failure.is_none()
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
