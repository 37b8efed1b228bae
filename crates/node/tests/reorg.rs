//! L1 reorgs against a real anvil (`anvil_reorg` replaces the last blocks with empty ones,
//! dropping their transactions): a reorg shallower than the confirmations never reaches L2, a
//! deeper one that takes away a deposit L2 took halts the node with a clear error (and keeps it
//! halted across a restart), and an operator transaction dropped by a reorg is sent again
//! without committing any batch twice. And an L1 whose `eth_getLogs` answer leaves out a
//! deposit once (through a proxy in front of anvil): the watcher reads the range again.

mod common;

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use zkr_l1::anvil::{Anvil, DEV_KEY, repo};
use zkr_l1::bindings::ZkrRollup;
use zkr_l1::deploy::{RollupParams, deploy};
use zkr_node::pipeline::lock;
use zkr_node::{L1Config, Node, NodeConfig};

const PRIORITY_FEE: u128 = 1_000_000_000_000;

/// A deployed rollup on a fresh anvil (automine), and the node settings that follow it.
struct L1 {
    _anvil: Anvil,
    provider: DynProvider,
    rollup: Address,
    operator: Address,
    start_block: u64,
    url: String,
}

async fn l1() -> L1 {
    let forge = std::process::Command::new(repo().join("scripts/forge"))
        .arg("build")
        .output()
        .expect("scripts/forge (run npm ci)");
    assert!(forge.status.success(), "forge build failed");
    let (anvil, provider) = Anvil::start(&[]).await;
    let operator = DEV_KEY.parse::<PrivateKeySigner>().unwrap().address();
    let chain = zkr_state::fixtures::config();
    let genesis = zkr_node::sequencer::genesis_root(chain, &[operator]).unwrap();
    let d = deploy(
        &provider,
        operator,
        &repo().join("contracts"),
        RollupParams {
            operator,
            chain_id: chain.chain_id.0,
            priority_deadline: 3600,
            priority_fee: PRIORITY_FEE,
            genesis_root: U256::from_be_bytes(zkr_crypto::field::fr_to_be_bytes(&genesis)),
        },
    )
    .await
    .unwrap();
    let start_block = provider.get_block_number().await.unwrap();
    L1 {
        url: anvil.url().to_string(),
        _anvil: anvil,
        provider,
        rollup: d.rollup,
        operator,
        start_block,
    }
}

impl L1 {
    /// A node without prover on `dir` following this L1 with `confirmations`, sealing a batch
    /// half a second after its first operation.
    fn node_config(&self, dir: &std::path::Path, confirmations: u64) -> NodeConfig {
        let mut config = common::node_config(dir);
        config.batch_timeout = Duration::from_millis(500);
        config.sequencer.genesis = vec![self.operator];
        config.sequencer.priority_fee_wei = PRIORITY_FEE;
        config.l1 = Some(L1Config {
            rpc_url: self.url.clone(),
            rollup: self.rollup,
            start_block: self.start_block,
            confirmations,
            poll: Duration::from_millis(100),
            operator_key: DEV_KEY.parse().unwrap(),
            sender: Default::default(),
        });
        config
    }

