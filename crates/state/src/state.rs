//! The native state transition (`docs/protocol.md` §4): validate, then apply, one operation.

use crate::account::Account;
use crate::error::StateError;
use crate::fees::FeeAccumulator;
use crate::request::{DepositRequest, FullExitRequest, OpRequest};
use crate::storage::{ChangeSet, StateMeta, Storage};
use crate::tree::AccountTree;
use crate::witness::{AccountUpdate, LeafState, OpWitness};
use rayon::prelude::*;
use std::collections::HashMap;
use zkr_crypto::CryptoError;
use zkr_crypto::eth::{Eip712Domain, change_pubkey_digest, recover_signer};
use zkr_crypto::field::fr_to_be_bytes;
use zkr_types::dex::{PoolId, is_l1_token};
use zkr_types::op::{
    ChangePubKeyOp, DepositOp, FullExitOp, Op, TransferOp, TransferToNewOp, WithdrawOp,
};
use zkr_types::params::{MAX_L1_TOKENS, MAX_NONCE, POOL_ACCOUNT_BASE};

mod dex;
mod proof;
mod replay;
mod sealed;
pub use dex::Pool;
pub use proof::BalanceProof;
use zkr_types::tx::{ChangePubKey, L2Signature, L2Tx, Transfer, Withdraw};
use zkr_types::{
    AccountId, Address, Amount, BatchNumber, ChainId, Fr, L2BlockNumber, Nonce, TokenId,
};

/// What the state needs to know about its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainConfig {
    /// zkr chain id (inside every L2 signature).
    pub chain_id: ChainId,
    /// EIP-712 domain of the rollup contract (for ChangePubKey authorizations).
    pub eip712: Eip712Domain,
}

/// A successfully applied operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The operation as it goes into the batch.
    pub op: Op,
    /// Its exact pubdata.
    pub pubdata: Vec<u8>,
    /// The circuit's witness, in witness mode.
    pub witness: Option<OpWitness>,
}

/// A sealed L2 block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSealed {
    /// Its number.
    pub number: L2BlockNumber,
    /// State root after it.
    pub root: Fr,
    /// Tree nodes hashed when sealing it.
    pub hashed_nodes: usize,
}

/// A sealed batch: its fees credited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSealed {
    /// Its number.
    pub number: BatchNumber,
    /// The fee account.
    pub fee_account: AccountId,
    /// Fees credited, per token in increasing order.
    pub fees: Vec<(TokenId, u128)>,
    /// Witnesses of the fee credits, in witness mode.
    pub fee_updates: Vec<AccountUpdate>,
    /// Root after the fee credits.
    pub root: Fr,
}

/// Work on a signed transaction that does not depend on the state (its message, the signer's
/// key hash, the signature check), done before the state is locked: in parallel for a block,
/// or by each RPC request before the sequencer's lock.
#[derive(Debug, Clone)]
pub struct Prechecked {
    /// What it was computed for: used only for that transaction under that chain id.
    tx: L2Tx,
    chain: ChainId,
    message: Fr,
    signer_pkh: Fr,
    verified: Result<(), CryptoError>,
}

/// A [`Prechecked`] whose signature is still to be verified ([`Prechecked::pending`]).
#[derive(Debug, Clone)]
pub struct PendingCheck(Prechecked);

impl PendingCheck {
    /// What to verify: the signer's public key, the message, the signature.
    pub fn signature(
        &self,
    ) -> (
        zkr_crypto::eddsa::PublicKey,
        Fr,
        zkr_crypto::eddsa::Signature,
    ) {
        let sig = self.0.tx.signature();
        (sig.public_key(), self.0.message, sig.eddsa())
    }

    /// The checks, with the result of verifying exactly [`PendingCheck::signature`].
    pub fn verified(mut self, result: Result<(), CryptoError>) -> Prechecked {
        self.0.verified = result;
        self.0
    }
}

/// What a spending transaction asks for.
struct Spend<'a> {
    id: AccountId,
    signature: &'a L2Signature,
    nonce: Nonce,
    token: TokenId,
    to: Address,
    amount: u128,
    fee: u128,
}

/// The message, the signer's key hash, and the verification result if already known.
type Resolved = (Fr, Fr, Option<Result<(), CryptoError>>);

impl Prechecked {
    /// The checks of `tx` under `chain`; `None` when its message cannot be computed (applying
    /// it then rejects it with the reason).
    pub fn of(tx: &L2Tx, chain: ChainId) -> Option<Prechecked> {
        let pending = Prechecked::pending(tx, chain)?;
        let (public, message, sig) = pending.signature();
        let verified = zkr_crypto::eddsa::verify(&public, &message, &sig);
        Some(pending.verified(verified))
    }

