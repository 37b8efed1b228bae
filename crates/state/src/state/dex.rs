//! The DEX operations of the state transition (`docs/protocol.md` §3.5, §4.9-§4.12): pools
//! are special accounts at the last `MAX_POOLS` leaves, created empty, moved only by these
//! rules. As everywhere in `State`, every check comes before any change, and the cheap ones
//! before the signature.

use super::{SigCheck, State, check_funds, check_nonce};
use crate::StateError;
use crate::account::Account;
use crate::storage::Storage;
use crate::witness::OpWitness;
use zkr_types::amm::{self, pool_key, pool_pair};
use zkr_types::dex::{
    AddLiquidity, AddLiquidityOp, CreatePool, CreatePoolOp, PoolId, RemoveLiquidity,
    RemoveLiquidityOp, Swap, SwapOp, check_pair,
};
use zkr_types::op::Op;
use zkr_types::params::MAX_POOLS;
use zkr_types::tx::L2Signature;
use zkr_types::{AccountId, Address, Amount, Fr, Nonce, TokenId};

/// A pool as the state holds it (§3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    /// Its id.
    pub id: PoolId,
    /// Its first token.
    pub token_a: TokenId,
    /// Its second token.
    pub token_b: TokenId,
    /// Reserve of `token_a`.
    pub reserve_a: u128,
    /// Reserve of `token_b`.
    pub reserve_b: u128,
    /// LP shares in existence (including the locked minimum).
    pub supply: u128,
}

impl Pool {
    fn of(id: PoolId, account: &Account) -> Option<Pool> {
        if account.owner != Address::ZERO {
            return None;
        }
        let (a, b) = pool_pair(&account.pubkey_hash)?;
        let (a, b) = (TokenId(a), TokenId(b));
        Some(Pool {
            id,
            token_a: a,
            token_b: b,
            reserve_a: account.balance(a),
            reserve_b: account.balance(b),
            supply: account.balance(id.lp_token()),
        })
    }

    /// Its LP token.
    pub fn lp_token(&self) -> TokenId {
        self.id.lp_token()
    }
}

/// Adds `add` to a balance, or `Overflow` above `MAX_BALANCE` (`u128::MAX`).
fn plus(balance: u128, add: u128) -> Result<u128, StateError> {
    balance.checked_add(add).ok_or(StateError::Overflow)
}

fn at_least(what: &'static str, got: u128, min: Amount) -> Result<(), StateError> {
    if got < min.0 {
        return Err(StateError::Slippage {
            what,
            got,
            min: min.0,
        });
    }
    Ok(())
}

impl<S: Storage> State<S> {
    /// The pool with id `id`, if it exists.
    pub fn pool(&self, id: PoolId) -> Result<Option<Pool>, StateError> {
        if !id.is_valid() {
            return Ok(None);
        }
        Ok(self
            .account(id.account_id())?
            .and_then(|a| Pool::of(id, &a)))
    }

    /// Every pool, by id.
    pub fn pools(&self) -> Result<Vec<Pool>, StateError> {
        let mut out = Vec::new();
        for p in 0..MAX_POOLS {
            out.extend(self.pool(PoolId(p))?);
        }
        Ok(out)
    }

    /// The pool of a pair, in either order.
    pub fn pool_of_pair(&self, x: TokenId, y: TokenId) -> Result<Option<Pool>, StateError> {
        let (a, b) = if x.0 <= y.0 { (x, y) } else { (y, x) };
        Ok(self
            .pools()?
            .into_iter()
            .find(|p| p.token_a == a && p.token_b == b))
    }

    /// The signing user account, with its nonce checked (cheap checks only).
    fn dex_signer(&self, id: AccountId, nonce: Nonce) -> Result<Account, StateError> {
        let account = self.user_account(id)?;
        check_nonce(id, &account, nonce)?;
        Ok(account)
    }

    /// The signature check, last: returns the message.
    fn dex_verify(
        &self,
        id: AccountId,
        account: &Account,
        signature: &L2Signature,
        sig: SigCheck,
        message: impl FnOnce() -> Result<Fr, zkr_types::TypesError>,
    ) -> Result<Fr, StateError> {
        if matches!(sig, SigCheck::Proven) {
            return Ok(Fr::from(0u64));
        }
        let (message, signer, verified) = sig.resolve(message, signature)?;
        self.check_signer(
            id,
            account.pubkey_hash,
            signature,
            &message,
            signer,
            verified,
        )?;
        Ok(message)
    }

    fn check_fee_token(&self, token: TokenId, fee: Amount) -> Result<(), StateError> {
        if !self.fees.accepts(token, fee.0) {
            return Err(StateError::TooManyFeeTokens);
        }
        Ok(())
    }

