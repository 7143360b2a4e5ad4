//! The change record as Markdown, for pasting into a change ticket. Sections in order: the
//! title, a summary table, `## Plan`, `## Dry run` (every checklist item), `## Confirmations`,
//! `## Timeline`, `## Before and after` (a changed value in bold) and `## Failures`.
//!
//! Text from the record never breaks the layout: in a table cell `|` is escaped and line
//! breaks become spaces; in headings and list items line breaks become spaces.

use std::fmt::Write;

use super::model::{
    ChangeRecord, Confirmation, DryRunSection, Failure, GatewayChange, PlanStep, TimelineRow,
};
use super::words::{self, BeforeAfter};

/// The record as Markdown, ending with a newline.
pub fn render(record: &ChangeRecord) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Change record: {}", line(&record.title));
    summary(&mut out, record);
    plan(&mut out, &record.plan);
    dry_runs(&mut out, &record.dry_runs);
    confirmations(&mut out, &record.confirmations);
    timeline(&mut out, &record.timeline);
    gateways(&mut out, &record.gateways);
    failures(&mut out, &record.failures);
    out
}

/// Text on one line: every line break becomes a space.
fn line(text: &str) -> String {
    text.replace("\r\n", " ").replace(['\n', '\r'], " ")
}

/// Text for a table cell: on one line, with `|` escaped.
fn cell(text: &str) -> String {
    line(text).replace('|', "\\|")
}

/// A section heading, preceded by a blank line.
fn heading(out: &mut String, title: &str) {
    let _ = write!(out, "\n## {title}\n\n");
}

/// A table whose cells are already escaped.
fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(headers.len()));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
}

fn summary(out: &mut String, record: &ChangeRecord) {
    let ended = record
        .ended
        .map_or_else(|| "not recorded".to_owned(), words::moment);
    let rows = [
        ("Id", cell(&record.id)),
        ("Controller", cell(&record.controller)),
        ("Controller user", cell(&record.controller_user)),
        ("Local user", cell(&record.local_user)),
        ("Started", words::moment(record.started)),
        ("Ended", ended),
        ("Outcome", outcome(record)),
    ];
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(field, value)| vec![field.to_owned(), value])
        .collect();
    out.push('\n');
    table(out, &["Field", "Value"], &rows);
}

/// `**FAILED** — 1 of 2 gateways failed`.
fn outcome(record: &ChangeRecord) -> String {
    let word = record.outcome.word();
    match record.outcome_message.trim() {
        "" => format!("**{word}**"),
        message => format!("**{word}** — {}", cell(message)),
    }
}

fn plan(out: &mut String, steps: &[PlanStep]) {
    heading(out, words::PLAN.title);
    if steps.is_empty() {
        out.push_str(words::PLAN.empty);
        out.push('\n');
    }
    for step in steps {
        let _ = writeln!(out, "{}. {}", step.number, plan_step(step));
    }
}

/// `wave 2 — target 7.0.2239 — 3 gateways: a, b, c`.
fn plan_step(step: &PlanStep) -> String {
    let mut text = line(&step.label);
    if let Some(target) = &step.target {
        let _ = write!(text, " — target {}", line(target));
    }
    let _ = write!(text, " — {}", words::gateway_count(step.gateways.len()));
    if (1..=words::MAX_LISTED_GATEWAYS).contains(&step.gateways.len()) {
        let _ = write!(text, ": {}", line(&step.gateways.join(", ")));
    }
    text
}

fn dry_runs(out: &mut String, sections: &[DryRunSection]) {
    heading(out, words::DRY_RUN.title);
    if sections.is_empty() {
        out.push_str(words::DRY_RUN.empty);
        out.push('\n');
    }
    for (index, section) in sections.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        dry_run(out, section);
    }
}

fn dry_run(out: &mut String, section: &DryRunSection) {
    let verdict = if section.passed { "PASSED" } else { "FAILED" };
    let _ = write!(out, "### {} — {verdict}\n\n", line(&section.step));
    if section.checks.is_empty() {
        out.push_str(words::NO_CHECKLIST);
        out.push('\n');
    }
    for check in &section.checks {
        let mark = if check.passed { "✓" } else { "✗" };
        let _ = write!(out, "- {mark} {}", line(&check.item));
        if !check.detail.trim().is_empty() {
            let _ = write!(out, " — {}", line(&check.detail));
        }
        out.push('\n');
    }
}