    /// The message and signer's key hash of `tx` under `chain`, its signature left to be
    /// verified by the caller ([`PendingCheck::verified`]), alone or in a batch; `None` as in
    /// [`Prechecked::of`].
    pub fn pending(tx: &L2Tx, chain: ChainId) -> Option<PendingCheck> {
        let message = tx.message(chain).ok()?;
        Some(PendingCheck(Prechecked {
            tx: tx.clone(),
            chain,
            message,
            signer_pkh: tx.signature().pubkey_hash(),
            verified: Err(CryptoError::BadSignature),
        }))
    }

    /// The transaction's signed message.
    pub fn message(&self) -> Fr {
        self.message
    }

    /// [`Prechecked::of`] each transaction (`None` entries stay `None`), with the signatures
    /// verified together in chunks across the cores ([`zkr_crypto::eddsa::verify_batch`]: the
    /// same result for each signature as verifying it alone).
    pub fn of_many(txs: &[Option<&L2Tx>], chain: ChainId) -> Vec<Option<Prechecked>> {
        let pending: Vec<Option<PendingCheck>> = txs
            .par_iter()
            .map(|tx| Prechecked::pending((*tx)?, chain))
            .collect();
        let items: Vec<_> = pending.iter().flatten().map(|p| p.signature()).collect();
        let chunk = items.len().div_ceil(rayon::current_num_threads()).max(64);
        let verified: Vec<Result<(), CryptoError>> = items
            .par_chunks(chunk)
            .map(zkr_crypto::eddsa::verify_batch)
            .collect::<Vec<_>>()
            .concat();
        let mut verified = verified.into_iter();
        pending
            .into_iter()
            .map(|p| {
                let result = p
                    .as_ref()
                    .map(|_| verified.next().expect("one result per signed transaction"));
                Some(p?.verified(result?))
            })
            .collect()
    }
}

/// Whether a signature still needs checking.
#[derive(Debug, Clone)]
enum SigCheck {
    Verify,
    Done(Box<Prechecked>),
    /// The operation is in a batch L1 verified (replay, `replay.rs`): the circuit checked the
    /// signature; there is none to check here. Only DEX replays use it.
    Proven,
}

impl SigCheck {
    /// The message, the signer's key hash, and the verification result if already known.
    fn resolve(
        self,
        message: impl FnOnce() -> Result<Fr, zkr_types::TypesError>,
        sig: &L2Signature,
    ) -> Result<Resolved, StateError> {
        match self {
            SigCheck::Verify => Ok((message()?, sig.pubkey_hash(), None)),
            SigCheck::Done(p) => Ok((p.message, p.signer_pkh, Some(p.verified))),
            SigCheck::Proven => Err(StateError::Storage(
                "a replayed operation has no signature to check".into(),
            )),
        }
    }
}

/// The state: storage plus the uncommitted changes of the current block.
pub struct State<S: Storage> {
    storage: S,
    config: ChainConfig,
    accounts: HashMap<AccountId, Account>,
    new_owners: HashMap<Address, AccountId>,
    tree: AccountTree,
    dirty_accounts: Vec<AccountId>,
    block_number: u64,
    next_account_id: u32,
    num_tokens: u16,
    batch_number: u64,
    fee_account: AccountId,
    fees: FeeAccumulator,
    witness_mode: bool,
    /// Blocks sealed but not yet in storage, oldest first (`sealed.rs`).
    sealed: std::collections::VecDeque<sealed::SealedLayer>,
}

impl<S: Storage> std::fmt::Debug for State<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("block_number", &self.block_number)
            .field("next_account_id", &self.next_account_id)
            .field("batch_number", &self.batch_number)
            .finish_non_exhaustive()
    }
}

fn check_nonce(id: AccountId, account: &Account, got: Nonce) -> Result<(), StateError> {
    let expected = account.nonce;
    if got < expected {
        return Err(StateError::StaleNonce {
            account: id,
            expected,
            got,
        });
    }
    if got > expected {
        return Err(StateError::FutureNonce {
            account: id,
            expected,
            got,
        });
    }
    if expected.0 == MAX_NONCE {
        return Err(StateError::NonceExhausted(id));
    }
    Ok(())
}

