//! `zkr rebuild`: the L2 state, and a node's data dir, from L1 alone.

use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;
use std::sync::Mutex;
use zkr_rebuild::{Progress, RebuildOptions, RebuildReport, Until};

#[derive(Debug, Args)]
pub struct RebuildArgs {
    /// L1 JSON-RPC URL.
    #[arg(long, env = "ZKR_L1_RPC")]
    pub l1_rpc: String,
    /// The rollup contract.
    #[arg(long, env = "ZKR_ROLLUP")]
    pub rollup: Address,
    /// The data dir to write (a node's: state.redb, prover.redb); an interrupted rebuild into
    /// it resumes [default: ./.zkr/rebuild].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// L1 block to scan the rollup's events from: its deployment block (or earlier).
    #[arg(long, default_value_t = 0)]
    pub from_block: u64,
    /// Which batches to store: `executed` (the state exodus exits prove against) or `proven`
    /// (a node started on the data dir then executes the rest).
    #[arg(long, value_enum, default_value_t = UntilArg::Executed)]
    pub until: UntilArg,
}

/// `--until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UntilArg {
    /// Up to the last executed batch.
    Executed,
    /// Up to the last proven batch.
    Proven,
}

impl From<UntilArg> for Until {
    fn from(u: UntilArg) -> Until {
        match u {
            UntilArg::Executed => Until::Executed,
            UntilArg::Proven => Until::Proven,
        }
    }
}

/// The default data dir of `zkr rebuild`.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from(".zkr/rebuild")
}

/// An L1 provider (read-only).
pub fn provider(url: &str) -> Result<DynProvider> {
    Ok(ProviderBuilder::new()
        .connect_http(url.parse().context("L1 RPC URL")?)
        .erased())
}

/// Rebuilds with a progress bar on stderr (plain lines when stderr is not a terminal).
pub async fn rebuild_with_progress(
    provider: &DynProvider,
    opts: &RebuildOptions,
) -> Result<RebuildReport> {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "rebuilding from L1 [{bar:30}] batch {pos}/{len} {per_sec} eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    let plain = bar.is_hidden();
    let last_line = Mutex::new(std::time::Instant::now());
    let on_progress = |p: Progress| match p {
        Progress::Scanned { stored, target } => {
            eprintln!(
                "L1 read: {target} batches to store, {stored} already in {}",
                opts.data_dir.display()
            );
            bar.set_length(target);
            bar.set_position(stored);
        }
        Progress::Batch { batch, target } => {
            bar.set_position(batch);
            if plain {
                let mut last = last_line.lock().expect("not poisoned");
                if batch == target || last.elapsed().as_secs() >= 2 {
                    eprintln!("rebuilt batch {batch}/{target}");
                    *last = std::time::Instant::now();
                }
            }
        }
    };
    let report = zkr_rebuild::rebuild(provider, opts, &on_progress).await;
    bar.finish_and_clear();
    Ok(report?)
}

/// Prints where the rebuild stopped and what L1 holds beyond it.
fn explain(r: &RebuildReport) {
    eprintln!(
        "stored batches 1..={} in {} (root {}, {} accounts, {} tokens)",
        r.stored,
        r.data_dir.display(),
        r.root,
        r.accounts,
        r.tokens
    );
    eprintln!(
        "L1 at block {}: {} committed, {} proven, {} executed{}",
        r.l1_block,
        r.committed,
        r.proven,
        r.executed,
        if r.exodus {
            "; EXODUS MODE is active"
        } else {
            ""
        }
    );
    if r.proven > r.stored {
        eprintln!(
            "batches {}..={} are proven but not executed: `--until proven` stores them too \
             (a node needs them; exodus exits do not)",
            r.stored + 1,
            r.proven
        );
    }
    if r.committed > r.proven {
        eprintln!(
            "batches {}..={} are committed without a proof: not stored (L1 may still revert \
             them, and their signatures are not on L1, so no node can prove them)",
            r.proven + 1,
            r.committed
        );
    }
    if r.at_last_executed_root {
        eprintln!("the state is at L1's last executed root: exodus exits can be proven from it");
    }
}

pub fn run(args: RebuildArgs) -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let provider = provider(&args.l1_rpc)?;
        provider
            .get_chain_id()
            .await
            .with_context(|| format!("cannot reach L1 at {}", args.l1_rpc))?;
        let opts = RebuildOptions {
            rollup: args.rollup,
            data_dir: args.data_dir.unwrap_or_else(default_data_dir),
            from_block: args.from_block,
            until: args.until.into(),
        };
        let report = rebuild_with_progress(&provider, &opts).await?;
        explain(&report);
        println!("{}", serde_json::to_string(&report)?);
        Ok(())
    })
}
