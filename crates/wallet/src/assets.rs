//! The page and its assets, compiled into the binary (no CDN, no network at run time).

use crate::WalletError;
use axum::extract::Path;
use axum::http::header;
use axum::response::{Html, IntoResponse};

/// (name, content type, content).
const FILES: &[(&str, &str, &str)] = &[
    (
        "wallet.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/wallet.js"),
    ),
    (
        "l2.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/l2.js"),
    ),
    (
        "wallet.css",
        "text/css; charset=utf-8",
        include_str!("../assets/wallet.css"),
    ),
    (
        "zkr-crypto.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/zkr-crypto.js"),
    ),
];

/// What the page may load and run: its own scripts (and the WebAssembly of circomlibjs), its
/// own styles, requests to its own origin; no frame may embed it (it holds an L2 key).
const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                   img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// The single page.
pub async fn index() -> impl IntoResponse {
    (
        [
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(include_str!("../assets/index.html")),
    )
}

/// An asset by name.
pub async fn file(Path(name): Path<String>) -> Result<impl IntoResponse, WalletError> {
    let (_, kind, body) = FILES
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| WalletError::NotFound(format!("asset {name}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, *kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        *body,
    ))
}