fn confirmations(out: &mut String, confirmations: &[Confirmation]) {
    heading(out, words::CONFIRMATIONS.title);
    if confirmations.is_empty() {
        out.push_str(words::CONFIRMATIONS.empty);
        out.push('\n');
        return;
    }
    let rows: Vec<Vec<String>> = confirmations
        .iter()
        .map(|confirmation| {
            vec![
                cell(&confirmation.what),
                cell(&confirmation.how),
                cell(&confirmation.controller_user),
                cell(&confirmation.local_user),
                words::moment(confirmation.at),
            ]
        })
        .collect();
    table(out, &words::CONFIRMATION_COLUMNS, &rows);
}

fn timeline(out: &mut String, rows: &[TimelineRow]) {
    heading(out, words::TIMELINE.title);
    if rows.is_empty() {
        out.push_str(words::TIMELINE.empty);
        out.push('\n');
        return;
    }
    let rows: Vec<Vec<String>> = rows.iter().map(timeline_row).collect();
    table(out, &words::TIMELINE_COLUMNS, &rows);
}

fn timeline_row(row: &TimelineRow) -> Vec<String> {
    let (end, duration) = words::end_and_duration(row);
    vec![
        cell(&row.label),
        words::moment(row.start),
        end,
        duration,
        row.outcome.label().to_owned(),
        row.gateways.to_string(),
        row.failed.to_string(),
        cell(&row.message),
    ]
}

fn gateways(out: &mut String, changes: &[GatewayChange]) {
    heading(out, words::BEFORE_AND_AFTER.title);
    if changes.is_empty() {
        out.push_str(words::BEFORE_AND_AFTER.empty);
        out.push('\n');
        return;
    }
    let rows: Vec<Vec<String>> = changes.iter().map(gateway_row).collect();
    table(out, &words::GATEWAY_COLUMNS, &rows);
}

fn gateway_row(change: &GatewayChange) -> Vec<String> {
    let compared = words::compare(change);
    vec![
        cell(&change.name),
        cell(&change.step),
        before_after(compared.software),
        before_after(compared.image),
        before_after(compared.state),
        change.outcome.label().to_owned(),
    ]
}

/// `7.1.4183`, `7.0.2239 → **7.1.4183**`, `7.0.2239 → not read`.
fn before_after(value: BeforeAfter<'_>) -> String {
    match value {
        BeforeAfter::Same(value) => cell(value),
        BeforeAfter::Changed { before, after } => format!("{} → **{}**", cell(before), cell(after)),
        BeforeAfter::NotRead { before } => format!("{} → not read", cell(before)),
    }
}

