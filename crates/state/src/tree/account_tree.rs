//! The account tree: leaves are account leaf hashes, nodes live in storage with an in-memory
//! overlay of changes not yet committed. Changed leaves mark their ancestors dirty; `flush`
//! rehashes every dirty node exactly once, level by level from the leaves up, in parallel.

use super::defaults::account_default;
use super::{ARITY, Siblings, hash_with_siblings};
use crate::storage::{Storage, StorageError};

/// Where the tree reads nodes it does not hold: storage, or storage behind blocks not yet
/// written.
pub trait NodeRead {
    /// A tree node, `None` if it was never written (empty subtree).
    fn node(&self, key: NodeKey) -> Result<Option<Fr>, StorageError>;
}

impl<S: Storage + ?Sized> NodeRead for S {
    fn node(&self, key: NodeKey) -> Result<Option<Fr>, StorageError> {
        Storage::node(self, key)
    }
}
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use zkr_crypto::poseidon;
use zkr_types::params::ACCOUNT_TREE_DEPTH;
use zkr_types::{AccountId, Fr};

/// A node position: `level << 32 | index` (level 0 = root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeKey(pub u64);

impl NodeKey {
    /// The node at `level`, `index`.
    pub fn new(level: usize, index: u64) -> Self {
        NodeKey(((level as u64) << 32) | index)
    }
    /// Its level.
    pub fn level(self) -> usize {
        (self.0 >> 32) as usize
    }
    /// Its index within the level.
    pub fn index(self) -> u64 {
        self.0 & 0xffff_ffff
    }
}

/// Position of account `id`'s ancestor at `level + 1` below its level-`level` ancestor.
pub fn account_position(id: AccountId, level: usize) -> usize {
    ((id.0 >> (2 * (ACCOUNT_TREE_DEPTH - 1 - level))) & 3) as usize
}

/// The account tree's uncommitted state.
#[derive(Debug, Default)]
pub struct AccountTree {
    overlay: HashMap<u64, Fr>,
    dirty: Vec<HashSet<u64>>,
}

impl AccountTree {
    /// A tree view with no uncommitted changes.
    pub fn new() -> Self {
        AccountTree {
            overlay: HashMap::new(),
            dirty: vec![HashSet::new(); ACCOUNT_TREE_DEPTH],
        }
    }

    /// A node's current value (stale if dirty and not yet flushed).
    pub fn node<S: NodeRead + Sync + ?Sized>(
        &self,
        storage: &S,
        level: usize,
        index: u64,
    ) -> Result<Fr, StorageError> {
        let key = NodeKey::new(level, index);
        if let Some(v) = self.overlay.get(&key.0) {
            return Ok(*v);
        }
        Ok(storage.node(key)?.unwrap_or_else(|| account_default(level)))
    }

    /// Sets account `id`'s leaf and marks its ancestors dirty.
    pub fn set_leaf(&mut self, id: AccountId, leaf: Fr) {
        self.overlay
            .insert(NodeKey::new(ACCOUNT_TREE_DEPTH, u64::from(id.0)).0, leaf);
        let mut idx = u64::from(id.0);
        for level in (0..ACCOUNT_TREE_DEPTH).rev() {
            idx >>= 2;
            self.dirty[level].insert(idx);
        }
    }

    /// Whether some node awaits rehashing.
    pub fn is_dirty(&self) -> bool {
        self.dirty.iter().any(|d| !d.is_empty())
    }

    /// Rehashes every dirty node once; returns how many were hashed.
    pub fn flush<S: NodeRead + Sync + ?Sized>(
        &mut self,
        storage: &S,
    ) -> Result<usize, StorageError> {
        let mut hashed = 0;
        for level in (0..ACCOUNT_TREE_DEPTH).rev() {
            let dirty: Vec<u64> = self.dirty[level].drain().collect();
            if dirty.is_empty() {
                continue;
            }
            hashed += dirty.len();
            let this = &*self;
            // The nodes of a chunk are hashed together (eight at once where the CPU can).
            let compute = |chunk: &[u64]| -> Result<Vec<(u64, Fr)>, StorageError> {
                let children = chunk
                    .iter()
                    .map(|idx| {
                        let mut children = [Fr::from(0u64); ARITY];
                        for (i, c) in children.iter_mut().enumerate() {
                            *c = this.node(storage, level + 1, idx * ARITY as u64 + i as u64)?;
                        }
                        Ok(children)
                    })
                    .collect::<Result<Vec<_>, StorageError>>()?;
                let keys = chunk.iter().map(|idx| NodeKey::new(level, *idx).0);
                Ok(keys.zip(poseidon::hash_many(&children)).collect())
            };
            if dirty.len() >= 64 {
                for part in dirty
                    .par_chunks(32)
                    .map(compute)
                    .collect::<Result<Vec<_>, _>>()?
                {
                    self.overlay.extend(part);
                }
            } else {
                self.overlay.extend(compute(&dirty)?);
            }
        }
        Ok(hashed)
    }

    /// The root (flushes first).
    pub fn root<S: NodeRead + Sync + ?Sized>(&mut self, storage: &S) -> Result<Fr, StorageError> {
        self.flush(storage)?;
        self.node(storage, 0, 0)
    }

    /// Siblings on the path to account `id`, from the root level down (flushes first).
    pub fn path<S: NodeRead + Sync + ?Sized>(
        &mut self,
        storage: &S,
        id: AccountId,
    ) -> Result<Vec<Siblings>, StorageError> {
        self.flush(storage)?;
        let mut path = Vec::with_capacity(ACCOUNT_TREE_DEPTH);
        for level in 0..ACCOUNT_TREE_DEPTH {
            let parent = u64::from(id.0) >> (2 * (ACCOUNT_TREE_DEPTH - level));
            let mine = account_position(id, level);
            let mut sib = [Fr::from(0u64); ARITY - 1];
            let mut k = 0;
            for pos in 0..ARITY {
                if pos != mine {
                    sib[k] = self.node(storage, level + 1, parent * ARITY as u64 + pos as u64)?;
                    k += 1;
                }
            }
            path.push(sib);
        }
        Ok(path)
    }

    /// Takes the flushed changes for committing, leaving the overlay empty.
    pub fn take_changes(&mut self) -> Vec<(NodeKey, Fr)> {
        debug_assert!(!self.is_dirty(), "flush before taking changes");
        self.overlay.drain().map(|(k, v)| (NodeKey(k), v)).collect()
    }

    /// Drops uncommitted changes.
    pub fn discard(&mut self) {
        self.overlay.clear();
        self.dirty.iter_mut().for_each(HashSet::clear);
    }
}

/// Recomputes the account-tree root from a leaf and its path (for checking witnesses).
pub fn root_from_path(id: AccountId, leaf: Fr, path: &[Siblings]) -> Fr {
    let mut cur = leaf;
    for level in (0..ACCOUNT_TREE_DEPTH).rev() {
        cur = hash_with_siblings(cur, account_position(id, level), &path[level]);
    }
    cur
}
