//! Where the state lives: a small trait, a persistent redb implementation and an in-memory one.
//!
//! Writes happen only through [`Storage::commit`], which applies one block's [`ChangeSet`]
//! atomically: after a crash the store holds the state after some whole block, never part of one.

mod memory;
mod redb_store;

pub use memory::MemoryStorage;
pub use redb_store::{RedbSnapshot, RedbStorage};

use crate::account::Account;
use crate::tree::NodeKey;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zkr_types::{AccountId, Address, Fr};

/// A storage failure.
#[derive(Debug, Clone, Error)]
pub enum StorageError {
    /// The backend failed.
    #[error("storage backend: {0}")]
    Backend(String),
    /// Stored bytes that do not decode.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

/// Everything about the state besides accounts and nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateMeta {
    /// Last sealed L2 block.
    pub block_number: u64,
    /// State root after it.
    #[serde(with = "fr_dec")]
    pub root: Fr,
    /// Next free account id.
    pub next_account_id: u32,
    /// Number of registered tokens.
    pub num_tokens: u16,
    /// Number of the batch being built.
    pub batch_number: u64,
    /// Fee account of the batch being built.
    pub fee_account: u32,
    /// Fees accumulated in the batch being built.
    pub pending_fees: Vec<(u16, String)>,
}

mod fr_dec {
    use serde::{Deserialize, Deserializer, Serializer};
    use zkr_crypto::field::{fr_from_decimal, fr_to_decimal};
    use zkr_types::Fr;
    pub fn serialize<S: Serializer>(x: &Fr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fr_to_decimal(x))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
        fr_from_decimal(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl StateMeta {
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("meta serializes")
    }

    pub(crate) fn from_bytes(b: &[u8]) -> Result<Self, StorageError> {
        serde_json::from_slice(b).map_err(|e| StorageError::Corrupt(format!("state meta: {e}")))
    }
}

/// A write to a side table: records other components keep next to the state (transactions,
/// blocks, mempool) so they commit atomically with the block that produced them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideWrite {
    /// The table.
    pub table: &'static str,
    /// The key.
    pub key: Vec<u8>,
    /// The value; `None` deletes the key.
    pub value: Option<Vec<u8>>,
}

/// A side-table entry: key and value.
pub type SideEntry = (Vec<u8>, Vec<u8>);

/// One block's changes.
#[derive(Debug, Clone)]
pub struct ChangeSet {
    /// Changed accounts.
    pub accounts: Vec<(AccountId, Account)>,
    /// Changed tree nodes.
    pub nodes: Vec<(NodeKey, Fr)>,
    /// New owner -> first account id entries.
    pub owners: Vec<(Address, AccountId)>,
    /// The new meta.
    pub meta: StateMeta,
    /// Side-table writes committed in the same transaction.
    pub side: Vec<SideWrite>,
}

/// One part of a combined write ([`Storage::write_all`]).
#[derive(Debug, Clone)]
pub enum Write {
    /// A block's changes.
    Block(ChangeSet),
    /// Side-table entries on their own.
    Side(Vec<SideWrite>),
}

/// Storage of the state. Reads see the last committed block.
pub trait Storage: Send + Sync {
    /// A tree node, `None` if it was never written (empty subtree).
    fn node(&self, key: NodeKey) -> Result<Option<Fr>, StorageError>;
    /// An account, `None` if empty.
    fn account(&self, id: AccountId) -> Result<Option<Account>, StorageError>;
    /// The first account owned by an address.
    fn account_by_owner(&self, owner: &Address) -> Result<Option<AccountId>, StorageError>;
    /// The meta, `None` for a fresh store.
    fn meta(&self) -> Result<Option<StateMeta>, StorageError>;
    /// Applies `writes` in order, all or none, durably when it returns: several blocks and
    /// side writes in one transaction (one sync on disk) when a writer has them queued.
    fn write_all(&self, writes: Vec<Write>) -> Result<(), StorageError>;
    /// Applies a block's changes atomically.
    fn commit(&self, changes: ChangeSet) -> Result<(), StorageError> {
        self.write_all(vec![Write::Block(changes)])
    }
    /// Writes side-table entries on their own (outside a block), atomically.
    fn side_commit(&self, writes: Vec<SideWrite>) -> Result<(), StorageError> {
        self.write_all(vec![Write::Side(writes)])
    }
    /// A value of a side table.
    fn side_get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;
    /// All entries of a side table, in key order.
    fn side_scan(&self, table: &'static str) -> Result<Vec<SideEntry>, StorageError>;
    /// Up to `limit` entries of a side table with `start <= key < end`, in key order, or from
    /// the last one down when `newest_first` (pagination of histories).
    fn side_range(
        &self,
        table: &'static str,
        start: &[u8],
        end: &[u8],
        limit: usize,
        newest_first: bool,
    ) -> Result<Vec<SideEntry>, StorageError>;
}
