//! Long list answers (`list_vpcs_summary`, `list_gateway_upgrade_status`) streamed into a
//! [`ListSink`] as they arrive, with the same retries, re-login and v1 fallback as
//! [`Client::call`].

use std::sync::atomic::Ordering;

use crate::api::client::retry::{Answered, Exchange};
use crate::api::client::{
    AnswerLimit, Call, Client, decode, is_json, refuse_redirect, transport_error,
};
use crate::api::error::ApiError;
use crate::api::stream::{self, Head, ListAt, ListSink};
use crate::secret::Secret;

impl Client {
    /// Makes the read `call`, whose answer is a long list at `at`, and streams its elements
    /// into a sink from `new_sink` as they arrive (a retry starts a new one), so the answer is
    /// never in memory whole. Retries, re-login and the v1 fallback are those of
    /// [`Client::call`]: the one loop of `retry.rs`.
    pub async fn call_list<S: ListSink>(
        &self,
        call: &Call,
        at: ListAt,
        new_sink: impl Fn() -> S + Send,
    ) -> Result<S, ApiError> {
        self.with_retries(call, Streamed { at, new_sink }).await
    }

    /// One request of [`Client::call_list`]. An answer that is not a JSON 2xx (an HTML 503, a
    /// text error) is small: it is read whole and decoded as any other answer.
    async fn stream_once<S: ListSink>(
        &self,
        call: &Call,
        cid: &Secret,
        at: ListAt,
        mut sink: S,
    ) -> Result<(Head, S), ApiError> {
        let action = call.action;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .request(call, cid)
            .send()
            .await
            .map_err(|error| transport_error(action, call.kind, &error))?;
        let status = response.status();
        refuse_redirect(&response, action)?;
        let json_type = is_json(&response);
        if status.is_success() && json_type {
            let limit = AnswerLimit::new(self.settings.max_answer, action, call.kind);
            return stream_body(limit, response, at, sink).await;
        }
        let body = self.read_body(response, action, call.kind).await?;
        let envelope = decode(action, status, json_type, &body)?;
        if envelope.ok {
            stream::feed(envelope.results.get(), at, &mut sink).map_err(|error| {
                ApiError::Decode {
                    action: action.to_owned(),
                    detail: error.to_string(),
                }
            })?;
        }
        let head = Head {
            ok: Some(envelope.ok),
            reason: envelope.reason,
        };
        Ok((head, sink))
    }
}

/// The answer streamed into a fresh sink at each attempt.
struct Streamed<F> {
    at: ListAt,
    new_sink: F,
}

impl<S: ListSink, F: Fn() -> S + Send> Exchange for Streamed<F> {
    type Output = S;

    async fn once(
        &mut self,
        client: &Client,
        call: &Call,
        cid: &Secret,
    ) -> Result<Answered<S>, ApiError> {
        let (head, sink) = client
            .stream_once(call, cid, self.at, (self.new_sink)())
            .await?;
        let ok = head.ok.ok_or_else(|| ApiError::Decode {
            action: call.action.to_owned(),
            detail: "no boolean \"return\" field".into(),
        })?;
        Ok(Answered {
            ok,
            reason: crate::quote::clipped(&head.reason).to_string(),
            output: sink,
        })
    }
}

/// Streams a JSON answer's body into the list parser, chunk by chunk.
async fn stream_body<S: ListSink>(
    limit: AnswerLimit<'_>,
    mut response: reqwest::Response,
    at: ListAt,
    sink: S,
) -> Result<(Head, S), ApiError> {
    let (action, kind) = (limit.action, limit.kind);
    limit.check(response.content_length().unwrap_or(0), false)?;
    let parser = stream::parser(at, sink);
    let mut broken = None;
    let mut received = 0u64;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                received += chunk.len() as u64;
                if let Err(error) = limit.check(received, true) {
                    let _ = parser.chunks.send(Err(error.to_string())).await;
                    broken = Some(error);
                    break;
                }
                // A closed parser has already met an error; it reports it below.
                if parser.chunks.send(Ok(chunk)).await.is_err() {
                    break;
                }
            }
            Ok(None) => break,
            Err(error) => {
                let _ = parser.chunks.send(Err(error.to_string())).await;
                broken = Some(transport_error(action, kind, &error));
                break;
            }
        }
    }
    drop(parser.chunks);
    let (head, sink) = parser.done.await.map_err(|error| ApiError::Decode {
        action: action.to_owned(),
        detail: format!("the answer's parser stopped: {error}"),
    })?;
    if let Some(error) = broken {
        return Err(error);
    }
    let head = head.map_err(|detail| ApiError::Decode {
        action: action.to_owned(),
        detail: format!("invalid JSON: {}", crate::quote::clipped(&detail)),
    })?;
    Ok((head, sink))
}
