//! Scripted instances: the phases, events and end a test chooses for a Job's instances
//! ([`Sandbox::script_job`]), or for one instance now ([`Sandbox::set_instance_phase`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::time;
use crate::error::Error;
use crate::state::lock;
use crate::Sandbox;

/// The phases of an instance, as the Data Manager's `InstancePhase` lists them.
///
/// The sandbox's own instances go PENDING → RUNNING → COMPLETED or FAILED; an
/// [`InstanceScript`] or [`Sandbox::set_instance_phase`] reaches the others, so that a
/// client's handling of SUCCEEDED, IMAGE_PULL_BACKOFF, CRASH_LOOP_BACKOFF and UNKNOWN can
/// be tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum InstancePhase {
    /// `PENDING`
    Pending,
    /// `RUNNING`
    Running,
    /// `COMPLETED`
    Completed,
    /// `SUCCEEDED`
    Succeeded,
    /// `FAILED`
    Failed,
    /// `IMAGE_PULL_BACKOFF`
    ImagePullBackoff,
    /// `CRASH_LOOP_BACKOFF`
    CrashLoopBackoff,
    /// `UNKNOWN`
    Unknown,
}

impl InstancePhase {
    /// Every phase.
    pub const ALL: [InstancePhase; 8] = [
        InstancePhase::Pending,
        InstancePhase::Running,
        InstancePhase::Completed,
        InstancePhase::Succeeded,
        InstancePhase::Failed,
        InstancePhase::ImagePullBackoff,
        InstancePhase::CrashLoopBackoff,
        InstancePhase::Unknown,
    ];

    /// The name the API uses (`"IMAGE_PULL_BACKOFF"`).
    pub fn as_str(self) -> &'static str {
        match self {
            InstancePhase::Pending => "PENDING",
            InstancePhase::Running => "RUNNING",
            InstancePhase::Completed => "COMPLETED",
            InstancePhase::Succeeded => "SUCCEEDED",
            InstancePhase::Failed => "FAILED",
            InstancePhase::ImagePullBackoff => "IMAGE_PULL_BACKOFF",
            InstancePhase::CrashLoopBackoff => "CRASH_LOOP_BACKOFF",
            InstancePhase::Unknown => "UNKNOWN",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        self.as_str()
    }

    /// COMPLETED or SUCCEEDED: the Job did its work (its run is charged, a workflow goes
    /// on to its next step).
    pub fn is_success(self) -> bool {
        matches!(self, InstancePhase::Completed | InstancePhase::Succeeded)
    }

    /// COMPLETED, SUCCEEDED or FAILED: the instance has stopped (its task is done, its
    /// `stopped` time set).
    pub fn is_final(self) -> bool {
        self.is_success() || self == InstancePhase::Failed
    }
}

impl std::fmt::Display for InstancePhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for InstancePhase {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        InstancePhase::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "{text:?} is not an instance phase: use one of {}",
                    InstancePhase::ALL.map(InstancePhase::as_str).join(", ")
                ))
            })
    }
}

/// One step of an [`InstanceScript`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub(crate) enum Step {
    /// Show this phase for this long (on the sandbox's clock).
    Phase {
        phase: InstancePhase,
        #[serde(with = "millis")]
        lasting: Duration,
    },
    /// Add a task event.
    Event { level: String, message: String },
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis().try_into().unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// What every instance of a Job does instead of the sandbox's default life
/// ([`Sandbox::script_job`]): phases shown for a while each, task events, and the phase it
/// ends in, with a message.
///
/// The Job's own work (copying a file, writing outputs, `event-test`'s events) is not
/// done. The end decides the rest: COMPLETED or SUCCEEDED finish the task with exit code 0
/// (and the run is charged); FAILED finishes it with exit code 1 and the message as the
/// instance's `error_message`; any other phase (RUNNING, UNKNOWN, CRASH_LOOP_BACKOFF, ...)
/// leaves the instance in it for good, its task not done, as a stuck deployment would.
///
/// ```
/// use std::time::Duration;
/// use squonk2_sandbox::{InstancePhase, InstanceScript, Sandbox};
///
/// let sandbox = Sandbox::start()?;
/// sandbox.script_job(
///     "im-test",
///     "nop",
///     InstanceScript::ending(InstancePhase::CrashLoopBackoff, "Back-off restarting failed container")
///         .phase(InstancePhase::Pending, Duration::from_millis(10))
///         .phase(InstancePhase::Running, Duration::from_millis(10))
///         .event("ERROR", "Container exited with code 137"),
/// );
/// # Ok::<(), squonk2_sandbox::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstanceScript {
    pub(crate) steps: Vec<Step>,
    pub(crate) end: InstancePhase,
    pub(crate) message: String,
}

