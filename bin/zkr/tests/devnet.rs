//! End to end on a real devnet: `zkr devnet` (real anvil, the real contracts, a node proving
//! every batch with real Groth16 proofs) driven through `zkr wallet`, checked against the
//! node's JSON-RPC, the rollup contract and anvil itself.
//!
//! One test, in order: deposits of ETH and the test token from L1; a transfer to an address
//! with no account yet; a rejected transaction that changes nothing; a withdrawal whose node is
//! killed (SIGKILL) after its batch is committed and before it is proven, which the restarted
//! node finishes without a second commit; the claim on L1; a full exit requested on L1; the DEX
//! on the pool the devnet seeds (swaps both ways, a swap refused for slippage that changes
//! nothing, liquidity added and removed, the proceeds withdrawn to L1, every batch proven by
//! the DEX circuit's verifier and executed); `zkr rebuild` from L1 alone, compared account by
//! account with the node; a clean stop; a restart on the same data dir that resumes; a restart
//! on the data dir rebuilt from L1, which goes on executing new batches; `zkr bench load` on it.

use alloy::primitives::{Address, U256, address};
use alloy::providers::Provider;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::rpc_params;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use std::path::PathBuf;
use zkr_l1::bindings::{DevToken, ZkrRollup};

mod common;

use common::{Devnet, ETH, Env, free_ports};
/// An address with no L2 account (the transfer creates it).
const NEW_L2: Address = address!("0x00000000000000000000000000000000000b0b01");
/// An L1 address with no ETH (the withdrawal's receiver).
const NEW_L1: Address = address!("0x00000000000000000000000000000000000c0c01");

