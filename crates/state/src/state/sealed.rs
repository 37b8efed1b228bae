//! Blocks sealed but not yet written: a node's single storage writer commits blocks after the
//! sequencer sealed them ([`State::seal_block_deferred`]), so until it has, the state reads each
//! such block's accounts and tree nodes from memory, newest block first, before storage.

use super::State;
use crate::account::Account;
use crate::error::StateError;
use crate::storage::{ChangeSet, Storage, StorageError};
use crate::tree::{NodeKey, NodeRead};
use std::collections::{HashMap, VecDeque};
use zkr_types::{AccountId, Address, Fr};

/// What one sealed block changed, kept until storage holds it.
#[derive(Debug)]
pub(super) struct SealedLayer {
    block: u64,
    accounts: HashMap<AccountId, Account>,
    nodes: HashMap<u64, Fr>,
    owners: HashMap<Address, AccountId>,
}

impl SealedLayer {
    pub(super) fn of(block: u64, changes: &ChangeSet) -> SealedLayer {
        SealedLayer {
            block,
            accounts: changes.accounts.iter().cloned().collect(),
            nodes: changes.nodes.iter().map(|(k, v)| (k.0, *v)).collect(),
            owners: changes.owners.iter().copied().collect(),
        }
    }
}

/// Storage as the state sees it: the sealed layers not yet written, newest first, then
/// storage.
pub(super) struct Layered<'a, S: Storage> {
    pub(super) storage: &'a S,
    pub(super) layers: &'a VecDeque<SealedLayer>,
}

impl<S: Storage> Layered<'_, S> {
    pub(super) fn account(&self, id: AccountId) -> Result<Option<Account>, StorageError> {
        for layer in self.layers.iter().rev() {
            if let Some(a) = layer.accounts.get(&id) {
                return Ok(Some(a.clone()));
            }
        }
        self.storage.account(id)
    }

    pub(super) fn account_by_owner(
        &self,
        owner: &Address,
    ) -> Result<Option<AccountId>, StorageError> {
        // An owner's first account never changes once set, and a layer names it only if
        // neither storage nor an older layer did (`State::update`): any that has it is right.
        if let Some(id) = self
            .layers
            .iter()
            .find_map(|l| l.owners.get(owner).copied())
        {
            return Ok(Some(id));
        }
        self.storage.account_by_owner(owner)
    }
}

impl<S: Storage> NodeRead for Layered<'_, S> {
    fn node(&self, key: NodeKey) -> Result<Option<Fr>, StorageError> {
        for layer in self.layers.iter().rev() {
            if let Some(v) = layer.nodes.get(&key.0) {
                return Ok(Some(*v));
            }
        }
        self.storage.node(key)
    }
}

impl<S: Storage> State<S> {
    /// Like [`State::seal_block_with`], but the block's changes are returned for the caller to
    /// commit (in block order, each once) instead of being committed: until
    /// [`State::written`] says storage holds the block, the state reads them from memory.
    pub fn seal_block_deferred(
        &mut self,
        side: Vec<crate::storage::SideWrite>,
    ) -> Result<(super::BlockSealed, ChangeSet), StateError> {
        let (sealed, changes) = self.seal_changes(side)?;
        self.sealed
            .push_back(SealedLayer::of(sealed.number.0, &changes));
        Ok((sealed, changes))
    }

    /// Storage now holds every block up to `block`: their changes need not be kept in memory.
    pub fn written(&mut self, block: u64) {
        while self.sealed.front().is_some_and(|l| l.block <= block) {
            self.sealed.pop_front();
        }
    }

    /// Sealed blocks whose changes storage does not hold yet (as far as the state was told).
    pub fn unwritten_blocks(&self) -> usize {
        self.sealed.len()
    }
}
