//! `zkr bench explorer`: the explorer's pages on a big state. Populates accounts, sends signed
//! transfers through the sequencer (so blocks, batches, records and the history index are the
//! node's own), serves the explorer, and times each API route over HTTP on loopback.

use anyhow::{Context, Result, bail};
use clap::Args;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zkr_crypto::eddsa::PrivateKey;
use zkr_crypto::eth::Eip712Domain;
use zkr_explorer::{Explorer, ExplorerConfig};
use zkr_node::{Sequencer, SequencerConfig};
use zkr_state::storage::RedbStorage;
use zkr_state::{ChainConfig, State};
use zkr_types::tx::{L2Tx, Transfer, pubkey_hash};
use zkr_types::{AccountId, Address, Amount, ChainId, Fr, Nonce, TokenId};

const CHAIN: ChainId = ChainId(270);
use super::bench::UNIT;

/// `zkr bench explorer`'s settings.
#[derive(Debug, Args)]
pub struct ExplorerBenchArgs {
    /// Accounts in the state.
    #[arg(long, default_value_t = 1_000_000)]
    accounts: u32,
    /// Signed transfers sent through the sequencer (stored with their blocks and history).
    #[arg(long, default_value_t = 100_000)]
    txs: usize,
    /// Transfers per L2 block (and slots per batch).
    #[arg(long, default_value_t = 1_000)]
    block_size: usize,
    /// Distinct senders (the busiest account's history is timed).
    #[arg(long, default_value_t = 1_000)]
    senders: u32,
    /// Requests per route.
    #[arg(long, default_value_t = 50)]
    requests: usize,
    /// Directory for the redb file (default: a temporary directory, removed afterwards).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
}

/// One GET over a fresh connection: (status, body bytes).
async fn get(addr: std::net::SocketAddr, path: &str) -> Result<(u16, usize)> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    let head = String::from_utf8_lossy(&buf[..buf.len().min(16)]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .context("no HTTP status")?;
    Ok((status, buf.len()))
}

