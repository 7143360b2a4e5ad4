//! What a check finds: a severity, a stable code, a message a person understands, and the
//! gateways it concerns. The codes are a public contract (README, "Finding codes").
//!
//! A controller's dry run answers with findings too; a newer controller may send a code or a
//! severity this build does not know. The code is kept as written ([`Code::Other`]) and an
//! unknown severity counts as a blocker ([`Severity::from_name`]), so nothing it reports is lost
//! or made to look harmless.

use std::fmt;

use serde::{Serialize, Serializer};

/// How much a finding matters. A blocker forbids the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Blocker,
    Warning,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Blocker, Severity::Warning, Severity::Info];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Blocker => "blocker",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// The severity called `name`; a name this build does not know is a blocker, never less.
    pub fn from_name(name: &str) -> Severity {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.name() == name)
            .unwrap_or(Severity::Blocker)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every finding the planner can report, each with one fixed severity, and [`Code::Other`] for
/// a code a controller reports that this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    Pre65AllGateways,
    BackupMissing,
    DnsUnresolved,
    NoInternet,
    AccountInvalid,
    AccountAudit,
    ControllerHaOutdated,
    T2T3Unlimited,
    /// A code this build does not know, as the controller wrote it; it counts as a blocker
    /// unless the controller gives its severity.
    Other(String),
}

impl Code {
    /// Every code the planner reports (not [`Code::Other`]).
    pub const ALL: [Code; 32] = [
        Code::TrainSkip,
        Code::TargetBelowCurrent,
        Code::BuildNotSelectable,
        Code::UnknownTarget,
        Code::AlreadyCurrent,
        Code::GatewaysBehindController,
        Code::GatewayTargetMismatch,
        Code::StuckMixedVersions,
        Code::NoRollbackTarget,
        Code::SelectiveUpgradeUnavailable,
        Code::RollbackDisruptive,
        Code::ImageUpgradeDisruptive,
        Code::NoCompatibleImage,
        Code::ActiveMeshRequired,
        Code::HaPairBothSelected,
        Code::HaPeerUnhealthy,
        Code::HaPeerUnhealthyHitless,
        Code::HaPeerDrain,
        Code::BgpReconverge,
        Code::SpokeNextHop,
        Code::OpenvpnRestart,
        Code::OpenvpnOnlyGateway,
        Code::GatewayUnhealthy,
        Code::NotHitless,
        Code::Pre65AllGateways,
        Code::BackupMissing,
        Code::DnsUnresolved,
        Code::NoInternet,
        Code::AccountInvalid,
        Code::AccountAudit,
        Code::ControllerHaOutdated,
        Code::T2T3Unlimited,
    ];

    /// The code called `name`: one of [`Code::ALL`], or [`Code::Other`] keeping `name`.
    pub fn from_name(name: &str) -> Code {
        Code::ALL
            .into_iter()
            .find(|code| code.as_str() == name)
            .unwrap_or_else(|| Code::Other(name.to_owned()))
    }

    /// The code as written in output, e.g. `train-skip`.
    pub fn as_str(&self) -> &str {
        match self {
            Code::TrainSkip => "train-skip",
            Code::TargetBelowCurrent => "target-below-current",
            Code::BuildNotSelectable => "build-not-selectable",
            Code::UnknownTarget => "unknown-target",
            Code::AlreadyCurrent => "already-current",
            Code::GatewaysBehindController => "gateways-behind-controller",
            Code::GatewayTargetMismatch => "gateway-target-mismatch",
            Code::StuckMixedVersions => "stuck-mixed-versions",
            Code::NoRollbackTarget => "no-rollback-target",
            Code::SelectiveUpgradeUnavailable => "selective-upgrade-unavailable",
            Code::RollbackDisruptive => "rollback-disruptive",
            Code::ImageUpgradeDisruptive => "image-upgrade-disruptive",
            Code::NoCompatibleImage => "no-compatible-image",
            Code::ActiveMeshRequired => "active-mesh-required",
            Code::HaPairBothSelected => "ha-pair-both-selected",
            Code::HaPeerUnhealthy => "ha-peer-unhealthy",
            Code::HaPeerUnhealthyHitless => "ha-peer-unhealthy-hitless",
            Code::HaPeerDrain => "ha-peer-drain",
            Code::BgpReconverge => "bgp-reconverge",
            Code::SpokeNextHop => "spoke-next-hop",
            Code::OpenvpnRestart => "openvpn-restart",
            Code::OpenvpnOnlyGateway => "openvpn-only-gateway",
            Code::GatewayUnhealthy => "gateway-unhealthy",
            Code::NotHitless => "not-hitless",
            Code::Pre65AllGateways => "pre-6.5-all-gateways",
            Code::BackupMissing => "backup-missing",
            Code::DnsUnresolved => "dns-unresolved",
            Code::NoInternet => "no-internet",
            Code::AccountInvalid => "account-invalid",
            Code::AccountAudit => "account-audit",
            Code::ControllerHaOutdated => "controller-ha-outdated",
            Code::T2T3Unlimited => "t2-t3-unlimited",
            Code::Other(name) => name,
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

/// The findings of one check, blockers first, then warnings, then information.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn new(mut findings: Vec<Finding>) -> Self {
        findings.sort_by_key(|finding| finding.severity);
        Self { findings }
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
        for code in Code::ALL {
            let json = serde_json::to_string(&code).expect("serialises");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|code| code.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
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
        for code in Code::ALL {
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
        for severity in Severity::ALL {
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
        assert_eq!(order, Severity::ALL);
        assert!(report.has_blocker());
        assert_eq!(
            report.first_blocker().map(Finding::reason),
            Some("train-skip: b".into())
        );
    }
}
