//! The scheduler: one background task per directory sync, each with a mailbox.
//!
//! Each task waits for its next tick (every `interval`, default 30 minutes; the first one when the last
//! full sync is due), runs the sync through a [`ScheduledRun`], and waits again. Missed ticks are skipped
//! rather than run back to back. A run that failed for a transient reason is retried with exponential
//! backoff and jitter (1, 2, 4… minutes, never beyond the interval) in the named state
//! [`TaskState::Retrying`]. Pause, resume, run-now, a new interval and stop arrive through the mailbox.
//! Because a task runs its syncs one after another, a sync never overlaps itself through the scheduler;
//! the application layer also refuses overlapping manual runs.

use async_trait::async_trait;
use rand::Rng;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};

/// How a scheduled run went, as far as the scheduler cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunResult {
    /// Applied, held, or skipped: wait for the next tick.
    Done,
    /// Failed, and retrying later may help.
    TransientFailure,
    /// Failed, and retrying will not help until someone acts: wait for the next tick.
    PermanentFailure,
}

/// What the scheduler calls to run a sync (the application layer implements it).
#[async_trait]
pub trait ScheduledRun: Send + Sync + 'static {
    /// Runs the sync with this key once.
    async fn run(&self, key: &str) -> RunResult;
}

/// A task's state, for status displays and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Waiting for the next tick.
    Idle,
    /// Paused: no scheduled runs.
    Paused,
    /// A run is in progress.
    Running,
    /// Waiting to retry after a transient failure.
    Retrying {
        /// Failed attempts so far.
        attempt: u32,
    },
}

/// How one directory sync is scheduled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Directory key.
    pub key: String,
    /// Interval between runs.
    pub interval: Duration,
    /// Paused.
    pub paused: bool,
    /// Delay before the first run (0 when a sync is overdue); `None` for a new sync whose schedule has
    /// not started: it waits for a run-now or for a new schedule.
    pub first_in: Option<Duration>,
}

enum Command {
    RunNow,
    Pause,
    Resume,
    Interval(Duration),
    Stop,
}

struct Task {
    tx: mpsc::UnboundedSender<Command>,
    handle: JoinHandle<()>,
}

/// The background scheduler.
pub struct Scheduler {
    runner: Arc<dyn ScheduledRun>,
    /// The runtime tasks are spawned on. Captured at creation, because `schedule` may be called from a
    /// thread outside the runtime (a desktop command adding a directory sync runs on the UI thread).
    runtime: tokio::runtime::Handle,
    tasks: Mutex<HashMap<String, Task>>,
    states: Arc<Mutex<HashMap<String, TaskState>>>,
    base_retry: Duration,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").finish_non_exhaustive()
    }
}

impl Scheduler {
    /// A scheduler with no tasks, running them on `runtime`. `base_retry` is the first backoff delay
    /// (one minute in the app).
    pub fn new(
        runner: Arc<dyn ScheduledRun>,
        base_retry: Duration,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        Scheduler {
            runner,
            runtime,
            tasks: Mutex::new(HashMap::new()),
            states: Arc::new(Mutex::new(HashMap::new())),
            base_retry,
        }
    }

    fn tasks(&self) -> std::sync::MutexGuard<'_, HashMap<String, Task>> {
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts (or restarts) the task of one directory sync; callable from any thread.
    pub fn schedule(&self, s: Schedule) {
        let (tx, rx) = mpsc::unbounded_channel();
        let runner = self.runner.clone();
        let states = self.states.clone();
        let base_retry = self.base_retry;
        let key = s.key.clone();
        let handle = self.runtime.spawn(task(runner, states, s, rx, base_retry));
        if let Some(old) = self.tasks().insert(key, Task { tx, handle }) {
            let _ = old.tx.send(Command::Stop);
        }
    }

    fn send(&self, key: &str, cmd: Command) -> bool {
        self.tasks()
            .get(key)
            .is_some_and(|t| t.tx.send(cmd).is_ok())
    }

    /// Asks the task to run now (it runs after any run in progress). Returns false if there is no task.
    pub fn run_now(&self, key: &str) -> bool {
        self.send(key, Command::RunNow)
    }
    /// Pauses scheduled runs.
    pub fn pause(&self, key: &str) -> bool {
        self.send(key, Command::Pause)
    }
    /// Resumes scheduled runs.
    pub fn resume(&self, key: &str) -> bool {
        self.send(key, Command::Resume)
    }
    /// Changes the interval.
    pub fn set_interval(&self, key: &str, interval: Duration) -> bool {
        self.send(key, Command::Interval(interval))
    }
    /// Stops one task (the directory sync was deleted).
    pub fn unschedule(&self, key: &str) {
        if let Some(t) = self.tasks().remove(key) {
            let _ = t.tx.send(Command::Stop);
        }
    }

