//! `zkr prover`: a worker of a prover fleet (`docs/operations.md`, "A prover fleet"). It claims
//! the lowest pending batch from the Postgres queue a node fills (`zkr node --prover-queue`),
//! proves it with the keys of its shape (from `--keys-dir`, or made there by the deterministic
//! dev setup, INSECURE), and writes the proof back; errors are recorded with the job.

use super::node::{init_logging, parent_exit, shutdown_signal};
use anyhow::{Context, Result, bail};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;
use zkr_fleet::Queue;
use zkr_fleet::worker::{self, WorkerConfig};

/// A prover worker.
#[derive(Debug, Args)]
pub struct ProverArgs {
    /// The queue: the Postgres database the node enqueues into
    /// (postgres://user:password@host:port/db).
    #[arg(long, env = "ZKR_PROVER_QUEUE", hide_env_values = true)]
    pub queue: String,
    /// Threads proving uses [default: every core].
    #[arg(long)]
    pub threads: Option<usize>,
    /// This worker's name in the queue (who proved what) [default: <hostname>-<pid>].
    #[arg(long)]
    pub name: Option<String>,
    /// Proving keys: the node's (copied here), or made here by the same deterministic dev
    /// setup [default: $XDG_CACHE_HOME/zkr/keys or ~/.cache/zkr/keys].
    #[arg(long, env = "ZKR_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,
    /// Seconds of this worker's lease on a job: renewed every third of it while it proves; a
    /// claim whose lease ran out (its worker died, hangs or lost the database) is put back for
    /// another worker [default: 60].
    #[arg(long, env = "ZKR_PROVER_JOB_TIMEOUT", default_value_t = 60)]
    pub job_timeout: u64,
    /// Stop after proving this many jobs [default: run until SIGINT/SIGTERM].
    #[arg(long)]
    pub max_jobs: Option<u64>,
    /// Put failed job N back to pending with a fresh attempt budget, then exit.
    #[arg(long, value_name = "N")]
    pub retry_failed: Option<u64>,
    /// Exit when the parent process does (`zkr devnet` runs its workers so).
    #[arg(long, hide = true)]
    pub exit_with_parent: bool,
}

/// Runs the worker (or `--retry-failed`).
pub fn run(args: ProverArgs) -> Result<()> {
    init_logging();
    if let Some(n) = args.threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("setting the proving threads")?;
    }
    let name = args.name.clone().unwrap_or_else(|| {
        let host = std::fs::read_to_string("/etc/hostname").unwrap_or_else(|_| "worker".into());
        format!("{}-{}", host.trim(), std::process::id())
    });
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let queue = Queue::connect(&args.queue, 3)
            .await
            .context("connecting to the prover queue")?;
        if let Some(n) = args.retry_failed {
            if !queue.retry_failed(n).await? {
                bail!("batch {n} has no failed job in the queue");
            }
            eprintln!("batch {n} is pending again");
            return Ok(());
        }
        let (stop_tx, stop) = watch::channel(false);
        let config = WorkerConfig {
            name,
            keys_dir: super::keys_dir(args.keys_dir.clone()),
            poll: Duration::from_millis(500),
            job_timeout: Duration::from_secs(args.job_timeout.max(1)),
            max_jobs: args.max_jobs,
        };
        let work = tokio::spawn(worker::run(queue, config, stop));
        tokio::pin!(work);
        let parent = async {
            if args.exit_with_parent {
                parent_exit().await
            } else {
                std::future::pending().await
            }
        };
        let proved = tokio::select! {
            r = &mut work => r??,
            s = shutdown_signal() => {
                tracing::info!(target: "zkr::fleet", signal = s?, "stopping after the job in hand");
                let _ = stop_tx.send(true);
                work.await??
            }
            _ = parent => {
                tracing::info!(target: "zkr::fleet", "parent exited: stopping");
                return Ok(());
            }
        };
        tracing::info!(target: "zkr::fleet", proved, "worker stopped");
        Ok(())
    })
}
