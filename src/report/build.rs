//! The change record read out of the journal: an operation's story, or a rollout's plan, gates
//! and the operations of its steps, turned into a [`ChangeRecord`].

use std::collections::HashMap;

use crate::journal::history::{ChangeStory, RolloutRecord};
use crate::journal::{DryRunRecord, GatewayAfter, GatewayBefore, Story, VerdictRecord};
use crate::plan::{Action, counted};
use crate::report::model::{
    ChangeRecord, CheckItem, Confirmation, DryRunSection, Failure, GatewayChange, GatewayOutcome,
    GatewayState, PlanStep, RecordKind, RecordOutcome, RowOutcome, TimelineRow,
};

/// The change record of what the journal told.
pub fn change_record(story: &ChangeStory) -> ChangeRecord {
    match story {
        ChangeStory::Operation(story) => operation_record(story),
        ChangeStory::Rollout(rollout) => rollout_record(rollout),
    }
}

fn operation_record(story: &Story) -> ChangeRecord {
    let operation = &story.operation;
    let label = operation.action.title().to_owned();
    let outcome_message = match &story.outcome {
        Some(outcome) => outcome.message.clone(),
        None => "no end recorded: it runs, or avx-upgrade stopped before it ended".to_owned(),
    };
    let mut record = ChangeRecord {
        id: story.id.as_str().to_owned(),
        kind: RecordKind::Operation,
        title: operation_title(story),
        controller: operation.controller.clone(),
        controller_user: operation.controller_user.clone(),
        local_user: operation.local_user.clone(),
        started: story.started,
        ended: story.ended,
        outcome: RecordOutcome::of_story(story),
        outcome_message,
        plan: vec![PlanStep {
            number: 1,
            label: label.clone(),
            target: operation.target.map(|target| target.to_string()),
            gateways: gateway_names(story),
        }],
        dry_runs: Vec::new(),
        confirmations: Vec::new(),
        timeline: Vec::new(),
        gateways: Vec::new(),
        failures: Vec::new(),
    };
    add_step(&mut record, &label, story);
    record
}

/// "Software Upgrade of 12 gateways to 7.1.4183", "Platform Upgrade 7.0.2239 → 7.1.4183".
fn operation_title(story: &Story) -> String {
    let operation = &story.operation;
    let title = operation.action.title();
    match (operation.action, operation.target) {
        (Action::PlatformUpgrade, Some(target)) => {
            format!("{title} {} → {target}", operation.platform_before)
        }
        (_, Some(target)) => format!(
            "{title} of {} to {target}",
            counted(operation.gateways.len(), "gateway")
        ),
        (_, None) => format!(
            "{title} of {}",
            counted(operation.gateways.len(), "gateway")
        ),
    }
}

fn rollout_record(rollout: &RolloutRecord) -> ChangeRecord {
    let plan = &rollout.story.plan;
    let document = &plan.document;
    let steps = document.steps();
    let plan_steps: Vec<PlanStep> = steps
        .iter()
        .map(|step| PlanStep {
            number: u32::try_from(step.number()).unwrap_or(u32::MAX),
            label: step.describe(),
            target: step_target(step, document.target),
            gateways: step_gateways(step),
        })
        .collect();
    let mut title = format!(
        "Rollout: {} of {} in {}",
        document.rollout.action.title(),
        counted(document.gateway_changes(), "gateway"),
        counted(steps.len(), "step")
    );
    if let Some(to) = document.final_platform().or(document.target) {
        title.push_str(&format!(", to {to}"));
    }
    let mut record = ChangeRecord {
        id: rollout.story.id.as_str().to_owned(),
        kind: RecordKind::Rollout,
        title,
        controller: document
            .controller
            .clone()
            .unwrap_or_else(|| "(planned against a snapshot)".to_owned()),
        controller_user: plan.controller_user.clone(),
        local_user: plan.local_user.clone(),
        started: rollout.story.started,
        ended: rollout.ended,
        outcome: rollout.ending(),
        outcome_message: rollout_message(rollout),
        plan: plan_steps,
        dry_runs: Vec::new(),
        confirmations: vec![Confirmation {
            what: "the rollout".to_owned(),
            how: plan.confirmation.clone(),
            controller_user: plan.controller_user.clone(),
            local_user: plan.local_user.clone(),
            at: rollout.story.started,
        }],
        timeline: Vec::new(),
        gateways: Vec::new(),
        failures: Vec::new(),
    };
    for story in &rollout.steps {
        let label = step_label(&record.plan, story);
        add_step(&mut record, &label, story);
    }
    add_failed_gates(&mut record, rollout);
    record
}

/// Where a rollout's step takes its gateways or the platform.
fn step_target(
    step: &crate::plan::rollout::Step<'_>,
    target: Option<crate::version::Version>,
) -> Option<String> {
    use crate::plan::rollout::Step;
    match step {
        Step::Wave { to, .. } => to.or(target).map(|version| version.to_string()),
        Step::Platform(hop) => Some(hop.to.to_string()),
    }
}

fn step_gateways(step: &crate::plan::rollout::Step<'_>) -> Vec<String> {
    use crate::plan::rollout::Step;
    match step {
        Step::Wave { wave, .. } => wave.gateways.clone(),
        Step::Platform(_) => Vec::new(),
    }
}

/// The label of the plan step a step's operation ran, by its number.
fn step_label(plan: &[PlanStep], story: &Story) -> String {
    let number = story.operation.rollout.as_ref().map_or(0, |step| step.wave);
    plan.iter()
        .find(|step| step.number == number)
        .map_or_else(|| format!("step {number}"), |step| step.label.clone())
}

