//! Each account's history: written with its block, paginated newest first, and rebuilt the
//! same from the stored blocks when a data dir from before the index is opened.

mod common;

use alloy_primitives::B256;
use common::tx_of;
use zkr_node::history::{self, ACCOUNT_HISTORY, HISTORY_VERSION_KEY};
use zkr_node::records::{BLOCK_OPS, BlockOps, META};
use zkr_node::{Sequencer, SequencerConfig};
use zkr_state::fixtures::{User, config};
use zkr_state::storage::{RedbStorage, SideWrite, Storage};
use zkr_types::AccountId;

fn open(path: &std::path::Path) -> Sequencer<RedbStorage> {
    Sequencer::open(
        RedbStorage::open(path).unwrap(),
        config(),
        SequencerConfig::free(8),
    )
    .unwrap()
}

#[test]
fn history_is_indexed_with_its_block_and_rebuilt_for_an_old_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let (a, b, c) = (User::new(1), User::new(2), User::new(3));
    let l1_tx = B256::repeat_byte(7);
    let mut hashes = Vec::new();
    {
        let mut seq = open(&path);
        seq.submit_priority(0, a.deposit(0, 1_000_000), Some(l1_tx))
            .unwrap();
        seq.seal_block(1_000).unwrap();
        hashes.push(seq.submit(tx_of(a.change_pubkey(0, 0, 0, 0))).unwrap());
        hashes.push(
            seq.submit(tx_of(a.transfer(0, b.address(), 0, 500, 0, 1)))
                .unwrap(),
        );
        seq.seal_block(2_000).unwrap();
        hashes.push(
            seq.submit(tx_of(a.transfer(0, c.address(), 0, 100, 0, 2)))
                .unwrap(),
        );
        seq.seal_block(3_000).unwrap();
    }
    let storage = RedbStorage::open(&path).unwrap();
    let a_history = |s: &RedbStorage| history::page(s, AccountId(0), None, 100).unwrap();
    let written = a_history(&storage);
    // A: the deposit, its key, two transfers; newest first
    let got: Vec<Option<B256>> = written.iter().map(|(_, _, e)| e.hash).collect();
    assert_eq!(
        got,
        vec![
            Some(hashes[2]),
            Some(hashes[1]),
            Some(hashes[0]),
            Some(l1_tx)
        ]
    );
    assert!(written[3].2.priority && !written[0].2.priority);
    // B and C each see their incoming transfer only
    let b_history = history::page(&storage, AccountId(1), None, 100).unwrap();
    assert_eq!(b_history.len(), 1);
    assert_eq!(b_history[0].2.hash, Some(hashes[1]));
    // pages: two, then the rest from the cursor
    let first = history::page(&storage, AccountId(0), None, 2).unwrap();
    let (blk, pos, _) = first[1];
    let rest = history::page(&storage, AccountId(0), Some((blk, pos)), 100).unwrap();
    assert_eq!(first.len() + rest.len(), written.len());
    assert_eq!(rest[0], written[2]);

    // A data dir from before the index: no entries, no version. Reopened, it is rebuilt.
    let mut drop_index: Vec<SideWrite> = storage
        .side_scan(ACCOUNT_HISTORY)
        .unwrap()
        .into_iter()
        .map(|(key, _)| SideWrite {
            table: ACCOUNT_HISTORY,
            key,
            value: None,
        })
        .collect();
    drop_index.push(SideWrite {
        table: META,
        key: HISTORY_VERSION_KEY.to_vec(),
        value: None,
    });
    // ... and blocks written before `AppliedOp::hash`: the rebuild finds the hashes again
    for (key, value) in storage.side_scan(BLOCK_OPS).unwrap() {
        let mut ops: BlockOps = serde_json::from_slice(&value).unwrap();
        for op in &mut ops {
            op.hash = None;
        }
        drop_index.push(SideWrite {
            table: BLOCK_OPS,
            key,
            value: Some(serde_json::to_vec(&ops).unwrap()),
        });
    }
    storage.side_commit(drop_index).unwrap();
    assert!(a_history(&storage).is_empty());
    drop(storage);
    drop(open(&path));
    let storage = RedbStorage::open(&path).unwrap();
    assert_eq!(
        a_history(&storage),
        written,
        "the rebuilt index is the one written"
    );
    assert_eq!(
        history::page(&storage, AccountId(1), None, 100).unwrap(),
        b_history
    );
}
