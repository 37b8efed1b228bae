//! `zkr bench`: performance programs. Each prints progress on stderr and one JSON line of
//! figures on stdout.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde_json::json;
use std::time::Instant;
use zkr_crypto::eddsa::PrivateKey;
use zkr_crypto::eth::Eip712Domain;
use zkr_state::account::Account;
use zkr_state::storage::{MemoryStorage, RedbStorage, Storage};
use zkr_state::{ChainConfig, OpRequest, State};
use zkr_types::tx::{L2Tx, Transfer, pubkey_hash};
use zkr_types::{AccountId, Address, Amount, ChainId, Fr, Nonce, TokenId};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Native state transition: pre-populates the account tree, then applies blocks of signed
    /// transfers (signatures verified, root computed per block).
    State(StateBenchArgs),
    /// Proving: runs the dev setup (or loads cached keys) and proves one full batch of random
    /// valid transfers.
    Prove(ProveBenchArgs),
    /// The explorer on a big state: accounts, transfers through the sequencer, then the server
    /// time of each API route over HTTP.
    Explorer(super::bench_explorer::ExplorerBenchArgs),
    /// `zkr rebuild` from L1: executed batches of transfers on a fresh anvil (proofs accepted
    /// by a BENCHMARKS ONLY verifier: a rebuild never reads them), then a timed rebuild.
    Rebuild(super::bench_rebuild::RebuildBenchArgs),
    /// Load over JSON-RPC against a running node: accepted transactions per second and the
    /// latency to the answer and to a sealed L2 block.
    Load(super::bench_load::LoadBenchArgs),
    /// A prover fleet on this machine: batches proven per minute by N `zkr prover --threads 1`
    /// workers through a Postgres queue, and the queue's overhead per job.
    Fleet(super::bench_fleet::FleetBenchArgs),
}

#[derive(Debug, Args)]
pub struct ProveBenchArgs {
    /// Operation slots of the batch: all transfers (transfer circuit) or all swaps against
    /// one pool (DEX circuit).
    #[arg(long, default_value_t = 8)]
    slots: usize,
    /// Which batch circuit to prove with.
    #[arg(long, value_enum, default_value_t = super::circuit::CircuitArg::Transfer)]
    circuit: super::circuit::CircuitArg,
    #[command(flatten)]
    keys: super::circuit::KeysArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StorageKind {
    /// In-memory maps.
    Memory,
    /// A redb file in a temporary directory (or --data-dir).
    Redb,
}

#[derive(Debug, Args)]
pub struct StateBenchArgs {
    /// Accounts in the tree before the first block.
    #[arg(long, default_value_t = 1_000_000)]
    accounts: u32,
    /// Signed transfers per block.
    #[arg(long, default_value_t = 1_000)]
    block_size: usize,
    /// Blocks to apply and time.
    #[arg(long, default_value_t = 10)]
    blocks: usize,
    /// Distinct sending accounts (with real L2 keys); receivers are drawn from all accounts.
    #[arg(long, default_value_t = 1_000)]
    senders: u32,
    /// Where the state lives.
    #[arg(long, value_enum, default_value_t = StorageKind::Memory)]
    storage: StorageKind,
    /// Directory for the redb file (default: a temporary directory, removed afterwards).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// Seed of the random accounts and transfers.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn run(cmd: BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Prove(args) => bench_prove(&args),
        BenchCommand::Explorer(args) => super::bench_explorer::run(&args),
        BenchCommand::Rebuild(args) => super::bench_rebuild::run(args),
        BenchCommand::Load(args) => super::bench_load::run(args),
        BenchCommand::Fleet(args) => super::bench_fleet::run(args),
        BenchCommand::State(args) => match args.storage {
            StorageKind::Memory => bench_state(&args, MemoryStorage::new(), "memory"),
            StorageKind::Redb => {
                let tmp = tempfile::tempdir()?;
                let path = fresh_db(args.data_dir.as_deref(), &tmp, "bench-state.redb")?;
                let storage = RedbStorage::open(&path).context("opening redb")?;
                bench_state(&args, storage, "redb")
            }
        },
    }
}

const BENCH_CHAIN: ChainId = ChainId(270);
pub(crate) const UNIT: u128 = 1_000_000_000;

/// The path of a benchmark's new redb file `name` in `data_dir` (created if missing), or in
/// `tmp` without one; refuses to reuse an existing file.
pub(crate) fn fresh_db(
    data_dir: Option<&std::path::Path>,
    tmp: &tempfile::TempDir,
    name: &str,
) -> Result<std::path::PathBuf> {
    let dir = data_dir.unwrap_or(tmp.path());
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    if path.exists() {
        bail!(
            "{} already exists; remove it or choose another --data-dir",
            path.display()
        );
    }
    Ok(path)
}

