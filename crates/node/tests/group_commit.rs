//! Group commit of admitted transactions (`admission.rs`, `writer.rs`): concurrent sends share
//! storage writes, each is answered only once its mempool entry is stored (a restart replays
//! every answered one), a failed write answers no one, poisons the sequencer and is the last
//! write made, and a seal never leaves a mempool entry behind that a write under way would have
//! put back.

mod common;

use common::{Flaky, tx_of};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use zkr_node::admission::{Admission, CheckedTx};
use zkr_node::records::MEMPOOL;
use zkr_node::{NodeError, Sequencer, SequencerConfig};
use zkr_state::fixtures::{User, config};
use zkr_state::storage::Storage;
use zkr_types::TokenId;

const USERS: u8 = 24;

/// A sequencer on `storage` with `USERS` funded accounts whose keys are registered (ids
/// 0..USERS, sealed), and each user's transfer of 100 to user 0 at nonce 1.
fn setup(storage: &Flaky) -> (Sequencer<Flaky>, Vec<zkr_types::tx::L2Tx>) {
    let mut seq = Sequencer::open(storage.clone(), config(), SequencerConfig::free(128)).unwrap();
    let users: Vec<User> = (1..=USERS).map(User::new).collect();
    for (i, u) in users.iter().enumerate() {
        seq.submit_priority(i as u64, u.deposit(0, 1_000_000), None)
            .unwrap();
        seq.submit(tx_of(u.change_pubkey(i as u32, 0, 0, 0)))
            .unwrap();
    }
    seq.seal_batch(1_000).unwrap();
    let to = users[0].address();
    let txs = users
        .iter()
        .enumerate()
        .map(|(i, u)| tx_of(u.transfer(i as u32, to, 0, 100, 0, 1)))
        .collect();
    (seq, txs)
}

/// Applies `tx` with its mempool entry left to the group commit; its hash and sequence number.
fn apply(
    shared: &Arc<Mutex<Sequencer<Flaky>>>,
    tx: &zkr_types::tx::L2Tx,
) -> (alloy_primitives::B256, u64) {
    shared
        .lock()
        .unwrap()
        .submit_checked(CheckedTx::new(tx.clone(), config().chain_id), true)
        .unwrap()
}

/// [`setup`]'s sequencer, shared, with admission into it.
fn admitted(storage: &Flaky) -> (Shared, Arc<Admission<Flaky>>, Vec<zkr_types::tx::L2Tx>) {
    let (seq, txs) = setup(storage);
    let shared = Arc::new(Mutex::new(seq));
    (
        shared.clone(),
        Arc::new(Admission::new(shared).unwrap()),
        txs,
    )
}

