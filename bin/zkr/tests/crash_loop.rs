//! The crash loop: a real devnet takes signed transfers without pause from two senders while
//! its node is killed with SIGKILL at random moments (whatever it is doing: sealing, proving,
//! sending to L1) and restarted by the devnet's supervisor. Afterwards:
//! - every transfer `zkr_sendTx` acknowledged is executed on L1, and is in exactly one L2 block
//!   (no transaction is in two);
//! - L1 committed batches 1..=N once each, and proved and executed all of them;
//! - the state rebuilt from L1 alone (a clean replay of the same operations from their pubdata)
//!   has the node's final root, account by account;
//! - nothing is stuck: the mempool is empty and the node takes transactions.
//!
//! Then the devnet is killed outright right after its node took a deposit, and its anvil loses
//! the blocks since its previous state dump (an earlier dump put back): started again, the
//! devnet does not go on with an L2 that credited a deposit L1 no longer has, but stops with
//! a message saying what happened and what to do.
//!
//! `ZKR_CRASH_KILLS` sets the number of kills (3 in the test command; the 20-kill figure in
//! BENCHMARKS.md comes from `ZKR_CRASH_KILLS=20`), `ZKR_CRASH_SEED` the random moments. The
//! figures are printed as one JSON line (`--nocapture`).

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use common::{Devnet, Env, free_ports};
use jsonrpsee::rpc_params;

/// xorshift64*: the kill moments, reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// What the node was doing when it was killed, from its status and L1's counters.
fn phase(env: &Env) -> String {
    let status = status_of(env);
    if status.is_null() {
        return "restarting".into();
    }
    let sealed = status["openBatch"].as_u64().unwrap_or(1).saturating_sub(1);
    let (committed, proven, executed) = env.totals();
    if !status["proverReady"].as_bool().unwrap_or(false) {
        "loading proving keys".into()
    } else if sealed > committed {
        "batch sealed, commit pending".into()
    } else if committed > proven {
        "proving".into()
    } else if proven > executed {
        "executing on L1".into()
    } else {
        "filling the open batch".into()
    }
}

fn status_of(env: &Env) -> Value {
    env.rt
        .block_on(async {
            use jsonrpsee::core::client::ClientT;
            env.l2
                .request::<Value, _>("zkr_status", rpc_params![])
                .await
        })
        .unwrap_or(Value::Null)
}

