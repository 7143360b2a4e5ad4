//! The two long lists a controller answers, `list_vpcs_summary` and
//! `list_gateway_upgrade_status`, written record by record so their answer can be sent in
//! chunks while it is produced (an extension of the simulator: how a real controller frames
//! them is not known). The JSON is exactly what serialising the whole list at once gives: the
//! same records, the same field order, no whitespace; only where the bytes are cut differs.

use serde::Serialize;

use crate::sim::params::Params;
use crate::sim::state::SimState;
use crate::sim::views;
use crate::snapshot::{Gateway, GatewayType};

/// Records written between two flushes. An answer with no more records than this is written
/// in one piece (the simulator sends it whole, with its length).
pub const CHUNK_RECORDS: usize = 1_000;

/// A long list to answer, with what narrows it, read from the request before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// `list_vpcs_summary`: every gateway's record that passes the filter.
    Gateways(GatewayFilter),
    /// `list_gateway_upgrade_status`: `{"gw_info":[...]}`, one entry per gateway.
    UpgradeStatus,
}

/// `list_vpcs_summary`'s optional filters: `gateway_name`, `account_name`, `transit_only`,
/// `spoke_only`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayFilter {
    name: Option<String>,
    account: Option<String>,
    transit_only: bool,
    spoke_only: bool,
}

