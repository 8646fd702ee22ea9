//! The body of a binary response, chunk by chunk.

use crate::error::Error;
use crate::jsonl::Chunks;
use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The chunks of a binary body (`format: binary`, `application/octet-stream`, and any media type
/// that is neither JSON, JSON Lines nor text), read from the open response as they arrive, so a
/// download of any size needs no more memory than a chunk. A connection dropped mid-body yields
/// [`ErrorKind::Transport`](crate::ErrorKind::Transport), a stalled one
/// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout), and either ends the stream.
///
/// It is a [`Stream`]; [`next_chunk`](Self::next_chunk) and [`try_collect`](Self::try_collect)
/// need no stream extension trait.
pub struct ByteStream {
    chunks: Chunks,
    done: bool,
    status: u16,
}

impl ByteStream {
    pub(crate) fn new(chunks: Chunks, status: u16) -> Self {
        ByteStream { chunks, done: false, status }
    }

    /// The response's status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The next chunk; `None` at the end of the body or after an error.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Reads the whole body into memory (only for bodies known to be small).
    pub async fn try_collect(mut self) -> Result<Bytes, Error> {
        let mut all = BytesMut::new();
        while let Some(chunk) = self.next_chunk().await {
            all.extend_from_slice(&chunk?);
        }
        Ok(all.freeze())
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let next = this.chunks.as_mut().poll_next(cx);
        if let Poll::Ready(None | Some(Err(_))) = &next {
            this.done = true;
        }
        next
    }
}

impl std::fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteStream")
            .field("status", &self.status)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
