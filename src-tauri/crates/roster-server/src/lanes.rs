//! Lanes: one thread per SCIM integration that has written lately, running its writes one at a time, in
//! the order they arrived.
//!
//! Why a thread of its own: a push blocks (the store is synchronous) and, for its tenant, runs one at a
//! time anyway (SQLite has one writer). Run on tokio's workers through `block_in_place`, each request
//! handed the worker's scheduler to another thread, so the work rotated over twenty-odd threads whose
//! allocator heaps were cold each time (a profile put about 5% of the server's time on cache misses in
//! the allocator's fast path); run inline, a push waiting for a long sync's write lock would
//! hold a worker, and two would stop the server. A lane stays warm, waits for the write lock without
//! holding a worker, keeps one integration's writes in arrival order (the standard mutex they would
//! otherwise wait on is not fair), and a tenant whose write lock a sync holds delays only its own pushes.
//!
//! Invariants:
//! - A lane is opened only for an integration whose bearer token was checked (the caller authenticates
//!   first), so a client cannot make threads by naming keys.
//! - A job whose requester stopped waiting (the request's time ran out, or the client went away) before
//!   it started is not run: a request answered with a refusal changes nothing.
//! - A lane that has had nothing to do for [`Lanes::IDLE`] ends; a job sent at that moment is run by it or
//!   by a new lane, never lost (senders and the ending lane agree under one lock). Once [`Lanes`] is
//!   dropped (the server stopped), each lane runs what it was sent and ends.
//! - A panic in a job ends that job only (the lane catches it): its requester sees its answer's channel
//!   closed, and answers 500.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

/// Work a lane runs.
pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// The open lanes, by integration (directory key).
#[derive(Default)]
pub(crate) struct Lanes {
    open: Arc<Mutex<Open>>,
}

#[derive(Default)]
struct Open {
    by_key: HashMap<String, Lane>,
    /// Tells an ending lane's entry from its successor's under the same key.
    next_id: u64,
}

struct Lane {
    id: u64,
    jobs: Sender<Job>,
}

fn lock(open: &Mutex<Open>) -> MutexGuard<'_, Open> {
    open.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Lanes {
    /// How long a lane waits for work before it ends.
    pub(crate) const IDLE: Duration = Duration::from_secs(30);

    /// Sends `job` to `key`'s lane, opening one if none is open. Gives the job back when no thread could
    /// be started for it (the caller runs it some other way).
    pub(crate) fn send(&self, key: &str, job: Job) -> Result<(), Job> {
        self.send_idle(key, job, Self::IDLE)
    }

    fn send_idle(&self, key: &str, job: Job, idle: Duration) -> Result<(), Job> {
        let mut open = lock(&self.open);
        let job = match open.by_key.get(key) {
            Some(lane) => match lane.jobs.send(job) {
                Ok(()) => return Ok(()),
                // Its thread is gone. A lane removes its entry before it ends, so this is a safety net.
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let (jobs, queue) = mpsc::channel::<Job>();
        let id = open.next_id;
        open.next_id += 1;
        // Weak: the lanes' senders live in `Open`, so that dropping `Lanes` disconnects every lane.
        let shared = Arc::downgrade(&self.open);
        let owner = key.to_string();
        let started = std::thread::Builder::new()
            .name("roster-scim-lane".into())
            .spawn(move || run(&shared, &owner, id, &queue, idle));
        if started.is_err() {
            return Err(job);
        }
        // The receiver is alive until the thread ends, and it cannot end before it takes the lock held here.
        let _ = jobs.send(job);
        open.by_key.insert(key.to_string(), Lane { id, jobs });
        Ok(())
    }

    /// How many lanes are open.
    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.open).by_key.len()
    }
}

/// A lane's thread: runs jobs until it has been idle for `idle`, or its [`Lanes`] is gone.
fn run(open: &Weak<Mutex<Open>>, key: &str, id: u64, queue: &Receiver<Job>, idle: Duration) {
    loop {
        match queue.recv_timeout(idle) {
            Ok(job) => run_one(job),
            Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {
                let Some(open) = open.upgrade() else {
                    // `Lanes` is gone: run what was sent meanwhile, then end.
                    while let Ok(job) = queue.try_recv() {
                        run_one(job);
                    }
                    return;
                };
                // Senders send under this lock: once the queue is seen empty here and the entry removed,
                // nothing more can arrive.
                let mut open = lock(&open);
                match queue.try_recv() {
                    Ok(job) => {
                        drop(open);
                        run_one(job);
                    }
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => {
                        if open.by_key.get(key).is_some_and(|lane| lane.id == id) {
                            open.by_key.remove(key);
                        }
                        return;
                    }
                }
            }
        }
    }
}

