//! `POST /wallet/rpc`: the node's JSON-RPC, forwarded from the page's own origin.
//!
//! The request body goes to the node unchanged and the node's answer comes back unchanged
//! (status and body; the content type is `application/json` both ways): the node validates
//! everything, as it does for any client. When the node does not answer, the page gets a 502
//! with `{"error": "..."}`, which it shows as "node unreachable" (the node's address and the
//! cause go to the log, not to the page).

use crate::WalletError;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

/// How long the node may take to answer one request.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The node's URL and a client with its connection pool.
pub struct Proxy {
    url: String,
    client: reqwest::Client,
}

impl Proxy {
    /// A proxy to the node's JSON-RPC at `url`.
    pub fn new(url: String) -> Proxy {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .unwrap_or_default();
        Proxy { url, client }
    }
}

/// Forwards one JSON-RPC request. Only `Content-Type: application/json` is taken: a cross-site
/// form or `text/plain` POST (which a browser sends without asking) is refused with 415, as the
/// node's own server refuses it.
pub async fn forward(State(proxy): State<Arc<Proxy>>, headers: HeaderMap, body: Bytes) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !json {
        return WalletError::NotJson.into_response();
    }
    match send(&proxy, body).await {
        Ok(r) => r,
        Err(e) => {
            if let WalletError::NodeUnreachable { url, why } = &e {
                tracing::warn!(target: "zkr::wallet", url, why, "wallet RPC proxy: the node did not answer");
            }
            e.into_response()
        }
    }
}

async fn send(proxy: &Proxy, body: Bytes) -> Result<Response, WalletError> {
    let unreachable = |e: reqwest::Error| WalletError::NodeUnreachable {
        url: proxy.url.clone(),
        why: e.to_string(),
    };
    let answer = proxy
        .client
        .post(&proxy.url)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(unreachable)?;
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let body = answer.bytes().await.map_err(unreachable)?;
    Ok((
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response())
}
