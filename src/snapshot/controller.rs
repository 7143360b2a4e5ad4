//! The controller's part of a snapshot: its versions and the operations checklist's inputs
//! (DNS, internet, accounts, controller HA, backup settings, cloud and instance type).
//!
//! In a snapshot file the checklist's fields sit flat beside the versions (spec/formats.md).
//! [`Controller`] holds them as one [`Checklist`] and is read and written through
//! `ControllerFile`, the flat shape, because serde's `flatten` cannot refuse unknown fields.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::cloud::Cloud;
use crate::load;
use crate::version::Version;

/// The controller ("platform") and the results of its operations checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "ControllerFile", into = "ControllerFile")]
pub struct Controller {
    pub current_version: Version,
    pub previous_version: Option<Version>,
    pub kernel_version: Option<String>,
    pub checklist: Checklist,
}

impl Controller {
    /// A healthy controller on `current_version` that was never upgraded.
    pub fn new(current_version: Version) -> Self {
        Self {
            current_version,
            previous_version: None,
            kernel_version: None,
            checklist: Checklist::default(),
        }
    }
}

/// The operations checklist's inputs, as the simulator's `get_upgrade_checklist` extension
/// carries them: the controller's fields that are not versions, with the same names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checklist {
    pub dns_ok: bool,
    pub internet_ok: bool,
    #[serde(default)]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub controller_ha: Option<ControllerHa>,
    #[serde(default)]
    pub backup: Backup,
    #[serde(default)]
    pub cloud: Option<Cloud>,
    #[serde(default)]
    pub instance_type: Option<String>,
    #[serde(default)]
    pub t2_t3_unlimited: bool,
}

impl Default for Checklist {
    /// The checklist of a healthy, freshly deployed controller: DNS and internet work, no
    /// accounts, no controller HA, no backup, cloud and instance type unknown.
    fn default() -> Self {
        Self {
            dns_ok: true,
            internet_ok: true,
            accounts: Vec::new(),
            controller_ha: None,
            backup: Backup::default(),
            cloud: None,
            instance_type: None,
            t2_t3_unlimited: false,
        }
    }
}

/// The controller as a snapshot file writes it: the checklist's fields flat beside the
/// versions, each optional one with the default of a healthy, freshly deployed controller.
#[derive(Serialize, Deserialize)]
#[serde(rename = "Controller", deny_unknown_fields)]
struct ControllerFile {
    current_version: Version,
    #[serde(default)]
    previous_version: Option<Version>,
    #[serde(default)]
    kernel_version: Option<String>,
    #[serde(default)]
    cloud: Option<Cloud>,
    #[serde(default)]
    instance_type: Option<String>,
    #[serde(default)]
    t2_t3_unlimited: bool,
    #[serde(default)]
    controller_ha: Option<ControllerHa>,
    #[serde(default = "yes")]
    dns_ok: bool,
    #[serde(default = "yes")]
    internet_ok: bool,
    #[serde(default)]
    accounts: Vec<Account>,
    #[serde(default)]
    backup: Backup,
}

impl From<ControllerFile> for Controller {
    fn from(file: ControllerFile) -> Self {
        Self {
            current_version: file.current_version,
            previous_version: file.previous_version,
            kernel_version: file.kernel_version,
            checklist: Checklist {
                dns_ok: file.dns_ok,
                internet_ok: file.internet_ok,
                accounts: file.accounts,
                controller_ha: file.controller_ha,
                backup: file.backup,
                cloud: file.cloud,
                instance_type: file.instance_type,
                t2_t3_unlimited: file.t2_t3_unlimited,
            },
        }
    }
}

impl From<Controller> for ControllerFile {
    fn from(controller: Controller) -> Self {
        let checklist = controller.checklist;
        Self {
            current_version: controller.current_version,
            previous_version: controller.previous_version,
            kernel_version: controller.kernel_version,
            cloud: checklist.cloud,
            instance_type: checklist.instance_type,
            t2_t3_unlimited: checklist.t2_t3_unlimited,
            controller_ha: checklist.controller_ha,
            dns_ok: checklist.dns_ok,
            internet_ok: checklist.internet_ok,
            accounts: checklist.accounts,
            backup: checklist.backup,
        }
    }
}

/// Controller HA (AWS only): whether it is on, and its version against the newest one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerHa {
    pub enabled: bool,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub latest_version: Option<String>,
}

/// An access account and its checklist results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub name: String,
    #[serde(default)]
    pub cloud: Option<Cloud>,
    #[serde(default)]
    pub primary: bool,
    #[serde(default = "yes")]
    pub valid: bool,
    #[serde(default = "yes")]
    pub audit_ok: bool,
}

/// The controller's backup configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default, deserialize_with = "rfc3339")]
    pub last_backup: Option<Timestamp>,
    #[serde(default)]
    pub files_kept: u32,
}

fn rfc3339<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Timestamp>, D::Error> {
    load::optional_text(
        deserializer,
        "timestamp",
        "RFC 3339 such as 2026-11-22T00:00:00Z",
    )
}

/// The default of the boolean fields that are true in a healthy, fresh fleet.
pub(super) fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checklist_is_written_flat_beside_the_versions() {
        let mut controller = Controller::new(Version::new(6, 5, 750));
        controller.checklist.instance_type = Some("t3.large".into());
        let json = serde_json::to_string(&controller).expect("serializes");
        assert_eq!(
            json,
            concat!(
                r#"{"current_version":"6.5.750","previous_version":null,"kernel_version":null,"#,
                r#""cloud":null,"instance_type":"t3.large","t2_t3_unlimited":false,"#,
                r#""controller_ha":null,"dns_ok":true,"internet_ok":true,"accounts":[],"#,
                r#""backup":{"enabled":false,"last_backup":null,"files_kept":0}}"#
            )
        );
        let read: Controller = serde_json::from_str(&json).expect("reads back");
        assert_eq!(read, controller);
    }

    #[test]
    fn unknown_fields_and_other_shapes_are_refused() {
        let unknown = serde_json::from_str::<Controller>(
            r#"{"current_version":"6.5.750","checklist":{"dns_ok":true}}"#,
        )
        .expect_err("refused");
        assert!(
            unknown.to_string().contains("unknown field `checklist`"),
            "{unknown}"
        );
        let number = serde_json::from_str::<Controller>("5").expect_err("refused");
        assert!(
            number.to_string().contains("expected struct Controller"),
            "{number}"
        );
    }

    #[test]
    fn the_checklist_alone_requires_dns_and_internet() {
        let missing = serde_json::from_str::<Checklist>("{}").expect_err("refused");
        assert!(
            missing.to_string().contains("missing field `dns_ok`"),
            "{missing}"
        );
        let minimal: Checklist =
            serde_json::from_str(r#"{"dns_ok":true,"internet_ok":true}"#).expect("reads");
        assert_eq!(minimal, Checklist::default());
    }
}
