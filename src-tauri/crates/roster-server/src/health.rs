//! `GET /health`: `{"status":"ok"}` while the server is up, for load balancers, tunnels and tests.

use axum::routing::get;
use axum::{Json, Router};

/// The health route, to be added as a front door (`/health`, [`crate::plain_json`]).
pub fn routes() -> Router {
    Router::new().route(
        "/health",
        get(|| async { Json(serde_json::json!({"status": "ok"})) }),
    )
}
