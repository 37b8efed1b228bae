//! `zkr bench load`: what users see of throughput. Against a running node it creates and funds
//! its accounts through the protocol (a funder's deposit if needed, transfers to new accounts,
//! each account's ChangePubKey), signs every transaction before the clock starts, sends them over
//! HTTP from concurrent clients, and prints one JSON line: accepted transactions per second,
//! rejections by error code, and the latency percentiles of the `zkr_sendTx` answer (ack) and of
//! the transaction's appearance in a sealed L2 block (included).

use super::wallet::{Wallet, format_units, rpc_error};
use anyhow::{Context, Result, bail};
use clap::Args;
use futures_util::stream::{self, StreamExt};
use jsonrpsee::core::client::{ClientT, Error as ClientError};
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkr_crypto::eddsa::PrivateKey;
use zkr_crypto::eth::{Eip712Domain, EthPrivateKey, derive_l2_key};
use zkr_types::dex::{PoolId, Swap};
use zkr_types::float::round_down_amount;
use zkr_types::tx::{ChangePubKey, L2Tx, Transfer};
use zkr_types::{AccountId, Address, Amount, ChainId, Nonce, TokenId};

/// How often the block watcher asks for the block number.
const BLOCK_POLL: Duration = Duration::from_millis(10);
/// Wei each benchmark transfer moves.
const TRANSFER_WEI: u128 = 1_000;
/// Wei of ETH each benchmark swap sells.
const SWAP_WEI: u128 = 1_000_000_000;

#[derive(Debug, Args)]
pub struct LoadBenchArgs {
    /// The node's JSON-RPC URL (a devnet, or `zkr node`; see BENCHMARKS.md for the settings
    /// that do not throttle the benchmark).
    #[arg(long, default_value = "http://127.0.0.1:3050")]
    l2_rpc: String,
    /// Sending accounts, created and funded through the protocol before the clock starts. The
    /// node limits each account's rate (`--sender-rate-limit`): use enough of them.
    #[arg(long, default_value_t = 200)]
    accounts: usize,
    /// Concurrent HTTP clients; each sends one transaction at a time, its accounts' in nonce
    /// order.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Target transactions per second over all clients, paced evenly (0: each client sends its
    /// next transaction as soon as the last is answered).
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Transaction mix in percent, e.g. `transfer=90,swap=10` (swaps sell ETH for the other
    /// token of the first ETH pool, e.g. the devnet's ETH/DEV).
    #[arg(long, default_value = "transfer=100", value_parser = parse_mix)]
    mix: Mix,
    /// Transactions signed in advance without --rate (with it: rate x duration) [default:
    /// 8,000 per second of --duration].
    #[arg(long)]
    max_txs: Option<usize>,
    /// Ethereum key (hex) of the funder: an account with ETH on L2, or on L1 to deposit from
    /// (on a devnet, one of `.zkr/devnet/devnet.json`'s accounts).
    #[arg(long, env = "ZKR_PRIVATE_KEY", hide_env_values = true)]
    private_key: Option<String>,
    /// Seed of the accounts' keys and of the transfers' receivers.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// `--mix`: the share of swaps (the rest are transfers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    swap_percent: u32,
}

fn parse_mix(s: &str) -> Result<Mix, String> {
    let (mut transfer, mut swap) = (0u32, 0u32);
    for part in s.split(',') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?}: expected kind=percent"))?;
        let v: u32 = v
            .trim()
            .parse()
            .map_err(|_| format!("{part:?}: the percent is not a number"))?;
        match k.trim() {
            "transfer" => transfer += v,
            "swap" => swap += v,
            other => return Err(format!("unknown kind {other:?} (transfer, swap)")),
        }
    }
    if transfer + swap != 100 {
        return Err(format!(
            "the percentages add up to {}, not 100",
            transfer + swap
        ));
    }
    Ok(Mix { swap_percent: swap })
}

pub fn run(args: LoadBenchArgs) -> Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run_async(args))
}

