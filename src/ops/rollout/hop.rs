//! One platform hop of a runbook across trains. The controller is read first: a hop it is
//! already past is checked, not made again; an upgrade running there (sent before a crash) is
//! followed to its end, never sent twice; otherwise the controller must run the hop's `from`
//! version and the planner must allow the upgrade against the fleet as it is now. The upgrade
//! is then sent as a single operation (journalled, followed through the restart window and the
//! re-login), and the hop passes its gate only when the controller runs the hop's version.

use std::sync::Arc;

use futures::StreamExt;

use crate::api::poll::{self, PlatformStart, Progress};
use crate::ops::Prepared;
use crate::ops::rollout::{RolloutEnd, RolloutEvent, Rollouts, Run, read};
use crate::plan::request::Request;
use crate::plan::rollout::Hop;
use crate::plan::{Severity, check};
use crate::version::Target;

impl Run {
    /// One hop to its gate: `Err` ends the rollout.
    pub(super) async fn hop(&mut self, rollouts: &Rollouts, hop: &Hop) -> Result<(), RolloutEnd> {
        let mut loaded = read(rollouts).await?;
        if loaded.platform_running.is_some() {
            self.follow_running(rollouts, hop).await;
            loaded = read(rollouts).await?;
        }
        let running = loaded.snapshot.controller.current_version;
        if running == hop.to {
            let message = format!(
                "step {}: the controller already runs {}: nothing to send",
                hop.number, hop.to
            );
            return self.hop_gate(hop, true, message);
        }
        if running != hop.from {
            let message = format!(
                "step {}: the controller runs {running}, not {} where this hop starts: plan the rollout again",
                hop.number, hop.from
            );
            return self.hop_gate(hop, false, message);
        }
        let request = Request::PlatformUpgrade {
            target: Some(Target::Version(hop.to)),
        };
        let report = check(
            &loaded.snapshot,
            &loaded.catalog,
            &request,
            jiff::Timestamp::now(),
        )
        .map_err(|error| RolloutEnd::Stopped(error.to_string()))?;
        if let Some(blocker) = report.with_severity(Severity::Blocker).next() {
            let message = format!("step {}: {}", hop.number, blocker.reason());
            return self.hop_gate(hop, false, message);
        }
        self.note(format!(
            "step {}: upgrading the platform from {} to {}",
            hop.number, hop.from, hop.to
        ));
        let prepared = self.as_step(
            Prepared::to_send(&loaded.snapshot, &loaded.catalog, request),
            hop.number,
        );
        let (ok, message, _) = self.dispatch(rollouts, hop.number, prepared).await?;
        self.reached(rollouts, hop, ok, &message).await
    }

    /// The hop's gate once the upgrade ended: the controller must run the hop's version.
    async fn reached(
        &mut self,
        rollouts: &Rollouts,
        hop: &Hop,
        ok: bool,
        message: &str,
    ) -> Result<(), RolloutEnd> {
        let after = read(rollouts).await?;
        let running = after.snapshot.controller.current_version;
        let reached = running == hop.to;
        let message = match (ok, reached) {
            (true, true) => format!("step {}: the platform runs {running}", hop.number),
            (_, false) => format!(
                "step {}: the platform upgrade ended ({message}) but the controller runs {running}, not {}",
                hop.number, hop.to
            ),
            (false, true) => format!(
                "step {}: the controller runs {running}, but the upgrade reported a failure: {message}",
                hop.number
            ),
        };
        self.hop_gate(hop, ok && reached, message)
    }

    /// Follows a platform upgrade found running (sent before a crash) to its end.
    async fn follow_running(&mut self, rollouts: &Rollouts, hop: &Hop) {
        self.note(format!(
            "step {}: a platform upgrade is running at the controller: following it, not sending again",
            hop.number
        ));
        let client = Arc::clone(&rollouts.client);
        let mut events = Box::pin(poll::platform(
            client,
            rollouts.poll,
            PlatformStart::Running,
        ));
        while let Some(progress) = events.next().await {
            if let Progress::Finished { message, .. } = &progress {
                self.note(format!("step {}: it ended: {message}", hop.number));
                return;
            }
            self.say(RolloutEvent::Progress {
                step: hop.number,
                progress,
            });
        }
    }

    fn hop_gate(&mut self, hop: &Hop, passed: bool, message: String) -> Result<(), RolloutEnd> {
        self.gate(hop.number, passed, &message);
        self.note(message.clone());
        match passed {
            true => Ok(()),
            false => Err(RolloutEnd::Stopped(message)),
        }
    }
}
