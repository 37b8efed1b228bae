//! Prometheus metrics of the node (`zkr node --metrics <addr>` serves them at `/metrics`), with
//! the Prometheus project's own client library. Every metric is listed in
//! `docs/operations.md`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// A rejection's JSON-RPC error code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    /// The code (`docs/operations.md`, "Error codes").
    pub code: i32,
}

/// What was sealed.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SealLabel {
    /// `block`, or `batch` for a seal that also closed the batch.
    pub kind: &'static str,
}

/// An L1 transaction kind, or a batch status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StepLabel {
    /// `commit`, `prove`, `execute` (transactions); `committed`, `proven`, `executed`
    /// (statuses on L1).
    pub step: &'static str,
}

/// The node's metrics.
pub struct Metrics {
    registry: Registry,
    /// L2 transactions `zkr_sendTx` accepted.
    pub txs_accepted: Counter,
    /// L2 transactions refused, by error code.
    pub txs_rejected: Family<CodeLabel, Counter>,
    /// Operations in the open block.
    pub mempool_size: Gauge,
    /// Seconds to seal a block (and close its batch) in memory, under the sequencer's lock.
    pub seal_seconds: Family<SealLabel, Histogram>,
    /// Seconds of each storage write of the single durable writer (kind=block when it held a
    /// sealed block, kind=mempool for accepted operations' entries alone).
    pub write_seconds: Family<SealLabel, Histogram>,
    /// Seconds to prove a batch (witness and proof).
    pub proving_seconds: Histogram,
    /// Batches sealed by the node.
    pub batches_sealed: Gauge,
    /// Batches per status on L1 (the contract's counters).
    pub l1_batches: Family<StepLabel, Gauge>,
    /// L1 transactions the operator had mined, by kind.
    pub l1_txs: Family<StepLabel, Counter>,
    /// L1 gas those transactions used.
    pub l1_gas: Counter,
    /// Wei those transactions paid (gas used times effective gas price).
    pub l1_fees_wei: Counter<f64, AtomicU64>,
    /// L1 blocks between the head and the last block the watcher has read.
    pub watcher_lag_blocks: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Fresh metrics, registered under the `zkr_` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("zkr");
        let m = Metrics {
            registry: Registry::default(),
            txs_accepted: Counter::default(),
            txs_rejected: Family::default(),
            mempool_size: Gauge::default(),
            seal_seconds: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0005, 2.0, 14))
            }),
            write_seconds: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0001, 2.0, 16))
            }),
            proving_seconds: Histogram::new(exponential_buckets(0.5, 2.0, 12)),
            batches_sealed: Gauge::default(),
            l1_batches: Family::default(),
            l1_txs: Family::default(),
            l1_gas: Counter::default(),
            l1_fees_wei: Counter::default(),
            watcher_lag_blocks: Gauge::default(),
        };
        registry.register(
            "txs_accepted",
            "L2 transactions zkr_sendTx accepted",
            m.txs_accepted.clone(),
        );
        registry.register(
            "txs_rejected",
            "L2 transactions zkr_sendTx refused, by JSON-RPC error code",
            m.txs_rejected.clone(),
        );
        registry.register(
            "mempool_size",
            "Operations in the open L2 block",
            m.mempool_size.clone(),
        );
        registry.register(
            "seal_seconds",
            "Seconds to seal an L2 block (kind=batch when it also closed the batch)",
            m.seal_seconds.clone(),
        );
        registry.register(
            "storage_write_seconds",
            "Seconds of each storage write (kind=block when it held a sealed L2 block, kind=mempool for accepted operations alone)",
            m.write_seconds.clone(),
        );
        registry.register(
            "proving_seconds",
            "Seconds to prove a batch (witness and Groth16 proof)",
            m.proving_seconds.clone(),
        );
        registry.register(
            "batches_sealed",
            "Batches the node has sealed",
            m.batches_sealed.clone(),
        );
        registry.register(
            "l1_batches",
            "Batches per status on L1 (the rollup's counters)",
            m.l1_batches.clone(),
        );
        registry.register(
            "l1_txs",
            "The operator's L1 transactions mined, by step",
            m.l1_txs.clone(),
        );
        registry.register(
            "l1_gas",
            "L1 gas the operator's transactions used",
            m.l1_gas.clone(),
        );
        registry.register(
            "l1_fees_wei",
            "Wei the operator's L1 transactions paid",
            m.l1_fees_wei.clone(),
        );
        registry.register(
            "watcher_lag_blocks",
            "L1 blocks between the head and the last one the watcher read",
            m.watcher_lag_blocks.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// A mined operator transaction: its gas and fee.
    pub fn l1_mined(&self, step: &'static str, gas: u64, effective_gas_price: u128) {
        self.l1_txs.get_or_create(&StepLabel { step }).inc();
        self.l1_gas.inc_by(gas);
        self.l1_fees_wei
            .inc_by(gas as f64 * effective_gas_price as f64);
    }
}

/// Serves `/metrics` on `addr` until `stop` changes; returns the bound address.
pub async fn serve(
    metrics: Arc<Metrics>,
    addr: SocketAddr,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    use axum::http::header::CONTENT_TYPE;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(
                        CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    metrics.encode(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.changed().await;
            })
            .await;
    });
    Ok((bound, task))
}
