//! Gateway records of `list_vpcs_summary` mapped into the project's `Gateway` model: the
//! numeric `cloud_type`, HA peers from `hagw_details` / `primary_gw_name`, and the simulator's
//! extension fields when present (a real controller's records take the snapshot defaults).

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use crate::api::stream::ListSink;

use crate::api::actions::{Fleet, Skipped};
use crate::cloud::Cloud;
use crate::snapshot::shared_text::Interner;
use crate::snapshot::{Gateway, GatewayState, GatewayType, NameIndex, Role};
use crate::version::Version;

/// A version, or `None` for an empty field.
pub(super) fn optional_version(text: &str) -> Option<Version> {
    if text.trim().is_empty() {
        None
    } else {
        text.parse().ok()
    }
}

/// A `list_vpcs_summary` record as it arrives: the confirmed fields, and the simulator's
/// extensions when present. Strings are borrowed from the answer where they can be.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RawRecord<'a> {
    #[serde(borrow)]
    vpc_name: Cow<'a, str>,
    cloud_type: u64,
    #[serde(borrow)]
    account_name: Cow<'a, str>,
    #[serde(borrow)]
    vpc_region: Cow<'a, str>,
    #[serde(borrow)]
    vpc_id: Cow<'a, str>,
    #[serde(borrow)]
    gw_software_version: Cow<'a, str>,
    #[serde(borrow)]
    gw_image_name: Cow<'a, str>,
    #[serde(borrow)]
    transit_vpc: Cow<'a, str>,
    #[serde(borrow)]
    spoke_vpc: Cow<'a, str>,
    #[serde(borrow)]
    vpc_state: Cow<'a, str>,
    #[serde(borrow)]
    is_hagw: Cow<'a, str>,
    #[serde(borrow)]
    primary_gw_name: Cow<'a, str>,
    #[serde(borrow)]
    hagw_details: Option<RawHa<'a>>,
    #[serde(borrow)]
    gw_type: Cow<'a, str>,
    #[serde(borrow)]
    gw_role: Cow<'a, str>,
    #[serde(borrow)]
    kernel_version: Cow<'a, str>,
    #[serde(borrow)]
    previous_software_version: Cow<'a, str>,
    #[serde(borrow)]
    previous_image_name: Cow<'a, str>,
    tunnels_up: Option<bool>,
    active_mesh: Option<bool>,
    bgp_peers: u32,
    openvpn: bool,
    openvpn_users: u32,
}

/// The part of `hagw_details` the model needs.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RawHa<'a> {
    #[serde(borrow)]
    vpc_name: Cow<'a, str>,
}

/// Maps `list_vpcs_summary` records into the model. HA links that do not name each other back
/// are dropped rather than failing the whole fleet.
/// A record that does not decode is skipped with its reason, not fatal to the whole fleet.
pub fn fleet_from_records(records: &[&RawValue]) -> Fleet {
    let mut builder = FleetBuilder::default();
    for raw in records {
        // A RawValue is JSON already: only its content can be refused, and that is skipped.
        let _ = builder.push(raw.get());
    }
    builder.finish()
}

/// How far a streamed fleet has been read: for a console that shows the first rows and a
/// count while the rest arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// Records read so far, skipped ones included.
    pub read: usize,
    /// The first [`FIRST_ROWS`] gateways, once, when they have arrived.
    pub first: Option<Vec<Gateway>>,
}

/// Hears how far the fleet has been read (called on the thread that parses the answer).
pub type OnReading = std::sync::Arc<dyn Fn(Reading) + Send + Sync>;

/// How many gateways make the first rows: more than a tall terminal shows.
pub const FIRST_ROWS: usize = 500;

/// How often the count of records read is reported.
const READ_EVERY: usize = 5_000;

/// Builds the fleet one record at a time, as a streamed answer arrives.
#[derive(Default)]
pub struct FleetBuilder {
    fleet: Fleet,
    on_reading: Option<OnReading>,
    /// The regions, accounts, images and kernels read so far, each kept once.
    shared: Interner,
}

impl std::fmt::Debug for FleetBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetBuilder")
            .field("gateways", &self.fleet.gateways.len())
            .field("skipped", &self.fleet.skipped.len())
            .finish()
    }
}

impl ListSink for FleetBuilder {
    /// A record that is not JSON fails the answer; one that is JSON but not a gateway this
    /// tool can read is skipped with its reason.
    fn push(&mut self, element: &str) -> Result<(), String> {
        match serde_json::from_str::<RawRecord<'_>>(element) {
            Err(error) if error.is_syntax() || error.is_eof() => {
                Err(format!("a gateway record is not JSON: {error}"))
            }
            // The decoder stops at the first field of the wrong shape: the rest must be JSON too.
            Err(_) if let Err(error) = serde_json::from_str::<IgnoredAny>(element) => {
                Err(format!("a gateway record is not JSON: {error}"))
            }
            Err(error) => {
                let reason = format!("unexpected record: {error}");
                self.keep(Err((name_of(element), reason)));
                Ok(())
            }
            Ok(record) => {
                self.keep_record(&record);
                Ok(())
            }
        }
    }

    /// A record that decodes where it starts is kept as `push` keeps it.
    fn push_leading(&mut self, text: &str) -> Option<usize> {
        let (record, length) = crate::api::stream::leading::<RawRecord<'_>>(text)?;
        self.keep_record(&record);
        Some(length)
    }
}

