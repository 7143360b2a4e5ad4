//! The planner: pure functions over (snapshot, catalog, request) that hold every rule of the
//! upgrade guide. No I/O, no async, no clock. The simulator and the console ask it; they never
//! re-implement a rule.
//!
//! - [`path`]: valid upgrade paths, hops and the "Release Versions" text;
//! - [`runbook`]: every step from a snapshot to a target;
//! - [`rules`] and [`impact`]: the rules, one function each;
//! - [`checks`]: the dry run, which applies the rules and the operations checklist to a request;
//! - [`finding`]: severities, stable codes and reports.

pub mod checks;
pub mod chunks;
pub mod finding;
mod impact;
pub mod path;
pub mod request;
pub mod rollout;
mod rules;
pub mod runbook;

pub use checks::check;
pub use finding::{ChecklistItem, Code, Finding, Report, Severity};
pub use path::{Path, plan_path, release_versions};
pub use request::{Action, Request, RequestError, Scope, Selection, scope, will_change};
pub use runbook::{Runbook, Step, StepAction};

/// `1 gateway`, `3 gateways`: a count and its noun, plural when it is not one.
pub fn counted(count: usize, noun: &str) -> String {
    match count {
        1 => format!("1 {noun}"),
        _ => format!("{count} {noun}s"),
    }
}
