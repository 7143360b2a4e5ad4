//! The support summary of the operation in view: plain text for a ticket with Aviatrix Support
//! (versions, operation, timings, the last status seen), and the name of its file. Pure: the
//! file is written by `ops` ([`crate::ops::Job::WriteSupportSummary`]). The App holds no
//! password or CID, and nothing here reads one.

use std::fmt::Write as _;

use jiff::Timestamp;

use crate::ops::Job;
use crate::tui::operation::{Operation, describe_phase};
use crate::tui::state::App;

/// The job that writes the summary, or why there is none.
pub fn job(app: &App) -> Result<Job, String> {
    let operation = app
        .operation
        .as_ref()
        .ok_or("no operation to summarise: start or follow one first")?;
    Ok(Job::WriteSupportSummary {
        name: file_name(app.now),
        text: text(app, operation),
    })
}

/// `support-20261130T192600Z.txt`.
pub fn file_name(now: Timestamp) -> String {
    format!("support-{}.txt", now.strftime("%Y%m%dT%H%M%SZ"))
}

fn text(app: &App, operation: &Operation) -> String {
    let now = app.now;
    let mut out = String::new();
    let mut line = |key: &str, value: String| {
        let _ = writeln!(out, "{key:<14}{value}");
    };
    line(
        "summary",
        format!("avx-upgrade {}", env!("CARGO_PKG_VERSION")),
    );
    line("written", now.to_string());
    line("controller", without_userinfo(&app.url));
    if let Some(snapshot) = app.fleet.snapshot() {
        line("version", snapshot.controller.current_version.to_string());
        let previous = snapshot.controller.previous_version.as_ref();
        line(
            "previous",
            previous.map_or("none".into(), ToString::to_string),
        );
    }
    line("operation", operation.title.clone());
    line("gateways", operation.gateways.join(", "));
    line("state", describe_phase(&operation.phase));
    line("started", operation.started.to_string());
    line("elapsed", format!("{}s", operation.elapsed(now).as_secs()));
    line("last moved", operation.moved_at().to_string());
    if let Some(stall) = operation.stall(now) {
        let expected = stall.expected.as_secs();
        line(
            "stalled",
            format!("{}s (expected ~{expected}s)", stall.stalled.as_secs()),
        );
    }
    let step = operation.step.clone().unwrap_or_default();
    let percent = operation
        .percent
        .map(|p| format!("{p}%"))
        .unwrap_or_default();
    line(
        "last status",
        format!("{step} {percent} {}", operation.message)
            .trim()
            .to_string(),
    );
    line(
        "counts",
        format!(
            "{}/{} done, {} failed",
            operation.done,
            operation.total(),
            operation.failed
        ),
    );
    out.push_str("\nevents\n");
    for (time, event) in &operation.log {
        let _ = writeln!(out, "  {time} {event}");
    }
    out
}

/// A URL without a `user:password@` part, should one have been given.
fn without_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.find('/').unwrap_or(rest.len());
    let host = rest[..authority]
        .rfind('@')
        .map_or(rest, |at| &rest[at + 1..]);
    match scheme {
        "" => host.to_string(),
        _ => format!("{scheme}://{host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_loses_its_userinfo() {
        assert_eq!(
            without_userinfo("https://admin:s3cret@ctl.example:443/v1"),
            "https://ctl.example:443/v1"
        );
        assert_eq!(
            without_userinfo("https://ctl.example"),
            "https://ctl.example"
        );
    }
}
