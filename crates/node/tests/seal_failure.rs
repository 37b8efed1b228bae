//! Sealing is all or nothing: a storage failure while sealing a block (and closing its batch)
//! poisons the sequencer, which then refuses every transaction and every seal; reopened on the
//! same storage it is at the last sealed block with the mempool replayed, and the batch seals
//! with the number it would have had, over no gap. Exodus refuses everything with its code.

mod common;

use common::{Flaky, tx_of};
use std::sync::atomic::Ordering;
use zkr_node::error::codes;
use zkr_node::{NodeError, Sequencer, SequencerConfig};
use zkr_state::fixtures::{User, config};
use zkr_state::storage::MemoryStorage;

#[test]
fn a_failed_seal_poisons_the_sequencer_and_a_restart_resumes_without_a_gap() {
    let storage = Flaky::default();
    let open = || Sequencer::open(storage.clone(), config(), SequencerConfig::free(8)).unwrap();
    let (a, b) = (User::new(1), User::new(2));
    let mut seq = open();
    seq.submit_priority(0, a.deposit(0, 1_000_000), None)
        .unwrap();
    seq.submit(tx_of(a.change_pubkey(0, 0, 0, 0))).unwrap();
    seq.seal_batch(1_000).unwrap();
    assert_eq!(seq.sealed_batches(), 1);
    let hash = seq
        .submit(tx_of(a.transfer(0, b.address(), 0, 500, 7, 1)))
        .unwrap();

    // The disk fills up while the batch (with its fee credit) is being sealed.
    storage.fail.store(true, Ordering::Relaxed);
    let e = seq.seal_batch(2_000).unwrap_err();
    assert!(e.to_string().contains("no space left"), "{e}");
    storage.fail.store(false, Ordering::Relaxed);
    // Nothing more is taken or sealed by this sequencer, whatever its memory holds.
    assert!(seq.is_poisoned());
    let refused = seq
        .submit(tx_of(a.transfer(0, b.address(), 0, 1, 0, 2)))
        .unwrap_err();
    assert!(matches!(refused, NodeError::Poisoned), "{refused}");
    // Seals are refused with the write's reason.
    for refused in [seq.seal_batch(3_000), seq.tick(4_000, 0)] {
        let e = refused.unwrap_err();
        assert!(e.to_string().contains("no space left"), "{e}");
    }
    drop(seq);

    // Restarted: the last sealed block, the transfer back from the mempool, batch 2 next.
    let mut seq = open();
    assert!(!seq.is_poisoned());
    assert_eq!(seq.sealed_batches(), 1);
    assert_eq!(seq.open_len(), 1);
    assert_eq!(seq.tx(&hash).unwrap().unwrap().block, None);
    let block = seq.seal_batch(5_000).unwrap().unwrap();
    assert_eq!(block.txs, vec![hash]);
    assert_eq!(seq.sealed_batches(), 2);
    let batch = seq.batch(2).unwrap().unwrap();
    assert_eq!(
        batch.first_block,
        seq.batch(1).unwrap().unwrap().last_block + 1
    );
    assert_eq!(batch.ops, 1);
    assert_eq!(
        seq.account_of(&b.address())
            .unwrap()
            .unwrap()
            .1
            .balance(zkr_types::TokenId(0)),
        500
    );
    // The fee account (0, user a) got the fee once.
    assert_eq!(
        seq.account_of(&a.address())
            .unwrap()
            .unwrap()
            .1
            .balance(zkr_types::TokenId(0)),
        1_000_000 - 500
    );
}

#[test]
fn in_exodus_nothing_is_accepted() {
    let mut seq =
        Sequencer::open(MemoryStorage::new(), config(), SequencerConfig::free(8)).unwrap();
    let a = User::new(1);
    seq.submit_priority(0, a.deposit(0, 1_000), None).unwrap();
    seq.enter_exodus();
    let e = seq.submit(tx_of(a.change_pubkey(0, 0, 0, 0))).unwrap_err();
    assert_eq!(e.to_rpc().code(), codes::EXODUS, "{e}");
    assert!(e.to_string().contains("zkr wallet exit"));
    let e = seq.submit_priority(1, a.deposit(0, 1), None).unwrap_err();
    assert!(matches!(e, NodeError::Exodus));
}