fn check_funds(
    id: AccountId,
    account: &Account,
    token: TokenId,
    amount: u128,
    fee: u128,
) -> Result<u128, StateError> {
    let needed = amount.checked_add(fee).ok_or(StateError::Overflow)?;
    let balance = account.balance(token);
    if balance < needed {
        return Err(StateError::InsufficientBalance {
            account: id,
            token,
            balance,
            needed,
        });
    }
    Ok(needed)
}

impl<S: Storage> State<S> {
    /// Opens the state in `storage` (genesis if the store is fresh).
    pub fn open(storage: S, config: ChainConfig) -> Result<Self, StateError> {
        let meta = storage.meta()?;
        let mut s = State {
            storage,
            config,
            accounts: HashMap::new(),
            new_owners: HashMap::new(),
            tree: AccountTree::new(),
            dirty_accounts: Vec::new(),
            block_number: 0,
            next_account_id: 0,
            num_tokens: 1,
            batch_number: 1,
            fee_account: AccountId(0),
            fees: FeeAccumulator::default(),
            witness_mode: false,
            sealed: std::collections::VecDeque::new(),
        };
        if let Some(m) = meta {
            s.block_number = m.block_number;
            s.next_account_id = m.next_account_id;
            s.num_tokens = m.num_tokens;
            s.batch_number = m.batch_number;
            s.fee_account = AccountId(m.fee_account);
            s.fees = FeeAccumulator::from_meta(&m.pending_fees)
                .ok_or_else(|| StateError::Storage("corrupt pending fees".into()))?;
        }
        Ok(s)
    }

    /// The chain configuration.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The underlying storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// In witness mode every operation returns its witness (and the tree is rehashed per
    /// operation, which is slower).
    pub fn set_witness_mode(&mut self, on: bool) {
        self.witness_mode = on;
    }

    /// The current state root (including uncommitted operations).
    pub fn root(&mut self) -> Result<Fr, StateError> {
        self.hash_dirty_accounts();
        Ok(self.tree.root(&layered(&self.storage, &self.sealed))?)
    }

    /// Recomputes balance roots and leaves of the accounts changed since the last flush, in
    /// parallel, and hands the leaves to the tree.
    fn hash_dirty_accounts(&mut self) {
        if self.dirty_accounts.is_empty() {
            return;
        }
        let mut ids = std::mem::take(&mut self.dirty_accounts);
        ids.sort_unstable();
        ids.dedup();
        let mut items: Vec<(AccountId, Account)> = ids
            .into_iter()
            .filter_map(|id| self.accounts.remove(&id).map(|a| (id, a)))
            .collect();
        let leaves = refresh_and_hash_par(items.iter_mut().map(|(_, a)| a).collect());
        for ((id, account), leaf) in items.into_iter().zip(leaves) {
            self.tree.set_leaf(id, leaf);
            self.accounts.insert(id, account);
        }
    }

    /// Last sealed block number.
    pub fn block_number(&self) -> L2BlockNumber {
        L2BlockNumber(self.block_number)
    }

    /// Number of the batch being built.
    pub fn batch_number(&self) -> BatchNumber {
        BatchNumber(self.batch_number)
    }

    /// Next free account id.
    pub fn next_account_id(&self) -> AccountId {
        AccountId(self.next_account_id)
    }

    /// The fee account of the batch being built.
    pub fn pending_fee_account(&self) -> AccountId {
        self.fee_account
    }

    /// Fees accumulated by the batch being built.
    pub fn pending_fees(&self) -> &FeeAccumulator {
        &self.fees
    }

    /// Number of registered tokens (ids `0..n`).
    pub fn num_tokens(&self) -> u16 {
        self.num_tokens
    }

    /// Registers the next token id (mirrors token registration on L1).
    pub fn register_token(&mut self) -> Result<TokenId, StateError> {
        if self.num_tokens >= MAX_L1_TOKENS {
            return Err(StateError::UnknownToken(TokenId(self.num_tokens)));
        }
        self.num_tokens += 1;
        Ok(TokenId(self.num_tokens - 1))
    }

    /// Sets the fee account of the batch being built (only while it has no fees yet).
    pub fn set_fee_account(&mut self, id: AccountId) -> Result<(), StateError> {
        if !id.is_valid() {
            return Err(zkr_types::TypesError::AccountIdOutOfRange(id.0.into()).into());
        }
        if self.fees.iter().next().is_some() && id != self.fee_account {
            return Err(StateError::FeeAccountLocked);
        }
        self.fee_account = id;
        Ok(())
    }

    /// The account at `id`, if not empty.
    pub fn account(&self, id: AccountId) -> Result<Option<Account>, StateError> {
        if let Some(a) = self.accounts.get(&id) {
            return Ok(Some(a.clone()));
        }
        Ok(layered(&self.storage, &self.sealed).account(id)?)
    }

