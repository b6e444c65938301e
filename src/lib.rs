//! runaway: stops runaway spend of AI agent fleets while it happens.
//!
//! The crate is a pure detection core (`event`, `pricing`, `policy`,
//! `detect`, `signal`, `engine`) wrapped by thin shells that move bytes
//! (`file_mode`, and the Kafka and archive shells). See
//! `docs/ARCHITECTURE.md` for the codemap and the invariants.

pub mod archive;
pub mod cli;
pub mod config;
pub mod detect;
pub mod engine;
pub mod eval;
pub mod event;
pub mod file_mode;
pub mod kafka;
pub mod metrics;
pub mod offline;
pub mod policy;
pub mod pricing;
pub mod reload;
pub mod signal;
pub mod sim;
pub mod sink;
pub mod summary;

pub use detect::{Charge, Detector, EventKeys, Outcome};
pub use engine::{DeadLetter, Engine, PricedEvent, Processed, SourcePos};
pub use event::{decode, DecodeError, Event, EventKind, Status};
pub use policy::Policy;
pub use pricing::Catalog;
pub use signal::{Action, Reason, Scope, Signal};
