//! The account record, its balance tree and its leaf (`docs/protocol.md` §3.1, §3.2).

use crate::tree::defaults::{balance_default, empty_balance_root};
use crate::tree::{ARITY, Siblings};
use std::collections::BTreeMap;
use zkr_crypto::poseidon;
use zkr_types::params::BALANCE_TREE_DEPTH;
use zkr_types::tx::address_to_fr;
use zkr_types::{Address, Fr, Nonce, TokenId};

/// One account. The all-zero account is the empty leaf.
///
/// The balance root is cached and recomputed lazily: [`Account::set_balance`] only marks it
/// stale, so a block's hashing can be done once per touched account, in parallel.
#[derive(Debug, Clone)]
pub struct Account {
    /// L1 owner; zero for an empty leaf.
    pub owner: Address,
    /// Hash of the registered L2 key, zero if none.
    pub pubkey_hash: Fr,
    /// Transaction counter.
    pub nonce: Nonce,
    balances: BTreeMap<u16, u128>,
    balance_root: Fr,
    stale: bool,
}

impl PartialEq for Account {
    fn eq(&self, o: &Self) -> bool {
        self.owner == o.owner
            && self.pubkey_hash == o.pubkey_hash
            && self.nonce == o.nonce
            && self.balances == o.balances
    }
}

impl Eq for Account {}

impl Default for Account {
    fn default() -> Self {
        Account {
            owner: Address::ZERO,
            pubkey_hash: Fr::from(0u64),
            nonce: Nonce(0),
            balances: BTreeMap::new(),
            balance_root: empty_balance_root(),
            stale: false,
        }
    }
}

/// Position of `token`'s leaf child at `level` (0 = root) of the balance tree.
fn balance_position(token: u16, level: usize) -> u16 {
    (token >> (2 * (BALANCE_TREE_DEPTH - 1 - level))) & 3
}

/// Root of the subtree at `level` covering `entries` (sorted, all inside the subtree).
fn subtree_root(entries: &[(u16, u128)], level: usize) -> Fr {
    if entries.is_empty() {
        return balance_default(level);
    }
    if level == BALANCE_TREE_DEPTH {
        return Fr::from(entries[0].1);
    }
    let mut children = [Fr::from(0u64); ARITY];
    for (pos, child) in children.iter_mut().enumerate() {
        let part: Vec<(u16, u128)> = entries
            .iter()
            .copied()
            .filter(|(t, _)| balance_position(*t, level) as usize == pos)
            .collect();
        *child = subtree_root(&part, level + 1);
    }
    poseidon::hash(children)
}

/// Refreshes the balance roots of `accounts` and returns their leaves, as [`Account::refresh`]
/// and [`Account::leaf_hash`] of each, with the hashes of one tree level batched across all
/// of them ([`poseidon::hash_many`]). Single-threaded: callers split large sets across cores.
pub fn refresh_and_hash(accounts: &mut [&mut Account]) -> Vec<Fr> {
    // Per stale account, the nodes of the current level: (prefix, value), sorted by prefix.
    let stale: Vec<usize> = (0..accounts.len()).filter(|&i| accounts[i].stale).collect();
    let mut nodes: Vec<Vec<(u16, Fr)>> = stale
        .iter()
        .map(|&i| {
            let a = &accounts[i];
            a.balances.iter().map(|(t, b)| (*t, Fr::from(*b))).collect()
        })
        .collect();
    for level in (0..BALANCE_TREE_DEPTH).rev() {
        // A level-`level` node's children are the level + 1 nodes sharing its prefix.
        let mut inputs: Vec<[Fr; ARITY]> = Vec::new();
        let mut parents: Vec<Vec<u16>> = Vec::with_capacity(nodes.len());
        for children in &nodes {
            let mut mine: Vec<u16> = Vec::new();
            for (prefix, value) in children {
                let parent = prefix >> 2;
                if mine.last() != Some(&parent) {
                    mine.push(parent);
                    inputs.push([balance_default(level + 1); ARITY]);
                }
                inputs.last_mut().expect("pushed above")[(prefix & 3) as usize] = *value;
            }
            parents.push(mine);
        }
        let mut hashes = poseidon::hash_many(&inputs).into_iter();
        for (level_nodes, mine) in nodes.iter_mut().zip(parents) {
            *level_nodes = mine
                .into_iter()
                .map(|p| (p, hashes.next().expect("one hash per parent")))
                .collect();
        }
    }
    for (&i, root) in stale.iter().zip(nodes) {
        debug_assert!(root.len() <= 1 && root.first().is_none_or(|(p, _)| *p == 0));
        let a = &mut accounts[i];
        a.balance_root = root.first().map_or_else(empty_balance_root, |(_, r)| *r);
        a.stale = false;
    }
    let inputs: Vec<[Fr; 4]> = accounts.iter().map(|a| a.leaf_inputs()).collect();
    poseidon::hash_many(&inputs)
}

