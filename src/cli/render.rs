//! Plain-text rendering shared by the commands: findings grouped by severity, with a marker
//! and the severity's name on every line so nothing depends on colour, and the checklist
//! items a dry run checked, each marked ✓ or ✗ with "pass" or "FAIL".

use std::fmt::Write;

use strum::IntoEnumIterator;

use crate::plan::{Finding, Report, Severity};

/// How many gateway names a text report lists under a finding (`--json` lists all).
const NAMES_LISTED: usize = 20;

/// The checklist items `report` checked, one a line, then a blank line.
pub fn checklist(out: &mut String, report: &Report) {
    if report.checklist.is_empty() {
        return;
    }
    let _ = writeln!(out, "Checklist ({})", report.checklist.len());
    for item in &report.checklist {
        let mark = if item.passed { "✓ pass" } else { "✗ FAIL" };
        let _ = writeln!(out, "  {mark} {}: {}", item.item, item.detail);
    }
    out.push('\n');
}

/// The findings of `report`, grouped blockers, warnings, information.
pub fn findings(out: &mut String, report: &Report) {
    for severity in Severity::iter() {
        let group: Vec<&Finding> = report.with_severity(severity).collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{} ({})", heading(severity), group.len());
        for finding in group {
            finding_lines(out, finding);
        }
    }
}

fn heading(severity: Severity) -> &'static str {
    match severity {
        Severity::Blocker => "Blockers",
        Severity::Warning => "Warnings",
        Severity::Info => "Information",
    }
}

/// `x` for a blocker, `!` for a warning, `i` for information.
fn marker(severity: Severity) -> char {
    match severity {
        Severity::Blocker => 'x',
        Severity::Warning => '!',
        Severity::Info => 'i',
    }
}

fn finding_lines(out: &mut String, finding: &Finding) {
    let _ = writeln!(
        out,
        "  {} {:<7} {}: {}",
        marker(finding.severity),
        finding.severity,
        finding.code,
        finding.message
    );
    if finding.gateways.is_empty() {
        return;
    }
    let shown = &finding.gateways[..finding.gateways.len().min(NAMES_LISTED)];
    let _ = write!(out, "            gateways: {}", shown.join(", "));
    let rest = finding.gateways.len() - shown.len();
    if rest > 0 {
        let _ = write!(out, " and {rest} more (--json lists them all)");
    }
    out.push('\n');
}

/// "2 blockers, 1 warning, 0 info".
pub fn summary(report: &Report) -> String {
    let count = |severity| report.with_severity(severity).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}, {} info",
        plural(count(Severity::Blocker), "blocker"),
        plural(count(Severity::Warning), "warning"),
        count(Severity::Info)
    )
}
