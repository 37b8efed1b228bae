//! The single durable writer (`writer.rs`): the block producer's `tick` seals a block in memory
//! and queues it; until storage holds it the block is not shown (`zkr_getBlock`,
//! `zkr_blockNumber`), its transactions are pending, and later transactions apply on top of it;
//! a block whose write fails is redone from the mempool after a restart, to the same state.

mod common;

use common::{Flaky, tx_of};
use std::sync::atomic::Ordering;
use zkr_node::admission::CheckedTx;
use zkr_node::records::TxStatus;
use zkr_node::{NodeError, Sequencer, SequencerConfig};
use zkr_state::fixtures::{User, config};
use zkr_state::storage::{MemoryStorage, Storage};
use zkr_types::TokenId;

fn users() -> [User; 3] {
    [User::new(1), User::new(2), User::new(3)]
}

/// Two users funded with registered keys, in sealed block(s).
fn funded<S: Storage + Clone + 'static>(storage: S) -> Sequencer<S> {
    let mut seq = Sequencer::open(storage, config(), SequencerConfig::free(64)).unwrap();
    for (i, u) in users()[..2].iter().enumerate() {
        seq.submit_priority(i as u64, u.deposit(0, 1_000_000), None)
            .unwrap();
        seq.submit(tx_of(u.change_pubkey(i as u32, 0, 0, 0)))
            .unwrap();
    }
    seq.seal_block(1_000).unwrap();
    seq
}

#[test]
fn a_block_is_shown_once_written_and_later_transactions_apply_on_it_meanwhile() {
    let [a, b, c] = users();
    let storage = Flaky::default();
    let mut seq = funded(storage.clone());
    let written = seq.last_block();
    // A reference sealing every block synchronously.
    let mut reference = funded(MemoryStorage::new());

    storage.hold_blocks.store(true, Ordering::Relaxed);
    let first = tx_of(a.transfer(0, c.address(), 0, 100, 0, 1));
    let h1 = seq.submit(first.clone()).unwrap();
    reference.submit(first).unwrap();
    let block = seq
        .tick(zkr_node::sequencer::now_ms(), u64::MAX)
        .unwrap()
        .expect("a block with the transfer");
    reference.seal_block(2_000).unwrap();
    assert_eq!(block.number, written + 1);

    // Sealed, not written: not shown, its transaction pending.
    assert_eq!(seq.last_block(), written);
    assert!(seq.block(block.number).unwrap().is_none());
    let pending = seq.tx(&h1).unwrap().expect("the sealed transfer is found");
    assert_eq!((pending.status, pending.block), (TxStatus::Pending, None));
    // The next transfer sees the sealed block: nonce 2, and the new account C. Its entry is
    // queued behind the block, so it is not durable (not answered, `admission.rs`) before it.
    let second = tx_of(a.transfer(0, c.address(), 0, 50, 0, 2));
    let (h2, seq2) = seq
        .submit_checked(CheckedTx::new(second.clone(), config().chain_id), true)
        .unwrap();
    reference.submit(second).unwrap();
    assert!(!seq.durability().is_durable(seq2));
    assert!(seq.tx(&h2).unwrap().is_none(), "shown before it is durable");
    let c_id = seq.state().account_id_of(&c.address()).unwrap().unwrap();
    assert_eq!(
        seq.state()
            .account(c_id)
            .unwrap()
            .unwrap()
            .balance(TokenId(0)),
        150
    );
    // A stale nonce is still refused.
    let stale = seq.submit(tx_of(a.transfer(0, b.address(), 0, 1, 0, 1)));
    assert!(matches!(stale, Err(NodeError::Rejected(_))), "{stale:?}");
    let next = seq
        .tick(zkr_node::sequencer::now_ms(), u64::MAX)
        .unwrap()
        .expect("a second block");
    reference.seal_block(3_000).unwrap();

    // Written: both shown, in order, at the reference's roots.
    storage.hold_blocks.store(false, Ordering::Relaxed);
    seq.flush().unwrap();
    assert_eq!(seq.last_block(), next.number);
    for (n, hash) in [(block.number, h1), (next.number, h2)] {
        let stored = seq.block(n).unwrap().expect("written");
        assert_eq!(stored.txs, vec![hash]);
        assert_eq!(stored.root, reference.block(n).unwrap().unwrap().root);
        assert_eq!(seq.tx(&hash).unwrap().unwrap().block, Some(n));
    }
    assert_eq!(
        storage.inner.meta().unwrap(),
        reference.state().storage().meta().unwrap()
    );
}

#[test]
fn a_block_whose_write_fails_is_redone_from_the_mempool() {
    let [a, _, c] = users();
    let storage = Flaky::default();
    let mut seq = funded(storage.clone());
    let mut reference = funded(MemoryStorage::new());
    let transfer = tx_of(a.transfer(0, c.address(), 0, 100, 0, 1));
    let hash = seq.submit(transfer.clone()).unwrap();
    reference.submit(transfer).unwrap();
    let root = reference.seal_block(2_000).unwrap().unwrap().root;

    storage.fail.store(true, Ordering::Relaxed);
    seq.tick(zkr_node::sequencer::now_ms(), u64::MAX)
        .unwrap()
        .expect("sealed in memory");
    let e = seq.flush().unwrap_err();
    assert!(e.to_string().contains("no space left"), "{e}");
    assert!(seq.is_poisoned());
    assert!(matches!(
        seq.submit(tx_of(a.transfer(0, c.address(), 0, 1, 0, 2))),
        Err(NodeError::Poisoned)
    ));
    drop(seq);

    storage.fail.store(false, Ordering::Relaxed);
    let mut seq = Sequencer::open(storage.clone(), config(), SequencerConfig::free(64)).unwrap();
    assert_eq!(seq.open_len(), 1, "the acknowledged transfer is back");
    let block = seq.seal_block(2_000).unwrap().unwrap();
    assert_eq!(block.txs, vec![hash]);
    assert_eq!(block.root, root);
}
