//! One wave of a rollout: read the controller, follow the wave's gateways a crash left
//! running, pass the gate (the HA peers of the wave up with their tunnels), check the wave with
//! the planner against the controller as it is (what is already on target is left out), send,
//! follow, verify, and count the failures against the budget.

use std::collections::HashSet;
use std::sync::Arc;

use futures::StreamExt;

use crate::api::poll::Progress;
use crate::ops::rollout::{RolloutEnd, RolloutEvent, Rollouts, Run, read};
use crate::ops::verify::{self, Verdict};
use crate::ops::{Loaded, Prepared};
use crate::plan::request::{Request, Selection, scope};
use crate::plan::rollout::{Document, Wave};
use crate::plan::{Severity, check, counted};
use crate::snapshot::{GatewayState, Snapshot};
use crate::version::Version;

impl Run {
    /// One wave to its gate: `Err` ends the rollout. `to` is the version a wave after a hop
    /// goes to; `allowed` the failures tolerated across the rollout.
    pub(super) async fn wave(
        &mut self,
        rollouts: &Rollouts,
        document: &Document,
        wave: &Wave,
        to: Option<Version>,
        allowed: usize,
    ) -> Result<(), RolloutEnd> {
        let verdicts = self.verdicts(rollouts, document, wave, to).await?;
        let failed = verdicts.iter().filter(|verdict| !verdict.passed()).count();
        self.failed += failed;
        let passed = self.failed <= allowed;
        let message = format!(
            "wave {}: {} of {} verified; {} failed so far, {allowed} tolerated",
            wave.number,
            verdicts.len() - failed,
            verdicts.len(),
            self.failed
        );
        self.gate(wave.number, passed, &message);
        self.note(message);
        match passed {
            true => Ok(()),
            false => Err(RolloutEnd::Stopped(format!(
                "the failure budget is spent: {} gateways failed, {allowed} tolerated",
                self.failed
            ))),
        }
    }

    /// Read the controller, pass the gate, check with the planner, send, follow and verify:
    /// the wave's verdicts.
    async fn verdicts(
        &mut self,
        rollouts: &Rollouts,
        document: &Document,
        wave: &Wave,
        to: Option<Version>,
    ) -> Result<Vec<Verdict>, RolloutEnd> {
        let gateways: Vec<String> = wave
            .gateways
            .iter()
            .filter(|name| !self.skipped.contains(*name))
            .cloned()
            .collect();
        if gateways.is_empty() {
            self.note(format!("wave {}: every gateway is skipped", wave.number));
            return Ok(Vec::new());
        }
        let loaded = self.settled(rollouts, wave).await?;
        if let Some(down) = peers_down(&loaded.snapshot, &gateways) {
            let message = format!("wave {}: {down}", wave.number);
            self.gate(wave.number, false, &message);
            return Err(RolloutEnd::Stopped(message));
        }
        let request =
            Request::gateway_operation(document.rollout.action, Selection::Named(gateways), to);
        let Some(prepared) = self.prepare(&loaded, request.clone(), wave)? else {
            self.note(format!(
                "wave {}: every gateway already runs the target: nothing to send, checking them",
                wave.number
            ));
            return Ok(already_there(&loaded, &request));
        };
        self.note(format!(
            "wave {}{}: sending {}",
            wave.number,
            if wave.canary { " (canary)" } else { "" },
            counted(prepared.request.named().len(), "gateway")
        ));
        let (ok, message, verdicts) = self.dispatch(rollouts, wave.number, prepared).await?;
        self.note(format!("wave {}: {message}", wave.number));
        if !ok && verdicts.is_empty() {
            let message = format!("wave {} could not be verified: {message}", wave.number);
            self.gate(wave.number, false, &message);
            return Err(RolloutEnd::Stopped(message));
        }
        self.say(RolloutEvent::WaveEnded {
            step: wave.number,
            verdicts: verdicts.clone(),
        });
        Ok(verdicts)
    }

