//! Errors of the explorer and how the API answers them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What can go wrong serving the explorer.
#[derive(Debug, thiserror::Error)]
pub enum ExplorerError {
    /// Nothing matches the request (an unknown hash, number or address).
    #[error("not found: {0}")]
    NotFound(String),
    /// The request is malformed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The node's records could not be read.
    #[error(transparent)]
    Node(#[from] zkr_node::NodeError),
    /// The state store could not be read.
    #[error(transparent)]
    Storage(#[from] zkr_state::storage::StorageError),
    /// The state could not be read.
    #[error(transparent)]
    State(#[from] zkr_state::StateError),
    /// L1 could not be read.
    #[error("L1: {0}")]
    L1(String),
    /// A stored record does not decode.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The server could not start.
    #[error("explorer server: {0}")]
    Server(String),
}

impl IntoResponse for ExplorerError {
    fn into_response(self) -> Response {
        let status = match &self {
            ExplorerError::NotFound(_) => StatusCode::NOT_FOUND,
            ExplorerError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ExplorerError::L1(_) => StatusCode::BAD_GATEWAY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (
            status,
            axum::Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}
