//! The explorer's JSON API over a real sequencer and store (no L1): overview totals, a
//! transaction and a deposit with their timelines, an account's history paginated and as CSV,
//! search, and clear errors for what does not exist or is malformed.

use alloy_primitives::B256;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;
use zkr_explorer::{Context, ExplorerConfig, api, stats};
use zkr_node::{Sequencer, SequencerConfig};
use zkr_state::OpRequest;
use zkr_state::fixtures::{User, config};
use zkr_state::storage::RedbStorage;
use zkr_types::tx::L2Tx;

fn tx_of(r: OpRequest) -> L2Tx {
    match r {
        OpRequest::Tx(t) => t,
        other => panic!("not a transaction: {other:?}"),
    }
}

struct Fx {
    ctx: Arc<Context>,
    users: [User; 3],
    deposit_l1: B256,
    transfers: Vec<B256>,
    _dir: tempfile::TempDir,
}

/// A deposit, a key registration and three transfers in three blocks; the first batch sealed.
fn fixture() -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let storage = RedbStorage::open(&dir.path().join("state.redb")).unwrap();
    let mut seq = Sequencer::open(storage.clone(), config(), SequencerConfig::free(8)).unwrap();
    let users = [User::new(1), User::new(2), User::new(3)];
    let [a, b, c] = &users;
    let deposit_l1 = B256::repeat_byte(9);
    seq.submit_priority(0, a.deposit(0, 10_000_000), Some(deposit_l1))
        .unwrap();
    seq.submit(tx_of(a.change_pubkey(0, 0, 0, 0))).unwrap();
    seq.seal_block(1_000_000).unwrap();
    let mut transfers = vec![
        seq.submit(tx_of(a.transfer(0, b.address(), 0, 1_500, 0, 1)))
            .unwrap(),
    ];
    seq.seal_batch(2_000_000).unwrap();
    transfers.push(
        seq.submit(tx_of(a.transfer(0, c.address(), 0, 700, 0, 2)))
            .unwrap(),
    );
    transfers.push(
        seq.submit(tx_of(a.transfer(0, b.address(), 0, 300, 0, 3)))
            .unwrap(),
    );
    seq.seal_block(3_000_000).unwrap();
    let ctx = Arc::new(Context {
        seq: Arc::new(Mutex::new(seq)),
        storage,
        config: ExplorerConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            l1: None,
            tvl_every: Duration::from_secs(10),
            prices: BTreeMap::new(),
            wallet: None,
        },
        stats: Mutex::new(stats::Stats::default()),
        tvl: Mutex::new(None),
        measuring: tokio::sync::Mutex::new(()),
    });
    stats::refresh(&ctx).unwrap();
    Fx {
        ctx,
        users,
        deposit_l1,
        transfers,
        _dir: dir,
    }
}

