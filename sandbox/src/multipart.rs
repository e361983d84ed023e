//! `multipart/form-data` bodies, parsed by [`multer`] (the parser axum uses) as they stream by.
//!
//! The request log sees a body only as chunks pushed to it, while multer pulls from a stream.
//! [`MultipartParser`] joins the two: each chunk fed is queued for multer's stream and multer
//! is polled until it wants more, so everything the chunk completes is reported before `feed`
//! returns. Memory stays bounded by the chunk size plus [`MAX_STALL`].

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;

use crate::state::lock;

/// The most bytes multer may hold without reporting anything (a preamble or a part's header
/// block): past it the body is refused, since multer would otherwise buffer it all.
const MAX_STALL: usize = 64 * 1024;

/// What the parser found in the bytes fed so far.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// A new part begins.
    PartStart {
        /// The `name` of its Content-Disposition (empty if missing).
        name: String,
        /// The `filename` of its Content-Disposition, if any.
        filename: Option<String>,
        /// Its headers, names lower-case.
        headers: Vec<(String, String)>,
    },
    /// Content of the current part.
    Data(&'a [u8]),
    /// The current part is complete.
    PartEnd,
}

/// An [`Event`] as multer's task hands it over.
enum OwnedEvent {
    Start {
        name: String,
        filename: Option<String>,
        headers: Vec<(String, String)>,
    },
    Data(Bytes),
    End,
}

/// The chunks fed but not yet read by multer.
#[derive(Default)]
struct Feed {
    chunks: VecDeque<Bytes>,
    closed: bool,
}

/// multer's input: the queued chunks, then "pending" until more are fed or the body ends.
struct FeedStream(Arc<Mutex<Feed>>);

impl futures_core::Stream for FeedStream {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut feed = lock(&self.0);
        match feed.chunks.pop_front() {
            Some(chunk) => Poll::Ready(Some(Ok(chunk))),
            None if feed.closed => Poll::Ready(None),
            // No waker is kept: whoever feeds the next chunk polls multer again.
            None => Poll::Pending,
        }
    }
}

type Task = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Parses one multipart body fed chunk by chunk; see [`MultipartParser::feed`].
pub(crate) struct MultipartParser {
    feed: Arc<Mutex<Feed>>,
    events: Arc<Mutex<Vec<OwnedEvent>>>,
    task: Option<Task>,
    /// How the task ended, once it has.
    outcome: Option<Result<(), String>>,
    stalled: usize,
}

impl MultipartParser {
    /// A parser for parts separated by `boundary` (from the Content-Type).
    pub(crate) fn new(boundary: &str) -> Self {
        let feed = Arc::new(Mutex::new(Feed::default()));
        let events = Arc::new(Mutex::new(Vec::new()));
        let multipart = multer::Multipart::new(FeedStream(feed.clone()), boundary);
        let task = Box::pin(read_parts(multipart, events.clone()));
        MultipartParser {
            feed,
            events,
            task: Some(task),
            outcome: None,
            stalled: 0,
        }
    }

    /// Feeds the next chunk of the body, reporting what it completes to `on_event`.
    pub(crate) fn feed(
        &mut self,
        chunk: &[u8],
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), String> {
        if let Some(Err(e)) = &self.outcome {
            return Err(e.clone());
        }
        if self.task.is_none() {
            // After the closing boundary: the epilogue is ignored.
            return Ok(());
        }
        lock(&self.feed)
            .chunks
            .push_back(Bytes::copy_from_slice(chunk));
        let reported = self.run(on_event);
        self.stalled = if reported {
            0
        } else {
            self.stalled + chunk.len()
        };
        if self.stalled > MAX_STALL {
            self.fail("a multipart preamble or part header block is too long".into());
        }
        match &self.outcome {
            Some(Err(e)) => Err(e.clone()),
            _ => Ok(()),
        }
    }

    /// Ends the body, reporting what its end completes, and says whether it was well-formed.
    pub(crate) fn finish(&mut self, on_event: &mut dyn FnMut(Event<'_>)) -> Result<(), String> {
        lock(&self.feed).closed = true;
        self.run(on_event);
        match self.outcome.take() {
            Some(outcome) => outcome,
            None => Err("multipart body ended before its closing boundary".into()),
        }
    }

    fn fail(&mut self, message: String) {
        self.task = None;
        self.outcome = Some(Err(message));
        lock(&self.feed).chunks.clear();
    }

    /// Polls multer until it waits for input; true when it reported anything.
    fn run(&mut self, on_event: &mut dyn FnMut(Event<'_>)) -> bool {
        if let Some(task) = self.task.as_mut() {
            if let Poll::Ready(outcome) =
                task.as_mut().poll(&mut Context::from_waker(Waker::noop()))
            {
                self.task = None;
                self.outcome = Some(outcome);
            }
        }
        let events = std::mem::take(&mut *lock(&self.events));
        let reported = !events.is_empty();
        for event in events {
            on_event(match &event {
                OwnedEvent::Start {
                    name,
                    filename,
                    headers,
                } => Event::PartStart {
                    name: name.clone(),
                    filename: filename.clone(),
                    headers: headers.clone(),
                },
                OwnedEvent::Data(data) => Event::Data(data),
                OwnedEvent::End => Event::PartEnd,
            });
        }
        reported
    }
}

/// multer's side: every part and its content, as events.
async fn read_parts(
    mut multipart: multer::Multipart<'static>,
    events: Arc<Mutex<Vec<OwnedEvent>>>,
) -> Result<(), String> {
    while let Some(mut field) = multipart.next_field().await.map_err(|e| e.to_string())? {
        let headers = field
            .headers()
            .iter()
            .map(|(k, v)| {
                let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (k.as_str().to_owned(), value)
            })
            .collect();
        lock(&events).push(OwnedEvent::Start {
            name: field.name().unwrap_or_default().to_owned(),
            filename: field.file_name().map(str::to_owned),
            headers,
        });
        while let Some(chunk) = field.chunk().await.map_err(|e| e.to_string())? {
            lock(&events).push(OwnedEvent::Data(chunk));
        }
        lock(&events).push(OwnedEvent::End);
    }
    Ok(())
}

/// The boundary of a `multipart/form-data` Content-Type, if it is one.
pub(crate) fn boundary_of(content_type: &str) -> Option<String> {
    multer::parse_boundary(content_type).ok()
}

/// The media type of a Content-Type without its parameters, lower-case
/// (`"Application/JSON; charset=utf-8"` → `"application/json"`).
pub(crate) fn essence(content_type: &str) -> String {
    let main = content_type.split(';').next().unwrap_or_default();
    main.trim().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq)]
    struct Part {
        name: String,
        filename: Option<String>,
        headers: Vec<(String, String)>,
        data: Vec<u8>,
        ended: bool,
    }