    /// The controller once none of the wave's gateways is running there: a wave sent before
    /// a crash, whose answer was never recorded, is followed to its end rather than sent again.
    async fn settled(&mut self, rollouts: &Rollouts, wave: &Wave) -> Result<Loaded, RolloutEnd> {
        let loaded = read(rollouts).await?;
        let in_wave: HashSet<&str> = wave.gateways.iter().map(String::as_str).collect();
        let running: Vec<String> = loaded
            .gateways_running
            .iter()
            .filter(|name| in_wave.contains(name.as_str()))
            .cloned()
            .collect();
        if running.is_empty() {
            return Ok(loaded);
        }
        self.note(format!(
            "wave {}: {} already running at the controller: following them, not sending again",
            wave.number,
            counted(running.len(), "gateway")
        ));
        let client = Arc::clone(&rollouts.client);
        let mut events = Box::pin(crate::api::poll::gateways(client, running, rollouts.poll));
        while let Some(progress) = events.next().await {
            if let Progress::Finished { message, .. } = &progress {
                let line = format!(
                    "wave {}: the running gateways ended: {message}",
                    wave.number
                );
                self.note(line);
                break;
            }
        }
        read(rollouts).await
    }

    /// `request` as the planner sees it now, narrowed to the gateways that still change;
    /// `None` when none does. A blocker stops the rollout.
    fn prepare(
        &mut self,
        loaded: &Loaded,
        request: Request,
        wave: &Wave,
    ) -> Result<Option<Box<Prepared>>, RolloutEnd> {
        let now = jiff::Timestamp::now();
        let stop = |error: String| RolloutEnd::Stopped(format!("wave {}: {error}", wave.number));
        let narrowed = scope(&loaded.snapshot, &loaded.catalog, &request)
            .map_err(|error| stop(error.to_string()))?;
        if narrowed.changes == 0 {
            return Ok(None);
        }
        let report = check(&loaded.snapshot, &loaded.catalog, &narrowed.request, now)
            .map_err(|error| stop(error.to_string()))?;
        if let Some(blocker) = report.with_severity(Severity::Blocker).next() {
            let message = format!("wave {}: {}", wave.number, blocker.reason());
            self.gate(wave.number, false, &message);
            return Err(RolloutEnd::Stopped(message));
        }
        let prepared = Prepared::to_send(&loaded.snapshot, &loaded.catalog, narrowed.request);
        Ok(Some(self.as_step(prepared, wave.number)))
    }
}

/// The verdicts of a wave whose gateways all run the target already (a wave a crash cut
/// short after it was sent): each is checked as at the end of an operation — up, tunnels up,
/// on the target software and image.
fn already_there(loaded: &Loaded, request: &Request) -> Vec<Verdict> {
    let mut expected = verify::expectations(&loaded.snapshot, &loaded.catalog, request);
    for gateway in &mut expected {
        gateway.tunnels_up = true;
    }
    verify::verify(&expected, &loaded.snapshot, &loaded.live)
}

/// The first gateway of `wave` whose HA peer is not up with its tunnels, said in words.
fn peers_down(snapshot: &Snapshot, wave: &[String]) -> Option<String> {
    let in_wave: HashSet<&str> = wave.iter().map(String::as_str).collect();
    wave.iter().find_map(|name| {
        let index = snapshot.index_of(name)?;
        let peer = &snapshot.gateways()[snapshot.peer_of(index)?];
        if in_wave.contains(peer.name.as_ref()) {
            return None;
        }
        let healthy = peer.state == GatewayState::Up && peer.tunnels_up;
        (!healthy).then(|| {
            format!(
                "the HA peer {} of {name} is {} with tunnels {}: it cannot carry the traffic; fix it, then resume",
                peer.name,
                peer.state.name(),
                if peer.tunnels_up { "up" } else { "down" }
            )
        })
    })
}