impl Account {
    /// A fresh account owned by `owner`.
    pub fn new(owner: Address) -> Self {
        Account {
            owner,
            ..Account::default()
        }
    }

    /// Whether this is the empty leaf.
    pub fn is_empty(&self) -> bool {
        self.owner == Address::ZERO
            && self.pubkey_hash == Fr::from(0u64)
            && self.nonce == Nonce(0)
            && self.balances.is_empty()
    }

    /// Balance of a token.
    pub fn balance(&self, token: TokenId) -> u128 {
        self.balances.get(&token.0).copied().unwrap_or(0)
    }

    /// All non-zero balances.
    pub fn balances(&self) -> impl Iterator<Item = (TokenId, u128)> + '_ {
        self.balances.iter().map(|(t, b)| (TokenId(*t), *b))
    }

    /// Sets a balance; the balance root is recomputed when next needed.
    pub fn set_balance(&mut self, token: TokenId, value: u128) {
        if value == 0 {
            self.balances.remove(&token.0);
        } else {
            self.balances.insert(token.0, value);
        }
        self.stale = true;
    }

    /// Recomputes and caches the balance root if a balance changed.
    pub fn refresh(&mut self) {
        if self.stale {
            self.balance_root = self.compute_balance_root();
            self.stale = false;
        }
    }

    fn entries(&self) -> Vec<(u16, u128)> {
        self.balances.iter().map(|(t, b)| (*t, *b)).collect()
    }

    fn compute_balance_root(&self) -> Fr {
        subtree_root(&self.entries(), 0)
    }

    /// Root of the balance tree (computed on the fly if stale; see [`Account::refresh`]).
    pub fn balance_root(&self) -> Fr {
        if self.stale {
            self.compute_balance_root()
        } else {
            self.balance_root
        }
    }

    /// Siblings on the path to `token`'s leaf, from the root level down.
    pub fn balance_path(&self, token: TokenId) -> Vec<Siblings> {
        let entries = self.entries();
        let mut path = Vec::with_capacity(BALANCE_TREE_DEPTH);
        for level in 0..BALANCE_TREE_DEPTH {
            // Children of the level-`level` node on the path: subtrees at level + 1.
            let prefix_bits = 2 * level;
            let same_prefix = |t: u16| {
                prefix_bits == 0
                    || (t >> (2 * BALANCE_TREE_DEPTH - prefix_bits))
                        == (token.0 >> (2 * BALANCE_TREE_DEPTH - prefix_bits))
            };
            let mine = balance_position(token.0, level);
            let mut sib = [Fr::from(0u64); ARITY - 1];
            let mut k = 0;
            for pos in 0..ARITY as u16 {
                if pos == mine {
                    continue;
                }
                let part: Vec<(u16, u128)> = entries
                    .iter()
                    .copied()
                    .filter(|(t, _)| same_prefix(*t) && balance_position(*t, level) == pos)
                    .collect();
                sib[k] = subtree_root(&part, level + 1);
                k += 1;
            }
            path.push(sib);
        }
        path
    }

    /// The leaf: `Poseidon(owner, pubkey_hash, nonce, balance_root)`.
    pub fn leaf_hash(&self) -> Fr {
        poseidon::hash(self.leaf_inputs())
    }

    fn leaf_inputs(&self) -> [Fr; 4] {
        [
            address_to_fr(&self.owner),
            self.pubkey_hash,
            Fr::from(self.nonce.0),
            self.balance_root(),
        ]
    }

    /// Storage encoding: owner (20) | pubkey_hash (32, LE) | nonce (4) | balance_root (32, LE) |
    /// count (2) | (token (2), balance (16))*.
    pub fn to_bytes(&self) -> Vec<u8> {
        use ark_ff::{BigInteger, PrimeField};
        let mut out = Vec::with_capacity(90 + 18 * self.balances.len());
        out.extend_from_slice(self.owner.as_slice());
        out.extend_from_slice(&self.pubkey_hash.into_bigint().to_bytes_le());
        out.extend_from_slice(&self.nonce.0.to_le_bytes());
        out.extend_from_slice(&self.balance_root().into_bigint().to_bytes_le());
        out.extend_from_slice(&(self.balances.len() as u16).to_le_bytes());
        for (t, b) in &self.balances {
            out.extend_from_slice(&t.to_le_bytes());
            out.extend_from_slice(&b.to_le_bytes());
        }
        out
    }

    /// Decodes [`Account::to_bytes`]; `None` if malformed.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        use zkr_crypto::field::fr_from_le_bytes_canonical;
        if b.len() < 90 {
            return None;
        }
        let owner = Address::from_slice(&b[..20]);
        let pubkey_hash = fr_from_le_bytes_canonical(b[20..52].try_into().ok()?)?;
        let nonce = Nonce(u32::from_le_bytes(b[52..56].try_into().ok()?));
        let balance_root = fr_from_le_bytes_canonical(b[56..88].try_into().ok()?)?;
        let n = u16::from_le_bytes(b[88..90].try_into().ok()?) as usize;
        if b.len() != 90 + 18 * n {
            return None;
        }
        let mut balances = BTreeMap::new();
        for i in 0..n {
            let o = 90 + 18 * i;
            balances.insert(
                u16::from_le_bytes(b[o..o + 2].try_into().ok()?),
                u128::from_le_bytes(b[o + 2..o + 18].try_into().ok()?),
            );
        }
        Some(Account {
            owner,
            pubkey_hash,
            nonce,
            balances,
            balance_root,
            stale: false,
        })
    }
}

