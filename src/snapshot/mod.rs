//! A controller and its gateways at one moment: the simulator's starting state, an export of a
//! live controller, and the input of offline planning. Format: `spec/formats.md`.
//!
//! Only the fields the format marks required must be present; every other one takes the value a
//! healthy, freshly deployed fleet would have. Gateway names are unique, HA peers name each
//! other and are one primary and one secondary, and the controller's previous version is not
//! newer than its current one (a controller never rolls back), or the snapshot does not load.
//! Release numbers are bounded ([`crate::version::PART_MAX`]).

use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::load::{self, LoadError};

mod controller;
mod gateway;
mod index;
pub mod shared_text;
mod status;

pub use controller::{Account, Backup, Checklist, Controller, ControllerHa};
pub use gateway::{Gateway, GatewayState, GatewayType, Role};
pub use status::UpdateStatus;

pub use index::NameIndex;
use index::{name_order, resolve_peers};
use shared_text::Interner;

/// The only snapshot format this build reads and writes.
pub const SNAPSHOT_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotFile {
    format: u32,
    controller: Controller,
    gateways: Vec<Gateway>,
}

/// A snapshot whose gateways break a rule of the format; `path` is the JSON path of the culprit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SnapshotError {
    pub path: String,
    pub message: String,
}

/// A controller and its gateways, with gateway names indexed.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub controller: Controller,
    gateways: Vec<Gateway>,
    /// Gateway positions by name. (A hash map of cloned names cost 9 MB more at 100,000
    /// gateways; this one holds positions only.)
    by_name: NameIndex,
    /// Gateway positions in name order, sorted the first time they are asked for.
    name_order: OnceLock<Vec<u32>>,
    /// The position of each gateway's HA peer, resolved once at construction.
    /// (Four bytes each: [`index::NO_PEER`] for none.)
    peers: Vec<u32>,
}

impl Snapshot {
    /// Builds a snapshot; the controller's previous version must not be newer than its
    /// current one, gateway names must be unique, and every `peer` must name an existing
    /// gateway of the other role that names it back.
    pub fn new(controller: Controller, gateways: Vec<Gateway>) -> Result<Self, SnapshotError> {
        check_versions(&controller)?;
        let by_name = NameIndex::of(&gateways)?;
        let peers = resolve_peers(&gateways, &by_name)?;
        Ok(Self {
            controller,
            gateways,
            by_name,
            name_order: OnceLock::new(),
            peers,
        })
    }

    /// Reads a snapshot file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let bytes = load::read_file(path, load::FileKind::Snapshot)?;
        Self::parse(&path.display().to_string(), &bytes)
    }

    /// Parses snapshot JSON; `file` names the document in errors.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, LoadError> {
        let document: SnapshotFile = Interner::sharing(|| load::parse_json(file, bytes))?;
        if document.format != SNAPSHOT_FORMAT {
            return Err(LoadError::at(
                file,
                "format",
                format!(
                    "expected format {SNAPSHOT_FORMAT}, found {}: this build reads snapshot format {SNAPSHOT_FORMAT} only",
                    document.format
                ),
            ));
        }
        Self::new(document.controller, document.gateways)
            .map_err(|error| LoadError::at(file, error.path, error.message))
    }

    /// The snapshot as JSON in the documented format.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            format: u32,
            controller: &'a Controller,
            gateways: &'a [Gateway],
        }
        serde_json::to_string_pretty(&View {
            format: SNAPSHOT_FORMAT,
            controller: &self.controller,
            gateways: &self.gateways,
        })
    }

    /// Every gateway, in the order of the document.
    pub fn gateways(&self) -> &[Gateway] {
        &self.gateways
    }

    /// The gateways, to change what operations change (versions, images, state). Names and
    /// peers must stay as they are: the name index and the HA pairs are built from them.
    pub(crate) fn gateways_mut(&mut self) -> &mut [Gateway] {
        &mut self.gateways
    }

    /// The position of the gateway called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.by_name.find(&self.gateways, name)
    }

    /// Gateway positions in name order.
    pub fn in_name_order(&self) -> &[u32] {
        self.name_order.get_or_init(|| name_order(&self.gateways))
    }

    /// The gateway called `name`.
    pub fn gateway(&self, name: &str) -> Option<&Gateway> {
        self.index_of(name).map(|index| &self.gateways[index])
    }

    /// The HA peer of the gateway at `index`.
    pub fn peer_of(&self, index: usize) -> Option<usize> {
        let peer = self.peers[index];
        (peer != index::NO_PEER).then_some(peer as usize)
    }
}

/// Two snapshots are equal when their controllers and gateways are: the index, the name
/// order and the peers follow from the gateways.
impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        self.controller == other.controller && self.gateways == other.gateways
    }
}

