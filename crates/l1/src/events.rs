//! Reading the rollup's events: token registrations and priority requests, in L1 order.

use crate::L1Error;
use crate::bindings::ZkrRollup;
use alloy::primitives::{Address, B256, keccak256};
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

impl RollupEvent {
    /// The hash the contract keeps for a priority operation in `priorityOps(index).hash`
    /// (`keccak256` of its packed fields, as `_deposit` and `requestFullExit` compute it), and
    /// its queue index; `None` for a token registration.
    pub fn priority_hash(&self) -> Option<(u64, B256)> {
        match *self {
            RollupEvent::TokenRegistered { .. } => None,
            RollupEvent::Deposit {
                index,
                to,
                token,
                amount,
            } => {
                let mut b = Vec::with_capacity(38);
                b.push(OP_DEPOSIT);
                b.extend_from_slice(to.as_slice());
                b.push(token as u8);
                b.extend_from_slice(&amount.to_be_bytes());
                Some((index, keccak256(b)))
            }
            RollupEvent::FullExit {
                index,
                owner,
                account_id,
                token,
            } => {
                let mut b = Vec::with_capacity(25);
                b.push(OP_FULL_EXIT);
                b.extend_from_slice(&account_id.to_be_bytes()[1..]);
                b.extend_from_slice(owner.as_slice());
                b.push(token as u8);
                Some((index, keccak256(b)))
            }
        }
    }
}

/// `Pubdata.DEPOSIT`.
const OP_DEPOSIT: u8 = 0x01;
/// `Pubdata.FULL_EXIT`.
const OP_FULL_EXIT: u8 = 0x06;

/// An event with where it happened on L1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// The L1 block.
    pub block: u64,
    /// Its hash.
    pub block_hash: B256,
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
        let block_hash = log
            .block_hash
            .ok_or_else(|| L1Error::Rpc("log without a block hash".into()))?;
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
            block_hash,
            tx_hash,
            event,
        });
    }
    Ok(out)
}