#[test]
fn devnet_deposit_transfer_withdraw_exit_with_a_crash_and_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    // Keys are cached across runs of the test suite (a fresh CI run makes them once).
    let keys = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zkr-keys");
    let (l1_port, l2_port) = free_ports();
    let devnet = Devnet::start(&dir, &keys, l1_port, l2_port);
    let env = Env::new(&dir);
    let me = env.me;

    // Deposits from L1, credited on L2; the contract holds the funds.
    // The deposits are found by their L1 transaction hashes, as priority operations 2 and 3
    // (0 and 1 are the deposits of the dev account that seeded the ETH/DEV pool).
    let seed_eth = 101 * ETH;
    let seed_dev = 200_000 * ETH;
    let pool = env.l2_call("zkr_getPool", rpc_params!["ETH", "DEV"]);
    assert_eq!(pool["reserveA"], (100 * ETH).to_string(), "{pool}");
    assert_eq!(pool["reserveB"], seed_dev.to_string(), "{pool}");
    let eth_deposit = env.wallet_ok(&["deposit", "--amount", "10", "--wait", "included"]);
    let dev_deposit = env.wallet_ok(&[
        "deposit", "--amount", "100", "--token", "DEV", "--wait", "executed",
    ]);
    let d = env.tx_status(&eth_deposit);
    assert_eq!(d["priorityIndex"], 2, "{d}");
    assert!(d["block"].is_u64(), "{d}");
    let d = env.tx_status(&dev_deposit);
    assert_eq!(
        (d["priorityIndex"].as_u64(), d["status"].as_str()),
        (Some(3), Some("executed")),
        "{d}"
    );
    assert_eq!(env.l2_balance(me, 0), 10 * ETH);
    assert_eq!(env.l2_balance(me, 1), 100 * ETH);
    // The rollup holds the ETH deposit and both deposits' priority fees.
    let fee = env
        .rt
        .block_on(async { env.rollup().priorityFee().call().await })
        .unwrap();
    assert!(fee > 0, "the devnet charges priority operations");
    assert_eq!(
        env.eth_balance(env.rollup),
        U256::from(seed_eth + 10 * ETH + 4 * fee)
    );
    let dev = DevToken::new(env.dev_token, &env.l1);
    let locked = env
        .rt
        .block_on(async { dev.balanceOf(env.rollup).call().await })
        .unwrap();
    assert_eq!(locked, U256::from(seed_dev + 100 * ETH));

    // A transfer to an address without an account creates it (the wallet first registers the
    // L2 key derived from the Ethereum key).
    assert!(env.account(NEW_L2).is_null());
    let hash = env.wallet_ok(&[
        "transfer",
        "--to",
        &NEW_L2.to_string(),
        "--amount",
        "1.25",
        "--wait",
        "included",
    ]);
    assert_eq!(env.tx_status(&hash)["status"], "included");
    assert_eq!(env.l2_balance(NEW_L2, 0), 5 * ETH / 4);
    let after_transfer = env.account(me);
    assert_eq!(after_transfer["nonce"], 2, "ChangePubKey and the transfer");
    assert!(
        env.l2_balance(me, 0) < 10 * ETH - 5 * ETH / 4,
        "fees were paid"
    );

    // An invalid transaction is rejected with its error and changes nothing.
    let o = env.wallet(&["transfer", "--to", &NEW_L2.to_string(), "--amount", "1000"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("insufficient balance") && err.contains("code 1004"),
        "{err}"
    );
    let malformed = env.rt.block_on(env.l2.request::<Value, _>(
        "zkr_sendTx",
        rpc_params![serde_json::json!({"type": "Transfer"})],
    ));
    match malformed {
        Err(jsonrpsee::core::client::Error::Call(e)) => assert_eq!(e.code(), -32602),
        other => panic!("malformed transaction: {other:?}"),
    }
    assert_eq!(env.account(me), after_transfer);
    assert_eq!(env.l2_balance(NEW_L2, 0), 5 * ETH / 4);

    // A withdrawal; its node is killed after the batch is committed on L1 and before it is
    // proven there. The devnet restarts the node, which finishes the batch.
    let hash = env.wallet_ok(&["withdraw", "--to", &NEW_L1.to_string(), "--amount", "0.5"]);
    let mut batch = 0;
    env.wait_until("the withdrawal's batch is committed", 120, || {
        let tx = env.tx_status(&hash);
        batch = tx["batch"].as_u64().unwrap_or(0);
        tx["status"] == "committed" || tx["status"] == "proven" || tx["status"] == "executed"
    });
    let node_pid: i32 = std::fs::read_to_string(dir.join("node.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    kill(Pid::from_raw(node_pid), Signal::SIGKILL).unwrap();
    let (committed, proven, _) = env.totals();
    assert!(
        committed >= batch && proven < batch,
        "the kill was meant to land between commit and prove of batch {batch} \
         (L1: {committed} committed, {proven} proven)"
    );
    env.wait_until("the node is back", 120, || {
        std::fs::read_to_string(dir.join("node.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok())
            .is_some_and(|p| p != node_pid)
    });
    env.wait_until("the withdrawal is executed on L1", 300, || {
        env.rt
            .block_on(env.l2.request::<Value, _>("zkr_getTx", rpc_params![&hash]))
            .is_ok_and(|tx| tx["status"] == "executed")
    });
    let (committed, proven, executed) = env.totals();
    assert!(executed >= batch && proven >= executed && committed >= proven);
    let events = env.committed_events();
    let expected: Vec<u64> = (1..=committed).collect();
    assert_eq!(
        events, expected,
        "every batch committed exactly once, in order"
    );
    let record = env.l2_call("zkr_getBatch", rpc_params![batch]);
    assert_eq!(record["status"], "executed");
    assert!(record["executeTx"].is_string(), "{record}");

    // The withdrawn ETH is claimable by its receiver, and paid out on L1.
    assert_eq!(env.pending(NEW_L1, Address::ZERO), ETH / 2);
    assert_eq!(env.eth_balance(NEW_L1), U256::ZERO);
    env.wallet_ok(&["claim", "--owner", &NEW_L1.to_string()]);
    assert_eq!(env.pending(NEW_L1, Address::ZERO), 0);
    assert_eq!(env.eth_balance(NEW_L1), U256::from(ETH / 2));

    // A full exit requested on L1 moves the whole DEV balance to L1.
    let exit = env.wallet_ok(&["full-exit", "--token", "DEV", "--wait", "executed"]);
    assert_eq!(env.tx_status(&exit)["status"], "executed");
    assert_eq!(env.pending(me, env.dev_token), 100 * ETH);
    assert_eq!(env.l2_balance(me, 1), 0);

    // The DEX on the devnet's ETH/DEV pool. A swap pays exactly what the node quoted.
    let quote = env.l2_call("zkr_quoteSwap", rpc_params!["ETH", "DEV", ETH.to_string()]);
    let bought: u128 = quote["amountOut"].as_str().unwrap().parse().unwrap();
    assert!(bought > 1_900 * ETH && bought < 2_000 * ETH, "{quote}");
    let eth_before = env.l2_balance(me, 0);
    let swap = env.wallet_ok(&[
        "swap", "--sell", "ETH", "--buy", "DEV", "--amount", "1", "--wait", "included",
    ]);
    assert_eq!(env.l2_balance(me, 1), bought);
    assert!(
        env.l2_balance(me, 0) < eth_before - ETH,
        "1 ETH and the fee"
    );
    // A swap whose signed minimum the pool cannot meet is refused and changes nothing.
    let account = env.account(me);
    let pool = env.l2_call("zkr_getPool", rpc_params!["ETH", "DEV"]);
    let o = env.wallet(&[
        "swap",
        "--sell",
        "ETH",
        "--buy",
        "DEV",
        "--amount",
        "1",
        "--min-out",
        "5000",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("code 1019"), "{err}");
    assert_eq!(env.account(me), account);
    assert_eq!(env.l2_call("zkr_getPool", rpc_params!["ETH", "DEV"]), pool);
    // And back: DEV for ETH.
    let eth_before = env.l2_balance(me, 0);
    env.wallet_ok(&[
        "swap", "--sell", "DEV", "--buy", "ETH", "--amount", "1000", "--wait", "included",
    ]);
    let dev_now = env.l2_balance(me, 1);
    assert!(
        dev_now < bought - 1_000 * ETH && dev_now > bought - 1_001 * ETH,
        "1,000 DEV and the fee, paid in the sold token"
    );
    assert!(env.l2_balance(me, 0) > eth_before);
    // Liquidity in, and all of it out again.
    let lp = pool["lpToken"].as_u64().unwrap() as u16;
    env.wallet_ok(&[
        "add-liquidity",
        "--pair",
        "ETH/DEV",
        "--amount-a",
        "0.1",
        "--amount-b",
        "500",
        "--wait",
        "included",
    ]);
    let shares = env.l2_balance(me, lp);
    assert!(shares > 0, "LP shares minted");
    let balances = env.wallet_ok(&["balance"]);
    assert!(balances.contains("ETH/DEV"), "{balances}");
    env.wallet_ok(&[
        "remove-liquidity",
        "--pair",
        "ETH/DEV",
        "--percent",
        "100",
        "--wait",
        "included",
    ]);
    assert_eq!(env.l2_balance(me, lp), 0);
    // The DEV proceeds go back to L1, once every batch up to them is proven and executed.
    let dev_left = env.l2_balance(me, 1);
    assert!(dev_left > 0);
    // whole DEV (an amount L2 can represent); the dust stays on L2
    let withdrawn = dev_left / ETH * ETH;
    let amount = (dev_left / ETH).to_string();
    let out = env.wallet_ok(&[
        "withdraw", "--token", "DEV", "--amount", &amount, "--wait", "executed",
    ]);
    assert_eq!(env.tx_status(&out)["status"], "executed");
    assert_eq!(env.tx_status(&swap)["status"], "executed");
    let dust = env.l2_balance(me, 1);
    assert!(
        dust < dev_left - withdrawn,
        "and the withdrawal's fee, in DEV"
    );
    assert_eq!(env.pending(me, env.dev_token), 100 * ETH + withdrawn);
    let (committed, proven, executed) = env.totals();
    assert!(committed >= proven && proven >= executed && executed >= 1);
    let dex_batch = env.tx_status(&swap)["batch"].as_u64().unwrap();
    let record = env.l2_call("zkr_getBatch", rpc_params![dex_batch]);
    assert_eq!(record["status"], "executed", "{record}");
    // ... proven on L1 through the DEX circuit's verifier
    let prove_tx: alloy::primitives::B256 = record["proveTx"].as_str().unwrap().parse().unwrap();
    let tx = env
        .rt
        .block_on(env.l1.get_transaction_by_hash(prove_tx))
        .unwrap()
        .unwrap();
    use alloy::consensus::Transaction as _;
    use alloy::sol_types::SolCall;
    assert_eq!(
        &tx.input()[..4],
        ZkrRollup::proveDexBatchCall::SELECTOR.as_slice(),
        "a DEX batch is proven with proveDexBatch"
    );
    let nonce = env.account(me)["nonce"].clone();
    let block = env.l2_call("zkr_blockNumber", rpc_params![]);

    // `zkr rebuild` from L1 alone: the same root, every account and pool the same.
    env.wait_until("every batch executed", 60, || {
        let (c, p, e) = env.totals();
        c == p && p == e
    });
    let rebuilt = tmp.path().join("rebuilt");
    let report = env.rebuild(&rebuilt);
    let node_root = &env.l2_call("zkr_getBlock", rpc_params![block.clone()])["root"];
    assert_eq!(&report["root"], node_root, "{report}");
    assert_eq!(report["atLastExecutedRoot"], true, "{report}");
    assert_eq!(report["stored"], env.totals().2, "{report}");
    env.same_accounts_and_pools(&rebuilt, report["accounts"].as_u64().unwrap());
    // Interrupted or not, a second run resumes: nothing left to import.
    assert_eq!(env.rebuild(&rebuilt)["imported"], 0);

    // A clean stop leaves nothing running; a second start on the same dir resumes.
    assert!(devnet.stop(), "the devnet did not stop cleanly on SIGTERM");
    for port in [l1_port, l2_port] {
        assert!(
            std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "port {port} still taken after the devnet stopped"
        );
    }
    let devnet = Devnet::start(&dir, &keys, l1_port, l2_port);
    let env = Env::new(&dir);
    assert_eq!(env.l2_balance(NEW_L2, 0), 5 * ETH / 4);
    assert_eq!(env.l2_balance(me, 1), dust);
    assert_eq!(env.account(me)["nonce"], nonce);
    assert!(env.l2_call("zkr_blockNumber", rpc_params![]).as_u64() >= block.as_u64());
    assert_eq!(env.pending(me, env.dev_token), 100 * ETH + withdrawn);
    assert!(devnet.stop());

    // The operator loses its disk: the node restarts on the data dir rebuilt from L1, and goes
    // on proving and executing new batches on top of it.
    std::fs::rename(dir.join("node"), tmp.path().join("node.lost")).unwrap();
    std::fs::rename(&rebuilt, dir.join("node")).unwrap();
    let devnet = Devnet::start(&dir, &keys, l1_port, l2_port);
    let env = Env::new(&dir);
    assert_eq!(env.l2_balance(NEW_L2, 0), 5 * ETH / 4);
    assert_eq!(env.l2_balance(me, 1), dust);
    assert_eq!(env.account(me)["nonce"], nonce);
    let executed = env.totals().2;
    let out = env.wallet_ok(&[
        "transfer",
        "--to",
        &NEW_L2.to_string(),
        "--amount",
        "0.25",
        "--wait",
        "executed",
    ]);
    assert_eq!(env.tx_status(&out)["status"], "executed");
    assert_eq!(env.l2_balance(NEW_L2, 0), 3 * ETH / 2);
    assert!(env.totals().2 > executed);

    // `zkr bench load` funds its accounts through the protocol (a deposit from L1 for a funder
    // with nothing on L2, transfers, key registrations), then sends transfers and swaps.
    let funder = &env.accounts[env.accounts.len() - 2];
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zkr"))
        .args(["bench", "load", "--l2-rpc", &env.l2_rpc])
        .args(["--accounts", "4", "--concurrency", "2", "--duration", "2"])
        .args(["--rate", "10", "--mix", "transfer=50,swap=50"])
        .env("ZKR_PRIVATE_KEY", &funder.0)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "zkr bench load: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let figures: Value = serde_json::from_slice(&out.stdout).unwrap();
    let accepted = figures["accepted"].as_u64().unwrap();
    assert!((10..=20).contains(&accepted), "{figures}");
    assert_eq!(figures["rejected"], 0, "{figures}");
    assert_eq!(figures["not_included"], 0, "{figures}");
    assert_eq!(
        figures["blocks"], figures["blocks_timed_by_node"],
        "{figures}"
    );
    for f in [
        "ack_p50_ms",
        "ack_p99_ms",
        "included_p50_ms",
        "included_p99_ms",
    ] {
        assert!(
            figures[f].as_f64().is_some_and(|ms| ms >= 0.0),
            "{f}: {figures}"
        );
    }
    assert!(env.l2_balance(funder.1, 0) > 0, "the funder's deposit");
    assert!(devnet.stop());
}