type Shared = Arc<Mutex<Sequencer<Flaky>>>;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Sends `txs` at once through admission; the answers in order.
fn send_all(
    admission: &Arc<Admission<Flaky>>,
    txs: Vec<zkr_types::tx::L2Tx>,
) -> Vec<Result<alloy_primitives::B256, NodeError>> {
    runtime().block_on(async {
        let tasks: Vec<_> = txs
            .into_iter()
            .map(|tx| {
                let a = admission.clone();
                tokio::spawn(async move { a.submit(tx).await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    })
}

#[test]
fn concurrent_sends_share_writes_and_every_answered_one_survives_a_restart() {
    let storage = Flaky::default();
    let (shared, admission, txs) = admitted(&storage);
    storage.side_delay_ms.store(20, Ordering::Relaxed);
    let before = storage.side_commits.load(Ordering::Relaxed);
    let answers = send_all(&admission, txs);
    let writes = storage.side_commits.load(Ordering::Relaxed) - before;
    let hashes: Vec<_> = answers.into_iter().map(|a| a.unwrap()).collect();
    // One write per group: with 20 ms writes the 24 sends cannot each have had their own.
    assert!(
        writes < u64::from(USERS) / 2,
        "{writes} storage writes for {USERS} sends"
    );
    assert_eq!(shared.lock().unwrap().open_len(), usize::from(USERS));
    drop(admission);
    drop(shared);

    // A crash now: every answered transaction is back from the mempool.
    storage.side_delay_ms.store(0, Ordering::Relaxed);
    let mut seq = Sequencer::open(storage.clone(), config(), SequencerConfig::free(128)).unwrap();
    assert_eq!(seq.open_len(), usize::from(USERS));
    for h in &hashes {
        assert!(seq.tx(h).unwrap().is_some(), "{h} lost");
    }
    let block = seq.seal_block(2_000).unwrap().unwrap();
    assert_eq!(block.txs.len(), usize::from(USERS));
    let receiver = seq.account_of(&User::new(1).address()).unwrap().unwrap().1;
    assert_eq!(
        receiver.balance(TokenId(0)),
        1_000_000 - 100 + 100 * u128::from(USERS)
    );
}

#[test]
fn a_failed_write_answers_no_one_and_poisons_the_sequencer() {
    let storage = Flaky::default();
    let (shared, admission, txs) = admitted(&storage);
    storage.fail_side.store(true, Ordering::Relaxed);
    let answers = send_all(&admission, txs.clone());
    for a in &answers {
        assert!(a.is_err(), "answered {a:?} though nothing was stored");
    }
    assert!(shared.lock().unwrap().is_poisoned());
    // Nothing more is taken, nor sealed.
    storage.fail_side.store(false, Ordering::Relaxed);
    let again = send_all(&admission, txs[..1].to_vec());
    assert!(
        matches!(again[0], Err(NodeError::Poisoned)),
        "{:?}",
        again[0]
    );
    // A seal is refused with the write's reason (what the node reports as it stops).
    let e = shared.lock().unwrap().seal_block(2_000).unwrap_err();
    assert!(e.to_string().contains("no space left"), "{e}");
    drop(admission);
    drop(shared);

    // Restarted: none of them happened.
    let seq = Sequencer::open(storage.clone(), config(), SequencerConfig::free(128)).unwrap();
    assert!(!seq.is_poisoned());
    assert_eq!(seq.open_len(), 0);
    let receiver = seq.account_of(&User::new(1).address()).unwrap().unwrap().1;
    assert_eq!(receiver.balance(TokenId(0)), 1_000_000);
}

#[test]
fn a_seal_during_a_write_leaves_no_mempool_entry_behind() {
    let storage = Flaky::default();
    let (shared, admission, txs) = admitted(&storage);
    storage.side_delay_ms.store(200, Ordering::Relaxed);
    let sealer = {
        let shared = shared.clone();
        std::thread::spawn(move || {
            // While the first group's 200 ms write is under way.
            std::thread::sleep(std::time::Duration::from_millis(50));
            shared.lock().unwrap().seal_block(2_000).unwrap()
        })
    };
    let answers = send_all(&admission, txs);
    let sealed = sealer.join().unwrap().expect("a block with the sends");
    assert!(answers.iter().all(|a| a.is_ok()), "{answers:?}");
    let in_open = shared.lock().unwrap().open_len();
    assert_eq!(sealed.txs.len() + in_open, usize::from(USERS));
    // The mempool table holds exactly the operations still in the open block: none of the
    // sealed ones came back with a write that landed after the seal.
    let stored = storage.inner.side_scan(MEMPOOL).unwrap().len();
    assert_eq!(stored, in_open, "mempool entries stored vs operations open");
    drop(admission);
    drop(shared);
    storage.side_delay_ms.store(0, Ordering::Relaxed);
    let seq = Sequencer::open(storage.clone(), config(), SequencerConfig::free(128)).unwrap();
    assert_eq!(seq.open_len(), in_open);
}

#[test]
fn an_answer_waits_for_its_own_entry_even_when_another_waiter_went_away() {
    let storage = Flaky::default();
    let (shared, admission, txs) = admitted(&storage);
    storage.side_delay_ms.store(200, Ordering::Relaxed);
    // Both applied, their entries queued behind a 200 ms write.
    let (a, b) = (apply(&shared, &txs[0]), apply(&shared, &txs[1]));
    runtime().block_on(async {
        let leader = {
            let admission = admission.clone();
            tokio::spawn(async move { admission.wait_durable(a.1).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        // Its client went away mid-write.
        leader.abort();
        admission.wait_durable(b.1).await.unwrap();
        // Answered only now that its entry is stored.
        let stored = storage.inner.side_scan(MEMPOOL).unwrap();
        assert!(
            stored.iter().any(|(k, _)| k == &b.1.to_be_bytes()),
            "answered before its entry was stored"
        );
    });
    assert!(!shared.lock().unwrap().is_poisoned());
}

#[test]
fn after_a_failed_group_a_later_write_does_not_answer_for_it() {
    let storage = Flaky::default();
    let (shared, admission, txs) = admitted(&storage);
    // The group's write fails after 100 ms; the deposit from L1, applied while it is under way,
    // is behind it and must not be written (nor b, applied with it), though its own write would
    // succeed.
    storage.side_delay_ms.store(100, Ordering::Relaxed);
    storage.fail_side.store(true, Ordering::Relaxed);
    let (a, b) = (apply(&shared, &txs[0]), apply(&shared, &txs[1]));
    runtime().block_on(async {
        let first = {
            let admission = admission.clone();
            tokio::spawn(async move { admission.wait_durable(a.1).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let watcher = {
            let shared = shared.clone();
            std::thread::spawn(move || {
                shared.lock().unwrap().submit_priority(
                    u64::from(USERS),
                    User::new(99).deposit(0, 5),
                    None,
                )
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(110)).await;
        storage.fail_side.store(false, Ordering::Relaxed);
        let e = first.await.unwrap().unwrap_err();
        assert!(e.to_string().contains("no space left"), "{e}");
        let deposit = watcher.join().unwrap();
        assert!(
            deposit.is_err(),
            "{deposit:?} though its entry was never stored"
        );
        let answer = admission.wait_durable(b.1).await;
        assert!(answer.is_err(), "{answer:?} for an entry never stored");
    });
    assert!(shared.lock().unwrap().is_poisoned());
    storage.side_delay_ms.store(0, Ordering::Relaxed);
    drop(admission);
    drop(shared);
    let seq = Sequencer::open(storage.clone(), config(), SequencerConfig::free(128)).unwrap();
    assert_eq!(seq.open_len(), 0, "a write after the failed one was made");
    assert!(storage.inner.side_scan(MEMPOOL).unwrap().is_empty());
}

#[test]
fn signatures_checked_together_answer_each_as_alone() {
    let storage = Flaky::default();
    let (shared, admission, mut txs) = admitted(&storage);
    // Two of the concurrent sends carry a signature that does not verify.
    for i in [3, 17] {
        if let zkr_types::tx::L2Tx::Transfer(t) = &mut txs[i] {
            t.signature.s += zkr_types::Fr::from(1u64);
        }
    }
    let answers = send_all(&admission, txs);
    for (i, a) in answers.iter().enumerate() {
        if i == 3 || i == 17 {
            let e = a.as_ref().unwrap_err();
            assert!(e.to_string().contains("invalid signature"), "{i}: {e}");
        } else {
            assert!(a.is_ok(), "{i}: {a:?}");
        }
    }
    assert_eq!(shared.lock().unwrap().open_len(), usize::from(USERS) - 2);
}
