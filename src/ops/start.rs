//! Starting an operation and seeing it to its verified end. The console prepares it
//! ([`Prepared::new`]) from the fleet the operator saw and confirmed: what each gateway is and
//! must reach (for [`verify`]) and which names travel together (HA pairs). The intent, each
//! request and each answer go into the journal ([`Recorder`]) before and as they happen. A
//! gateway operation is packed into requests under the client's size limit ([`chunks::pack`])
//! and sent all at once; a request the controller refuses leaves its gateways failed, with the
//! reason, while the others go on.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::api::actions::{GATEWAY_OPERATION, PLATFORM_UPGRADE, Started, gateway_name_cost};
use crate::api::poll::{self, PlatformStart, Progress};
use crate::catalog::Catalog;
use crate::journal::{CheckRecord, DryRunRecord, RolloutStep};
use crate::ops::record::Recorder;
use crate::ops::verify::{self, Expected, Verdict};
use crate::ops::{Event, Runner, refresh};
use crate::plan::check;
use crate::plan::chunks::{self, Group};
use crate::plan::finding::Severity;
use crate::plan::path::resolve_target;
use crate::plan::request::Request;
use crate::snapshot::Snapshot;
use crate::version::{STATUS_API_TRAIN, Target, Version};

/// A checked and confirmed request, with what the console knew when it was confirmed: all
/// of it goes into the journal's intent before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub request: Request,
    /// Each named gateway as it was and what it must reach (none for a platform upgrade).
    pub expected: Vec<Expected>,
    /// The named gateways, HA pairs together: no request separates a pair.
    pub groups: Vec<Group>,
    /// The controller's version before.
    pub platform_before: Version,
    /// Where the request takes the gateways or the platform, when known.
    pub target: Option<Version>,
    /// Selected gateways left out, with the reason.
    pub skipped: Vec<(String, String)>,
    /// How the operator confirmed it (e.g. `typed 22`).
    pub confirmation: Option<String>,
    /// The rollout and wave it is part of; `None` for a single operation.
    pub rollout: Option<RolloutStep>,
    /// The planner's dry run of the request against the fleet as seen: every checklist item
    /// and finding, for the journal and the change record.
    pub dry_run: Option<DryRunRecord>,
}

impl Prepared {
    /// What a platform upgrade is sent with: always a named version or train, never empty or
    /// `latest` (they mean different things: [`crate::plan::path::Unnamed`]). It is the target
    /// resolved from the fleet the operator saw, or, when that does not resolve (a target
    /// below the running version), what the operator typed, for the controller to refuse.
    pub fn platform_target(&self) -> Result<Target, String> {
        let typed = match &self.request {
            Request::PlatformUpgrade { target } => *target,
            _ => None,
        };
        self.target
            .map(Target::Version)
            .or(typed)
            .ok_or_else(|| "the platform upgrade has no target version to send".to_owned())
    }

    /// `request` prepared from the fleet the operator sees.
    pub fn new(snapshot: &Snapshot, catalog: &Catalog, request: Request) -> Self {
        let controller = &snapshot.controller;
        let target = match &request {
            Request::PlatformUpgrade { target } => {
                resolve_target(controller.current_version, *target, catalog).ok()
            }
            Request::SoftwareRollback { .. } => controller.previous_version,
            _ => Some(controller.current_version),
        };
        Self {
            expected: verify::expectations(snapshot, catalog, &request),
            groups: chunks::ha_groups(snapshot, request.named()),
            platform_before: controller.current_version,
            target,
            skipped: Vec::new(),
            confirmation: None,
            rollout: None,
            dry_run: None,
            request,
        }
    }

    /// `request` prepared to be sent: as [`Prepared::new`], with the planner's dry run the
    /// journal keeps (a dry run the operator only looks at does not need it).
    pub fn to_send(snapshot: &Snapshot, catalog: &Catalog, request: Request) -> Self {
        let dry_run = dry_run(snapshot, catalog, &request);
        Self {
            dry_run,
            ..Self::new(snapshot, catalog, request)
        }
    }
}

/// The planner's dry run of `request` on `snapshot`, as the journal keeps it: each checklist
/// item, then each finding (a blocker or a warning counts as not passed).
fn dry_run(snapshot: &Snapshot, catalog: &Catalog, request: &Request) -> Option<DryRunRecord> {
    let report = check(snapshot, catalog, request, jiff::Timestamp::now()).ok()?;
    let items = report
        .checklist
        .iter()
        .map(|item| CheckRecord::new(item.item.clone(), item.passed, item.detail.clone()));
    let findings = report.findings.iter().map(|finding| {
        let passed = finding.severity == Severity::Info;
        let item = format!("{} {}", finding.severity.name(), finding.code.as_str());
        CheckRecord::new(item, passed, finding.message.clone())
    });
    Some(DryRunRecord {
        passed: !report.has_blocker(),
        checks: items.chain(findings).collect(),
    })
}

