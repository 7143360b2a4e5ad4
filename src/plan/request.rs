//! What the user asks the controller to do, and which gateways that concerns.
//!
//! A request names gateways; resolving it against a snapshot turns names into positions and
//! refuses names that do not exist, so a check never runs on a selection it cannot see.

use std::fmt;
use std::str::FromStr;

use crate::snapshot::Snapshot;
use crate::version::{Target, Version};

/// The four operations of the two windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    PlatformUpgrade,
    SoftwareUpgrade,
    SoftwareRollback,
    ImageUpgrade,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::PlatformUpgrade,
        Action::SoftwareUpgrade,
        Action::SoftwareRollback,
        Action::ImageUpgrade,
    ];

    /// The action as written on the command line, e.g. `software-rollback`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::PlatformUpgrade => "platform-upgrade",
            Action::SoftwareUpgrade => "software-upgrade",
            Action::SoftwareRollback => "software-rollback",
            Action::ImageUpgrade => "image-upgrade",
        }
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
        Action::ALL
            .into_iter()
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
    use crate::cloud::Cloud;
    use crate::snapshot::{Controller, Gateway, GatewayType, Role};

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
    fn actions_parse_from_their_names() {
        for action in Action::ALL {
            assert_eq!(action.as_str().parse(), Ok(action));
        }
        assert!("upgrade-everything".parse::<Action>().is_err());
    }
}