impl GatewayFilter {
    /// The filters of a request; a flag that is not a boolean is refused with its reason.
    pub fn read(params: &Params) -> Result<Self, String> {
        let given = |name| {
            params
                .get(name)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        Ok(Self {
            transit_only: params.flag("transit_only")?,
            spoke_only: params.flag("spoke_only")?,
            name: given("gateway_name"),
            account: given("account_name"),
        })
    }

    fn admits(&self, gateway: &Gateway) -> bool {
        let name = self.name.as_deref();
        let account = self.account.as_deref();
        name.is_none_or(|name| &*gateway.name == name)
            && account.is_none_or(|account| gateway.account.as_deref() == Some(account))
            && (!self.transit_only || gateway.gw_type == GatewayType::Transit)
            && (!self.spoke_only || gateway.gw_type == GatewayType::Spoke)
    }
}

/// The client stopped reading: there is no point writing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the client stopped reading the answer")]
pub struct ClientGone;

/// Why a listing was not written to its end.
#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    #[error(transparent)]
    ClientGone(#[from] ClientGone),
    #[error("cannot encode a record: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Where a listing's bytes go: appended to a buffer, which is sent as one chunk at each flush.
pub trait ChunkWriter {
    /// The bytes not sent yet; a listing appends to them.
    fn buffer(&mut self) -> &mut Vec<u8>;
    /// Sends what the buffer holds as one chunk and empties it.
    fn flush(&mut self) -> Result<(), ClientGone>;
}

impl Listing {
    /// Whether this is `list_gateway_upgrade_status` (the list a test can hold back).
    pub fn is_upgrade_status(&self) -> bool {
        matches!(self, Listing::UpgradeStatus)
    }

    /// Writes the listing's `results` JSON from `state`, flushing every [`CHUNK_RECORDS`]
    /// records; the last records stay in the buffer for the caller to close and send.
    pub fn write(&self, state: &SimState, out: &mut impl ChunkWriter) -> Result<(), ListingError> {
        let snapshot = &state.snapshot;
        match self {
            Listing::Gateways(filter) => {
                let records = (snapshot.gateways().iter().enumerate())
                    .filter(|(_, gateway)| filter.admits(gateway))
                    .map(|(index, _)| views::record(snapshot, &state.runtime, index));
                write_array(out, records)
            }
            Listing::UpgradeStatus => {
                out.buffer().extend_from_slice(b"{\"gw_info\":");
                let entries = (0..snapshot.gateways().len()).map(|index| {
                    views::upgrade_status(snapshot, &state.catalog, &state.runtime, index)
                });
                write_array(out, entries)?;
                out.buffer().push(b'}');
                Ok(())
            }
        }
    }
}

/// A JSON array of `records`, flushed before every [`CHUNK_RECORDS`]th record after the first.
fn write_array<T: Serialize>(
    out: &mut impl ChunkWriter,
    records: impl Iterator<Item = T>,
) -> Result<(), ListingError> {
    out.buffer().push(b'[');
    for (position, record) in records.enumerate() {
        if position > 0 {
            if position % CHUNK_RECORDS == 0 {
                out.flush()?;
            }
            out.buffer().push(b',');
        }
        serde_json::to_writer(&mut *out.buffer(), &record)?;
    }
    out.buffer().push(b']');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::secret::{Credentials, Secret};
    use crate::sim::fleet::{FleetSpec, generate};
    use crate::sim::state::Settings;

    /// The chunks flushed, and what is left in the buffer.
    #[derive(Default)]
    struct Collected {
        chunks: Vec<Vec<u8>>,
        buffer: Vec<u8>,
    }

    impl ChunkWriter for Collected {
        fn buffer(&mut self) -> &mut Vec<u8> {
            &mut self.buffer
        }

        fn flush(&mut self) -> Result<(), ClientGone> {
            self.chunks.push(std::mem::take(&mut self.buffer));
            Ok(())
        }
    }

    fn state(gateways: usize) -> SimState {
        let catalog = Catalog::builtin().expect("catalog");
        let spec = FleetSpec::mid_rollout(&catalog, gateways, 3);
        let snapshot = generate(&spec, &catalog).expect("fleet");
        let settings = Settings {
            credentials: Credentials {
                user: "admin".into(),
                password: Secret::new("pw"),
            },
            speed: 1.0,
            faults: Default::default(),
            session_ttl: std::time::Duration::from_secs(60),
            seed: 3,
            require_access_key: false,
            body_limit: crate::sim::DEFAULT_BODY_LIMIT,
        };
        SimState::new(settings, snapshot, catalog)
    }

    fn written(listing: &Listing, state: &SimState) -> Collected {
        let mut out = Collected::default();
        listing.write(state, &mut out).expect("written");
        out
    }

    fn whole(out: &Collected) -> String {
        let mut bytes = out.chunks.concat();
        bytes.extend_from_slice(&out.buffer);
        String::from_utf8(bytes).expect("UTF-8")
    }

    #[test]
    fn the_gateways_in_chunks_are_byte_for_byte_the_whole_list() {
        let state = state(2_500);
        let out = written(&Listing::Gateways(GatewayFilter::default()), &state);
        let records: Vec<_> = (0..2_500)
            .map(|index| views::record(&state.snapshot, &state.runtime, index))
            .collect();
        assert_eq!(whole(&out), serde_json::to_string(&records).expect("JSON"));
        assert_eq!(out.chunks.len(), 2, "flushed before records 1000 and 2000");
        assert!(out.chunks[0].starts_with(b"[{\"vpc_name\":"));
    }

    #[test]
    fn the_upgrade_status_in_chunks_is_byte_for_byte_the_whole_answer() {
        #[derive(Serialize)]
        struct UpgradeStatus<'a> {
            gw_info: Vec<views::UpgradeStatusEntry<'a>>,
        }
        let state = state(1_001);
        let out = written(&Listing::UpgradeStatus, &state);
        let gw_info = (0..1_001)
            .map(|index| {
                views::upgrade_status(&state.snapshot, &state.catalog, &state.runtime, index)
            })
            .collect();
        let expected = serde_json::to_string(&UpgradeStatus { gw_info }).expect("JSON");
        assert_eq!(whole(&out), expected);
        assert_eq!(out.chunks.len(), 1, "one flush, before the 1001st entry");
    }

    #[test]
    fn a_short_or_narrowed_list_is_written_in_one_piece() {
        let state = state(1_000);
        let out = written(&Listing::UpgradeStatus, &state);
        assert!(out.chunks.is_empty(), "1000 entries fit one chunk");
        let name = state.snapshot.gateways()[7].name.clone();
        let params = Params::read(
            Some(&format!("gateway_name={name}")),
            None,
            &bytes::Bytes::new(),
        )
        .expect("ok");
        let filter = GatewayFilter::read(&params).expect("filter");
        let out = written(&Listing::Gateways(filter), &state);
        let expected = vec![views::record(&state.snapshot, &state.runtime, 7)];
        assert!(out.chunks.is_empty());
        assert_eq!(whole(&out), serde_json::to_string(&expected).expect("JSON"));
    }

    #[test]
    fn an_empty_list_is_an_empty_array_and_a_bad_flag_is_refused() {
        let state = state(10);
        let params =
            Params::read(Some("gateway_name=nobody"), None, &bytes::Bytes::new()).expect("ok");
        let filter = GatewayFilter::read(&params).expect("filter");
        assert_eq!(whole(&written(&Listing::Gateways(filter), &state)), "[]");
        let params =
            Params::read(Some("transit_only=maybe"), None, &bytes::Bytes::new()).expect("ok");
        assert!(GatewayFilter::read(&params).is_err());
    }
}