    fn parse_in_chunks(
        body: &[u8],
        boundary: &str,
        chunk: usize,
    ) -> (Vec<Part>, Result<(), String>) {
        let mut parser = MultipartParser::new(boundary);
        let mut parts: Vec<Part> = Vec::new();
        let mut on_event = |event: Event<'_>| match event {
            Event::PartStart {
                name,
                filename,
                headers,
            } => parts.push(Part {
                name,
                filename,
                headers,
                ..Part::default()
            }),
            Event::Data(data) => parts.last_mut().expect("part").data.extend_from_slice(data),
            Event::PartEnd => parts.last_mut().expect("part").ended = true,
        };
        for piece in body.chunks(chunk.max(1)) {
            if let Err(e) = parser.feed(piece, &mut on_event) {
                return (parts, Err(e));
            }
        }
        let result = parser.finish(&mut on_event);
        (parts, result)
    }

    const BODY: &[u8] = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--XyZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"x \\\"q\\\".bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--XyQ\r\n-\r\n--Xy\r\n--XyZ--\r\nepilogue";

    #[test]
    fn parses_parts_whatever_the_chunk_size() {
        for chunk in [1, 2, 3, 7, 16, 1000] {
            let (parts, result) = parse_in_chunks(BODY, "XyZ", chunk);
            assert_eq!(result, Ok(()), "chunk {chunk}");
            assert_eq!(parts.len(), 2, "chunk {chunk}");
            assert_eq!(parts[0].data, b"hello");
            assert_eq!(parts[1].data, b"\r\n--XyQ\r\n-\r\n--Xy");
            assert!(parts.iter().all(|p| p.ended));
            assert_eq!(parts[1].name, "file");
            assert_eq!(parts[1].filename.as_deref(), Some("x \"q\".bin"));
            assert!(parts[1]
                .headers
                .iter()
                .any(|(k, v)| k == "content-type" && v == "application/octet-stream"));
        }
    }

    #[test]
    fn reports_truncated_and_malformed_bodies() {
        let (parts, result) = parse_in_chunks(&BODY[..60], "XyZ", 5);
        assert!(result.is_err());
        assert!(parts.is_empty());
        // What arrived of a part cut short is still reported.
        let cut = BODY.windows(5).position(|w| w == b"hello").expect("hello") + 3;
        let (parts, result) = parse_in_chunks(&BODY[..cut], "XyZ", 5);
        assert!(result.is_err());
        assert_eq!(parts.len(), 1);
        assert!(b"hel".starts_with(&parts[0].data) && !parts[0].ended);
        let (_, result) = parse_in_chunks(b"--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--", "XyZ", 4);
        assert!(result.is_err());
        let (_, result) = parse_in_chunks(b"no boundary at all", "XyZ", 4);
        assert!(result.is_err());
        let (_, result) = parse_in_chunks(b"--XyZ junk\r\n", "XyZ", 4);
        assert!(result.is_err());
    }

    #[test]
    fn endless_header_blocks_are_refused_in_bounded_memory() {
        let mut parser = MultipartParser::new("B");
        let mut events = 0;
        let mut on_event = |_: Event<'_>| events += 1;
        parser
            .feed(
                b"--B\r\ncontent-disposition: form-data; name=\"a\"\r\n",
                &mut on_event,
            )
            .expect("a good start");
        let line = [b'x'; 1024];
        let fed = (0..1000).position(|_| parser.feed(&line, &mut on_event).is_err());
        assert!(
            fed.is_some_and(|n| n <= MAX_STALL / 1024 + 1),
            "refused after {fed:?} KiB"
        );
        assert!(parser.finish(&mut on_event).is_err());
        assert_eq!(events, 0);
    }

    #[test]
    fn boundaries_and_media_types() {
        assert_eq!(
            boundary_of("multipart/form-data; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            boundary_of("multipart/form-data; charset=utf-8; boundary=\"a b;c\"").as_deref(),
            Some("a b;c")
        );
        assert_eq!(boundary_of("multipart/form-data"), None);
        assert_eq!(boundary_of("application/json; boundary=x"), None);
        assert_eq!(
            essence("Application/JSON ; charset=utf-8"),
            "application/json"
        );
    }
}