/// Runs the benchmark.
pub fn run(args: &ExplorerBenchArgs) -> Result<()> {
    if args.accounts == 0 || args.senders == 0 || args.senders > args.accounts {
        bail!("need 0 < --senders <= --accounts");
    }
    if args.block_size == 0 {
        bail!("--block-size must be at least 1");
    }
    let tmp = tempfile::tempdir()?;
    let path = super::bench::fresh_db(args.data_dir.as_deref(), &tmp, "bench-explorer.redb")?;
    let config = ChainConfig {
        chain_id: CHAIN,
        eip712: Eip712Domain {
            l1_chain_id: 31337,
            verifying_contract: Address::ZERO,
        },
    };
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let keys: Vec<PrivateKey> = (0..args.senders)
        .map(|_| PrivateKey::from_bytes(rng.r#gen()))
        .collect();
    let owners: Vec<Address> = (0..args.accounts)
        .map(|_| Address::from(rng.r#gen::<[u8; 20]>()))
        .collect();
    let key_hashes: Vec<Fr> = keys.par_iter().map(|k| pubkey_hash(&k.public())).collect();
    eprintln!("populating {} accounts...", args.accounts);
    let started = Instant::now();
    let storage = RedbStorage::open(&path).context("opening redb")?;
    {
        let accounts = super::bench::bench_accounts(&owners, &key_hashes);
        let mut state = State::open(storage.clone(), config)?;
        state.load_genesis(accounts)?;
        state.seal_block()?;
    }
    let populate_secs = started.elapsed().as_secs_f64();
    eprintln!(
        "populated in {populate_secs:.1}s; signing {} transfers...",
        args.txs
    );
    let mut nonces = vec![0u32; args.senders as usize];
    let plan: Vec<(usize, u32, u32)> = (0..args.txs)
        .map(|_| {
            // the first sender sends a tenth of everything: a long history to page through
            let from = if rng.gen_ratio(1, 10) {
                0
            } else {
                rng.gen_range(0..args.senders as usize)
            };
            let to = rng.gen_range(0..args.accounts);
            let nonce = nonces[from];
            nonces[from] += 1;
            (from, to, nonce)
        })
        .collect();
    let txs: Vec<L2Tx> = plan
        .par_iter()
        .map(|&(from, to, nonce)| {
            L2Tx::Transfer(
                Transfer::signed(
                    &keys[from],
                    CHAIN,
                    AccountId(from as u32),
                    owners[to as usize],
                    TokenId::ETH,
                    Amount(UNIT),
                    Amount(UNIT / 100),
                    Nonce(nonce),
                )
                .expect("packable"),
            )
        })
        .collect();
    let mut seq = Sequencer::open(storage, config, SequencerConfig::free(args.block_size))?;
    eprintln!("sending them through the sequencer...");
    let started = Instant::now();
    let mut hashes = Vec::with_capacity(txs.len());
    for (i, tx) in txs.into_iter().enumerate() {
        hashes.push(seq.submit(tx)?);
        if (i + 1) % args.block_size == 0 {
            seq.seal_block((i as u64 + 1) * 1000)?;
        }
        if (i + 1) % 20_000 == 0 {
            eprintln!(
                "  {} sent ({:.0} s)",
                i + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    seq.seal_batch(u64::MAX / 2)?;
    let load_secs = started.elapsed().as_secs_f64();
    let last_block = seq.state().block_number().0;
    let batches = seq.sealed_batches();
    let busy = owners[0];
    let rt = tokio::runtime::Runtime::new()?;
    let figures = rt.block_on(async {
        let explorer = Explorer::start(
            Arc::new(Mutex::new(seq)),
            ExplorerConfig {
                addr: "127.0.0.1:0".parse().expect("address"),
                l1: None,
                tvl_every: Duration::from_secs(3600),
                prices: BTreeMap::new(),
                wallet: None,
            },
        )
        .await?;
        let addr = explorer.addr();
        let mid = hashes[hashes.len() / 2];
        let routes: Vec<(&str, String)> = vec![
            ("page", "/".into()),
            ("overview", "/api/overview".into()),
            ("blocks", "/api/blocks?limit=20".into()),
            ("block", format!("/api/blocks/{}", last_block / 2)),
            ("batches", "/api/batches?limit=20".into()),
            ("batch", format!("/api/batches/{}", batches.max(1) / 2 + 1)),
            ("tx", format!("/api/txs/{mid}")),
            ("account", format!("/api/accounts/{busy}")),
            ("account_older_100", format!("/api/accounts/{busy}?limit=100&before={}.0", last_block / 2)),
            ("search", format!("/api/search?q={mid}")),
            ("tokens", "/api/tokens".into()),
        ];
        let mut out = serde_json::Map::new();
        for (name, path) in &routes {
            let mut ms = Vec::with_capacity(args.requests);
            let mut bytes = 0;
            for _ in 0..args.requests {
                let t = Instant::now();
                let (status, n) = get(addr, path).await?;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                if status != 200 {
                    bail!("{path}: HTTP {status}");
                }
                bytes = n;
            }
            ms.sort_by(|a, b| a.total_cmp(b));
            let p = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
            eprintln!("{name:>16}: p50 {:.2} ms, p99 {:.2} ms ({bytes} bytes)", p(0.5), p(0.99));
            out.insert(
                name.to_string(),
                json!({ "p50_ms": (p(0.5) * 100.0).round() / 100.0, "p99_ms": (p(0.99) * 100.0).round() / 100.0, "bytes": bytes }),
            );
        }
        explorer.stop().await;
        Ok::<Value, anyhow::Error>(Value::Object(out))
    })?;
    println!(
        "{}",
        json!({
            "bench": "explorer",
            "accounts": args.accounts,
            "txs": args.txs,
            "blocks": last_block,
            "batches": batches,
            "busiest_account_txs": nonces[0],
            "populate_secs": populate_secs,
            "load_secs": load_secs,
            "requests_per_route": args.requests,
            "routes": figures,
        })
    );
    Ok(())
}