/// Polls `read` every 20 ms and returns `label` as soon as its value changes (or after 60 s,
/// as a random moment: then the label says so).
fn wait_for_change(env: &Env, label: &str, read: impl Fn(&Env) -> Option<u64>) -> String {
    let first = read(env);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if read(env) != first {
            return label.to_string();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    phase(env)
}

/// Waits until the devnet has started a new node (a new pid) that answers.
fn wait_restarted(env: &Env, devnet: &Devnet, old_pid: i32) {
    let started = Instant::now();
    loop {
        let pid = std::fs::read_to_string(env.dir.join("node.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        if pid.is_some_and(|p| p != old_pid) && !status_of(env).is_null() {
            return;
        }
        if started.elapsed() > Duration::from_secs(120) {
            devnet.fail("the devnet did not restart the killed node within 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn crash_loop_every_acknowledged_transfer_lands_exactly_once() {
    let kills: usize = std::env::var("ZKR_CRASH_KILLS")
        .ok()
        .map(|v| v.parse().expect("ZKR_CRASH_KILLS: a number"))
        .unwrap_or(3);
    let seed: u64 = std::env::var("ZKR_CRASH_SEED")
        .ok()
        .map(|v| v.parse().expect("ZKR_CRASH_SEED: a number"))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash loop: {kills} kills, ZKR_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let keys = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zkr-keys");
    let (l1_port, l2_port) = free_ports();
    let devnet = Devnet::start(&dir, &keys, l1_port, l2_port);
    let env = Arc::new(Env::new(&dir));

    // Two senders, each with ETH on L2, sending to each other.
    let senders: Vec<(String, alloy::primitives::Address)> = env.accounts[..2].to_vec();
    for (key, _) in &senders {
        env.wallet_as_ok(key, &["deposit", "--amount", "50", "--wait", "included"]);
    }
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let failed_sends = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..senders.len())
        .map(|i| {
            let (key, _) = senders[i].clone();
            let to = senders[(i + 1) % senders.len()].1.to_string();
            let (l2_rpc, acked, failed, stop) = (
                env.l2_rpc.clone(),
                acked.clone(),
                failed_sends.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let out = Command::new(env!("CARGO_BIN_EXE_zkr"))
                        .args(["wallet", "--l2-rpc", &l2_rpc, "transfer", "--to", &to])
                        .args(["--amount", "0.001"])
                        .env("ZKR_PRIVATE_KEY", &key)
                        .output()
                        .expect("run zkr wallet");
                    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
                    if out.status.success() && hash.starts_with("0x") {
                        acked.lock().unwrap().push(hash);
                    } else {
                        // The node is down or restarting (or answered BUSY): not acknowledged.
                        failed.fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(200));
                    }
                }
            })
        })
        .collect();

    let loop_started = Instant::now();
    let mut phases: BTreeMap<String, usize> = BTreeMap::new();
    for k in 0..kills {
        // At least 13 s apart: the devnet restarts a node at most 5 times a minute.
        std::thread::sleep(Duration::from_millis(13_000 + rng.below(7_000)));
        // Every third kill at a random moment (the prover is the slowest stage, so mostly
        // while proving); the others the moment a batch is sealed, or the moment L1 shows a
        // proof, while the sender goes on to execute and commit.
        let at = match k % 3 {
            0 => phase(&env),
            1 => wait_for_change(&env, "just after a batch was sealed", |env| {
                status_of(env)["openBatch"].as_u64()
            }),
            _ => wait_for_change(&env, "while sending to L1 (a proof just landed)", |env| {
                Some(env.totals().1)
            }),
        };
        let pid = env.node_pid();
        kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
        eprintln!(
            "kill {}/{kills} of node {pid} ({at}; {} acknowledged so far)",
            k + 1,
            acked.lock().unwrap().len()
        );
        *phases.entry(at).or_default() += 1;
        wait_restarted(&env, &devnet, pid);
    }
    let loop_secs = loop_started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(3));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    // The node refuses transfers (BUSY) while 16 batches wait for a proof, so the prover's
    // pace bounds this; the loop must still have sent throughout.
    assert!(
        acked.len() >= 20 + kills,
        "only {} transfers acknowledged",
        acked.len()
    );

    // Every acknowledged transfer reaches L1's final state.
    let drain_started = Instant::now();
    for hash in &acked {
        while env.tx_status(hash)["status"] != "executed" {
            if drain_started.elapsed() > Duration::from_secs(900) {
                devnet.fail(&format!(
                    "{hash} not executed 900 s after the last kill: {}",
                    env.tx_status(hash)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let drain_secs = drain_started.elapsed().as_secs_f64();

    // In exactly one L2 block, and no transaction in two.
    let blocks = env
        .l2_call("zkr_blockNumber", rpc_params![])
        .as_u64()
        .unwrap();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for n in 1..=blocks {
        let block = env.l2_call("zkr_getBlock", rpc_params![n]);
        for tx in block["txs"].as_array().unwrap() {
            let tx = tx.as_str().unwrap().to_string();
            if let Some(earlier) = seen.insert(tx.clone(), n) {
                panic!("{tx} is in blocks {earlier} and {n}");
            }
        }
    }
    for hash in &acked {
        assert!(
            seen.contains_key(hash),
            "{hash} acknowledged but in no block"
        );
    }

    // L1: batches 1..=N committed once each, all proven and executed. A batch sealed after the
    // last acknowledged transfer's (fees, the loop's unacknowledged sends) may still be on its
    // way: wait for the pipeline to drain; a batch that never drains fails below.
    let drained = Instant::now();
    let (committed, proven, executed) = loop {
        let t = env.totals();
        if (t.1, t.2) == (t.0, t.0) || drained.elapsed() > Duration::from_secs(300) {
            break t;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        (proven, executed),
        (committed, committed),
        "nothing stuck on L1"
    );
    assert_eq!(
        env.committed_events(),
        (1..=committed).collect::<Vec<u64>>(),
        "every batch committed once, none skipped"
    );

    // A clean replay from L1 alone gives the node's state.
    let rebuilt = tmp.path().join("rebuilt");
    let report = env.rebuild(&rebuilt);
    assert_eq!(report["stored"], committed, "{report}");
    let last = env.l2_call("zkr_getBlock", rpc_params![blocks]);
    assert_eq!(
        report["root"], last["root"],
        "the replay's root is the node's"
    );
    assert_eq!(report["atLastExecutedRoot"], true, "{report}");
    env.same_accounts_and_pools(&rebuilt, report["accounts"].as_u64().unwrap());

    // Nothing stuck in the node: an empty open block, and it takes a transaction.
    let status = env.l2_call("zkr_status", rpc_params![]);
    assert_eq!(status["openBatchOps"], 0, "{status}");
    assert_eq!(status["acceptingTransactions"], true, "{status}");
    env.wallet_as_ok(
        &senders[0].0,
        &[
            "transfer",
            "--to",
            &senders[1].1.to_string(),
            "--amount",
            "0.001",
            "--wait",
            "included",
        ],
    );

    println!(
        "{}",
        json!({
            "bench": "crash-loop",
            "kills": kills,
            "seed": seed,
            "kill_phases": phases,
            "acknowledged": acked.len(),
            "unacknowledged_attempts": failed_sends.load(Ordering::Relaxed),
            "batches": committed,
            "l2_blocks": blocks,
            "kill_loop_secs": (loop_secs * 10.0).round() / 10.0,
            "drain_secs": (drain_secs * 10.0).round() / 10.0,
        })
    );
    assert!(devnet.stop(), "the devnet stops cleanly");

    // Killed outright after a deposit, with L1's last blocks lost.
    let dump = dir.join("anvil/state.json");
    let earlier = std::fs::read(&dump).unwrap();
    let devnet = Devnet::start(&dir, &keys, l1_port, l2_port);
    let env = Env::new(&dir);
    env.wallet_as_ok(
        &senders[0].0,
        &["deposit", "--amount", "1", "--wait", "included"],
    );
    let pids = [
        devnet.pid(),
        env.node_pid(),
        std::fs::read_to_string(dir.join("anvil/anvil.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap(),
    ];
    for pid in pids {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    std::thread::sleep(Duration::from_secs(1));
    std::fs::write(&dump, earlier).unwrap();
    let log = tmp.path().join("lost-blocks.log");
    let mut again = Command::new(env!("CARGO_BIN_EXE_zkr"))
        .args(["devnet", "--data-dir"])
        .arg(&dir)
        .arg("--keys-dir")
        .arg(&keys)
        .arg("--project-dir")
        .arg(common::repo())
        .args(["--l1-port", &l1_port.to_string()])
        .args(["--l2-port", &l2_port.to_string()])
        .args(["--explorer-port", "0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = again.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(300) {
            let _ = again.kill();
            panic!(
                "the devnet went on over lost L1 blocks:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(!status.success(), "{said}");
    assert!(said.contains("the node halted"), "{said}");
    assert!(
        said.contains("L1 no longer has priority operation"),
        "{said}"
    );
    assert!(said.contains("start over"), "{said}");
    drop(devnet);
}
