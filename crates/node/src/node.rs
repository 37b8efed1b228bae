//! The node: the block producer, the pipeline stages and the RPC server as tasks with a stop
//! signal.

use crate::limits::{SenderLimiter, TxRateLimit};
use crate::metrics::Metrics;
use crate::pipeline::prover::ProverJobs;
use crate::pipeline::{self, Shared, lock};
use crate::rpc::{ContractsInfo, module};
use crate::sequencer::{SequencerConfig, now_ms};
use crate::{NodeError, Sequencer};
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use jsonrpsee::server::{Server, ServerConfig, ServerHandle};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use zkr_circuit::CircuitKind;
use zkr_fleet::Queue;
use zkr_l1::sender::{Sender, SenderConfig};
use zkr_prover::KeyStore;
use zkr_state::storage::RedbStorage;
use zkr_state::{ChainConfig, State};

/// Largest JSON-RPC request body accepted (bytes).
pub const MAX_REQUEST_BYTES: u32 = 256 * 1024;

/// How the node follows and writes to L1.
#[derive(Clone)]
pub struct L1Config {
    /// L1 JSON-RPC URL.
    pub rpc_url: String,
    /// The rollup contract.
    pub rollup: Address,
    /// The rollup's deployment block.
    pub start_block: u64,
    /// Confirmations before an L1 event is taken.
    pub confirmations: u64,
    /// Polling interval of the watcher and the sender.
    pub poll: Duration,
    /// The operator's private key (commits batches). Never logged.
    pub operator_key: B256,
    /// Transaction sending.
    pub sender: SenderConfig,
}

impl std::fmt::Debug for L1Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("L1Config")
            .field("rpc_url", &self.rpc_url)
            .field("rollup", &self.rollup)
            .field("start_block", &self.start_block)
            .field("confirmations", &self.confirmations)
            .field("operator_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Where the prover fleet's jobs go (`zkr node --prover-queue`).
#[derive(Clone)]
pub struct ProverQueueConfig {
    /// The Postgres URL (`postgres://user:password@host:port/db`).
    pub url: String,
    /// Claims after which a job is given up (`failed`, shown by `zkr_getBatch`).
    pub max_attempts: u32,
}

impl std::fmt::Debug for ProverQueueConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // the URL may carry a password
        f.debug_struct("ProverQueueConfig")
            .field("url", &"<redacted>")
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// What a node needs to start.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Where the state and records live (`state.redb`, `prover.redb`).
    pub data_dir: PathBuf,
    /// HTTP JSON-RPC address (port 0 picks a free one).
    pub http_addr: SocketAddr,
    /// L2 block time.
    pub block_time: Duration,
    /// A batch is sealed at the latest this long after its first operation.
    pub batch_timeout: Duration,
    /// Chain parameters.
    pub chain: ChainConfig,
    /// Blocks, batches, fees, genesis.
    pub sequencer: SequencerConfig,
    /// L1, if the node follows one.
    pub l1: Option<L1Config>,
    /// Directory of the proving keys, if the node proves its batches.
    pub keys_dir: Option<PathBuf>,
    /// A prover fleet's queue: with it the node enqueues each sealed batch's proving job there
    /// instead of proving it, and takes the proofs back (it still needs `keys_dir`, for the
    /// verifying keys it checks the fleet's proofs with).
    pub prover_queue: Option<ProverQueueConfig>,
    /// How fast one L2 account may send transactions (`None`: no limit).
    pub sender_rate_limit: Option<TxRateLimit>,
    /// Where to serve Prometheus metrics (`/metrics`), if anywhere (port 0 picks one).
    pub metrics_addr: Option<SocketAddr>,
}

/// A running node.
pub struct Node {
    /// The sequencer shared with the RPC handlers.
    pub sequencer: Shared<RedbStorage>,
    /// The bound RPC address.
    pub http_addr: SocketAddr,
    /// The node's metrics.
    pub metrics: Arc<Metrics>,
    /// The bound metrics address, if served.
    pub metrics_addr: Option<SocketAddr>,
    rpc: ServerHandle,
    stop: watch::Sender<bool>,
    prover_stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
    prover: Option<JoinHandle<()>>,
    fatal: watch::Receiver<Option<Failure>>,
}

