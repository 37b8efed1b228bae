//! In-memory storage, for tests and benchmarks.

use super::{ChangeSet, SideEntry, StateMeta, Storage, StorageError, Write};
use crate::account::Account;
use crate::tree::NodeKey;
use std::collections::HashMap;
use std::sync::RwLock;
use zkr_types::{AccountId, Address, Fr};

#[derive(Debug, Default)]
struct Inner {
    nodes: HashMap<u64, Fr>,
    accounts: HashMap<u32, Account>,
    owners: HashMap<Address, AccountId>,
    meta: Option<StateMeta>,
    side: std::collections::BTreeMap<(&'static str, Vec<u8>), Vec<u8>>,
}

impl Inner {
    fn apply_block(&mut self, changes: ChangeSet) {
        self.nodes
            .extend(changes.nodes.into_iter().map(|(k, v)| (k.0, v)));
        self.accounts
            .extend(changes.accounts.into_iter().map(|(k, v)| (k.0, v)));
        for (owner, id) in changes.owners {
            self.owners.entry(owner).or_insert(id);
        }
        self.meta = Some(changes.meta);
        self.apply_side(changes.side);
    }

    fn apply_side(&mut self, writes: Vec<super::SideWrite>) {
        for w in writes {
            match w.value {
                Some(v) => self.side.insert((w.table, w.key), v),
                None => self.side.remove(&(w.table, w.key)),
            };
        }
    }
}

/// Storage in a `HashMap`, lost when dropped. Clones share the maps.
#[derive(Debug, Default, Clone)]
pub struct MemoryStorage(std::sync::Arc<RwLock<Inner>>);

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl Storage for MemoryStorage {
    fn node(&self, key: NodeKey) -> Result<Option<Fr>, StorageError> {
        Ok(self.read().nodes.get(&key.0).copied())
    }

    fn account(&self, id: AccountId) -> Result<Option<Account>, StorageError> {
        Ok(self.read().accounts.get(&id.0).cloned())
    }

    fn account_by_owner(&self, owner: &Address) -> Result<Option<AccountId>, StorageError> {
        Ok(self.read().owners.get(owner).copied())
    }

    fn meta(&self) -> Result<Option<StateMeta>, StorageError> {
        Ok(self.read().meta.clone())
    }

    fn write_all(&self, writes: Vec<Write>) -> Result<(), StorageError> {
        let mut inner = self.0.write().unwrap_or_else(|e| e.into_inner());
        for write in writes {
            match write {
                Write::Block(changes) => inner.apply_block(changes),
                Write::Side(side) => inner.apply_side(side),
            }
        }
        Ok(())
    }

    fn side_get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.read().side.get(&(table, key.to_vec())).cloned())
    }

    fn side_scan(&self, table: &'static str) -> Result<Vec<SideEntry>, StorageError> {
        Ok(self
            .read()
            .side
            .iter()
            .filter(|((t, _), _)| *t == table)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }

    fn side_range(
        &self,
        table: &'static str,
        start: &[u8],
        end: &[u8],
        limit: usize,
        newest_first: bool,
    ) -> Result<Vec<SideEntry>, StorageError> {
        if start >= end {
            return Ok(Vec::new());
        }
        let inner = self.read();
        let range = inner
            .side
            .range((table, start.to_vec())..(table, end.to_vec()))
            .map(|((_, k), v)| (k.clone(), v.clone()));
        Ok(if newest_first {
            range.rev().take(limit).collect()
        } else {
            range.take(limit).collect()
        })
    }
}
