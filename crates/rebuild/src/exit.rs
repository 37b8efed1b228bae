//! Exodus exits from a data dir: the Merkle proofs of an owner's balances (and of a pool's
//! reserves for LP shares) that L1's `exit` and `exitLiquidity` check against the last
//! executed root.

use crate::RebuildError;
use alloy::primitives::{Address, U256};
use std::path::Path;
use zkr_crypto::field::fr_to_be_bytes;
use zkr_l1::bindings::ZkrRollup::{ExitProof, PoolProof};
use zkr_state::storage::{RedbStorage, Storage};
use zkr_state::tree::Siblings;
use zkr_state::{BalanceProof, ChainConfig, State};
use zkr_types::dex::PoolId;
use zkr_types::{AccountId, Fr, TokenId};

/// One exit to send.
#[derive(Clone)]
pub enum Exit {
    /// A token balance: `exit`.
    Token(ExitProof),
    /// LP shares: `exitLiquidity`, with the pool's reserves and supply.
    Liquidity(ExitProof, Box<PoolProof>),
}

impl Exit {
    /// The token exited (an LP token for liquidity).
    pub fn token(&self) -> u16 {
        match self {
            Exit::Token(p) | Exit::Liquidity(p, _) => p.token,
        }
    }

    /// The balance exited.
    pub fn balance(&self) -> u128 {
        match self {
            Exit::Token(p) | Exit::Liquidity(p, _) => p.balance,
        }
    }
}

/// Opens the state of a data dir (a rebuild's or a stopped node's), read-only use.
pub fn open_state(data_dir: &Path, chain: ChainConfig) -> Result<State<RedbStorage>, RebuildError> {
    let path = data_dir.join("state.redb");
    if !path.exists() {
        return Err(RebuildError::Inconsistent(format!(
            "{} does not exist: run `zkr rebuild` first",
            path.display()
        )));
    }
    Ok(State::open(RedbStorage::open(&path)?, chain)?)
}

fn word(x: &Fr) -> U256 {
    U256::from_be_bytes(fr_to_be_bytes(x))
}

fn path<const N: usize>(p: &[Siblings]) -> Result<[[U256; 3]; N], RebuildError> {
    let rows: Vec<[U256; 3]> = p.iter().map(|s| s.map(|x| word(&x))).collect();
    rows.try_into()
        .map_err(|_| RebuildError::Inconsistent("a Merkle path of the wrong depth".into()))
}

fn exit_proof(p: &BalanceProof) -> Result<ExitProof, RebuildError> {
    Ok(ExitProof {
        accountId: p.account_id.0,
        owner: p.account.owner,
        pubkeyHash: word(&p.account.pubkey_hash),
        nonce: p.account.nonce.0,
        token: p.token.0,
        balance: p.balance,
        balancePath: path(&p.balance_path)?,
        accountPath: path(&p.account_path)?,
    })
}

/// The exits of `owner`'s non-zero balances (of `token` only, if given) in `state`, with the
/// root they prove against: of account `account`, which `owner` must own, else of `owner`'s
/// first account (an owner may have several: the operator can open an empty one for any
/// address). Errors if there is no such account, or nothing to exit.
pub fn exits<S: Storage>(
    state: &mut State<S>,
    owner: Address,
    account: Option<AccountId>,
    token: Option<TokenId>,
) -> Result<(AccountId, Vec<Exit>, Fr), RebuildError> {
    let id = match account {
        Some(id) => {
            let holder = state.account(id)?.map(|a| a.owner).unwrap_or_default();
            if holder != owner {
                return Err(RebuildError::Inconsistent(format!(
                    "account {id} is owned by {holder}, not {owner}"
                )));
            }
            id
        }
        None => state.account_id_of(&owner)?.ok_or_else(|| {
            RebuildError::Inconsistent(format!(
                "{owner} has no account in this state: nothing to exit"
            ))
        })?,
    };
    let account = state
        .account(id)?
        .ok_or_else(|| RebuildError::Inconsistent(format!("account {id} is empty")))?;
    let tokens: Vec<TokenId> = match token {
        Some(t) => vec![t],
        None => account
            .balances()
            .filter(|(_, b)| *b > 0)
            .map(|(t, _)| t)
            .collect(),
    };
    let mut out = Vec::new();
    for t in tokens {
        let share = state.balance_proof(id, t)?;
        if share.balance == 0 {
            continue;
        }
        let exit = match PoolId::of_lp_token(t) {
            None => Exit::Token(exit_proof(&share)?),
            Some(pool) => {
                let p = state.pool(pool)?.ok_or_else(|| {
                    RebuildError::Inconsistent(format!(
                        "LP token {t} of pool {} without a pool",
                        pool.0
                    ))
                })?;
                let at = pool.account_id();
                let a = state.balance_proof(at, p.token_a)?;
                let b = state.balance_proof(at, p.token_b)?;
                let shares = state.balance_proof(at, t)?;
                Exit::Liquidity(
                    exit_proof(&share)?,
                    Box::new(PoolProof {
                        pool: pool.0,
                        tokenA: p.token_a.0,
                        tokenB: p.token_b.0,
                        reserveA: a.balance,
                        reserveB: b.balance,
                        supply: shares.balance,
                        pathA: path(&a.balance_path)?,
                        pathB: path(&b.balance_path)?,
                        pathShares: path(&shares.balance_path)?,
                        accountPath: path(&a.account_path)?,
                    }),
                )
            }
        };
        out.push(exit);
    }
    if out.is_empty() {
        return Err(RebuildError::Inconsistent(match token {
            Some(t) => format!("account {id} holds no token {t}: nothing to exit"),
            None => format!("account {id} holds nothing: nothing to exit"),
        }));
    }
    let root = state.root()?;
    Ok((id, out, root))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkr_state::fixtures::config;
    use zkr_state::storage::MemoryStorage;
    use zkr_types::Amount;
    use zkr_types::op::{DepositOp, Op, TransferToNewOp};

    /// An owner the operator gave an empty first account (a 0-amount TransferToNew), whose
    /// deposits then went to a second one (§4.2 allows it): `--account-id` exits the second.
    #[test]
    fn an_owner_with_two_accounts_exits_the_one_named() {
        let mut s = State::open(MemoryStorage::new(), config()).unwrap();
        let (op, alice) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let deposit = |id: u32, owner: Address| {
            Op::Deposit(DepositOp {
                account_id: AccountId(id),
                owner,
                token: TokenId(0),
                amount: Amount(1_000),
            })
        };
        s.replay(&deposit(0, op)).unwrap();
        s.replay(&Op::TransferToNew(TransferToNewOp {
            from: AccountId(0),
            to_id: AccountId(1),
            to: alice,
            token: TokenId(0),
            amount: Amount(0),
            fee: Amount(0),
        }))
        .unwrap();
        s.replay(&deposit(2, alice)).unwrap();
        s.seal_block().unwrap();
        let e = exits(&mut s, alice, None, None).err().unwrap();
        assert!(e.to_string().contains("account 1 holds nothing"), "{e}");
        let (id, all, root) = exits(&mut s, alice, Some(AccountId(2)), None).unwrap();
        assert_eq!((id, all.len(), all[0].balance()), (AccountId(2), 1, 1_000));
        assert_eq!(root, s.root().unwrap());
        let e = exits(&mut s, op, Some(AccountId(2)), None).err().unwrap();
        assert!(e.to_string().contains("is owned by"), "{e}");
    }
}