    /// The state of a task.
    pub fn state(&self, key: &str) -> Option<TaskState> {
        self.states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .copied()
    }

    /// Stops every task, waiting at most `timeout` for runs in progress to finish; tasks still running
    /// then are aborted (their transaction rolls back, so nothing half-applied remains).
    pub async fn stop(&self, timeout: Duration) {
        let tasks: Vec<Task> = self.tasks().drain().map(|(_, t)| t).collect();
        for t in &tasks {
            let _ = t.tx.send(Command::Stop);
        }
        let deadline = Instant::now() + timeout;
        for t in tasks {
            let abort = t.handle.abort_handle();
            if tokio::time::timeout_at(deadline, t.handle).await.is_err() {
                abort.abort();
            }
        }
    }
}

fn set_state(states: &Mutex<HashMap<String, TaskState>>, key: &str, s: TaskState) {
    states
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(key.to_string(), s);
}

/// The backoff before retry `attempt` (1-based): base * 2^(attempt-1), capped at `cap`, plus up to 10%
/// jitter so many syncs failing together do not retry together.
pub fn backoff(base: Duration, attempt: u32, cap: Duration, jitter: f64) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let d = exp.min(cap);
    d + d.mul_f64(jitter.clamp(0.0, 1.0) * 0.1)
}