    /// The pool the transaction signed, which must hold the signed pair.
    fn signed_pool(&self, id: PoolId, a: TokenId, b: TokenId) -> Result<Pool, StateError> {
        check_pair(a, b)?;
        self.check_token(a)?;
        self.check_token(b)?;
        self.pool(id)?
            .filter(|p| p.token_a == a && p.token_b == b)
            .ok_or(StateError::NoSuchPool(a, b))
    }

    fn witness(
        updates: Vec<crate::witness::AccountUpdate>,
        signature: &L2Signature,
        message: Fr,
    ) -> OpWitness {
        OpWitness {
            updates,
            signature: Some(*signature),
            message: Some(message),
        }
    }

    /// §4.9.
    pub(super) fn create_pool(
        &mut self,
        c: &CreatePool,
        sig: SigCheck,
    ) -> Result<(Op, OpWitness), StateError> {
        let account = self.dex_signer(c.account_id, c.nonce)?;
        check_pair(c.token_a, c.token_b)?;
        self.check_token(c.token_a)?;
        self.check_token(c.token_b)?;
        if self.pool_of_pair(c.token_a, c.token_b)?.is_some() {
            return Err(StateError::PoolExists(c.token_a, c.token_b));
        }
        // A free id: an empty leaf, or a pool nobody ever added liquidity to (no reserves, no
        // shares), so that pools created and left empty cannot use up the 128 ids for good.
        let mut free = None;
        for p in (0..MAX_POOLS).map(PoolId) {
            let leaf = self.load(p.account_id())?;
            if leaf == Account::default() || self.pool(p)?.is_some_and(|x| x.supply == 0) {
                free = Some(p);
                break;
            }
        }
        let pool = free.ok_or(StateError::PoolsFull)?;
        let needed = check_funds(c.account_id, &account, c.token_a, 0, c.fee.0)?;
        self.check_fee_token(c.token_a, c.fee)?;
        let message = self.dex_verify(c.account_id, &account, &c.signature, sig, || {
            c.message(self.config.chain_id)
        })?;
        let (token_a, token_b) = (c.token_a, c.token_b);
        let mut updates = Vec::new();
        let left = account.balance(token_a) - needed;
        updates.extend(self.update(c.account_id, token_a, |a| {
            a.set_balance(token_a, left);
            a.nonce = Nonce(a.nonce.0 + 1);
        })?);
        let key = pool_key(token_a.0, token_b.0);
        updates.extend(self.update(pool.account_id(), token_a, |a| {
            a.pubkey_hash = key;
        })?);
        self.fees.add(token_a, c.fee.0);
        let op = Op::CreatePool(CreatePoolOp {
            account_id: c.account_id,
            pool,
            token_a,
            token_b,
            fee: c.fee,
        });
        Ok((op, Self::witness(updates, &c.signature, message)))
    }

    /// §4.10.
    pub(super) fn swap(&mut self, s: &Swap, sig: SigCheck) -> Result<(Op, OpWitness), StateError> {
        let account = self.dex_signer(s.account_id, s.nonce)?;
        let pool = if s.sell.0 < s.buy.0 {
            self.signed_pool(s.pool, s.sell, s.buy)?
        } else {
            self.signed_pool(s.pool, s.buy, s.sell)?
        };
        let sell_b = s.sell == pool.token_b;
        let (x, y) = if sell_b {
            (pool.reserve_b, pool.reserve_a)
        } else {
            (pool.reserve_a, pool.reserve_b)
        };
        let out = amm::swap_out(s.amount_in.0, x, y)?;
        at_least("the output", out, s.min_out.max(Amount(1)))?;
        let needed = check_funds(s.account_id, &account, s.sell, s.amount_in.0, s.fee.0)?;
        let bought = plus(account.balance(s.buy), out)?;
        self.check_fee_token(s.sell, s.fee)?;
        let message = self.dex_verify(s.account_id, &account, &s.signature, sig, || {
            s.message(self.config.chain_id)
        })?;
        let (sell, buy, amount_in) = (s.sell, s.buy, s.amount_in.0);
        let sold = account.balance(sell) - needed;
        let mut updates = Vec::new();
        updates.extend(self.update(s.account_id, sell, |a| {
            a.set_balance(sell, sold);
            a.nonce = Nonce(a.nonce.0 + 1);
        })?);
        updates.extend(self.update(s.account_id, buy, |a| a.set_balance(buy, bought))?);
        let id = pool.id.account_id();
        updates.extend(self.update(id, sell, |a| a.set_balance(sell, x + amount_in))?);
        updates.extend(self.update(id, buy, |a| a.set_balance(buy, y - out))?);
        self.fees.add(sell, s.fee.0);
        let op = Op::Swap(SwapOp {
            account_id: s.account_id,
            pool: pool.id,
            sell_b,
            amount_in: s.amount_in,
            fee: s.fee,
        });
        Ok((op, Self::witness(updates, &s.signature, message)))
    }

