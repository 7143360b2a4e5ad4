//! The controller's part of a snapshot: its versions, the operations checklist's results
//! (DNS, internet, accounts, controller HA) and its backup settings.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::cloud::Cloud;
use crate::load;
use crate::version::Version;

/// The controller ("platform") and the results of its operations checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    pub current_version: Version,
    #[serde(default)]
    pub previous_version: Option<Version>,
    #[serde(default)]
    pub kernel_version: Option<String>,
    #[serde(default)]
    pub cloud: Option<Cloud>,
    #[serde(default)]
    pub instance_type: Option<String>,
    #[serde(default)]
    pub t2_t3_unlimited: bool,
    #[serde(default)]
    pub controller_ha: Option<ControllerHa>,
    #[serde(default = "yes")]
    pub dns_ok: bool,
    #[serde(default = "yes")]
    pub internet_ok: bool,
    #[serde(default)]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub backup: Backup,
}

impl Controller {
    /// A healthy controller on `current_version` that was never upgraded.
    pub fn new(current_version: Version) -> Self {
        Self {
            current_version,
            previous_version: None,
            kernel_version: None,
            cloud: None,
            instance_type: None,
            t2_t3_unlimited: false,
            controller_ha: None,
            dns_ok: true,
            internet_ok: true,
            accounts: Vec::new(),
            backup: Backup::default(),
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

impl Controller {
    /// The controller's checklist inputs.
    pub fn checklist(&self) -> Checklist {
        Checklist {
            dns_ok: self.dns_ok,
            internet_ok: self.internet_ok,
            accounts: self.accounts.clone(),
            controller_ha: self.controller_ha.clone(),
            backup: self.backup.clone(),
            cloud: self.cloud,
            instance_type: self.instance_type.clone(),
            t2_t3_unlimited: self.t2_t3_unlimited,
        }
    }

    /// Takes the checklist inputs from `checklist`.
    pub fn apply_checklist(&mut self, checklist: Checklist) {
        self.dns_ok = checklist.dns_ok;
        self.internet_ok = checklist.internet_ok;
        self.accounts = checklist.accounts;
        self.controller_ha = checklist.controller_ha;
        self.backup = checklist.backup;
        self.cloud = checklist.cloud;
        self.instance_type = checklist.instance_type;
        self.t2_t3_unlimited = checklist.t2_t3_unlimited;
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