fn run_one(job: Job) {
    // What the job owned (its answer's sender among it) is dropped as the panic unwinds.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    fn wait_until(what: impl Fn() -> bool) {
        for _ in 0..500 {
            if what() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("timed out waiting");
    }

    #[test]
    fn a_lanes_jobs_run_one_at_a_time_in_the_order_sent_on_one_thread() {
        let lanes = Lanes::default();
        let (tx, rx) = channel();
        for i in 0..200 {
            let tx = tx.clone();
            let job: Job = Box::new(move || {
                tx.send((i, std::thread::current().id())).unwrap();
            });
            assert!(lanes.send("DSA", job).is_ok());
        }
        let got: Vec<_> = (0..200).map(|_| rx.recv().unwrap()).collect();
        assert_eq!(
            got.iter().map(|g| g.0).collect::<Vec<_>>(),
            (0..200).collect::<Vec<_>>()
        );
        assert!(got.iter().all(|g| g.1 == got[0].1), "one thread per lane");
        assert_ne!(got[0].1, std::thread::current().id());
        assert_eq!(lanes.len(), 1);
    }

    #[test]
    fn two_integrations_get_two_lanes_and_one_waiting_does_not_hold_the_other() {
        let lanes = Lanes::default();
        let (release, held) = channel::<()>();
        let blocked: Job = Box::new(move || {
            let _ = held.recv();
        });
        assert!(lanes.send("DSA", blocked).is_ok());
        let (tx, rx) = channel();
        let other: Job = Box::new(move || tx.send(()).unwrap());
        assert!(lanes.send("DSB", other).is_ok());
        rx.recv_timeout(Duration::from_secs(5))
            .expect("DSB's job ran while DSA's lane was busy");
        assert_eq!(lanes.len(), 2);
        release.send(()).unwrap();
    }

    #[test]
    fn an_idle_lane_ends_and_the_next_job_opens_another() {
        let lanes = Lanes::default();
        let (tx, rx) = channel();
        let first = tx.clone();
        let job: Job = Box::new(move || first.send(std::thread::current().id()).unwrap());
        assert!(lanes
            .send_idle("DSA", job, Duration::from_millis(20))
            .is_ok());
        let one = rx.recv().unwrap();
        wait_until(|| lanes.len() == 0);
        let job: Job = Box::new(move || tx.send(std::thread::current().id()).unwrap());
        assert!(lanes
            .send_idle("DSA", job, Duration::from_millis(20))
            .is_ok());
        let two = rx.recv().unwrap();
        assert_ne!(one, two, "a new thread");
    }

    #[test]
    fn jobs_sent_while_lanes_end_are_all_run() {
        // Lanes that end after 1 ms, sent to in bursts with pauses around that length: every job runs once.
        let lanes = Lanes::default();
        let (tx, rx) = channel();
        let mut sent = 0;
        for round in 0..300 {
            for _ in 0..(round % 3) {
                let tx = tx.clone();
                let job: Job = Box::new(move || tx.send(()).unwrap());
                assert!(lanes
                    .send_idle("DSA", job, Duration::from_millis(1))
                    .is_ok());
                sent += 1;
            }
            std::thread::sleep(Duration::from_micros(200 * (round % 11)));
        }
        for _ in 0..sent {
            rx.recv_timeout(Duration::from_secs(5))
                .expect("every job runs");
        }
        assert!(rx.try_recv().is_err(), "and only once");
    }

    #[test]
    fn dropping_the_lanes_ends_each_lane_once_it_has_run_what_it_was_sent() {
        struct OnExit(std::sync::mpsc::Sender<&'static str>);
        impl Drop for OnExit {
            fn drop(&mut self) {
                let _ = self.0.send("ended");
            }
        }
        thread_local! {
            static GUARD: std::cell::RefCell<Option<OnExit>> = const { std::cell::RefCell::new(None) };
        }
        let lanes = Lanes::default();
        let (tx, rx) = channel();
        let (release, held) = channel::<()>();
        let ran = tx.clone();
        let first: Job = Box::new(move || {
            let _ = held.recv();
            GUARD.with(|g| *g.borrow_mut() = Some(OnExit(tx)));
        });
        let second: Job = Box::new(move || ran.send("second ran").unwrap());
        assert!(lanes.send("DSA", first).is_ok());
        assert!(lanes.send("DSA", second).is_ok());
        drop(lanes);
        release.send(()).unwrap();
        // Well before Lanes::IDLE (30 s): the lane ends because its senders are gone.
        let wait = Duration::from_secs(5);
        assert_eq!(rx.recv_timeout(wait).unwrap(), "second ran");
        assert_eq!(rx.recv_timeout(wait).unwrap(), "ended");
    }

    #[test]
    fn a_panicking_job_leaves_its_lane_running() {
        let lanes = Lanes::default();
        let job: Job = Box::new(|| panic!("a job's panic"));
        assert!(lanes.send("DSA", job).is_ok());
        let (tx, rx) = channel();
        let job: Job = Box::new(move || tx.send(()).unwrap());
        assert!(lanes.send("DSA", job).is_ok());
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
    }
}
