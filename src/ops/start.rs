//! Starting an operation. The console prepares it ([`Prepared::new`]) from the fleet the
//! operator saw and confirmed: what each gateway must reach (for [`verify`]) and which names
//! travel together (HA pairs). Here a gateway operation is packed into requests under the
//! client's size limit ([`chunks::pack`]) and sent all at once; a request the controller
//! refuses leaves its gateways failed, with the reason, while the others go on.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::api::ApiError;
use crate::api::actions::{Started, gateway_name_cost};
use crate::api::poll::{self, PlatformStart, Progress};
use crate::catalog::Catalog;
use crate::ops::verify::{self, Expected, Verdict};
use crate::ops::{Event, Runner, STATUS_API_TRAIN};
use crate::plan::chunks::{self, Group};
use crate::plan::request::Request;
use crate::snapshot::Snapshot;
use crate::version::Target;

/// A checked and confirmed request, with what the console knew when it was confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub request: Request,
    /// What each named gateway must reach, from the fleet before the request (none for a
    /// platform upgrade).
    pub expected: Vec<Expected>,
    /// The named gateways, HA pairs together: no request separates a pair.
    pub groups: Vec<Group>,
}

impl Prepared {
    /// `request` prepared from the fleet the operator sees.
    pub fn new(snapshot: &Snapshot, catalog: &Catalog, request: Request) -> Self {
        Self {
            expected: verify::expectations(snapshot, catalog, &request),
            groups: chunks::ha_groups(snapshot, request.named()),
            request,
        }
    }
}

/// A gateway operation the controller accepted, in part or whole.
pub(super) struct GatewaysStarted {
    pub events: BoxStream<'static, Progress>,
    pub expected: Vec<Expected>,
    /// The gateways of the requests the controller refused, already failed.
    pub refused: Vec<Verdict>,
}

impl Runner {
    /// Starts a platform upgrade and follows it with the poller its train uses.
    pub(super) async fn start_platform(
        &self,
        target: Option<Target>,
    ) -> Result<BoxStream<'static, Progress>, ApiError> {
        let versions = self.client.version_info().await?;
        let started = self.client.start_platform_upgrade(target).await?;
        let client = Arc::clone(&self.client);
        let events = match started {
            Started::RequestId(id)
                if versions.current.train() < STATUS_API_TRAIN && !id.is_empty() =>
            {
                poll::legacy_platform(client, id, self.poll).boxed()
            }
            _ => {
                let start = PlatformStart::Requested {
                    from: versions.current,
                };
                poll::platform(client, self.poll, start).boxed()
            }
        };
        Ok(events)
    }

    /// Sends a gateway operation in as many requests as its size needs, all at once, and
    /// follows the gateways of those the controller accepted. Fails, with nothing started,
    /// when every request was refused.
    pub(super) async fn start_gateways(
        &self,
        operation: u64,
        prepared: &Prepared,
    ) -> Result<GatewaysStarted, String> {
        let budget = self.client.gateway_list_budget();
        let requests = chunks::pack(prepared.groups.clone(), budget, gateway_name_cost)
            .map_err(|error| error.to_string())?;
        let answers = self
            .client
            .start_gateway_requests(prepared.request.action(), &requests)
            .await
            .map_err(|error| error.to_string())?;
        let mut accepted: Vec<String> = Vec::new();
        let mut refused: Vec<Verdict> = Vec::new();
        let mut first_refusal = None;
        let count = requests.len();
        for (number, (names, answer)) in requests.into_iter().zip(answers).enumerate() {
            let result = answer.map(|_| ()).map_err(|error| error.to_string());
            if count > 1 {
                self.send(Event::RequestAnswered {
                    operation,
                    number: number + 1,
                    of: count,
                    gateways: names.len(),
                    result: result.clone(),
                });
            }
            match result {
                Ok(()) => accepted.extend(names),
                Err(error) => {
                    refused.extend(names.into_iter().map(|name| not_started(name, &error)));
                    first_refusal.get_or_insert(error);
                }
            }
        }
        if let (true, Some(error)) = (accepted.is_empty(), first_refusal) {
            return Err(error);
        }
        let expected = only(&prepared.expected, &accepted);
        let events = poll::gateways(Arc::clone(&self.client), accepted, self.poll).boxed();
        Ok(GatewaysStarted {
            events,
            expected,
            refused,
        })
    }
}

/// A gateway whose request the controller refused: failed, and why.
fn not_started(name: String, error: &str) -> Verdict {
    Verdict {
        name,
        failure: Some(format!(
            "not started: the controller refused its request ({error})"
        )),
    }
}

/// The expectations of the `accepted` gateways.
fn only(expected: &[Expected], accepted: &[String]) -> Vec<Expected> {
    let accepted: std::collections::HashSet<&str> = accepted.iter().map(String::as_str).collect();
    expected
        .iter()
        .filter(|expected| accepted.contains(expected.name.as_str()))
        .cloned()
        .collect()
}
