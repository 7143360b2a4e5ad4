//! The timeline as a Gantt-style inline SVG, for the HTML report: one row per step, a
//! horizontal time axis in UTC from the earliest start to the latest end, and a bar per row.
//!
//! The markup, which tests read (and so may other tools):
//!
//! ```text
//! <svg class="gantt" viewBox="0 0 1000 H" width="1000" height="H" role="img" aria-labelledby="gantt-title" ...>
//!   <title id="gantt-title">Timeline: N steps, HH:MM:SS to HH:MM:SS UTC</title>
//!   <g class="axis"> <line .../> <text class="tick">HH:MM:SS</text> ... </g>
//!   <g class="row" data-outcome="passed|failed|unfinished" data-label="{the row's label}">
//!     <rect class="bar" x=".." y=".." width=".." height=".."/>
//!     <text class="label" ...>{the label, shortened with … past 30 characters}</text>
//!     <text class="result" ...>{✓ passed · 4 min 05 s}</text>
//!   </g>
//!   ... one <g class="row"> per timeline row, in the record's order
//! </svg>
//! ```
//!
//! A row without an end ends at the record's end, or, when that is unknown too, is drawn a
//! short fixed width from its start. Bars are told apart without colour by their outline
//! (solid for passed, dashed for failed, dotted for unfinished, see [`STYLE`]) and by the
//! outcome word beside them. With no row there is no chart, only "No step ran."; a zero-length
//! span puts every bar at the axis's start with a minimum width (no division by zero).

use std::fmt::Write;

use jiff::Timestamp;

use super::html::escape;
use super::model::{RowOutcome, TimelineRow};
use super::words;