/// A gateway operation the controller accepted, in part or whole.
pub(super) struct GatewaysStarted {
    pub events: BoxStream<'static, Progress>,
    pub expected: Vec<Expected>,
    /// The gateways of the requests the controller refused, already failed.
    pub refused: Vec<Verdict>,
}

impl Runner {
    /// Records the intent, sends the request(s), follows the operation to its end, verifies a
    /// gateway operation, and records the outcome.
    pub(super) async fn start(&self, operation: u64, prepared: Prepared) {
        let mut recorder = match Recorder::begin(self.state_dir.as_deref(), &self.client, &prepared)
        {
            Ok(recorder) => recorder,
            Err(error) => return self.not_started(operation, error, None),
        };
        let started = match &prepared.request {
            Request::PlatformUpgrade { .. } => self
                .start_platform(operation, prepared.platform_target(), &mut recorder)
                .await
                .map(|events| (events, None)),
            _ => self
                .start_gateways(operation, &prepared, &mut recorder)
                .await
                .map(|started| (started.events, Some((started.expected, started.refused)))),
        };
        let (events, verification) = match started {
            Ok(started) => started,
            Err(error) => return self.not_started(operation, error, Some(&mut recorder)),
        };
        self.send(Event::Started { operation });
        // When nobody listens any more (the console quit), the journal keeps the operation
        // open: the next console finds it running and finishes its story.
        let Some(last) = self.forward(operation, events).await else {
            return;
        };
        let (last, verdicts) = match verification {
            Some((expected, refused)) => self.verify_end(operation, last, &expected, refused).await,
            None => (last, Vec::new()),
        };
        self.finish(operation, last, &mut recorder, &verdicts);
    }

    /// Reports an operation that did not start, and records why when its intent was written.
    fn not_started(&self, operation: u64, error: String, recorder: Option<&mut Recorder>) {
        tracing::warn!(%error, "operation not started");
        if let Some(recorder) = recorder {
            let message = format!("not started: {error}");
            self.journal_failed(operation, recorder.outcome(false, &message, &[]));
        }
        self.send(Event::StartFailed { operation, error });
    }

    /// Records the end and reports it.
    pub(super) fn finish(
        &self,
        operation: u64,
        last: Progress,
        recorder: &mut Recorder,
        verdicts: &[Verdict],
    ) {
        if let Progress::Finished { ok, message } = &last {
            self.journal_failed(operation, recorder.outcome(*ok, message, verdicts));
        }
        self.progress(operation, last);
    }

    /// The end of a gateway operation, once the controller has been read again and each
    /// gateway checked: it succeeded only if the job did and every gateway passed. `refused`
    /// are the gateways of requests the controller refused, failed already.
    pub(super) async fn verify_end(
        &self,
        operation: u64,
        last: Progress,
        expected: &[Expected],
        refused: Vec<Verdict>,
    ) -> (Progress, Vec<Verdict>) {
        let Progress::Finished { ok, message } = last else {
            return (last, Vec::new());
        };
        let after = match refresh(&self.client).await {
            Ok(after) => after,
            Err(error) => {
                let message = format!(
                    "{message}; not verified: the controller could not be read again ({error})"
                );
                return (Progress::Finished { ok: false, message }, refused);
            }
        };
        let mut verdicts = verify::verify(expected, &after.snapshot, &after.live);
        verdicts.extend(refused);
        let summary = verify::summary(&verdicts);
        let all_passed = verdicts.iter().all(Verdict::passed);
        self.send(Event::Verified {
            operation,
            verdicts: verdicts.clone(),
        });
        let message = match ok {
            true => summary,
            false => format!("{message}; {summary}"),
        };
        let end = Progress::Finished {
            ok: ok && all_passed,
            message,
        };
        (end, verdicts)
    }

