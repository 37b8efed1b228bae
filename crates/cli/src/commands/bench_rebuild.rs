//! `zkr bench rebuild`: how fast `zkr rebuild` rebuilds from L1. Puts `--batches` executed
//! batches of signed transfers on a fresh anvil, then rebuilds a data dir from it and checks
//! the root.
//!
//! To put a thousand batches on L1 in seconds, the rollup is deployed with the test contract
//! `AcceptAllVerifier` (BENCHMARKS ONLY: it accepts every proof). A rebuild never reads proofs,
//! so this changes nothing of what is measured: the `eth_getLogs` scan, one
//! `eth_getTransactionByHash` and one block header per batch, the replay and the storage.

use super::devnet::{anvil_bin, project_dir, wait_l1};
use super::mined;
use alloy::network::EthereumWallet;
use alloy::primitives::U256;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::json;
use std::time::Instant;
use zkr_crypto::eth::{Eip712Domain, EthPrivateKey, derive_l2_key};
use zkr_crypto::field::fr_to_be_bytes;
use zkr_l1::bindings::ZkrRollup;
use zkr_l1::deploy::{RollupParams, deploy_with_verifiers};
use zkr_node::pipeline::sender::{commit_input, onchain_ops};
use zkr_node::sequencer::genesis_root;
use zkr_node::{Sequencer, SequencerConfig};
use zkr_rebuild::{RebuildOptions, Until};
use zkr_state::storage::MemoryStorage;
use zkr_state::{ChainConfig, DepositRequest, OpRequest};
use zkr_types::tx::{ChangePubKey, L2Tx, Transfer};
use zkr_types::{AccountId, Amount, ChainId, Nonce, TokenId};

/// anvil's first public dev key: the operator here (BENCHMARKS ONLY).
const ANVIL_KEY_0: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ETH: u128 = 1_000_000_000_000_000_000;

#[derive(Debug, Args)]
pub struct RebuildBenchArgs {
    /// Executed batches to put on L1 and rebuild.
    #[arg(long, default_value_t = 1_000)]
    batches: u64,
    /// Operations per batch (the devnet's batch size is 8).
    #[arg(long, default_value_t = 8)]
    batch_size: usize,
    /// L2 users sending the transfers.
    #[arg(long, default_value_t = 16)]
    users: u8,
    /// The zkr checkout (for anvil and the contract artifacts) [default: found from here].
    #[arg(long)]
    project_dir: Option<std::path::PathBuf>,
}

pub fn run(args: RebuildBenchArgs) -> Result<()> {
    if args.batches == 0 || args.batch_size == 0 || args.users < 2 {
        bail!("--batches and --batch-size must be positive, --users at least 2");
    }
    tokio::runtime::Runtime::new()?.block_on(run_async(args))
}

