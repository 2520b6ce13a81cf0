//! Engine events to window events: `sync-progress` carries [`roster_api::json::ProgressEvent`].

use roster_api::json::ProgressEvent;
use tauri::{Emitter, Runtime};

/// Sends engine events to every window of the app.
pub struct WindowEvents<R: Runtime>(pub tauri::AppHandle<R>);

impl<R: Runtime> roster_engine_events::EventSink for WindowEvents<R> {
    fn emit(&self, event: roster_engine_events::Event) {
        match event {
            roster_engine_events::Event::Progress(p) => {
                if let Err(e) = self.0.emit("sync-progress", ProgressEvent::from(&p)) {
                    tracing::warn!("could not send progress to the window: {e}");
                }
            }
        }
    }
}

/// The engine's event types, through the application layer's re-exports.
mod roster_engine_events {
    pub use roster_api::{Event, EventSink};
}
