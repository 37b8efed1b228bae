//! Hashes of empty subtrees.

use std::sync::OnceLock;
use zkr_crypto::poseidon;
use zkr_types::Fr;
use zkr_types::params::{ACCOUNT_TREE_DEPTH, BALANCE_TREE_DEPTH};

fn chain(leaf: Fr, depth: usize) -> Vec<Fr> {
    // index = level (0 = root, depth = leaves)
    let mut v = vec![leaf; depth + 1];
    for level in (0..depth).rev() {
        let c = v[level + 1];
        v[level] = poseidon::hash([c, c, c, c]);
    }
    v
}

/// Empty balance subtree at `level` (0 = root, `BALANCE_TREE_DEPTH` = leaf = 0).
pub fn balance_default(level: usize) -> Fr {
    static D: OnceLock<Vec<Fr>> = OnceLock::new();
    D.get_or_init(|| chain(Fr::from(0u64), BALANCE_TREE_DEPTH))[level]
}

/// `EMPTY_BALANCE_ROOT`.
pub fn empty_balance_root() -> Fr {
    balance_default(0)
}

/// Empty account subtree at `level` (0 = root = genesis root, `ACCOUNT_TREE_DEPTH` = empty leaf).
pub fn account_default(level: usize) -> Fr {
    static D: OnceLock<Vec<Fr>> = OnceLock::new();
    D.get_or_init(|| {
        let zero = Fr::from(0u64);
        let empty_leaf = poseidon::hash([zero, zero, zero, empty_balance_root()]);
        chain(empty_leaf, ACCOUNT_TREE_DEPTH)
    })[level]
}

/// The root of the empty state.
pub fn genesis_root() -> Fr {
    account_default(0)
}