/// The rollout's last word: its final gate, or the last gate so far.
fn rollout_message(rollout: &RolloutRecord) -> String {
    let gates = &rollout.story.gates;
    let last = gates.iter().find(|gate| gate.wave == 0).or(gates.last());
    match last {
        Some(gate) => gate.message.clone(),
        None => "no step has ended".to_owned(),
    }
}

/// A gate that failed a step (its budget spent, an HA peer down, a hop that did not land).
fn add_failed_gates(record: &mut ChangeRecord, rollout: &RolloutRecord) {
    for gate in rollout.story.gates.iter().filter(|gate| !gate.passed) {
        let what = match gate.wave {
            0 => "the rollout".to_owned(),
            number => record
                .plan
                .iter()
                .find(|step| step.number == number)
                .map_or_else(|| format!("step {number}"), |step| step.label.clone()),
        };
        record.failures.push(Failure {
            what,
            reason: gate.message.clone(),
        });
    }
}

/// Adds one operation's dry run, confirmation, timeline row, gateways and failures.
fn add_step(record: &mut ChangeRecord, label: &str, story: &Story) {
    let operation = &story.operation;
    if let Some(dry_run) = &operation.dry_run {
        record.dry_runs.push(dry_run_section(label, dry_run));
    }
    if let Some(how) = &operation.confirmation {
        record.confirmations.push(Confirmation {
            what: label.to_owned(),
            how: how.clone(),
            controller_user: operation.controller_user.clone(),
            local_user: operation.local_user.clone(),
            at: story.started,
        });
    }
    let verdicts: &[VerdictRecord] = story
        .outcome
        .as_ref()
        .map_or(&[], |outcome| outcome.verdicts.as_slice());
    record.timeline.push(timeline_row(label, story, verdicts));
    // By name, once: 100,000 gateways are matched in one pass, not one search each.
    let by_name: HashMap<&str, &VerdictRecord> = verdicts
        .iter()
        .map(|verdict| (verdict.name.as_str(), verdict))
        .collect();
    for before in &operation.gateways {
        let verdict = by_name.get(before.name.as_str()).copied();
        record.gateways.push(gateway_change(label, before, verdict));
    }
    add_failures(record, label, story, verdicts);
}

fn dry_run_section(label: &str, dry_run: &DryRunRecord) -> DryRunSection {
    DryRunSection {
        step: label.to_owned(),
        passed: dry_run.passed,
        checks: dry_run
            .checks
            .iter()
            .map(|check| CheckItem {
                item: check.item.clone(),
                passed: check.passed,
                detail: check.detail.clone(),
            })
            .collect(),
    }
}

fn timeline_row(label: &str, story: &Story, verdicts: &[VerdictRecord]) -> TimelineRow {
    let (outcome, message) = match &story.outcome {
        Some(outcome) if outcome.ok => (RowOutcome::Passed, outcome.message.clone()),
        Some(outcome) => (RowOutcome::Failed, outcome.message.clone()),
        None => (RowOutcome::Unfinished, "no end recorded".to_owned()),
    };
    TimelineRow {
        label: label.to_owned(),
        start: story.started,
        end: story.ended,
        outcome,
        gateways: story.operation.gateways.len(),
        failed: verdicts.iter().filter(|verdict| !verdict.passed()).count(),
        message,
    }
}

fn gateway_change(
    label: &str,
    before: &GatewayBefore,
    verdict: Option<&VerdictRecord>,
) -> GatewayChange {
    let outcome = match verdict {
        Some(verdict) if verdict.passed() => GatewayOutcome::Passed,
        Some(_) => GatewayOutcome::Failed,
        None => GatewayOutcome::Unfinished,
    };
    GatewayChange {
        name: before.name.clone(),
        step: label.to_owned(),
        before: GatewayState {
            software: before.software.to_string(),
            image: before.image.clone(),
            state: before.state.clone(),
            tunnels_up: before.tunnels_up,
        },
        after: verdict
            .and_then(|verdict| verdict.after.as_ref())
            .map(state_after),
        outcome,
        failure: verdict.and_then(|verdict| verdict.failure.clone()),
    }
}

fn state_after(after: &GatewayAfter) -> GatewayState {
    GatewayState {
        software: after.software.to_string(),
        image: after.image.clone(),
        state: after.state.clone(),
        tunnels_up: after.tunnels_up,
    }
}

/// The gateways that failed, the requests the controller refused, and an operation that
/// failed with no gateway to blame.
fn add_failures(record: &mut ChangeRecord, label: &str, story: &Story, verdicts: &[VerdictRecord]) {
    for verdict in verdicts {
        if let Some(failure) = &verdict.failure {
            record.failures.push(Failure {
                what: verdict.name.clone(),
                reason: failure.clone(),
            });
        }
    }
    for (call, answer) in &story.calls {
        if let Some(answer) = answer.as_ref().filter(|answer| !answer.accepted) {
            record.failures.push(Failure {
                what: format!("{label}, request {}", call.call),
                reason: answer.message.clone(),
            });
        }
    }
    let unexplained = story
        .outcome
        .as_ref()
        .is_some_and(|outcome| !outcome.ok && verdicts.iter().all(VerdictRecord::passed));
    if unexplained && let Some(outcome) = &story.outcome {
        record.failures.push(Failure {
            what: label.to_owned(),
            reason: outcome.message.clone(),
        });
    }
}

fn gateway_names(story: &Story) -> Vec<String> {
    story
        .operation
        .gateways
        .iter()
        .map(|gateway| gateway.name.clone())
        .collect()
}
