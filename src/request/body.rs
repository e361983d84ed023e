//! Request bodies: forms, JSON, and multipart bodies streamed from disk with a known length;
//! and the check that every local file to upload is a readable regular file, made before
//! anything is sent.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use serde_json::Value;
use ureq::SendBody;

use super::transfer::{unique_suffix, Counting, Progress};
use crate::encoding::form_urlencode;

/// One part of a multipart body.
pub(crate) enum Part {
    Text(&'static str, String),
    File(&'static str, PathBuf),
    /// A file part with `filename=""` and no content: "no file" to the server ([D8](crate::python_differences)).
    NoFile(&'static str),
}

pub(crate) enum Body {
    None,
    Form(Vec<(&'static str, String)>),
    Json(Value),
    Multipart(Vec<Part>),
}

/// A body ready to send: its content type and length, and where its bytes come from.
pub(crate) struct Prepared {
    pub(crate) content_type: Option<String>,
    pub(crate) length: Option<u64>,
    source: Source,
}

enum Source {
    Empty,
    Bytes(Vec<u8>),
    /// Read once; `None` after it was sent.
    Stream(Option<Box<dyn Read + Send>>),
}

impl Prepared {
    /// Whether the body can be sent again (it is not streamed from a file).
    pub(crate) fn resendable(&self) -> bool {
        !matches!(self.source, Source::Stream(_))
    }

    /// The bytes for one attempt; `None` when a streamed body was already sent (it cannot
    /// be sent twice).
    pub(crate) fn take(&mut self) -> Option<SendBody<'static>> {
        match &mut self.source {
            Source::Empty => Some(SendBody::none()),
            Source::Bytes(bytes) => {
                Some(SendBody::from_owned_reader(io::Cursor::new(bytes.clone())))
            }
            Source::Stream(stream) => stream.take().map(SendBody::from_owned_reader),
        }
    }
}

/// An upload checked and opened: a regular file, readable, of this size.
struct Opened {
    file: File,
    size: u64,
}

/// Opens `path` for upload after checking it is a regular file (a FIFO or a device would
/// block or never end; a directory would fail half-way through the request).
fn open_upload(path: &std::path::Path) -> Result<Opened, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if meta.is_dir() {
        return Err(format!("cannot read {shown}: it is a directory"));
    }
    if !meta.is_file() {
        return Err(format!("cannot read {shown}: it is not a regular file"));
    }
    let file = File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    Ok(Opened {
        file,
        size: meta.len(),
    })
}

impl Body {
    /// Checks the local files and makes the body. Errors are about local files.
    pub(crate) fn prepare(&self, progress: Option<&Progress>) -> Result<Prepared, String> {
        Ok(match self {
            Body::None => Prepared {
                content_type: None,
                length: None,
                source: Source::Empty,
            },
            // The Python client sends no body at all for an empty form.
            Body::Form(fields) if fields.is_empty() => Prepared {
                content_type: None,
                length: None,
                source: Source::Empty,
            },
            Body::Form(fields) => {
                let bytes = form_urlencode(fields).into_bytes();
                Prepared {
                    content_type: Some("application/x-www-form-urlencoded".to_string()),
                    length: Some(bytes.len() as u64),
                    source: Source::Bytes(bytes),
                }
            }
            Body::Json(value) => {
                let bytes = serde_json::to_vec(value)
                    .map_err(|e| format!("the JSON body could not be made: {e}"))?;
                Prepared {
                    content_type: Some("application/json".to_string()),
                    length: Some(bytes.len() as u64),
                    source: Source::Bytes(bytes),
                }
            }
            Body::Multipart(parts) => {
                let body = MultipartBody::new(parts)?;
                let content_type = format!("multipart/form-data; boundary={}", body.boundary);
                let length = body.length;
                let stream: Box<dyn Read + Send> = match progress {
                    Some(progress) => Box::new(Counting::new(body, length, progress.clone())),
                    None => Box::new(body),
                };
                Prepared {
                    content_type: Some(content_type),
                    length: Some(length),
                    source: Source::Stream(Some(stream)),
                }
            }
        })
    }

    /// Whether the body streams a local file (so the call is a file transfer).
    pub(crate) fn has_file(&self) -> bool {
        matches!(self, Body::Multipart(parts) if parts.iter().any(|p| matches!(p, Part::File(..))))
    }
}

/// Escapes what would break a quoted header parameter, as browsers do.
fn quote_param(value: &str) -> String {
    value
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

enum Segment {
    Bytes(io::Cursor<Vec<u8>>),
    File(io::Take<File>),
}

/// A `multipart/form-data` body read part by part, files streamed from disk, with its exact
/// length known before sending (so it goes out with a `Content-Length`, in constant memory).
pub(crate) struct MultipartBody {
    boundary: String,
    length: u64,
    segments: std::vec::IntoIter<Segment>,
    current: Option<Segment>,
}

impl MultipartBody {
    pub(crate) fn new(parts: &[Part]) -> Result<MultipartBody, String> {
        let boundary = format!("squonk2-{}", unique_suffix());
        let mut segments = Vec::new();
        let mut length = 0u64;
        let mut pending = Vec::new();
        for part in parts {
            pending.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match part {
                Part::Text(name, value) => {
                    pending.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                            quote_param(name)
                        )
                        .as_bytes(),
                    );
                }
                Part::NoFile(name) => {
                    pending.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{}\"; filename=\"\"\r\n\r\n\r\n",
                            quote_param(name)
                        )
                        .as_bytes(),
                    );
                }
                Part::File(name, path) => {
                    let Opened { file, size } = open_upload(path)?;
                    let filename = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    pending.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n\r\n",
                            quote_param(name),
                            quote_param(&filename)
                        )
                        .as_bytes(),
                    );
                    length = length
                        .saturating_add(pending.len() as u64)
                        .saturating_add(size);
                    segments.push(Segment::Bytes(io::Cursor::new(std::mem::take(
                        &mut pending,
                    ))));
                    segments.push(Segment::File(file.take(size)));
                    pending.extend_from_slice(b"\r\n");
                }
            }
        }
        pending.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        length = length.saturating_add(pending.len() as u64);
        segments.push(Segment::Bytes(io::Cursor::new(pending)));
        Ok(MultipartBody {
            boundary,
            length,
            segments: segments.into_iter(),
            current: None,
        })
    }
}

