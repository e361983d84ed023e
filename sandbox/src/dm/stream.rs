//! Streaming file transfers: multipart uploads written to disk, and files served from disk,
//! both in constant memory whatever the size. Disk work runs on blocking threads, handed
//! chunks through small bounded channels.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt as _;
use tokio::sync::mpsc;

use super::state::{bad_request, disk_error};
use crate::error::ApiError;
use crate::multipart::{self, Event, MultipartParser};

/// The size of the chunks read from disk.
const READ_CHUNK: usize = 256 * 1024;
/// The chunks in flight between the network and the disk.
const CHANNEL_DEPTH: usize = 8;
/// The longest text field of an upload kept.
const MAX_TEXT_FIELD: usize = 64 * 1024;

/// What a multipart upload carried: its text fields and the file part, already on disk.
#[derive(Debug, Default)]
pub(crate) struct Upload {
    /// Text fields in order.
    pub(crate) fields: Vec<(String, String)>,
    /// The file part's field name, file name and size, when there was one.
    pub(crate) file: Option<(String, String, u64)>,
}

impl Upload {
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

enum Action {
    Start(String, Option<String>),
    Data(Bytes),
    End,
}

/// A file being written on a blocking thread.
struct DiskWriter {
    sender: Option<mpsc::Sender<Bytes>>,
    done: tokio::task::JoinHandle<io::Result<u64>>,
}

impl DiskWriter {
    fn start(path: PathBuf) -> DiskWriter {
        let (sender, mut receiver) = mpsc::channel::<Bytes>(CHANNEL_DEPTH);
        let done = tokio::task::spawn_blocking(move || {
            let mut file = File::create(&path)?;
            let mut written = 0u64;
            while let Some(chunk) = receiver.blocking_recv() {
                file.write_all(&chunk)?;
                written += chunk.len() as u64;
            }
            file.flush()?;
            Ok(written)
        });
        DiskWriter {
            sender: Some(sender),
            done,
        }
    }

    /// Hands a chunk over; false when the writer has stopped (a disk error).
    async fn write(&mut self, chunk: Bytes) -> bool {
        match &self.sender {
            Some(sender) => sender.send(chunk).await.is_ok(),
            None => false,
        }
    }

