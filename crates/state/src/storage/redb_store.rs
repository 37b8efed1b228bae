//! Persistent storage in a redb file. Each block is one redb write transaction, so a crash
//! leaves the state of the last committed block.

use super::{SideEntry, StateMeta, Storage, StorageError, Write};
use crate::account::Account;
use crate::tree::NodeKey;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::Path;
use zkr_crypto::field::fr_from_le_bytes_canonical;
use zkr_types::{AccountId, Address, Fr};

const NODES: TableDefinition<u64, [u8; 32]> = TableDefinition::new("nodes");
const ACCOUNTS: TableDefinition<u32, &[u8]> = TableDefinition::new("accounts");
const OWNERS: TableDefinition<[u8; 20], u32> = TableDefinition::new("owners");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// Applies side-table writes inside a write transaction.
fn write_side(w: &redb::WriteTransaction, writes: &[super::SideWrite]) -> Result<(), StorageError> {
    for sw in writes {
        let mut t = w.open_table(side_table(sw.table)).map_err(backend)?;
        match &sw.value {
            Some(v) => {
                t.insert(sw.key.as_slice(), v.as_slice()).map_err(backend)?;
            }
            None => {
                t.remove(sw.key.as_slice()).map_err(backend)?;
            }
        }
    }
    Ok(())
}

/// A side table opened for reading.
type SideTable = redb::ReadOnlyTable<&'static [u8], &'static [u8]>;
/// One entry of a range over a side table.
type SideItem<'a> = Result<
    (
        redb::AccessGuard<'a, &'static [u8]>,
        redb::AccessGuard<'a, &'static [u8]>,
    ),
    redb::StorageError,
>;

fn side_table(name: &'static str) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
    TableDefinition::new(name)
}

fn backend<E: std::fmt::Display>(e: E) -> StorageError {
    StorageError::Backend(e.to_string())
}

/// State storage in a redb database file. Clones share the database.
#[derive(Clone)]
pub struct RedbStorage {
    db: std::sync::Arc<Database>,
}

impl std::fmt::Debug for RedbStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedbStorage")
    }
}

impl RedbStorage {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let db = Database::create(path).map_err(backend)?;
        let w = db.begin_write().map_err(backend)?;
        {
            w.open_table(NODES).map_err(backend)?;
            w.open_table(ACCOUNTS).map_err(backend)?;
            w.open_table(OWNERS).map_err(backend)?;
            w.open_table(META).map_err(backend)?;
        }
        w.commit().map_err(backend)?;
        Ok(RedbStorage {
            db: std::sync::Arc::new(db),
        })
    }

    /// A consistent view of the last committed block: every read through it sees the same
    /// block, whatever is committed meanwhile (for reports that add up many records).
    pub fn snapshot(&self) -> Result<RedbSnapshot, StorageError> {
        Ok(RedbSnapshot {
            r: self.db.begin_read().map_err(backend)?,
        })
    }
}

/// A read transaction of a [`RedbStorage`]: one committed block.
pub struct RedbSnapshot {
    r: redb::ReadTransaction,
}

impl std::fmt::Debug for RedbSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedbSnapshot")
    }
}

impl RedbSnapshot {
    /// A tree node, `None` if it was never written.
    pub fn node(&self, key: NodeKey) -> Result<Option<Fr>, StorageError> {
        let t = self.r.open_table(NODES).map_err(backend)?;
        match t.get(key.0).map_err(backend)? {
            None => Ok(None),
            Some(v) => fr_from_le_bytes_canonical(&v.value())
                .map(Some)
                .ok_or_else(|| StorageError::Corrupt(format!("node {key:?}"))),
        }
    }

    /// An account, `None` if empty.
    pub fn account(&self, id: AccountId) -> Result<Option<Account>, StorageError> {
        let t = self.r.open_table(ACCOUNTS).map_err(backend)?;
        match t.get(id.0).map_err(backend)? {
            None => Ok(None),
            Some(v) => Account::from_bytes(v.value())
                .map(Some)
                .ok_or_else(|| StorageError::Corrupt(format!("account {id}"))),
        }
    }

    /// Every stored account, in id order.
    pub fn for_each_account(
        &self,
        mut f: impl FnMut(AccountId, &Account),
    ) -> Result<(), StorageError> {
        let t = self.r.open_table(ACCOUNTS).map_err(backend)?;
        for entry in t.iter().map_err(backend)? {
            let (k, v) = entry.map_err(backend)?;
            let id = AccountId(k.value());
            let a = Account::from_bytes(v.value())
                .ok_or_else(|| StorageError::Corrupt(format!("account {id}")))?;
            f(id, &a);
        }
        Ok(())
    }

