//! The operator is paid for what it spends: a batch that does not pay for itself is not sealed
//! at the timeout but waits (up to `max_batch_wait_ms`) for more operations, and a node whose
//! prover is behind refuses L2 transactions with `BUSY` instead of piling up batches.

mod common;

use common::*;
use zkr_node::error::codes;
use zkr_node::fees::FeePolicy;
use zkr_node::records::ProofRecord;
use zkr_node::{NodeError, Sequencer, SequencerConfig};
use zkr_state::fixtures::{User, config};
use zkr_state::storage::RedbStorage;
use zkr_types::float::round_up_fee;

const TIMEOUT_MS: u64 = 1_000;
const MAX_WAIT_MS: u64 = 60_000;

fn policy() -> FeePolicy {
    FeePolicy {
        batch_slots: 8,
        ..FeePolicy::default()
    }
}

fn sequencer(
    path: &std::path::Path,
    priority_fee_wei: u128,
    max_unproven: u64,
) -> Sequencer<RedbStorage> {
    let seq_config = SequencerConfig {
        fees: policy(),
        priority_fee_wei,
        max_batch_wait_ms: MAX_WAIT_MS,
        max_unproven_batches: max_unproven,
        ..SequencerConfig::free(8)
    };
    Sequencer::open(RedbStorage::open(path).unwrap(), config(), seq_config).unwrap()
}

#[test]
fn an_undercharged_batch_waits_for_more_and_a_paid_one_seals_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let cost = policy().batch_cost();
    // each deposit pays a quarter of the batch on L1
    let mut seq = sequencer(&path, cost / 4, 0);
    let users: Vec<User> = (1..=4).map(User::new).collect();
    let t0 = zkr_node::sequencer::now_ms();
    seq.submit_priority(0, users[0].deposit(0, 10u128.pow(18)), None)
        .unwrap();
    assert!(seq.batch_revenue() < cost);
    seq.tick(t0 + 10 * TIMEOUT_MS, TIMEOUT_MS).unwrap();
    seq.flush().unwrap();
    assert!(
        seq.batch(1).unwrap().is_none(),
        "one deposit pays a quarter of the batch: not sealed at the timeout"
    );
    assert_eq!(
        seq.batch_len(),
        1,
        "the block was sealed, the batch is still open"
    );

    // a restart keeps what the open batch earned
    drop(seq);
    let mut seq = sequencer(&path, cost / 4, 0);
    assert_eq!(
        seq.batch_revenue(),
        cost / 4,
        "revenue of sealed blocks is stored"
    );

    // three more deposits pay for it: sealed at the next tick past the timeout
    for (i, u) in users[1..].iter().enumerate() {
        seq.submit_priority(i as u64 + 1, u.deposit(0, 10u128.pow(18)), None)
            .unwrap();
    }
    assert!(seq.batch_revenue() >= cost);
    seq.tick(zkr_node::sequencer::now_ms() + TIMEOUT_MS, TIMEOUT_MS)
        .unwrap();
    seq.flush().unwrap();
    assert_eq!(seq.batch(1).unwrap().expect("paid for: sealed").ops, 4);
    assert_eq!(seq.batch_revenue(), 0, "the next batch starts from nothing");

    // an unpaid batch is sealed once it has waited max_batch_wait_ms: the operator's subsidy
    // is at most one batch per wait
    let u = User::new(9);
    seq.submit_priority(4, u.deposit(0, 1000), None).unwrap();
    let t1 = zkr_node::sequencer::now_ms();
    seq.tick(t1 + MAX_WAIT_MS - 1_000, TIMEOUT_MS).unwrap();
    seq.flush().unwrap();
    assert!(seq.batch(2).unwrap().is_none(), "still waiting");
    seq.tick(t1 + MAX_WAIT_MS + 1_000, TIMEOUT_MS).unwrap();
    seq.flush().unwrap();
    assert_eq!(seq.batch(2).unwrap().expect("waited long enough").ops, 1);
}

#[test]
fn l2_fees_count_toward_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let cost = policy().batch_cost();
    let mut seq = sequencer(&dir.path().join("state.redb"), 0, 0);
    let a = User::new(1);
    seq.submit_priority(0, a.deposit(0, 10u128.pow(18)), None)
        .unwrap();
    let fee = round_up_fee(cost);
    seq.submit(tx_of(a.change_pubkey(0, 0, fee, 0))).unwrap();
    assert_eq!(seq.batch_revenue(), fee);
    seq.tick(zkr_node::sequencer::now_ms() + TIMEOUT_MS, TIMEOUT_MS)
        .unwrap();
    seq.flush().unwrap();
    assert_eq!(seq.batch(1).unwrap().expect("its fee pays for it").ops, 2);
}

#[test]
fn a_node_whose_prover_is_behind_refuses_l2_transactions_with_busy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let a = User::new(1);
    let quote = |s: &Sequencer<RedbStorage>| {
        s.config()
            .fees
            .min_fee(zkr_node::fees::TxKind::ChangePubKey)
    };
    let mut seq = sequencer(&path, 0, 1);
    seq.submit_priority(0, a.deposit(0, 10u128.pow(18)), None)
        .unwrap();
    seq.seal_batch(1).unwrap();
    assert_eq!(seq.unproven_batches(), 1);
    let cpk = tx_of(a.change_pubkey(0, 0, quote(&seq), 0));
    let err = seq.submit(cpk.clone()).unwrap_err();
    assert!(
        matches!(
            err,
            NodeError::Busy {
                unproven: 1,
                limit: 1
            }
        ),
        "{err}"
    );
    assert_eq!(err.to_rpc().code(), codes::BUSY);
    assert_eq!(seq.open_len(), 0, "nothing taken");
    // L1 priority operations are never refused: the contract has already queued them
    seq.submit_priority(1, a.deposit(0, 5), None).unwrap();

    // the bound survives a restart (the count comes from storage)
    drop(seq);
    let mut seq = sequencer(&path, 0, 1);
    assert_eq!(seq.unproven_batches(), 1);
    assert!(matches!(
        seq.submit(cpk.clone()),
        Err(NodeError::Busy { .. })
    ));

    // once the prover has the batch's proof, transactions are taken again
    let proof = ProofRecord {
        commitment: "1".into(),
        a: Default::default(),
        b: Default::default(),
        c: Default::default(),
        dex: false,
    };
    seq.save_proof(1, &proof).unwrap();
    assert_eq!(seq.unproven_batches(), 0);
    seq.submit(cpk).unwrap();
}
