//! The clouds a controller manages, with the snapshot's names and the API's numeric `cloud_type`.
//!
//! Names are those of `spec/formats.md`; codes are the bits of `spec/controller-api.md` §4.1.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use strum::{EnumIter, IntoEnumIterator, IntoStaticStr};

/// A cloud provider (or one of its government/China partitions).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    EnumIter,
    IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Cloud {
    Aws,
    Azure,
    Gcp,
    Oci,
    AwsGov,
    AzureGov,
    AwsChina,
    AzureChina,
    Alibaba,
}

impl Cloud {
    /// The snapshot's spelling, e.g. `aws-gov`.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The controller API's `cloud_type` bit (Confirmed, controller-api.md §4.1).
    pub fn cloud_type(self) -> u32 {
        match self {
            Cloud::Aws => 1,
            Cloud::Gcp => 4,
            Cloud::Azure => 8,
            Cloud::Oci => 16,
            Cloud::AzureGov => 32,
            Cloud::AwsGov => 256,
            Cloud::AwsChina => 1024,
            Cloud::AzureChina => 2048,
            Cloud::Alibaba => 8192,
        }
    }

    /// The cloud for an API `cloud_type`, or `None` for codes this tool does not manage
    /// (legacy Azure classic, Edge platforms, retired secret regions).
    pub fn from_cloud_type(code: u32) -> Option<Cloud> {
        Cloud::iter().find(|cloud| cloud.cloud_type() == code)
    }

    /// Every name, comma-separated, for errors.
    fn names() -> String {
        Cloud::iter()
            .map(Cloud::name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// True for the AWS partitions, where Controller HA and T2/T3 Unlimited apply.
    pub fn is_aws(self) -> bool {
        matches!(self, Cloud::Aws | Cloud::AwsGov | Cloud::AwsChina)
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A cloud name that is not one of the clouds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown cloud \"{}\": expected one of {}", crate::quote::quoted(.0), Cloud::names())]
pub struct UnknownCloud(String);

impl FromStr for Cloud {
    type Err = UnknownCloud;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let wanted = input.trim().to_ascii_lowercase();
        Cloud::iter()
            .find(|cloud| cloud.name() == wanted)
            .ok_or_else(|| UnknownCloud(input.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip() {
        for cloud in Cloud::iter() {
            assert_eq!(cloud.name().parse(), Ok(cloud));
            assert_eq!(Cloud::from_cloud_type(cloud.cloud_type()), Some(cloud));
            let json = serde_json::to_string(&cloud).expect("serialises");
            assert_eq!(json, format!("\"{}\"", cloud.name()));
        }
    }

    #[test]
    fn codes_match_the_api_table() {
        assert_eq!(Cloud::Aws.cloud_type(), 1);
        assert_eq!(Cloud::Gcp.cloud_type(), 4);
        assert_eq!(Cloud::Azure.cloud_type(), 8);
        assert_eq!(Cloud::Oci.cloud_type(), 16);
        assert_eq!(Cloud::Alibaba.cloud_type(), 8192);
        assert_eq!(
            Cloud::from_cloud_type(2),
            None,
            "Azure classic is not managed"
        );
    }

    #[test]
    fn unknown_names_list_the_choices() {
        let error = "ibm".parse::<Cloud>().expect_err("not a cloud").to_string();
        assert!(
            error.contains("\"ibm\"") && error.contains("aws-gov"),
            "{error}"
        );
    }
}