    /// The first account owned by an address.
    pub fn account_by_owner(&self, owner: &Address) -> Result<Option<AccountId>, StorageError> {
        let t = self.r.open_table(OWNERS).map_err(backend)?;
        Ok(t.get(owner.0.0)
            .map_err(backend)?
            .map(|v| AccountId(v.value())))
    }

    /// The meta, `None` for a fresh store.
    pub fn meta(&self) -> Result<Option<StateMeta>, StorageError> {
        let t = self.r.open_table(META).map_err(backend)?;
        match t.get("state").map_err(backend)? {
            None => Ok(None),
            Some(v) => StateMeta::from_bytes(v.value()).map(Some),
        }
    }

    fn side(&self, table: &'static str) -> Result<Option<SideTable>, StorageError> {
        match self.r.open_table(side_table(table)) {
            Ok(t) => Ok(Some(t)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    /// A value of a side table.
    pub fn side_get(
        &self,
        table: &'static str,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let Some(t) = self.side(table)? else {
            return Ok(None);
        };
        Ok(t.get(key).map_err(backend)?.map(|v| v.value().to_vec()))
    }

    /// See [`Storage::side_range`]; `start == end` with an empty `end` reads nothing.
    pub fn side_range(
        &self,
        table: &'static str,
        start: &[u8],
        end: &[u8],
        limit: usize,
        newest_first: bool,
    ) -> Result<Vec<SideEntry>, StorageError> {
        let Some(t) = self.side(table)? else {
            return Ok(Vec::new());
        };
        if start >= end {
            return Ok(Vec::new());
        }
        let range = t.range::<&[u8]>(start..end).map_err(backend)?;
        let pair = |e: SideItem<'_>| -> Result<SideEntry, StorageError> {
            let (k, v) = e.map_err(backend)?;
            Ok((k.value().to_vec(), v.value().to_vec()))
        };
        if newest_first {
            range.rev().take(limit).map(pair).collect()
        } else {
            range.take(limit).map(pair).collect()
        }
    }

    /// All entries of a side table, in key order.
    pub fn side_scan(&self, table: &'static str) -> Result<Vec<SideEntry>, StorageError> {
        let Some(t) = self.side(table)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in t.iter().map_err(backend)? {
            let (k, v) = entry.map_err(backend)?;
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }
}

impl Storage for RedbStorage {
    fn node(&self, key: NodeKey) -> Result<Option<Fr>, StorageError> {
        self.snapshot()?.node(key)
    }

    fn account(&self, id: AccountId) -> Result<Option<Account>, StorageError> {
        self.snapshot()?.account(id)
    }

    fn account_by_owner(&self, owner: &Address) -> Result<Option<AccountId>, StorageError> {
        self.snapshot()?.account_by_owner(owner)
    }

    fn meta(&self) -> Result<Option<StateMeta>, StorageError> {
        self.snapshot()?.meta()
    }

    fn write_all(&self, writes: Vec<Write>) -> Result<(), StorageError> {
        use ark_ff::{BigInteger, PrimeField};
        let w = self.db.begin_write().map_err(backend)?;
        {
            let mut nodes = w.open_table(NODES).map_err(backend)?;
            let mut accounts = w.open_table(ACCOUNTS).map_err(backend)?;
            let mut owners = w.open_table(OWNERS).map_err(backend)?;
            let mut meta = w.open_table(META).map_err(backend)?;
            for write in &writes {
                let changes = match write {
                    Write::Side(side) => {
                        write_side(&w, side)?;
                        continue;
                    }
                    Write::Block(changes) => changes,
                };
                for (k, v) in &changes.nodes {
                    let mut b = [0u8; 32];
                    b.copy_from_slice(&v.into_bigint().to_bytes_le());
                    nodes.insert(k.0, b).map_err(backend)?;
                }
                for (id, a) in &changes.accounts {
                    accounts
                        .insert(id.0, a.to_bytes().as_slice())
                        .map_err(backend)?;
                }
                for (owner, id) in &changes.owners {
                    if owners.get(owner.0.0).map_err(backend)?.is_none() {
                        owners.insert(owner.0.0, id.0).map_err(backend)?;
                    }
                }
                meta.insert("state", changes.meta.to_bytes().as_slice())
                    .map_err(backend)?;
                write_side(&w, &changes.side)?;
            }
        }
        w.commit().map_err(backend)
    }

    fn side_get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.snapshot()?.side_get(table, key)
    }

    fn side_scan(&self, table: &'static str) -> Result<Vec<SideEntry>, StorageError> {
        self.snapshot()?.side_scan(table)
    }

    fn side_range(
        &self,
        table: &'static str,
        start: &[u8],
        end: &[u8],
        limit: usize,
        newest_first: bool,
    ) -> Result<Vec<SideEntry>, StorageError> {
        self.snapshot()?
            .side_range(table, start, end, limit, newest_first)
    }
}
