//! `avx-upgrade rollout status | resume | abort`: the rollout of a controller that a crash, a
//! lost session or a stop left unfinished, found in this machine's journal. `resume` goes on
//! from the first wave that did not pass its gate; `abort` records its end so nothing resumes it.

use std::fmt::Write;

use crate::cli::connect::{ConnectArgs, connect, resolve};
use crate::cli::rollout::apply::{confirm, drive, rollouts};
use crate::cli::rollout::{FindArgs, ResumeArgs};
use crate::cli::status::runtime;
use crate::cli::{InputError, Outcome};
use crate::journal::{self, Gate, Journal, Record, RolloutStory};
use crate::plan::counted;

/// The unfinished rollout of the controller `args` name, if any.
fn find(args: &ConnectArgs) -> Result<(String, Option<RolloutStory>), InputError> {
    let url = resolve(args)?.url;
    let state_dir = crate::paths::state_dir().ok_or(journal::JournalError::NoStateDir)?;
    let path = journal::file_for(&state_dir, &url)?;
    Ok((url, journal::unfinished_rollout(&path)?))
}

pub fn status(args: &FindArgs) -> Result<(Outcome, String), InputError> {
    let (url, story) = find(&args.connect)?;
    let Some(story) = story else {
        return Ok((Outcome::Clear, format!("no unfinished rollout for {url}\n")));
    };
    Ok((Outcome::Clear, describe(&story)))
}

fn describe(story: &RolloutStory) -> String {
    let document = &story.plan.document;
    let rollout = &document.rollout;
    let steps = document.steps();
    let passed = steps
        .iter()
        .filter(|step| story.passed(step.number()))
        .count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Rollout {} ({} of {}), started {} by {} (as {}), confirmed: {}",
        story.id,
        rollout.action.title(),
        counted(document.budget_base(), "gateway"),
        story.started,
        story.plan.local_user,
        story.plan.controller_user,
        story.plan.confirmation
    );
    let _ = writeln!(
        out,
        "{passed} of {} passed their gate; {} failed so far",
        counted(steps.len(), "step"),
        story.failed()
    );
    if let Some(gate) = story.gates.last() {
        let _ = writeln!(out, "last: {}", gate.message);
    }
    let _ = writeln!(
        out,
        "resume it with: avx-upgrade rollout resume (same connection flags)"
    );
    out
}

pub fn resume(args: &ResumeArgs) -> Result<(Outcome, String), InputError> {
    let (url, story) = find(&args.run.connect)?;
    let story = story.ok_or_else(|| {
        InputError(format!(
            "no unfinished rollout for {url}: nothing to resume"
        ))
    })?;
    eprint!("{}", describe(&story));
    let mut story = story;
    if args.run.ci {
        story.plan.document.rollout.policy.advance = crate::plan::rollout::Advance::Automatic;
    }
    runtime()?.block_on(async {
        let client = connect(&args.run.connect).await?;
        confirm(args.run.yes, &story.plan.document)?;
        let rollouts = rollouts(client, args.run.poll_ms);
        drive(args.run.ci, |channels| rollouts.resume(story, channels)).await
    })
}

pub fn abort(args: &FindArgs) -> Result<(Outcome, String), InputError> {
    let (url, story) = find(&args.connect)?;
    let story = story
        .ok_or_else(|| InputError(format!("no unfinished rollout for {url}: nothing to abort")))?;
    let state_dir = crate::paths::state_dir()
        .ok_or_else(|| InputError("no state directory for the journal".into()))?;
    let mut journal = Journal::open(&state_dir, &url)?;
    let gate = Gate {
        wave: 0,
        passed: false,
        message: format!("aborted by {} with rollout abort", journal::local_user()),
        failed: u32::try_from(story.failed()).unwrap_or(u32::MAX),
    };
    journal.append(&Record::now(story.id.clone(), gate))?;
    Ok((
        Outcome::Aborted,
        format!("rollout {} is aborted: nothing will resume it\n", story.id),
    ))
}
