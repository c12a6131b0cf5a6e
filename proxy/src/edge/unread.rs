//! Answers to requests whose body was not read say `Connection: close`.
//!
//! Many answers come before the body is read: a 401 for a missing, bad or revoked token, a 403,
//! a 429. When the body has not fully arrived by then, hyper closes the HTTP/1.1 connection
//! after the answer (it cannot find the next request without reading this one's body), and it
//! does so without telling the client, whose next request on the kept-alive connection then
//! fails (a broken pipe or a reset, found by the soak test: every search with a revoked token
//! broke the client's next call). Marking such answers `Connection: close` (RFC 9112 §9.6) lets
//! the client open a new connection instead.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::http::{HeaderMap, HeaderValue, Version, header};
use axum::response::Response;
use hyper::body::{Body, Frame, SizeHint};

/// A request body that records when it has been read to the end.
#[derive(Debug)]
pub(crate) struct Tracked<B> {
    inner: B,
    done: Arc<AtomicBool>,
}

impl<B: Body + Unpin> Tracked<B> {
    /// Wraps `inner`; the flag is set once the body has been read to its end.
    pub(crate) fn new(inner: B) -> (Self, Arc<AtomicBool>) {
        let done = Arc::new(AtomicBool::new(inner.is_end_stream()));
        (
            Self {
                inner,
                done: done.clone(),
            },
            done,
        )
    }
}

impl<B: Body + Unpin> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.done.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether an HTTP/1 request announces a body (`Content-Length` above 0, or chunked).
pub(crate) fn announces_body(version: Version, headers: &HeaderMap) -> bool {
    if version > Version::HTTP_11 {
        return false; // HTTP/2 streams end on their own; `Connection` is not allowed there
    }
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// Adds `Connection: close` to `response` when the request's announced body was not read.
pub(crate) fn close_if_unread(
    mut response: Response,
    announced: bool,
    done: &AtomicBool,
) -> Response {
    if announced && !done.load(Ordering::Acquire) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt as _, Full};

    #[tokio::test]
    async fn the_flag_is_set_once_the_body_is_read() {
        let (body, done) = Tracked::new(Full::new(bytes::Bytes::from_static(b"abc")));
        assert!(!done.load(Ordering::Acquire));
        let read = body.collect().await.unwrap().to_bytes();
        assert_eq!(&read[..], b"abc");
        assert!(done.load(Ordering::Acquire));
        let (_, empty) = Tracked::new(Full::new(bytes::Bytes::new()));
        assert!(
            empty.load(Ordering::Acquire),
            "an empty body is read already"
        );
    }

    #[test]
    fn only_http1_requests_with_a_body_count() {
        let mut h = HeaderMap::new();
        assert!(!announces_body(Version::HTTP_11, &h));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        assert!(!announces_body(Version::HTTP_11, &h));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("12"));
        assert!(announces_body(Version::HTTP_11, &h));
        assert!(!announces_body(Version::HTTP_2, &h));
        let mut chunked = HeaderMap::new();
        chunked.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        assert!(announces_body(Version::HTTP_10, &chunked));
    }
}