impl InstanceScript {
    /// A script that ends the instance in `end` with `message` (the task's last event, and
    /// the `error_message` of a FAILED instance) at once; add steps before it with
    /// [`phase`](Self::phase) and [`event`](Self::event).
    pub fn ending(end: InstancePhase, message: impl Into<String>) -> Self {
        InstanceScript {
            steps: Vec::new(),
            end,
            message: message.into(),
        }
    }

    /// Shows `phase` for `lasting` (on the sandbox's clock: [`Sandbox::advance_clock`]
    /// skips it), after the steps before.
    pub fn phase(mut self, phase: InstancePhase, lasting: Duration) -> Self {
        self.steps.push(Step::Phase { phase, lasting });
        self
    }

    /// Adds a task event (`level`: `INFO`, `DEBUG`, `WARNING`, `ERROR`, ...), after the
    /// steps before.
    pub fn event(mut self, level: impl Into<String>, message: impl Into<String>) -> Self {
        self.steps.push(Step::Event {
            level: level.into(),
            message: message.into(),
        });
        self
    }
}

impl Sandbox {
    /// Makes every instance of the Job `collection`/`job` launched from now on follow
    /// `script` instead of the sandbox's default life (it replaces [`Sandbox::fail_job`]
    /// for the Job, and an earlier script). [`Sandbox::clear_job_scripts`] undoes it.
    pub fn script_job(&self, collection: &str, job: &str, script: InstanceScript) {
        lock(&self.shared.dm)
            .job_scripts
            .insert((collection.to_owned(), job.to_owned()), script);
    }

    /// Undoes every [`Sandbox::script_job`].
    pub fn clear_job_scripts(&self) {
        lock(&self.shared.dm).job_scripts.clear();
    }

    /// Puts an existing instance in `phase` now, with `message` (the `error_message` of a
    /// FAILED instance, and a task event), whatever it was doing: its own life stops there.
    /// A final phase ([`InstancePhase::is_final`]) finishes its task and sets its `stopped`
    /// time; a successful one charges the run. Fails for an unknown instance.
    pub fn set_instance_phase(
        &self,
        instance_id: &str,
        phase: InstancePhase,
        message: &str,
    ) -> Result<(), Error> {
        let _clock = self.shared.clock.enter();
        end_instance(&self.shared, instance_id, phase, message, true)?;
        super::instances::after_end(&self.shared, instance_id, phase);
        Ok(())
    }
}

/// Puts an instance in `phase` with `message`; `take_over` stops its runner from changing
/// it again.
pub(crate) fn end_instance(
    shared: &crate::state::AppState,
    instance_id: &str,
    phase: InstancePhase,
    message: &str,
    take_over: bool,
) -> Result<(), Error> {
    let mut dm = lock(&shared.dm);
    let instance = dm
        .instances
        .get_mut(instance_id)
        .ok_or_else(|| Error::not_found(format!("There is no instance {instance_id}")))?;
    let now = time::now();
    instance.phase = phase;
    instance.taken_over |= take_over;
    if phase != InstancePhase::Pending && instance.started.is_none() {
        instance.started = Some(now);
    }
    if phase == InstancePhase::Failed {
        instance.error_message = Some(message.to_owned());
    }
    if phase.is_final() {
        instance.stopped = Some(now);
    }
    let task_id = instance.task_id.clone();
    if let Some(task) = dm.tasks.get_mut(&task_id) {
        if !task.done {
            if phase.is_final() {
                let exit_code = if phase.is_success() { 0 } else { 1 };
                let word = if phase.is_success() {
                    "completed"
                } else {
                    "failed"
                };
                task.finish(exit_code, format!("Job {word}. {message}"));
            } else {
                let level = match phase {
                    InstancePhase::Pending | InstancePhase::Running => "INFO",
                    _ => "WARNING",
                };
                task.event(level, format!("The instance is {phase}. {message}"));
            }
        }
    }
    Ok(())
}
