//! The zkr browser wallet: a page the node serves beside the explorer, at `/wallet`.
//!
//! The page talks to the user's injected Ethereum wallet (EIP-1193: MetaMask or any other) for
//! everything on L1 (deposits, approvals, claims, the signature that derives the L2 key, the
//! EIP-712 authorization of that key) and signs L2 transactions itself, in the browser, with
//! circomlibjs (`web/crypto.js`, bundled into `assets/zkr-crypto.js`). It reaches the node's
//! JSON-RPC through [`router`]'s `POST /wallet/rpc`, which forwards to the node: one origin, no
//! CORS to configure.
//!
//! Every asset is compiled into the binary: the page needs no network beyond the node and the
//! wallet. The L2 private key lives in the page's memory only (see `docs/wallet.md`).

mod assets;
mod error;
mod proxy;

pub use error::WalletError;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::sync::Arc;

/// The largest JSON-RPC request the proxy forwards (the node's own limit).
pub const MAX_RPC_REQUEST_BYTES: usize = 256 * 1024;

/// Where the wallet page finds its node.
#[derive(Debug, Clone)]
pub struct WalletConfig {
    /// The node's JSON-RPC URL, as this process reaches it (e.g. `http://127.0.0.1:3050`).
    pub l2_rpc: String,
}

/// The wallet's routes: `GET /wallet` (the page), `GET /wallet/assets/{file}`, and
/// `POST /wallet/rpc` (the node's JSON-RPC, forwarded).
pub fn router(config: WalletConfig) -> Router {
    let proxy = Arc::new(proxy::Proxy::new(config.l2_rpc));
    Router::new()
        .route("/wallet", get(assets::index))
        .route("/wallet/", get(assets::index))
        .route("/wallet/assets/{file}", get(assets::file))
        .route(
            "/wallet/rpc",
            post(proxy::forward)
                .with_state(proxy)
                .layer(DefaultBodyLimit::max(MAX_RPC_REQUEST_BYTES)),
        )
}
