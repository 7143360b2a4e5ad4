//! The outcome of a gateway operation, checked against the controller rather than read from
//! the job status: what each gateway should reach ([`expectations`], from the fleet read before
//! the request was sent) compared with the fleet read again at the end ([`verify`]). A gateway
//! passes when the controller does not report a failure, its `state` is `up`, it runs the target
//! software (and, for an image upgrade, the target image), and its tunnels are up if they were
//! before. Pure: both readings come in as arguments.

use crate::catalog::Catalog;
use crate::journal::{GatewayAfter, GatewayBefore};
use crate::ops::Live;
use crate::plan::request::{Action, Request};
use crate::snapshot::{Gateway, GatewayState, Snapshot, UpdateStatus};
use crate::version::Version;

/// What one gateway was, and should be once the operation is over: the journal's record of
/// it ([`GatewayBefore`]), so that an operation resumed from the journal is verified as one
/// started here is.
pub type Expected = GatewayBefore;

/// One gateway's verified outcome: `failure` says why it failed, `None` when it passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub name: String,
    pub failure: Option<String>,
    /// The gateway as read back, when the controller still lists it.
    pub after: Option<GatewayAfter>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// What each gateway named by `request` should reach, from the fleet before it was sent.
/// Names the fleet does not know are left out (the controller refuses them).
pub fn expectations(snapshot: &Snapshot, catalog: &Catalog, request: &Request) -> Vec<Expected> {
    let controller = &snapshot.controller;
    let action = request.action();
    let software = match action {
        Action::SoftwareRollback => controller.previous_version,
        _ => Some(controller.current_version),
    };
    request
        .named()
        .iter()
        .filter_map(|name| snapshot.index_of(name))
        .map(|index| {
            let gateway = &snapshot.gateways()[index];
            GatewayBefore {
                name: gateway.name.to_string(),
                software: gateway.software_version,
                image: gateway.image_version.as_deref().map(str::to_owned),
                state: gateway.state.name().to_owned(),
                tunnels_up: gateway.tunnels_up,
                expect_software: software,
                expect_image: wanted_image(gateway, catalog, action, software),
            }
        })
        .collect()
}

/// The image an image upgrade must reach: the matrix's image for the target train.
fn wanted_image(
    gateway: &Gateway,
    catalog: &Catalog,
    action: Action,
    software: Option<Version>,
) -> Option<String> {
    if action != Action::ImageUpgrade {
        return None;
    }
    let train = software?.train();
    catalog
        .image_for(gateway.cloud, train)
        .map(|entry| entry.image.clone())
}

/// Each expected gateway's outcome in the fleet read after the operation; `live` holds the
/// controller's statuses at the gateways' positions in `after`.
pub fn verify(expected: &[Expected], after: &Snapshot, live: &[Live]) -> Vec<Verdict> {
    expected
        .iter()
        .map(|expected| {
            let Some(index) = after.index_of(&expected.name) else {
                return Verdict {
                    name: expected.name.clone(),
                    failure: Some("no longer listed by the controller".into()),
                    after: None,
                };
            };
            let gateway = &after.gateways()[index];
            let live = live.get(index).cloned().unwrap_or_default();
            Verdict {
                name: expected.name.clone(),
                failure: failure(expected, gateway, live),
                after: Some(read_back(gateway)),
            }
        })
        .collect()
}

/// What the change record keeps of a gateway read back after the operation.
fn read_back(gateway: &Gateway) -> GatewayAfter {
    GatewayAfter {
        software: gateway.software_version,
        image: gateway.image_version.as_deref().map(str::to_owned),
        state: gateway.state.name().to_owned(),
        tunnels_up: gateway.tunnels_up,
    }
}

/// Why `gateway` does not meet `expected`, the first check that fails; `None` when it does.
fn failure(expected: &Expected, gateway: &Gateway, live: Live) -> Option<String> {
    let reason = check(expected, gateway, &live)?;
    let Some(message) = live.message() else {
        return Some(reason);
    };
    // The controller's message starts with the word the reason ends with: say it once.
    let word = format!("{}: ", live.update_status().as_str());
    let message = match reason.ends_with(word.trim_end_matches(": ")) {
        true => message.strip_prefix(&word).unwrap_or(message),
        false => message,
    };
    Some(format!("{reason}: {message}"))
}

fn check(expected: &Expected, gateway: &Gateway, live: &Live) -> Option<String> {
    if *live.update_status() == UpdateStatus::UpgradeFail {
        return Some(format!(
            "the controller reports {}",
            live.update_status().as_str()
        ));
    }
    if gateway.state != GatewayState::Up {
        return Some(format!("ended in {}", gateway.state.name()));
    }
    if let Some(software) = expected.expect_software
        && gateway.software_version != software
    {
        let running = gateway.software_version;
        return Some(match running == expected.software {
            true => format!("still on {running}, not {software}"),
            false => format!("on {running}, not {software}"),
        });
    }
    if let Some(image) = &expected.expect_image
        && gateway.image_version.as_deref() != Some(image.as_str())
    {
        let running = gateway.image_version.as_deref().unwrap_or("no image");
        return Some(format!("image still {running}, not {image}"));
    }
    if expected.tunnels_up && !gateway.tunnels_up {
        return Some("tunnels down".into());
    }
    None
}

/// "2 of 3 gateways verified, 1 failed".
pub fn summary(verdicts: &[Verdict]) -> String {
    let passed = verdicts.iter().filter(|verdict| verdict.passed()).count();
    format!(
        "{passed} of {} gateways verified, {} failed",
        verdicts.len(),
        verdicts.len() - passed
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;
    use crate::snapshot::{GatewayType, Role};

    /// The controller's message starts with the status word the reason ends with; the
    /// verdict says it once.
    #[test]
    fn a_failure_names_the_controllers_status_once() {
        let old = Version::new(7, 0, 2239);
        let gateway = Gateway::new(
            "spoke-1",
            Cloud::Aws,
            "us-east-1",
            GatewayType::Spoke,
            Role::Primary,
            old,
        );
        let expected = GatewayBefore {
            name: "spoke-1".into(),
            software: old,
            image: None,
            state: "up".into(),
            tunnels_up: true,
            expect_software: Some(Version::new(7, 1, 4183)),
            expect_image: None,
        };
        let live = Live::new(UpdateStatus::UpgradeFail, None).with_message(Some(
            "upgrade_fail: the package could not be downloaded".into(),
        ));
        assert_eq!(
            failure(&expected, &gateway, live).as_deref(),
            Some("the controller reports upgrade_fail: the package could not be downloaded")
        );
    }
}
