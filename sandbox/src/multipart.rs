//! An incremental (push) parser for `multipart/form-data` bodies.
//!
//! Bodies are fed chunk by chunk as they arrive, so uploads of any size are
//! parsed with memory bounded by the chunk size plus the longest header block.

use memchr::memmem::Finder;
use percent_encoding::percent_decode_str;

/// The longest header block accepted for one part.
const MAX_HEADER_BLOCK: usize = 16 * 1024;

/// What the parser found in the bytes fed so far.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// A new part begins; its headers, names lower-cased, in received order.
    PartStart(Vec<(String, String)>),
    /// Content of the current part.
    Data(&'a [u8]),
    /// The current part is complete.
    PartEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Preamble,
    AfterBoundary,
    Headers,
    Body,
    Epilogue,
    Failed,
}

/// Parses one multipart body; see [`MultipartParser::feed`].
pub(crate) struct MultipartParser {
    /// `CRLF--boundary`: every boundary line, including the first once the
    /// parser has pretended the body starts with CRLF.
    delimiter: Finder<'static>,
    delimiter_len: usize,
    buf: Vec<u8>,
    state: State,
}

impl MultipartParser {
    /// A parser for parts separated by `boundary` (from the Content-Type).
    pub(crate) fn new(boundary: &str) -> Self {
        let delimiter = format!("\r\n--{boundary}").into_bytes();
        MultipartParser {
            delimiter_len: delimiter.len(),
            delimiter: Finder::new(&delimiter).into_owned(),
            // The first boundary needs no CRLF before it.
            buf: b"\r\n".to_vec(),
            state: State::Preamble,
        }
    }

    /// Feeds the next chunk of the body, reporting what it completes to `on_event`.
    pub(crate) fn feed(
        &mut self,
        chunk: &[u8],
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), String> {
        if self.state == State::Failed {
            return Err("multipart body already failed to parse".into());
        }
        if self.state == State::Epilogue {
            return Ok(());
        }
        self.buf.extend_from_slice(chunk);
        let result = self.process(on_event);
        if result.is_err() {
            self.state = State::Failed;
            self.buf = Vec::new();
        }
        result
    }

    /// Checks that the body ended properly, after the last chunk was fed.
    pub(crate) fn finish(&self) -> Result<(), String> {
        match self.state {
            State::Epilogue => Ok(()),
            State::Failed => Err("multipart body failed to parse".into()),
            State::Preamble => Err("no multipart boundary found in the body".into()),
            _ => Err("multipart body ended before its closing boundary".into()),
        }
    }

    fn process(&mut self, on_event: &mut dyn FnMut(Event<'_>)) -> Result<(), String> {
        let mut start = 0;
        loop {
            let pending = &self.buf[start..];
            match self.state {
                State::Preamble => match self.delimiter.find(pending) {
                    Some(i) => {
                        start += i + self.delimiter_len;
                        self.state = State::AfterBoundary;
                    }
                    None => {
                        start += pending.len().saturating_sub(self.delimiter_len - 1);
                        break;
                    }
                },
                State::AfterBoundary => {
                    // "--" closes the body; otherwise optional padding, then CRLF.
                    let padding = pending
                        .iter()
                        .take_while(|b| **b == b' ' || **b == b'\t')
                        .count();
                    let rest = &pending[padding..];
                    if padding == 0 && rest.starts_with(b"--") {
                        self.state = State::Epilogue;
                        start = self.buf.len();
                        break;
                    }
                    if rest.len() < 2 {
                        break;
                    }
                    if !rest.starts_with(b"\r\n") {
                        return Err("malformed multipart boundary line".into());
                    }
                    start += padding + 2;
                    self.state = State::Headers;
                }
                State::Headers => {
                    let (block, consumed) = if pending.starts_with(b"\r\n") {
                        (&pending[..0], 2)
                    } else if let Some(i) = memchr::memmem::find(pending, b"\r\n\r\n") {
                        (&pending[..i], i + 4)
                    } else {
                        if pending.len() > MAX_HEADER_BLOCK {
                            return Err("multipart part headers are too long".into());
                        }
                        break;
                    };
                    let headers = parse_header_block(block)?;
                    start += consumed;
                    self.state = State::Body;
                    on_event(Event::PartStart(headers));
                }
                State::Body => match self.delimiter.find(pending) {
                    Some(i) => {
                        if i > 0 {
                            on_event(Event::Data(&pending[..i]));
                        }
                        on_event(Event::PartEnd);
                        start += i + self.delimiter_len;
                        self.state = State::AfterBoundary;
                    }
                    None => {
                        // The tail may be the beginning of a delimiter: keep it.
                        let safe = pending.len().saturating_sub(self.delimiter_len - 1);
                        if safe > 0 {
                            on_event(Event::Data(&pending[..safe]));
                        }
                        start += safe;
                        break;
                    }
                },
                State::Epilogue => {
                    start = self.buf.len();
                    break;
                }
                State::Failed => break,
            }
        }
        self.buf.drain(..start);
        Ok(())
    }
}

fn parse_header_block(block: &[u8]) -> Result<Vec<(String, String)>, String> {
    let text = String::from_utf8_lossy(block);
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.split("\r\n").filter(|line| !line.is_empty()) {
        if line.starts_with([' ', '\t']) {
            // An obsolete folded continuation of the previous header.
            match headers.last_mut() {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                None => return Err("malformed multipart part header".into()),
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("malformed multipart part header: {line:?}"));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    Ok(headers)
}

/// Splits a header value such as `form-data; name="a"; filename="b.txt"` into
/// its main value and its parameters (names lower-cased, quotes removed).
pub(crate) fn header_params(value: &str) -> (String, Vec<(String, String)>) {
    let (main, mut rest) = match value.find(';') {
        Some(i) => (&value[..i], &value[i + 1..]),
        None => (value, ""),
    };
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            break;
        }
        let key_end = rest.find(['=', ';']).unwrap_or(rest.len());
        let key = rest[..key_end].trim().to_ascii_lowercase();
        rest = &rest[key_end..];
        let mut val = String::new();
        if let Some(after_eq) = rest.strip_prefix('=') {
            let after_eq = after_eq.trim_start();
            if let Some(quoted) = after_eq.strip_prefix('"') {
                let mut chars = quoted.char_indices();
                let mut end = quoted.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, escaped)) = chars.next() {
                                val.push(escaped);
                            }
                        }
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        _ => val.push(c),
                    }
                }
                rest = &quoted[end.min(quoted.len())..];
                // Skip anything between the closing quote and the next ';'.
                rest = &rest[rest.find(';').unwrap_or(rest.len())..];
            } else {
                let end = after_eq.find(';').unwrap_or(after_eq.len());
                val = after_eq[..end].trim().to_owned();
                rest = &after_eq[end..];
            }
        }
        if !key.is_empty() {
            params.push((key, val));
        }
    }
    (main.trim().to_ascii_lowercase(), params)
}

