//! Replaying operations L1 has already accepted (`zkr rebuild`): a committed batch's pubdata
//! is the whole record of what it did, without the signatures (the circuit checked those, and
//! L1 checked the proof). Each operation's effect is applied exactly as the pubdata states it;
//! swaps and liquidity go through their native rules (the pool arithmetic) with the signature
//! check skipped, and must give back the very operation L1 holds.
//!
//! A replay must take every operation the circuit accepts, or exodus users could not rebuild
//! the state to exit from: so it never applies a rule that is native only (`docs/protocol.md`).
//! CreatePool is applied from its pubdata for that reason: the operator chooses the pool id,
//! and only the native rules insist on the lowest free id and one pool per pair.
//!
//! Replay never decides validity: a batch L1 executed is valid by definition. What it does
//! check, every arithmetic step and the DEX operations' equality, is a guard against a bug in
//! this replay or a pubdata the parser misread; the caller also compares each batch's root
//! with the one L1 stored.

use super::{SigCheck, State};
use crate::StateError;
use crate::account::Account;
use crate::storage::Storage;
use zkr_types::amm::pool_key;
use zkr_types::dex::{AddLiquidity, RemoveLiquidity, Swap};
use zkr_types::op::Op;
use zkr_types::params::POOL_ACCOUNT_BASE;
use zkr_types::tx::{L2Signature, PubKeyJson};
use zkr_types::{AccountId, Address, Amount, Fr, Nonce, TokenId};

/// A signature slot for a DEX request rebuilt from pubdata; never verified (`SigCheck::Proven`).
fn no_signature() -> L2Signature {
    let zero = Fr::from(0u64);
    L2Signature {
        pub_key: PubKeyJson { x: zero, y: zero },
        r8x: zero,
        r8y: zero,
        s: zero,
    }
}

fn diverged(what: String) -> StateError {
    StateError::Storage(format!("replay diverged: {what}"))
}

impl<S: Storage> State<S> {
    /// Applies one operation of a batch L1 accepted, from its pubdata alone (no signature).
    /// On error nothing changes.
    pub fn replay(&mut self, op: &Op) -> Result<(), StateError> {
        match op {
            Op::Noop => Ok(()),
            Op::Deposit(d) => {
                let account = self.replay_account(d.account_id)?;
                if account.owner != Address::ZERO && account.owner != d.owner {
                    return Err(diverged(format!(
                        "deposit to account {} owned by {}, not {}",
                        d.account_id, account.owner, d.owner
                    )));
                }
                let balance = plus(account.balance(d.token), d.amount.0)?;
                let (owner, token) = (d.owner, d.token);
                self.replay_update(d.account_id, token, |a| {
                    a.owner = owner;
                    a.set_balance(token, balance);
                })
            }
            Op::ChangePubKey(c) => {
                let account = self.replay_account(c.account_id)?;
                let left = minus(c.account_id, &account, c.fee_token, c.fee.0)?;
                let (token, pkh) = (c.fee_token, c.new_pub_key_hash);
                self.replay_update(c.account_id, token, |a| {
                    a.set_balance(token, left);
                    a.pubkey_hash = pkh;
                    a.nonce = Nonce(a.nonce.0 + 1);
                })?;
                self.fees.add(token, c.fee.0);
                Ok(())
            }
            Op::Transfer(t) => {
                self.replay_transfer(t.from, t.to_id, None, t.token, t.amount, t.fee)
            }
            Op::TransferToNew(t) => {
                self.replay_transfer(t.from, t.to_id, Some(t.to), t.token, t.amount, t.fee)
            }
            Op::Withdraw(w) => {
                let account = self.replay_account(w.account_id)?;
                let needed = plus(w.amount.0, w.fee.0)?;
                let left = minus(w.account_id, &account, w.token, needed)?;
                let token = w.token;
                self.replay_update(w.account_id, token, |a| {
                    a.set_balance(token, left);
                    a.nonce = Nonce(a.nonce.0 + 1);
                })?;
                self.fees.add(token, w.fee.0);
                Ok(())
            }
            Op::FullExit(f) => {
                if f.amount.0 == 0 {
                    return Ok(());
                }
                let account = self.replay_account(f.account_id)?;
                if account.owner != f.owner || account.balance(f.token) != f.amount.0 {
                    return Err(diverged(format!(
                        "full exit of {} from account {} that does not hold exactly that",
                        f.amount.0, f.account_id
                    )));
                }
                let token = f.token;
                self.replay_update(f.account_id, token, |a| a.set_balance(token, 0))
            }
            Op::CreatePool(c) => {
                let account = self.replay_account(c.account_id)?;
                let left = minus(c.account_id, &account, c.token_a, c.fee.0)?;
                let pool = self.replay_account(c.pool.account_id())?;
                // The circuit's rule (§4.9): a wholly empty leaf, or a pool that never had
                // liquidity (no reserves, no shares).
                if pool != Account::default() && pool.balances().any(|(_, b)| b > 0) {
                    return Err(diverged(format!(
                        "pool {} created over a pool with liquidity",
                        c.pool.0
                    )));
                }
                let token = c.token_a;
                self.replay_update(c.account_id, token, |a| {
                    a.set_balance(token, left);
                    a.nonce = Nonce(a.nonce.0 + 1);
                })?;
                let key = pool_key(c.token_a.0, c.token_b.0);
                self.replay_update(c.pool.account_id(), token, |a| a.pubkey_hash = key)?;
                self.fees.add(token, c.fee.0);
                Ok(())
            }
            Op::Swap(_) | Op::AddLiquidity(_) | Op::RemoveLiquidity(_) => self.replay_dex(op),
        }
    }

