//! Errors of the wallet's routes and how they answer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What can go wrong serving the wallet page.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// No such asset.
    #[error("not found: {0}")]
    NotFound(String),
    /// The node's JSON-RPC did not answer (the address and cause are logged, not answered).
    #[error("the zkr node is unreachable")]
    NodeUnreachable {
        /// The node's URL.
        url: String,
        /// What failed.
        why: String,
    },
    /// A request that is not `Content-Type: application/json`.
    #[error("JSON-RPC requests must be Content-Type: application/json")]
    NotJson,
}

impl IntoResponse for WalletError {
    fn into_response(self) -> Response {
        let status = match &self {
            WalletError::NotFound(_) => StatusCode::NOT_FOUND,
            WalletError::NodeUnreachable { .. } => StatusCode::BAD_GATEWAY,
            WalletError::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        };
        (
            status,
            axum::Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}
