//! What a check finds: a severity, a stable code, a message a person understands, and the
//! gateways it concerns. The codes are a public contract (README, "Finding codes").
//!
//! A controller's dry run answers with findings too; a newer controller may send a code or a
//! severity this build does not know. The code is kept as written ([`Code::Other`]) and an
//! unknown severity counts as a blocker ([`Severity::from_name`]), so nothing it reports is lost
//! or made to look harmless.

use std::fmt;

use serde::{Serialize, Serializer};
use strum::{AsRefStr, EnumIter, EnumString, IntoEnumIterator, IntoStaticStr};

/// How much a finding matters. A blocker forbids the operation. In order: most severe first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    EnumIter,
    EnumString,
    IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Severity {
    Blocker,
    Warning,
    Info,
}

impl Severity {
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The severity called `name`; a name this build does not know is a blocker, never less.
    pub fn from_name(name: &str) -> Severity {
        name.parse().unwrap_or(Severity::Blocker)
    }
}

/// Every finding the planner can report, each with one fixed severity, and [`Code::Other`] for
/// a code a controller reports that this build does not know. The names (kebab-case) are the
/// public contract.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, EnumString, AsRefStr)]
#[strum(serialize_all = "kebab-case")]
pub enum Code {
    TrainSkip,
    TargetBelowCurrent,
    BuildNotSelectable,
    UnknownTarget,
    AlreadyCurrent,
    GatewaysBehindController,
    GatewayTargetMismatch,
    StuckMixedVersions,
    NoRollbackTarget,
    SelectiveUpgradeUnavailable,
    RollbackDisruptive,
    ImageUpgradeDisruptive,
    NoCompatibleImage,
    ActiveMeshRequired,
    HaPairBothSelected,
    HaPeerUnhealthy,
    HaPeerUnhealthyHitless,
    HaPeerDrain,
    BgpReconverge,
    SpokeNextHop,
    OpenvpnRestart,
    OpenvpnOnlyGateway,
    GatewayUnhealthy,
    NotHitless,
    #[strum(serialize = "pre-6.5-all-gateways")]
    Pre65AllGateways,
    BackupMissing,
    DnsUnresolved,
    NoInternet,
    AccountInvalid,
    AccountAudit,
    ControllerHaOutdated,
    #[strum(serialize = "t2-t3-unlimited")]
    T2T3Unlimited,
    /// A code this build does not know, as the controller wrote it; it counts as a blocker
    /// unless the controller gives its severity.
    #[strum(default)]
    Other(String),
}

impl Code {
    /// Every code the planner reports (not [`Code::Other`]).
    pub fn known() -> impl Iterator<Item = Code> {
        Code::iter().filter(|code| !matches!(code, Code::Other(_)))
    }

    /// The code called `name`: a known one, or [`Code::Other`] keeping `name`.
    pub fn from_name(name: &str) -> Code {
        name.parse()
            .unwrap_or_else(|_| Code::Other(name.to_owned()))
    }

    /// The code as written in output, e.g. `train-skip`.
    pub fn as_str(&self) -> &str {
        match self {
            Code::Other(name) => name,
            known => known.as_ref(),
        }
    }

    /// The code's fixed severity; an unknown code is a blocker.
    pub fn severity(&self) -> Severity {
        match self {
            Code::AlreadyCurrent
            | Code::HaPeerDrain
            | Code::BgpReconverge
            | Code::SpokeNextHop
            | Code::Pre65AllGateways => Severity::Info,
            Code::RollbackDisruptive
            | Code::ImageUpgradeDisruptive
            | Code::HaPairBothSelected
            | Code::HaPeerUnhealthyHitless
            | Code::OpenvpnRestart
            | Code::OpenvpnOnlyGateway
            | Code::NotHitless
            | Code::BackupMissing
            | Code::AccountAudit
            | Code::ControllerHaOutdated
            | Code::T2T3Unlimited => Severity::Warning,
            _ => Severity::Blocker,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One result of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub gateways: Vec<String>,
}

impl Finding {
    /// A finding about the whole request.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self::about(code, message, Vec::new())
    }

    /// A finding about the named gateways.
    pub fn about(code: Code, message: impl Into<String>, gateways: Vec<String>) -> Self {
        Self {
            severity: code.severity(),
            code,
            message: message.into(),
            gateways,
        }
    }

    /// The reason a controller gives when it refuses: `<code>: <message>`.
    pub fn reason(&self) -> String {
        format!("{}: {}", self.code, self.message)
    }
}

/// One item of the guide's pre-upgrade checklist as a dry run checked it: its name, whether
/// it passed, and a short detail ("DNS resolves", "Controller HA disabled: not checked").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecklistItem {
    pub item: String,
    /// The code of the finding this item produces when it fails.
    pub code: Code,
    pub passed: bool,
    pub detail: String,
}