    /// The first account owned by `owner`.
    pub fn account_id_of(&self, owner: &Address) -> Result<Option<AccountId>, StateError> {
        if let Some(id) = self.new_owners.get(owner) {
            return Ok(Some(*id));
        }
        Ok(layered(&self.storage, &self.sealed).account_by_owner(owner)?)
    }

    fn load(&self, id: AccountId) -> Result<Account, StateError> {
        Ok(self.account(id)?.unwrap_or_default())
    }

    /// The user account at `id`: one with a non-zero owner. Empty leaves and special accounts
    /// (owner 0) sign nothing (`docs/soundness.md`, leaf-state invariants).
    fn user_account(&self, id: AccountId) -> Result<Account, StateError> {
        if !id.is_valid() {
            return Err(StateError::UnknownAccount(id));
        }
        match self.account(id)? {
            Some(a) if a.owner != Address::ZERO => Ok(a),
            _ => Err(StateError::UnknownAccount(id)),
        }
    }

    /// A registered L1 token, or an LP token (§3.4).
    fn check_token(&self, token: TokenId) -> Result<(), StateError> {
        if token.0 >= self.num_tokens && PoolId::of_lp_token(token).is_none() {
            return Err(StateError::UnknownToken(token));
        }
        Ok(())
    }

    /// A registered L1 token: what deposits and withdrawals move.
    fn check_l1_token(&self, token: TokenId) -> Result<(), StateError> {
        if PoolId::of_lp_token(token).is_some() {
            return Err(StateError::NotAnL1Token(token));
        }
        self.check_token(token)
    }

    fn check_signer(
        &self,
        id: AccountId,
        expected_pkh: Fr,
        sig: &L2Signature,
        message: &Fr,
        signer_pkh: Fr,
        verified: Option<Result<(), CryptoError>>,
    ) -> Result<(), StateError> {
        if expected_pkh == Fr::from(0u64) {
            return Err(StateError::PubKeyNotSet(id));
        }
        if signer_pkh != expected_pkh {
            return Err(StateError::WrongSigner(id));
        }
        verified
            .unwrap_or_else(|| sig.verify(message))
            .map_err(StateError::InvalidSignature)
    }

    /// The next user account id; the last `MAX_POOLS` leaves are the pools'.
    fn fresh_account_id(&self) -> Result<AccountId, StateError> {
        if self.next_account_id >= POOL_ACCOUNT_BASE {
            return Err(StateError::TreeFull);
        }
        Ok(AccountId(self.next_account_id))
    }

    /// Loads a genesis allocation into a fresh state: `accounts[i]` becomes account `i`. Only
    /// valid before any operation was applied; used for devnet genesis and benchmarks. The
    /// caller seals a block to commit it.
    pub fn load_genesis(&mut self, accounts: Vec<Account>) -> Result<(), StateError> {
        if self.next_account_id != 0 || self.block_number != 0 || !self.accounts.is_empty() {
            return Err(StateError::Storage(
                "genesis can only be loaded into an empty state".into(),
            ));
        }
        if accounts.len() as u64 > u64::from(POOL_ACCOUNT_BASE) {
            return Err(StateError::TreeFull);
        }
        let mut accounts = accounts;
        let leaves = refresh_and_hash_par(accounts.iter_mut().collect());
        for (i, (account, leaf)) in accounts.into_iter().zip(leaves).enumerate() {
            let id = AccountId(i as u32);
            self.tree.set_leaf(id, leaf);
            if account.owner != Address::ZERO {
                self.new_owners.entry(account.owner).or_insert(id);
            }
            self.accounts.insert(id, account);
        }
        self.next_account_id = self.accounts.len() as u32;
        Ok(())
    }

    /// Changes one account as no operation could (feature `test-hooks`, tests only): for negative
    /// tests of circuit rules about leaves the native rules never make, such as a pool with
    /// reserves but no LP shares.
    #[cfg(feature = "test-hooks")]
    pub fn tamper_account(
        &mut self,
        id: AccountId,
        token: TokenId,
        f: impl FnOnce(&mut Account),
    ) -> Result<(), StateError> {
        self.update(id, token, f).map(|_| ())
    }

