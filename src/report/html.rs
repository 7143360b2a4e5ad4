//! The change record as one self-contained HTML5 page, to attach to a change ticket or print.
//! Same sections as the Markdown: summary, plan, dry run, confirmations, timeline (a
//! Gantt-style inline SVG, see [`super::gantt`], and a table), before and after, failures.
//!
//! Self-contained: an inline `<style>` and inline SVG only; no script, no link, no image, no
//! external URL of any kind. It prints on A4 or Letter: black on white, nothing needs a
//! background to be read, table rows are never split across pages. A status is never colour
//! alone: the mark and the word (`✓ passed`, `✗ failed`, `… unfinished`, `– skipped`) are
//! always in the text. A changed value is bold in a `<mark class="changed">`. Every string
//! from the record is escaped with [`escape`].

use std::fmt::Write;

use super::gantt;
use super::model::{
    ChangeRecord, Confirmation, DryRunSection, Failure, GatewayChange, GatewayOutcome, PlanStep,
    RecordOutcome, TimelineRow,
};
use super::words::{self, BeforeAfter};

/// The page's CSS, before the chart's ([`gantt::STYLE`]).
const STYLE: &str = r#"
@page { margin: 14mm; }
* { box-sizing: border-box; }
body { margin: 0; color: #111; background: #fff; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.5em; margin: 0 0 .75em; }
h2 { font-size: 1.2em; margin: 1.6em 0 .5em; padding-bottom: .2em; border-bottom: 1px solid #999; }
h3 { font-size: 1em; margin: 1em 0 .3em; }
table { width: 100%; border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { white-space: nowrap; }
thead th { background: #f0f0f0; }
table.summary th { width: 11em; background: #f7f7f7; }
td.number { text-align: right; }
td.moment { white-space: nowrap; }
ol.plan li, ul.checks li, ul.failures li { margin: .15em 0; }
ul.checks { list-style: none; padding-left: .5em; }
.status { font-weight: bold; white-space: nowrap; }
.is-passed { color: #1b5e20; }
.is-failed { color: #b71c1c; }
.is-unfinished, .is-skipped { color: #555; }
mark.changed { background: #fff3a0; color: inherit; font-weight: bold; padding: 0 2px; }
.empty { font-style: italic; }
@media print {
  body { color: #000; background: #fff; font-size: 10pt; }
  main { max-width: none; padding: 0; }
  thead th, table.summary th { background: none; }
  .is-passed, .is-failed, .is-unfinished, .is-skipped { color: #000; }
  mark.changed { background: none; color: #000; text-decoration: underline; }
  thead { display: table-header-group; }
  tr, li { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  svg.gantt { break-inside: avoid; page-break-inside: avoid; }
}
"#;

/// The record as one HTML5 page, ending with a newline.
pub fn render(record: &ChangeRecord) -> String {
    let mut out = String::with_capacity(24 * 1024);
    head(&mut out, &record.title);
    summary(&mut out, record);
    plan(&mut out, &record.plan);
    dry_runs(&mut out, &record.dry_runs);
    confirmations(&mut out, &record.confirmations);
    timeline(&mut out, record);
    gateways(&mut out, &record.gateways);
    failures(&mut out, &record.failures);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The text with `&`, `<`, `>`, `"` and `'` escaped: safe in an element or a quoted attribute.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

fn head(out: &mut String, title: &str) {
    let title = escape(&format!("Change record: {title}"));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}{}</style>\n</head>\n<body>\n<main>\n\
         <h1>{title}</h1>\n",
        gantt::STYLE
    );
}

/// A section with its heading; `body` writes what is under it.
fn section(out: &mut String, section: &words::Section, body: impl FnOnce(&mut String)) {
    let _ = writeln!(
        out,
        "<section id=\"{}\">\n<h2>{}</h2>",
        section.id, section.title
    );
    body(out);
    out.push_str("</section>\n");
}

/// `<td>` with the escaped text.
fn td(text: &str) -> String {
    format!("<td>{}</td>", escape(text))
}

/// `<td class="{class}">` around markup already escaped.
fn td_html(class: &str, html: &str) -> String {
    format!("<td class=\"{class}\">{html}</td>")
}

/// A table with a header row; every cell is a ready `<td>`.
fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table>\n<thead><tr>");
    for header in headers {
        let _ = write!(out, "<th scope=\"col\">{header}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        let _ = writeln!(out, "<tr>{}</tr>", row.concat());
    }
    out.push_str("</tbody>\n</table>\n");
}

/// `<span class="status is-passed">✓ passed</span>`: the mark and word, coloured on screen.
fn status(class: &str, text: &str) -> String {
    format!("<span class=\"status is-{class}\">{}</span>", escape(text))
}

fn empty(out: &mut String, text: &str) {
    let _ = writeln!(out, "<p class=\"empty\">{text}</p>");
}

fn summary(out: &mut String, record: &ChangeRecord) {
    let ended = record
        .ended
        .map_or_else(|| "not recorded".to_owned(), words::moment);
    let rows = [
        ("Id", escape(&record.id)),
        ("Controller", escape(&record.controller)),
        ("Controller user", escape(&record.controller_user)),
        ("Local user", escape(&record.local_user)),
        ("Started", words::moment(record.started)),
        ("Ended", ended),
        ("Outcome", outcome(record)),
    ];
    out.push_str("<table class=\"summary\">\n<tbody>\n");
    for (field, value) in rows {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{field}</th><td>{value}</td></tr>"
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// `<span …>FAILED</span> — 1 of 2 gateways failed`.
fn outcome(record: &ChangeRecord) -> String {
    let word = status(record_class(record.outcome), record.outcome.word());
    match record.outcome_message.trim() {
        "" => word,
        message => format!("{word} — {}", escape(message)),
    }
}

fn record_class(outcome: RecordOutcome) -> &'static str {
    match outcome {
        RecordOutcome::Succeeded => "passed",
        RecordOutcome::Failed | RecordOutcome::Aborted => "failed",
        RecordOutcome::Unfinished => "unfinished",
    }
}

fn gateway_class(outcome: GatewayOutcome) -> &'static str {
    match outcome {
        GatewayOutcome::Passed => "passed",
        GatewayOutcome::Failed => "failed",
        GatewayOutcome::Skipped => "skipped",
        GatewayOutcome::Unfinished => "unfinished",
    }
}

fn plan(out: &mut String, steps: &[PlanStep]) {
    section(out, &words::PLAN, |out| {
        if steps.is_empty() {
            empty(out, words::PLAN.empty);
            return;
        }
        out.push_str("<ol class=\"plan\">\n");
        for step in steps {
            let _ = writeln!(
                out,
                "<li value=\"{}\">{}</li>",
                step.number,
                plan_step(step)
            );
        }
        out.push_str("</ol>\n");
    });
}

/// `<strong>wave 2</strong> — target 7.0.2239 — 3 gateways: a, b, c`.
fn plan_step(step: &PlanStep) -> String {
    let mut html = format!("<strong>{}</strong>", escape(&step.label));
    if let Some(target) = &step.target {
        let _ = write!(html, " — target {}", escape(target));
    }
    let _ = write!(html, " — {}", words::gateway_count(step.gateways.len()));
    if (1..=words::MAX_LISTED_GATEWAYS).contains(&step.gateways.len()) {
        let _ = write!(html, ": {}", escape(&step.gateways.join(", ")));
    }
    html
}

fn dry_runs(out: &mut String, sections: &[DryRunSection]) {
    section(out, &words::DRY_RUN, |out| {
        if sections.is_empty() {
            empty(out, words::DRY_RUN.empty);
        }
        for section in sections {
            dry_run(out, section);
        }
    });
}

fn dry_run(out: &mut String, section: &DryRunSection) {
    let verdict = if section.passed {
        status("passed", "PASSED")
    } else {
        status("failed", "FAILED")
    };
    let _ = writeln!(out, "<h3>{} — {verdict}</h3>", escape(&section.step));
    if section.checks.is_empty() {
        empty(out, words::NO_CHECKLIST);
        return;
    }
    out.push_str("<ul class=\"checks\">\n");
    for check in &section.checks {
        let mark = if check.passed {
            status("passed", "✓")
        } else {
            status("failed", "✗")
        };
        let _ = write!(out, "<li>{mark} {}", escape(&check.item));
        if !check.detail.trim().is_empty() {
            let _ = write!(out, " — {}", escape(&check.detail));
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n");
}

fn confirmations(out: &mut String, confirmations: &[Confirmation]) {
    section(out, &words::CONFIRMATIONS, |out| {
        if confirmations.is_empty() {
            empty(out, words::CONFIRMATIONS.empty);
            return;
        }
        let rows: Vec<Vec<String>> = confirmations
            .iter()
            .map(|confirmation| {
                vec![
                    td(&confirmation.what),
                    td(&confirmation.how),
                    td(&confirmation.controller_user),
                    td(&confirmation.local_user),
                    td_html("moment", &words::moment(confirmation.at)),
                ]
            })
            .collect();
        table(out, &words::CONFIRMATION_COLUMNS, &rows);
    });
}

fn timeline(out: &mut String, record: &ChangeRecord) {
    section(out, &words::TIMELINE, |out| {
        out.push_str(&gantt::render(&record.timeline, record.ended));
        if record.timeline.is_empty() {
            return;
        }
        let rows: Vec<Vec<String>> = record.timeline.iter().map(timeline_row).collect();
        table(out, &words::TIMELINE_COLUMNS, &rows);
    });
}

fn timeline_row(row: &TimelineRow) -> Vec<String> {
    let (end, duration) = words::end_and_duration(row);
    vec![
        td(&row.label),
        td_html("moment", &words::moment(row.start)),
        td_html("moment", &end),
        td_html("moment", &duration),
        td_html(
            "outcome",
            &status(gantt::outcome_key(row.outcome), row.outcome.label()),
        ),
        td_html("number", &row.gateways.to_string()),
        td_html("number", &row.failed.to_string()),
        td(&row.message),
    ]
}

fn gateways(out: &mut String, changes: &[GatewayChange]) {
    section(out, &words::BEFORE_AND_AFTER, |out| {
        if changes.is_empty() {
            empty(out, words::BEFORE_AND_AFTER.empty);
            return;
        }
        let rows: Vec<Vec<String>> = changes.iter().map(gateway_row).collect();
        table(out, &words::GATEWAY_COLUMNS, &rows);
    });
}

fn gateway_row(change: &GatewayChange) -> Vec<String> {
    let compared = words::compare(change);
    vec![
        td(&change.name),
        td(&change.step),
        td_html("value", &before_after(compared.software)),
        td_html("value", &before_after(compared.image)),
        td_html("value", &before_after(compared.state)),
        td_html(
            "outcome",
            &status(gateway_class(change.outcome), change.outcome.label()),
        ),
    ]
}

/// `7.1.4183`, `7.0.2239 → <mark class="changed"><strong>7.1.4183</strong></mark>`,
/// `7.0.2239 → not read`.
fn before_after(value: BeforeAfter<'_>) -> String {
    match value {
        BeforeAfter::Same(value) => escape(value),
        BeforeAfter::Changed { before, after } => format!(
            "{} → <mark class=\"changed\"><strong>{}</strong></mark>",
            escape(before),
            escape(after)
        ),
        BeforeAfter::NotRead { before } => format!("{} → <em>not read</em>", escape(before)),
    }
}

fn failures(out: &mut String, failures: &[Failure]) {
    section(out, &words::FAILURES, |out| {
        if failures.is_empty() {
            empty(out, words::FAILURES.empty);
            return;
        }
        out.push_str("<ul class=\"failures\">\n");
        for failure in failures {
            let _ = writeln!(
                out,
                "<li><strong>{}</strong>: {}</li>",
                escape(&failure.what),
                escape(&failure.reason)
            );
        }
        out.push_str("</ul>\n");
    });
}

#[cfg(test)]
mod tests;
