//! The L1 sender stage: commits sealed batches, proves them once their proof is stored, and
//! executes proven batches, in order, one transaction at a time.
//!
//! Every step starts from the contract's own counters (`totalBatchesCommitted/Proven/Executed`)
//! as mined, and sends at the operator's next mined nonce, replacing a transaction of its own
//! still pending there ([`zkr_l1::sender::Sender`]): a restarted node resumes exactly where L1
//! is, one nonce can carry only one of its steps, and the contract takes each step once, so
//! it never commits a batch twice and never skips one. Batch records are brought up to date with what L1 says.

use super::{Shared, lock};
use crate::NodeError;
use crate::metrics::{Metrics, StepLabel};
use crate::records::{AppliedOp, BatchRecord, BatchStatus, L1Step, ProofRecord};
use crate::sequencer::now_ms;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::DynProvider;
use std::time::Duration;
use tokio::sync::watch;
use zkr_crypto::field::{fr_from_decimal, fr_to_be_bytes};
use zkr_l1::bindings::ZkrRollup;
use zkr_l1::sender::Sender;
use zkr_state::OpRequest;
use zkr_state::storage::Storage;
use zkr_types::commitment::pubdata_hash;
use zkr_types::op::{Op, parse_pubdata};
use zkr_types::tx::L2Tx;