impl FleetBuilder {
    /// A builder that tells `on_reading` how far it has got.
    pub fn reporting(on_reading: OnReading) -> FleetBuilder {
        FleetBuilder {
            on_reading: Some(on_reading),
            ..FleetBuilder::default()
        }
    }

    fn keep_record(&mut self, record: &RawRecord<'_>) {
        let gateway = gateway_from_record(record, &mut self.shared)
            .map_err(|reason| (record.vpc_name.to_string(), reason));
        self.keep(gateway);
    }

    /// A gateway, or the name and reason of a record skipped.
    fn keep(&mut self, gateway: Result<Gateway, (String, String)>) {
        match gateway {
            Ok(gateway) => self.fleet.gateways.push(gateway),
            Err((name, reason)) => self.fleet.skipped.push(Skipped { name, reason }),
        }
        self.report();
    }

    /// Tells the listener, if any, of the first rows and of every [`READ_EVERY`] records.
    fn report(&self) {
        let Some(on_reading) = &self.on_reading else {
            return;
        };
        let read = self.fleet.gateways.len() + self.fleet.skipped.len();
        let first_rows = read == FIRST_ROWS && self.fleet.gateways.len() == FIRST_ROWS;
        if first_rows {
            let first = Some(self.fleet.gateways.clone());
            on_reading(Reading { read, first });
        } else if read.is_multiple_of(READ_EVERY) {
            on_reading(Reading { read, first: None });
        }
    }

    /// The fleet, with HA links that do not name each other back dropped.
    pub fn finish(self) -> Fleet {
        let mut fleet = self.fleet;
        // Names missing or listed twice: the links are left for the snapshot to refuse.
        let Ok(by_name) = NameIndex::of(&fleet.gateways) else {
            return fleet;
        };
        let gateways = &fleet.gateways;
        let names_back = |gateway: &Gateway, peer: &str| {
            by_name
                .find(gateways, peer)
                .is_some_and(|at| gateways[at].peer.as_deref() == Some(&*gateway.name))
        };
        let broken: Vec<usize> = gateways
            .iter()
            .enumerate()
            .filter(|(_, gateway)| {
                gateway
                    .peer
                    .as_deref()
                    .is_some_and(|peer| !names_back(gateway, peer))
            })
            .map(|(index, _)| index)
            .collect();
        for index in broken {
            fleet.gateways[index].peer = None;
        }
        fleet
    }
}

/// The `vpc_name` of a record that does not decode as a whole, when it can be read.
fn name_of(element: &str) -> String {
    #[derive(Deserialize)]
    struct Named {
        #[serde(default)]
        vpc_name: serde_json::Value,
    }
    serde_json::from_str::<Named>(element)
        .ok()
        .and_then(|named| named.vpc_name.as_str().map(str::to_owned))
        .unwrap_or_else(|| "(unnamed)".to_owned())
}

fn non_empty(text: &str) -> Option<Box<str>> {
    (!text.is_empty()).then(|| text.into())
}

fn gateway_from_record(record: &RawRecord<'_>, shared: &mut Interner) -> Result<Gateway, String> {
    if record.vpc_name.is_empty() {
        return Err("no vpc_name".into());
    }
    let cloud = u32::try_from(record.cloud_type)
        .ok()
        .and_then(Cloud::from_cloud_type)
        .ok_or_else(|| {
            format!(
                "cloud_type {} is not a cloud this tool manages",
                record.cloud_type
            )
        })?;
    let software: Version = record
        .gw_software_version
        .parse()
        .map_err(|error| format!("gw_software_version: {error}"))?;
    let mut gateway = Gateway::new(
        record.vpc_name.as_ref(),
        cloud,
        shared.text(&record.vpc_region),
        gateway_type(record),
        role(record),
        software,
    );
    gateway.account = shared.optional(&record.account_name);
    gateway.peer = peer(record);
    gateway.vpc_id = non_empty(&record.vpc_id);
    gateway.image_version = shared.optional(&record.gw_image_name);
    gateway.previous_software_version = optional_version(&record.previous_software_version);
    gateway.previous_image_version = shared.optional(&record.previous_image_name);
    gateway.kernel_version = shared.optional(&record.kernel_version);
    gateway.state = match record.vpc_state.as_ref() {
        "down" => GatewayState::Down,
        "waiting" => GatewayState::Waiting,
        "config_fail" => GatewayState::ConfigFail,
        _ => GatewayState::Up,
    };
    gateway.tunnels_up = record.tunnels_up.unwrap_or(true);
    gateway.active_mesh = record.active_mesh.unwrap_or(true);
    gateway.bgp_peers = record.bgp_peers;
    gateway.openvpn = record.openvpn;
    gateway.openvpn_users = record.openvpn_users;
    Ok(gateway)
}

