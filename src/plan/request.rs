//! What the user asks the controller to do, which gateways that concerns, and which of them
//! it changes.
//!
//! A request names gateways; resolving it against a snapshot turns names into positions and
//! refuses names that do not exist, so a check never runs on a selection it cannot see.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use strum::{EnumIter, IntoEnumIterator, IntoStaticStr};

use crate::catalog::Catalog;
use crate::plan::rules::{Destination, names_of, upgraded_with_platform};
use crate::snapshot::Snapshot;
use crate::version::{Target, Version};

/// The four operations of the two windows; the names (kebab-case) are the command line's, and
/// serde writes the same names (the journal records them).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, IntoStaticStr, Serialize, Deserialize,
)]
#[strum(serialize_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    PlatformUpgrade,
    SoftwareUpgrade,
    SoftwareRollback,
    ImageUpgrade,
}

impl Action {
    /// The action as written on the command line, e.g. `software-rollback`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The window's words for it, e.g. "Software Rollback".
    pub fn title(self) -> &'static str {
        match self {
            Action::PlatformUpgrade => "Platform Upgrade",
            Action::SoftwareUpgrade => "Software Upgrade",
            Action::SoftwareRollback => "Software Rollback",
            Action::ImageUpgrade => "Image Upgrade",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = RequestError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Action::iter()
            .find(|action| action.as_str() == input)
            .ok_or_else(|| RequestError::UnknownAction(input.to_owned()))
    }
}

/// Which gateways a gateway operation covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every gateway of the snapshot.
    All,
    /// The named gateways; a name listed twice counts once.
    Named(Vec<String>),
}

/// One request to the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Upgrade the platform; `None` means the newest build of the running train.
    PlatformUpgrade { target: Option<Target> },
    /// Upgrade gateway software; the only valid target is the controller's current version.
    SoftwareUpgrade {
        gateways: Selection,
        target: Option<Version>,
    },
    /// Roll gateway software back; the only valid target is the controller's previous version.
    SoftwareRollback {
        gateways: Selection,
        target: Option<Version>,
    },
    /// Replace gateways with the image the compatibility matrix gives.
    ImageUpgrade { gateways: Selection },
}

impl Request {
    pub fn action(&self) -> Action {
        match self {
            Request::PlatformUpgrade { .. } => Action::PlatformUpgrade,
            Request::SoftwareUpgrade { .. } => Action::SoftwareUpgrade,
            Request::SoftwareRollback { .. } => Action::SoftwareRollback,
            Request::ImageUpgrade { .. } => Action::ImageUpgrade,
        }
    }

    /// The gateway selection, for gateway operations.
    pub fn selection(&self) -> Option<&Selection> {
        match self {
            Request::PlatformUpgrade { .. } => None,
            Request::SoftwareUpgrade { gateways, .. }
            | Request::SoftwareRollback { gateways, .. }
            | Request::ImageUpgrade { gateways } => Some(gateways),
        }
    }

    /// The gateway operation `action` of `gateways`: a software upgrade to `to` (the
    /// controller's version when `None`), a rollback to the controller's previous version, an
    /// image upgrade. A platform upgrade is not a gateway operation: it is taken as a software
    /// upgrade, the operation a rollout stages after each hop.
    pub fn gateway_operation(action: Action, gateways: Selection, to: Option<Version>) -> Request {
        match action {
            Action::SoftwareRollback => Request::SoftwareRollback {
                gateways,
                target: None,
            },
            Action::ImageUpgrade => Request::ImageUpgrade { gateways },
            Action::SoftwareUpgrade | Action::PlatformUpgrade => Request::SoftwareUpgrade {
                gateways,
                target: to,
            },
        }
    }

    /// The same request for the gateways of `selection`; a platform upgrade is unchanged.
    pub fn with_selection(&self, selection: Selection) -> Request {
        match self {
            Request::PlatformUpgrade { .. } => self.clone(),
            Request::SoftwareUpgrade { target, .. } => Request::SoftwareUpgrade {
                gateways: selection,
                target: *target,
            },
            Request::SoftwareRollback { target, .. } => Request::SoftwareRollback {
                gateways: selection,
                target: *target,
            },
            Request::ImageUpgrade { .. } => Request::ImageUpgrade {
                gateways: selection,
            },
        }
    }

    /// The gateways the request names; none for a platform upgrade or a selection of all.
    pub fn named(&self) -> &[String] {
        match self.selection() {
            Some(Selection::Named(names)) => names,
            Some(Selection::All) | None => &[],
        }
    }
}

/// A request that cannot be checked as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error(
        "unknown action \"{0}\": expected platform-upgrade, software-upgrade, software-rollback or image-upgrade"
    )]
    UnknownAction(String),
    #[error("gateway \"{name}\" does not exist: the snapshot has {known} gateways, check the name")]
    UnknownGateway { name: String, known: usize },
    #[error("no gateway selected: name at least one gateway, or select them all")]
    NothingSelected,
}

