//! Typed actions: each controller action as a method with typed parameters and results.
//! Decoding tolerates unknown fields and missing extensions (a real controller has none of the
//! simulator's extension fields; the model then takes the snapshot format's defaults). Here the
//! reads of what the windows show; `operations.rs` starts and follows what changes it.

use serde_json::Value;

use crate::api::client::{Call, Client};
use crate::api::error::ApiError;
use crate::api::records;
use crate::api::stream::ListAt;
use crate::catalog::Catalog;
use crate::cloud::Cloud;
use crate::snapshot::{Backup, Checklist, Controller, Gateway};
use crate::version::Version;

mod operations;

pub use operations::{
    DryRun, GATEWAY_OPERATION, LegacyUpgradeStatus, PLATFORM_UPGRADE, PlatformStatus, Started,
    TaskState, gateway_name_cost,
};

/// `list_version_info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub current: Version,
    pub previous: Option<Version>,
    pub latest: Option<Version>,
    pub kernel: Option<String>,
}

/// A gateway the client could not map into the model, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// The gateways of `list_vpcs_summary`, and those that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fleet {
    pub gateways: Vec<Gateway>,
    pub skipped: Vec<Skipped>,
}

fn decode<T: serde::de::DeserializeOwned>(action: &str, value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|error| ApiError::Decode {
        action: action.to_owned(),
        detail: error.to_string(),
    })
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

impl Client {
    /// `list_version_info` with `latest_version=true`.
    pub async fn version_info(&self) -> Result<VersionInfo, ApiError> {
        let results = self
            .call(&Call::read("list_version_info").param("latest_version", "true"))
            .await?;
        let current = text(&results, "current_version");
        let current = current.parse().map_err(|error| ApiError::Decode {
            action: "list_version_info".into(),
            detail: format!("current_version: {error}"),
        })?;
        Ok(VersionInfo {
            current,
            previous: records::optional_version(text(&results, "previous_version")),
            latest: records::optional_version(text(&results, "latest_version")),
            kernel: Some(text(&results, "kernel_version").to_owned())
                .filter(|kernel| !kernel.is_empty()),
        })
    }

    /// `list_vpcs_summary`, mapped into the model (numeric `cloud_type` to [`Cloud`]).
    /// The answer is streamed: each record is decoded as it arrives.
    pub async fn gateways(&self) -> Result<Fleet, ApiError> {
        self.read_fleet(records::FleetBuilder::default).await
    }

    /// [`Client::gateways`], telling `on_reading` of the first rows and the count read as the
    /// answer arrives (each attempt starts again from nothing).
    pub async fn gateways_reporting(
        &self,
        on_reading: records::OnReading,
    ) -> Result<Fleet, ApiError> {
        self.read_fleet(|| records::FleetBuilder::reporting(std::sync::Arc::clone(&on_reading)))
            .await
    }

    async fn read_fleet(
        &self,
        new_builder: impl Fn() -> records::FleetBuilder + Send,
    ) -> Result<Fleet, ApiError> {
        let call = Call::read("list_vpcs_summary");
        let builder = self.call_list(&call, ListAt::Results, new_builder).await?;
        Ok(builder.finish())
    }

    /// `get_compatible_image_version`.
    pub async fn compatible_image(
        &self,
        cloud: Cloud,
        software: Version,
    ) -> Result<String, ApiError> {
        let call = Call::read("get_compatible_image_version")
            .param("cloud_type", cloud.cloud_type().to_string())
            .param("software_version", software.to_string());
        let results = self.call(&call).await?;
        Ok(text(&results, "image_version").to_owned())
    }

    /// The controller's record for a snapshot: its versions, and the upgrade checklist's
    /// results (an extension). Without a checklist, its backup settings are read instead and
    /// the reason comes back second, for the caller to warn about.
    pub async fn controller(&self) -> Result<(Controller, Option<ApiError>), ApiError> {
        let versions = self.version_info().await?;
        let mut controller = Controller::new(versions.current);
        controller.previous_version = versions.previous;
        controller.kernel_version = versions.kernel;
        match self.checklist().await {
            Ok(checklist) => {
                controller.checklist = checklist;
                Ok((controller, None))
            }
            Err(error) => {
                controller.checklist.backup = self.backup_config().await?;
                Ok((controller, Some(error)))
            }
        }
    }

    /// `get_cloudn_backup_config`: (enabled, last backup if the controller says).
    pub async fn backup_config(&self) -> Result<Backup, ApiError> {
        let results = self.call(&Call::read("get_cloudn_backup_config")).await?;
        Ok(Backup {
            enabled: text(&results, "enabled") == "yes",
            last_backup: text(&results, "last_backup").parse().ok(),
            files_kept: results["files_kept"]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
        })
    }

    /// `enable_cloudn_backup_config` with `now=true`: take a backup now.
    pub async fn backup_now(&self) -> Result<(), ApiError> {
        self.call(&Call::mutate("enable_cloudn_backup_config").param("now", "true"))
            .await
            .map(|_| ())
    }

    /// The release catalog (simulator extension `get_release_catalog`).
    pub async fn release_catalog(&self) -> Result<Catalog, ApiError> {
        let results = self.call(&Call::read("get_release_catalog")).await?;
        let bytes = serde_json::to_vec(&results).unwrap_or_default();
        Catalog::parse("the controller's release catalog", &bytes).map_err(|error| {
            ApiError::Decode {
                action: "get_release_catalog".into(),
                detail: error.to_string(),
            }
        })
    }

    /// The operations-checklist inputs (simulator extension `get_upgrade_checklist`).
    pub async fn checklist(&self) -> Result<Checklist, ApiError> {
        decode(
            "get_upgrade_checklist",
            self.call(&Call::read("get_upgrade_checklist")).await?,
        )
    }
}
