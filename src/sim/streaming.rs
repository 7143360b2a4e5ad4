//! Answer bodies that are sent while they are produced. A producer appends bytes to a
//! [`ChunkSink`]; at its first flush the sink opens a chunked body (an unbounded channel whose
//! receiving end is the response body) and sends each flushed chunk into it, so the first bytes
//! leave while later ones are still being written. A producer that never flushes gets one whole
//! body with its length, as every other answer has. A producer that stops before finishing
//! interrupts the body, so the connection is cut rather than a truncated JSON given as complete.
//!
//! The channel is unbounded on purpose: the producer holds the state lock, and a slow reader
//! must never keep it held. The chunks wait in memory instead, as the whole body did before.

use bytes::Bytes;
use futures::channel::mpsc::{self, UnboundedSender};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;

use crate::sim::listing::{ChunkWriter, ClientGone};

/// Every answer's body: whole, or streamed.
pub type Body = BoxBody<Bytes, Interrupted>;

/// A streamed body whose producer stopped before the end; the connection is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the simulator stopped producing this answer before its end")]
pub struct Interrupted;

/// What a streamed body's channel carries.
type Piece = Result<Frame<Bytes>, Interrupted>;

/// A body sent in one piece, with its length.
pub fn whole(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// Where a producer writes an answer. See the module documentation.
pub struct ChunkSink {
    /// Called once with the body: at the first flush, or at [`ChunkSink::finish`].
    open: Option<Box<dyn FnOnce(Body) + Send>>,
    /// The streamed body's channel, once opened.
    sender: Option<UnboundedSender<Piece>>,
    buffer: Vec<u8>,
    finished: bool,
}

impl ChunkSink {
    /// A sink that hands its body to `open` once it is known whether it is whole or streamed.
    pub fn new(open: impl FnOnce(Body) + Send + 'static) -> Self {
        Self {
            open: Some(Box::new(open)),
            sender: None,
            buffer: Vec::new(),
            finished: false,
        }
    }

    /// Sends the rest: the last chunk of a streamed body, or the whole body when nothing was
    /// flushed.
    pub fn finish(mut self) -> Result<(), ClientGone> {
        self.finished = true;
        if self.sender.is_some() {
            return self.flush();
        }
        let body = whole(std::mem::take(&mut self.buffer));
        self.open_with(body);
        Ok(())
    }

    fn open_with(&mut self, body: Body) {
        if let Some(open) = self.open.take() {
            open(body);
        }
    }

    /// The channel of the streamed body, opened on first use.
    fn channel(&mut self) -> UnboundedSender<Piece> {
        if let Some(sender) = &self.sender {
            return sender.clone();
        }
        let (sender, receiver) = mpsc::unbounded::<Piece>();
        self.open_with(BodyExt::boxed(StreamBody::new(receiver)));
        self.sender = Some(sender.clone());
        sender
    }
}

impl ChunkWriter for ChunkSink {
    fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buffer
    }

    fn flush(&mut self) -> Result<(), ClientGone> {
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.channel()
            .unbounded_send(Ok(Frame::data(chunk)))
            .map_err(|_| ClientGone)
    }
}

impl Drop for ChunkSink {
    /// A producer that did not finish: a streamed body is interrupted; an unopened one is never
    /// opened (its receiver learns that `open` was dropped).
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if let Some(sender) = &self.sender {
            let _ = sender.unbounded_send(Err(Interrupted));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A sink whose opened body lands in the returned slot.
    fn sink() -> (ChunkSink, Arc<Mutex<Option<Body>>>) {
        let slot = Arc::new(Mutex::new(None));
        let opened = Arc::clone(&slot);
        let sink = ChunkSink::new(move |body| *opened.lock().expect("slot") = Some(body));
        (sink, slot)
    }

    fn taken(slot: &Mutex<Option<Body>>) -> Option<Body> {
        slot.lock().expect("slot").take()
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    #[test]
    fn a_sink_never_flushed_gives_one_whole_body_with_its_length() {
        let (mut sink, slot) = sink();
        sink.buffer().extend_from_slice(b"[1,2]");
        assert!(taken(&slot).is_none(), "not opened before the end");
        sink.finish().expect("finished");
        let body = taken(&slot).expect("opened at finish");
        assert_eq!(hyper::body::Body::size_hint(&body).exact(), Some(5));
        let bytes = block_on(body.collect()).expect("whole").to_bytes();
        assert_eq!(&bytes[..], b"[1,2]");
    }

    #[test]
    fn the_first_chunk_can_be_read_before_the_producer_finishes() {
        let (mut sink, slot) = sink();
        sink.buffer().extend_from_slice(b"[1,");
        sink.flush().expect("sent");
        let mut body = taken(&slot).expect("opened at the first flush");
        assert_eq!(hyper::body::Body::size_hint(&body).exact(), None, "chunked");
        let first = block_on(body.frame()).expect("a frame").expect("data");
        assert_eq!(first.into_data().ok().as_deref(), Some(&b"[1,"[..]));
        sink.buffer().extend_from_slice(b"2]");
        sink.finish().expect("finished");
        let rest = block_on(body.collect()).expect("the rest").to_bytes();
        assert_eq!(&rest[..], b"2]");
    }

    #[test]
    fn a_producer_that_stops_midway_interrupts_its_body() {
        let (mut sink, slot) = sink();
        sink.buffer().extend_from_slice(b"[1,");
        sink.flush().expect("sent");
        drop(sink);
        let body = taken(&slot).expect("opened");
        assert_eq!(block_on(body.collect()).err(), Some(Interrupted));
    }

    #[test]
    fn a_flush_after_the_reader_is_gone_says_so() {
        let (mut sink, slot) = sink();
        sink.flush().expect("sent");
        drop(taken(&slot));
        assert_eq!(sink.flush(), Err(ClientGone));
    }
}
