//! The sandbox's clock: the wall clock plus whatever a test has moved it by, or stopped.
//!
//! Everything that reads the time (token `iat`/`exp` and their checks, instance, task and
//! Dataset timestamps, the Account Server's "today") reads [`now`]; everything that waits
//! for time to pass (instance phases, Dataset stages, `event-test`'s events) waits with
//! [`Clock::sleep_until`], which wakes early when a test moves the clock.
//!
//! Each sandbox has its own clock. The free function [`now`] finds it through a
//! thread-local that the sandbox's runtime threads carry (and [`Clock::enter`] sets for
//! a control called on a test's thread); elsewhere it is the wall clock.

use std::cell::RefCell;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

use crate::state::lock;

/// One sandbox's clock.
#[derive(Debug)]
pub(crate) struct Clock {
    state: Mutex<ClockState>,
    /// Told whenever the clock is moved, so that sleepers look again.
    moved: watch::Sender<u64>,
}

#[derive(Debug, Clone, Copy)]
struct ClockState {
    /// Added to the wall clock while running.
    offset: SignedDuration,
    /// The time it shows while stopped.
    frozen: Option<Timestamp>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            state: Mutex::new(ClockState {
                offset: SignedDuration::ZERO,
                frozen: None,
            }),
            moved: watch::channel(0).0,
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Clock>>> = const { RefCell::new(None) };
}

/// The current time: the sandbox's clock on its threads (or inside [`Clock::enter`]), the
/// wall clock elsewhere.
pub(crate) fn now() -> Timestamp {
    CURRENT
        .with(|current| current.borrow().as_ref().map(|clock| clock.time()))
        .unwrap_or_else(Timestamp::now)
}

/// Makes `clock` this thread's clock for good (a runtime thread's start).
pub(crate) fn install(clock: Arc<Clock>) {
    CURRENT.with(|current| *current.borrow_mut() = Some(clock));
}

/// Restores the thread's previous clock when dropped.
pub(crate) struct Entered(Option<Arc<Clock>>);

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|current| *current.borrow_mut() = previous);
    }
}

impl Clock {
    /// The time it shows.
    pub(crate) fn time(&self) -> Timestamp {
        let state = *lock(&self.state);
        state.frozen.unwrap_or_else(|| {
            Timestamp::now()
                .checked_add(state.offset)
                .unwrap_or(Timestamp::MAX)
        })
    }

    /// Makes `self` the clock of this thread until the guard is dropped.
    pub(crate) fn enter(self: &Arc<Self>) -> Entered {
        Entered(CURRENT.with(|current| current.borrow_mut().replace(self.clone())))
    }