/// A controller never rolls back, so its previous version cannot be newer than its current one.
fn check_versions(controller: &Controller) -> Result<(), SnapshotError> {
    match controller.previous_version {
        Some(previous) if previous > controller.current_version => Err(SnapshotError {
            path: "controller.previous_version".into(),
            message: format!(
                "previous version {previous} is newer than the current version {}: expected the version the controller ran before its last upgrade (a controller never rolls back)",
                controller.current_version
            ),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;
    use crate::version::Version;

    const FULL_EXAMPLE: &str = r#"{
      "format": 1,
      "controller": {
        "current_version": "6.5.750",
        "previous_version": "6.5.250",
        "kernel_version": "5.4.0-1094-aws",
        "cloud": "aws",
        "instance_type": "t3.large",
        "t2_t3_unlimited": false,
        "controller_ha": { "enabled": true, "version": "1.6", "latest_version": "1.7" },
        "dns_ok": true,
        "internet_ok": true,
        "accounts": [ { "name": "prod-aws", "cloud": "aws", "primary": true, "valid": true, "audit_ok": true } ],
        "backup": { "enabled": true, "last_backup": "2026-11-22T00:00:00Z", "files_kept": 3 }
      },
      "gateways": [
        {
          "name": "spoke-use1-prod-1", "cloud": "aws", "region": "us-east-1", "account": "prod-aws",
          "gw_type": "spoke", "role": "primary", "peer": "spoke-use1-prod-1-hagw",
          "software_version": "6.5.750", "previous_software_version": "6.5.250",
          "image_version": "hvm-cloudx-aws-022021", "previous_image_version": null,
          "kernel_version": "5.4.0-1094-aws", "state": "up", "tunnels_up": true,
          "active_mesh": true, "bgp_peers": 2, "openvpn": false, "openvpn_users": 0
        },
        {
          "name": "spoke-use1-prod-1-hagw", "cloud": "aws", "region": "us-east-1",
          "gw_type": "spoke", "role": "secondary", "peer": "spoke-use1-prod-1",
          "software_version": "UserConnect-6.5.250"
        }
      ]
    }"#;

    fn minimal(gateways: &str) -> String {
        format!(
            r#"{{"format":1,"controller":{{"current_version":"6.5.750"}},"gateways":[{gateways}]}}"#
        )
    }

    fn gateway_json(name: &str, peer: Option<&str>) -> String {
        let peer = peer
            .map(|p| format!(r#","peer":"{p}""#))
            .unwrap_or_default();
        format!(
            r#"{{"name":"{name}","cloud":"gcp","region":"us-west1","gw_type":"transit","role":"primary","software_version":"6.5.750"{peer}}}"#
        )
    }

    #[test]
    fn the_formats_example_loads_with_every_field() {
        let snapshot = Snapshot::parse("state.json", FULL_EXAMPLE.as_bytes()).expect("loads");
        let controller = &snapshot.controller;
        assert_eq!(controller.previous_version, Some(Version::new(6, 5, 250)));
        assert_eq!(controller.checklist.cloud, Some(Cloud::Aws));
        assert!(controller.checklist.backup.enabled);
        assert_eq!(controller.checklist.backup.files_kept, 3);
        let primary = snapshot.gateway("spoke-use1-prod-1").expect("present");
        assert_eq!(primary.bgp_peers, 2);
        assert_eq!(snapshot.peer_of(0), Some(1));
        let secondary = &snapshot.gateways()[1];
        assert_eq!(secondary.software_version, Version::new(6, 5, 250));
        assert_eq!(secondary.role, Role::Secondary);
    }

    #[test]
    fn optional_fields_default_to_a_healthy_fresh_fleet() {
        let json = minimal(&gateway_json("gw-1", None));
        let snapshot = Snapshot::parse("s.json", json.as_bytes()).expect("loads");
        let controller = &snapshot.controller;
        assert!(controller.checklist.dns_ok && controller.checklist.internet_ok);
        let backup = &controller.checklist.backup;
        assert!(!backup.enabled && backup.last_backup.is_none());
        assert_eq!(controller.previous_version, None);
        let gateway = &snapshot.gateways()[0];
        assert!(gateway.is_healthy() && gateway.active_mesh);
        assert_eq!((gateway.bgp_peers, gateway.openvpn), (0, false));
    }

    #[test]
    fn writing_then_reading_gives_the_same_snapshot() {
        let snapshot = Snapshot::parse("state.json", FULL_EXAMPLE.as_bytes()).expect("loads");
        let written = snapshot.to_json().expect("serialises");
        let again = Snapshot::parse("again.json", written.as_bytes()).expect("reloads");
        assert_eq!(again, snapshot);
    }

    #[test]
    fn absurd_values_are_refused_at_their_path() {
        let secondary = |name: &str, peer: &str| {
            gateway_json(name, Some(peer)).replace(r#""role":"primary""#, r#""role":"secondary""#)
        };
        let huge = u64::MAX;
        let cases = [
            (
                r#"{"format":1,"controller":{"current_version":"6.5.750","previous_version":"6.6.100"},"gateways":[]}"#.to_owned(),
                "controller.previous_version",
                "previous version 6.6.100 is newer than the current version 6.5.750",
            ),
            (
                minimal(&format!("{},{}", secondary("a", "a-hagw"), secondary("a-hagw", "a"))),
                "gateways[1].role",
                "\"a-hagw\" and its HA peer \"a\" (gateways[0]) are both secondary",
            ),
            (
                minimal(&format!("{},{}", gateway_json("a", Some("b")), gateway_json("b", Some("a")))),
                "gateways[1].role",
                "are both primary",
            ),
            (
                minimal(&gateway_json("a", None).replace("6.5.750", &format!("6.5.{huge}"))),
                "gateways[0].software_version",
                "too large",
            ),
            (
                format!(r#"{{"format":1,"controller":{{"current_version":"{huge}.{huge}.{huge}"}},"gateways":[]}}"#),
                "controller.current_version",
                "too large",
            ),
            (
                format!(r#"{{"format":1,"controller":{{"current_version":"6.5.750","previous_version":"6.{}.1"}},"gateways":[]}}"#, u64::from(u32::MAX) + 1),
                "controller.previous_version",
                "too large",
            ),
        ];
        for (json, path, expected) in cases {
            let error = Snapshot::parse("state.json", json.as_bytes()).expect_err(&json);
            assert_eq!(error.json_path(), Some(path), "{error}");
            let text = error.to_string();
            assert!(text.contains(expected), "{text}");
        }
    }

    #[test]
    fn a_megabyte_version_gives_a_short_error_at_its_path() {
        let huge = format!("7.0.{}", "0".repeat(1 << 20));
        let timestamp = "9".repeat(1 << 20);
        for (json, path) in [
            (
                minimal(&gateway_json("a", None).replace("6.5.750", &huge)),
                "gateways[0].software_version",
            ),
            (
                format!(
                    r#"{{"format":1,"controller":{{"current_version":"6.5.1","backup":{{"last_backup":"{timestamp}"}}}},"gateways":[]}}"#
                ),
                "controller.backup.last_backup",
            ),
        ] {
            let error = Snapshot::parse("state.json", json.as_bytes()).expect_err("refused");
            assert_eq!(error.json_path(), Some(path), "{error}");
            let text = error.to_string();
            let start: String = text.chars().take(300).collect();
            assert!(text.len() < 300, "{} bytes: {start}", text.len());
            assert!(text.contains("bytes)"), "{text}");
        }
    }

    #[test]
    fn load_errors_name_file_path_and_expectation() {
        let cases = [
            (
                minimal(r#"{"name":"a","cloud":"aws","region":"r","gw_type":"spoke","role":"primary"}"#),
                "gateways[0]",
                "missing field `software_version`",
            ),
            (
                minimal(r#"{"name":"a","cloud":"aws","region":"r","gw_type":"hub","role":"primary","software_version":"6.5.1"}"#),
                "gateways[0].gw_type",
                "transit",
            ),
            (
                minimal(r#"{"name":"a","cloud":"aws","region":"r","gw_type":"spoke","role":"primary","software_version":"6.5.1","state":"sleepy"}"#),
                "gateways[0].state",
                "config_fail",
            ),
            (
                minimal(&format!("{},{}", gateway_json("a", None), gateway_json("a", None))),
                "gateways[1].name",
                "listed twice",
            ),
            (minimal(&gateway_json("a", Some("ghost"))), "gateways[0].peer", "does not exist"),
            (
                minimal(&format!("{},{}", gateway_json("a", Some("b")), gateway_json("b", None))),
                "gateways[0].peer",
                "does not name it back",
            ),
            (minimal(&gateway_json("a", Some("a"))), "gateways[0].peer", "names itself"),
            (
                r#"{"format":1,"controller":{"current_version":"6.5"},"gateways":[]}"#.to_owned(),
                "controller.current_version",
                "MAJOR.MINOR.BUILD",
            ),
            (
                r#"{"format":1,"controller":{"current_version":"6.5.1","backup":{"last_backup":"yesterday"}},"gateways":[]}"#.to_owned(),
                "controller.backup.last_backup",
                "invalid timestamp \"yesterday\": expected RFC 3339",
            ),
            (
                r#"{"format":1,"controller":{"current_version":"6.5.1","colour":"red"},"gateways":[]}"#.to_owned(),
                "controller.colour",
                "unknown field `colour`",
            ),
            (r#"{"format":3,"controller":{"current_version":"6.5.1"},"gateways":[]}"#.to_owned(), "format", "expected format 1"),
        ];
        for (json, path, expected) in cases {
            let error = Snapshot::parse("state.json", json.as_bytes()).expect_err(&json);
            assert_eq!(error.json_path(), Some(path), "{error}");
            let text = error.to_string();
            assert!(text.starts_with("state.json: at "), "{text}");
            assert!(text.contains(expected), "{text}");
        }
    }
}
