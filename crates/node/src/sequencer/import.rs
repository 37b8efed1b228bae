//! Importing batches L1 already holds (`zkr rebuild`): each batch is replayed from its pubdata
//! and stored as one sealed block with the records a node keeps (block, operations, batch with
//! its L1 status and transactions, priority records, history index, queue position), in one
//! storage transaction, only once its root equals the one L1 stored. An interrupted import
//! resumes at the next batch.

use super::{Sequencer, encode, side};
use crate::NodeError;
use crate::history;
use crate::records::{
    AppliedOp, BATCHES, BLOCK_OPS, BLOCKS, BatchRecord, BatchStatus, BlockOps, BlockRecord,
    L1Steps, META, OPEN_BATCH, OpenBatch, PRIORITY_NEXT, PriorityRecord, TxStatus,
};
use alloy_primitives::B256;
use zkr_crypto::field::fr_to_decimal;
use zkr_state::storage::Storage;
use zkr_state::{DepositRequest, FullExitRequest, OpRequest};
use zkr_types::op::Op;
use zkr_types::{AccountId, Fr};

/// One operation of an imported batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedOp {
    /// The operation, parsed from the batch's pubdata.
    pub op: Op,
    /// Its exact pubdata.
    pub pubdata: Vec<u8>,
    /// For a priority operation: the L1 transaction that requested it, if known.
    pub l1_tx: Option<B256>,
}

/// A batch as L1 holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedBatch {
    /// Its number: the next batch of this node.
    pub number: u64,
    /// Its operations, in order.
    pub ops: Vec<ImportedOp>,
    /// The fee account `commitBatch` named.
    pub fee_account: AccountId,
    /// The root L1 stored for it.
    pub root: Fr,
    /// Its status on L1.
    pub status: BatchStatus,
    /// `commitBatch`, `proveBatch`/`proveDexBatch` and `executeBatch` transactions, if known.
    pub commit_tx: Option<B256>,
    /// See `commit_tx`.
    pub prove_tx: Option<B256>,
    /// See `commit_tx`.
    pub execute_tx: Option<B256>,
    /// Unix time (seconds) of its L1 commit.
    pub timestamp: u64,
}

impl<S: Storage> Sequencer<S> {
    /// Replays `batch` from its pubdata and stores it sealed, checking its root against L1's.
    /// The sequencer must hold no open operation. On a root mismatch nothing is stored and
    /// the sequencer refuses further work (its in-memory state went past the last stored
    /// block): reopen it.
    pub fn import_batch(&mut self, batch: ImportedBatch) -> Result<BatchRecord, NodeError> {
        if self.is_poisoned() {
            return Err(NodeError::Poisoned);
        }
        if !self.open.is_empty() || self.batch.ops != 0 {
            return Err(NodeError::Encoding(
                "import needs a node with no open block or batch".into(),
            ));
        }
        // Written directly, so behind every block the writer still has.
        self.flush()?;
        let expected = self.state.batch_number().0;
        if batch.number != expected {
            return Err(NodeError::Encoding(format!(
                "import of batch {} into a node whose next batch is {expected}",
                batch.number
            )));
        }
        self.poisoned = true;
        self.state.set_fee_account(batch.fee_account)?;
        let number = self.state.block_number().0 + 1;
        let mut ops = BlockOps::with_capacity(batch.ops.len());
        let mut writes = Vec::new();
        let mut priority_ops = 0u32;
        let mut l1_txs = std::collections::HashSet::new();
        for (position, imported) in batch.ops.into_iter().enumerate() {
            self.state
                .replay(&imported.op)
                .map_err(|e| NodeError::Encoding(format!("batch {}: {e}", batch.number)))?;
            let request = match &imported.op {
                Op::Deposit(d) => Some(OpRequest::Deposit(DepositRequest {
                    owner: d.owner,
                    token: d.token,
                    amount: d.amount,
                })),
                Op::FullExit(f) => Some(OpRequest::FullExit(FullExitRequest {
                    account_id: f.account_id,
                    owner: f.owner,
                    token: f.token,
                })),
                _ => None,
            };
            if let Some(request) = &request {
                let index = self.priority_next + u64::from(priority_ops);
                priority_ops += 1;
                if let Some(l1_tx) = imported.l1_tx {
                    let record = PriorityRecord {
                        hash: l1_tx,
                        priority_index: index,
                        op: request.clone(),
                        status: TxStatus::Included,
                        block: Some(number),
                        batch: Some(batch.number),
                        received_at: None,
                    };
                    writes.extend(self.first_priority_record(&record, &mut l1_txs)?);
                }
            }
            let applied = AppliedOp {
                request,
                pubdata: imported.pubdata,
                hash: imported.l1_tx,
            };
            writes.extend(history::writes_for(
                number,
                position as u32,
                &applied,
                imported.l1_tx,
            )?);
            ops.push(applied);
        }
        let sealed = self.state.seal_batch()?;
        if sealed.root != batch.root {
            return Err(NodeError::Diverged {
                batch: batch.number,
                expected: fr_to_decimal(&batch.root),
                got: fr_to_decimal(&sealed.root),
            });
        }
        let record = BatchRecord {
            number: batch.number,
            first_block: number,
            last_block: number,
            ops: ops.len(),
            root: fr_to_decimal(&sealed.root),
            fee_account: sealed.fee_account.0,
            num_tokens: self.state.num_tokens(),
            sealed_at: batch.timestamp,
            status: batch.status,
            commit_tx: batch.commit_tx,
            prove_tx: batch.prove_tx,
            execute_tx: batch.execute_tx,
            l1: L1Steps::default(),
        };
        let block = BlockRecord {
            number,
            root: record.root.clone(),
            timestamp: batch.timestamp,
            txs: Vec::new(),
            priority_ops,
            sealed_at_ms: None,
        };
        let open = OpenBatch {
            first_block: number + 1,
            ..OpenBatch::default()
        };
        let priority_next = self.priority_next + u64::from(priority_ops);
        writes.extend([
            side(
                BATCHES,
                batch.number.to_be_bytes().to_vec(),
                encode(&record)?,
            ),
            side(BLOCKS, number.to_be_bytes().to_vec(), encode(&block)?),
            side(BLOCK_OPS, number.to_be_bytes().to_vec(), encode(&ops)?),
            side(META, OPEN_BATCH.to_vec(), encode(&open)?),
            side(META, PRIORITY_NEXT.to_vec(), encode(&priority_next)?),
        ]);
        self.state.seal_block_with(writes)?;
        // Written directly: what the writer counts as durable moves past it.
        self.durability().start_at(self.next_seq, number);
        self.batch = open;
        self.priority_next = priority_next;
        if record.status >= BatchStatus::Proven {
            self.proven_upto = self.proven_upto.max(record.number);
        }
        self.poisoned = false;
        Ok(record)
    }
}