    fn tell(&self) {
        self.moved.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Moves the clock forward by `by` (whether it runs or is stopped).
    pub(crate) fn advance(&self, by: Duration) {
        let by = SignedDuration::try_from(by).unwrap_or(SignedDuration::MAX);
        {
            let mut state = lock(&self.state);
            match state.frozen.as_mut() {
                Some(at) => *at = at.checked_add(by).unwrap_or(Timestamp::MAX),
                None => state.offset = state.offset.saturating_add(by),
            }
        }
        self.tell();
    }

    /// Sets the time it shows (it keeps running from there unless stopped). Moving it back
    /// is allowed: sleepers then wait longer.
    pub(crate) fn set(&self, to: Timestamp) {
        {
            let mut state = lock(&self.state);
            match state.frozen.as_mut() {
                Some(at) => *at = to,
                None => state.offset = to.duration_since(Timestamp::now()),
            }
        }
        self.tell();
    }

    /// Stops the clock (`true`) at the time it shows, or lets it run again from there.
    pub(crate) fn freeze(&self, stop: bool) {
        {
            let mut state = lock(&self.state);
            match (stop, state.frozen) {
                (true, None) => {
                    state.frozen = Some(
                        Timestamp::now()
                            .checked_add(state.offset)
                            .unwrap_or(Timestamp::MAX),
                    )
                }
                (false, Some(at)) => {
                    state.offset = at.duration_since(Timestamp::now());
                    state.frozen = None;
                }
                _ => {}
            }
        }
        self.tell();
    }

    /// Whether it is stopped.
    pub(crate) fn is_frozen(&self) -> bool {
        lock(&self.state).frozen.is_some()
    }

    /// Waits until the clock shows `until` (or later).
    pub(crate) async fn sleep_until(&self, until: Timestamp) {
        let mut moved = self.moved.subscribe();
        loop {
            moved.borrow_and_update();
            let left = until.duration_since(self.time());
            if left <= SignedDuration::ZERO {
                return;
            }
            let frozen = self.is_frozen();
            let left = Duration::try_from(left).unwrap_or(Duration::MAX);
            if frozen {
                if moved.changed().await.is_err() {
                    return;
                }
            } else {
                // At most a day at a time, so that huge waits never overflow a timer.
                let nap = left.min(Duration::from_secs(86_400));
                tokio::select! {
                    _ = tokio::time::sleep(nap) => {}
                    changed = moved.changed() => if changed.is_err() { return },
                }
            }
        }
    }
}

impl crate::Sandbox {
    /// Moves the sandbox's clock forward by `by`: tokens expire, instances and Datasets
    /// move on (each waiting phase or stage wakes up and looks again), and the Account
    /// Server's "today" follows. Works whether the clock runs or is stopped.
    ///
    /// ```
    /// use std::time::Duration;
    /// let sandbox = squonk2_sandbox::Sandbox::start()?;
    /// let before = sandbox.clock();
    /// sandbox.advance_clock(Duration::from_secs(86_400));
    /// assert!(sandbox.clock().duration_since(before)? >= Duration::from_secs(86_400));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Sets the sandbox's clock to `to` (it runs on from there unless stopped). Setting it
    /// back is allowed; what waits then waits longer.
    pub fn set_clock(&self, to: std::time::SystemTime) {
        self.shared.clock.set(system_to_timestamp(to));
    }

    /// Stops the sandbox's clock (`true`) where it is, or lets it run again from there:
    /// while stopped, only [`advance_clock`](Self::advance_clock) and
    /// [`set_clock`](Self::set_clock) move time, so nothing expires or progresses by
    /// itself. [`SandboxBuilder::clock_stopped`](crate::SandboxBuilder::clock_stopped)
    /// starts a sandbox with its clock stopped.
    pub fn stop_clock(&self, stop: bool) {
        self.shared.clock.freeze(stop);
    }

    /// The time on the sandbox's clock.
    pub fn clock(&self) -> std::time::SystemTime {
        timestamp_to_system(self.shared.clock.time())
    }

    /// Whether the sandbox's clock is stopped.
    pub fn clock_is_stopped(&self) -> bool {
        self.shared.clock.is_frozen()
    }
}

pub(crate) fn system_to_timestamp(at: std::time::SystemTime) -> Timestamp {
    Timestamp::try_from(at).unwrap_or(if at < std::time::UNIX_EPOCH {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

pub(crate) fn timestamp_to_system(at: Timestamp) -> std::time::SystemTime {
    let micros = at.as_microsecond();
    let magnitude = Duration::from_micros(micros.unsigned_abs());
    if micros >= 0 {
        std::time::UNIX_EPOCH + magnitude
    } else {
        std::time::UNIX_EPOCH - magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advances_stops_and_enters() {
        let clock = Arc::new(Clock::default());
        let wall = Timestamp::now();
        clock.advance(Duration::from_secs(3600));
        let shown = clock.time();
        assert!(shown.duration_since(wall) >= SignedDuration::from_secs(3600));
        clock.freeze(true);
        let at = clock.time();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.time(), at);
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            clock.time(),
            at.checked_add(SignedDuration::from_secs(1)).unwrap()
        );
        {
            let _entered = clock.enter();
            assert_eq!(now(), clock.time());
        }
        assert!(now().duration_since(wall) < SignedDuration::from_secs(60));
    }
}