    /// Changes one account (and one token's balance leaf), recording the witness in witness mode.
    fn update(
        &mut self,
        id: AccountId,
        token: TokenId,
        f: impl FnOnce(&mut Account),
    ) -> Result<Option<AccountUpdate>, StateError> {
        if self.witness_mode {
            self.hash_dirty_accounts();
        }
        let mut account = self.load(id)?;
        let leaf_state = |a: &Account| LeafState {
            owner: a.owner,
            pubkey_hash: a.pubkey_hash,
            nonce: a.nonce,
            balance: a.balance(token),
        };
        let before = self.witness_mode.then(|| leaf_state(&account));
        let paths = if self.witness_mode {
            let account_path = self.tree.path(&layered(&self.storage, &self.sealed), id)?;
            Some((account.balance_path(token), account_path, self.root()?))
        } else {
            None
        };
        f(&mut account);
        if self.witness_mode {
            account.refresh();
            self.tree.set_leaf(id, account.leaf_hash());
        } else {
            self.dirty_accounts.push(id);
        }
        let after = leaf_state(&account);
        if account.owner != Address::ZERO && self.account_id_of(&account.owner)?.is_none() {
            self.new_owners.insert(account.owner, id);
        }
        self.accounts.insert(id, account);
        match (before, paths) {
            (Some(before), Some((balance_path, account_path, root_before))) => {
                Ok(Some(AccountUpdate {
                    account_id: id,
                    token,
                    before,
                    after,
                    balance_path,
                    account_path,
                    root_before,
                    root_after: self.root()?,
                }))
            }
            _ => Ok(None),
        }
    }

    /// In witness mode: the witness of a no-change update of `token` in account `id` at the
    /// current root (what the circuit uses for the unused update of a slot). Changes nothing.
    pub fn probe(&mut self, id: AccountId, token: TokenId) -> Result<AccountUpdate, StateError> {
        if !self.witness_mode {
            return Err(StateError::Storage("probe needs witness mode".into()));
        }
        let existed = self.accounts.contains_key(&id);
        let u = self
            .update(id, token, |_| {})?
            .expect("witness mode records updates");
        if !existed {
            self.accounts.remove(&id);
        }
        Ok(u)
    }

    /// Validates and applies one operation. On error nothing changes.
    pub fn apply(&mut self, request: &OpRequest) -> Result<Applied, StateError> {
        self.apply_checked(request, SigCheck::Verify)
    }

    /// [`State::apply`] with the signature work `pre` done beforehand: used when it is
    /// [`Prechecked::of`] this request's transaction under this state's chain id, else the
    /// signature is checked here as by [`State::apply`].
    pub fn apply_prechecked(
        &mut self,
        request: &OpRequest,
        pre: Option<Prechecked>,
    ) -> Result<Applied, StateError> {
        let sig = match (request, pre) {
            (OpRequest::Tx(tx), Some(p)) if p.tx == *tx && p.chain == self.config.chain_id => {
                SigCheck::Done(Box::new(p))
            }
            _ => SigCheck::Verify,
        };
        self.apply_checked(request, sig)
    }

    /// Applies a block's operations in order, verifying their signatures together first.
    /// Returns one result per request; rejected requests change nothing.
    pub fn apply_block(&mut self, requests: &[OpRequest]) -> Vec<Result<Applied, StateError>> {
        let chain = self.config.chain_id;
        let txs: Vec<Option<&L2Tx>> = requests
            .iter()
            .map(|r| match r {
                OpRequest::Tx(tx) => Some(tx),
                _ => None,
            })
            .collect();
        let checks = Prechecked::of_many(&txs, chain);
        requests
            .iter()
            .zip(checks)
            .map(|(r, c)| self.apply_prechecked(r, c))
            .collect()
    }

    fn apply_checked(&mut self, request: &OpRequest, sig: SigCheck) -> Result<Applied, StateError> {
        let (op, witness) = match request {
            OpRequest::Noop => (Op::Noop, OpWitness::default()),
            OpRequest::Deposit(d) => self.deposit(d)?,
            OpRequest::FullExit(f) => self.full_exit(f)?,
            OpRequest::Tx(L2Tx::Transfer(t)) => self.transfer(t, sig)?,
            OpRequest::Tx(L2Tx::Withdraw(w)) => self.withdraw(w, sig)?,
            OpRequest::Tx(L2Tx::ChangePubKey(c)) => self.change_pubkey(c, sig)?,
            OpRequest::Tx(L2Tx::Swap(x)) => self.swap(x, sig)?,
            OpRequest::Tx(L2Tx::AddLiquidity(x)) => self.add_liquidity(x, sig)?,
            OpRequest::Tx(L2Tx::RemoveLiquidity(x)) => self.remove_liquidity(x, sig)?,
            OpRequest::Tx(L2Tx::CreatePool(x)) => self.create_pool(x, sig)?,
        };
        let pubdata = op.pubdata().map_err(StateError::Types)?;
        Ok(Applied {
            op,
            pubdata,
            witness: self.witness_mode.then_some(witness),
        })
    }

