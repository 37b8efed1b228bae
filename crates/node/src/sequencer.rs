//! The sequencer: the open L2 block, its mempool, and sealing.
//!
//! An accepted operation is applied to the open block at once (so `zkr_sendTx` answers with the
//! exact rejection reason, and later transactions see earlier ones) and written to the mempool
//! side table. Sealing commits the state, the block record, the transaction records and the
//! removal of the mempool entries in one storage transaction; after a crash the node reopens at
//! the last sealed block and replays the mempool in order, so nothing acknowledged is lost.

use crate::NodeError;
use crate::records::{BLOCKS, BlockRecord, MEMPOOL, MempoolEntry, TXS, TxRecord, TxStatus};
use alloy_primitives::B256;
use std::collections::VecDeque;
use zkr_crypto::field::fr_to_decimal;
use zkr_state::account::Account;
use zkr_state::storage::{SideWrite, Storage};
use zkr_state::{ChainConfig, OpRequest, State};
use zkr_types::tx::L2Tx;
use zkr_types::{AccountId, Address};

/// How many rejected transactions are remembered for `zkr_getTx`.
const REJECTED_MEMORY: usize = 10_000;

fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, NodeError> {
    serde_json::to_vec(v).map_err(|e| NodeError::Encoding(e.to_string()))
}

fn decode<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, NodeError> {
    serde_json::from_slice(b).map_err(|e| NodeError::Encoding(e.to_string()))
}

/// The open block and everything around it.
pub struct Sequencer<S: Storage> {
    state: State<S>,
    open: Vec<(u64, MempoolEntry)>,
    next_seq: u64,
    rejected: VecDeque<TxRecord>,
}

impl<S: Storage> std::fmt::Debug for Sequencer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer")
            .field("open", &self.open.len())
            .finish_non_exhaustive()
    }
}

impl<S: Storage> Sequencer<S> {
    /// Opens the state and replays the operations accepted after the last sealed block.
    pub fn open(storage: S, config: ChainConfig) -> Result<Self, NodeError> {
        let state = State::open(storage, config)?;
        let mut s = Sequencer {
            state,
            open: Vec::new(),
            next_seq: 0,
            rejected: VecDeque::new(),
        };
        let entries = s.state.storage().side_scan(MEMPOOL)?;
        for (key, value) in entries {
            let seq = u64::from_be_bytes(
                key.as_slice()
                    .try_into()
                    .map_err(|_| NodeError::Encoding("mempool key".into()))?,
            );
            let entry: MempoolEntry = decode(&value)?;
            // An entry that no longer applies (it cannot happen unless the store was edited)
            // is dropped rather than blocking the node.
            if s.state.apply(&entry.request).is_ok() {
                s.open.push((seq, entry));
            }
            s.next_seq = seq + 1;
        }
        Ok(s)
    }

    /// The state (read access for queries).
    pub fn state(&self) -> &State<S> {
        &self.state
    }

    /// Operations in the open block.
    pub fn open_len(&self) -> usize {
        self.open.len()
    }

    fn accept(&mut self, request: OpRequest, hash: Option<B256>) -> Result<(), NodeError> {
        self.state.apply(&request)?;
        let entry = MempoolEntry { request, hash };
        let seq = self.next_seq;
        self.state.storage().side_commit(vec![SideWrite {
            table: MEMPOOL,
            key: seq.to_be_bytes().to_vec(),
            value: Some(encode(&entry)?),
        }])?;
        self.next_seq += 1;
        self.open.push((seq, entry));
        Ok(())
    }

    /// Accepts an L2 transaction into the open block, or rejects it with the reason.
    pub fn submit(&mut self, tx: L2Tx) -> Result<B256, NodeError> {
        let hash = tx
            .hash(self.state.config().chain_id)
            .map_err(|e| NodeError::Rejected(e.into()))?;
        match self.accept(OpRequest::Tx(tx.clone()), Some(hash)) {
            Ok(()) => Ok(hash),
            Err(e) => {
                if self.rejected.len() == REJECTED_MEMORY {
                    self.rejected.pop_front();
                }
                self.rejected.push_back(TxRecord {
                    hash,
                    tx,
                    status: TxStatus::Rejected,
                    block: None,
                    batch: None,
                    error: Some(e.to_string()),
                });
                Err(e)
            }
        }
    }

    /// Accepts a priority operation (from the L1 watcher) into the open block.
    pub fn submit_priority(&mut self, request: OpRequest) -> Result<(), NodeError> {
        self.accept(request, None)
    }

    /// Seals the open block if it holds anything: one atomic commit of state and records.
    pub fn seal_block(&mut self, timestamp: u64) -> Result<Option<BlockRecord>, NodeError> {
        if self.open.is_empty() {
            return Ok(None);
        }
        let number = self.state.block_number().0 + 1;
        let mut side = Vec::new();
        let mut txs = Vec::new();
        let mut priority_ops = 0;
        for (seq, entry) in &self.open {
            side.push(SideWrite {
                table: MEMPOOL,
                key: seq.to_be_bytes().to_vec(),
                value: None,
            });
            match (&entry.request, entry.hash) {
                (OpRequest::Tx(tx), Some(hash)) => {
                    let record = TxRecord {
                        hash,
                        tx: tx.clone(),
                        status: TxStatus::Included,
                        block: Some(number),
                        batch: None,
                        error: None,
                    };
                    side.push(SideWrite {
                        table: TXS,
                        key: hash.to_vec(),
                        value: Some(encode(&record)?),
                    });
                    txs.push(hash);
                }
                _ => priority_ops += 1,
            }
        }
        let root = self.state.root()?;
        let record = BlockRecord {
            number,
            root: fr_to_decimal(&root),
            timestamp,
            txs,
            priority_ops,
        };
        side.push(SideWrite {
            table: BLOCKS,
            key: number.to_be_bytes().to_vec(),
            value: Some(encode(&record)?),
        });
        self.state.seal_block_with(side)?;
        self.open.clear();
        Ok(Some(record))
    }

    /// A transaction's record: pending, sealed, or recently rejected.
    pub fn tx(&self, hash: &B256) -> Result<Option<TxRecord>, NodeError> {
        for (_, e) in &self.open {
            if e.hash.as_ref() == Some(hash)
                && let OpRequest::Tx(tx) = &e.request
            {
                return Ok(Some(TxRecord {
                    hash: *hash,
                    tx: tx.clone(),
                    status: TxStatus::Pending,
                    block: None,
                    batch: None,
                    error: None,
                }));
            }
        }
        if let Some(b) = self.state.storage().side_get(TXS, hash.as_slice())? {
            return decode(&b).map(Some);
        }
        Ok(self
            .rejected
            .iter()
            .rev()
            .find(|r| &r.hash == hash)
            .cloned())
    }

    /// A sealed block.
    pub fn block(&self, number: u64) -> Result<Option<BlockRecord>, NodeError> {
        match self
            .state
            .storage()
            .side_get(BLOCKS, &number.to_be_bytes())?
        {
            Some(b) => decode(&b).map(Some),
            None => Ok(None),
        }
    }

    /// The account of an L1 address, with its id (including the open block's changes).
    pub fn account_of(&self, owner: &Address) -> Result<Option<(AccountId, Account)>, NodeError> {
        let Some(id) = self.state.account_id_of(owner)? else {
            return Ok(None);
        };
        Ok(self.state.account(id)?.map(|a| (id, a)))
    }
}
