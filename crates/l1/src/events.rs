//! Reading the rollup's events: token registrations and priority requests, in L1 order.

use crate::L1Error;
use crate::bindings::ZkrRollup;
use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;

/// An event of the rollup contract that the node acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollupEvent {
    /// A token got the next id.
    TokenRegistered {
        /// Its L2 id.
        id: u16,
        /// Its L1 address (zero for ETH).
        token: Address,
    },
    /// A deposit joined the priority queue.
    Deposit {
        /// Its queue index.
        index: u64,
        /// The L2 owner.
        to: Address,
        /// Token id.
        token: u16,
        /// Amount (base units).
        amount: u128,
    },
    /// A full exit joined the priority queue.
    FullExit {
        /// Its queue index.
        index: u64,
        /// The requester.
        owner: Address,
        /// The account named.
        account_id: u32,
        /// Token id.
        token: u16,
    },
}

/// An event with where it happened on L1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// The L1 block.
    pub block: u64,
    /// The L1 transaction that emitted it.
    pub tx_hash: B256,
    /// The event.
    pub event: RollupEvent,
}

/// The rollup's events in blocks `from..=to`, in (block, log index) order.
pub async fn rollup_events<P: Provider>(
    provider: &P,
    rollup: Address,
    from: u64,
    to: u64,
) -> Result<Vec<LoggedEvent>, L1Error> {
    let filter = Filter::new()
        .address(rollup)
        .from_block(from)
        .to_block(to)
        .event_signature(vec![
            ZkrRollup::TokenRegistered::SIGNATURE_HASH,
            ZkrRollup::DepositRequested::SIGNATURE_HASH,
            ZkrRollup::FullExitRequested::SIGNATURE_HASH,
        ]);
    let mut logs = provider.get_logs(&filter).await.map_err(L1Error::rpc)?;
    logs.sort_by_key(|l| (l.block_number, l.log_index));
    let mut out = Vec::with_capacity(logs.len());
    for log in logs {
        let block = log
            .block_number
            .ok_or_else(|| L1Error::Rpc("log without a block number".into()))?;
        let tx_hash = log
            .transaction_hash
            .ok_or_else(|| L1Error::Rpc("log without a transaction hash".into()))?;
        let event = match log.topic0() {
            Some(&ZkrRollup::TokenRegistered::SIGNATURE_HASH) => {
                let e = ZkrRollup::TokenRegistered::decode_log(&log.inner).map_err(L1Error::rpc)?;
                RollupEvent::TokenRegistered {
                    id: e.tokenId,
                    token: e.token,
                }
            }
            Some(&ZkrRollup::DepositRequested::SIGNATURE_HASH) => {
                let e =
                    ZkrRollup::DepositRequested::decode_log(&log.inner).map_err(L1Error::rpc)?;
                RollupEvent::Deposit {
                    index: e.priorityIndex,
                    to: e.to,
                    token: e.token,
                    amount: e.amount,
                }
            }
            Some(&ZkrRollup::FullExitRequested::SIGNATURE_HASH) => {
                let e =
                    ZkrRollup::FullExitRequested::decode_log(&log.inner).map_err(L1Error::rpc)?;
                RollupEvent::FullExit {
                    index: e.priorityIndex,
                    owner: e.owner,
                    account_id: e.accountId,
                    token: e.token,
                }
            }
            _ => continue,
        };
        out.push(LoggedEvent {
            block,
            tx_hash,
            event,
        });
    }
    Ok(out)
}
