//! What can be applied to the state: L1 priority requests, L2 transactions, Noop.

use serde::{Deserialize, Serialize};
use zkr_types::tx::L2Tx;
use zkr_types::{AccountId, Address, Amount, TokenId};

/// A deposit request from the L1 priority queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositRequest {
    /// Who owns the funds on L2.
    pub owner: Address,
    /// Token.
    pub token: TokenId,
    /// Amount.
    pub amount: Amount,
}

/// A full-exit request from the L1 priority queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FullExitRequest {
    /// The account named by the requester.
    pub account_id: AccountId,
    /// The requester (`msg.sender` on L1).
    pub owner: Address,
    /// Token.
    pub token: TokenId,
}

/// One operation to apply.
// Almost every request is a transaction, so boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "request")]
pub enum OpRequest {
    /// Nothing.
    Noop,
    /// L1 deposit.
    Deposit(DepositRequest),
    /// L1 full exit.
    FullExit(FullExitRequest),
    /// L2 transaction.
    Tx(L2Tx),
}