    fn replay_account(&self, id: AccountId) -> Result<Account, StateError> {
        if !id.is_valid() {
            return Err(StateError::UnknownAccount(id));
        }
        self.load(id)
    }

    /// One account's change, keeping the next free id past every user account replayed.
    fn replay_update(
        &mut self,
        id: AccountId,
        token: TokenId,
        f: impl FnOnce(&mut Account),
    ) -> Result<(), StateError> {
        if id.0 < POOL_ACCOUNT_BASE && id.0 >= self.next_account_id {
            self.next_account_id = id.0 + 1;
        }
        self.update(id, token, f).map(|_| ())
    }

    fn replay_transfer(
        &mut self,
        from: AccountId,
        to_id: AccountId,
        new_owner: Option<Address>,
        token: TokenId,
        amount: Amount,
        fee: Amount,
    ) -> Result<(), StateError> {
        let sender = self.replay_account(from)?;
        let needed = plus(amount.0, fee.0)?;
        let left = minus(from, &sender, token, needed)?;
        let receiver = if to_id == from {
            let mut a = sender.clone();
            a.set_balance(token, left);
            a
        } else {
            self.replay_account(to_id)?
        };
        if let Some(owner) = new_owner
            && receiver != Account::default()
        {
            return Err(diverged(format!(
                "transfer creating account {to_id} for {owner}, which is not empty"
            )));
        }
        let received = plus(receiver.balance(token), amount.0)?;
        self.replay_update(from, token, |a| {
            a.set_balance(token, left);
            a.nonce = Nonce(a.nonce.0 + 1);
        })?;
        self.replay_update(to_id, token, |a| {
            if let Some(owner) = new_owner {
                a.owner = owner;
            }
            a.set_balance(token, received);
        })?;
        self.fees.add(token, fee.0);
        Ok(())
    }

    /// A DEX operation through its native rules, signature skipped: the request is rebuilt
    /// from the pubdata with the account's current nonce and no slippage bound, and the
    /// resulting operation must be the one L1 holds.
    fn replay_dex(&mut self, op: &Op) -> Result<(), StateError> {
        let signature = no_signature();
        let (got, _) = match op {
            Op::Swap(s) => {
                let nonce = self.replay_account(s.account_id)?.nonce;
                let pool = self.pool(s.pool)?.ok_or_else(|| {
                    diverged(format!("swap in pool {} that does not exist", s.pool.0))
                })?;
                let (sell, buy) = if s.sell_b {
                    (pool.token_b, pool.token_a)
                } else {
                    (pool.token_a, pool.token_b)
                };
                let swap = Swap {
                    account_id: s.account_id,
                    pool: s.pool,
                    sell,
                    buy,
                    amount_in: s.amount_in,
                    min_out: Amount(0),
                    fee: s.fee,
                    nonce,
                    signature,
                };
                self.swap(&swap, SigCheck::Proven)?
            }
            Op::AddLiquidity(l) => {
                let nonce = self.replay_account(l.account_id)?.nonce;
                let pool = self.replay_pool(l.pool)?;
                let add = AddLiquidity {
                    account_id: l.account_id,
                    pool: l.pool,
                    token_a: pool.token_a,
                    token_b: pool.token_b,
                    max_a: l.max_a,
                    max_b: l.max_b,
                    min_shares: Amount(0),
                    fee: l.fee,
                    nonce,
                    signature,
                };
                self.add_liquidity(&add, SigCheck::Proven)?
            }
            Op::RemoveLiquidity(r) => {
                let nonce = self.replay_account(r.account_id)?.nonce;
                let pool = self.replay_pool(r.pool)?;
                let remove = RemoveLiquidity {
                    account_id: r.account_id,
                    pool: r.pool,
                    token_a: pool.token_a,
                    token_b: pool.token_b,
                    shares: r.shares,
                    min_a: Amount(0),
                    min_b: Amount(0),
                    fee: r.fee,
                    nonce,
                    signature,
                };
                self.remove_liquidity(&remove, SigCheck::Proven)?
            }
            _ => unreachable!("replay_dex is only called with swaps and liquidity"),
        };
        if &got != op {
            // The native rules already changed the state: this only happens on a bug, and the
            // caller stops the rebuild (nothing is committed before the batch's root matches).
            return Err(diverged(format!("L1 has {op:?}, the rules give {got:?}")));
        }
        Ok(())
    }

    fn replay_pool(&self, id: zkr_types::dex::PoolId) -> Result<super::Pool, StateError> {
        self.pool(id)?
            .ok_or_else(|| diverged(format!("operation on pool {} that does not exist", id.0)))
    }
}

fn plus(a: u128, b: u128) -> Result<u128, StateError> {
    a.checked_add(b).ok_or(StateError::Overflow)
}

fn minus(
    id: AccountId,
    account: &Account,
    token: TokenId,
    needed: u128,
) -> Result<u128, StateError> {
    let balance = account.balance(token);
    balance
        .checked_sub(needed)
        .ok_or(StateError::InsufficientBalance {
            account: id,
            token,
            balance,
            needed,
        })
}
