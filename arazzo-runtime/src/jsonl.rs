//! A stream of typed items from a JSONL (newline-delimited JSON) body.

use crate::error::{Ctx, Error, ErrorKind};
use crate::response::Response;
use bytes::Bytes;
use futures_util::{Stream, stream};
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The chunks of a body, as they arrive.
pub(crate) type Chunks = Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>;

/// Typed items of a JSONL body, read from the open response chunk by chunk.
///
/// Only the current partial line is held in memory, at most the client's
/// [`max_line_bytes`](crate::ClientBuilder::max_line_bytes). `\r\n` line ends, blank lines and a
/// missing final newline are accepted. A malformed line yields [`ErrorKind::Jsonl`] with its 1-based
/// line number, a longer line [`ErrorKind::LineTooLong`], and either ends the stream; a connection
/// dropped mid-body yields [`ErrorKind::Transport`], a stalled one [`ErrorKind::Timeout`].
///
/// It is a [`Stream`]; [`next_item`](Self::next_item) and [`try_collect`](Self::try_collect) need no
/// stream extension trait.
pub struct JsonlStream<T> {
    chunks: Chunks,
    /// The unread rest of the current chunk.
    chunk: Bytes,
    /// The start of a line that continues in the next chunk.
    partial: Vec<u8>,
    line: usize,
    /// The longest line accepted, in bytes.
    limit: usize,
    done: bool,
    status: u16,
    ctx: Ctx,
    _item: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> JsonlStream<T> {
    pub(crate) fn from_response(mut resp: Response) -> Self {
        let chunks = resp.body_chunks();
        Self::new(chunks, resp.status, resp.ctx, resp.max_line_bytes)
    }

    pub(crate) fn new(chunks: Chunks, status: u16, ctx: Ctx, limit: usize) -> Self {
        JsonlStream {
            chunks,
            chunk: Bytes::new(),
            partial: Vec::new(),
            line: 0,
            limit,
            done: false,
            status,
            ctx,
            _item: PhantomData,
        }
    }

    /// The next item; `None` at the end of the body or after an error.
    pub async fn next_item(&mut self) -> Option<Result<T, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Reads every item, stopping at the first error.
    pub async fn try_collect(mut self) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        while let Some(item) = self.next_item().await {
            items.push(item?);
        }
        Ok(items)
    }
}

impl<T: DeserializeOwned> Stream for JsonlStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            let newline = this.chunk.iter().position(|&b| b == b'\n');
            if this.partial.len() + newline.unwrap_or(this.chunk.len()) > this.limit {
                return Poll::Ready(Some(Err(this.too_long())));
            }
            if let Some(pos) = newline {
                let line = this.chunk.split_to(pos + 1);
                this.line += 1;
                let item = if this.partial.is_empty() {
                    decode(&line[..pos], this.line, this.status, &this.ctx)
                } else {
                    this.partial.extend_from_slice(&line[..pos]);
                    let item = decode(&this.partial, this.line, this.status, &this.ctx);
                    this.partial.clear();
                    item
                };
                if let Some(item) = item {
                    this.done = item.is_err();
                    return Poll::Ready(Some(item));
                }
                continue;
            }
            this.partial.extend_from_slice(&this.chunk);
            this.chunk.clear();
            match this.chunks.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.chunk = chunk,
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    this.line += 1;
                    let item = decode(&this.partial, this.line, this.status, &this.ctx);
                    this.partial = Vec::new();
                    return Poll::Ready(item);
                }
            }
        }
    }
}

impl<T> JsonlStream<T> {
    /// Ends the stream on a line over the limit, dropping the open body unread.
    fn too_long(&mut self) -> Error {
        self.done = true;
        self.chunks = Box::pin(stream::empty());
        (self.chunk, self.partial) = (Bytes::new(), Vec::new());
        let kind = ErrorKind::LineTooLong { line: self.line + 1, limit: self.limit };
        Error::new(kind, &self.ctx).with_status(self.status)
    }
}

/// Decodes one line (`None` when blank).
fn decode<T: DeserializeOwned>(
    line: &[u8],
    number: usize,
    status: u16,
    ctx: &Ctx,
) -> Option<Result<T, Error>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(serde_json::from_slice(line).map_err(|e| {
        Error::new(ErrorKind::Jsonl { line: number }, ctx)
            .with_status(status)
            .with_detail(e.to_string())
            .with_excerpt(line, e.column().saturating_sub(1), ctx)
            .with_source(e)
    }))
}