async fn task(
    runner: Arc<dyn ScheduledRun>,
    states: Arc<Mutex<HashMap<String, TaskState>>>,
    s: Schedule,
    mut rx: mpsc::UnboundedReceiver<Command>,
    base_retry: Duration,
) {
    let key = s.key;
    let mut interval = s.interval.max(Duration::from_secs(60));
    let mut paused = s.paused;
    let mut attempt = 0u32;
    // A schedule that has not started ticks never (until a run-now starts it).
    let mut waiting = s.first_in.is_none();
    let mut next = Instant::now() + s.first_in.unwrap_or(interval);
    set_state(
        &states,
        &key,
        if paused {
            TaskState::Paused
        } else {
            TaskState::Idle
        },
    );
    loop {
        let mut run = false;
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(Command::RunNow) => run = true,
                Some(Command::Pause) => { paused = true; set_state(&states, &key, TaskState::Paused); }
                Some(Command::Resume) => {
                    paused = false;
                    set_state(&states, &key, TaskState::Idle);
                    if next < Instant::now() { next = Instant::now(); }
                }
                Some(Command::Interval(i)) => {
                    let i = i.max(Duration::from_secs(60));
                    next = next.checked_sub(interval).unwrap_or(next) + i;
                    interval = i;
                }
                Some(Command::Stop) | None => break,
            },
            _ = sleep_until(next), if !paused && !waiting => run = true,
        }
        if !run {
            continue;
        }
        set_state(&states, &key, TaskState::Running);
        let result = runner.run(&key).await;
        waiting = false; // a schedule starts with its first run

        let now = Instant::now();
        match result {
            RunResult::TransientFailure => {
                attempt += 1;
                let jitter: f64 = rand::rng().random();
                next = now + backoff(base_retry, attempt, interval, jitter);
                set_state(&states, &key, TaskState::Retrying { attempt });
            }
            RunResult::Done | RunResult::PermanentFailure => {
                attempt = 0;
                // Missed ticks are skipped: the next run is one interval after this one ended.
                next = now + interval;
                set_state(
                    &states,
                    &key,
                    if paused {
                        TaskState::Paused
                    } else {
                        TaskState::Idle
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Counting {
        runs: AtomicU32,
        fail_first: u32,
    }

    #[async_trait]
    impl ScheduledRun for Counting {
        async fn run(&self, _key: &str) -> RunResult {
            let n = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_secs(5)).await; // a run takes time
            if n <= self.fail_first {
                RunResult::TransientFailure
            } else {
                RunResult::Done
            }
        }
    }

    fn sched(fail_first: u32) -> (Arc<Counting>, Scheduler) {
        let c = Arc::new(Counting {
            runs: AtomicU32::new(0),
            fail_first,
        });
        let s = Scheduler::new(
            c.clone(),
            Duration::from_secs(60),
            tokio::runtime::Handle::current(),
        );
        (c, s)
    }

    const MIN: u64 = 60;

    /// Moves paused time forward one second at a time, letting the scheduler's task run to a standstill
    /// after each step (the test runtime is single-threaded, so this is deterministic).
    async fn advance(secs: u64) {
        for _ in 0..secs {
            tokio::time::advance(Duration::from_secs(1)).await;
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_sync_waits_for_its_first_run_then_runs_every_interval() {
        let (c, s) = sched(0);
        s.schedule(Schedule {
            key: "new".into(),
            interval: Duration::from_secs(30 * MIN),
            paused: false,
            first_in: None,
        });
        advance(3 * 60 * MIN).await;
        assert_eq!(
            c.runs.load(Ordering::SeqCst),
            0,
            "a sync whose schedule has not started never runs by itself"
        );
        assert!(s.run_now("new"));
        advance(10).await;
        assert_eq!(c.runs.load(Ordering::SeqCst), 1, "the first run starts it");
        advance(30 * MIN + 10).await;
        assert_eq!(
            c.runs.load(Ordering::SeqCst),
            2,
            "and from then on it runs every interval"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn runs_every_interval_and_skips_missed_ticks() {
        let (c, s) = sched(0);
        s.schedule(Schedule {
            key: "k".into(),
            interval: Duration::from_secs(30 * MIN),
            paused: false,
            first_in: Some(Duration::ZERO),
        });
        advance(10).await;
        assert_eq!(
            c.runs.load(Ordering::SeqCst),
            1,
            "a sync that never ran runs at once"
        );
        advance(30 * MIN - 20).await;
        assert_eq!(
            c.runs.load(Ordering::SeqCst),
            1,
            "not again before the interval has passed since the run ended"
        );
        advance(30).await;
        assert_eq!(c.runs.load(Ordering::SeqCst), 2, "again after 30 minutes");
        s.stop(Duration::from_secs(5)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn pause_resume_and_run_now() {
        let (c, s) = sched(0);
        s.schedule(Schedule {
            key: "k".into(),
            interval: Duration::from_secs(30 * MIN),
            paused: true,
            first_in: Some(Duration::ZERO),
        });
        advance(2 * 30 * MIN).await;
        assert_eq!(
            c.runs.load(Ordering::SeqCst),
            0,
            "a paused sync never runs on schedule"
        );
        assert_eq!(s.state("k"), Some(TaskState::Paused));
        assert!(s.run_now("k"));
        advance(10).await;
        assert_eq!(
            c.runs.load(Ordering::SeqCst),
            1,
            "Sync Now runs even while paused"
        );
        s.resume("k");
        advance(30 * MIN + 10).await;
        assert_eq!(
            c.runs.load(Ordering::SeqCst),
            2,
            "resumed, it runs on schedule again"
        );
        s.stop(Duration::from_secs(5)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_retry_with_backoff() {
        let (c, s) = sched(2);
        s.schedule(Schedule {
            key: "k".into(),
            interval: Duration::from_secs(30 * MIN),
            paused: false,
            first_in: Some(Duration::ZERO),
        });
        advance(10).await;
        assert_eq!(c.runs.load(Ordering::SeqCst), 1);
        assert_eq!(
            s.state("k"),
            Some(TaskState::Retrying { attempt: 1 }),
            "a transient failure is a named retrying state"
        );
        advance(MIN + 10).await; // 1 minute (+ up to 10% jitter)
        assert_eq!(
            c.runs.load(Ordering::SeqCst),
            2,
            "first retry after about a minute"
        );
        advance(MIN).await;
        assert_eq!(
            c.runs.load(Ordering::SeqCst),
            2,
            "the second retry waits twice as long"
        );
        advance(MIN + 20).await;
        assert_eq!(
            c.runs.load(Ordering::SeqCst),
            3,
            "second retry after about two minutes"
        );
        assert_eq!(
            s.state("k"),
            Some(TaskState::Idle),
            "success ends the retrying state"
        );
        s.stop(Duration::from_secs(5)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn runs_never_overlap_and_stop_is_prompt() {
        let (c, s) = sched(0);
        s.schedule(Schedule {
            key: "k".into(),
            interval: Duration::from_secs(30 * MIN),
            paused: false,
            first_in: Some(Duration::ZERO),
        });
        tokio::time::advance(Duration::from_millis(10)).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        s.run_now("k");
        s.run_now("k");
        advance(4).await;
        assert_eq!(
            c.runs.load(Ordering::SeqCst),
            1,
            "Sync Now during a run waits for it to end"
        );
        advance(20).await;
        assert_eq!(
            c.runs.load(Ordering::SeqCst),
            3,
            "then the queued requests run one after another"
        );
        let t0 = Instant::now();
        s.stop(Duration::from_secs(5)).await;
        assert!(
            Instant::now() - t0 <= Duration::from_secs(5),
            "stop waits at most its timeout"
        );
        assert!(!s.run_now("k"), "a stopped scheduler has no tasks");
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Duration::from_secs(60);
        let cap = Duration::from_secs(1800);
        assert_eq!(backoff(b, 1, cap, 0.0), Duration::from_secs(60));
        assert_eq!(
            backoff(b, 3, cap, 0.0),
            Duration::from_secs(240),
            "1, 2, 4 minutes"
        );
        assert_eq!(backoff(b, 10, cap, 0.0), cap, "never beyond the interval");
        assert_eq!(
            backoff(b, 1, cap, 1.0),
            Duration::from_secs(66),
            "jitter adds at most 10%"
        );
    }
}
