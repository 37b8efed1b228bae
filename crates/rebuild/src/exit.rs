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
/// root they prove against. Errors if `owner` has no account, or nothing to exit.
pub fn exits<S: Storage>(
    state: &mut State<S>,
    owner: Address,
    token: Option<TokenId>,
) -> Result<(AccountId, Vec<Exit>, Fr), RebuildError> {
    let id = state.account_id_of(&owner)?.ok_or_else(|| {
        RebuildError::Inconsistent(format!(
            "{owner} has no account in this state: nothing to exit"
        ))
    })?;
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