/// The boundary of a `multipart/*` Content-Type, if it is one.
pub(crate) fn boundary_of(content_type: &str) -> Option<String> {
    let (main, params) = header_params(content_type);
    if !main.starts_with("multipart/") {
        return None;
    }
    params
        .into_iter()
        .find(|(k, v)| k == "boundary" && !v.is_empty() && v.len() <= 200)
        .map(|(_, v)| v)
}

/// The `name` and `filename` of a part, from its Content-Disposition header.
pub(crate) fn disposition_names(headers: &[(String, String)]) -> (String, Option<String>) {
    let Some((_, disposition)) = headers.iter().find(|(k, _)| k == "content-disposition") else {
        return (String::new(), None);
    };
    let (_, params) = header_params(disposition);
    let param = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let name = param("name").unwrap_or_default();
    // RFC 5987 `filename*=UTF-8''...` wins over `filename` when both are present.
    let extended = param("filename*").and_then(|v| {
        let encoded = v.splitn(3, '\'').nth(2)?;
        Some(percent_decode_str(encoded).decode_utf8_lossy().into_owned())
    });
    (name, extended.or_else(|| param("filename")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq)]
    struct Part {
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
            Event::PartStart(headers) => parts.push(Part {
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
        let result = parser.finish();
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
            let (name, filename) = disposition_names(&parts[1].headers);
            assert_eq!(name, "file");
            assert_eq!(filename.as_deref(), Some("x \"q\".bin"));
            assert_eq!(parts[1].headers[1].0, "content-type");
        }
    }

    #[test]
    fn reports_truncated_and_malformed_bodies() {
        let (_, result) = parse_in_chunks(&BODY[..60], "XyZ", 5);
        assert!(result.is_err());
        let (_, result) = parse_in_chunks(b"--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--", "XyZ", 4);
        assert!(result.is_err());
        let (_, result) = parse_in_chunks(b"no boundary at all", "XyZ", 4);
        assert!(result.is_err());
        let (_, result) = parse_in_chunks(b"--XyZ junk\r\n", "XyZ", 4);
        assert!(result.is_err());
    }

    #[test]
    fn empty_part_headers_and_extended_filenames() {
        let body = b"--b\r\n\r\nraw\r\n--b\r\nContent-Disposition: form-data; name=f; filename*=UTF-8''%C3%A9t%C3%A9.txt\r\n\r\n\r\n--b--";
        let (parts, result) = parse_in_chunks(body, "b", 3);
        assert_eq!(result, Ok(()));
        assert_eq!(parts[0].headers, vec![]);
        assert_eq!(parts[0].data, b"raw");
        assert_eq!(parts[1].data, b"");
        let (name, filename) = disposition_names(&parts[1].headers);
        assert_eq!((name.as_str(), filename.as_deref()), ("f", Some("été.txt")));
    }

    #[test]
    fn boundaries_from_content_types() {
        assert_eq!(
            boundary_of("multipart/form-data; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            boundary_of("Multipart/Form-Data; charset=utf-8; Boundary=\"a b;c\"").as_deref(),
            Some("a b;c")
        );
        assert_eq!(boundary_of("multipart/form-data"), None);
        assert_eq!(boundary_of("application/json; boundary=x"), None);
    }
}
