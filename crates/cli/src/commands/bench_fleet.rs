//! `zkr bench fleet`: a prover fleet on this machine. Queues batches of random valid transfers
//! in a Postgres queue, runs N `zkr prover --threads 1` worker processes against it, and reports
//! batches proven per minute (from the queue's own claim and finish times) and the queue's
//! overhead per job (enqueue, claim, complete of a job of the same size, one at a time).

use super::bench::UNIT;
use anyhow::{Context, Result, bail};
use clap::Args;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde_json::json;
use std::time::{Duration, Instant};
use zkr_circuit::{BatchBuilder, BatchWitness, CircuitKind};
use zkr_fleet::Queue;
use zkr_prover::ProvingJob;
use zkr_state::State;
use zkr_state::account::Account;
use zkr_state::fixtures::{User, config};
use zkr_state::storage::MemoryStorage;
use zkr_types::TokenId;
use zkr_types::tx::pubkey_hash;

/// Settings of `zkr bench fleet`.
#[derive(Debug, Args)]
pub struct FleetBenchArgs {
    /// An empty Postgres database for the queue (postgres://user:password@host:port/db).
    #[arg(long, env = "ZKR_PROVER_QUEUE", hide_env_values = true)]
    queue: String,
    /// Worker processes (`zkr prover --threads 1` each).
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Batches to prove.
    #[arg(long, default_value_t = 6)]
    batches: usize,
    /// Transfer slots per batch.
    #[arg(long, default_value_t = 8)]
    slots: usize,
    /// Jobs timed one at a time for the queue's overhead.
    #[arg(long, default_value_t = 200)]
    overhead_jobs: u64,
    #[command(flatten)]
    keys: super::circuit::KeysArgs,
}

/// `count` consecutive batches of `slots` random transfers each.
fn transfer_batches(slots: usize, count: usize) -> Result<Vec<BatchWitness>> {
    let users: Vec<User> = (1..=slots.clamp(2, 250) as u8).map(User::new).collect();
    let mut accounts = Vec::new();
    for u in &users {
        let mut a = Account::new(u.address());
        a.pubkey_hash = pubkey_hash(&u.l2.public());
        a.set_balance(TokenId::ETH, 1_000_000 * UNIT);
        accounts.push(a);
    }
    let mut state = State::open(MemoryStorage::new(), config())?;
    state.load_genesis(accounts)?;
    state.seal_block()?;
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let mut nonces = vec![0u32; users.len()];
    let mut out = Vec::new();
    for _ in 0..count {
        let mut builder = BatchBuilder::new(&mut state, slots)?;
        for _ in 0..slots {
            let from = rng.gen_range(0..users.len());
            let to = rng.gen_range(0..users.len());
            let amount = rng.gen_range(1..1000u128) * UNIT;
            builder.apply(&users[from].transfer(
                from as u32,
                users[to].address(),
                0,
                amount,
                UNIT,
                nonces[from],
            ))?;
            nonces[from] += 1;
        }
        out.push(builder.finish()?);
    }
    Ok(out)
}

/// Runs the benchmark.
pub fn run(args: FleetBenchArgs) -> Result<()> {
    if args.workers == 0 || args.batches == 0 || args.slots == 0 {
        bail!("--workers, --batches and --slots must be at least 1");
    }
    let keys_dir = super::keys_dir(args.keys.keys_dir.clone());
    // The keys first (made once and cached), so workers only load them.
    zkr_prover::KeyStore::new(keys_dir.clone()).load_or_dev_setup(
        args.slots,
        CircuitKind::Transfer,
        &super::circuit::progress,
    )?;
    eprintln!(
        "building {} batches of {} transfers",
        args.batches, args.slots
    );
    let jobs: Vec<ProvingJob> = transfer_batches(args.slots, args.batches)?
        .into_iter()
        .map(|w| ProvingJob::new(w, CircuitKind::Transfer))
        .collect::<Result<_, _>>()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let queue = Queue::connect(&args.queue, 3)
            .await
            .context("connecting to the queue")?;
        if queue.counts().await? != (0, 0, 0, 0) {
            bail!("the queue's database is not empty: use a fresh one");
        }
        // Overhead: enqueue, claim and complete one job at a time (batch numbers far above the
        // measured ones), with a job of the measured size and a proof-sized answer.
        let (mut enq, mut claim, mut done) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        let proof = vec![7u8; 128];
        for i in 0..args.overhead_jobs {
            let b = 1_000_000 + i;
            let t = Instant::now();
            queue.enqueue(b, &jobs[0]).await?;
            enq += t.elapsed();
            let t = Instant::now();
            let c = queue
                .claim("overhead", Duration::from_secs(60))
                .await?
                .context("the job just queued")?;
            claim += t.elapsed();
            let t = Instant::now();
            queue.complete(c.batch, c.attempt, &proof).await?;
            done += t.elapsed();
        }
        let per = |d: Duration| d.as_secs_f64() * 1000.0 / args.overhead_jobs.max(1) as f64;
        // The fleet.
        for (i, job) in jobs.iter().enumerate() {
            queue.enqueue(i as u64 + 1, job).await?;
        }
        let exe = std::env::current_exe()?;
        let mut workers = Vec::new();
        for w in 0..args.workers {
            workers.push(
                tokio::process::Command::new(&exe)
                    .args(["prover", "--threads", "1", "--name", &format!("bench-{w}")])
                    .arg("--keys-dir")
                    .arg(&keys_dir)
                    .env("ZKR_PROVER_QUEUE", &args.queue)
                    .env("RUST_LOG", "warn")
                    .kill_on_drop(true)
                    .spawn()
                    .context("starting a worker")?,
            );
        }
        let started = Instant::now();
        loop {
            let (_, _, done_jobs, failed) = queue.counts().await?;
            if failed > 0 {
                bail!("a job failed: see the workers' errors");
            }
            if done_jobs as usize >= args.batches + args.overhead_jobs as usize {
                break;
            }
            if started.elapsed() > Duration::from_secs(3600) {
                bail!("not done within an hour");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        for mut w in workers {
            let _ = w.kill().await;
        }
        let mut picked = Vec::new();
        let mut finished = Vec::new();
        let mut per_job = Vec::new();
        for b in 1..=args.batches as u64 {
            let s = queue.state(b).await?.context("a measured job")?;
            let (p, f) = (s.picked_at.unwrap_or(0.0), s.finished_at.unwrap_or(0.0));
            picked.push(p);
            finished.push(f);
            per_job.push(f - p);
        }
        let first = picked.iter().copied().fold(f64::INFINITY, f64::min);
        let last = finished.iter().copied().fold(0.0, f64::max);
        let wall = last - first;
        let mut sorted = per_job.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{}",
            json!({
                "bench": "fleet",
                "workers": args.workers,
                "threads_per_worker": 1,
                "batches": args.batches,
                "slots": args.slots,
                "wall_secs": wall,
                "batches_per_minute": args.batches as f64 * 60.0 / wall,
                "transfers_per_minute": (args.batches * args.slots) as f64 * 60.0 / wall,
                "job_secs_median": sorted[sorted.len() / 2],
                "job_secs_first": per_job[0],
                "job_bytes": jobs[0].to_bytes().len(),
                "queue_enqueue_ms": per(enq),
                "queue_claim_ms": per(claim),
                "queue_complete_ms": per(done),
                "queue_overhead_ms_per_job": per(enq + claim + done),
            })
        );
        Ok(())
    })
}