    /// §4.11.
    pub(super) fn add_liquidity(
        &mut self,
        l: &AddLiquidity,
        sig: SigCheck,
    ) -> Result<(Op, OpWitness), StateError> {
        let account = self.dex_signer(l.account_id, l.nonce)?;
        let pool = self.signed_pool(l.pool, l.token_a, l.token_b)?;
        let d = amm::add_liquidity(
            l.max_a.0,
            l.max_b.0,
            pool.reserve_a,
            pool.reserve_b,
            pool.supply,
        )?;
        at_least("the shares", d.shares, l.min_shares)?;
        let (a, b, lp) = (l.token_a, l.token_b, pool.lp_token());
        let needed_a = check_funds(l.account_id, &account, a, d.take_a, l.fee.0)?;
        check_funds(l.account_id, &account, b, d.take_b, 0)?;
        let shares = plus(account.balance(lp), d.shares)?;
        self.check_fee_token(a, l.fee)?;
        let message = self.dex_verify(l.account_id, &account, &l.signature, sig, || {
            l.message(self.config.chain_id)
        })?;
        let (left_a, left_b) = (account.balance(a) - needed_a, account.balance(b) - d.take_b);
        let mut updates = Vec::new();
        updates.extend(self.update(l.account_id, a, |x| {
            x.set_balance(a, left_a);
            x.nonce = Nonce(x.nonce.0 + 1);
        })?);
        updates.extend(self.update(l.account_id, b, |x| x.set_balance(b, left_b))?);
        updates.extend(self.update(l.account_id, lp, |x| x.set_balance(lp, shares))?);
        let id = pool.id.account_id();
        updates.extend(self.update(id, a, |x| x.set_balance(a, pool.reserve_a + d.take_a))?);
        updates.extend(self.update(id, b, |x| x.set_balance(b, pool.reserve_b + d.take_b))?);
        updates.extend(self.update(id, lp, |x| x.set_balance(lp, pool.supply + d.supply_growth))?);
        self.fees.add(a, l.fee.0);
        let op = Op::AddLiquidity(AddLiquidityOp {
            account_id: l.account_id,
            pool: pool.id,
            max_a: l.max_a,
            max_b: l.max_b,
            fee: l.fee,
        });
        Ok((op, Self::witness(updates, &l.signature, message)))
    }

    /// §4.12.
    pub(super) fn remove_liquidity(
        &mut self,
        r: &RemoveLiquidity,
        sig: SigCheck,
    ) -> Result<(Op, OpWitness), StateError> {
        let account = self.dex_signer(r.account_id, r.nonce)?;
        let pool = self.signed_pool(r.pool, r.token_a, r.token_b)?;
        let (a, b, lp) = (r.token_a, r.token_b, pool.lp_token());
        check_funds(r.account_id, &account, lp, r.shares.0, 0)?;
        let (out_a, out_b) =
            amm::remove_liquidity(r.shares.0, pool.reserve_a, pool.reserve_b, pool.supply)?;
        at_least("the amount of token a", out_a, r.min_a)?;
        at_least("the amount of token b", out_b, r.min_b)?;
        let gross_a = plus(account.balance(a), out_a)?;
        let left_a = gross_a
            .checked_sub(r.fee.0)
            .ok_or(StateError::InsufficientBalance {
                account: r.account_id,
                token: a,
                balance: gross_a,
                needed: r.fee.0,
            })?;
        let got_b = plus(account.balance(b), out_b)?;
        self.check_fee_token(a, r.fee)?;
        let message = self.dex_verify(r.account_id, &account, &r.signature, sig, || {
            r.message(self.config.chain_id)
        })?;
        let left_lp = account.balance(lp) - r.shares.0;
        let mut updates = Vec::new();
        updates.extend(self.update(r.account_id, lp, |x| {
            x.set_balance(lp, left_lp);
            x.nonce = Nonce(x.nonce.0 + 1);
        })?);
        updates.extend(self.update(r.account_id, a, |x| x.set_balance(a, left_a))?);
        updates.extend(self.update(r.account_id, b, |x| x.set_balance(b, got_b))?);
        let id = pool.id.account_id();
        updates.extend(self.update(id, a, |x| x.set_balance(a, pool.reserve_a - out_a))?);
        updates.extend(self.update(id, b, |x| x.set_balance(b, pool.reserve_b - out_b))?);
        updates.extend(self.update(id, lp, |x| x.set_balance(lp, pool.supply - r.shares.0))?);
        self.fees.add(a, r.fee.0);
        let op = Op::RemoveLiquidity(RemoveLiquidityOp {
            account_id: r.account_id,
            pool: pool.id,
            shares: r.shares,
            fee: r.fee,
        });
        Ok((op, Self::witness(updates, &r.signature, message)))
    }
}
