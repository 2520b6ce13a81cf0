//! The emulated authorization servers. (Being written.)
use crate::State;
use std::sync::Arc;

/// The authorization server's routes for `state.vendor`.
pub fn router(_state: Arc<State>) -> axum::Router {
    axum::Router::new()
}
