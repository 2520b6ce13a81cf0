//! Roster's sync engine: one run is fetch -> plan -> hold or apply; the scheduler runs them in the background.
//!
//! What it owns: the order of a run and its failure handling ([`run::run_sync`]), progress events
//! ([`Event`]), and the per-directory background tasks ([`scheduler::Scheduler`]).
//!
//! What it must not do: know about Tauri, HTTP, or how a connector is built. The application layer builds
//! the connector and the settings, and front doors turn events into whatever they show.
//!
//! Invariants: a run that fails or is held changes nothing but its own run record; a run that applies does
//! so in one store transaction; a preview writes nothing at all.

pub mod run;
pub mod scheduler;

pub use run::{run_sync, settings, summary, Mode, Outcome, RunReport, RunRequest};

use phase::Phase;

/// Progress of a run, for progress bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The tenant whose sync this is: a window shows only its open tenant's runs.
    pub tenant: String,
    /// The directory sync.
    pub directory_key: String,
    /// The run, once recorded (previews have none).
    pub run_id: Option<i64>,
    /// Phase.
    pub phase: Phase,
    /// Work done in this phase.
    pub done: u64,
    /// Work in this phase.
    pub total: u64,
    /// What is happening, in plain English.
    pub message: String,
}

/// What the engine tells front doors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A run moved forward.
    Progress(Progress),
}

/// Receives engine events (the desktop shell forwards them to the window).
pub trait EventSink: Send + Sync {
    /// Called for each event; must not block.
    fn emit(&self, event: Event);
}

/// Drops every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEvents;

impl EventSink for NoEvents {
    fn emit(&self, _event: Event) {}
}

/// The phases of a run.
pub mod phase {
    /// The phase of a run.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Phase {
        /// Reading the source directory.
        Fetching,
        /// Computing the changes.
        Planning,
        /// Writing them.
        Applying,
        /// Finished and applied (or previewed).
        Done,
        /// Held for approval.
        Held,
        /// Failed; nothing changed.
        Failed,
    }

    impl Phase {
        /// Wire name.
        pub fn as_str(self) -> &'static str {
            match self {
                Phase::Fetching => "fetching",
                Phase::Planning => "planning",
                Phase::Applying => "applying",
                Phase::Done => "done",
                Phase::Held => "held",
                Phase::Failed => "failed",
            }
        }
    }
}