    fn deposit(&mut self, d: &DepositRequest) -> Result<(Op, OpWitness), StateError> {
        self.check_l1_token(d.token)?;
        if d.amount.0 == 0 {
            return Err(StateError::ZeroAmount);
        }
        if d.owner == Address::ZERO {
            return Err(StateError::ZeroAddress);
        }
        let id = match self.account_id_of(&d.owner)? {
            Some(id) => id,
            None => self.fresh_account_id()?,
        };
        let account = self.load(id)?;
        let new_balance = account
            .balance(d.token)
            .checked_add(d.amount.0)
            .ok_or(StateError::Overflow)?;
        if id.0 == self.next_account_id {
            self.next_account_id += 1;
        }
        let (owner, token) = (d.owner, d.token);
        let u = self.update(id, token, |a| {
            a.owner = owner;
            a.set_balance(token, new_balance);
        })?;
        let op = Op::Deposit(DepositOp {
            account_id: id,
            owner,
            token,
            amount: d.amount,
        });
        Ok((
            op,
            OpWitness {
                updates: u.into_iter().collect(),
                ..Default::default()
            },
        ))
    }

    fn full_exit(&mut self, f: &FullExitRequest) -> Result<(Op, OpWitness), StateError> {
        if !f.account_id.is_valid() {
            return Err(zkr_types::TypesError::AccountIdOutOfRange(f.account_id.0.into()).into());
        }
        self.check_token(f.token)?;
        let account = self.load(f.account_id)?;
        let amount = if account.owner == f.owner && f.owner != Address::ZERO && is_l1_token(f.token)
        {
            account.balance(f.token)
        } else {
            0
        };
        let token = f.token;
        let u = if amount > 0 {
            self.update(f.account_id, token, |a| a.set_balance(token, 0))?
        } else if self.witness_mode {
            // Nothing changes, but the circuit still sees the leaf to check the owner.
            let before = self.account(f.account_id)?.is_some();
            let u = self.update(f.account_id, token, |_| {})?;
            if !before {
                self.accounts.remove(&f.account_id);
            }
            u
        } else {
            None
        };
        let op = Op::FullExit(FullExitOp {
            account_id: f.account_id,
            owner: f.owner,
            token,
            amount: Amount(amount),
        });
        Ok((
            op,
            OpWitness {
                updates: u.into_iter().collect(),
                ..Default::default()
            },
        ))
    }

    /// The rules every signed transaction that spends `amount + fee` of one token shares:
    /// account, nonce, token, receiver address, funds, fee token, then key and signature.
    /// Returns the account, the signed message and `amount + fee`. The cheap checks come first,
    /// so a transaction that fails them (a stale or future nonce, an overdraft) costs no EdDSA
    /// verification.
    fn check_spend(
        &self,
        s: &Spend<'_>,
        sig: SigCheck,
        message: impl FnOnce() -> Result<Fr, zkr_types::TypesError>,
    ) -> Result<(Account, Fr, u128), StateError> {
        let account = self.user_account(s.id)?;
        check_nonce(s.id, &account, s.nonce)?;
        self.check_token(s.token)?;
        if s.to == Address::ZERO {
            return Err(StateError::ZeroAddress);
        }
        let needed = check_funds(s.id, &account, s.token, s.amount, s.fee)?;
        if !self.fees.accepts(s.token, s.fee) {
            return Err(StateError::TooManyFeeTokens);
        }
        let (message, signer, verified) = sig.resolve(message, s.signature)?;
        self.check_signer(
            s.id,
            account.pubkey_hash,
            s.signature,
            &message,
            signer,
            verified,
        )?;
        Ok((account, message, needed))
    }

