//! The page and its assets, compiled into the binary (no CDN, no network at run time).

use crate::ExplorerError;
use axum::extract::Path;
use axum::http::header;
use axum::response::{Html, IntoResponse};

/// (name, content type, content).
const FILES: &[(&str, &str, &str)] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../assets/style.css"),
    ),
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/vendor/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_str!("../assets/vendor/uPlot.min.css"),
    ),
];

/// The single page (every view is routed in the browser: `#/tx/0x...`, `#/batch/3`, ...).
pub async fn index() -> Html<&'static str> {
    Html(include_str!("../assets/index.html"))
}

/// An asset by name.
pub async fn file(Path(name): Path<String>) -> Result<impl IntoResponse, ExplorerError> {
    let (_, kind, body) = FILES
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| ExplorerError::NotFound(format!("asset {name}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, *kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        *body,
    ))
}