/// The chart's CSS, for the page's `<style>`: colour on screen, outline styles that read in
/// black and white, and print rules.
pub(crate) const STYLE: &str = r#"
svg.gantt { display: block; width: 100%; height: auto; margin: .5em 0 1em; font-size: 13px; }
.gantt text { fill: #111; }
.gantt .label { text-anchor: end; }
.gantt .tick { text-anchor: middle; fill: #444; font-size: 12px; }
.gantt .axis-note { text-anchor: end; fill: #444; font-size: 12px; }
.gantt .axis line { stroke: #888; stroke-width: 1; }
.gantt .axis line.grid { stroke: #ddd; }
.gantt .bar { stroke: #000; stroke-width: 1.5; }
.gantt .row[data-outcome="passed"] .bar { fill: #2e7d32; }
.gantt .row[data-outcome="failed"] .bar { fill: #c62828; stroke-width: 2.5; stroke-dasharray: 6 3; }
.gantt .row[data-outcome="unfinished"] .bar { fill: #bdbdbd; stroke-width: 2; stroke-dasharray: 2 2; }
@media print {
  .gantt .row[data-outcome="passed"] .bar { fill: #666; }
  .gantt .row[data-outcome="failed"] .bar { fill: #fff; }
  .gantt .row[data-outcome="unfinished"] .bar { fill: #fff; }
  .gantt .axis line.grid { stroke: #bbb; }
}
"#;

const WIDTH: f64 = 1000.0;
/// Bars start here; the labels sit on the left of it.
const BARS_LEFT: f64 = 240.0;
/// Room on the right of the latest end for the outcome and duration text.
const RESULT_ROOM: f64 = 190.0;
const BARS_WIDTH: f64 = WIDTH - BARS_LEFT - RESULT_ROOM;
const TOP: f64 = 8.0;
const ROW_HEIGHT: f64 = 28.0;
const BAR_HEIGHT: f64 = 16.0;
const AXIS_HEIGHT: f64 = 36.0;
/// The narrowest bar drawn, so a step of a few seconds still shows.
const MIN_BAR: f64 = 4.0;
/// The width of a bar with no end anywhere in the record.
const OPEN_BAR: f64 = 24.0;
/// Labels longer than this are shortened with `…` (the full label stays in `data-label`).
const LABEL_CHARS: usize = 30;
/// Tick labels on the axis when the span is not empty.
const TICKS: i64 = 5;

/// The timeline as an SVG chart, or a paragraph saying no step ran.
pub(crate) fn render(rows: &[TimelineRow], record_ended: Option<Timestamp>) -> String {
    let Some(scale) = Scale::of(rows, record_ended) else {
        return format!("<p class=\"empty\">{}</p>\n", words::TIMELINE.empty);
    };
    let height = TOP + ROW_HEIGHT * rows.len() as f64 + AXIS_HEIGHT;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg class=\"gantt\" viewBox=\"0 0 {WIDTH} {height:.0}\" width=\"{WIDTH}\" height=\"{height:.0}\" role=\"img\" \
         aria-labelledby=\"gantt-title\" preserveAspectRatio=\"xMinYMin meet\">"
    );
    let _ = writeln!(
        svg,
        "<title id=\"gantt-title\">{}</title>",
        escape(&title(rows.len(), &scale))
    );
    axis(&mut svg, &scale, height - AXIS_HEIGHT);
    for (index, row) in rows.iter().enumerate() {
        bar(&mut svg, &scale, row, index);
    }
    svg.push_str("</svg>\n");
    svg
}

/// Maps whole seconds onto the chart's x axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Scale {
    /// The earliest start, in seconds since the epoch.
    origin: i64,
    /// Seconds from the earliest start to the latest end; may be 0.
    span: i64,
    /// The record's end, in seconds since the epoch: where rows without an end stop.
    record_end: Option<i64>,
}

impl Scale {
    /// The scale of the rows, or `None` when there is none.
    fn of(rows: &[TimelineRow], record_ended: Option<Timestamp>) -> Option<Scale> {
        let origin = rows.iter().map(|row| row.start.as_second()).min()?;
        let record_end = record_ended.map(Timestamp::as_second);
        let mut scale = Scale {
            origin,
            span: 0,
            record_end,
        };
        let last = rows
            .iter()
            .map(|row| scale.end_of(row).unwrap_or(row.start.as_second()))
            .max()
            .unwrap_or(origin);
        scale.span = (last - origin).max(0);
        Some(scale)
    }

    /// Where the row's bar stops, in seconds: its end, else the record's end (never before
    /// its start); `None` when neither is known.
    fn end_of(&self, row: &TimelineRow) -> Option<i64> {
        let start = row.start.as_second();
        let end = row.end.map(Timestamp::as_second).or(self.record_end)?;
        Some(end.max(start))
    }

    /// The x of a moment, in the chart's units; always finite.
    fn x(&self, second: i64) -> f64 {
        if self.span <= 0 {
            return BARS_LEFT;
        }
        let fraction = (second - self.origin) as f64 / self.span as f64;
        BARS_LEFT + fraction.clamp(0.0, 1.0) * BARS_WIDTH
    }

    /// The moments labelled on the axis: 5 evenly spaced, or 1 for a zero-length span.
    fn ticks(&self) -> Vec<i64> {
        if self.span <= 0 {
            return vec![self.origin];
        }
        (0..TICKS)
            .map(|index| self.origin + self.span * index / (TICKS - 1))
            .collect()
    }
}

/// The chart's accessible title: `Timeline: 4 steps, 04:17:00 to 05:40:00 UTC`.
fn title(rows: usize, scale: &Scale) -> String {
    let steps = if rows == 1 { "step" } else { "steps" };
    format!(
        "Timeline: {rows} {steps}, {} to {} UTC",
        clock(scale.origin),
        clock(scale.origin + scale.span)
    )
}

/// `04:15:00`, or nothing for a moment jiff cannot hold (not from a real record).
fn clock(second: i64) -> String {
    Timestamp::from_second(second)
        .map(words::clock)
        .unwrap_or_default()
}

/// The time axis along the bottom at `y`, with a grid line and a label per tick.
fn axis(svg: &mut String, scale: &Scale, y: f64) {
    svg.push_str("<g class=\"axis\">\n");
    let _ = writeln!(
        svg,
        "<line x1=\"{BARS_LEFT:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>",
        BARS_LEFT + BARS_WIDTH
    );
    for second in scale.ticks() {
        let x = scale.x(second);
        let _ = writeln!(
            svg,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{TOP:.1}\" x2=\"{x:.1}\" y2=\"{y:.1}\"/>"
        );
        let _ = writeln!(
            svg,
            "<text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
            y + 18.0,
            clock(second)
        );
    }
    let _ = writeln!(
        svg,
        "<text class=\"axis-note\" x=\"{:.1}\" y=\"{:.1}\">time (UTC)</text>",
        // Clear of the first tick, which is centred on the axis's start.
        BARS_LEFT - 40.0,
        y + 18.0
    );
    svg.push_str("</g>\n");
}

/// One row: its bar, its label on the left, its outcome and duration on the right.
fn bar(svg: &mut String, scale: &Scale, row: &TimelineRow, index: usize) {
    let top = TOP + ROW_HEIGHT * index as f64;
    let bar_y = top + (ROW_HEIGHT - BAR_HEIGHT) / 2.0;
    let text_y = bar_y + BAR_HEIGHT - 3.0;
    let start = scale.x(row.start.as_second());
    let width = match scale.end_of(row) {
        Some(end) => (scale.x(end) - start).max(MIN_BAR),
        None => OPEN_BAR,
    };
    let _ = writeln!(
        svg,
        "<g class=\"row\" data-outcome=\"{}\" data-label=\"{}\">",
        outcome_key(row.outcome),
        escape(&row.label)
    );
    let _ = writeln!(
        svg,
        "<rect class=\"bar\" x=\"{start:.1}\" y=\"{bar_y:.1}\" width=\"{width:.1}\" height=\"{BAR_HEIGHT:.1}\"/>"
    );
    let _ = writeln!(
        svg,
        "<text class=\"label\" x=\"{:.1}\" y=\"{text_y:.1}\">{}</text>",
        BARS_LEFT - 10.0,
        escape(&shorten(&row.label, LABEL_CHARS))
    );
    let _ = writeln!(
        svg,
        "<text class=\"result\" x=\"{:.1}\" y=\"{text_y:.1}\">{}</text>",
        start + width + 6.0,
        escape(&result(row))
    );
    svg.push_str("</g>\n");
}

/// `passed`, `failed`, `unfinished`: the row's `data-outcome`.
pub(crate) fn outcome_key(outcome: RowOutcome) -> &'static str {
    match outcome {
        RowOutcome::Passed => "passed",
        RowOutcome::Failed => "failed",
        RowOutcome::Unfinished => "unfinished",
    }
}

/// `✓ passed · 4 min 05 s`; only the outcome when the row has no end.
fn result(row: &TimelineRow) -> String {
    match row.end {
        Some(end) => format!(
            "{} · {}",
            row.outcome.label(),
            words::duration(words::seconds_between(row.start, end))
        ),
        None => row.outcome.label().to_owned(),
    }
}

/// The text on one line, cut to at most `max` characters, the last one `…`, when it is longer.
fn shorten(text: &str, max: usize) -> String {
    let text = text.replace(['\n', '\r'], " ");
    if text.chars().count() <= max {
        return text;
    }
    let short: String = text.chars().take(max.saturating_sub(1)).collect();
    let mut short = short.trim_end().to_owned();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    fn rows_of(svg: &str) -> Vec<&str> {
        svg.split("<g class=\"row\"").skip(1).collect()
    }

    /// Every number of the geometry (`viewBox`, `x`, `y`, `width`, ...) is a finite number.
    fn numbers_are_finite(svg: &str) {
        const GEOMETRY: [&str; 9] = [
            "viewBox", "x", "y", "width", "height", "x1", "y1", "x2", "y2",
        ];
        let mut seen = 0;
        for (before, after) in svg.split("=\"").zip(svg.split("=\"").skip(1)) {
            let name = before.rsplit([' ', '<']).next().unwrap();
            if !GEOMETRY.contains(&name) {
                continue;
            }
            let value = &after[..after.find('"').unwrap()];
            for number in value.split_whitespace() {
                let number: f64 = number.parse().unwrap_or(f64::NAN);
                assert!(number.is_finite(), "{name}=\"{value}\" in {svg}");
                seen += 1;
            }
        }
        assert!(seen > 10, "{svg}");
    }

    /// The `width` of each bar, in order.
    fn bar_widths(svg: &str) -> Vec<f64> {
        rows_of(svg)
            .iter()
            .map(|row| {
                let width = row.split("width=\"").nth(1).unwrap();
                width[..width.find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn one_row_group_per_timeline_row_with_its_outcome_and_label() {
        let record = sample::rollout();
        let svg = render(&record.timeline, record.ended);
        assert!(svg.starts_with("<svg class=\"gantt\" viewBox=\"0 0 1000 "));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"gantt-title\">Timeline: 4 steps, 04:17:00 to "));
        let rows = rows_of(&svg);
        assert_eq!(rows.len(), record.timeline.len());
        let expected = [
            ("passed", "wave 1 (canary)"),
            ("failed", "wave 2"),
            ("passed", "platform 7.0.2239 → 7.1.4183"),
            ("unfinished", "wave 3"),
        ];
        for (row, (outcome, label)) in rows.iter().zip(expected) {
            assert!(
                row.starts_with(&format!(
                    " data-outcome=\"{outcome}\" data-label=\"{label}\">\n<rect class=\"bar\" "
                )),
                "{row}"
            );
            assert_eq!(row.matches("<text ").count(), 2, "{row}");
        }
        assert!(svg.contains(">✓ passed · 4 min 05 s</text>"));
        assert!(svg.contains(">✗ failed · 12 min 22 s</text>"));
        assert!(svg.contains(">✓ passed · 1 h 02 min</text>"));
        assert!(svg.contains(">… unfinished</text>"));
        numbers_are_finite(&svg);
    }

    #[test]
    fn axis_has_five_ticks_from_first_start_to_last_end() {
        let record = sample::rollout();
        let svg = render(&record.timeline, record.ended);
        let ticks: Vec<&str> = svg
            .split("<text class=\"tick\"")
            .skip(1)
            .map(|tick| {
                let text = &tick[tick.find('>').unwrap() + 1..];
                &text[..text.find('<').unwrap()]
            })
            .collect();
        assert_eq!(
            ticks,
            ["04:17:00", "04:37:45", "04:58:30", "05:19:15", "05:40:00"]
        );
    }

    #[test]
    fn no_row_means_no_chart() {
        let svg = render(&[], None);
        assert_eq!(svg, "<p class=\"empty\">No step ran.</p>\n");
    }

    #[test]
    fn a_zero_length_span_divides_by_nothing() {
        let mut record = sample::failed_operation();
        let row = &mut record.timeline[0];
        row.end = Some(row.start);
        let svg = render(&record.timeline, None);
        numbers_are_finite(&svg);
        assert_eq!(rows_of(&svg).len(), 1);
        assert_eq!(bar_widths(&svg), [MIN_BAR]);
        assert_eq!(svg.matches("<text class=\"tick\"").count(), 1);
    }

    #[test]
    fn a_lone_unfinished_row_without_any_end_is_drawn_open() {
        let mut record = sample::failed_operation();
        record.timeline[0].end = None;
        record.timeline[0].outcome = RowOutcome::Unfinished;
        let svg = render(&record.timeline, None);
        numbers_are_finite(&svg);
        assert_eq!(bar_widths(&svg), [OPEN_BAR]);
        assert!(svg.contains("data-outcome=\"unfinished\""));
    }

    #[test]
    fn an_unfinished_row_ends_at_the_record_end() {
        let mut record = sample::rollout();
        let start = record.timeline[0].start;
        record.ended = Some("2026-12-01T06:00:00Z".parse().unwrap());
        let svg = render(&record.timeline, record.ended);
        let widths = bar_widths(&svg);
        let last_right = scale_x(&record, 3) + widths[3];
        assert!((last_right - (BARS_LEFT + BARS_WIDTH)).abs() < 0.2, "{svg}");
        assert!(svg.contains(&format!("{} to 06:00:00 UTC</title>", words::clock(start))));
    }

    /// The x where the bar of row `index` starts.
    fn scale_x(record: &crate::report::ChangeRecord, index: usize) -> f64 {
        let scale = Scale::of(&record.timeline, record.ended).unwrap();
        scale.x(record.timeline[index].start.as_second())
    }

    #[test]
    fn labels_are_escaped_and_long_ones_shortened() {
        let mut record = sample::rollout();
        record.timeline[0].label =
            "<b>\"wave\" & 'one'</b> with a very long name indeed".to_owned();
        let svg = render(&record.timeline, record.ended);
        assert!(!svg.contains("<b>"));
        assert!(svg.contains(
            "data-label=\"&lt;b&gt;&quot;wave&quot; &amp; &#39;one&#39;&lt;/b&gt; with a very long name indeed\""
        ));
        assert!(
            svg.contains(">&lt;b&gt;&quot;wave&quot; &amp; &#39;one&#39;&lt;/b&gt; with a…</text>")
        );
    }

    #[test]
    fn shorten_counts_characters_not_bytes() {
        assert_eq!(shorten("platform 7.0 → 7.1", 34), "platform 7.0 → 7.1");
        assert_eq!(shorten("→→→→→", 3), "→→…");
        assert_eq!(shorten("a\nb", 3), "a b");
        assert_eq!(shorten("wave one two", 10), "wave one…");
    }
}
