//! One account-leaf update in R1CS (native twin: `zkr_state::witness::AccountUpdate`): the leaf
//! before must hash, through the balance tree and the account tree, to the current root; the
//! leaf after, through the same paths, gives the next root.

use crate::assignment::{LeafAssignment, UpdateAssignment};
use crate::gadgets::bits::to_bits_le;
use crate::gadgets::merkle::{positions, root};
use crate::gadgets::poseidon::poseidon;
use crate::gadgets::{FrVar, GResult};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_relations::gr1cs::ConstraintSystemRef;
use zkr_crypto::Fr;
use zkr_types::params::{ACCOUNT_TREE_DEPTH, BALANCE_TREE_DEPTH};

/// Allocates a witness.
pub fn wit(cs: &ConstraintSystemRef<Fr>, v: Fr) -> GResult<FrVar> {
    FrVar::new_witness(cs.clone(), || Ok(v))
}

/// The fields of a leaf as variables.
#[derive(Clone, Debug)]
pub struct LeafVars {
    /// Owner address.
    pub owner: FrVar,
    /// Key hash.
    pub pubkey_hash: FrVar,
    /// Nonce.
    pub nonce: FrVar,
    /// Balance of the update's token.
    pub balance: FrVar,
}

impl LeafVars {
    /// Allocates the fields of a leaf.
    pub fn alloc(cs: &ConstraintSystemRef<Fr>, l: &LeafAssignment) -> GResult<Self> {
        Ok(LeafVars {
            owner: wit(cs, l.owner)?,
            pubkey_hash: wit(cs, l.pubkey_hash)?,
            nonce: wit(cs, l.nonce)?,
            balance: wit(cs, l.balance)?,
        })
    }
}

/// The position of a leaf: its index bits and one-hot positions per level.
#[derive(Clone, Debug)]
pub struct PathIndex {
    /// The index as a variable.
    pub value: FrVar,
    /// Little-endian bits.
    pub bits: Vec<crate::gadgets::BoolVar>,
    /// One-hot positions, root level first.
    pub positions: Vec<[FrVar; 4]>,
}

impl PathIndex {
    /// Decomposes `value` into `2 * depth` bits and the positions along its path.
    pub fn new(value: FrVar, depth: usize) -> GResult<Self> {
        let bits = to_bits_le(&value, 2 * depth)?;
        let positions = positions(&bits)?;
        Ok(PathIndex {
            value,
            bits,
            positions,
        })
    }
}

/// Merkle paths of an update, allocated.
#[derive(Clone, Debug)]
pub struct PathVars {
    balance: Vec<[FrVar; 3]>,
    account: Vec<[FrVar; 3]>,
}

impl PathVars {
    /// Allocates the paths of an update.
    pub fn alloc(cs: &ConstraintSystemRef<Fr>, u: &UpdateAssignment) -> GResult<Self> {
        assert_eq!(u.balance_path.len(), BALANCE_TREE_DEPTH);
        assert_eq!(u.account_path.len(), ACCOUNT_TREE_DEPTH);
        let alloc = |p: &Vec<[Fr; 3]>| -> GResult<Vec<[FrVar; 3]>> {
            p.iter()
                .map(|s| Ok([wit(cs, s[0])?, wit(cs, s[1])?, wit(cs, s[2])?]))
                .collect()
        };
        Ok(PathVars {
            balance: alloc(&u.balance_path)?,
            account: alloc(&u.account_path)?,
        })
    }
}

/// The balance root and the state root of `leaf` at `account`/`token` with `paths`.
pub fn leaf_root(
    leaf: &LeafVars,
    account: &PathIndex,
    token: &PathIndex,
    paths: &PathVars,
) -> GResult<(FrVar, FrVar)> {
    let balance_root = root(&leaf.balance, &token.positions, &paths.balance)?;
    let hash = poseidon(&[
        leaf.owner.clone(),
        leaf.pubkey_hash.clone(),
        leaf.nonce.clone(),
        balance_root.clone(),
    ])?;
    Ok((
        balance_root,
        root(&hash, &account.positions, &paths.account)?,
    ))
}

/// An update applied in R1CS.
pub struct Updated {
    /// The account's balance root before the update (the whole balance tree, every token).
    pub balance_root_before: FrVar,
    /// The state root after the update.
    pub root: FrVar,
}

/// Enforces that `before` is in the tree of `root_before` and returns the root with `after`.
pub fn update(
    root_before: &FrVar,
    before: &LeafVars,
    after: &LeafVars,
    account: &PathIndex,
    token: &PathIndex,
    paths: &PathVars,
) -> GResult<Updated> {
    let (balance_root_before, root) = leaf_root(before, account, token, paths)?;
    root.enforce_equal(root_before)?;
    Ok(Updated {
        balance_root_before,
        root: leaf_root(after, account, token, paths)?.1,
    })
}

/// One balance of an account changing, with its path in the account's balance tree.
#[derive(Clone, Debug)]
pub struct BalanceChange {
    /// The token's position.
    pub token: PathIndex,
    /// The balance before.
    pub before: FrVar,
    /// The balance after.
    pub after: FrVar,
    /// Siblings in the balance tree, root level first, in the tree as the earlier changes
    /// left it.
    pub path: Vec<[FrVar; 3]>,
}

/// The fields of an account leaf but its balance root.
#[derive(Clone, Debug)]
pub struct AccountFields {
    /// Owner address.
    pub owner: FrVar,
    /// Key hash.
    pub pubkey_hash: FrVar,
    /// Nonce.
    pub nonce: FrVar,
}

/// Several balances of one account changing at once (the DEX's pools and traders): each change
/// must start from the balance root the previous one left (the first from the leaf in the tree
/// of `root_before`), and the account path is walked twice in all, not once per balance. For
/// `k` changes: `k * 2 * 4` balance levels and `2 * 12` account levels, against `k * 2 * 16` for
/// `k` separate [`update`]s.
pub fn update_balances(
    root_before: &FrVar,
    before: &AccountFields,
    after: &AccountFields,
    account: &PathIndex,
    changes: &[BalanceChange],
    account_path: &[[FrVar; 3]],
) -> GResult<Updated> {
    assert!(!changes.is_empty(), "at least one balance changes");
    let first = &changes[0];
    let balance_root_before = root(&first.before, &first.token.positions, &first.path)?;
    let mut current = balance_root_before.clone();
    for (i, c) in changes.iter().enumerate() {
        if i > 0 {
            root(&c.before, &c.token.positions, &c.path)?.enforce_equal(&current)?;
        }
        current = root(&c.after, &c.token.positions, &c.path)?;
    }
    let leaf = |f: &AccountFields, balance_root: &FrVar| {
        poseidon(&[
            f.owner.clone(),
            f.pubkey_hash.clone(),
            f.nonce.clone(),
            balance_root.clone(),
        ])
    };
    root(
        &leaf(before, &balance_root_before)?,
        &account.positions,
        account_path,
    )?
    .enforce_equal(root_before)?;
    Ok(Updated {
        balance_root_before,
        root: root(&leaf(after, &current)?, &account.positions, account_path)?,
    })
}
