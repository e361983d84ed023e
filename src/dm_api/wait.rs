//! Waiting for instances and tasks to finish: the loop Python users write by hand.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::models::{InstanceGetResponse, TaskGetResponse};
use crate::api_rv::ApiRv;
use crate::client::Client;
use crate::dm_api::{get_instance, get_task, GetTaskOptions};
use crate::error::{Error, ErrorKind};

/// A callback given every poll's answer as its type `T` (the instance or the task), or the
/// poll's failure, e.g. to show progress. It may keep state of its own (`FnMut`); clones
/// share it.
///
/// A closure that reads the answer's fields needs its type known where it is written: use
/// [`OnPoll::for_instance`] or [`OnPoll::for_task`] (or name the type in the closure's
/// parameter).
///
/// ```
/// use squonk2::dm_api::OnPoll;
///
/// let mut polls = 0;
/// let on_poll = OnPoll::for_instance(move |poll| {
///     polls += 1;
///     match poll {
///         Ok(instance) => eprintln!("poll {polls}: phase {}", instance.phase),
///         Err(e) => eprintln!("poll {polls} failed: {e}"),
///     }
/// });
/// ```
pub struct OnPoll<T = Value>(Arc<Mutex<PollCallback<T>>>);

/// The callback an [`OnPoll`] holds.
type PollCallback<T> = dyn FnMut(Result<&T, &Error>) + Send;

impl<T> OnPoll<T> {
    /// Wraps a callback.
    #[must_use]
    pub fn new(callback: impl FnMut(Result<&T, &Error>) + Send + 'static) -> OnPoll<T> {
        OnPoll(Arc::new(Mutex::new(callback)))
    }

    /// Calls the callback. A callback that panicked before is called again all the same.
    pub fn call(&self, poll: Result<&T, &Error>) {
        let mut callback = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (*callback)(poll)
    }
}

impl OnPoll<InstanceGetResponse> {
    /// A callback for [`wait_for_instance`], given each poll's instance: the same as
    /// [`OnPoll::new`], with the answer's type fixed so that a closure may read its fields
    /// (`instance.phase`) without naming the type.
    #[must_use]
    pub fn for_instance(
        callback: impl FnMut(Result<&InstanceGetResponse, &Error>) + Send + 'static,
    ) -> Self {
        OnPoll::new(callback)
    }
}

impl OnPoll<TaskGetResponse> {
    /// A callback for [`wait_for_task`], given each poll's task: the same as
    /// [`OnPoll::new`], with the answer's type fixed (see [`OnPoll::for_instance`]).
    #[must_use]
    pub fn for_task(
        callback: impl FnMut(Result<&TaskGetResponse, &Error>) + Send + 'static,
    ) -> Self {
        OnPoll::new(callback)
    }
}

impl<T> Clone for OnPoll<T> {
    fn clone(&self) -> Self {
        OnPoll(Arc::clone(&self.0))
    }
}

impl<T> fmt::Debug for OnPoll<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnPoll(..)")
    }
}

/// How [`wait_for_instance`] and [`wait_for_task`] wait; `T` is what a poll answers
/// ([`InstanceGetResponse`], [`TaskGetResponse`]), inferred from the function it is given to.
///
/// Build it as a struct literal ending in `..Default::default()`, as every options struct of
/// this crate (see the crate documentation on options).
pub struct WaitOptions<T = Value> {
    /// Give up after this long (default 10 minutes).
    pub timeout: Duration,
    /// The pause between polls (default 2 s).
    pub poll_interval: Duration,
    /// Called with every poll's answer.
    pub on_poll: Option<OnPoll<T>>,
}

impl<T> Default for WaitOptions<T> {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(600),
            poll_interval: Duration::from_secs(2),
            on_poll: None,
        }
    }
}

impl<T> Clone for WaitOptions<T> {
    fn clone(&self) -> Self {
        WaitOptions {
            timeout: self.timeout,
            poll_interval: self.poll_interval,
            on_poll: self.on_poll.clone(),
        }
    }
}

impl<T> fmt::Debug for WaitOptions<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("timeout", &self.timeout)
            .field("poll_interval", &self.poll_interval)
            .field("on_poll", &self.on_poll)
            .finish()
    }
}