/// The positions of the selected gateways in `snapshot`, in the order given, each once.
pub fn resolve_selection(
    snapshot: &Snapshot,
    selection: &Selection,
) -> Result<Vec<usize>, RequestError> {
    let indices: Vec<usize> = match selection {
        Selection::All => (0..snapshot.gateways().len()).collect(),
        Selection::Named(names) => resolve_names(snapshot, names)?,
    };
    if indices.is_empty() {
        return Err(RequestError::NothingSelected);
    }
    Ok(indices)
}

/// The positions of the gateways that `request` changes, in the order given: those selected
/// that it takes somewhere they are not yet (for a software or image upgrade, the others are
/// the dry run's `already-current` finding; a gateway it cannot take anywhere, e.g. with no
/// rollback version or no image, is not changed either). A platform upgrade changes the
/// gateways upgraded with the controller: all of them before 6.5, none after.
pub fn will_change(
    snapshot: &Snapshot,
    catalog: &Catalog,
    request: &Request,
) -> Result<Vec<usize>, RequestError> {
    let Some(selection) = request.selection() else {
        return Ok(upgraded_with_platform(snapshot));
    };
    let selected = resolve_selection(snapshot, selection)?;
    Ok(changing(snapshot, catalog, request.action(), selected))
}

/// The `selected` gateways (positions) that `action` changes; see [`will_change`].
pub(super) fn changing(
    snapshot: &Snapshot,
    catalog: &Catalog,
    action: Action,
    mut selected: Vec<usize>,
) -> Vec<usize> {
    let Some(destination) = Destination::of(snapshot, catalog, action) else {
        return Vec::new();
    };
    let gateways = snapshot.gateways();
    selected.retain(|&index| destination.changes(&gateways[index]));
    selected
}

/// A request as the console sends it: naming only the gateways it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The request, its selection narrowed to the gateways that change; a platform upgrade
    /// as it was.
    pub request: Request,
    /// How many gateways change ([`will_change`]).
    pub changes: usize,
    /// The gateways selected that do not change, in the order given: they are not sent.
    pub skipped: Vec<String>,
}

/// `request` narrowed to the gateways it changes, so nothing already at its target is sent:
/// what a controller does with such a gateway is not public (docs/controller-api.md).
pub fn scope(
    snapshot: &Snapshot,
    catalog: &Catalog,
    request: &Request,
) -> Result<Scope, RequestError> {
    let changed = will_change(snapshot, catalog, request)?;
    let Some(selection) = request.selection() else {
        return Ok(Scope {
            request: request.clone(),
            changes: changed.len(),
            skipped: Vec::new(),
        });
    };
    let mut changes = vec![false; snapshot.gateways().len()];
    for &index in &changed {
        changes[index] = true;
    }
    let skipped: Vec<usize> = resolve_selection(snapshot, selection)?
        .into_iter()
        .filter(|&index| !changes[index])
        .collect();
    let named = Selection::Named(names_of(snapshot, &changed));
    Ok(Scope {
        request: request.with_selection(named),
        changes: changed.len(),
        skipped: names_of(snapshot, &skipped),
    })
}