impl Read for MultipartBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.current.is_none() {
                self.current = self.segments.next();
            }
            let n = match &mut self.current {
                None => return Ok(0),
                Some(Segment::Bytes(cursor)) => cursor.read(buf)?,
                Some(Segment::File(file)) => {
                    let n = file.read(buf)?;
                    if n == 0 && file.limit() > 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "a file being uploaded got shorter while it was sent",
                        ));
                    }
                    n
                }
            };
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_length_matches_what_is_read() {
        let dir = std::env::temp_dir().join(format!("squonk2-mp-{}", unique_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a b ü.txt");
        std::fs::write(&path, vec![7u8; 100_000]).unwrap();
        let parts = vec![
            Part::Text("path", "/x".to_string()),
            Part::File("file", path.clone()),
            Part::NoFile("other"),
        ];
        let mut body = MultipartBody::new(&parts).unwrap();
        let declared = body.length;
        let mut all = Vec::new();
        body.read_to_end(&mut all).unwrap();
        assert_eq!(all.len() as u64, declared);
        let text = String::from_utf8_lossy(&all);
        assert!(text.contains("name=\"file\"; filename=\"a b ü.txt\""));
        assert!(text.contains("name=\"other\"; filename=\"\"\r\n\r\n\r\n"));
        let err = MultipartBody::new(&[Part::File("file", dir.clone())])
            .err()
            .unwrap();
        assert!(err.contains("is a directory"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
