//! The words the Markdown and HTML renderers print the same way: moments (RFC 3339 UTC to the
//! second), clock times of a time axis, durations a person reads at a glance (`4 min 05 s`),
//! gateway counts, and a gateway's value before and after (same, changed, or not read).

use jiff::Timestamp;

use super::model::GatewayChange;

/// What a cell shows for a value the record does not have (an image never reported).
pub(crate) const NONE: &str = "—";

/// One section of the report: its anchor in the HTML, its heading, and what it says empty.
pub(crate) struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub empty: &'static str,
}

pub(crate) const PLAN: Section = Section {
    id: "plan",
    title: "Plan",
    empty: "No step planned.",
};
pub(crate) const DRY_RUN: Section = Section {
    id: "dry-run",
    title: "Dry run",
    empty: "No dry run recorded.",
};
pub(crate) const CONFIRMATIONS: Section = Section {
    id: "confirmations",
    title: "Confirmations",
    empty: "None recorded.",
};
pub(crate) const TIMELINE: Section = Section {
    id: "timeline",
    title: "Timeline",
    empty: "No step ran.",
};
pub(crate) const BEFORE_AND_AFTER: Section = Section {
    id: "before-and-after",
    title: "Before and after",
    empty: "No gateway.",
};
pub(crate) const FAILURES: Section = Section {
    id: "failures",
    title: "Failures",
    empty: "None.",
};

/// What a dry-run section says without a checklist item.
pub(crate) const NO_CHECKLIST: &str = "No checklist item recorded.";

/// The column titles of the confirmations table.
pub(crate) const CONFIRMATION_COLUMNS: [&str; 5] =
    ["What", "How", "Controller user", "Local user", "At"];

/// The column titles of the timeline table.
pub(crate) const TIMELINE_COLUMNS: [&str; 8] = [
    "Step", "Start", "End", "Duration", "Outcome", "Gateways", "Failed", "Message",
];

/// The column titles of the before-and-after table.
pub(crate) const GATEWAY_COLUMNS: [&str; 6] =
    ["Gateway", "Step", "Software", "Image", "State", "Outcome"];

/// A timeline row's end and duration as shown, or [`NONE`] for each while it has no end.
pub(crate) fn end_and_duration(row: &crate::report::model::TimelineRow) -> (String, String) {
    match row.end {
        Some(end) => (moment(end), duration(seconds_between(row.start, end))),
        None => (NONE.to_owned(), NONE.to_owned()),
    }
}

/// `2026-12-01T04:15:00Z`: RFC 3339 in UTC, to the second.
pub(crate) fn moment(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `04:15:00`: the time of day in UTC, for a time axis.
pub(crate) fn clock(at: Timestamp) -> String {
    at.strftime("%H:%M:%S").to_string()
}

/// Whole seconds from `start` to `end`, never below zero.
pub(crate) fn seconds_between(start: Timestamp, end: Timestamp) -> i64 {
    (end.as_second() - start.as_second()).max(0)
}

/// `52 s`, `4 min 05 s`, `1 h 02 min`; a negative length reads as `0 s`.
pub(crate) fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (hours, minutes, secs) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (hours, minutes) {
        (0, 0) => format!("{secs} s"),
        (0, _) => format!("{minutes} min {secs:02} s"),
        _ => format!("{hours} h {minutes:02} min"),
    }
}

/// `no gateways`, `1 gateway`, `3 gateways`.
pub(crate) fn gateway_count(count: usize) -> String {
    match count {
        0 => "no gateways".to_owned(),
        1 => "1 gateway".to_owned(),
        _ => format!("{count} gateways"),
    }
}

/// A plan step lists its gateways' names up to this many; above, only their count.
pub(crate) const MAX_LISTED_GATEWAYS: usize = 20;

/// One value of a gateway, before and after its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BeforeAfter<'a> {
    /// Read after, and the same as before: shown once.
    Same(&'a str),
    /// Read after, and different: the after value is highlighted.
    Changed { before: &'a str, after: &'a str },
    /// Not read after the step.
    NotRead { before: &'a str },
}

/// A gateway's software, image and state, before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Comparison<'a> {
    pub software: BeforeAfter<'a>,
    pub image: BeforeAfter<'a>,
    pub state: BeforeAfter<'a>,
}

/// Compares what was read of a gateway before and after its step.
pub(crate) fn compare(change: &GatewayChange) -> Comparison<'_> {
    let before = &change.before;
    let after = change.after.as_ref();
    Comparison {
        software: before_after(&before.software, after.map(|state| state.software.as_str())),
        image: before_after(
            before.image.as_deref().unwrap_or(NONE),
            after.map(|state| state.image.as_deref().unwrap_or(NONE)),
        ),
        state: before_after(&before.state, after.map(|state| state.state.as_str())),
    }
}

fn before_after<'a>(before: &'a str, after: Option<&'a str>) -> BeforeAfter<'a> {
    match after {
        None => BeforeAfter::NotRead { before },
        Some(after) if after == before => BeforeAfter::Same(before),
        Some(after) => BeforeAfter::Changed { before, after },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(52), "52 s");
        assert_eq!(duration(60), "1 min 00 s");
        assert_eq!(duration(245), "4 min 05 s");
        assert_eq!(duration(3599), "59 min 59 s");
        assert_eq!(duration(3600), "1 h 00 min");
        assert_eq!(duration(3730), "1 h 02 min");
        assert_eq!(duration(26 * 3600 + 5 * 60), "26 h 05 min");
        assert_eq!(duration(-5), "0 s");
    }

    #[test]
    fn moments_are_rfc3339_utc_to_the_second() {
        let at: Timestamp = "2026-12-01T04:15:00.750Z".parse().unwrap();
        assert_eq!(moment(at), "2026-12-01T04:15:00Z");
        assert_eq!(clock(at), "04:15:00");
        let later: Timestamp = "2026-12-01T05:17:10+01:00".parse().unwrap();
        assert_eq!(moment(later), "2026-12-01T04:17:10Z");
        assert_eq!(seconds_between(at, later), 130);
        assert_eq!(seconds_between(later, at), 0);
    }

    #[test]
    fn gateway_counts() {
        assert_eq!(gateway_count(0), "no gateways");
        assert_eq!(gateway_count(1), "1 gateway");
        assert_eq!(gateway_count(25), "25 gateways");
    }

    #[test]
    fn comparison_of_changed_same_and_not_read_values() {
        let record = sample::rollout();
        let changed_image = record
            .gateways
            .iter()
            .find(|change| change.name == "spoke-use1-02")
            .unwrap();
        let compared = compare(changed_image);
        assert_eq!(
            compared.software,
            BeforeAfter::Changed {
                before: "6.9.349",
                after: "7.0.2239"
            }
        );
        assert_eq!(
            compared.image,
            BeforeAfter::Changed {
                before: "hvm-ubuntu-18.04",
                after: "hvm-ubuntu-20.04"
            }
        );
        assert_eq!(compared.state, BeforeAfter::Same("up"));

        let unread = record
            .gateways
            .iter()
            .find(|change| change.after.is_none())
            .unwrap();
        assert!(matches!(
            compare(unread).software,
            BeforeAfter::NotRead { .. }
        ));
    }
}