impl<T> std::fmt::Debug for JsonlStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonlStream")
            .field("status", &self.status)
            .field("line", &self.line)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::sync::Arc;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        id: String,
    }

    fn from_chunks(chunks: Vec<Result<&'static [u8], Error>>) -> JsonlStream<Item> {
        let ctx = Ctx {
            workflow: "w",
            step: Some("results"),
            secrets: Arc::new(vec!["sk-1".into()]),
            ..Ctx::default()
        };
        let chunks: Vec<Result<Bytes, Error>> =
            chunks.into_iter().map(|c| c.map(Bytes::from_static)).collect();
        JsonlStream::new(Box::pin(stream::iter(chunks)), 200, ctx, 64)
    }

    fn ids(items: Vec<Item>) -> Vec<String> {
        items.into_iter().map(|i| i.id).collect()
    }

    async fn run_split(body: &'static [u8], at: &[usize]) -> Result<Vec<String>, Error> {
        let mut chunks = Vec::new();
        let mut last = 0;
        for &i in at {
            chunks.push(Ok(&body[last..i]));
            last = i;
        }
        chunks.push(Ok(&body[last..]));
        from_chunks(chunks).try_collect().await.map(ids)
    }

    #[tokio::test]
    async fn parses_across_awkward_chunk_boundaries() {
        let body: &'static [u8] = "{\"id\":\"a\"}\r\n\n  \r\n{\"id\":\"é\"}\n{\"id\":\"c\"}".as_bytes();
        let expected = vec!["a".to_owned(), "é".to_owned(), "c".to_owned()];
        let e_acute = body.iter().position(|&b| b == 0xC3).unwrap_or(0);
        for split in [
            vec![],
            vec![3],
            vec![11, 12],
            vec![e_acute + 1],
            vec![1, 2, 3, 4, 5, 20, 30],
            (1..body.len()).collect(),
        ] {
            assert_eq!(run_split(body, &split).await.ok(), Some(expected.clone()), "{split:?}");
        }
        assert_eq!(run_split(b"", &[]).await.ok(), Some(vec![]));
        assert_eq!(run_split(b"\n\n", &[1]).await.ok(), Some(vec![]));
        assert_eq!(run_split(b"{\"id\":\"x\"}\n", &[]).await.ok(), Some(vec!["x".to_owned()]));
    }

    #[tokio::test]
    async fn malformed_line_reports_its_number_and_ends() {
        let mut s = from_chunks(vec![Ok(b"{\"id\":\"a\"}\n\n{\"id\": sk-1"), Ok(b"}\n{\"id\":\"c\"}\n")]);
        assert_eq!(s.next_item().await.and_then(Result::ok), Some(Item { id: "a".into() }));
        let err = match s.next_item().await {
            Some(Err(e)) => e,
            other => panic!("expected an error, got {other:?}"),
        };
        assert_eq!(err.kind(), &ErrorKind::Jsonl { line: 3 });
        let shown = format!("{err} {err:?}");
        assert!(
            shown.contains("line 3") && shown.contains("expected value") && !shown.contains("sk-1"),
            "{shown}"
        );
        assert!(s.next_item().await.is_none());
    }

    #[tokio::test]
    async fn transport_error_mid_body() {
        let dropped = Error::new(ErrorKind::Transport, &Ctx::default());
        let mut s = from_chunks(vec![Ok(b"{\"id\":\"a\"}\n{\"id"), Err(dropped)]);
        assert!(matches!(s.next_item().await, Some(Ok(_))));
        assert!(matches!(s.next_item().await, Some(Err(e)) if e.kind() == &ErrorKind::Transport));
        assert!(s.next_item().await.is_none());
    }

    #[tokio::test]
    async fn a_line_over_the_limit_ends_the_stream() {
        let long: &'static [u8] =
            b"{\"id\":\"0123456789012345678901234567890123456789012345678901234567\"}\n";
        let mut s = from_chunks(vec![Ok(b"{\"id\":\"a\"}\n"), Ok(&long[..40]), Ok(&long[40..])]);
        assert!(matches!(s.next_item().await, Some(Ok(_))));
        let err = s.next_item().await.and_then(Result::err).expect("too long");
        assert_eq!(err.kind(), &ErrorKind::LineTooLong { line: 2, limit: 64 });
        assert!(s.next_item().await.is_none());
        let fits: &'static [u8] = b"{\"id\":\"0123456789012345678901234567890123456789012345678901234\"}";
        assert_eq!(fits.len(), 64);
        assert_eq!(run_split(fits, &[10]).await.map(|v| v.len()).ok(), Some(1));
    }
}
