//! What `ops` writes to the controller's journal ([`crate::journal`]): the intent before
//! anything is sent, each request before it is sent, each answer, and the verified outcome.
//! A journal that cannot be opened, or an intent or request that cannot be written, stops the
//! operation before anything is sent: an audit gap is worse than a delay. Once requests are
//! out, a failed write cannot undo them: it is reported and the operation goes on.

use std::collections::HashMap;
use std::path::Path;

use crate::api::Client;
use crate::journal::{
    Answer, Call, Journal, Operation, OperationId, Outcome, Record, Skipped, Story, VerdictRecord,
    local_user,
};
use crate::ops::Prepared;
use crate::ops::in_flight::{DOOR, Ticket};
use crate::ops::verify::Verdict;

/// One operation's entries in the journal.
pub(super) struct Recorder {
    journal: Journal,
    id: OperationId,
    /// The requests written and not yet answered ([`in_flight`]).
    in_flight: HashMap<u32, Ticket<'static>>,
}

/// Why the journal cannot be written, said so the operator knows that nothing was sent.
fn not_sent(error: impl std::fmt::Display) -> String {
    format!("nothing was sent: the journal cannot be written ({error})")
}

impl Recorder {
    /// Opens `controller`'s journal in `state_dir` and writes the intent of `prepared`.
    pub fn begin(
        state_dir: Option<&Path>,
        client: &Client,
        prepared: &Prepared,
    ) -> Result<Recorder, String> {
        let state_dir =
            state_dir.ok_or_else(|| not_sent(crate::journal::JournalError::NoStateDir))?;
        let mut journal = Journal::open(state_dir, client.base_url()).map_err(not_sent)?;
        let now = jiff::Timestamp::now();
        let id = OperationId::new(now);
        let intent = Operation {
            controller: client.base_url().to_owned(),
            controller_user: client.user().to_owned(),
            local_user: local_user(),
            action: prepared.request.action(),
            target: prepared.target,
            platform_before: prepared.platform_before,
            gateways: prepared.expected.clone(),
            skipped: prepared
                .skipped
                .iter()
                .map(|(name, reason)| Skipped::new(name.clone(), reason.clone()))
                .collect(),
            confirmation: prepared.confirmation.clone(),
            dry_run: prepared.dry_run.clone(),
            rollout: prepared.rollout.clone(),
        };
        journal
            .append(&Record::new(id.clone(), now, intent))
            .map_err(not_sent)?;
        Ok(Recorder {
            journal,
            id,
            in_flight: HashMap::new(),
        })
    }

    /// Reopens the journal to finish the operation of `story`, found unfinished.
    pub fn resume(state_dir: &Path, controller: &str, story: &Story) -> Result<Recorder, String> {
        let journal = Journal::open(state_dir, controller).map_err(|error| error.to_string())?;
        Ok(Recorder {
            journal,
            id: story.id.clone(),
            in_flight: HashMap::new(),
        })
    }

    /// Records request `number` before it is sent; an error means it must not be sent (the
    /// journal cannot be written, or the process is stopping: see [`crate::ops::in_flight`]).
    pub fn call(&mut self, number: u32, endpoint: &str, gateways: &[String]) -> Result<(), String> {
        let ticket = DOOR.enter()?;
        let call = Call::new(number, endpoint, gateways.to_vec());
        self.append(call).map_err(not_sent)?;
        self.in_flight.insert(number, ticket);
        Ok(())
    }

    /// Records the answer to request `number`.
    pub fn answer(&mut self, number: u32, result: &Result<(), String>) -> Result<(), String> {
        let answer = match result {
            Ok(()) => Answer::new(number, true, "accepted"),
            Err(error) => Answer::new(number, false, error.clone()),
        };
        let written = self.append(answer);
        self.in_flight.remove(&number);
        written
    }

    /// Records how the operation ended, gateway by gateway when it was verified.
    pub fn outcome(&mut self, ok: bool, message: &str, verdicts: &[Verdict]) -> Result<(), String> {
        let verdicts = verdicts
            .iter()
            .map(|verdict| {
                let record = match &verdict.failure {
                    Some(failure) => VerdictRecord::fail(verdict.name.clone(), failure.clone()),
                    None => VerdictRecord::pass(verdict.name.clone()),
                };
                record.with_after(verdict.after.clone())
            })
            .collect();
        let outcome = Outcome {
            ok,
            message: message.to_owned(),
            verdicts,
        };
        self.append(outcome)
    }

    fn append(&mut self, entry: impl Into<crate::journal::Entry>) -> Result<(), String> {
        let record = Record::now(self.id.clone(), entry);
        self.journal
            .append(&record)
            .map_err(|error| error.to_string())
    }
}
