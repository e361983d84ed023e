//! [`RetryPolicy`]: which failed requests are tried again, and after how long ([D20](crate::python_differences)).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Which failed requests a [`Client`](crate::Client) tries again, how often, and how long
/// it waits in between (set with
/// [`ClientBuilder::retry_policy`](crate::ClientBuilder::retry_policy)).
///
/// By default ([`RetryPolicy::default`]) a `GET` or `HEAD` that got no answer (connection
/// refused or closed, a time-out) or a `429`, `502`, `503` or `504` is tried up to twice
/// more, after about 0.25 s and then 0.5 s (each pause drawn between half and all of that,
/// so many clients do not retry in step), or after what the server's `Retry-After` asks when
/// that is not longer than the maximum delay. `POST`, `PUT`, `PATCH` and `DELETE` are never
/// retried: they may have done their work before the answer was lost. Every retry is in
/// the debug log.
///
/// The call's time-out ([`ClientBuilder::timeout`](crate::ClientBuilder::timeout),
/// [`Client::with_timeout`](crate::Client::with_timeout), else the function's 4 s or 12 s)
/// bounds the whole call: a Keycloak login, every attempt and the pauses between them. A
/// retry whose pause would end after the time-out is not made, and the failure then says
/// how many attempts were made and how long they took. By default an attempt may use all
/// the time left; [`attempt_timeout`](RetryPolicy::attempt_timeout) bounds each one, so a
/// server that hangs once leaves time to try again (as the AWS SDKs' attempt and operation
/// time-outs). File transfers are the exception: they have inactivity time-outs, and their
/// own `deadline` when given ([D15](crate::python_differences)).
///
/// Like every options struct of this crate, write it as a struct literal that ends in
/// `..Default::default()`:
///
/// ```
/// use std::time::Duration;
/// use squonk2::RetryPolicy;
///
/// let patient = RetryPolicy {
///     max_retries: 5,
///     initial_backoff: Duration::from_millis(500),
///     ..Default::default()
/// };
/// assert_eq!(patient.max_delay, Duration::from_secs(10));
///
/// // Within a 10 s time-out, up to three attempts of at most 3 s each.
/// let quick_attempts = RetryPolicy {
///     attempt_timeout: Some(Duration::from_secs(3)),
///     ..Default::default()
/// };
/// # let _ = quick_attempts;
/// assert_eq!(RetryPolicy::none().max_retries, 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a request is tried again after the first attempt (default 2).
    pub max_retries: u32,
    /// The pause before the first retry; it doubles for each retry after it (default
    /// 250 ms).
    pub initial_backoff: Duration,
    /// The longest pause between two attempts (default 10 s). A `Retry-After` asking for
    /// more ends the retries: the failure is returned at once.
    pub max_delay: Duration,
    /// The most one attempt of a call that is not a file transfer may take (default `None`:
    /// all that is left of the call's time-out). The call's time-out still bounds the whole
    /// call; an attempt never gets more than what is left of it.
    pub attempt_timeout: Option<Duration>,
}

impl Default for RetryPolicy {
    /// Two retries of idempotent requests, backoff from 250 ms, at most 10 s between tries.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            attempt_timeout: None,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    #[must_use]
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Whether a `method` request may be retried at all.
    pub(crate) fn applies_to(&self, method: &str) -> bool {
        self.max_retries > 0 && matches!(method, "GET" | "HEAD")
    }

    /// The pause before retry number `retry` (1 for the first), or `None` when no retry is
    /// left or the server asked for a longer pause than the policy allows.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if retry == 0 || retry > self.max_retries {
            return None;
        }
        if let Some(asked) = retry_after {
            return (asked <= self.max_delay).then_some(asked);
        }
        let doubled = self
            .initial_backoff
            .saturating_mul(1u32.checked_shl(retry - 1).unwrap_or(u32::MAX));
        let ceiling = doubled.min(self.max_delay);
        // Between half and all of the ceiling ("equal jitter").
        Some(ceiling / 2 + ceiling.mul_f64(jitter() / 2.0))
    }
}

/// A number in [0, 1) that differs from call to call and between processes.
fn jitter() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ u64::from(std::process::id()).rotate_left(32);
    let mut x = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ seed;
    // splitmix64's finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// A `Retry-After` given in seconds (the form services and proxies send; an HTTP date is
/// not understood and leaves the policy's own backoff in charge).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_bounded_and_honour_retry_after() {
        let policy = RetryPolicy::default();
        for _ in 0..100 {
            let first = policy.delay(1, None).unwrap();
            assert!(first >= Duration::from_millis(125) && first <= Duration::from_millis(250));
            let second = policy.delay(2, None).unwrap();
            assert!(second >= Duration::from_millis(250) && second <= Duration::from_millis(500));
        }
        assert_eq!(policy.delay(3, None), None);
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.delay(1, Some(Duration::from_secs(60))), None);
        let huge = RetryPolicy {
            max_retries: u32::MAX,
            ..RetryPolicy::default()
        };
        assert!(huge.delay(u32::MAX, None).unwrap() <= Duration::from_secs(10));
        assert!(!RetryPolicy::none().applies_to("GET"));
        assert!(!policy.applies_to("POST"));
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