/// Genesis accounts of a benchmark: each owner with 10^6 ETH-units (10^15 wei); the first
/// ones have the signing keys of `key_hashes`, the others a placeholder key hash (they never
/// sign).
pub(crate) fn bench_accounts(owners: &[Address], key_hashes: &[Fr]) -> Vec<Account> {
    let mut template = Account::default();
    template.set_balance(TokenId::ETH, 1_000_000 * UNIT);
    template.refresh();
    owners
        .par_iter()
        .enumerate()
        .map(|(i, owner)| {
            let mut a = template.clone();
            a.owner = *owner;
            a.pubkey_hash = key_hashes
                .get(i)
                .copied()
                .unwrap_or_else(|| Fr::from(i as u64 + 1));
            a
        })
        .collect()
}

fn bench_state<S: Storage>(args: &StateBenchArgs, storage: S, storage_name: &str) -> Result<()> {
    if args.accounts == 0 || args.senders == 0 || args.senders > args.accounts {
        bail!("need 0 < --senders <= --accounts");
    }
    let config = ChainConfig {
        chain_id: BENCH_CHAIN,
        eip712: Eip712Domain {
            l1_chain_id: 31337,
            verifying_contract: Address::ZERO,
        },
    };
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);

    // Sending accounts get real keys; the others a random key hash (they never sign).
    let keys: Vec<PrivateKey> = (0..args.senders)
        .map(|_| PrivateKey::from_bytes(rng.r#gen()))
        .collect();
    let owners: Vec<Address> = (0..args.accounts)
        .map(|_| Address::from(rng.r#gen::<[u8; 20]>()))
        .collect();
    let key_hashes: Vec<Fr> = keys.par_iter().map(|k| pubkey_hash(&k.public())).collect();

    eprintln!(
        "populating {} accounts ({} with signing keys)...",
        args.accounts, args.senders
    );
    let started = Instant::now();
    let accounts = bench_accounts(&owners, &key_hashes);
    let mut state = State::open(storage, config)?;
    state.load_genesis(accounts)?;
    let genesis = state.seal_block()?;
    let populate_secs = started.elapsed().as_secs_f64();
    eprintln!(
        "populated in {populate_secs:.1}s, root {}",
        zkr_crypto::field::fr_to_decimal(&genesis.root)
    );

    eprintln!("signing {} transfers...", args.blocks * args.block_size);
    let started = Instant::now();
    let mut nonces = vec![0u32; args.senders as usize];
    let plan: Vec<Vec<(usize, u32, u32, u128)>> = (0..args.blocks)
        .map(|_| {
            (0..args.block_size)
                .map(|_| {
                    let from = rng.gen_range(0..args.senders as usize);
                    let to = rng.gen_range(0..args.accounts);
                    let nonce = nonces[from];
                    nonces[from] += 1;
                    (from, to, nonce, rng.gen_range(1..1000u128) * UNIT)
                })
                .collect()
        })
        .collect();
    let blocks: Vec<Vec<OpRequest>> = plan
        .par_iter()
        .map(|block| {
            block
                .iter()
                .map(|&(from, to, nonce, amount)| {
                    let t = Transfer::signed(
                        &keys[from],
                        BENCH_CHAIN,
                        AccountId(from as u32),
                        owners[to as usize],
                        TokenId::ETH,
                        Amount(amount),
                        Amount(UNIT),
                        Nonce(nonce),
                    )
                    .expect("packable");
                    OpRequest::Tx(L2Tx::Transfer(t))
                })
                .collect()
        })
        .collect();
    let sign_secs = started.elapsed().as_secs_f64();

    let (mut apply_secs, mut seal_secs, mut hashed) = (0.0, 0.0, 0usize);
    for (i, block) in blocks.iter().enumerate() {
        let t0 = Instant::now();
        let results = state.apply_block(block);
        let t1 = Instant::now();
        let sealed = state.seal_block()?;
        let t2 = Instant::now();
        if let Some(e) = results.iter().find_map(|r| r.as_ref().err()) {
            bail!("block {i}: a benchmark transfer was rejected: {e}");
        }
        apply_secs += (t1 - t0).as_secs_f64();
        seal_secs += (t2 - t1).as_secs_f64();
        hashed += sealed.hashed_nodes;
        eprintln!(
            "block {}/{}: {} transfers, apply {:.3}s, seal {:.3}s ({} nodes hashed)",
            i + 1,
            args.blocks,
            block.len(),
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            sealed.hashed_nodes
        );
    }
    let transfers = args.blocks * args.block_size;
    let total = apply_secs + seal_secs;
    println!(
        "{}",
        json!({
            "bench": "state",
            "accounts": args.accounts,
            "block_size": args.block_size,
            "blocks": args.blocks,
            "transfers": transfers,
            "transfers_per_sec": (transfers as f64 / total).round(),
            "apply_secs": apply_secs,
            "seal_secs": seal_secs,
            "nodes_hashed_per_block": hashed / args.blocks.max(1),
            "populate_secs": populate_secs,
            "sign_secs": sign_secs,
            "storage": storage_name,
            "threads": rayon::current_num_threads(),
        })
    );
    Ok(())
}

/// Peak resident set size of this process in MiB (`VmHWM`).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn bench_prove(args: &ProveBenchArgs) -> Result<()> {
    use zkr_state::fixtures::{User, config};
    if args.slots == 0 {
        bail!("--slots must be at least 1");
    }
    let started = Instant::now();
    let store = zkr_prover::KeyStore::new(super::keys_dir(args.keys.keys_dir.clone()));
    let kind: zkr_circuit::CircuitKind = args.circuit.into();
    let dex = kind == zkr_circuit::CircuitKind::Dex;
    let (keys, cached) = store.load_or_dev_setup(args.slots, kind, &super::circuit::progress)?;
    let setup_secs = started.elapsed().as_secs_f64();

    // Senders with real keys in a genesis state, each sending one transfer to a random account.
    let users: Vec<User> = (1..=args.slots.min(250) as u8).map(User::new).collect();
    let mut accounts = Vec::new();
    for u in &users {
        let mut a = Account::new(u.address());
        a.pubkey_hash = pubkey_hash(&u.l2.public());
        a.set_balance(TokenId::ETH, 1_000_000 * UNIT);
        a.set_balance(TokenId(1), 1_000_000 * UNIT);
        accounts.push(a);
    }
    let mut state = State::open(MemoryStorage::new(), config())?;
    state.register_token()?;
    state.load_genesis(accounts)?;
    state.seal_block()?;
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut nonces = vec![0u32; users.len()];
    if dex {
        // pool 0 of (ETH, token 1), funded by the first user before the measured batch
        state.apply(&users[0].create_pool(0, (0, 1), 0, 0))?;
        state.apply(&users[0].add_liquidity(
            0,
            0,
            (0, 1),
            (500_000 * UNIT, 500_000 * UNIT),
            0,
            0,
            1,
        ))?;
        state.seal_batch()?;
        nonces[0] = 2;
    }
    let mut builder = zkr_circuit::BatchBuilder::new(&mut state, args.slots)?;
    for _ in 0..args.slots {
        let from = rng.gen_range(0..users.len());
        let to = rng.gen_range(0..users.len());
        let amount = rng.gen_range(1..1000u128) * UNIT;
        let req = if dex {
            let sell = rng.gen_range(0..2u16);
            users[from].swap(
                from as u32,
                0,
                sell,
                1 - sell,
                amount,
                1,
                UNIT,
                nonces[from],
            )
        } else {
            users[from].transfer(
                from as u32,
                users[to].address(),
                0,
                amount,
                UNIT,
                nonces[from],
            )
        };
        nonces[from] += 1;
        builder.apply(&req)?;
    }
    let witness = builder.finish()?;
    // Built once per node start, shared by every proof after it: timed apart.
    let t = Instant::now();
    keys.matrices(&super::circuit::progress)?;
    let matrices_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let proof = zkr_prover::prove(&keys, witness, &super::circuit::progress)?;
    let prove_secs = t.elapsed().as_secs_f64();
    let verified = zkr_prover::verify(&keys.pvk, &proof.commitment, &proof.proof);
    if !verified {
        bail!("the proof does not verify");
    }
    let threads = rayon::current_num_threads();
    println!(
        "{}",
        json!({
            "bench": "prove",
            "circuit": if dex { "dex" } else { "transfer" },
            "slots": args.slots,
            "constraints": keys.shape.constraints,
            "prove_secs": prove_secs,
            "setup_secs": setup_secs,
            "matrices_secs": matrices_secs,
            "keys_cached": cached,
            "transfers_per_core_sec": args.slots as f64 / (prove_secs * threads as f64),
            "peak_rss_mb": peak_rss_mb(),
            "verified": verified,
            "threads": threads,
        })
    );
    Ok(())
}
