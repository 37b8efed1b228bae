//! The prover stage: re-runs each sealed batch in witness mode on its own copy of the state
//! (`prover.redb`, always at the end of the last proven batch), proves it, and stores the proof
//! next to the batch record. A crash before the copy is committed re-runs the batch; a proof
//! already stored is not made again.

use super::{Shared, lock};
use crate::NodeError;
use crate::records::ProofRecord;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use zkr_circuit::{BatchBuilder, CircuitKind};
use zkr_crypto::field::fr_to_decimal;
use zkr_prover::Keys;
use zkr_state::State;
use zkr_state::storage::{RedbStorage, Storage};
use zkr_types::AccountId;

/// The keys of the two batch circuits (`docs/prover.md`).
pub struct ProverKeys {
    /// The transfer circuit's: batches without DEX operations.
    pub transfer: Keys,
    /// The DEX circuit's: batches with a DEX operation (`None` on a node that accepts none).
    pub dex: Option<Keys>,
}

/// Runs the prover until `stop` is set. Returns only on stop or on a fatal error.
pub fn run<S: Storage>(
    seq: Shared<S>,
    mut state: State<RedbStorage>,
    keys: ProverKeys,
    stop: &AtomicBool,
    metrics: &crate::metrics::Metrics,
) -> Result<(), NodeError> {
    let slots = keys.transfer.shape.slots;
    while !stop.load(Ordering::Relaxed) {
        let number = state.batch_number().0;
        let Some(record) = lock(&seq).batch(number)? else {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        };
        let ops = lock(&seq).batch_ops(&record)?;
        let started = Instant::now();
        while state.num_tokens() < record.num_tokens {
            state.register_token()?;
        }
        state.set_fee_account(AccountId(record.fee_account))?;
        let requests = ops
            .iter()
            .map(|op| {
                op.request.as_ref().ok_or_else(|| {
                    NodeError::Encoding(format!(
                        "batch {number} was rebuilt from L1 without its signatures and cannot be \
                         proven again (a rebuilt data dir holds only batches L1 already proved)"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let witness = BatchBuilder::build(&mut state, slots, requests)?;
        let root = fr_to_decimal(&witness.new_root);
        if root != record.root {
            return Err(NodeError::Diverged {
                batch: number,
                expected: record.root,
                got: root,
            });
        }
        if lock(&seq).proof(number)?.is_none() {
            let keys = match (witness.kind(), &keys.dex) {
                (CircuitKind::Transfer, _) => &keys.transfer,
                (CircuitKind::Dex, Some(dex)) => dex,
                (CircuitKind::Dex, None) => {
                    return Err(NodeError::Encoding(format!(
                        "batch {number} holds a DEX operation and this node has no DEX circuit keys"
                    )));
                }
            };
            let proof = zkr_prover::prove(
                keys,
                witness,
                &|msg| tracing::debug!(target: "zkr::prover", batch = number, "{msg}"),
            )?;
            lock(&seq).save_proof(number, &ProofRecord::new(&proof))?;
            metrics
                .proving_seconds
                .observe(started.elapsed().as_secs_f64());
            tracing::info!(
                target: "zkr::prover",
                batch = number,
                ops = ops.len(),
                circuit = if proof.kind == CircuitKind::Dex { "dex" } else { "transfer" },
                seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
                "proved batch"
            );
        }
        state.seal_block()?;
    }
    Ok(())
}