/// Why the node stopped on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What happened and what to do.
    pub why: String,
    /// Whether a restart on the same data dir can go on (a stage died of something passing)
    /// or not (L2 and L1 disagree: restarting would only stop again).
    pub restartable: bool,
}

/// Where a stage that cannot go on reports why: the node then stops (see [`Node::failed`]).
#[derive(Debug, Clone)]
pub struct Fatal(Arc<watch::Sender<Option<Failure>>>);

impl Fatal {
    /// Reports that a stage died; a restart resumes from storage (the first report wins).
    pub fn report(&self, why: String) {
        self.send(Failure {
            why,
            restartable: true,
        });
    }

    /// Reports that the node must not go on as it is: a restart on the same data dir would
    /// stop again (the first report wins).
    pub fn halt(&self, why: String) {
        self.send(Failure {
            why,
            restartable: false,
        });
    }

    fn send(&self, failure: Failure) {
        tracing::error!(target: "zkr::node", "{}", failure.why);
        self.0.send_if_modified(|v| {
            if v.is_none() {
                *v = Some(failure);
                true
            } else {
                false
            }
        });
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("http_addr", &self.http_addr)
            .finish_non_exhaustive()
    }
}

impl Node {
    /// Opens the state under `data_dir` (replaying its mempool) and starts the tasks.
    pub async fn start(config: NodeConfig) -> Result<Node, NodeError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| NodeError::Rpc(format!("{}: {e}", config.data_dir.display())))?;
        let storage = RedbStorage::open(&config.data_dir.join("state.redb"))?;
        let sequencer: Shared<RedbStorage> = Arc::new(Mutex::new(Sequencer::open(
            storage,
            config.chain,
            config.sequencer.clone(),
        )?));
        let (stop, stopped) = watch::channel(false);
        let (fatal_tx, fatal_rx) = watch::channel(None);
        let fatal = Fatal(Arc::new(fatal_tx));
        let prover_stop = Arc::new(AtomicBool::new(false));
        let prover_ready = Arc::new(AtomicBool::new(false));
        let metrics = Arc::new(Metrics::new());
        {
            let writes = metrics.write_seconds.clone();
            lock(&sequencer)
                .durability()
                .observe_writes(Box::new(move |seconds, block| {
                    let kind = if block { "block" } else { "mempool" };
                    writes
                        .get_or_create(&crate::metrics::SealLabel { kind })
                        .observe(seconds);
                }));
        }
        let mut tasks = Vec::new();
        let metrics_addr = match config.metrics_addr {
            Some(addr) => {
                let (bound, task) = crate::metrics::serve(metrics.clone(), addr, stopped.clone())
                    .await
                    .map_err(|e| NodeError::Rpc(format!("metrics on {addr}: {e}")))?;
                tasks.push(task);
                Some(bound)
            }
            None => None,
        };
        let prover_jobs: ProverJobs = Arc::default();
        let queue = match &config.prover_queue {
            // connected on first use: a database that is down does not stop the node
            Some(q) => Some(Queue::lazy(&q.url, q.max_attempts)?),
            None => None,
        };
        let prover = match &config.keys_dir {
            Some(_) => Some(start_prover(
                sequencer.clone(),
                &config,
                queue.map(|q| (q, prover_jobs.clone())),
                prover_stop.clone(),
                prover_ready.clone(),
                fatal.clone(),
                metrics.clone(),
            )?),
            None => None,
        };
        let mut contracts = None;
        if let Some(l1) = &config.l1 {
            let signer = PrivateKeySigner::from_bytes(&l1.operator_key)
                .map_err(|e| NodeError::Rpc(format!("operator key: {e}")))?;
            let operator = signer.address();
            let url = l1
                .rpc_url
                .parse()
                .map_err(|e| NodeError::Rpc(format!("L1 RPC URL {}: {e}", l1.rpc_url)))?;
            let provider = ProviderBuilder::new()
                .wallet(EthereumWallet::from(signer))
                .connect_http(url)
                .erased();
            let l1_chain_id = provider
                .get_chain_id()
                .await
                .map_err(|e| NodeError::Rpc(format!("L1 at {}: {e}", l1.rpc_url)))?;
            contracts = Some(ContractsInfo {
                rollup: l1.rollup,
                l1_rpc: l1.rpc_url.clone(),
                l1_chain_id,
                chain_id: config.chain.chain_id.0,
            });
            let watcher = pipeline::watcher::WatcherConfig {
                rollup: l1.rollup,
                start_block: l1.start_block,
                confirmations: l1.confirmations,
                poll: l1.poll,
            };
            tasks.push(tokio::spawn(pipeline::watcher::run(
                sequencer.clone(),
                provider.clone(),
                watcher,
                stopped.clone(),
                metrics.clone(),
                fatal.clone(),
            )));
            tasks.push(tokio::spawn(watch_exodus(
                sequencer.clone(),
                provider.clone(),
                l1.rollup,
                l1.poll,
                stopped.clone(),
            )));
            tasks.push(tokio::spawn(pipeline::sender::run(
                sequencer.clone(),
                Sender::new(provider, operator, l1.sender),
                l1.rollup,
                l1.poll,
                stopped.clone(),
                metrics.clone(),
            )));
        }
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
        let limiter = SenderLimiter::new(config.sender_rate_limit);
        let rpc = server.start(module(
            sequencer.clone(),
            contracts,
            prover_ready,
            limiter,
            metrics.clone(),
            prover_jobs,
        )?);
        tasks.push(tokio::spawn(produce_blocks(
            sequencer.clone(),
            config.block_time,
            config.batch_timeout,
            stopped,
            fatal,
            metrics.clone(),
        )));
        Ok(Node {
            sequencer,
            http_addr,
            metrics,
            metrics_addr,
            rpc,
            stop,
            prover_stop,
            tasks,
            prover,
            fatal: fatal_rx,
        })
    }

    /// Resolves when a stage died and the node cannot go on (the block producer could not
    /// seal, the prover stopped, L1 no longer has what L2 took): why. The caller stops the node
    /// and exits, so a supervisor (`zkr devnet`, systemd) restarts it from storage when
    /// [`Failure::restartable`].
    pub async fn failed(&self) -> Failure {
        let mut rx = self.fatal.clone();
        match rx.wait_for(Option::is_some).await {
            Ok(v) => v.clone().unwrap_or(Failure {
                why: String::new(),
                restartable: true,
            }),
            // The sender lives as long as the node's tasks: without it nothing can fail.
            Err(_) => std::future::pending().await,
        }
    }

    /// Stops every task (sealing the open block; a proof under way is finished first) and the
    /// RPC server.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.prover_stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            let _ = t.await;
        }
        if let Some(p) = self.prover {
            let _ = p.await;
        }
        let _ = self.rpc.stop();
        self.rpc.stopped().await;
        // The RPC server drops its handlers' copies of the sequencer just after it says it
        // stopped: wait (a little) for them, so the data dir is free when this returns and a
        // node can start on it at once.
        let started = std::time::Instant::now();
        while Arc::strong_count(&self.sequencer) > 1 && started.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Follows the rollup's `exodusMode()`: once it is active the sequencer takes nothing more.
