//! The node over real HTTP JSON-RPC: accepted and rejected transactions with their codes,
//! soft confirmation in a sealed block, and nothing acknowledged lost across restarts.

mod common;

use common::*;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use serde_json::Value;
use std::time::Duration;
use zkr_node::error::codes;
use zkr_node::{Node, Sequencer, SequencerConfig};
use zkr_state::fixtures::{User, config};
use zkr_state::storage::RedbStorage;
use zkr_types::tx::L2Tx;

/// A fee-free sequencer of 8-slot batches on the redb file `path`.
fn open_sequencer(path: &std::path::Path) -> Sequencer<RedbStorage> {
    Sequencer::open(
        RedbStorage::open(path).unwrap(),
        config(),
        SequencerConfig::free(8),
    )
    .unwrap()
}

async fn wait_status(client: &impl ClientT, hash: &str, want: &str) -> Value {
    for _ in 0..100 {
        let r: Value = client
            .request("zkr_getTx", rpc_params![hash])
            .await
            .unwrap();
        if r["status"] == want {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("transaction {hash} never reached {want}");
}

#[tokio::test]
async fn transactions_over_rpc_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (User::new(1), User::new(2));
    let node = Node::start(node_config(dir.path())).await.unwrap();
    {
        // What the L1 watcher will feed: a deposit, then A registers its key.
        let mut seq = node.sequencer.lock().unwrap();
        seq.submit_priority(0, a.deposit(0, 1_000_000), None)
            .unwrap();
        seq.submit(tx_of(a.change_pubkey(0, 0, 0, 0))).unwrap();
    }
    let client = HttpClientBuilder::default()
        .build(format!("http://{}", node.http_addr))
        .unwrap();

    // A valid transfer to a new address: accepted, then included in a sealed block.
    let t = tx_of(a.transfer(0, b.address(), 0, 1_000, 10, 1));
    let hash: String = client
        .request("zkr_sendTx", rpc_params![t.clone()])
        .await
        .unwrap();
    let rec = wait_status(&client, &hash, "included").await;
    assert!(rec["block"].as_u64().unwrap() >= 1);
    let block: Value = client
        .request("zkr_getBlock", rpc_params![rec["block"].as_u64().unwrap()])
        .await
        .unwrap();
    assert!(
        block["txs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == &Value::String(hash.clone()))
    );
    let acc: Value = client
        .request("zkr_getAccount", rpc_params![b.address()])
        .await
        .unwrap();
    assert_eq!(acc["balances"]["0"], "1000");
    let acc_a: Value = client
        .request("zkr_getAccount", rpc_params![a.address()])
        .await
        .unwrap();
    assert_eq!(acc_a["nonce"], 2);
    assert_eq!(acc_a["balances"]["0"], "998990");

    // The same transaction again: stale nonce, with its code; state unchanged.
    let err = client
        .request::<String, _>("zkr_sendTx", rpc_params![t])
        .await
        .unwrap_err();
    assert_eq!(code(err), codes::STALE_NONCE);
    // Overdraft, bad signature, no key, malformed: each its own code.
    let over = tx_of(a.transfer(0, b.address(), 0, 2_000_000, 0, 2));
    assert_eq!(
        code(
            client
                .request::<String, _>("zkr_sendTx", rpc_params![over])
                .await
                .unwrap_err()
        ),
        codes::INSUFFICIENT_BALANCE
    );
    let mut forged = tx_of(a.transfer(0, b.address(), 0, 5, 0, 2));
    if let L2Tx::Transfer(t) = &mut forged {
        t.amount = zkr_types::Amount(6);
    }
    assert_eq!(
        code(
            client
                .request::<String, _>("zkr_sendTx", rpc_params![forged])
                .await
                .unwrap_err()
        ),
        codes::INVALID_SIGNATURE
    );
    let from_b = tx_of(b.transfer(1, a.address(), 0, 5, 0, 0));
    assert_eq!(
        code(
            client
                .request::<String, _>("zkr_sendTx", rpc_params![from_b])
                .await
                .unwrap_err()
        ),
        codes::NO_KEY
    );
    let malformed = serde_json::json!({"type": "Transfer", "from": 0});
    assert_eq!(
        code(
            client
                .request::<String, _>("zkr_sendTx", rpc_params![malformed])
                .await
                .unwrap_err()
        ),
        codes::INVALID_PARAMS
    );
    let acc_a2: Value = client
        .request("zkr_getAccount", rpc_params![a.address()])
        .await
        .unwrap();
    assert_eq!(acc_a2, acc_a, "rejections change nothing");
    let unknown: Value = client
        .request(
            "zkr_getTx",
            rpc_params![alloy_primitives::B256::repeat_byte(7)],
        )
        .await
        .unwrap();
    assert!(unknown.is_null());
    let head: u64 = client
        .request("zkr_blockNumber", rpc_params![])
        .await
        .unwrap();
    node.stop().await;

    // Restart on the same data dir: same state, same records.
    let node = Node::start(node_config(dir.path())).await.unwrap();
    let client = HttpClientBuilder::default()
        .build(format!("http://{}", node.http_addr))
        .unwrap();
    let again: Value = client
        .request("zkr_getAccount", rpc_params![a.address()])
        .await
        .unwrap();
    assert_eq!(again, acc_a);
    let rec2: Value = client
        .request("zkr_getTx", rpc_params![hash.clone()])
        .await
        .unwrap();
    assert_eq!(rec2["status"], "included");
    let head2: u64 = client
        .request("zkr_blockNumber", rpc_params![])
        .await
        .unwrap();
    assert_eq!(head2, head);
    node.stop().await;
}

#[test]
fn accepted_but_unsealed_transactions_survive_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let a = User::new(1);
    let hash = {
        let mut seq = open_sequencer(&path);
        seq.submit_priority(0, a.deposit(0, 500), None).unwrap();
        seq.seal_block(1).unwrap();
        seq.submit(tx_of(a.change_pubkey(0, 0, 0, 0))).unwrap();
        seq.submit(tx_of(a.transfer(0, User::new(2).address(), 0, 100, 0, 1)))
            .unwrap()
        // dropped here without sealing: a crash
    };
    let mut seq = open_sequencer(&path);
    assert_eq!(seq.open_len(), 2, "the mempool is replayed");
    assert_eq!(
        seq.tx(&hash).unwrap().unwrap().status,
        zkr_node::records::TxStatus::Pending
    );
    let block = seq.seal_block(2).unwrap().unwrap();
    assert_eq!(block.txs.len(), 2);
    assert_eq!(
        seq.tx(&hash).unwrap().unwrap().status,
        zkr_node::records::TxStatus::Included
    );
    let (_, acc) = seq.account_of(&a.address()).unwrap().unwrap();
    assert_eq!(acc.balance(zkr_types::TokenId(0)), 400);
}

#[test]
fn a_batch_begun_only_in_the_mempool_still_times_out_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let a = User::new(1);
    {
        let mut seq = open_sequencer(&path);
        seq.submit_priority(0, a.deposit(0, 500), None).unwrap();
        // dropped before the block is sealed: a crash
    }
    let mut seq = open_sequencer(&path);
    assert_eq!(seq.open_len(), 1);
    let timeout_ms = 1_000;
    seq.tick(zkr_node::sequencer::now_ms() + 10 * timeout_ms, timeout_ms)
        .unwrap()
        .expect("the replayed block is sealed");
    seq.flush().unwrap();
    let batch = seq
        .batch(1)
        .unwrap()
        .expect("the batch timed out and was sealed");
    assert_eq!(batch.ops, 1);
}