fn failures(out: &mut String, failures: &[Failure]) {
    heading(out, words::FAILURES.title);
    if failures.is_empty() {
        out.push_str(words::FAILURES.empty);
        out.push('\n');
    }
    for failure in failures {
        let _ = writeln!(
            out,
            "- **{}**: {}",
            line(&failure.what),
            line(&failure.reason)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    /// The lines of the section under `## {title}`, up to the next section.
    fn section<'a>(markdown: &'a str, title: &str) -> Vec<&'a str> {
        let start = markdown
            .find(&format!("\n## {title}\n"))
            .unwrap_or_else(|| panic!("no section {title}"));
        markdown[start + 1..]
            .lines()
            .skip(1)
            .take_while(|line| !line.starts_with("## "))
            .filter(|line| !line.is_empty())
            .collect()
    }

    /// Cells of a table line: splits on `|` not escaped by a backslash.
    fn unescaped_pipes(line: &str) -> usize {
        let bytes = line.as_bytes();
        (0..bytes.len())
            .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
            .count()
    }

    #[test]
    fn sections_come_in_order() {
        let markdown = render(&sample::rollout());
        assert!(markdown.starts_with(
            "# Change record: Rollout of 6 gateways in 3 waves and 1 platform hop to 7.1.4183\n"
        ));
        let positions: Vec<usize> = [
            "## Plan",
            "## Dry run",
            "## Confirmations",
            "## Timeline",
            "## Before and after",
            "## Failures",
        ]
        .iter()
        .map(|title| markdown.find(&format!("\n{title}\n")).unwrap())
        .collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(markdown.ends_with('\n') && !markdown.ends_with("\n\n"));
    }

    #[test]
    fn every_checklist_item_is_listed_with_its_mark() {
        let record = sample::rollout();
        let markdown = render(&record);
        let listed = section(&markdown, "Dry run")
            .iter()
            .filter(|line| line.starts_with("- ✓ ") || line.starts_with("- ✗ "))
            .count();
        let items: usize = record
            .dry_runs
            .iter()
            .map(|section| section.checks.len())
            .sum();
        assert_eq!(listed, items);
        assert!(
            markdown
                .contains("- ✗ recent controller backup — warning: the last backup is 3 days old")
        );
        assert!(markdown.contains("### wave 1 (canary) — PASSED\n"));
    }

    #[test]
    fn a_failed_dry_run_says_failed() {
        let mut record = sample::failed_operation();
        record.dry_runs[0].passed = false;
        assert!(render(&record).contains("### software upgrade — FAILED\n"));
    }

    #[test]
    fn changed_values_are_bold_unchanged_shown_once_unread_said() {
        let markdown = render(&sample::rollout());
        assert!(markdown.contains(
            "| transit-euw1-01 | wave 3 | 7.0.2239 → **7.1.4183** | hvm-ubuntu-20.04 | up | ✓ passed |"
        ));
        assert!(markdown.contains("| hvm-ubuntu-18.04 → **hvm-ubuntu-20.04** |"));
        assert!(
            markdown.contains(
                "| spoke-euw1-01 | wave 2 | 6.9.349 | hvm-ubuntu-20.04 | up | ✗ failed |"
            )
        );
        assert!(markdown.contains("| 7.0.2239 → not read | hvm-ubuntu-20.04 → not read |"));
    }

    #[test]
    fn pipes_and_line_breaks_never_break_a_table_row() {
        let mut record = sample::rollout();
        record.gateways[0].name = "evil|gw\nnext | line\r\nend".to_owned();
        record.timeline[0].message = "line one\nline | two".to_owned();
        record.confirmations[0].how = "typed\r6|".to_owned();
        let markdown = render(&record);
        for title in ["Before and after", "Timeline", "Confirmations"] {
            let table = section(&markdown, title);
            let columns = unescaped_pipes(table[0]);
            for row in &table {
                assert!(row.starts_with('|') && row.ends_with('|'), "{row}");
                assert_eq!(unescaped_pipes(row), columns, "{row}");
            }
        }
        assert!(markdown.contains("| evil\\|gw next \\| line end | wave 1 (canary) |"));
        assert!(markdown.contains("| line one line \\| two |"));
    }

    #[test]
    fn a_line_break_in_a_title_or_list_stays_on_its_line() {
        let mut record = sample::rollout();
        record.title = "two\nlines".to_owned();
        record.failures[0].reason = "first\nsecond".to_owned();
        let markdown = render(&record);
        assert!(markdown.starts_with("# Change record: two lines\n"));
        assert!(markdown.contains("- **spoke-euw1-01**: first second\n"));
    }

    #[test]
    fn plan_lists_names_up_to_twenty_gateways() {
        let mut record = sample::rollout();
        record.plan[1].gateways = (1..=20).map(|n| format!("gw-{n:02}")).collect();
        record.plan[3].gateways = (1..=21).map(|n| format!("gw-{n:02}")).collect();
        let markdown = render(&record);
        assert!(markdown.contains("2. wave 2 — target 7.0.2239 — 20 gateways: gw-01, gw-02,"));
        assert!(markdown.contains("4. wave 3 — target 7.1.4183 — 21 gateways\n"));
        assert!(
            markdown.contains("3. platform 7.0.2239 → 7.1.4183 — target 7.1.4183 — no gateways\n")
        );
    }

    #[test]
    fn empty_sections_say_so() {
        let mut record = sample::failed_operation();
        record.timeline.clear();
        record.failures.clear();
        record.confirmations.clear();
        let markdown = render(&record);
        assert_eq!(section(&markdown, "Timeline"), ["No step ran."]);
        assert_eq!(section(&markdown, "Failures"), ["None."]);
        assert_eq!(section(&markdown, "Confirmations"), ["None recorded."]);
    }

    #[test]
    fn timeline_durations_and_unfinished_rows() {
        let markdown = render(&sample::rollout());
        assert!(markdown.contains(
            "| wave 1 (canary) | 2026-12-01T04:17:00Z | 2026-12-01T04:21:05Z | 4 min 05 s | ✓ passed | 1 | 0 |"
        ));
        assert!(markdown.contains("| 1 h 02 min | ✓ passed | 0 | 0 |"));
        assert!(
            markdown.contains("| wave 3 | 2026-12-01T05:40:00Z | — | — | … unfinished | 2 | 0 |")
        );
        assert!(markdown.contains("| Ended | not recorded |"));
        assert!(markdown.contains("| Outcome | **UNFINISHED** — wave 3 did not finish"));
    }

    #[test]
    fn snapshot_rollout() {
        insta::assert_snapshot!("report_rollout_md", render(&sample::rollout()));
    }

    #[test]
    fn snapshot_failed_operation() {
        insta::assert_snapshot!(
            "report_failed_operation_md",
            render(&sample::failed_operation())
        );
    }
}
