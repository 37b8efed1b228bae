//! The state behind `contracts/test/fixtures/pool_exit.json`, the exodus LP exit's forge
//! fixture: a pool of tokens (0, 1) with two providers and a swap, built by the native state
//! transition, with the Merkle proofs of both providers' shares and of the pool's reserves and
//! supply. This test fails when the committed fixture differs from what the code builds;
//! `ZKR_UPDATE_FIXTURES=1 cargo test -p zkr-state --test pool_exit_fixture` rewrites it.

use serde_json::{Value, json};
use std::path::PathBuf;
use zkr_crypto::field::fr_to_decimal;
use zkr_state::State;
use zkr_state::fixtures::{User, onboard, state_with_tokens};
use zkr_state::storage::MemoryStorage;
use zkr_state::witness::AccountUpdate;
use zkr_types::dex::PoolId;
use zkr_types::{AccountId, TokenId};

const E18: u128 = 1_000_000_000_000_000_000;

fn paths(p: &[[zkr_types::Fr; 3]]) -> Value {
    p.iter()
        .map(|s| s.iter().map(fr_to_decimal).collect::<Vec<_>>())
        .collect()
}

fn share(u: &AccountUpdate) -> Value {
    json!({
        "accountId": u.account_id.0,
        "owner": u.before.owner.to_string(),
        "pubkeyHash": fr_to_decimal(&u.before.pubkey_hash),
        "nonce": u.before.nonce.0,
        "token": u.token.0,
        "balance": u.before.balance.to_string(),
        "balancePath": paths(&u.balance_path),
        "accountPath": paths(&u.account_path),
    })
}

fn build() -> Value {
    let mut s: State<MemoryStorage> = state_with_tokens(MemoryStorage::new(), 2);
    let users = [User::new(1), User::new(2)];
    let ids = [
        onboard(&mut s, &users[0], 1000 * E18),
        onboard(&mut s, &users[1], 1000 * E18),
    ];
    s.apply(&users[0].create_pool(ids[0], (0, 1), 0, 1))
        .unwrap();
    s.apply(&users[0].add_liquidity(ids[0], 0, (0, 1), (100 * E18, 400 * E18), 0, 0, 2))
        .unwrap();
    s.apply(&users[1].add_liquidity(ids[1], 0, (0, 1), (10 * E18, 40 * E18), 0, 0, 1))
        .unwrap();
    s.apply(&users[1].swap(ids[1], 0, 0, 1, 3 * E18, 0, 0, 2))
        .unwrap();
    s.seal_batch().unwrap();
    s.seal_block().unwrap();
    s.set_witness_mode(true);
    let pool = PoolId(0);
    let lp = pool.lp_token();
    let p = s.pool(pool).unwrap().expect("the pool");
    let shares: Vec<AccountUpdate> = ids
        .iter()
        .map(|id| s.probe(AccountId(*id), lp).unwrap())
        .collect();
    let pa = s.probe(pool.account_id(), TokenId(0)).unwrap();
    let pb = s.probe(pool.account_id(), TokenId(1)).unwrap();
    let ps = s.probe(pool.account_id(), lp).unwrap();
    json!({
        "root": fr_to_decimal(&s.root().unwrap()),
        "shares": shares.iter().map(share).collect::<Vec<_>>(),
        "pool": {
            "pool": pool.0,
            "tokenA": p.token_a.0,
            "tokenB": p.token_b.0,
            "reserveA": p.reserve_a.to_string(),
            "reserveB": p.reserve_b.to_string(),
            "supply": p.supply.to_string(),
            "pathA": paths(&pa.balance_path),
            "pathB": paths(&pb.balance_path),
            "pathShares": paths(&ps.balance_path),
            "accountPath": paths(&pa.account_path),
        },
    })
}

#[test]
fn the_committed_pool_exit_fixture_is_what_the_state_builds() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/test/fixtures/pool_exit.json");
    let built = serde_json::to_string_pretty(&build()).unwrap() + "\n";
    if std::env::var_os("ZKR_UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &built).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == built,
        "{} is stale: run ZKR_UPDATE_FIXTURES=1 cargo test -p zkr-state --test pool_exit_fixture",
        path.display()
    );
}
