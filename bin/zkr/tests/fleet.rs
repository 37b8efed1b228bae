//! End to end with a prover fleet: `zkr devnet --prover-queue <throwaway PostgreSQL> --provers 2`
//! proves every batch through the queue; a worker killed with SIGKILL in the middle of a proof
//! stops beating, its job is put back after the timeout (15 s here, shorter than a proof: only
//! the heartbeat tells a slow worker from a dead one) and finished by a worker (attempt 2), and
//! the withdrawal in that batch is executed on L1 and claimed.

mod common;

use common::{Devnet, ETH, Env, free_ports};
use jsonrpsee::rpc_params;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::path::PathBuf;
use zkr_fleet::testing::ThrowawayPostgres;
use zkr_fleet::{JobStatus, Queue};

/// The pid of the `zkr prover` process named `name` that `parent` runs (from /proc).
fn worker_pid(parent: i32, name: &str) -> Option<i32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
        let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
        // pid (comm) state ppid ...
        let ppid: i32 = stat
            .rsplit(')')
            .next()?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        let is =
            ppid == parent && args.contains(&&b"prover"[..]) && args.contains(&name.as_bytes());
        is.then_some(pid)
    })
}

#[test]
fn a_fleet_proves_the_devnet_and_survives_a_worker_killed_mid_proof() {
    let pg = ThrowawayPostgres::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let keys = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zkr-keys");
    let (l1_port, l2_port) = free_ports();
    let url = pg.url();
    let devnet = Devnet::start_with(
        &dir,
        &keys,
        l1_port,
        l2_port,
        &["--prover-queue", &url, "--provers", "2"],
        &[("ZKR_PROVER_JOB_TIMEOUT", "15")],
    );
    let env = Env::new(&dir);
    let me = env.me;
    let queue = env.rt.block_on(Queue::connect(&url, 3)).unwrap();

    env.wallet_ok(&["deposit", "--amount", "5", "--wait", "included"]);
    let hash = env.wallet_ok(&["withdraw", "--amount", "2", "--wait", "included"]);
    let batch = env.tx_status(&hash)["batch"]
        .as_u64()
        .expect("the withdrawal's batch");
    // Catch its job in a worker's hands, and kill that worker outright.
    let mut worker = String::new();
    env.wait_until("a worker proves the withdrawal's batch", 120, || {
        let b = env.l2_call("zkr_getBatch", rpc_params![batch]);
        if b["proverJob"]["status"] == "proving" {
            worker = b["proverJob"]["worker"].as_str().unwrap().to_string();
            return true;
        }
        false
    });
    let pid = worker_pid(devnet.pid(), &worker)
        .unwrap_or_else(|| devnet.fail(&format!("no process {worker}")));
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();

    let started = std::time::Instant::now();
    while env.tx_status(&hash)["status"] != "executed" {
        if started.elapsed() > std::time::Duration::from_secs(300) {
            let job = env.rt.block_on(queue.state(batch)).unwrap();
            devnet.fail(&format!(
                "the withdrawal was not executed within 300 s; its job: {job:?}"
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let job = env.rt.block_on(queue.state(batch)).unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Done);
    assert_eq!(
        job.attempts, 2,
        "the killed claim, then the one that finished: {job:?}"
    );
    assert!(
        job.error.is_none(),
        "a finished job carries no error: {job:?}"
    );
    // Every batch the devnet sealed went through the queue.
    let (pending, proving, done, failed) = env.rt.block_on(queue.counts()).unwrap();
    assert!(
        done >= batch && failed == 0,
        "{pending} {proving} {done} {failed}"
    );

    // The withdrawal reaches L1: claimable, then claimed.
    let eth = alloy::primitives::Address::ZERO;
    assert_eq!(env.pending(me, eth), 2 * ETH);
    env.wallet_ok(&["claim"]);
    assert_eq!(env.pending(me, eth), 0);
    assert!(devnet.stop(), "the devnet and its workers stop cleanly");
}
