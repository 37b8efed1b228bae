//! The zkr explorer: a web page and a JSON API served by the node process on its own address
//! (`zkr node --explorer <addr>`, on by default in `zkr devnet`).
//!
//! - [`api`]: the HTTP routes (`/api/...`, documented in `docs/operations.md`) and the page.
//! - [`stats`]: totals kept up to date from the stored blocks (transactions, fees, rates, pool
//!   volumes).
//! - [`tvl`]: what the rollup holds on L1, read from L1, and the solvency check against the
//!   node's books; sampled into a history.
//!
//! Every asset is compiled into the binary: the page needs no network.

pub mod api;
mod assets;
pub mod error;
pub mod stats;
pub mod tvl;
mod view;

pub use error::ExplorerError;

use alloy_primitives::Address;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use zkr_node::pipeline::Shared;
use zkr_state::storage::RedbStorage;

/// Where the rollup is on L1, for the TVL.
#[derive(Debug, Clone)]
pub struct L1View {
    /// L1 JSON-RPC URL.
    pub rpc_url: String,
    /// The rollup contract.
    pub rollup: Address,
}

/// The explorer's settings.
#[derive(Debug, Clone)]
pub struct ExplorerConfig {
    /// Address to serve on.
    pub addr: SocketAddr,
    /// L1, when the node follows one (without it there is no TVL).
    pub l1: Option<L1View>,
    /// How often TVL and solvency are measured (and a point added to the TVL history).
    pub tvl_every: Duration,
    /// USD price per token symbol, for TVL in dollars (tokens without one show amounts).
    pub prices: BTreeMap<String, f64>,
    /// The browser wallet served beside the explorer at `/wallet` (`zkr-wallet`), when set.
    pub wallet: Option<zkr_wallet::WalletConfig>,
}

/// What the handlers share.
pub struct Context {
    /// The node's sequencer (records, tokens, pools).
    pub seq: Shared<RedbStorage>,
    /// The node's store, for consistent reads off the sequencer's lock.
    pub storage: RedbStorage,
    /// Settings.
    pub config: ExplorerConfig,
    /// Totals from the stored blocks.
    pub stats: Mutex<stats::Stats>,
    /// The last TVL measurement.
    pub tvl: Mutex<Option<tvl::TvlReport>>,
    /// Held while measuring TVL (one measurement at a time).
    pub measuring: tokio::sync::Mutex<()>,
}

/// A running explorer.
pub struct Explorer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Explorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Explorer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Explorer {
    /// Binds `config.addr` and serves the explorer over the node's sequencer.
    pub async fn start(
        seq: Shared<RedbStorage>,
        config: ExplorerConfig,
    ) -> Result<Explorer, ExplorerError> {
        let storage = zkr_node::pipeline::lock(&seq).state().storage().clone();
        let ctx = Arc::new(Context {
            seq,
            storage,
            config: config.clone(),
            stats: Mutex::new(stats::Stats::default()),
            tvl: Mutex::new(None),
            measuring: tokio::sync::Mutex::new(()),
        });
        stats::refresh(&ctx)?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| ExplorerError::Server(format!("binding {}: {e}", config.addr)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ExplorerError::Server(e.to_string()))?;
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        let mut app = api::router(ctx.clone());
        if let Some(w) = &config.wallet {
            app = zkr_wallet::router(w.clone()).merge(app);
        }
        let mut server_stop = stopped.clone();
        tasks.push(tokio::spawn(async move {
            let shutdown = async move {
                let _ = server_stop.changed().await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(target: "zkr::explorer", error = %e, "explorer server stopped");
            }
        }));
        tasks.push(tokio::spawn(stats::run(ctx.clone(), stopped.clone())));
        if config.l1.is_some() {
            tasks.push(tokio::spawn(tvl::run(ctx, stopped)));
        }
        Ok(Explorer { addr, stop, tasks })
    }

    /// The address it serves on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving and waits for its tasks.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Locks a mutex of the explorer (a panicked holder leaves data that is still whole).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Decodes a stored JSON record.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, ExplorerError> {
    serde_json::from_slice(b).map_err(|e| ExplorerError::Corrupt(e.to_string()))
}

/// Unix time in seconds.
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
