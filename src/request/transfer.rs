//! File transfers: progress reports, and downloads that land whole or not at all ([D9](crate::python_differences)).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// The buffer a download is copied to disk through.
const DOWNLOAD_BUFFER: usize = 256 * 1024;
/// A downloaded file at most this big that holds a JSON object is also the call's `msg`.
const MAX_JSON_MSG: u64 = 1024 * 1024;

/// A progress callback for uploads and downloads: called with (bytes done, bytes total) as
/// the transfer moves, and once more at the end. `total` is 0 when the server did not say
/// how big a download is.
///
/// The callback may keep state of its own (`FnMut`); clones share it, and calls through
/// clones on several threads take turns.
///
/// ```
/// let mut reports = 0;
/// let progress = squonk2::Progress::new(move |done, total| {
///     reports += 1;
///     eprint!("\r{done}/{total} bytes ({reports} reports)");
/// });
/// ```
#[derive(Clone)]
pub struct Progress(Arc<Mutex<dyn FnMut(u64, u64) + Send>>);

impl Progress {
    /// Wraps a callback.
    #[must_use]
    pub fn new(callback: impl FnMut(u64, u64) + Send + 'static) -> Progress {
        Progress(Arc::new(Mutex::new(callback)))
    }

    /// Calls the callback. A callback that panicked before is called again all the same.
    pub fn report(&self, done: u64, total: u64) {
        let mut callback = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (*callback)(done, total)
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// Counts bytes read through it and reports them, at most every 256 KiB, and at the end.
pub(crate) struct Counting<R> {
    inner: R,
    done: u64,
    total: u64,
    reported: u64,
    progress: Progress,
}

impl<R> Counting<R> {
    pub(crate) fn new(inner: R, total: u64, progress: Progress) -> Counting<R> {
        Counting {
            inner,
            done: 0,
            total,
            reported: 0,
            progress,
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done = self.done.saturating_add(n as u64);
        // A body sent with a Content-Length is not read past its end, so the last report
        // comes when the total is reached, not only at end of file.
        let at_end = n == 0 || (self.total > 0 && self.done >= self.total);
        if (at_end && self.reported != self.done) || self.done - self.reported >= 256 * 1024 {
            self.reported = self.done;
            self.progress.report(self.done, self.total);
        }
        Ok(n)
    }
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

/// A name part no other call of this process (or another at the same moment) uses.
pub(crate) fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{:x}{:08x}{:x}",
        std::process::id(),
        nanos,
        UNIQUE.fetch_add(1, Ordering::Relaxed)
    )
}

/// Why a download failed: the file system, or the answer.
pub(crate) enum DownloadError {
    /// The destination could not be written.
    LocalFile(String),
    /// The answer was cut short or stalled.
    Read(io::Error),
}

/// A download's temporary file beside its destination. Made before the request is sent
/// (so an unwritable destination fails first), renamed into place only when the whole
/// body has arrived, and removed in every other case, also when a progress callback
/// panics.
pub(crate) struct Download {
    destination: PathBuf,
    temp: PathBuf,
    file: Option<File>,
    keep: bool,
}

impl Download {
    /// Checks that `destination` can be written and makes the temporary file.
    pub(crate) fn prepare(destination: &Path) -> Result<Download, String> {
        let shown = destination.display();
        if destination.is_dir() {
            return Err(format!("{shown} is a directory"));
        }
        let file_name = destination
            .file_name()
            .ok_or_else(|| format!("{shown} is not a file path"))?;
        let dir = match destination.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(format!(
                "cannot write {shown}: the directory {} does not exist",
                dir.display()
            ));
        }
        if let Ok(meta) = std::fs::metadata(destination) {
            if !meta.is_file() {
                return Err(format!("cannot write {shown}: it is not a regular file"));
            }
        }
        let temp = dir.join(format!(
            ".{}.{}.part",
            file_name.to_string_lossy(),
            unique_suffix()
        ));
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| format!("cannot write {shown}: {e}"))?;
        Ok(Download {
            destination: destination.to_path_buf(),
            temp,
            file: Some(file),
            keep: false,
        })
    }

    /// Copies `reader` into the temporary file and renames it into place. Returns the
    /// success `msg`: `{}`, or the file's content when it is a small JSON object (as the
    /// Python client's `resp.json()` would).
    pub(crate) fn save(mut self, reader: &mut impl Read) -> Result<Value, DownloadError> {
        let local = |e: io::Error| {
            DownloadError::LocalFile(format!("cannot write {}: {e}", self.temp.display()))
        };
        let Some(mut out) = self.file.take() else {
            return Err(DownloadError::LocalFile(
                "the download was already saved".into(),
            ));
        };
        // Larger reads than io::copy's 8 KiB make fewer system calls on big downloads.
        let mut buffer = vec![0u8; DOWNLOAD_BUFFER];
        let mut copied = 0u64;
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(DownloadError::Read(e)),
            };
            out.write_all(&buffer[..n]).map_err(local)?;
            copied = copied.saturating_add(n as u64);
        }
        out.flush().map_err(local)?;
        drop(out);
        std::fs::rename(&self.temp, &self.destination).map_err(|e| {
            DownloadError::LocalFile(format!("cannot write {}: {e}", self.destination.display()))
        })?;
        self.keep = true;
        if copied <= MAX_JSON_MSG {
            if let Ok(Value::Object(map)) = std::fs::read(&self.destination)
                .map_err(|_| ())
                .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).map_err(|_| ()))
            {
                return Ok(Value::Object(map));
            }
        }
        Ok(json!({}))
    }
}

impl Drop for Download {
    fn drop(&mut self) {
        self.file = None;
        if !self.keep {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
