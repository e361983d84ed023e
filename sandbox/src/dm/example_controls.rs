//! Test controls on [`Sandbox`] for the examples' tests: making finished instances look old.

use crate::error::Error;
use crate::state::lock;
use crate::Sandbox;

impl Sandbox {
    /// Makes a finished instance look as if it stopped at `unix_secs` (seconds since the Unix
    /// epoch), moving its launch and start times by the same amount so that its run time is
    /// unchanged. Fails when there is no such instance or it has not stopped yet.
    ///
    /// ```
    /// let sandbox = squonk2_sandbox::Sandbox::start()?;
    /// assert!(sandbox.set_instance_stopped_at("instance-unknown", 0.0).is_err());
    /// # Ok::<(), squonk2_sandbox::Error>(())
    /// ```
    #[doc(hidden)]
    pub fn set_instance_stopped_at(&self, instance_id: &str, unix_secs: f64) -> Result<(), Error> {
        let mut dm = lock(&self.shared.dm);
        let Some(instance) = dm.instances.get_mut(instance_id) else {
            return Err(Error::not_found(format!(
                "There is no instance {instance_id}"
            )));
        };
        let Some(stopped) = instance.stopped else {
            return Err(Error::invalid(format!(
                "The instance {instance_id} has not stopped yet"
            )));
        };
        let shift = unix_secs - stopped;
        instance.launched += shift;
        instance.started = instance.started.map(|t| t + shift);
        instance.stopped = Some(unix_secs);
        Ok(())
    }
}