fn resolve_names(snapshot: &Snapshot, names: &[String]) -> Result<Vec<usize>, RequestError> {
    let mut seen = vec![false; snapshot.gateways().len()];
    let mut indices = Vec::with_capacity(names.len());
    for name in names {
        let index = snapshot
            .index_of(name)
            .ok_or_else(|| RequestError::UnknownGateway {
                name: name.clone(),
                known: snapshot.gateways().len(),
            })?;
        if !seen[index] {
            seen[index] = true;
            indices.push(index);
        }
    }
    Ok(indices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ImageEntry, Release};
    use crate::cloud::Cloud;
    use crate::snapshot::{Controller, Gateway, GatewayType, Role};
    use crate::version::Train;

    fn fleet() -> Snapshot {
        let version = Version::new(6, 5, 750);
        let gateways = ["a", "b", "c"]
            .map(|name| {
                Gateway::new(
                    name,
                    Cloud::Aws,
                    "us-east-1",
                    GatewayType::Spoke,
                    Role::Primary,
                    version,
                )
            })
            .to_vec();
        Snapshot::new(Controller::new(version), gateways).expect("valid")
    }

    #[test]
    fn serde_writes_the_command_line_names() {
        for action in Action::iter() {
            let json = serde_json::to_string(&action).expect("serialises");
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            let back: Action = serde_json::from_str(&json).expect("deserialises");
            assert_eq!(back, action);
        }
    }

    #[test]
    fn names_resolve_in_order_once_each() {
        let names = ["c", "a", "c"].map(String::from).to_vec();
        assert_eq!(
            resolve_selection(&fleet(), &Selection::Named(names)),
            Ok(vec![2, 0])
        );
        assert_eq!(
            resolve_selection(&fleet(), &Selection::All),
            Ok(vec![0, 1, 2])
        );
    }

    #[test]
    fn unknown_names_and_empty_selections_are_errors() {
        let error =
            resolve_selection(&fleet(), &Selection::Named(vec!["zz".into()])).expect_err("unknown");
        assert!(
            error.to_string().contains("\"zz\" does not exist"),
            "{error}"
        );
        let empty = resolve_selection(&fleet(), &Selection::Named(Vec::new()));
        assert_eq!(empty, Err(RequestError::NothingSelected));
    }

    #[test]
    fn a_request_names_only_the_gateways_it_lists() {
        let named = Request::ImageUpgrade {
            gateways: Selection::Named(["c", "a"].map(String::from).to_vec()),
        };
        assert_eq!(named.named(), ["c", "a"]);
        let all = Request::SoftwareUpgrade {
            gateways: Selection::All,
            target: None,
        };
        assert!(all.named().is_empty());
        assert!(Request::PlatformUpgrade { target: None }.named().is_empty());
    }

    /// `a` on the AWS image of 6.5 and the controller's version, `b` one build behind and on
    /// an older image, `c` on the controller's previous version; the controller went from
    /// 6.5.250 to 6.5.750.
    fn mixed_fleet() -> (Snapshot, Catalog) {
        let mut snapshot = fleet();
        snapshot.controller.previous_version = Some(Version::new(6, 5, 250));
        let gateways = snapshot.gateways_mut();
        gateways[0].image_version = Some("aws-6.5".into());
        gateways[1].software_version = Version::new(6, 5, 700);
        gateways[1].image_version = Some("aws-6.4".into());
        gateways[2].software_version = Version::new(6, 5, 250);
        let image = ImageEntry {
            cloud: Cloud::Aws,
            software: Train::new(6, 5),
            image: "aws-6.5".into(),
            kernel: None,
        };
        let releases = [250, 700, 750].map(|build| Release::build(Version::new(6, 5, build)));
        let catalog = Catalog::new(releases.to_vec(), vec![image]).expect("valid catalog");
        (snapshot, catalog)
    }

    #[test]
    fn only_gateways_not_yet_where_a_request_takes_them_change() {
        let (snapshot, catalog) = mixed_fleet();
        let all = || Selection::All;
        let cases = [
            (
                Request::SoftwareUpgrade {
                    gateways: all(),
                    target: None,
                },
                vec![1, 2],
            ),
            (
                Request::SoftwareRollback {
                    gateways: Selection::Named(["c", "b", "a"].map(String::from).to_vec()),
                    target: None,
                },
                vec![1, 0],
            ),
            (Request::ImageUpgrade { gateways: all() }, vec![1, 2]),
            (Request::PlatformUpgrade { target: None }, Vec::new()),
        ];
        for (request, expected) in cases {
            assert_eq!(
                will_change(&snapshot, &catalog, &request),
                Ok(expected),
                "{request:?}"
            );
        }
        let unknown = Request::ImageUpgrade {
            gateways: Selection::Named(vec!["zz".into()]),
        };
        assert!(matches!(
            will_change(&snapshot, &catalog, &unknown),
            Err(RequestError::UnknownGateway { .. })
        ));
    }

    #[test]
    fn a_request_changes_no_gateway_it_cannot_take_anywhere() {
        let (mut snapshot, catalog) = mixed_fleet();
        let rollback = Request::SoftwareRollback {
            gateways: Selection::All,
            target: None,
        };
        snapshot.gateways_mut()[1].software_version = Version::new(6, 5, 100);
        assert_eq!(
            will_change(&snapshot, &catalog, &rollback),
            Ok(vec![0]),
            "b is older than the rollback version"
        );
        snapshot.controller.previous_version = None;
        assert_eq!(will_change(&snapshot, &catalog, &rollback), Ok(Vec::new()));
    }

    #[test]
    fn a_platform_upgrade_before_6_5_changes_every_gateway() {
        let (mut snapshot, catalog) = mixed_fleet();
        snapshot.controller.current_version = Version::new(6, 4, 100);
        let platform = Request::PlatformUpgrade { target: None };
        assert_eq!(
            will_change(&snapshot, &catalog, &platform),
            Ok(vec![0, 1, 2])
        );
        let scope = scope(&snapshot, &catalog, &platform).expect("scope");
        assert_eq!((scope.request, scope.changes), (platform, 3));
    }

    #[test]
    fn the_scope_sends_only_what_changes_and_skips_the_rest() {
        let (snapshot, catalog) = mixed_fleet();
        let upgrade = Request::SoftwareUpgrade {
            gateways: Selection::Named(["c", "a", "b"].map(String::from).to_vec()),
            target: None,
        };
        let scope = scope(&snapshot, &catalog, &upgrade).expect("scope");
        assert_eq!(scope.request.named(), ["c", "b"]);
        assert_eq!(scope.request.action(), Action::SoftwareUpgrade);
        assert_eq!((scope.changes, scope.skipped), (2, vec!["a".to_owned()]));
    }

    #[test]
    fn actions_parse_from_their_names() {
        for action in Action::iter() {
            assert_eq!(action.as_str().parse(), Ok(action));
        }
        assert!("upgrade-everything".parse::<Action>().is_err());
    }
}