#[test]
fn a_priority_operation_is_found_by_its_l1_transaction_through_a_crash() {
    use zkr_node::records::{BatchStatus, TxStatus};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let a = User::new(1);
    let l1_tx = alloy_primitives::B256::repeat_byte(0x5e);
    let open = || open_sequencer(&path);
    {
        let mut seq = open();
        seq.submit_priority(0, a.deposit(0, 500), Some(l1_tx))
            .unwrap();
        let p = seq.priority_op(&l1_tx).unwrap().expect("pending");
        assert_eq!(
            (p.status, p.priority_index, p.block),
            (TxStatus::Pending, 0, None)
        );
        // a crash before sealing
    }
    let mut seq = open();
    assert_eq!(
        seq.priority_op(&l1_tx).unwrap().unwrap().status,
        TxStatus::Pending,
        "replayed with its L1 hash"
    );
    let block = seq.seal_batch(5).unwrap().unwrap();
    let p = seq.priority_op(&l1_tx).unwrap().unwrap();
    assert_eq!(
        (p.status, p.block, p.batch),
        (TxStatus::Included, Some(block.number), Some(1))
    );
    assert_eq!(p.op, a.deposit(0, 500));
    seq.update_batch(1, BatchStatus::Executed, None).unwrap();
    assert_eq!(
        seq.priority_op(&l1_tx).unwrap().unwrap().status,
        TxStatus::Executed
    );
    assert!(
        seq.priority_op(&alloy_primitives::B256::repeat_byte(1))
            .unwrap()
            .is_none()
    );
}