async fn get(fx: &Fx, uri: &str) -> (StatusCode, String) {
    let r = api::router(fx.ctx.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = r.status();
    let body = r.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

async fn json(fx: &Fx, uri: &str) -> Value {
    let (status, body) = get(fx, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn overview_counts_what_the_blocks_hold() {
    let fx = fixture();
    let o = json(&fx, "/api/overview").await;
    assert_eq!(
        o["stats"]["l2Txs"], 4,
        "a key registration and three transfers"
    );
    assert_eq!(o["stats"]["priorityOps"], 1);
    assert_eq!(o["stats"]["opsByType"]["Transfer"], 3);
    assert_eq!(o["counts"]["sealedBatches"], 1);
    let latest = o["latestOps"].as_array().unwrap();
    assert_eq!(latest.len(), 5);
    assert_eq!(latest[0]["hash"], fx.transfers[2].to_string());
    assert_eq!(latest[0]["amount"], "300");
    assert_eq!(latest[4]["type"], "Deposit");
    assert!(o["tvl"].is_null(), "no L1, no TVL");
    assert_eq!(
        o["l1Progress"],
        serde_json::json!({"committed": 0, "proven": 0, "executed": 0})
    );
    // batch 1 committed on L1: the overview says so
    zkr_node::pipeline::lock(&fx.ctx.seq)
        .update_batch(1, zkr_node::records::BatchStatus::Committed, None)
        .unwrap();
    let o = json(&fx, "/api/overview").await;
    assert_eq!(
        o["l1Progress"],
        serde_json::json!({"committed": 1, "proven": 0, "executed": 0})
    );
    let (status, body) = get(&fx, "/api/tvl").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("follows no L1"), "{body}");
}

#[tokio::test]
async fn a_transaction_and_a_deposit_with_their_timelines() {
    let fx = fixture();
    let t = json(&fx, &format!("/api/txs/{}", fx.transfers[0])).await;
    assert_eq!(t["status"], "included");
    assert_eq!(t["batch"], 1);
    assert_eq!(t["operation"]["type"], "Transfer");
    assert_eq!(t["operation"]["amount"], "1500");
    assert_eq!(
        t["operation"]["to"]["address"],
        fx.users[1].address().to_string()
    );
    let done: Vec<bool> = t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["done"].as_bool().unwrap())
        .collect();
    assert_eq!(done, [true, true, false, false, false]);
    // accepted just now (the fixture's blocks carry made-up seal times)
    let pending_at = t["timeline"][0]["at"]
        .as_u64()
        .expect("the time it was accepted");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(pending_at) < 600, "{pending_at} vs {now}");
    assert_eq!(t["timeline"][1]["at"], 2_000, "its block's seal time");
    let d = json(&fx, &format!("/api/txs/{}", fx.deposit_l1)).await;
    assert_eq!(d["kind"], "priority");
    assert_eq!(d["operation"]["type"], "Deposit");
    assert_eq!(d["operation"]["amount"], "10000000");
    let b = json(&fx, "/api/batches/1").await;
    assert_eq!(b["status"], "sealed");
    assert_eq!(b["operations"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn an_account_history_pages_newest_first_and_exports_as_csv() {
    let fx = fixture();
    let a = fx.users[0].address();
    let first = json(&fx, &format!("/api/accounts/{a}?limit=2")).await;
    assert_eq!(first["nonce"], 4);
    assert_eq!(first["keyRegistered"], true);
    let items = first["history"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["hash"], fx.transfers[2].to_string());
    let next = first["next"].as_str().unwrap();
    let rest = json(&fx, &format!("/api/accounts/{a}?limit=100&before={next}")).await;
    let rest = rest["history"].as_array().unwrap();
    assert_eq!(rest.len(), 3, "a transfer, the key, the deposit");
    assert_eq!(rest[2]["hash"], fx.deposit_l1.to_string());
    let b = json(&fx, &format!("/api/accounts/{}", fx.users[1].address())).await;
    assert_eq!(
        b["history"].as_array().unwrap().len(),
        2,
        "B's two incoming transfers"
    );
    let (status, csv) = get(&fx, &format!("/api/accounts/{a}/history.csv")).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(lines[0].starts_with("block,position,timestamp,hash,type"));
    assert!(lines[1].contains(&fx.transfers[2].to_string()) && lines[1].contains(",Transfer,"));
}

#[tokio::test]
async fn search_and_errors() {
    let fx = fixture();
    let s = json(&fx, "/api/search?q=1").await;
    let kinds: Vec<&str> = s["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["block", "batch"]);
    let s = json(&fx, &format!("/api/search?q={}", fx.transfers[1])).await;
    assert_eq!(s["results"][0]["kind"], "tx");
    let s = json(
        &fx,
        &format!("/api/search?q=%20{}%20", fx.users[2].address()),
    )
    .await;
    assert_eq!(s["results"][0]["kind"], "account");
    let none = json(&fx, &format!("/api/search?q={}", B256::repeat_byte(1))).await;
    assert!(none["results"].as_array().unwrap().is_empty());
    assert!(
        none["message"]
            .as_str()
            .unwrap()
            .contains("nothing matches")
    );
    for (uri, status) in [
        ("/api/blocks/999".to_string(), StatusCode::NOT_FOUND),
        ("/api/blocks/x".to_string(), StatusCode::BAD_REQUEST),
        ("/api/batches/7".to_string(), StatusCode::NOT_FOUND),
        (
            format!("/api/txs/{}", B256::repeat_byte(3)),
            StatusCode::NOT_FOUND,
        ),
        ("/api/txs/0x12".to_string(), StatusCode::BAD_REQUEST),
        ("/api/accounts/0xzz".to_string(), StatusCode::BAD_REQUEST),
        (
            "/api/accounts/0x00000000000000000000000000000000000000aa".to_string(),
            StatusCode::NOT_FOUND,
        ),
        ("/api/blocks?before=x".to_string(), StatusCode::BAD_REQUEST),
        ("/api/nothing".to_string(), StatusCode::NOT_FOUND),
        ("/assets/nothing.js".to_string(), StatusCode::NOT_FOUND),
    ] {
        let (got, body) = get(&fx, &uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(!v["error"].as_str().unwrap().is_empty(), "{uri}");
    }
    let (status, page) = get(&fx, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("/assets/app.js") && !page.contains("http"),
        "no external asset"
    );
}

#[tokio::test]
async fn l1_progress_is_the_newest_batch_at_least_that_far() {
    use zkr_node::records::BatchStatus::{Committed, Executed, Proven};
    let fx = fixture();
    {
        let mut seq = zkr_node::pipeline::lock(&fx.ctx.seq);
        let a = &fx.users[0];
        for nonce in 4..8 {
            seq.submit(tx_of(a.transfer(0, fx.users[2].address(), 0, 1, 0, nonce)))
                .unwrap();
            seq.seal_batch(4_000_000 + u64::from(nonce)).unwrap();
        }
        assert_eq!(seq.sealed_batches(), 5);
        for (n, s) in [(1, Executed), (2, Executed), (3, Proven), (4, Committed)] {
            seq.update_batch(n, s, None).unwrap();
        }
    }
    let o = json(&fx, "/api/overview").await;
    assert_eq!(
        o["l1Progress"],
        serde_json::json!({"committed": 4, "proven": 3, "executed": 2})
    );
}
