//! The Data Manager's test controls on [`Sandbox`]: job timing and failures, where project
//! files are, and the immutable flag.

use std::path::PathBuf;
use std::time::Duration;

use super::files::{clean_dir, disk_path};
use crate::error::Error;
use crate::state::lock;
use crate::Sandbox;

impl Sandbox {
    /// The time a Job instance takes from launch to its end, for instances launched from
    /// now on: a quarter PENDING, the rest RUNNING, then COMPLETED or FAILED (default 2 s;
    /// see also [`SandboxBuilder::job_duration`](crate::SandboxBuilder::job_duration)).
    pub fn set_job_duration(&self, duration: Duration) {
        lock(&self.shared.dm).job_duration = duration;
    }

    /// The time a Job instance takes from launch to its end.
    pub fn job_duration(&self) -> Duration {
        lock(&self.shared.dm).job_duration
    }

    /// Makes every instance of the Job `collection`/`job` launched from now on end FAILED
    /// with `message` as its `error_message` (and a failed task, exit code 1).
    pub fn fail_job(&self, collection: &str, job: &str, message: &str) {
        lock(&self.shared.dm)
            .failing_jobs
            .insert((collection.to_owned(), job.to_owned()), message.to_owned());
    }

    /// Undoes every [`Sandbox::fail_job`].
    pub fn clear_job_failures(&self) {
        lock(&self.shared.dm).failing_jobs.clear();
    }

    /// Where a project's files are on disk, if the project exists.
    pub fn project_dir(&self, project_id: &str) -> Option<PathBuf> {
        let dm = lock(&self.shared.dm);
        dm.projects
            .contains_key(project_id)
            .then(|| dm.project_dir(project_id))
    }

    /// Marks a project file (`/dir/name`) immutable or not, as attaching a Dataset with
    /// `immutable=True` does: an immutable file cannot be overwritten, moved or deleted.
    /// Fails when there is no such project or file.
    pub fn set_file_immutable(
        &self,
        project_id: &str,
        file_path: &str,
        immutable: bool,
    ) -> Result<(), Error> {
        let key = clean_dir(file_path)
            .map_err(|_| Error::invalid(format!("{file_path:?} is not a file path")))?;
        let mut dm = lock(&self.shared.dm);
        let on_disk = disk_path(&dm.project_dir(project_id), &key);
        let Some(project) = dm.projects.get_mut(project_id) else {
            return Err(Error::not_found(format!(
                "There is no project {project_id}"
            )));
        };
        if key == "/" || !on_disk.is_file() {
            return Err(Error::not_found(format!(
                "There is no file {file_path} in project {project_id}"
            )));
        }
        let creator = project.creator.clone();
        let meta = project.files.entry(key).or_default();
        if meta.owner.is_empty() {
            meta.owner = creator;
        }
        meta.immutable = immutable;
        Ok(())
    }
}
