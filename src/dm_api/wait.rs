//! Waiting for instances and tasks to finish: the loop Python users write by hand.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::api_rv::ApiRv;
use crate::client::Client;
use crate::dm_api::{get_instance, get_task, GetTaskOptions};
use crate::error::ErrorKind;

/// A callback given every poll's answer, e.g. to show progress. It may keep state of its
/// own (`FnMut`); clones share it.
///
/// ```
/// let mut polls = 0;
/// let on_poll = squonk2::dm_api::OnPoll::new(move |rv| {
///     polls += 1;
///     eprintln!("poll {polls}: phase {}", rv.msg["phase"]);
/// });
/// ```
#[derive(Clone)]
pub struct OnPoll(Arc<Mutex<PollCallback>>);

/// The callback an [`OnPoll`] holds.
type PollCallback = dyn FnMut(&ApiRv) + Send;

impl OnPoll {
    /// Wraps a callback.
    #[must_use]
    pub fn new(callback: impl FnMut(&ApiRv) + Send + 'static) -> OnPoll {
        OnPoll(Arc::new(Mutex::new(callback)))
    }

    /// Calls the callback. A callback that panicked before is called again all the same.
    pub fn call(&self, rv: &ApiRv) {
        let mut callback = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (*callback)(rv)
    }
}

impl fmt::Debug for OnPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnPoll(..)")
    }
}

/// How [`wait_for_instance`] and [`wait_for_task`] wait.
#[derive(Clone, Debug)]
pub struct WaitOptions {
    /// Give up after this long (default 10 minutes).
    pub timeout: Duration,
    /// The pause between polls (default 2 s).
    pub poll_interval: Duration,
    /// Called with every poll's answer.
    pub on_poll: Option<OnPoll>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(600),
            poll_interval: Duration::from_secs(2),
            on_poll: None,
        }
    }
}

/// Polls with `poll` until `done` says the answer is final, a poll fails for good, or time
/// runs out. A poll that fails for a passing reason (no answer, a time-out, 429, 502, 503,
/// 504) is handed to the callback and polling goes on (D20); any other failure (401, 403,
/// 404, ...) is returned at once.
fn wait_until_done(
    opts: &WaitOptions,
    what: &str,
    call: &str,
    function: &str,
    poll: impl Fn() -> ApiRv,
    done: impl Fn(&Value) -> bool,
    state: impl Fn(&Value) -> String,
) -> ApiRv {
    let started = Instant::now();
    let mut last_state: String;
    loop {
        let rv = poll();
        if let Some(on_poll) = &opts.on_poll {
            on_poll.call(&rv);
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
/// 0, the kind [`ErrorKind::Timeout`](crate::ErrorKind::Timeout), and the error names the
/// last phase.
///
/// `msg` is an [`InstanceGetResponse`](super::models::InstanceGetResponse).
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use std::time::Duration;
/// use squonk2::dm_api::{self, OnPoll, WaitOptions};
///
/// let client = squonk2::Client::from_env()?;
/// let opts = WaitOptions {
///     timeout: Duration::from_secs(120),
///     poll_interval: Duration::from_secs(5),
///     on_poll: Some(OnPoll::new(|rv| eprintln!("{}", rv.msg["phase"]))),
/// };
/// let instance = dm_api::wait_for_instance(&client, "instance-123", &opts).into_result()?;
/// if instance["phase"] != "COMPLETED" {
///     eprintln!("the job failed: {}", instance["error_message"]);
/// }
/// # Ok(())
/// # }
/// ```
pub fn wait_for_instance(client: &Client, instance_id: &str, opts: &WaitOptions) -> ApiRv {
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
///
/// `msg` is a [`TaskGetResponse`](super::models::TaskGetResponse).
pub fn wait_for_task(client: &Client, task_id: &str, opts: &WaitOptions) -> ApiRv {
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
