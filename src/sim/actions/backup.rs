//! Backups (`get_cloudn_backup_config`, `enable_cloudn_backup_config` with `now=true`,
//! `disable_cloudn_backup_config`) and the operations-checklist extension.

use jiff::Timestamp;
use serde::Serialize;

use crate::sim::actions::Reply;
use crate::sim::params::Params;
use crate::sim::state::SimState;

#[derive(Serialize)]
struct BackupConfig {
    enabled: &'static str,
    acct_name: String,
    cloud_type: u32,
    bucket_name: &'static str,
    region: &'static str,
    multiple_bkup: &'static str,
    // Extensions.
    last_backup: String,
    files_kept: u32,
}

/// `get_cloudn_backup_config`.
pub fn get_cloudn_backup_config(state: &SimState) -> Reply {
    let checklist = &state.snapshot.controller.checklist;
    let backup = &checklist.backup;
    let account = checklist.accounts.iter().find(|account| account.primary);
    Reply::done(&BackupConfig {
        enabled: if backup.enabled { "yes" } else { "no" },
        acct_name: account
            .map(|account| account.name.clone())
            .unwrap_or_default(),
        cloud_type: checklist.cloud.map(|cloud| cloud.cloud_type()).unwrap_or(1),
        bucket_name: if backup.enabled {
            "avx-controller-backup"
        } else {
            ""
        },
        region: if backup.enabled { "us-east-1" } else { "" },
        multiple_bkup: if backup.files_kept > 1 { "yes" } else { "no" },
        last_backup: backup
            .last_backup
            .map(|time| time.to_string())
            .unwrap_or_default(),
        files_kept: backup.files_kept,
    })
}

/// `enable_cloudn_backup_config`: turns backups on; `now=true` also takes one at once.
pub fn enable_cloudn_backup_config(state: &mut SimState, params: &Params) -> Result<Reply, String> {
    let now = params.flag("now")?;
    let multiple = params.flag("multiple_bkup")? || params.flag("multiple")?;
    let backup = &mut state.snapshot.controller.checklist.backup;
    backup.enabled = true;
    if multiple {
        backup.files_kept = backup.files_kept.max(3);
    }
    if !now {
        return Ok(Reply::message(
            "Backup configuration enabled: the controller backs up daily at 12 am.",
        ));
    }
    backup.last_backup = Some(Timestamp::now());
    backup.files_kept = backup.files_kept.max(1);
    Ok(Reply::message(
        "Backup configuration enabled and a backup was taken now.",
    ))
}

/// `disable_cloudn_backup_config`.
pub fn disable_cloudn_backup_config(state: &mut SimState) -> Reply {
    state.snapshot.controller.checklist.backup.enabled = false;
    Reply::message("Backup configuration disabled.")
}

/// `get_upgrade_checklist` (extension): the operations checklist's inputs, with the field names
/// of the snapshot format (`spec/formats.md`), so a client runs the planner's checks on them.
pub fn get_upgrade_checklist(state: &SimState) -> Reply {
    Reply::done(&state.snapshot.controller.checklist)
}
