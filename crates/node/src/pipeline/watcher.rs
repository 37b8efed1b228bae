//! The L1 watcher: follows the rollup's events `confirmations` blocks behind the L1 head and
//! feeds token registrations and priority operations to the sequencer in queue order.
//!
//! It keeps no cursor of its own: the sequencer stores the next priority index with each
//! accepted priority operation and the token count with the state, so after a restart the
//! watcher scans from the deployment block and skips what was already taken. Nothing is taken
//! twice and nothing is skipped.

use super::{Shared, lock};
use crate::NodeError;
use crate::records::TokenInfo;
use alloy::primitives::{Address, B256};
use alloy::providers::{DynProvider, Provider};
use std::time::Duration;
use tokio::sync::watch;
use zkr_l1::bindings::DevToken;
use zkr_l1::events::{LoggedEvent, RollupEvent, rollup_events};
use zkr_state::storage::Storage;
use zkr_state::{DepositRequest, FullExitRequest, OpRequest};
use zkr_types::{AccountId, Amount, TokenId};

/// Largest block range asked for in one `eth_getLogs`.
const MAX_RANGE: u64 = 5_000;

/// What the watcher follows.
#[derive(Debug, Clone)]
pub struct WatcherConfig {
    /// The rollup contract.
    pub rollup: Address,
    /// Its deployment block (where scanning starts).
    pub start_block: u64,
    /// Blocks an event must be under the head before it is taken.
    pub confirmations: u64,
    /// Polling interval.
    pub poll: Duration,
}

/// Runs the watcher until `stop` changes.
pub async fn run<S: Storage + 'static>(
    seq: Shared<S>,
    provider: DynProvider,
    config: WatcherConfig,
    mut stop: watch::Receiver<bool>,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
) {
    let mut from = config.start_block;
    loop {
        match step(&seq, &provider, &config, from).await {
            Ok((next, head)) => {
                from = next;
                // `from - 1` is the last block read
                metrics
                    .watcher_lag_blocks
                    .set(head.saturating_sub(from.saturating_sub(1)) as i64);
            }
            Err(e) => tracing::warn!(target: "zkr::watcher", error = %e, "L1 watcher step failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(config.poll) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn step<S: Storage>(
    seq: &Shared<S>,
    provider: &DynProvider,
    config: &WatcherConfig,
    mut from: u64,
) -> Result<(u64, u64), NodeError> {
    let head = provider
        .get_block_number()
        .await
        .map_err(zkr_l1::L1Error::rpc)?;
    let safe = head.saturating_sub(config.confirmations);
    while from <= safe {
        let to = safe.min(from + MAX_RANGE - 1);
        for logged in rollup_events(provider, config.rollup, from, to).await? {
            take(seq, provider, logged).await?;
        }
        from = to + 1;
    }
    Ok((from, head))
}

async fn take<S: Storage>(
    seq: &Shared<S>,
    provider: &DynProvider,
    logged: LoggedEvent,
) -> Result<(), NodeError> {
    let LoggedEvent {
        block,
        tx_hash,
        event,
    } = logged;
    match event {
        RollupEvent::TokenRegistered { id, token } => {
            if id < lock(seq).state().num_tokens() {
                return Ok(());
            }
            let info = token_info(provider, id, token).await;
            tracing::info!(target: "zkr::watcher", id, symbol = %info.symbol, %token, block, "token registered");
            lock(seq).register_token(info)
        }
        RollupEvent::Deposit {
            index,
            to,
            token,
            amount,
        } => {
            let request = OpRequest::Deposit(DepositRequest {
                owner: to,
                token: TokenId(token),
                amount: Amount(amount),
            });
            priority(seq, index, request, block, tx_hash)
        }
        RollupEvent::FullExit {
            index,
            owner,
            account_id,
            token,
        } => {
            let request = OpRequest::FullExit(FullExitRequest {
                account_id: AccountId(account_id),
                owner,
                token: TokenId(token),
            });
            priority(seq, index, request, block, tx_hash)
        }
    }
}

fn priority<S: Storage>(
    seq: &Shared<S>,
    index: u64,
    request: OpRequest,
    block: u64,
    l1_tx: B256,
) -> Result<(), NodeError> {
    let mut seq = lock(seq);
    if index < seq.priority_next() {
        return Ok(());
    }
    tracing::info!(target: "zkr::watcher", index, block, "priority operation");
    seq.submit_priority(index, request, Some(l1_tx))
}

/// Symbol and decimals of a token, read from its contract (defaults if it does not say).
pub async fn token_info(provider: &DynProvider, id: u16, token: Address) -> TokenInfo {
    let erc20 = DevToken::new(token, provider);
    let symbol = match erc20.symbol().call().await {
        Ok(s) if !s.is_empty() => s,
        _ => format!("TOKEN{id}"),
    };
    let decimals = erc20.decimals().call().await.unwrap_or(18);
    TokenInfo {
        id,
        address: token,
        symbol,
        decimals,
    }
}
