//! Roster's domain: the users, groups and administrators a directory sync manages, the rules that decide
//! what a sync changes, and the contract every directory connector fulfils.
//!
//! What this crate owns:
//! - the domain types ([`model`]): statuses, admin roles, attribute mappings, directory-sync settings;
//! - the connector contract ([`source`]): what a directory returns, and the [`source::Connector`] trait;
//! - the pure attribute mapping ([`mapping`]) and the pure, deterministic planner ([`plan`]) that turns
//!   "what the store holds" plus "what the directory returned" into a list of changes;
//! - the injected clock ([`clock`]).
//!
//! What it must not do: any I/O. No SQLite, no network, no Tauri, no reading the system clock in logic.
//! The store applies plans, the engine runs connectors, front doors call the application layer.
//!
//! How to add a rule: add the case to [`plan`], give it an [`plan::Action`] if it is a new kind of change,
//! and add a planner test whose assertion message says why the rule must hold.
#![deny(missing_docs)]

pub mod access;
pub mod clock;
pub mod edit;
pub mod group_status;
pub mod ids;
pub mod mapping;
pub mod model;
pub mod plan;
pub mod report;
pub mod source;

pub use clock::{Clock, SystemClock, Timestamp};
pub use group_status::GroupStatus;
pub use ids::{AdminId, DirectoryKey, GroupId, UserId};
pub use model::*;
pub use report::{Change, Conflict, Counts, EntryError, FieldChange, ObjectKind};