async fn run_async(args: RebuildBenchArgs) -> Result<()> {
    let project = project_dir(args.project_dir.clone())?;
    let tmp = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut anvil = tokio::process::Command::new(anvil_bin(&project, None)?)
        .args(["--port", &port.to_string(), "--silent"])
        .kill_on_drop(true)
        .spawn()
        .context("starting anvil")?;
    let url = format!("http://127.0.0.1:{port}");
    let operator_key = EthPrivateKey::from_bytes(&hex::decode(ANVIL_KEY_0)?)?;
    let operator = operator_key.address();
    let signer = PrivateKeySigner::from_slice(&hex::decode(ANVIL_KEY_0)?)?;
    let l1 = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url.parse()?)
        .erased();
    wait_l1(&url, &mut anvil).await?;
    let chain_id = ChainId(270);
    let mut chain = ChainConfig {
        chain_id,
        eip712: Eip712Domain {
            l1_chain_id: l1.get_chain_id().await?,
            verifying_contract: alloy::primitives::Address::ZERO,
        },
    };
    let params = RollupParams {
        operator,
        chain_id: chain_id.0,
        priority_deadline: 86_400,
        priority_fee: 0,
        genesis_root: U256::from_be_bytes(fr_to_be_bytes(&genesis_root(chain, &[operator])?)),
    };
    let d = deploy_with_verifiers(
        &l1,
        operator,
        &project.join("contracts"),
        params,
        ["AcceptAllVerifier", "AcceptAllVerifier"],
    )
    .await
    .context("deploying (run `scripts/forge build` first)")?;
    chain.eip712.verifying_contract = d.rollup;
    let rollup = ZkrRollup::new(d.rollup, &l1);
    let config = SequencerConfig {
        genesis: vec![operator],
        ..SequencerConfig::free(args.batch_size)
    };
    let mut seq = Sequencer::open(MemoryStorage::new(), chain, config)?;

    eprintln!(
        "putting {} batches of {} operations on anvil",
        args.batches, args.batch_size
    );
    let setup = Instant::now();
    // Users: a deposit each (from L1, through the priority queue), then their L2 key.
    let users: Vec<(EthPrivateKey, zkr_crypto::eddsa::PrivateKey)> = (1..=args.users)
        .map(|i| {
            let eth = EthPrivateKey::from_bytes(&[i; 32])?;
            let l2 = derive_l2_key(&eth, chain_id.0)?;
            Ok((eth, l2))
        })
        .collect::<Result<_>>()?;
    for (i, (eth, _)) in users.iter().enumerate() {
        let amount = 100 * ETH;
        mined(
            rollup
                .depositETH(eth.address())
                .value(U256::from(amount))
                .send()
                .await?,
            "depositETH",
        )
        .await?;
        seq.submit_priority(
            i as u64,
            OpRequest::Deposit(DepositRequest {
                owner: eth.address(),
                token: TokenId(0),
                amount: Amount(amount),
            }),
            None,
        )?;
    }
    let mut nonces = vec![0u32; users.len()];
    let ids: Vec<AccountId> = users
        .iter()
        .map(|(eth, _)| {
            seq.account_of(&eth.address())?
                .map(|(id, _)| id)
                .context("a deposited user has an account")
        })
        .collect::<Result<_>>()?;
    for (i, (eth, l2)) in users.iter().enumerate() {
        let cpk = ChangePubKey::signed(
            l2,
            eth,
            &chain.eip712,
            chain_id,
            ids[i],
            TokenId(0),
            Amount(0),
            Nonce(0),
        )?;
        seq.submit(L2Tx::ChangePubKey(cpk))?;
        nonces[i] = 1;
    }
    // Transfers around the ring of users until the batches are full.
    let mut turn = 0usize;
    while seq.sealed_batches() < args.batches {
        if seq.batch_len() >= args.batch_size {
            seq.seal_batch(zkr_node::sequencer::now_ms())?;
            continue;
        }
        let from = turn % users.len();
        let to = users[(from + 1) % users.len()].0.address();
        let t = Transfer::signed(
            &users[from].1,
            chain_id,
            ids[from],
            to,
            TokenId(0),
            Amount(1_000),
            Amount(0),
            Nonce(nonces[from]),
        )?;
        seq.submit(L2Tx::Transfer(t))?;
        nonces[from] += 1;
        turn += 1;
    }
    // anvil mines each transaction as it arrives, and every call is estimated first (one that
    // would revert is not sent): no need to wait for receipts one by one.
    let zero = U256::ZERO;
    let mut last = None;
    for n in 1..=args.batches {
        let record = seq.batch(n)?.context("a sealed batch")?;
        let ops = seq.batch_ops(&record)?;
        let _mined_by_anvil = rollup
            .commitBatch(commit_input(&record, &ops)?)
            .send()
            .await?;
        let _mined_by_anvil = rollup
            .proveBatch(n, [zero; 2], [[zero; 2]; 2], [zero; 2])
            .send()
            .await?;
        last = Some(rollup.executeBatch(n, onchain_ops(&ops)?).send().await?);
        if n % 100 == 0 {
            eprintln!("{n} batches executed on anvil");
        }
    }
    if let Some(last) = last {
        mined(last, "the last executeBatch").await?;
    }
    let executed = rollup.totalBatchesExecuted().call().await?;
    if executed != args.batches {
        bail!("anvil executed {executed} batches, not {}", args.batches);
    }
    let setup_seconds = setup.elapsed().as_secs_f64();
    let expected = seq.batch(args.batches)?.context("the last batch")?.root;

    eprintln!("rebuilding");
    let opts = RebuildOptions {
        rollup: d.rollup,
        data_dir: tmp.path().join("rebuilt"),
        from_block: 0,
        until: Until::Executed,
    };
    let reader = ProviderBuilder::new().connect_http(url.parse()?).erased();
    let report = zkr_rebuild::rebuild(&reader, &opts, &|_| {}).await?;
    if report.root != expected || report.stored != args.batches {
        bail!(
            "the rebuild ended at batch {} with root {}, expected batch {} with root {}",
            report.stored,
            report.root,
            args.batches,
            expected
        );
    }
    let ops = args.batches * args.batch_size as u64;
    println!(
        "{}",
        json!({
            "batches": args.batches,
            "batch_size": args.batch_size,
            "ops": ops,
            "l1_blocks": report.l1_block,
            "setup_seconds": setup_seconds,
            "rebuild_seconds": report.seconds,
            "batches_per_minute": report.batches_per_minute,
            "ops_per_second": ops as f64 / report.seconds,
            "root_matches": true,
        })
    );
    let _ = anvil.kill().await;
    Ok(())
}
