//! Counting the threads spawned between two points, with `std::thread::ThreadId`, which the
//! standard library numbers from a process-wide counter as each thread is spawned: the
//! numbers of a thread spawned before and of one spawned after tell how many threads were
//! spawned in between, however short-lived. Shared by tests/keep_alive.rs (through
//! `common`) and benches/call_rate.rs (by `#[path]`).

/// The number std gave the current thread (`ThreadId(7)` is 7).
pub fn thread_number() -> u64 {
    let id = format!("{:?}", std::thread::current().id());
    id.trim_start_matches("ThreadId(")
        .trim_end_matches(')')
        .parse()
        .unwrap_or_else(|_| panic!("a thread id shown as ThreadId(N), not {id}"))
}

/// The number of a thread spawned now: one more than that of the last thread spawned.
pub fn next_thread_number() -> u64 {
    std::thread::spawn(thread_number).join().expect("probe")
}
