//! Errors of the wallet's routes and how they answer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What can go wrong serving the wallet page.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// No such asset.
    #[error("not found: {0}")]
    NotFound(String),
    /// The node's JSON-RPC did not answer.
    #[error("the zkr node at {url} is unreachable: {why}")]
    NodeUnreachable {
        /// The node's URL.
        url: String,
        /// What failed.
        why: String,
    },
}

impl IntoResponse for WalletError {
    fn into_response(self) -> Response {
        let status = match &self {
            WalletError::NotFound(_) => StatusCode::NOT_FOUND,
            WalletError::NodeUnreachable { .. } => StatusCode::BAD_GATEWAY,
        };
        (
            status,
            axum::Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}
