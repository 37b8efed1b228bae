//! `zkr wallet exodus activate | exit | refund-deposit`: getting money back from L1 alone when
//! the operator stops. Nothing here asks the node: the wallet reads L1 (`--l1-rpc`,
//! `--rollup`), rebuilds the state from L1 (`zkr rebuild`) or reads a node's data dir, and
//! sends the exodus calls itself.

use super::{Contracts, Token, Wallet, format_units};
use crate::commands::mined;
use crate::commands::rebuild::rebuild_with_progress;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use std::path::PathBuf;
use zkr_crypto::eth::Eip712Domain;
use zkr_crypto::field::fr_to_decimal;
use zkr_l1::bindings::ZkrRollup;
use zkr_rebuild::exit::{Exit, exits, open_state};
use zkr_rebuild::{RebuildOptions, Until};
use zkr_state::ChainConfig;
use zkr_types::{ChainId, TokenId};

/// `zkr wallet exodus ...`.
#[derive(Debug, Subcommand)]
pub enum ExodusCommand {
    /// Stops the rollup for good once a priority operation (a deposit or full exit) has waited
    /// past its deadline: anyone may call it. Owners then exit with `zkr wallet exit`.
    Activate,
}

/// Priority operation type of a deposit in the contract's queue (`Pubdata.DEPOSIT`).
const DEPOSIT: u8 = 0x01;

type Rollup<'a> = ZkrRollup::ZkrRollupInstance<&'a DynProvider>;

async fn require_exodus(rollup: &Rollup<'_>) -> Result<()> {
    if !rollup.exodusMode().call().await? {
        bail!(
            "exodus mode is not active: the rollup runs, and your funds leave L2 with `zkr wallet \
             withdraw` (or `zkr wallet full-exit` if the operator ignores you; once its deadline \
             passes, `zkr wallet exodus activate` stops the rollup)"
        );
    }
    Ok(())
}

/// `zkr wallet exodus activate`.
pub async fn activate(w: &Wallet, c: &Contracts) -> Result<()> {
    let l1 = w.l1(c).await?;
    let rollup = ZkrRollup::new(c.rollup, &l1);
    if rollup.exodusMode().call().await? {
        bail!("exodus mode is already active: exit with `zkr wallet exit`");
    }
    let first = rollup.firstUnexecutedPriorityOp().call().await?;
    let total = rollup.totalPriorityOps().call().await?;
    if first >= total {
        bail!(
            "every priority operation ({total}) is executed: the operator serves the queue, \
             exodus cannot be activated"
        );
    }
    let op = rollup.priorityOps(first).call().await?;
    let now = l1
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await?
        .context("L1 has no latest block")?
        .header
        .timestamp;
    if op.expiresAt >= now {
        bail!(
            "the oldest unexecuted priority operation (index {first}) is within its deadline for \
             {} more seconds (expires at L1 time {}): the operator may still serve it",
            op.expiresAt - now + 1,
            op.expiresAt
        );
    }
    let r = mined(
        rollup.activateExodusMode().send().await?,
        "activateExodusMode",
    )
    .await?;
    eprintln!(
        "EXODUS MODE is active: priority operation {first} expired {} seconds ago. The rollup is \
         stopped for good; owners exit with `zkr wallet exit` (tx {})",
        now - op.expiresAt,
        r.transaction_hash
    );
    println!("{}", r.transaction_hash);
    Ok(())
}

/// The chain configuration of the rollup, from L1.
async fn chain(rollup: &Rollup<'_>, l1: &DynProvider, address: Address) -> Result<ChainConfig> {
    Ok(ChainConfig {
        chain_id: ChainId(rollup.chainId().call().await?),
        eip712: Eip712Domain {
            l1_chain_id: l1.get_chain_id().await?,
            verifying_contract: address,
        },
    })
}

