//! Helpers shared by the node's integration tests.
#![allow(dead_code)]

use jsonrpsee::core::client::Error as ClientError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use zkr_state::OpRequest;
use zkr_state::account::Account;
use zkr_state::storage::{MemoryStorage, SideEntry, StateMeta, Storage, StorageError, Write};
use zkr_state::tree::NodeKey;
use zkr_types::tx::L2Tx;
use zkr_types::{AccountId, Address, Fr};

/// Memory storage that fails on demand (a full disk): writes with a block while `fail` is set,
/// writes with side entries while `fail_side` is; writes with side entries take `side_delay_ms`
/// (an fsync) and are counted.
#[derive(Clone, Default)]
pub struct Flaky {
    pub inner: MemoryStorage,
    pub fail: Arc<AtomicBool>,
    pub fail_side: Arc<AtomicBool>,
    pub side_delay_ms: Arc<AtomicU64>,
    pub side_commits: Arc<AtomicU64>,
    /// Writes with a block wait while it is set (a slow disk, released by the test).
    pub hold_blocks: Arc<AtomicBool>,
}

impl Storage for Flaky {
    fn node(&self, key: NodeKey) -> Result<Option<Fr>, StorageError> {
        self.inner.node(key)
    }
    fn account(&self, id: AccountId) -> Result<Option<Account>, StorageError> {
        self.inner.account(id)
    }
    fn account_by_owner(&self, owner: &Address) -> Result<Option<AccountId>, StorageError> {
        self.inner.account_by_owner(owner)
    }
    fn meta(&self) -> Result<Option<StateMeta>, StorageError> {
        self.inner.meta()
    }
    fn write_all(&self, writes: Vec<Write>) -> Result<(), StorageError> {
        let blocks = writes.iter().any(|w| matches!(w, Write::Block(_)));
        let sides = writes.iter().any(|w| matches!(w, Write::Side(_)));
        while blocks && self.hold_blocks.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(1));
        }
        if blocks && self.fail.load(Ordering::Relaxed) {
            return Err(StorageError::Backend("no space left on device".into()));
        }
        if sides {
            std::thread::sleep(Duration::from_millis(
                self.side_delay_ms.load(Ordering::Relaxed),
            ));
            if self.fail_side.load(Ordering::Relaxed) {
                return Err(StorageError::Backend("no space left on device".into()));
            }
            self.side_commits.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.write_all(writes)
    }
    fn side_get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.side_get(table, key)
    }
    fn side_scan(&self, table: &'static str) -> Result<Vec<SideEntry>, StorageError> {
        self.inner.side_scan(table)
    }
    fn side_range(
        &self,
        table: &'static str,
        start: &[u8],
        end: &[u8],
        limit: usize,
        newest_first: bool,
    ) -> Result<Vec<SideEntry>, StorageError> {
        self.inner
            .side_range(table, start, end, limit, newest_first)
    }
}

/// The transaction inside a request (panics on a priority operation).
pub fn tx_of(r: OpRequest) -> L2Tx {
    match r {
        OpRequest::Tx(t) => t,
        other => panic!("not a transaction: {other:?}"),
    }
}

/// The JSON-RPC error code of a failed call.
pub fn code(e: ClientError) -> i32 {
    match e {
        ClientError::Call(obj) => obj.code(),
        other => panic!("expected a JSON-RPC error, got {other}"),
    }
}

/// A node without L1 or prover on `dir`: fee-free 8-slot batches, 50 ms blocks, batches sealed
/// only when full, the RPC on a free port.
pub fn node_config(dir: &std::path::Path) -> zkr_node::NodeConfig {
    zkr_node::NodeConfig {
        data_dir: dir.to_path_buf(),
        http_addr: "127.0.0.1:0".parse().unwrap(),
        block_time: std::time::Duration::from_millis(50),
        batch_timeout: std::time::Duration::from_secs(3600),
        chain: zkr_state::fixtures::config(),
        sequencer: zkr_node::SequencerConfig::free(8),
        l1: None,
        keys_dir: None,
        sender_rate_limit: None,
        prover_queue: None,
        metrics_addr: None,
    }
}
