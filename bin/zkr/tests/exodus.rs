//! The exodus drill, end to end on a real devnet: users get back exactly the balances of the
//! last executed state, from L1 alone, after the operator stops for good.
//!
//! Deposits and a transfer, executed; the operator freezes (SIGSTOP: it never answers or acts
//! again); a deposit that is never processed; a censored user's full exit request on L1; exodus
//! refused before the deadline, activated by a bystander after it (anvil time travel); two
//! users exit with `zkr wallet exit` (state rebuilt from L1, no node), and the pool's liquidity
//! provider its LP shares as its part of the reserves; a second exit refused;
//! the unprocessed deposit and its priority fee refunded; the claims pay out exactly.

mod common;

use alloy::primitives::{Address, U256};
use common::{Devnet, ETH, Env, free_ports};
use jsonrpsee::rpc_params;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::path::PathBuf;
use zkr_l1::bindings::DevToken;

fn stderr_of(o: &std::process::Output) -> String {
    assert!(!o.status.success(), "expected a failure");
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn exodus_drill_pays_out_the_last_executed_state_from_l1_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let keys = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zkr-keys");
    let (l1_port, l2_port) = free_ports();
    let devnet = Devnet::start(&dir, &keys, l1_port, l2_port);
    let env = Env::new(&dir);
    let (alice_key, alice) = env.accounts[0].clone();
    let (bob_key, bob) = env.accounts[1].clone();
    let (carol_key, _) = env.accounts[2].clone();
    let dev = env.dev_token;

    // Deposits and a transfer, all executed on L1.
    env.wallet_as_ok(
        &alice_key,
        &["deposit", "--amount", "10", "--wait", "included"],
    );
    env.wallet_as_ok(
        &alice_key,
        &[
            "deposit", "--amount", "50", "--token", "DEV", "--wait", "included",
        ],
    );
    env.wallet_as_ok(
        &bob_key,
        &["deposit", "--amount", "5", "--wait", "included"],
    );
    env.wallet_as_ok(
        &alice_key,
        &[
            "transfer",
            "--to",
            &bob.to_string(),
            "--amount",
            "1.5",
            "--wait",
            "executed",
        ],
    );
    env.wait_until("every batch executed", 60, || {
        let (c, p, e) = env.totals();
        c == p && p == e
    });
    // The node's state is L1's last executed state: what exodus must pay out.
    let block = env.l2_call("zkr_blockNumber", rpc_params![]);
    let node_root: U256 = env.l2_call("zkr_getBlock", rpc_params![block])["root"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let last_executed = env
        .rt
        .block_on(async { env.rollup().lastExecutedRoot().call().await })
        .unwrap();
    assert_eq!(node_root, last_executed);
    let alice_eth = env.l2_balance(alice, 0);
    let alice_dev = env.l2_balance(alice, 1);
    let bob_eth = env.l2_balance(bob, 0);
    assert!(alice_eth > 0 && alice_dev == 50 * ETH && bob_eth == 5 * ETH + 3 * ETH / 2);
    let bob_id = env.account(bob)["id"].as_u64().unwrap().to_string();
    // The devnet's last account seeded the ETH/DEV pool: it holds LP shares.
    let (seeder_key, seeder) = env.accounts.last().unwrap().clone();
    let pool = env.l2_call("zkr_getPool", rpc_params!["ETH", "DEV"]);
    let num = |v: &serde_json::Value| v.as_str().unwrap().parse::<u128>().unwrap();
    let lp_token = pool["lpToken"].as_u64().unwrap() as u16;
    let shares = env.l2_balance(seeder, lp_token);
    assert!(shares > 0);
    let pro_rata = |reserve: u128| {
        (U256::from(shares) * U256::from(reserve) / U256::from(num(&pool["lpSupply"]))).to::<u128>()
    };
    let seeder_eth = env.l2_balance(seeder, 0) + pro_rata(num(&pool["reserveA"]));
    let seeder_dev = env.l2_balance(seeder, 1) + pro_rata(num(&pool["reserveB"]));

    // The operator stops for good.
    let node = Pid::from_raw(env.node_pid());
    kill(node, Signal::SIGSTOP).unwrap();

    // A deposit no batch will process, and a censored user's full exit request, from L1.
    env.wallet_l1_ok(&alice_key, &["deposit", "--amount", "2"]);
    env.wallet_l1_ok(&bob_key, &["full-exit", "--account-id", &bob_id]);
    let fee = env
        .rt
        .block_on(async { env.rollup().priorityFee().call().await })
        .unwrap();

    // Nothing works before the deadline, and says why.
    let e = stderr_of(&env.wallet_l1(&carol_key, &["exodus", "activate"]));
    assert!(e.contains("within its deadline"), "{e}");
    let e = stderr_of(&env.wallet_l1(&alice_key, &["exit"]));
    assert!(e.contains("exodus mode is not active"), "{e}");

    // A day later, anyone activates exodus.
    env.time_travel(86_400 + 60);
    env.wallet_l1_ok(&carol_key, &["exodus", "activate"]);
    assert!(
        env.rt
            .block_on(async { env.rollup().exodusMode().call().await })
            .unwrap()
    );
    let e = stderr_of(&env.wallet_l1(&carol_key, &["exodus", "activate"]));
    assert!(e.contains("already active"), "{e}");

    // Two users exit, from L1 data alone: exactly their last executed balances.
    let txs = env.wallet_l1_ok(&alice_key, &["exit"]);
    assert_eq!(txs.lines().count(), 2, "ETH and DEV: {txs}");
    env.wallet_l1_ok(&bob_key, &["exit", "--token", "ETH"]);
    assert_eq!(env.pending(alice, Address::ZERO), alice_eth);
    assert_eq!(env.pending(alice, dev), alice_dev);
    assert_eq!(env.pending(bob, Address::ZERO), bob_eth);
    // LP shares exit as their part of the pool's reserves.
    env.wallet_l1_ok(&seeder_key, &["exit"]);
    assert_eq!(env.pending(seeder, Address::ZERO), seeder_eth);
    assert_eq!(env.pending(seeder, dev), seeder_dev);

    // The same balance cannot exit twice.
    let e = stderr_of(&env.wallet_l1(&alice_key, &["exit"]));
    assert!(e.contains("nothing left to exit"), "{e}");
    let e = stderr_of(&env.wallet_l1(&bob_key, &["exit"]));
    assert!(e.contains("nothing left to exit"), "{e}");

    // The deposit no batch processed comes back, with its priority fee.
    env.wallet_l1_ok(&alice_key, &["refund-deposit"]);
    assert_eq!(env.pending(alice, Address::ZERO), alice_eth + 2 * ETH + fee);
    let e = stderr_of(&env.wallet_l1(&alice_key, &["refund-deposit"]));
    assert!(e.contains("nothing to refund"), "{e}");

    // L1 pays out exactly that (claims sent by a bystander, so no gas blurs the figures).
    let before = env.eth_balance(alice);
    env.wallet_l1_ok(&carol_key, &["claim", "--owner", &alice.to_string()]);
    assert_eq!(
        env.eth_balance(alice) - before,
        U256::from(alice_eth + 2 * ETH + fee)
    );
    let token = DevToken::new(dev, &env.l1);
    let dev_before = env
        .rt
        .block_on(async { token.balanceOf(alice).call().await })
        .unwrap();
    env.wallet_l1_ok(
        &carol_key,
        &["claim", "--token", "DEV", "--owner", &alice.to_string()],
    );
    let dev_after = env
        .rt
        .block_on(async { token.balanceOf(alice).call().await })
        .unwrap();
    assert_eq!(dev_after - dev_before, U256::from(alice_dev));
    assert_eq!(env.pending(alice, Address::ZERO), 0);

    // The operator's node, woken up, sees exodus on L1 and takes nothing more.
    kill(node, Signal::SIGCONT).unwrap();
    env.wait_until("the node sees exodus", 60, || {
        env.l2_call("zkr_status", rpc_params![])["exodus"] == true
    });
    let status = env.l2_call("zkr_status", rpc_params![]);
    assert_eq!(status["acceptingTransactions"], false, "{status}");
    let o = env.wallet(&["transfer", "--to", &bob.to_string(), "--amount", "0.1"]);
    let e = stderr_of(&o);
    assert!(e.contains("exodus mode") && e.contains("1023"), "{e}");
    assert!(devnet.stop());
}
