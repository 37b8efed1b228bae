//! What the circuit needs to re-check an operation: for every account leaf it touches, the leaf
//! before and after, the touched balance, and the Merkle paths at that moment.

use crate::account::balance_root_from_path;
use crate::tree::{Siblings, root_from_path};
use zkr_crypto::poseidon;
use zkr_types::tx::{L2Signature, address_to_fr};
use zkr_types::{AccountId, Address, Fr, Nonce, TokenId};

/// The fields of an account leaf, with one balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafState {
    /// Owner.
    pub owner: Address,
    /// Key hash.
    pub pubkey_hash: Fr,
    /// Nonce.
    pub nonce: Nonce,
    /// Balance of the touched token.
    pub balance: u128,
}

/// One update of one account leaf (a single token's balance and possibly owner, key, nonce).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUpdate {
    /// The account.
    pub account_id: AccountId,
    /// The token whose balance leaf is on the path.
    pub token: TokenId,
    /// Leaf before.
    pub before: LeafState,
    /// Leaf after.
    pub after: LeafState,
    /// Siblings in the account's balance tree, root level first.
    pub balance_path: Vec<Siblings>,
    /// Siblings in the account tree, root level first.
    pub account_path: Vec<Siblings>,
    /// State root before.
    pub root_before: Fr,
    /// State root after.
    pub root_after: Fr,
}

impl AccountUpdate {
    /// The state root with `leaf` at this update's position (same paths).
    pub fn root_of(&self, leaf: &LeafState) -> Fr {
        let balance_root =
            balance_root_from_path(self.token, Fr::from(leaf.balance), &self.balance_path);
        let hash = poseidon::hash([
            address_to_fr(&leaf.owner),
            leaf.pubkey_hash,
            Fr::from(leaf.nonce.0),
            balance_root,
        ]);
        root_from_path(self.account_id, hash, &self.account_path)
    }

    /// Whether the paths take `before` to `root_before` and `after` to `root_after`.
    pub fn is_consistent(&self) -> bool {
        self.root_of(&self.before) == self.root_before
            && self.root_of(&self.after) == self.root_after
    }
}

/// The witness of one applied operation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpWitness {
    /// Leaf updates in the order applied (a Noop has none; a FullExit that pays nothing has one
    /// with equal before and after).
    pub updates: Vec<AccountUpdate>,
    /// The L2 signature, for signed transactions.
    pub signature: Option<L2Signature>,
    /// The signed message.
    pub message: Option<Fr>,
}