/// One benchmark account.
struct LoadAccount {
    eth: EthPrivateKey,
    l2: PrivateKey,
    id: AccountId,
}

/// What a client saw of one transaction.
struct Sent {
    /// Index of the sending account.
    account: usize,
    sent: Instant,
    /// Unix time of sending, ms.
    sent_unix_ms: f64,
    acked: Instant,
    /// The hash, or the error code (`transport` when the node did not answer).
    result: Result<String, String>,
}

fn progress(msg: &str) {
    eprintln!("[bench load] {msg}");
}

async fn send_tx(l2: &HttpClient, tx: &L2Tx) -> Result<String> {
    l2.request("zkr_sendTx", rpc_params![tx])
        .await
        .map_err(|e| rpc_error("zkr_sendTx", e))
}

async fn run_async(args: LoadBenchArgs) -> Result<()> {
    if args.concurrency == 0 || args.accounts < args.concurrency {
        bail!(
            "--accounts ({}) must be at least --concurrency ({}), which must be positive",
            args.accounts,
            args.concurrency
        );
    }
    if !args.duration.is_finite() || args.duration <= 0.0 {
        bail!("--duration must be positive");
    }
    let key = args.private_key.as_deref().context(
        "the funder's key is needed: --private-key or ZKR_PRIVATE_KEY (on a devnet, one of \
         .zkr/devnet/devnet.json's accounts)",
    )?;
    // Every client gets as many accounts (and so as much work) as every other.
    let n_accounts = args.accounts.div_ceil(args.concurrency) * args.concurrency;
    if n_accounts != args.accounts {
        progress(&format!(
            "{n_accounts} accounts, a multiple of --concurrency {}",
            args.concurrency
        ));
    }
    let setup_started = Instant::now();
    let funder = Wallet::connect(&args.l2_rpc, key)?;
    let c = funder.contracts().await.context(
        "zkr bench load needs a node that follows an L1 (its accounts are funded by deposit)",
    )?;
    let chain = ChainId(c.chain_id);
    let eth = funder.token("ETH").await?;
    let transfer_fee = funder.fee("Transfer", eth.id).await?;
    let cpk_fee = funder.fee("ChangePubKey", eth.id).await?;
    let swap = if args.mix.swap_percent > 0 {
        let pools: Value = funder.call("zkr_getPools", rpc_params![]).await?;
        let pool = pools
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["tokenA"] == 0 || p["tokenB"] == 0)
            .context("--mix with swaps needs a pool with ETH (the devnet seeds ETH/DEV)")?;
        let id = PoolId(pool["id"].as_u64().context("pool id")? as u8);
        let other = if pool["tokenA"] == 0 {
            &pool["tokenB"]
        } else {
            &pool["tokenA"]
        };
        let buy = TokenId(other.as_u64().context("pool token")? as u16);
        Some((id, buy, funder.fee("Swap", eth.id).await?))
    } else {
        None
    };

    let total = if args.rate > 0 {
        (args.rate as f64 * args.duration).ceil() as usize
    } else {
        args.max_txs
            .unwrap_or((8_000.0 * args.duration).ceil() as usize)
    }
    .max(1);
    let per_account = total.div_ceil(n_accounts);
    let worst_fee = transfer_fee.max(swap.map(|s| s.2).unwrap_or(0));
    let budget = (per_account as u128)
        .checked_mul(TRANSFER_WEI.max(SWAP_WEI) + worst_fee)
        .and_then(|b| b.checked_add(cpk_fee))
        .and_then(|b| b.checked_mul(2))
        .context("fees too high to fund the benchmark")?;
    // Representable on L2 (a 35-bit float): at most 2^-35 below the budget, twice the need.
    let fund = round_down_amount(budget);
    let need = (n_accounts as u128)
        .checked_mul(fund + transfer_fee)
        .and_then(|n| n.checked_add(cpk_fee))
        .context("fees too high to fund the benchmark")?;
    let have = funder
        .account()
        .await?
        .and_then(|a| {
            a["balances"][eth.id.to_string()]
                .as_str()?
                .parse::<u128>()
                .ok()
        })
        .unwrap_or(0);
    if have < need {
        let missing = need - have;
        // Whole milli-ETH above what is missing.
        let deposit = (missing / 1_000_000_000_000_000 + 1) * 1_000_000_000_000_000;
        let amount = format_units(deposit, eth.decimals);
        progress(&format!(
            "the funder {} has {} ETH on L2, needs {}: depositing {amount} ETH from L1",
            funder.address(),
            format_units(have, eth.decimals),
            format_units(need, eth.decimals)
        ));
        super::wallet_step(
            &args.l2_rpc,
            key,
            &["deposit", "--amount", &amount, "--wait", "included"],
            "funding the benchmark",
        )
        .await?;
    }
    let (funder_id, mut nonce, funder_l2) = funder.ready_account(&c, &eth).await?;

    // Fresh accounts: keys from the seed, created by transfers from the funder.
    progress(&format!(
        "creating {} accounts with {} ETH each",
        n_accounts,
        format_units(fund, eth.decimals)
    ));
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);
    let mut keys = Vec::with_capacity(n_accounts);
    while keys.len() < n_accounts {
        let bytes: [u8; 32] = rng.r#gen();
        if let Ok(k) = EthPrivateKey::from_bytes(&bytes) {
            let l2 = derive_l2_key(&k, chain.0)?;
            keys.push((k, l2));
        }
    }
    let l2 = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(&args.l2_rpc)?;
    for (k, _) in &keys {
        let tx = Transfer::signed(
            &funder_l2,
            chain,
            funder_id,
            k.address(),
            TokenId(eth.id),
            Amount(fund),
            Amount(transfer_fee),
            nonce,
        )?;
        send_tx(&l2, &L2Tx::Transfer(tx)).await?;
        nonce = Nonce(nonce.0 + 1);
    }
    let domain = Eip712Domain {
        l1_chain_id: c.l1_chain_id,
        verifying_contract: c.rollup,
    };
    let registered: Vec<Result<(LoadAccount, String)>> = stream::iter(keys)
        .map(|(k, l2_key)| {
            let (l2, domain) = (&l2, &domain);
            async move {
                let a: Value = l2
                    .request("zkr_getAccount", rpc_params![k.address()])
                    .await
                    .map_err(|e| rpc_error("zkr_getAccount", e))?;
                let id = AccountId(a["id"].as_u64().context("new account without id")? as u32);
                let cpk = ChangePubKey::signed(
                    &l2_key,
                    &k,
                    domain,
                    chain,
                    id,
                    TokenId(eth.id),
                    Amount(cpk_fee),
                    Nonce(0),
                )?;
                let hash = send_tx(l2, &L2Tx::ChangePubKey(cpk)).await?;
                Ok((
                    LoadAccount {
                        eth: k,
                        l2: l2_key,
                        id,
                    },
                    hash,
                ))
            }
        })
        .buffered(args.concurrency)
        .collect()
        .await;
    let mut accounts = Vec::with_capacity(n_accounts);
    let mut registrations = Vec::with_capacity(n_accounts);
    for r in registered {
        let (a, hash) = r?;
        accounts.push(a);
        registrations.push(hash);
    }
    // Every registration in a block before the clock starts.
    let started = Instant::now();
    for hash in &registrations {
        loop {
            let r: Value = l2
                .request("zkr_getTx", rpc_params![hash])
                .await
                .map_err(|e| rpc_error("zkr_getTx", e))?;
            match r["status"].as_str() {
                Some("pending") | None => {}
                Some("rejected") => bail!("the registration {hash} was rejected: {}", r["error"]),
                Some(_) => break,
            }
            if started.elapsed() > Duration::from_secs(120) {
                bail!("the registration {hash} was not in a block after 2 minutes");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    progress(&format!(
        "signing {} transactions ({per_account} per account)",
        per_account * n_accounts
    ));
    let addresses: Vec<Address> = accounts.iter().map(|a| a.eth.address()).collect();
    let signed: Vec<Vec<Box<RawValue>>> = accounts
        .par_iter()
        .enumerate()
        .map(|(i, a)| {
            let mut rng = ChaCha20Rng::seed_from_u64(args.seed ^ ((i as u64 + 1) << 32));
            (0..per_account)
                .map(|k| {
                    let nonce = Nonce(1 + k as u32);
                    let tx = match swap {
                        Some((pool, buy, fee)) if rng.gen_range(0..100) < args.mix.swap_percent => {
                            L2Tx::Swap(Swap::signed(
                                &a.l2,
                                chain,
                                a.id,
                                pool,
                                TokenId(eth.id),
                                buy,
                                Amount(SWAP_WEI),
                                Amount(1),
                                Amount(fee),
                                nonce,
                            )?)
                        }
                        _ => {
                            let mut to = rng.gen_range(0..addresses.len());
                            if to == i {
                                to = (to + 1) % addresses.len();
                            }
                            L2Tx::Transfer(Transfer::signed(
                                &a.l2,
                                chain,
                                a.id,
                                addresses[to],
                                TokenId(eth.id),
                                Amount(TRANSFER_WEI),
                                Amount(transfer_fee),
                                nonce,
                            )?)
                        }
                    };
                    Ok(serde_json::value::to_raw_value(&tx)?)
                })
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<_>>()?;
    // Client j sends the transactions of accounts j, j + C, ..., round robin, in nonce order.
    let c_count = args.concurrency;
    let mut queues: Vec<Vec<(usize, Box<RawValue>)>> = vec![Vec::new(); c_count];
    let mut by_account: Vec<std::vec::IntoIter<Box<RawValue>>> =
        signed.into_iter().map(|v| v.into_iter()).collect();
    for _ in 0..per_account {
        for (i, txs) in by_account.iter_mut().enumerate() {
            if let Some(tx) = txs.next() {
                queues[i % c_count].push((i, tx));
            }
        }
    }
    let setup_s = setup_started.elapsed().as_secs_f64();

    // The clock starts.
    let first_block: u64 = l2
        .request("zkr_blockNumber", rpc_params![])
        .await
        .map_err(|e| rpc_error("zkr_blockNumber", e))?;
    let seen: Arc<Mutex<HashMap<String, f64>>> = Arc::default();
    let watching = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = tokio::spawn(watch_blocks(
        l2.clone(),
        first_block,
        seen.clone(),
        watching.clone(),
    ));
    progress(&format!(
        "sending for {} s from {c_count} clients{}",
        args.duration,
        if args.rate > 0 {
            format!(" at {} tx/s", args.rate)
        } else {
            String::new()
        }
    ));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(args.duration);
    let clients = queues.into_iter().enumerate().map(|(j, queue)| {
        let url = args.l2_rpc.clone();
        let rate = args.rate;
        tokio::spawn(async move {
            let client = HttpClientBuilder::default()
                .request_timeout(Duration::from_secs(30))
                .build(&url)?;
            let mut out = Vec::with_capacity(queue.len());
            let interval =
                (rate > 0).then(|| Duration::from_secs_f64(c_count as f64 / rate as f64));
            let offset = if rate > 0 {
                Duration::from_secs_f64(j as f64 / rate as f64)
            } else {
                Duration::ZERO
            };
            for (k, (account, tx)) in queue.into_iter().enumerate() {
                // With --rate, latency counts from when the transaction was due, so a client
                // that falls behind does not hide its backlog.
                let (sent, sent_unix_ms) = match interval {
                    Some(interval) => {
                        let at = start + offset + interval * k as u32;
                        tokio::time::sleep_until(at.into()).await;
                        let late = Instant::now().saturating_duration_since(at);
                        (at, unix_ms() - late.as_secs_f64() * 1e3)
                    }
                    None => (Instant::now(), unix_ms()),
                };
                if sent >= deadline {
                    break;
                }
                let result: Result<String, ClientError> =
                    client.request("zkr_sendTx", rpc_params![tx]).await;
                let acked = Instant::now();
                out.push(Sent {
                    account,
                    sent,
                    sent_unix_ms,
                    acked,
                    result: result.map_err(|e| match e {
                        ClientError::Call(obj) => obj.code().to_string(),
                        _ => "transport".to_string(),
                    }),
                });
            }
            anyhow::Ok(out)
        })
    });
    let mut sent = Vec::new();
    for c in futures_util::future::join_all(clients).await {
        sent.extend(c??);
    }
    let window = sent
        .iter()
        .map(|s| s.acked)
        .max()
        .unwrap_or(start)
        .duration_since(start)
        .as_secs_f64();
    let exhausted = Instant::now() < deadline;

    // Wait for every accepted transaction to show in a block.
    let accepted: Vec<&Sent> = sent.iter().filter(|s| s.result.is_ok()).collect();
    let wait_started = Instant::now();
    let mut said = false;
    loop {
        let missing = {
            let seen = seen.lock().expect("seen");
            accepted
                .iter()
                .filter(|s| !seen.contains_key(s.result.as_ref().expect("accepted")))
                .count()
        };
        if missing == 0 || watcher.is_finished() || wait_started.elapsed() > Duration::from_secs(60)
        {
            break;
        }
        if !said && wait_started.elapsed() > Duration::from_secs(2) {
            progress(&format!(
                "waiting up to 60 s for {missing} accepted transactions to be in a block"
            ));
            said = true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let blocks = watcher.await??;

    // The first rejection of an account by its code; its later transactions (pre-signed at
    // the following nonces) then fail for that one, counted apart.
    let mut rejected_by_code: BTreeMap<String, u64> = BTreeMap::new();
    let mut after_rejection = 0u64;
    let mut spoiled = vec![false; n_accounts];
    let mut in_order: Vec<&Sent> = sent.iter().collect();
    in_order.sort_by_key(|s| s.sent);
    for s in in_order {
        if let Err(code) = &s.result {
            if spoiled[s.account] {
                after_rejection += 1;
            } else {
                spoiled[s.account] = true;
                *rejected_by_code.entry(code.clone()).or_default() += 1;
            }
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut ack: Vec<f64> = accepted.iter().map(|s| ms(s.acked - s.sent)).collect();
    let (mut included, mut not_included) = (Vec::new(), 0u64);
    {
        let seen = seen.lock().expect("seen");
        for s in &accepted {
            match seen.get(s.result.as_ref().expect("accepted")) {
                Some(at) => included.push((at - s.sent_unix_ms).max(0.0)),
                // Never included counts as slower than any included one: the percentiles it
                // reaches are null, not flattered.
                None => {
                    not_included += 1;
                    included.push(f64::INFINITY);
                }
            }
        }
    }
    let figures = json!({
        "bench": "load",
        "accepted_tps": (accepted.len() as f64 / window.max(1e-9)).round(),
        "accepted": accepted.len(),
        "rejected": sent.len() - accepted.len(),
        "rejected_by_code": rejected_by_code,
        "rejected_after_an_earlier_rejection": after_rejection,
        "ack_p50_ms": percentile(&mut ack, 0.50),
        "ack_p99_ms": percentile(&mut ack, 0.99),
        "included_p50_ms": percentile(&mut included, 0.50),
        "included_p99_ms": percentile(&mut included, 0.99),
        "included_max_ms": percentile(&mut included, 1.0),
        "not_included": not_included,
        "blocks": blocks.count,
        "window_s": round3(window),
        "ran_out_of_signed_txs": exhausted,
        "accounts": n_accounts,
        "concurrency": c_count,
        "rate": args.rate,
        "swap_percent": args.mix.swap_percent,
        // Inclusion is timed by each block's sealedAtMs (the node's clock: run the benchmark
        // on the node's machine), else by when the watcher first saw the block.
        "blocks_timed_by_node": blocks.timed_by_node,
        "setup_s": round3(setup_s),
    });
    println!("{figures}");
    Ok(())
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The `q` quantile (nearest rank) of `v` in ms, rounded to 0.01 ms; null when empty.
fn percentile(v: &mut [f64], q: f64) -> Value {
    if v.is_empty() {
        return Value::Null;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    let x = v[rank - 1];
    if !x.is_finite() {
        return Value::Null;
    }
    json!((x * 100.0).round() / 100.0)
}

/// Unix time now, ms.
fn unix_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1e3)
        .unwrap_or(0.0)
}

/// What the block watcher saw.
struct Blocks {
    count: u64,
    /// Blocks whose record carried the node's seal time.
    timed_by_node: u64,
}

/// Polls the block number and records when each transaction of a new block was included: the
/// block's `sealedAtMs`, or (from an older node) when the block was first seen.
async fn watch_blocks(
    l2: HttpClient,
    first: u64,
    seen: Arc<Mutex<HashMap<String, f64>>>,
    watching: Arc<std::sync::atomic::AtomicBool>,
) -> Result<Blocks> {
    let mut next = first + 1;
    let mut timed_by_node = 0;
    // A node too busy to answer once is retried; one that stops answering ends the run.
    let mut failures = 0u32;
    while watching.load(std::sync::atomic::Ordering::Relaxed) {
        let step: Result<()> = async {
            let head: u64 = l2
                .request("zkr_blockNumber", rpc_params![])
                .await
                .map_err(|e| rpc_error("zkr_blockNumber", e))?;
            while next <= head {
                let block: Value = l2
                    .request("zkr_getBlock", rpc_params![next])
                    .await
                    .map_err(|e| rpc_error("zkr_getBlock", e))?;
                let at = match block["sealedAtMs"].as_u64() {
                    Some(ms) => {
                        timed_by_node += 1;
                        ms as f64
                    }
                    None => unix_ms(),
                };
                let mut seen = seen.lock().expect("seen");
                for h in block["txs"].as_array().into_iter().flatten() {
                    if let Some(h) = h.as_str() {
                        seen.entry(h.to_string()).or_insert(at);
                    }
                }
                next += 1;
            }
            Ok(())
        }
        .await;
        match step {
            Ok(()) => failures = 0,
            Err(e) if failures >= 100 => {
                return Err(e.context("watching the node's blocks (100 failures in a row)"));
            }
            Err(_) => failures += 1,
        }
        tokio::time::sleep(BLOCK_POLL).await;
    }
    Ok(Blocks {
        count: next - first - 1,
        timed_by_node,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_parses_and_checks_the_sum() {
        assert_eq!(parse_mix("transfer=100"), Ok(Mix { swap_percent: 0 }));
        assert_eq!(
            parse_mix("transfer=90, swap=10".replace(' ', "").as_str()),
            Ok(Mix { swap_percent: 10 })
        );
        assert!(parse_mix("transfer=90").unwrap_err().contains("90"));
        assert!(parse_mix("lend=100").unwrap_err().contains("lend"));
        assert!(parse_mix("transfer").is_err());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 0.5), json!(50.0));
        assert_eq!(percentile(&mut v, 0.99), json!(99.0));
        assert_eq!(percentile(&mut v, 1.0), json!(100.0));
        assert_eq!(percentile(&mut [], 0.5), Value::Null);
        // A transaction never included is slower than all: the percentiles it reaches are null.
        let mut v = vec![3.0, f64::INFINITY, 1.0, 2.0];
        assert_eq!(percentile(&mut v, 0.5), json!(2.0));
        assert_eq!(percentile(&mut v, 0.75), json!(3.0));
        assert_eq!(percentile(&mut v, 0.99), Value::Null);
    }
}
