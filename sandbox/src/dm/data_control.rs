//! The test controls on [`Sandbox`] for Datasets, service errors and Job manifests.

use std::time::Duration;

use super::admin::{ServiceError, Severity};
use super::manifests::BUILTIN_MANIFEST_URL;
use super::time;
use crate::error::Error;
use crate::state::lock;
use crate::Sandbox;

impl Sandbox {
    /// The time a Dataset version takes from its upload to DONE, for versions made from now
    /// on: COPYING, FORMATTING, then LOADING (unless `skip_molecule_load`), a quarter, a
    /// quarter and half of it (default 1 s). Tests make it short.
    pub fn set_dataset_duration(&self, duration: Duration) {
        lock(&self.shared.dm).dataset_duration = duration;
    }

    /// The time a Dataset version takes from its upload to DONE.
    pub fn dataset_duration(&self) -> Duration {
        lock(&self.shared.dm).dataset_duration
    }

    /// Records a service error, as the Data Manager does when something goes wrong inside
    /// it, for admins to see (`GET /admin/service-error`), acknowledge and delete.
    /// `severity` is `CRITICAL`, `ERROR` or `WARNING`. Returns the error's id.
    ///
    /// ```
    /// let sandbox = squonk2_sandbox::Sandbox::start()?;
    /// let id = sandbox.add_service_error("WARNING", "The disk is 90% full")?;
    /// assert_eq!(id, 1);
    /// # Ok::<(), squonk2_sandbox::Error>(())
    /// ```
    pub fn add_service_error(&self, severity: &str, summary: &str) -> Result<u64, Error> {
        let severity = Severity::parse(severity).ok_or_else(|| {
            Error::invalid(format!(
                "The severity must be CRITICAL, ERROR or WARNING, not {severity:?}"
            ))
        })?;
        let _clock = self.shared.clock.enter();
        let mut dm = lock(&self.shared.dm);
        let id = dm.next_service_error_id;
        dm.next_service_error_id += 1;
        dm.service_errors.insert(
            id,
            ServiceError {
                id,
                created: time::now(),
                summary: summary.to_owned(),
                severity,
                error_code: None,
                stack_trace: format!(
                    "Traceback (most recent call last):\n  (recorded by the squonk2 sandbox)\n\
                     SandboxError: {summary}\n"
                ),
                acknowledged: None,
            },
        );
        Ok(id)
    }

    /// Makes the Data Manager find `text` at `url` when it loads Job manifests
    /// (`PUT /admin/job-manifest`): a manifest (`kind: DataManagerManifest`) or a Job
    /// definition file it names, relative to it (`kind: DataManagerJobDefinition`). The
    /// sandbox never goes to the network. Replaces what was there.
    pub fn add_web_file(&self, url: &str, text: &str) {
        lock(&self.shared.dm)
            .web_files
            .insert(url.to_owned(), text.to_owned());
    }

    /// The URL of the Job manifest every sandbox serves: one Job definition file
    /// (collection `sandbox-examples`, Jobs `count-molecules` and `say-hello`).
    pub fn builtin_job_manifest_url(&self) -> &'static str {
        BUILTIN_MANIFEST_URL
    }
}