    /// Deposits 1 ETH to `to`; returns the L1 block it is in.
    async fn deposit(&self, to: Address) -> u64 {
        // The nonce from L1 itself: a reorg took back transactions the provider counted.
        let nonce = self
            .provider
            .get_transaction_count(self.operator)
            .await
            .unwrap();
        let sent = ZkrRollup::new(self.rollup, &self.provider)
            .depositETH(to)
            .value(U256::from(10u128.pow(18) + PRIORITY_FEE))
            .nonce(nonce)
            .send()
            .await
            .unwrap();
        // Polled by hand: alloy's block watcher loses track of a chain that `anvil_reorg` rewound.
        let hash = *sent.tx_hash();
        for _ in 0..100 {
            if let Some(r) = self.provider.get_transaction_receipt(hash).await.unwrap() {
                assert!(r.status());
                return r.block_number.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("deposit {hash} not mined")
    }

    async fn mine(&self, blocks: u64) {
        let _: serde_json::Value = self
            .provider
            .raw_request("anvil_mine".into(), (U256::from(blocks),))
            .await
            .unwrap();
    }

    /// Replaces the last `depth` blocks with empty ones (their transactions are dropped).
    async fn reorg(&self, depth: u64) {
        let txs: Vec<serde_json::Value> = Vec::new();
        let _: serde_json::Value = self
            .provider
            .raw_request("anvil_reorg".into(), (depth, txs))
            .await
            .unwrap();
    }

    fn rollup(&self) -> ZkrRollup::ZkrRollupInstance<&DynProvider> {
        ZkrRollup::new(self.rollup, &self.provider)
    }
}

/// Waits up to 30 s for `cond`.
async fn until(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !cond().await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn taken(node: &Node) -> u64 {
    lock(&node.sequencer).priority_next()
}

/// The watcher has read every block up to `block`.
fn read_through(node: &Node, block: u64) -> bool {
    lock(&node.sequencer)
        .watcher_cursor()
        .unwrap()
        .is_some_and(|c| c.next > block)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reorg_shallower_than_the_confirmations_never_reaches_l2() {
    let l1 = l1().await;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(l1.node_config(dir.path(), 3)).await.unwrap();
    let (alice, bob) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb0));

    let block = l1.deposit(alice).await;
    l1.mine(1).await;
    // Two blocks deep, under three confirmations: not taken yet.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        taken(&node),
        0,
        "a deposit two blocks deep is not confirmed"
    );
    l1.reorg(2).await;
    assert_eq!(l1.rollup().totalPriorityOps().call().await.unwrap(), 0);
    l1.mine(5).await;
    until(
        "the watcher reads past the deposit's old block",
        async || read_through(&node, block + 1),
    )
    .await;
    assert_eq!(taken(&node), 0, "the reorged deposit never reached L2");
    assert!(lock(&node.sequencer).account_of(&alice).unwrap().is_none());

    // The node goes on: the next deposit is queue index 0 again, and L2 takes it.
    l1.deposit(bob).await;
    l1.mine(3).await;
    until("the new deposit is taken", async || taken(&node) == 1).await;
    assert!(lock(&node.sequencer).account_of(&bob).unwrap().is_some());
    assert!(lock(&node.sequencer).account_of(&alice).unwrap().is_none());
    let failed = tokio::time::timeout(Duration::from_millis(300), node.failed()).await;
    assert!(failed.is_err(), "the node is healthy: {failed:?}");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reorg_deeper_than_the_confirmations_halts_the_node_and_it_stays_halted() {
    let l1 = l1().await;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(l1.node_config(dir.path(), 1)).await.unwrap();
    let alice = Address::repeat_byte(0xa1);

    let block = l1.deposit(alice).await;
    l1.mine(2).await;
    until("the deposit is taken", async || taken(&node) == 1).await;
    assert!(lock(&node.sequencer).account_of(&alice).unwrap().is_some());

    // The deposit's block and the two after it replaced: deeper than one confirmation (and
    // the batch's commit, if it was sent meanwhile, goes with them).
    let head = l1.provider.get_block_number().await.unwrap();
    l1.reorg(head + 1 - block).await;
    let failure = tokio::time::timeout(Duration::from_secs(30), node.failed())
        .await
        .expect("the node halts");
    assert!(!failure.restartable, "a restart cannot help: {failure:?}");
    assert!(
        failure
            .why
            .contains("L1 no longer has priority operation 0"),
        "{}",
        failure.why
    );
    assert!(failure.why.contains("zkr rebuild"), "says what to do");
    node.stop().await;

    // Restarted on the same data dir, it halts again at once rather than go on.
    let node = Node::start(l1.node_config(dir.path(), 1)).await.unwrap();
    let failure = tokio::time::timeout(Duration::from_secs(30), node.failed())
        .await
        .expect("the restarted node halts");
    assert!(!failure.restartable);
    assert!(
        failure.why.contains("priority operation 0"),
        "{}",
        failure.why
    );
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_commit_dropped_by_a_reorg_is_sent_again_and_no_batch_is_committed_twice() {
    let l1 = l1().await;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(l1.node_config(dir.path(), 0)).await.unwrap();
    let rollup = l1.rollup();

    l1.deposit(Address::repeat_byte(0xa1)).await;
    until("batch 1 is committed and recorded so", async || {
        rollup.totalBatchesCommitted().call().await.unwrap() == 1
            && lock(&node.sequencer)
                .batch(1)
                .unwrap()
                .is_some_and(|b| b.commit_tx.is_some())
    })
    .await;
    let first = lock(&node.sequencer).batch(1).unwrap().unwrap();
    let dropped = first.commit_tx.expect("the commit's transaction");
    let head = l1.provider.get_block_number().await.unwrap();
    let commit_block = l1
        .provider
        .get_transaction_receipt(dropped)
        .await
        .unwrap()
        .unwrap()
        .block_number
        .unwrap();
    // Only the commit's block (and any empty one after it) goes: the deposit stays.
    l1.reorg(head - commit_block + 1).await;
    assert_eq!(rollup.totalPriorityOps().call().await.unwrap(), 1);
    assert_eq!(rollup.totalBatchesCommitted().call().await.unwrap(), 0);

    until("batch 1 is committed again", async || {
        rollup.totalBatchesCommitted().call().await.unwrap() == 1
    })
    .await;
    // Give the sender time to do anything more it would (it has no proof to send).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(rollup.totalBatchesCommitted().call().await.unwrap(), 1);
    let filter = Filter::new()
        .address(l1.rollup)
        .from_block(l1.start_block)
        .event_signature(ZkrRollup::BatchCommitted::SIGNATURE_HASH);
    let commits = l1.provider.get_logs(&filter).await.unwrap();
    assert_eq!(commits.len(), 1, "one commit of batch 1 on L1's chain");
    let record = lock(&node.sequencer).batch(1).unwrap().unwrap();
    assert_eq!(
        record.commit_tx, commits[0].transaction_hash,
        "the batch record names the commit on L1's chain"
    );
    let failed = tokio::time::timeout(Duration::from_millis(300), node.failed()).await;
    assert!(failed.is_err(), "the node is healthy: {failed:?}");
    node.stop().await;
}

/// A JSON-RPC proxy in front of `upstream` that leaves the first `DepositRequested` log out of
/// the next `eth_getLogs` answer that has one, once `drop_one` is set (then clears it).
async fn lossy_proxy(upstream: DynProvider, drop_one: Arc<AtomicBool>) -> String {
    use axum::http::header::CONTENT_TYPE;
    let handler = move |body: String| {
        let (upstream, drop_one) = (upstream.clone(), drop_one.clone());
        async move {
            let req: serde_json::Value = serde_json::from_str(&body).unwrap();
            let method = req["method"].as_str().unwrap().to_string();
            let params = req["params"].clone();
            let answer = upstream
                .raw_request::<_, serde_json::Value>(method.clone().into(), params)
                .await;
            let reply = match answer {
                Ok(mut result) => {
                    if method == "eth_getLogs"
                        && let Some(logs) = result.as_array_mut()
                    {
                        let deposit = format!("{}", ZkrRollup::DepositRequested::SIGNATURE_HASH);
                        if let Some(i) =
                            logs.iter().position(|l| l["topics"][0] == deposit.as_str())
                            && drop_one.swap(false, Ordering::SeqCst)
                        {
                            logs.remove(i);
                        }
                    }
                    serde_json::json!({"jsonrpc": "2.0", "id": req["id"], "result": result})
                }
                Err(e) => {
                    let error = match e.as_error_resp() {
                        Some(p) => serde_json::to_value(p).unwrap(),
                        None => serde_json::json!({"code": -32603, "message": e.to_string()}),
                    };
                    serde_json::json!({"jsonrpc": "2.0", "id": req["id"], "error": error})
                }
            };
            ([(CONTENT_TYPE, "application/json")], reply.to_string())
        }
    };
    let app = axum::Router::new().route("/", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deposit_left_out_of_an_eth_get_logs_answer_is_read_again() {
    let mut l1 = l1().await;
    let drop_one = Arc::new(AtomicBool::new(false));
    l1.url = lossy_proxy(l1.provider.clone(), drop_one.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(l1.node_config(dir.path(), 0)).await.unwrap();
    let (alice, bob) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb0));
    until("the watcher reads L1", async || {
        read_through(&node, l1.start_block)
    })
    .await;

    drop_one.store(true, Ordering::SeqCst);
    l1.deposit(alice).await;
    until("the proxy left the deposit out once", async || {
        !drop_one.load(Ordering::SeqCst)
    })
    .await;
    l1.deposit(bob).await;
    until("both deposits are taken", async || taken(&node) == 2).await;
    {
        let seq = lock(&node.sequencer);
        assert!(seq.account_of(&alice).unwrap().is_some());
        assert!(seq.account_of(&bob).unwrap().is_some());
    }
    let failed = tokio::time::timeout(Duration::from_millis(300), node.failed()).await;
    assert!(failed.is_err(), "the node is healthy: {failed:?}");
    node.stop().await;
}