    fn transfer(&mut self, t: &Transfer, sig: SigCheck) -> Result<(Op, OpWitness), StateError> {
        let spend = Spend {
            id: t.from,
            signature: &t.signature,
            nonce: t.nonce,
            token: t.token,
            to: t.to,
            amount: t.amount.0,
            fee: t.fee.0,
        };
        let (from, message, needed) =
            self.check_spend(&spend, sig, || t.message(self.config.chain_id))?;
        let to_id = self.account_id_of(&t.to)?;
        let to_id = match to_id {
            Some(id) => {
                let receiver_balance = if id == t.from {
                    from.balance(t.token) - needed
                } else {
                    self.load(id)?.balance(t.token)
                };
                receiver_balance
                    .checked_add(t.amount.0)
                    .ok_or(StateError::Overflow)?;
                Some(id)
            }
            None => {
                self.fresh_account_id()?;
                None
            }
        };
        // Validated: apply.
        let token = t.token;
        let sender_balance = from.balance(token) - needed;
        let mut updates = Vec::new();
        updates.extend(self.update(t.from, token, |a| {
            a.set_balance(token, sender_balance);
            a.nonce = Nonce(a.nonce.0 + 1);
        })?);
        let amount = t.amount.0;
        let op = match to_id {
            Some(id) => {
                updates.extend(self.update(id, token, |a| {
                    let b = a.balance(token) + amount;
                    a.set_balance(token, b);
                })?);
                Op::Transfer(TransferOp {
                    from: t.from,
                    to_id: id,
                    token,
                    amount: t.amount,
                    fee: t.fee,
                })
            }
            None => {
                let id = AccountId(self.next_account_id);
                self.next_account_id += 1;
                let owner = t.to;
                updates.extend(self.update(id, token, |a| {
                    a.owner = owner;
                    a.set_balance(token, amount);
                })?);
                Op::TransferToNew(TransferToNewOp {
                    from: t.from,
                    to_id: id,
                    to: t.to,
                    token,
                    amount: t.amount,
                    fee: t.fee,
                })
            }
        };
        self.fees.add(token, t.fee.0);
        Ok((
            op,
            OpWitness {
                updates,
                signature: Some(t.signature),
                message: Some(message),
            },
        ))
    }

    fn withdraw(&mut self, w: &Withdraw, sig: SigCheck) -> Result<(Op, OpWitness), StateError> {
        let spend = Spend {
            id: w.account_id,
            signature: &w.signature,
            nonce: w.nonce,
            token: w.token,
            to: w.to,
            amount: w.amount.0,
            fee: w.fee.0,
        };
        if PoolId::of_lp_token(w.token).is_some() {
            return Err(StateError::NotAnL1Token(w.token));
        }
        let (account, message, needed) =
            self.check_spend(&spend, sig, || w.message(self.config.chain_id))?;
        let token = w.token;
        let new_balance = account.balance(token) - needed;
        let u = self.update(w.account_id, token, |a| {
            a.set_balance(token, new_balance);
            a.nonce = Nonce(a.nonce.0 + 1);
        })?;
        self.fees.add(token, w.fee.0);
        let op = Op::Withdraw(WithdrawOp {
            account_id: w.account_id,
            token,
            amount: w.amount,
            fee: w.fee,
            to: w.to,
        });
        Ok((
            op,
            OpWitness {
                updates: u.into_iter().collect(),
                signature: Some(w.signature),
                message: Some(message),
            },
        ))
    }

    fn change_pubkey(
        &mut self,
        c: &ChangePubKey,
        sig: SigCheck,
    ) -> Result<(Op, OpWitness), StateError> {
        let account = self.user_account(c.account_id)?;
        if account.owner != c.owner {
            return Err(StateError::OwnerMismatch(c.account_id));
        }
        // Cheap checks first (see `check_spend`), then the signatures.
        check_nonce(c.account_id, &account, c.nonce)?;
        self.check_token(c.fee_token)?;
        let needed = check_funds(c.account_id, &account, c.fee_token, 0, c.fee.0)?;
        if !self.fees.accepts(c.fee_token, c.fee.0) {
            return Err(StateError::TooManyFeeTokens);
        }
        let (message, signer, verified) =
            sig.resolve(|| c.message(self.config.chain_id), &c.signature)?;
        // Signed by the new key: proves possession and authorizes the fee.
        self.check_signer(
            c.account_id,
            c.new_pub_key_hash,
            &c.signature,
            &message,
            signer,
            verified,
        )?;
        let digest = change_pubkey_digest(
            &self.config.eip712,
            &fr_to_be_bytes(&c.new_pub_key_hash),
            c.nonce.0,
            c.account_id.0,
        );
        match recover_signer(&digest, &c.eth_signature) {
            Ok(signer) if signer == c.owner => {}
            Ok(signer) => {
                return Err(StateError::InvalidEthSignature(format!(
                    "signed by {signer}, not the owner {}",
                    c.owner
                )));
            }
            Err(e) => return Err(StateError::InvalidEthSignature(e.to_string())),
        }
        let (token, pkh) = (c.fee_token, c.new_pub_key_hash);
        let new_balance = account.balance(token) - needed;
        let u = self.update(c.account_id, token, |a| {
            a.set_balance(token, new_balance);
            a.pubkey_hash = pkh;
            a.nonce = Nonce(a.nonce.0 + 1);
        })?;
        self.fees.add(token, c.fee.0);
        let op = Op::ChangePubKey(ChangePubKeyOp {
            account_id: c.account_id,
            owner: c.owner,
            new_pub_key_hash: pkh,
            nonce: c.nonce,
            fee_token: token,
            fee: c.fee,
        });
        Ok((
            op,
            OpWitness {
                updates: u.into_iter().collect(),
                signature: Some(c.signature),
                message: Some(message),
            },
        ))
    }

