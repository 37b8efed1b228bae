//! Merkle proofs of one balance against the current root: what L1's exodus `exit` and
//! `exitLiquidity` check (`docs/contracts.md`, exodus mode).

use super::State;
use crate::StateError;
use crate::account::Account;
use crate::storage::Storage;
use crate::tree::Siblings;
use zkr_types::{AccountId, Fr, TokenId};

/// One account's leaf and one of its balances, with the paths to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceProof {
    /// The account.
    pub account_id: AccountId,
    /// Its leaf (owner, key hash, nonce, balances); the default account for an empty leaf.
    pub account: Account,
    /// The token.
    pub token: TokenId,
    /// Its balance.
    pub balance: u128,
    /// Siblings in the account's balance tree, root level first.
    pub balance_path: Vec<Siblings>,
    /// Siblings in the account tree, root level first.
    pub account_path: Vec<Siblings>,
    /// The root both paths lead to.
    pub root: Fr,
}

impl<S: Storage> State<S> {
    /// The proof of `token`'s balance in account `id` against the current root.
    pub fn balance_proof(
        &mut self,
        id: AccountId,
        token: TokenId,
    ) -> Result<BalanceProof, StateError> {
        if !id.is_valid() {
            return Err(StateError::UnknownAccount(id));
        }
        let root = self.root()?;
        let account = self.load(id)?;
        let account_path = self
            .tree
            .path(&super::layered(&self.storage, &self.sealed), id)?;
        Ok(BalanceProof {
            account_id: id,
            balance: account.balance(token),
            balance_path: account.balance_path(token),
            account,
            token,
            account_path,
            root,
        })
    }
}
