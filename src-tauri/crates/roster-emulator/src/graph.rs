//! The emulated graph API. (Being written.)
use crate::State;
use std::sync::Arc;

/// The API's routes.
pub fn router(_state: Arc<State>) -> axum::Router {
    axum::Router::new()
}
/// The emulated tenant's primary domain.
pub const TENANT_DOMAIN: &str = "northwind.onmicrosoft.com";