impl ChecklistItem {
    pub fn new(item: &str, code: Code, passed: bool, detail: impl Into<String>) -> Self {
        Self {
            item: item.to_owned(),
            code,
            passed,
            detail: detail.into(),
        }
    }
}

/// The findings of one check, blockers first, then warnings, then information, and the
/// checklist items the check covered (empty for a report that did not list them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub checklist: Vec<ChecklistItem>,
}

impl Report {
    pub fn new(mut findings: Vec<Finding>) -> Self {
        findings.sort_by_key(|finding| finding.severity);
        Self {
            findings,
            checklist: Vec::new(),
        }
    }

    /// This report with the checklist items that were checked.
    pub fn with_checklist(mut self, checklist: Vec<ChecklistItem>) -> Self {
        self.checklist = checklist;
        self
    }

    /// True when at least one finding forbids the operation.
    pub fn has_blocker(&self) -> bool {
        self.findings
            .iter()
            .any(|finding| finding.severity == Severity::Blocker)
    }

    /// The findings of one severity, in order.
    pub fn with_severity(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(move |finding| finding.severity == severity)
    }

    /// The first blocker, the one a refusing controller names in its reason.
    pub fn first_blocker(&self) -> Option<&Finding> {
        self.with_severity(Severity::Blocker).next()
    }

    /// True when a finding with `code` is present.
    pub fn contains(&self, code: Code) -> bool {
        self.findings.iter().any(|finding| finding.code == code)
    }

    /// The finding with `code`, if present.
    pub fn get(&self, code: Code) -> Option<&Finding> {
        self.findings.iter().find(|finding| finding.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_written() {
        for code in Code::known() {
            let json = serde_json::to_string(&code).expect("serialises");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn codes_are_unique() {
        let known: Vec<Code> = Code::known().collect();
        let mut names: Vec<&str> = known.iter().map(|code| code.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), known.len());
    }

    #[test]
    fn severities_follow_the_contract() {
        assert_eq!(Code::TrainSkip.severity(), Severity::Blocker);
        assert_eq!(Code::AlreadyCurrent.severity(), Severity::Info);
        assert_eq!(Code::RollbackDisruptive.severity(), Severity::Warning);
        assert_eq!(Code::GatewayUnhealthy.severity(), Severity::Blocker);
        assert_eq!(Code::Pre65AllGateways.severity(), Severity::Info);
        assert_eq!(Code::T2T3Unlimited.severity(), Severity::Warning);
        assert_eq!(Code::HaPeerUnhealthy.severity(), Severity::Blocker);
        assert_eq!(Code::HaPeerUnhealthyHitless.severity(), Severity::Warning);
        assert_eq!(
            Code::SelectiveUpgradeUnavailable.severity(),
            Severity::Blocker
        );
    }

    #[test]
    fn names_decode_and_unknown_ones_are_kept_as_blockers() {
        for code in Code::known() {
            assert_eq!(Code::from_name(code.as_str()), code);
        }
        let unknown = Code::from_name("quantum-flux-misaligned");
        assert_eq!(unknown, Code::Other("quantum-flux-misaligned".into()));
        assert_eq!(unknown.as_str(), "quantum-flux-misaligned");
        assert_eq!(unknown.severity(), Severity::Blocker);
        assert_eq!(
            serde_json::to_string(&unknown).expect("serialises"),
            "\"quantum-flux-misaligned\""
        );
        for severity in Severity::iter() {
            assert_eq!(Severity::from_name(severity.name()), severity);
        }
        for name in ["critical", "", "Info", "notice"] {
            assert_eq!(Severity::from_name(name), Severity::Blocker, "{name:?}");
        }
    }

    #[test]
    fn reports_sort_blockers_first() {
        let report = Report::new(vec![
            Finding::new(Code::HaPeerDrain, "i"),
            Finding::new(Code::BackupMissing, "w"),
            Finding::new(Code::TrainSkip, "b"),
        ]);
        let order: Vec<Severity> = report.findings.iter().map(|f| f.severity).collect();
        assert_eq!(order, Severity::iter().collect::<Vec<_>>());
        assert!(report.has_blocker());
        assert_eq!(
            report.first_blocker().map(Finding::reason),
            Some("train-skip: b".into())
        );
    }
}