fn gateway_type(record: &RawRecord<'_>) -> GatewayType {
    match record.gw_type.as_ref() {
        "transit" => GatewayType::Transit,
        "spoke" => GatewayType::Spoke,
        "standalone" => GatewayType::Standalone,
        _ if record.transit_vpc == "yes" => GatewayType::Transit,
        _ if record.spoke_vpc == "yes" => GatewayType::Spoke,
        _ => GatewayType::Standalone,
    }
}

fn role(record: &RawRecord<'_>) -> Role {
    if record.gw_role == "secondary" || record.is_hagw == "yes" {
        Role::Secondary
    } else {
        Role::Primary
    }
}

fn peer(record: &RawRecord<'_>) -> Option<Box<str>> {
    let nested = record
        .hagw_details
        .as_ref()
        .map(|details| details.vpc_name.as_ref())
        .unwrap_or("");
    [nested, record.primary_gw_name.as_ref()]
        .into_iter()
        .find(|name| !name.is_empty())
        .map(Box::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).expect("valid JSON")
    }

    #[test]
    fn a_bad_record_is_skipped_and_the_rest_is_kept() {
        let records = [
            raw(
                r#"{"vpc_name":"a","cloud_type":1,"vpc_region":"us-east-1","gw_software_version":"7.1.4183","transit_vpc":"yes","hagw_details":{"vpc_name":"a-hagw"}}"#,
            ),
            raw(
                r#"{"vpc_name":"a-hagw","cloud_type":1,"vpc_region":"us-east-1","gw_software_version":"7.1.4183","is_hagw":"yes","primary_gw_name":"a"}"#,
            ),
            raw(
                r#"{"vpc_name":"b","cloud_type":1,"gw_software_version":"7.1.4183","bgp_peers":"lots"}"#,
            ),
            raw(r#"{"vpc_name":"edge","cloud_type":4096,"gw_software_version":"7.1.4183"}"#),
            raw(
                r#"{"vpc_name":"c","cloud_type":8,"gw_software_version":"7.1.4183","hagw_details":{"vpc_name":"ghost"}}"#,
            ),
        ];
        let refs: Vec<&RawValue> = records.iter().map(|record| record.as_ref()).collect();
        let fleet = fleet_from_records(&refs);
        let names: Vec<&str> = fleet
            .gateways
            .iter()
            .map(|gateway| gateway.name.as_ref())
            .collect();
        assert_eq!(names, ["a", "a-hagw", "c"]);
        assert_eq!(fleet.gateways[0].gw_type, GatewayType::Transit);
        assert_eq!(fleet.gateways[0].peer.as_deref(), Some("a-hagw"));
        assert_eq!(fleet.gateways[1].role, Role::Secondary);
        assert_eq!(
            fleet.gateways[2].peer, None,
            "a peer that is not listed is dropped"
        );
        let skipped: Vec<&str> = fleet
            .skipped
            .iter()
            .map(|skipped| skipped.name.as_str())
            .collect();
        assert_eq!(skipped, ["b", "edge"]);
        assert!(
            fleet.skipped[1].reason.contains("4096"),
            "{:?}",
            fleet.skipped[1]
        );
    }

    #[test]
    fn a_record_that_is_not_json_fails_the_answer_and_one_of_the_wrong_shape_is_skipped() {
        let mut builder = FleetBuilder::default();
        let error = builder
            .push(r#"{"vpc_name":"a","cloud_type":1,}"#)
            .expect_err("not JSON");
        assert!(error.contains("not JSON"), "{error}");
        builder
            .push(r#"{"vpc_name":"b","cloud_type":"one"}"#)
            .expect("JSON, skipped");
        let fleet = builder.finish();
        assert!(fleet.gateways.is_empty());
        assert_eq!(fleet.skipped.len(), 1);
        assert_eq!(fleet.skipped[0].name, "b");
    }

    /// Found by the differential fuzz: the decoder stopped at the field of the wrong shape
    /// and never saw the broken JSON after it, so the record was skipped, not refused.
    #[test]
    fn a_record_of_the_wrong_shape_must_still_be_json_after_the_wrong_field() {
        let mut builder = FleetBuilder::default();
        let error = builder
            .push(r#"{"vpc_name":"a","cloud_type":"one","vpc_region":"x":"y"}"#)
            .expect_err("not JSON");
        assert!(error.contains("not JSON"), "{error}");
    }

    #[test]
    fn a_record_is_taken_where_it_starts_as_push_takes_it() {
        let record = r#"{"vpc_name":"a","cloud_type":1,"vpc_region":"us-east-1","gw_software_version":"7.1.4183"}"#;
        let mut pushed = FleetBuilder::default();
        pushed.push(record).expect("pushed");
        let mut leading = FleetBuilder::default();
        let followed = format!("{record},{record}");
        assert_eq!(leading.push_leading(&followed), Some(record.len()));
        assert_eq!(
            leading.push_leading(record),
            None,
            "it may go on in the next bytes"
        );
        assert_eq!(leading.finish(), pushed.finish());
    }
}