/// Recomputes a balance root from a leaf value and its path (used to check witnesses).
pub fn balance_root_from_path(token: TokenId, leaf: Fr, path: &[Siblings]) -> Fr {
    let mut cur = leaf;
    for level in (0..BALANCE_TREE_DEPTH).rev() {
        cur = crate::tree::hash_with_siblings(
            cur,
            balance_position(token.0, level) as usize,
            &path[level],
        );
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The batched hashing is `refresh` + `leaf_hash` of each account: any mix of stale and
        /// fresh accounts, of empty ones and of up to eight balances anywhere in the tree
        /// (first and last token included).
        #[test]
        fn batched_leaves_are_the_leaves(
            accounts in proptest::collection::vec(
                (
                    any::<[u8; 20]>(),
                    any::<u32>(),
                    proptest::collection::btree_map(
                        prop_oneof![Just(0u16), Just(255u16), 0u16..256],
                        1u128..u128::MAX,
                        0..8,
                    ),
                    any::<bool>(),
                ),
                0..40,
            )
        ) {
            let mut batch: Vec<Account> = Vec::new();
            for (owner, nonce, balances, stale) in accounts {
                let mut a = Account::new(Address::from(owner));
                a.nonce = Nonce(nonce);
                for (t, b) in balances {
                    a.set_balance(TokenId(t), b);
                }
                if !stale {
                    a.refresh();
                }
                batch.push(a);
            }
            let mut one_by_one = batch.clone();
            let expected: Vec<Fr> = one_by_one
                .iter_mut()
                .map(|a| {
                    a.refresh();
                    a.leaf_hash()
                })
                .collect();
            let leaves = refresh_and_hash(&mut batch.iter_mut().collect::<Vec<_>>());
            prop_assert_eq!(leaves, expected);
            for (a, b) in batch.iter().zip(&one_by_one) {
                prop_assert!(!a.stale);
                prop_assert_eq!(a.balance_root, b.balance_root);
            }
        }
    }

    #[test]
    fn empty_account_is_the_default_leaf() {
        let a = Account::default();
        assert!(a.is_empty());
        assert_eq!(a.balance_root(), empty_balance_root());
        assert_eq!(
            a.leaf_hash(),
            crate::tree::defaults::account_default(zkr_types::params::ACCOUNT_TREE_DEPTH)
        );
    }

    #[test]
    fn balance_paths_recompute_the_root() {
        let mut a = Account::new(Address::repeat_byte(1));
        for (t, v) in [(0u16, 5u128), (1, 7), (17, 9), (255, u128::MAX), (128, 1)] {
            a.set_balance(TokenId(t), v);
        }
        for t in [0u16, 1, 2, 17, 64, 128, 255] {
            let path = a.balance_path(TokenId(t));
            let leaf = Fr::from(a.balance(TokenId(t)));
            assert_eq!(
                balance_root_from_path(TokenId(t), leaf, &path),
                a.balance_root(),
                "token {t}"
            );
        }
        a.set_balance(TokenId(17), 0);
        let mut b = Account::new(Address::repeat_byte(1));
        for (t, v) in [(0u16, 5u128), (1, 7), (255, u128::MAX), (128, 1)] {
            b.set_balance(TokenId(t), v);
        }
        assert_eq!(a, b);
    }

    #[test]
    fn bytes_round_trip() {
        let mut a = Account::new(Address::repeat_byte(9));
        a.pubkey_hash = Fr::from(77u64);
        a.nonce = Nonce(3);
        a.set_balance(TokenId(3), 1000);
        assert_eq!(Account::from_bytes(&a.to_bytes()), Some(a.clone()));
        assert_eq!(Account::from_bytes(&a.to_bytes()[..50]), None);
    }
}