/// Polls with `poll` until `done` says the answer is final, a poll fails for good, or time
/// runs out. A poll that fails for a passing reason (no answer, a time-out, 429, 502, 503,
/// 504) is handed to the callback and polling goes on ([D20](crate::python_differences)); any other failure (401, 403,
/// 404, ...) is returned at once.
fn wait_until_done<T: DeserializeOwned>(
    opts: &WaitOptions<T>,
    what: &str,
    call: &'static str,
    function: &'static str,
    poll: impl Fn() -> ApiRv<T>,
    done: impl Fn(&Value) -> bool,
    state: impl Fn(&Value) -> String,
) -> ApiRv<T> {
    let started = Instant::now();
    let mut last_state: String;
    loop {
        let rv = poll();
        if let Some(on_poll) = &opts.on_poll {
            match rv.parse::<T>() {
                Ok(answer) => on_poll.call(Ok(&answer)),
                Err(e) => on_poll.call(Err(&e)),
            }
        }
        if rv.success {
            if done(&rv.msg) {
                return rv;
            }
            last_state = state(&rv.msg);
        } else if rv.is_transient() {
            last_state = format!("the last poll failed: {}", rv.error().unwrap_or_default());
        } else {
            return rv;
        }
        let waited = started.elapsed();
        if waited >= opts.timeout {
            return ApiRv::failure(
                ErrorKind::Timeout,
                format!(
                    "Timed out after {:.1} s waiting for {what} ({last_state})",
                    waited.as_secs_f64(),
                ),
                0,
                call,
            )
            .with_function(function);
        }
        std::thread::sleep(opts.poll_interval.min(opts.timeout - waited));
    }
}

/// Polls [`get_instance`] every `poll_interval` until the instance's `phase` is final
/// (`COMPLETED`, `SUCCEEDED` or `FAILED`) and returns that last answer: `success` is true
/// and `msg` is the instance, whether the Job succeeded or failed, so check
/// `msg["phase"]`. A poll that fails for a passing reason (no answer, a time-out, 429, 502,
/// 503, 504) is passed to `on_poll` and polling goes on; any other failed poll (401, 403,
/// 404, ...) is returned as it is. After `timeout`, `success` is false, `http_status_code`
/// 0, the kind [`ErrorKind::Timeout`], and the error names the
/// last phase.
///
/// ```no_run
/// # fn main() -> Result<(), squonk2::Error> {
/// use std::time::Duration;
/// use squonk2::dm_api::{self, OnPoll, WaitOptions};
///
/// let client = squonk2::Client::from_env()?;
/// let opts = WaitOptions {
///     timeout: Duration::from_secs(120),
///     poll_interval: Duration::from_secs(5),
///     on_poll: Some(OnPoll::for_instance(|poll| {
///         if let Ok(instance) = poll {
///             eprintln!("{}", instance.phase);
///         }
///     })),
///     ..Default::default()
/// };
/// let instance = dm_api::wait_for_instance(&client, "instance-123", &opts).typed()?;
/// if instance.phase.as_str() != "COMPLETED" {
///     eprintln!("the job failed: {:?}", instance.error_message);
/// }
/// # Ok(())
/// # }
/// ```
pub fn wait_for_instance(
    client: &Client,
    instance_id: &str,
    opts: &WaitOptions<InstanceGetResponse>,
) -> ApiRv<InstanceGetResponse> {
    wait_until_done(
        opts,
        &format!("instance {instance_id}"),
        "GET /instance/{instance_id}",
        "dm_api::wait_for_instance",
        || get_instance(client, instance_id),
        |msg| {
            matches!(
                msg["phase"].as_str(),
                Some("COMPLETED" | "SUCCEEDED" | "FAILED")
            )
        },
        |msg| format!("phase {}", msg["phase"].as_str().unwrap_or("unknown")),
    )
}

/// Polls [`get_task`] every `poll_interval` until the task is `done` and returns that last
/// answer (the task with its states and events; `exit_code` says how it ended). Failures
/// and the timeout are as for [`wait_for_instance`].
pub fn wait_for_task(
    client: &Client,
    task_id: &str,
    opts: &WaitOptions<TaskGetResponse>,
) -> ApiRv<TaskGetResponse> {
    wait_until_done(
        opts,
        &format!("task {task_id}"),
        "GET /task/{task_id}",
        "dm_api::wait_for_task",
        || get_task(client, task_id, &GetTaskOptions::default()),
        |msg| msg["done"].as_bool() == Some(true),
        |_| "not done".to_string(),
    )
}