    async fn finish(mut self) -> io::Result<u64> {
        self.sender = None;
        self.done
            .await
            .unwrap_or_else(|e| Err(io::Error::other(format!("the writer stopped: {e}"))))
    }
}

/// Reads the `multipart/form-data` body of `request`, writing the part named `file_field` (a
/// file part) to `temp` (its directory made first) and keeping the text fields. On any error
/// `temp` is removed.
pub(crate) async fn receive_upload(
    request: Request,
    file_field: &str,
    temp: &Path,
) -> Result<Upload, ApiError> {
    if let Some(dir) = temp.parent() {
        std::fs::create_dir_all(dir).map_err(|e| disk_error("create", dir, e))?;
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = request.into_body();
    let boundary = content_type
        .as_deref()
        .and_then(multipart::boundary_of)
        .ok_or_else(|| bad_request("The upload must be a multipart/form-data body"))?;
    let mut writer: Option<DiskWriter> = None;
    let result = read_parts(&mut body, &boundary, file_field, temp, &mut writer).await;
    if let Some(w) = writer.take() {
        // Stop the writer before removing its file.
        let _ = w.finish().await;
    }
    if result.as_ref().map_or(true, |u| u.file.is_none()) {
        let _ = std::fs::remove_file(temp);
    }
    result
}

async fn read_parts(
    body: &mut Body,
    boundary: &str,
    file_field: &str,
    temp: &Path,
    writer: &mut Option<DiskWriter>,
) -> Result<Upload, ApiError> {
    let mut parser = MultipartParser::new(boundary);
    let mut upload = Upload::default();
    let mut current: Option<(String, Option<String>)> = None;
    let mut text = Vec::new();
    let mut file_size = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| bad_request(format!("The upload was cut short: {e}")))?;
        let Some(data) = frame.data_ref() else {
            continue;
        };
        let mut actions = Vec::new();
        parser
            .feed(data, &mut |event| {
                actions.push(match event {
                    Event::PartStart { name, filename, .. } => Action::Start(name, filename),
                    Event::Data(bytes) => Action::Data(Bytes::copy_from_slice(bytes)),
                    Event::PartEnd => Action::End,
                })
            })
            .map_err(|e| bad_request(format!("Bad multipart body: {e}")))?;
        for action in actions {
            match action {
                Action::Start(name, filename) => {
                    if name == file_field && filename.is_some() {
                        if upload.file.is_some() || writer.is_some() {
                            return Err(bad_request(format!(
                                "The upload has more than one '{file_field}' part"
                            )));
                        }
                        *writer = Some(DiskWriter::start(temp.to_path_buf()));
                    }
                    text.clear();
                    current = Some((name, filename));
                }
                Action::Data(bytes) => {
                    let to_file = writer.is_some()
                        && matches!(&current, Some((name, Some(_))) if name == file_field);
                    if to_file {
                        file_size += bytes.len() as u64;
                        let sent = match writer.as_mut() {
                            Some(w) => w.write(bytes).await,
                            None => false,
                        };
                        if !sent {
                            let why = match writer.take() {
                                Some(w) => w.finish().await.err(),
                                None => None,
                            };
                            let why = why.unwrap_or_else(|| io::Error::other("the writer stopped"));
                            return Err(disk_error("write the upload to", temp, why));
                        }
                    } else {
                        if text.len() + bytes.len() > MAX_TEXT_FIELD {
                            return Err(bad_request("A text field of the upload is too long"));
                        }
                        text.extend_from_slice(&bytes);
                    }
                }
                Action::End => match current.take() {
                    Some((name, Some(filename))) if name == file_field && writer.is_some() => {
                        let written = match writer.take() {
                            Some(w) => w.finish().await,
                            None => Ok(0),
                        }
                        .map_err(|e| disk_error("write the upload to", temp, e))?;
                        if written != file_size {
                            return Err(disk_error(
                                "write the whole upload to",
                                temp,
                                io::Error::other("short write"),
                            ));
                        }
                        upload.file = Some((name, filename, written));
                    }
                    Some((name, _)) => {
                        upload
                            .fields
                            .push((name, String::from_utf8_lossy(&text).into_owned()));
                    }
                    None => {}
                },
            }
        }
    }
    if writer.is_some() {
        return Err(bad_request("The upload ended in the middle of its file"));
    }
    // A well-formed body has reported every part by its closing boundary.
    parser
        .finish(&mut |_| {})
        .map_err(|e| bad_request(format!("Bad multipart body: {e}")))?;
    Ok(upload)
}

/// A response body fed by a blocking reader thread.
struct ChannelBody {
    receiver: mpsc::Receiver<io::Result<Bytes>>,
    remaining: u64,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.receiver.poll_recv(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.remaining = self.remaining.saturating_sub(chunk.len() as u64);
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// A 200 answer streaming the file at `path` (`application/octet-stream`, with its length).
pub(crate) fn file_response(path: &Path, file_name: &str) -> Result<Response, ApiError> {
    let file = File::open(path).map_err(|e| disk_error("read", path, e))?;
    let length = file
        .metadata()
        .map_err(|e| disk_error("read", path, e))?
        .len();
    let (sender, receiver) = mpsc::channel(CHANNEL_DEPTH);
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        let mut buffer = vec![0u8; READ_CHUNK];
        loop {
            match file.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    if sender
                        .blocking_send(Ok(Bytes::copy_from_slice(&buffer[..n])))
                        .is_err()
                    {
                        break;
                    }
                }
                Err(e) => {
                    let _ = sender.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    let mut response = Response::new(Body::new(ChannelBody {
        receiver,
        remaining: length,
    }));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    let quoted = file_name.replace(['"', '\\', '\r', '\n'], "_");
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{quoted}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
