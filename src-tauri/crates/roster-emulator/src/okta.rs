//! The emulated okta API. (Being written.)
use crate::State;
use std::sync::Arc;

/// The API's routes.
pub fn router(_state: Arc<State>) -> axum::Router {
    axum::Router::new()
}