/// One account flooding `zkr_sendTx` (here with transactions that fail the nonce check) gets
/// `RATE_LIMITED` once past its burst; another account is still served.
#[tokio::test]
async fn one_account_over_its_rate_is_refused_and_others_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (User::new(1), User::new(2));
    let mut config = node_config(dir.path());
    config.sender_rate_limit = zkr_node::limits::TxRateLimit::per_second(1);
    let node = Node::start(config).await.unwrap();
    {
        let mut seq = node.sequencer.lock().unwrap();
        seq.submit_priority(0, a.deposit(0, 1_000_000), None)
            .unwrap();
        seq.submit_priority(1, b.deposit(0, 1_000_000), None)
            .unwrap();
    }
    let client = HttpClientBuilder::default()
        .build(format!("http://{}", node.http_addr))
        .unwrap();
    let send = |t: L2Tx| {
        let client = &client;
        async move {
            code(
                client
                    .request::<String, _>("zkr_sendTx", rpc_params![t])
                    .await
                    .unwrap_err(),
            )
        }
    };
    // future nonces: each rejected by the sequencer until the burst of 2 is spent
    let mut codes_seen = Vec::new();
    for nonce in 10..16 {
        codes_seen.push(send(tx_of(a.transfer(0, b.address(), 0, 1, 0, nonce))).await);
    }
    assert_eq!(
        &codes_seen[..2],
        &[codes::FUTURE_NONCE, codes::FUTURE_NONCE]
    );
    assert!(
        codes_seen[2..].contains(&codes::RATE_LIMITED),
        "past the burst: {codes_seen:?}"
    );
    assert_eq!(
        send(tx_of(b.transfer(1, a.address(), 0, 1, 0, 10))).await,
        codes::FUTURE_NONCE,
        "another account has its own budget"
    );
    node.stop().await;
}

/// The batch circuit cannot prove DEX operations yet: the node refuses them with UNSUPPORTED
/// and takes nothing, so the prover never meets a batch it cannot prove.
#[test]
fn dex_transactions_are_refused_until_the_circuit_proves_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut seq = open_sequencer(&dir.path().join("state.redb"));
    let a = User::new(1);
    seq.submit_priority(0, a.deposit(0, 1_000_000), None)
        .unwrap();
    seq.submit(tx_of(a.change_pubkey(0, 0, 0, 0))).unwrap();
    let root = seq.state().block_number();
    for tx in [
        a.create_pool(0, (0, 1), 0, 1),
        a.swap(0, 0, 0, 1, 1000, 0, 0, 1),
        a.add_liquidity(0, 0, (0, 1), (1000, 1000), 0, 0, 1),
        a.remove_liquidity(0, 0, (0, 1), 1, (0, 0), 0, 1),
    ] {
        let err = seq.submit(tx_of(tx)).unwrap_err();
        assert_eq!(err.to_rpc().code(), codes::UNSUPPORTED, "{err}");
    }
    assert_eq!(seq.open_len(), 2, "nothing taken");
    assert_eq!(seq.state().block_number(), root);
}
