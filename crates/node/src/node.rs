//! The node: the block producer and the RPC server as tasks with a stop signal.

use crate::rpc::{Shared, module};
use crate::{NodeError, Sequencer};
use jsonrpsee::server::{Server, ServerConfig, ServerHandle};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use zkr_state::ChainConfig;
use zkr_state::storage::RedbStorage;

/// Largest JSON-RPC request body accepted (bytes).
pub const MAX_REQUEST_BYTES: u32 = 256 * 1024;

/// What a node needs to start.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Where the state and records live (`state.redb`).
    pub data_dir: PathBuf,
    /// HTTP JSON-RPC address (port 0 picks a free one).
    pub http_addr: SocketAddr,
    /// L2 block time.
    pub block_time: Duration,
    /// Chain parameters.
    pub chain: ChainConfig,
}

/// A running node.
pub struct Node {
    /// The sequencer shared with the RPC handlers.
    pub sequencer: Shared<RedbStorage>,
    /// The bound RPC address.
    pub http_addr: SocketAddr,
    rpc: ServerHandle,
    stop: watch::Sender<bool>,
    producer: JoinHandle<()>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("http_addr", &self.http_addr)
            .finish_non_exhaustive()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Node {
    /// Opens the state under `data_dir` (replaying its mempool) and starts the tasks.
    pub async fn start(config: NodeConfig) -> Result<Node, NodeError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| NodeError::Rpc(format!("{}: {e}", config.data_dir.display())))?;
        let storage = RedbStorage::open(&config.data_dir.join("state.redb"))?;
        let sequencer: Shared<RedbStorage> =
            Arc::new(Mutex::new(Sequencer::open(storage, config.chain)?));
        let server_config = ServerConfig::builder()
            .max_request_body_size(MAX_REQUEST_BYTES)
            .build();
        let server = Server::builder()
            .set_config(server_config)
            .build(config.http_addr)
            .await
            .map_err(|e| NodeError::Rpc(format!("binding {}: {e}", config.http_addr)))?;
        let http_addr = server
            .local_addr()
            .map_err(|e| NodeError::Rpc(e.to_string()))?;
        let rpc = server.start(module(sequencer.clone())?);
        let (stop, mut stopped) = watch::channel(false);
        let seq = sequencer.clone();
        let block_time = config.block_time;
        let producer = tokio::spawn(async move {
            let mut tick = tokio::time::interval(block_time);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped.changed() => break,
                }
                let sealed = seq
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .seal_block(now());
                match sealed {
                    Ok(Some(b)) => {
                        tracing::info!(target: "zkr::sequencer", block = b.number, txs = b.txs.len(), "sealed L2 block")
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::error!(target: "zkr::sequencer", error = %e, "sealing failed")
                    }
                }
            }
            // Seal what was accepted before stopping (it would be replayed anyway).
            let _ = seq
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .seal_block(now());
        });
        Ok(Node {
            sequencer,
            http_addr,
            rpc,
            stop,
            producer,
        })
    }

    /// Stops the block producer (sealing the open block) and the RPC server.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.producer.await;
        let _ = self.rpc.stop();
        self.rpc.stopped().await;
    }
}
