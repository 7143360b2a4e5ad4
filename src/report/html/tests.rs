//! Tests of `html`.

use super::*;
use crate::report::sample;

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

#[test]
fn escape_covers_the_five_characters() {
    assert_eq!(
        escape(r#"a & b < c > d "e" 'f'"#),
        "a &amp; b &lt; c &gt; d &quot;e&quot; &#39;f&#39;"
    );
    assert_eq!(escape(HOSTILE), "&lt;img src=x onerror=alert(1)&gt;");
    assert_eq!(escape("&amp;"), "&amp;amp;");
    assert_eq!(escape("✓ passed"), "✓ passed");
}

#[test]
fn a_hostile_gateway_name_is_text_everywhere() {
    let mut record = sample::rollout();
    record.gateways[0].name = HOSTILE.to_owned();
    record.plan[0].gateways[0] = HOSTILE.to_owned();
    record.timeline[0].label = HOSTILE.to_owned();
    record.failures[0].what = HOSTILE.to_owned();
    record.title = format!("\"{HOSTILE}'");
    let html = render(&record);
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("<td>&lt;img src=x onerror=alert(1)&gt;</td>"));
    assert!(html.contains("data-label=\"&lt;img src=x onerror=alert(1)&gt;\""));
    assert!(
        html.contains(
            "<title>Change record: &quot;&lt;img src=x onerror=alert(1)&gt;&#39;</title>"
        )
    );
}

/// The page references nothing outside itself; the controller's address is only text.
fn assert_self_contained(record: &ChangeRecord) {
    let html = render(record);
    let markup = html.replace(&escape(&record.controller), "");
    for forbidden in [
        "<script", "http://", "https://", "src=", "@import", "url(", "href=", "<link", "<img",
        "<iframe", "<object", "<embed",
    ] {
        assert!(!markup.contains(forbidden), "{forbidden} in {html}");
    }
    assert!(html.contains(&format!("<td>{}</td>", escape(&record.controller))));
}

#[test]
fn the_page_is_self_contained() {
    assert_self_contained(&sample::rollout());
    assert_self_contained(&sample::failed_operation());
}

#[test]
fn it_prints_in_black_and_white_without_splitting_rows() {
    let html = render(&sample::rollout());
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n"));
    assert!(html.ends_with("</html>\n"));
    let print = &html[html.find("@media print").unwrap()..];
    assert!(print.contains("tr, li { break-inside: avoid;"));
    assert!(print.contains("body { color: #000; background: #fff;"));
    assert!(html.contains("main { max-width: 1000px;"));
}

#[test]
fn sections_come_in_order() {
    let html = render(&sample::rollout());
    let positions: Vec<usize> = [
        "<table class=\"summary\">",
        "<h2>Plan</h2>",
        "<h2>Dry run</h2>",
        "<h2>Confirmations</h2>",
        "<h2>Timeline</h2>",
        "<svg class=\"gantt\"",
        "<h2>Before and after</h2>",
        "<h2>Failures</h2>",
    ]
    .iter()
    .map(|marker| html.find(marker).unwrap())
    .collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]));
}

#[test]
fn the_chart_has_one_row_per_timeline_row() {
    let record = sample::rollout();
    let html = render(&record);
    assert_eq!(
        html.matches("<g class=\"row\"").count(),
        record.timeline.len()
    );
    for (row, outcome) in record
        .timeline
        .iter()
        .zip(["passed", "failed", "passed", "unfinished"])
    {
        assert!(html.contains(&format!(
            "<g class=\"row\" data-outcome=\"{outcome}\" data-label=\"{}\">",
            escape(&row.label)
        )));
    }
}

#[test]
fn an_empty_timeline_says_no_step_ran() {
    let mut record = sample::failed_operation();
    record.timeline.clear();
    let html = render(&record);
    assert!(html.contains("<h2>Timeline</h2>\n<p class=\"empty\">No step ran.</p>\n</section>"));
    assert!(!html.contains("<svg"));
}

#[test]
fn status_is_always_a_mark_and_a_word() {
    let html = render(&sample::rollout());
    for label in ["✓ passed", "✗ failed", "… unfinished"] {
        assert!(html.contains(&format!("\">{label}</span>")), "{label}");
    }
    let mut record = sample::rollout();
    record.gateways[0].outcome = GatewayOutcome::Skipped;
    assert!(render(&record).contains("<span class=\"status is-skipped\">– skipped</span>"));
    assert!(html.contains("<span class=\"status is-unfinished\">UNFINISHED</span>"));
}

#[test]
fn changed_values_are_marked_and_bold() {
    let html = render(&sample::rollout());
    assert!(html.contains(
        "<td class=\"value\">7.0.2239 → <mark class=\"changed\"><strong>7.1.4183</strong></mark></td>"
    ));
    assert!(html.contains("<td class=\"value\">hvm-ubuntu-20.04</td>"));
    assert!(html.contains("<td class=\"value\">7.0.2239 → <em>not read</em></td>"));
}

#[test]
fn snapshot_rollout() {
    insta::assert_snapshot!("report_rollout_html", render(&sample::rollout()));
}

#[test]
fn snapshot_failed_operation() {
    insta::assert_snapshot!(
        "report_failed_operation_html",
        render(&sample::failed_operation())
    );
}