    /// Credits the batch's fees to its fee account and starts the next batch. The changes are
    /// committed with the next sealed block.
    pub fn seal_batch(&mut self) -> Result<BatchSealed, StateError> {
        let fees: Vec<(TokenId, u128)> = self.fees.iter().collect();
        let fee_account = self.fee_account;
        let account = self.load(fee_account)?;
        if !fees.is_empty() && account.owner == Address::ZERO {
            return Err(StateError::UnknownAccount(fee_account));
        }
        for (token, total) in &fees {
            account
                .balance(*token)
                .checked_add(*total)
                .ok_or(StateError::Overflow)?;
        }
        let mut fee_updates = Vec::new();
        for (token, total) in fees.iter().copied() {
            fee_updates.extend(self.update(fee_account, token, |a| {
                let b = a.balance(token) + total;
                a.set_balance(token, b);
            })?);
        }
        self.fees.clear();
        let number = BatchNumber(self.batch_number);
        self.batch_number += 1;
        Ok(BatchSealed {
            number,
            fee_account,
            fees,
            fee_updates,
            root: self.root()?,
        })
    }

    /// Rehashes the tree once and commits the block's changes atomically.
    pub fn seal_block(&mut self) -> Result<BlockSealed, StateError> {
        self.seal_block_with(Vec::new())
    }

    /// Like [`State::seal_block`], also writing `side` (records of other components) in the
    /// same atomic commit. Refused while blocks sealed by [`State::seal_block_deferred`] are not
    /// yet written ([`State::written`]): this block would land before them.
    pub fn seal_block_with(
        &mut self,
        side: Vec<crate::storage::SideWrite>,
    ) -> Result<BlockSealed, StateError> {
        if !self.sealed.is_empty() {
            return Err(StateError::Storage(format!(
                "{} sealed blocks are still being written",
                self.sealed.len()
            )));
        }
        let (sealed, changes) = self.seal_changes(side)?;
        if let Err(e) = self.storage.commit(changes) {
            // Sealed in memory, not stored: the caller stops using this state (it reopens
            // from storage).
            return Err(e.into());
        }
        Ok(sealed)
    }

    /// Rehashes the tree once and takes the block's changes out of memory.
    fn seal_changes(
        &mut self,
        side: Vec<crate::storage::SideWrite>,
    ) -> Result<(BlockSealed, ChangeSet), StateError> {
        self.hash_dirty_accounts();
        let hashed_nodes = self.tree.flush(&layered(&self.storage, &self.sealed))?;
        let root = self.root()?;
        let meta = StateMeta {
            block_number: self.block_number + 1,
            root,
            next_account_id: self.next_account_id,
            num_tokens: self.num_tokens,
            batch_number: self.batch_number,
            fee_account: self.fee_account.0,
            pending_fees: self.fees.to_meta(),
        };
        let changes = ChangeSet {
            accounts: self.accounts.drain().collect(),
            nodes: self.tree.take_changes(),
            owners: self.new_owners.drain().collect(),
            meta,
            side,
        };
        self.block_number += 1;
        Ok((
            BlockSealed {
                number: L2BlockNumber(self.block_number),
                root,
                hashed_nodes,
            },
            changes,
        ))
    }
}

/// The state's storage behind its sealed blocks not yet written.
fn layered<'a, S: Storage>(
    storage: &'a S,
    sealed: &'a std::collections::VecDeque<sealed::SealedLayer>,
) -> sealed::Layered<'a, S> {
    sealed::Layered {
        storage,
        layers: sealed,
    }
}

/// [`crate::account::refresh_and_hash`] of `accounts`, in chunks across the cores.
fn refresh_and_hash_par(mut accounts: Vec<&mut Account>) -> Vec<Fr> {
    accounts
        .par_chunks_mut(64)
        .map(crate::account::refresh_and_hash)
        .collect::<Vec<_>>()
        .concat()
}