    /// Starts a platform upgrade and follows it with the poller its train uses.
    async fn start_platform(
        &self,
        operation: u64,
        target: Result<Target, String>,
        recorder: &mut Recorder,
    ) -> Result<BoxStream<'static, Progress>, String> {
        let versions = self
            .client
            .version_info()
            .await
            .map_err(|error| error.to_string())?;
        let target = target?;
        recorder.call(1, PLATFORM_UPGRADE, &[])?;
        let started = self.client.start_platform_upgrade(target).await;
        let answer = started.as_ref().map(|_| ()).map_err(ToString::to_string);
        self.journal_failed(operation, recorder.answer(1, &answer));
        let started = started.map_err(|error| error.to_string())?;
        let client = Arc::clone(&self.client);
        let events = match started {
            Started::RequestId(id)
                if versions.current.train() < STATUS_API_TRAIN && !id.is_empty() =>
            {
                poll::legacy_platform(client, id, self.poll).boxed()
            }
            _ => {
                let start = PlatformStart::Requested {
                    from: versions.current,
                };
                poll::platform(client, self.poll, start).boxed()
            }
        };
        Ok(events)
    }

    /// Sends a gateway operation in as many requests as its size needs, each recorded before
    /// it goes, all at once, and follows the gateways of those the controller accepted. Fails,
    /// with nothing started, when every request was refused.
    async fn start_gateways(
        &self,
        operation: u64,
        prepared: &Prepared,
        recorder: &mut Recorder,
    ) -> Result<GatewaysStarted, String> {
        let budget = self.client.gateway_list_budget();
        let requests = chunks::pack(prepared.groups.clone(), budget, gateway_name_cost)
            .map_err(|error| error.to_string())?;
        for (number, names) in (1..).zip(&requests) {
            recorder.call(number, GATEWAY_OPERATION, names)?;
        }
        let answers = self
            .client
            .start_gateway_requests(prepared.request.action(), &requests)
            .await
            .map_err(|error| error.to_string())?;
        let mut accepted: Vec<String> = Vec::new();
        let mut refused: Vec<Verdict> = Vec::new();
        let mut first_refusal = None;
        let count = requests.len();
        for (number, (names, answer)) in (1..).zip(requests.into_iter().zip(answers)) {
            let result = answer.map(|_| ()).map_err(|error| error.to_string());
            self.journal_failed(operation, recorder.answer(number, &result));
            if count > 1 {
                self.send(Event::RequestAnswered {
                    operation,
                    number: number as usize,
                    of: count,
                    gateways: names.len(),
                    result: result.clone(),
                });
            }
            match result {
                Ok(()) => accepted.extend(names),
                Err(error) => {
                    refused.extend(names.into_iter().map(|name| not_started(name, &error)));
                    first_refusal.get_or_insert(error);
                }
            }
        }
        if let (true, Some(error)) = (accepted.is_empty(), first_refusal) {
            return Err(error);
        }
        let expected = only(&prepared.expected, &accepted);
        let events = poll::gateways(Arc::clone(&self.client), accepted, self.poll).boxed();
        Ok(GatewaysStarted {
            events,
            expected,
            refused,
        })
    }
}

/// A gateway whose request the controller refused: failed, and why.
pub(super) fn not_started(name: String, error: &str) -> Verdict {
    Verdict {
        name,
        failure: Some(format!(
            "not started: the controller refused its request ({error})"
        )),
        after: None,
    }
}

/// The expectations of the `accepted` gateways.
pub(super) fn only(expected: &[Expected], accepted: &[String]) -> Vec<Expected> {
    let accepted: std::collections::HashSet<&str> = accepted.iter().map(String::as_str).collect();
    expected
        .iter()
        .filter(|expected| accepted.contains(expected.name.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Controller;

    fn prepared(current: &str, target: Option<&str>) -> Prepared {
        let catalog = Catalog::builtin().expect("the built-in catalog");
        let current: Version = current.parse().expect("version");
        let snapshot = Snapshot::new(Controller::new(current), Vec::new()).expect("snapshot");
        let target = target.map(|text| text.parse().expect("target"));
        Prepared::new(&snapshot, &catalog, Request::PlatformUpgrade { target })
    }

    /// The console's empty target (the guide's empty field) and a train are sent as the
    /// version they resolve to; a target that does not resolve is sent as typed, for the
    /// controller to refuse. Nothing is ever sent empty or as `latest`.
    #[test]
    fn a_platform_upgrade_is_sent_with_the_version_it_resolves_to() {
        let cases = [
            ("7.1.2131", None, "7.1.4183"),
            ("7.1.4183", None, "7.1.4183"),
            ("7.1.4183", Some("7.2"), "7.2.5090"),
            ("7.1.4183", Some("6.5"), "6.5"),
        ];
        for (current, target, sent) in cases {
            let named = prepared(current, target).platform_target().ok();
            assert_eq!(
                named.map(|target| target.to_string()).as_deref(),
                Some(sent),
                "{current} {target:?}"
            );
        }
    }
}