/// `zkr wallet exit`.
pub async fn exit(
    w: &Wallet,
    c: &Contracts,
    token: Option<Token>,
    account: Option<u32>,
    data_dir: Option<PathBuf>,
    from_block: u64,
) -> Result<()> {
    let l1 = w.l1(c).await?;
    let rollup = ZkrRollup::new(c.rollup, &l1);
    require_exodus(&rollup).await?;
    let last_executed = rollup.lastExecutedRoot().call().await?;
    let dir = match data_dir {
        Some(dir) => dir,
        None => {
            let dir = PathBuf::from(".zkr/exodus").join(c.rollup.to_string());
            eprintln!(
                "rebuilding the state from L1 into {} (resumes if interrupted)",
                dir.display()
            );
            let opts = RebuildOptions {
                rollup: c.rollup,
                data_dir: dir.clone(),
                from_block,
                until: Until::Executed,
            };
            rebuild_with_progress(&l1, &opts).await?;
            dir
        }
    };
    let mut state = open_state(&dir, chain(&rollup, &l1, c.rollup).await?)?;
    let root = state.root()?;
    if U256::from_be_bytes(zkr_crypto::field::fr_to_be_bytes(&root)) != last_executed {
        bail!(
            "the state in {} has root {}, not L1's last executed root {last_executed}: exits prove \
             against that root only. Run `zkr wallet exit` without --data-dir to rebuild it from L1",
            dir.display(),
            fr_to_decimal(&root)
        );
    }
    let (id, all, _) = exits(
        &mut state,
        w.address(),
        account.map(zkr_types::AccountId),
        token.as_ref().map(|t| TokenId(t.id)),
    )?;
    drop(state);
    let mut sent = 0;
    for e in all {
        let (t, balance) = (e.token(), e.balance());
        let (name, decimals) = token_name(&rollup, &l1, t).await;
        if rollup.exited(id.0, t).call().await? {
            eprintln!(
                "{name} of account {} already exited: claim it with `zkr wallet claim --token {name}`",
                id.0
            );
            continue;
        }
        let pending = match e {
            Exit::Token(p) => rollup.exit(p).send().await?,
            Exit::Liquidity(share, pool) => rollup.exitLiquidity(share, *pool).send().await?,
        };
        let r = mined(pending, "exit").await?;
        let claim = if t >= 128 {
            "each token of the pair".to_string()
        } else {
            format!("`zkr wallet claim --token {name}`")
        };
        eprintln!(
            "exited {} {name} of account {} to {}'s pending balance on L1: claim it with {claim} \
             (tx {})",
            format_units(balance, decimals),
            id.0,
            w.address(),
            r.transaction_hash
        );
        println!("{}", r.transaction_hash);
        sent += 1;
    }
    if sent == 0 {
        bail!(
            "nothing left to exit: account {} already exited every balance it held",
            id.0
        );
    }
    Ok(())
}

/// A token's symbol (its id if it has none) and decimals, for messages.
async fn token_name(rollup: &Rollup<'_>, l1: &DynProvider, id: u16) -> (String, u8) {
    if id == 0 {
        return ("ETH".into(), 18);
    }
    if id >= 128 {
        return (format!("LP{id}"), super::dex::LP_DECIMALS);
    }
    match rollup.tokens(U256::from(id)).call().await {
        Ok(a) => {
            let erc20 = zkr_l1::bindings::DevToken::new(a, l1);
            (
                erc20
                    .symbol()
                    .call()
                    .await
                    .unwrap_or_else(|_| id.to_string()),
                erc20.decimals().call().await.unwrap_or(18),
            )
        }
        Err(_) => (id.to_string(), 18),
    }
}

/// `zkr wallet refund-deposit`: every deposit to this wallet's address that no executed
/// batch processed (or only `index`), and the priority fees this address paid for them.
pub async fn refund_deposit(w: &Wallet, c: &Contracts, index: Option<u64>) -> Result<()> {
    let l1 = w.l1(c).await?;
    let rollup = ZkrRollup::new(c.rollup, &l1);
    require_exodus(&rollup).await?;
    let first = rollup.firstUnexecutedPriorityOp().call().await?;
    let total = rollup.totalPriorityOps().call().await?;
    let candidates: Vec<u64> = match index {
        Some(i) if i < first || i >= total => bail!(
            "priority operation {i} is not refundable: operations {first}..{total} were never \
             executed (the others were processed on L2)"
        ),
        Some(i) => vec![i],
        None => (first..total).collect(),
    };
    let mut refunded = 0;
    for i in candidates {
        let op = rollup.priorityOps(i).call().await?;
        if op.opType != DEPOSIT {
            if index.is_some() {
                bail!("priority operation {i} is a full exit, not a deposit");
            }
            continue;
        }
        let d = rollup.depositRecords(i).call().await?;
        if index.is_none() && d.to != w.address() && op.payer != w.address() {
            continue;
        }
        if rollup.depositRefunded(i).call().await? {
            eprintln!("deposit {i} was already refunded");
        } else {
            let r = mined(rollup.refundDeposit(i).send().await?, "refundDeposit").await?;
            let (name, decimals) = token_name(&rollup, &l1, d.token).await;
            eprintln!(
                "refunded deposit {i}: {} {name} to {}'s pending balance (tx {})",
                format_units(d.amount, decimals),
                d.to,
                r.transaction_hash
            );
            println!("{}", r.transaction_hash);
            refunded += 1;
        }
        if op.payer != Address::ZERO {
            let r = mined(
                rollup.refundPriorityFee(i).send().await?,
                "refundPriorityFee",
            )
            .await?;
            eprintln!(
                "refunded the priority fee of deposit {i} to {} (tx {})",
                op.payer, r.transaction_hash
            );
            println!("{}", r.transaction_hash);
            refunded += 1;
        }
    }
    if refunded == 0 {
        bail!(
            "nothing to refund: no unprocessed deposit to or paid by {} is left",
            w.address()
        );
    }
    eprintln!("claim the refunds with `zkr wallet claim --token ...`");
    Ok(())
}