async fn watch_exodus<P: Provider>(
    seq: Shared<RedbStorage>,
    provider: P,
    rollup: Address,
    poll: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let contract = zkr_l1::bindings::ZkrRollup::new(rollup, &provider);
    loop {
        match contract.exodusMode().call().await {
            Ok(true) => {
                tracing::error!(target: "zkr::node", "EXODUS MODE is active on L1: the rollup is stopped for good; the node takes no more transactions (owners exit with `zkr wallet exit`)");
                lock(&seq).enter_exodus();
                return;
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(target: "zkr::node", error = %e, "reading exodusMode() failed")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(poll.max(Duration::from_secs(1))) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// The block producer: seals a block every `block_time`, and batches when full or old. A
/// failed seal poisons the sequencer (`Sequencer::seal`): the node must restart.
async fn produce_blocks(
    seq: Shared<RedbStorage>,
    block_time: Duration,
    batch_timeout: Duration,
    mut stopped: watch::Receiver<bool>,
    fatal: Fatal,
    metrics: Arc<Metrics>,
) {
    let timeout_ms = batch_timeout.as_millis() as u64;
    let mut tick = tokio::time::interval(block_time);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.changed() => break,
        }
        let started = std::time::Instant::now();
        let (sealed, batches, open) = {
            let mut s = lock(&seq);
            let before = s.sealed_batches();
            let sealed = s.tick(now_ms(), timeout_ms);
            let batches = s.sealed_batches();
            let kind = if batches > before { "batch" } else { "block" };
            if matches!(sealed, Ok(Some(_))) {
                metrics
                    .seal_seconds
                    .get_or_create(&crate::metrics::SealLabel { kind })
                    .observe(started.elapsed().as_secs_f64());
            }
            (sealed, batches, s.open_len())
        };
        metrics.batches_sealed.set(batches as i64);
        metrics.mempool_size.set(open as i64);
        match sealed {
            Ok(Some(b)) => {
                tracing::debug!(target: "zkr::sequencer", block = b.number, txs = b.txs.len(), "sealed L2 block")
            }
            Ok(None) => {}
            Err(e) => {
                fatal.report(format!(
                    "sealing failed: {e}; the node stops (restarted, it resumes from its data dir)"
                ));
                return;
            }
        }
    }
    // Seal what was accepted before stopping (it would be replayed anyway).
    let _ = lock(&seq).seal_block(now_ms());
}

/// Opens the prover's copy of the state and runs the prover on a blocking thread.
fn start_prover(
    seq: Shared<RedbStorage>,
    config: &NodeConfig,
    fleet: Option<(Queue, ProverJobs)>,
    stop: Arc<AtomicBool>,
    ready: Arc<AtomicBool>,
    fatal: Fatal,
    metrics: Arc<Metrics>,
) -> Result<JoinHandle<()>, NodeError> {
    let rt = tokio::runtime::Handle::current();
    let keys_dir = config.keys_dir.clone().unwrap_or_default();
    let storage = RedbStorage::open(&config.data_dir.join("prover.redb"))?;
    let mut state = State::open(storage, config.chain)?;
    if state.block_number().0 == 0 && !config.sequencer.genesis.is_empty() {
        crate::sequencer::load_genesis(&mut state, &config.sequencer.genesis)?;
        state.seal_block()?;
    }
    let slots = config.sequencer.batch_slots;
    let dex = config.sequencer.accept_dex;
    Ok(tokio::task::spawn_blocking(move || {
        let store = KeyStore::new(keys_dir);
        let log = |msg: &str| tracing::info!(target: "zkr::prover", "{msg}");
        let keys = store
            .load_or_dev_setup(slots, CircuitKind::Transfer, &log)
            .and_then(|(transfer, _)| {
                let dex = match dex {
                    true => Some(store.load_or_dev_setup(slots, CircuitKind::Dex, &log)?.0),
                    false => None,
                };
                Ok(pipeline::prover::ProverKeys { transfer, dex })
            });
        let keys = match keys {
            Ok(keys) => keys,
            Err(e) => {
                fatal.report(format!(
                    "no proving keys ({e}): the node cannot prove its batches"
                ));
                return;
            }
        };
        ready.store(true, Ordering::Relaxed);
        let result = match fleet {
            Some((queue, jobs)) => {
                tracing::info!(target: "zkr::prover", slots, "proving through the prover fleet's queue");
                pipeline::prover::run_queue(seq, state, keys, queue, rt, jobs, &stop)
            }
            None => {
                tracing::info!(target: "zkr::prover", slots, "prover ready");
                pipeline::prover::run(seq, state, keys, &stop, &metrics)
            }
        };
        if let Err(e) = result {
            ready.store(false, Ordering::Relaxed);
            fatal.report(format!("the prover stopped: {e}"));
        }
    }))
}