/// Runs the sender until `stop` changes.
pub async fn run<S: Storage + 'static>(
    seq: Shared<S>,
    sender: Sender,
    rollup: Address,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
    metrics: std::sync::Arc<Metrics>,
) {
    let contract = ZkrRollup::new(rollup, sender.provider().clone());
    // The first step after a start brings every batch record to L1 (`sync_records`).
    let mut full = true;
    while !*stop.borrow() {
        // A send waiting out a fee spike is dropped on stop: its transaction stays in the L1's
        // pool, and the next run finds and replaces it.
        let result = tokio::select! {
            r = step(&seq, &sender, &contract, &metrics, full) => r,
            _ = stop.changed() => return,
        };
        full &= result.is_err();
        match result {
            // Something was sent: look for the next thing at once.
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(target: "zkr::l1", error = %e, "L1 sender step failed; retrying")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The contract's batch counters.
#[derive(Debug, Clone, Copy)]
struct Totals {
    committed: u64,
    proven: u64,
    executed: u64,
}

async fn totals(contract: &ZkrRollup::ZkrRollupInstance<DynProvider>) -> Result<Totals, NodeError> {
    let rpc = zkr_l1::L1Error::rpc;
    Ok(Totals {
        committed: contract.totalBatchesCommitted().call().await.map_err(rpc)?,
        proven: contract.totalBatchesProven().call().await.map_err(rpc)?,
        executed: contract.totalBatchesExecuted().call().await.map_err(rpc)?,
    })
}

/// Brings batch records to the contract's counters: up (after a restart the last
/// transaction's hash may be unknown; the status is still right) and down (an L1 reorg dropped
/// the operator's transactions: they are sent again).
fn sync_records<S: Storage>(seq: &Shared<S>, t: Totals, full: bool) -> Result<(), NodeError> {
    let want = |n: u64| {
        if n <= t.executed {
            BatchStatus::Executed
        } else if n <= t.proven {
            BatchStatus::Proven
        } else if n <= t.committed {
            BatchStatus::Committed
        } else {
            BatchStatus::Sealed
        }
    };
    let mut seq = lock(seq);
    // Down from the last committed batch to the first record already executed: commits run
    // ahead of proofs, so an up-to-date committed record above says nothing about the ones
    // below (a kill after `executeBatch(n)` was mined and before its record was written leaves
    // n `proven` under a `committed` n+1). Records below an executed one are executed: each
    // sync raises them before anything new is recorded above. `full` (the stage's first sync)
    // walks every record, for data dirs written before this was so.
    for n in (1..=t.committed).rev() {
        let Some(r) = seq.batch(n)? else { continue };
        if r.status == BatchStatus::Executed && !full {
            break;
        }
        if r.status < want(n) {
            seq.update_batch(n, want(n), None)?;
        }
    }
    let mut n = t.executed + 1;
    while let Some(r) = seq.batch(n)? {
        if r.status == BatchStatus::Sealed {
            break;
        }
        if r.status > want(n) {
            tracing::warn!(target: "zkr::l1", batch = n, recorded = ?r.status, l1 = ?want(n), "L1 no longer has this batch's step (an L1 reorg): sending it again");
            seq.reorged_batch(n, want(n))?;
        }
        n += 1;
    }
    Ok(())
}

async fn step<S: Storage>(
    seq: &Shared<S>,
    sender: &Sender,
    contract: &ZkrRollup::ZkrRollupInstance<DynProvider>,
    metrics: &Metrics,
    full: bool,
) -> Result<bool, NodeError> {
    // Decided from L1's mined state: an operator transaction still pending (from a killed run,
    // or stuck under a fee spike) is replaced by what is decided now; if one is mined before
    // the decision is sent, it is not sent (`Sender::send_decided_at`) and the next step
    // decides again.
    let decided_at = sender.mined_nonce().await?;
    let t = totals(contract).await?;
    for (step, n) in [
        ("committed", t.committed),
        ("proven", t.proven),
        ("executed", t.executed),
    ] {
        metrics
            .l1_batches
            .get_or_create(&StepLabel { step })
            .set(n as i64);
    }
    sync_records(seq, t, full)?;
    if t.executed < t.proven {
        let n = t.executed + 1;
        let (record, ops) = batch(seq, n)?;
        let onchain = onchain_ops(&ops)?;
        let tx = contract.executeBatch(n, onchain).into_transaction_request();
        let receipt = sender.send_decided_at(tx, decided_at).await?;
        metrics.l1_mined("execute", receipt.gas_used, receipt.effective_gas_price);
        lock(seq).update_batch(n, BatchStatus::Executed, Some(mined(&receipt)))?;
        tracing::info!(target: "zkr::l1", batch = n, ops = record.ops, tx = %receipt.transaction_hash, gas = receipt.gas_used, "executed batch on L1");
        return Ok(true);
    }
    // A committed batch whose proof is not ready yet does not hold back the next commit.
    let proof = if t.proven < t.committed {
        lock(seq).proof(t.proven + 1)?
    } else {
        None
    };
    if let Some(proof) = proof {
        let n = t.proven + 1;
        let (a, b, c) = proof_words(&proof);
        let tx = if proof.dex {
            contract
                .proveDexBatch(n, a, b, c)
                .into_transaction_request()
        } else {
            contract.proveBatch(n, a, b, c).into_transaction_request()
        };
        let receipt = sender.send_decided_at(tx, decided_at).await?;
        metrics.l1_mined("prove", receipt.gas_used, receipt.effective_gas_price);
        lock(seq).update_batch(n, BatchStatus::Proven, Some(mined(&receipt)))?;
        tracing::info!(target: "zkr::l1", batch = n, tx = %receipt.transaction_hash, gas = receipt.gas_used, "proved batch on L1");
        return Ok(true);
    }
    let n = t.committed + 1;
    if lock(seq).batch(n)?.is_none() {
        return Ok(false);
    }
    let (record, ops) = batch(seq, n)?;
    let input = commit_input(&record, &ops)?;
    let tx = contract.commitBatch(input).into_transaction_request();
    let receipt = sender.send_decided_at(tx, decided_at).await?;
    metrics.l1_mined("commit", receipt.gas_used, receipt.effective_gas_price);
    lock(seq).update_batch(n, BatchStatus::Committed, Some(mined(&receipt)))?;
    tracing::info!(target: "zkr::l1", batch = n, ops = record.ops, tx = %receipt.transaction_hash, gas = receipt.gas_used, "committed batch on L1");
    Ok(true)
}

/// A mined transaction as the batch record keeps it.
fn mined(receipt: &alloy::rpc::types::TransactionReceipt) -> L1Step {
    L1Step {
        tx: receipt.transaction_hash,
        gas: receipt.gas_used,
        at: now_ms() / 1000,
    }
}

fn batch<S: Storage>(seq: &Shared<S>, n: u64) -> Result<(BatchRecord, Vec<AppliedOp>), NodeError> {
    let seq = lock(seq);
    let record = seq.batch(n)?.ok_or_else(|| {
        NodeError::Encoding(format!("L1 is at batch {n}, the node has no record of it"))
    })?;
    let ops = seq.batch_ops(&record)?;
    Ok((record, ops))
}

fn decimal_word(s: &str) -> Result<U256, NodeError> {
    let fr = fr_from_decimal(s).map_err(|e| NodeError::Encoding(e.to_string()))?;
    Ok(U256::from_be_bytes(fr_to_be_bytes(&fr)))
}

/// `commitBatch`'s input for a batch.
pub fn commit_input(
    record: &BatchRecord,
    ops: &[AppliedOp],
) -> Result<ZkrRollup::CommitBatchInput, NodeError> {
    let ops_pubdata: Vec<Vec<u8>> = ops.iter().map(|o| o.pubdata.clone()).collect();
    let h = pubdata_hash(&ops_pubdata).map_err(|e| NodeError::Encoding(e.to_string()))?;
    let eth_signatures = ops
        .iter()
        .filter_map(|o| match &o.request {
            Some(OpRequest::Tx(L2Tx::ChangePubKey(c))) => {
                Some(Bytes::copy_from_slice(&c.eth_signature))
            }
            _ => None,
        })
        .collect();
    Ok(ZkrRollup::CommitBatchInput {
        newRoot: decimal_word(&record.root)?,
        pubdataHash: U256::from_be_bytes(fr_to_be_bytes(&h)),
        feeAccount: record.fee_account,
        pubdata: ops_pubdata.concat().into(),
        ethSignatures: eth_signatures,
    })
}

/// The withdrawals and full exits of a batch, as `executeBatch` takes them.
pub fn onchain_ops(ops: &[AppliedOp]) -> Result<Vec<ZkrRollup::OnchainOp>, NodeError> {
    let mut out = Vec::new();
    for o in ops {
        for op in parse_pubdata(&o.pubdata).map_err(|e| NodeError::Encoding(e.to_string()))? {
            match op {
                Op::Withdraw(w) => out.push(ZkrRollup::OnchainOp {
                    owner: w.to,
                    token: w.token.0,
                    amount: w.amount.0,
                }),
                Op::FullExit(f) => out.push(ZkrRollup::OnchainOp {
                    owner: f.owner,
                    token: f.token.0,
                    amount: f.amount.0,
                }),
                _ => {}
            }
        }
    }
    Ok(out)
}

fn proof_words(p: &ProofRecord) -> ([U256; 2], [[U256; 2]; 2], [U256; 2]) {
    let w = |x: &alloy::primitives::B256| U256::from_be_bytes(x.0);
    (
        [w(&p.a[0]), w(&p.a[1])],
        [
            [w(&p.b[0][0]), w(&p.b[0][1])],
            [w(&p.b[1][0]), w(&p.b[1][1])],
        ],
        [w(&p.c[0]), w(&p.c[1])],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sequencer, SequencerConfig};
    use std::sync::{Arc, Mutex};
    use zkr_state::fixtures::{User, config};
    use zkr_state::storage::MemoryStorage;

    /// Three sealed batches of one deposit each, recorded as the node saw them before a kill.
    fn three_batches(recorded: [BatchStatus; 3]) -> Shared<MemoryStorage> {
        let mut seq =
            Sequencer::open(MemoryStorage::new(), config(), SequencerConfig::free(8)).unwrap();
        let user = User::new(1);
        for i in 0..3u64 {
            seq.submit_priority(i, user.deposit(0, 1_000), None)
                .unwrap();
            seq.seal_batch(1_000 * (i + 1)).unwrap();
        }
        for (n, status) in (1..=3).zip(recorded) {
            seq.update_batch(n, status, None).unwrap();
        }
        Arc::new(Mutex::new(seq))
    }

    fn statuses(seq: &Shared<MemoryStorage>) -> Vec<BatchStatus> {
        (1..=3)
            .map(|n| lock(seq).batch(n).unwrap().unwrap().status)
            .collect()
    }

    #[test]
    fn a_batch_executed_on_l1_but_recorded_proven_under_a_committed_one_is_raised() {
        use BatchStatus::*;
        // Killed after `executeBatch(2)` was mined, before its record was written; batch 3 was
        // committed earlier (commits run ahead of proofs).
        let seq = three_batches([Executed, Proven, Committed]);
        let l1 = Totals {
            committed: 3,
            proven: 2,
            executed: 2,
        };
        sync_records(&seq, l1, false).unwrap();
        assert_eq!(statuses(&seq), [Executed, Executed, Committed]);
    }

    #[test]
    fn the_first_sync_raises_a_lagging_record_under_an_executed_one() {
        use BatchStatus::*;
        // A data dir an older node left with batch 1 behind an executed batch 2.
        let seq = three_batches([Proven, Executed, Committed]);
        let l1 = Totals {
            committed: 3,
            proven: 2,
            executed: 2,
        };
        sync_records(&seq, l1, false).unwrap();
        assert_eq!(
            statuses(&seq),
            [Proven, Executed, Committed],
            "a later sync stops early"
        );
        sync_records(&seq, l1, true).unwrap();
        assert_eq!(statuses(&seq), [Executed, Executed, Committed]);
    }

    #[test]
    fn records_ahead_of_l1_after_a_reorg_are_lowered() {
        use BatchStatus::*;
        let seq = three_batches([Executed, Proven, Committed]);
        let l1 = Totals {
            committed: 2,
            proven: 1,
            executed: 1,
        };
        sync_records(&seq, l1, false).unwrap();
        assert_eq!(statuses(&seq), [Executed, Committed, Sealed]);
    }
}
