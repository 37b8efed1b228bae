//! The DEX rules of the native state transition (`docs/protocol.md` §3.5, §4.9-§4.12): one
//! test per rule, each rejection leaving the root untouched, and a property test over random
//! sequences of pool operations: `k` never decreases, LP shares are conserved, every token is
//! conserved, rejected operations change nothing.

use proptest::prelude::*;
use zkr_state::fixtures::{User, onboard, state_with_tokens};
use zkr_state::storage::MemoryStorage;
use zkr_state::{OpRequest, Pool, State, StateError};
use zkr_types::amm::{AmmError, swap_out};
use zkr_types::dex::PoolId;
use zkr_types::op::Op;
use zkr_types::params::{MIN_LIQUIDITY, POOL_ACCOUNT_BASE};
use zkr_types::{AccountId, Address, TokenId};

const E18: u128 = 1_000_000_000_000_000_000;
const PAIR: (u16, u16) = (0, 1);

fn setup() -> (State<MemoryStorage>, [User; 2], [u32; 2]) {
    let mut s = state_with_tokens(MemoryStorage::new(), 3);
    let users = [User::new(1), User::new(2)];
    let ids = [
        onboard(&mut s, &users[0], 1000 * E18),
        onboard(&mut s, &users[1], 1000 * E18),
    ];
    (s, users, ids)
}

/// Applies `r`, expecting a rejection that leaves the root as it was.
fn rejects(s: &mut State<MemoryStorage>, r: &OpRequest) -> StateError {
    let before = s.root().unwrap();
    let e = s.apply(r).expect_err("must be rejected");
    assert_eq!(
        s.root().unwrap(),
        before,
        "a rejected {e} changed the state"
    );
    e
}

/// The smallest packable amount above `v` (signed minimums must be packable).
fn above(v: u128) -> u128 {
    let mut step = 1;
    loop {
        let c = (v / step + 1) * step;
        if zkr_types::float::is_amount_packable(c) {
            return c;
        }
        step *= 10;
    }
}

fn pool(s: &State<MemoryStorage>) -> Pool {
    s.pool_of_pair(TokenId(0), TokenId(1))
        .unwrap()
        .expect("the pool")
}

fn balance(s: &State<MemoryStorage>, id: u32, token: u16) -> u128 {
    s.account(AccountId(id))
        .unwrap()
        .unwrap()
        .balance(TokenId(token))
}

/// A pool of (0, 1) created by user 0 and seeded with 100 and 400.
fn with_pool() -> (State<MemoryStorage>, [User; 2], [u32; 2]) {
    let (mut s, u, ids) = setup();
    s.apply(&u[0].create_pool(ids[0], PAIR, 0, 1)).unwrap();
    s.apply(&u[0].add_liquidity(ids[0], 0, PAIR, (100 * E18, 400 * E18), 0, 0, 2))
        .unwrap();
    (s, u, ids)
}

#[test]
fn create_pool_makes_an_empty_special_account_at_a_pool_id() {
    let (mut s, u, ids) = setup();
    let applied = s.apply(&u[0].create_pool(ids[0], PAIR, E18, 1)).unwrap();
    let Op::CreatePool(op) = &applied.op else {
        panic!("{:?}", applied.op)
    };
    assert_eq!(op.pool, PoolId(0));
    assert_eq!(applied.pubdata.len(), 9);
    let p = pool(&s);
    assert_eq!((p.reserve_a, p.reserve_b, p.supply), (0, 0, 0));
    let leaf = s.account(AccountId(POOL_ACCOUNT_BASE)).unwrap().unwrap();
    assert_eq!(leaf.owner, Address::ZERO, "nobody owns a pool");
    assert_eq!(
        balance(&s, ids[0], 0),
        999 * E18,
        "the creator paid the fee"
    );
    // one pool per pair, in either order of the pair; pairs must be ordered L1 tokens
    let e = rejects(&mut s, &u[1].create_pool(ids[1], PAIR, 0, 1));
    assert!(matches!(e, StateError::PoolExists(..)), "{e}");
    let e = rejects(&mut s, &u[1].create_pool(ids[1], (1, 0), 0, 1));
    assert!(matches!(e, StateError::Types(_)), "{e}");
    let e = rejects(&mut s, &u[1].create_pool(ids[1], (1, 128), 0, 1));
    assert!(matches!(e, StateError::Types(_)), "{e}");
    let e = rejects(&mut s, &u[1].create_pool(ids[1], (1, 100), 0, 1));
    assert!(matches!(e, StateError::UnknownToken(_)), "{e}");
    // a pool nobody added liquidity to does not hold its id for good: the next pair reuses it
    let applied = s.apply(&u[1].create_pool(ids[1], (1, 2), 0, 1)).unwrap();
    assert!(matches!(applied.op, Op::CreatePool(ref c) if c.pool == PoolId(0)));
    assert!(s.pool_of_pair(TokenId(0), TokenId(1)).unwrap().is_none());
}

#[test]
fn a_pool_with_liquidity_keeps_its_id_and_a_signed_pool_must_hold_the_pair() {
    let (mut s, u, ids) = with_pool();
    let applied = s.apply(&u[1].create_pool(ids[1], (1, 2), 0, 1)).unwrap();
    assert!(matches!(applied.op, Op::CreatePool(ref c) if c.pool == PoolId(1)));
    // a swap of (0, 1) signed for pool 1, which holds (1, 2): refused
    let e = rejects(&mut s, &u[1].swap(ids[1], 1, 0, 1, E18, 0, 0, 2));
    assert!(matches!(e, StateError::NoSuchPool(..)), "{e}");
    let e = rejects(
        &mut s,
        &u[1].add_liquidity(ids[1], 1, PAIR, (E18, E18), 0, 0, 2),
    );
    assert!(matches!(e, StateError::NoSuchPool(..)), "{e}");
    let e = rejects(&mut s, &u[1].swap(ids[1], 5, 0, 1, E18, 0, 0, 2));
    assert!(matches!(e, StateError::NoSuchPool(..)), "no pool 5: {e}");
}

#[test]
fn first_liquidity_mints_sqrt_and_locks_the_minimum() {
    let (s, _, ids) = with_pool();
    let p = pool(&s);
    // sqrt(100e18 * 400e18) = 200e18
    assert_eq!(
        (p.reserve_a, p.reserve_b, p.supply),
        (100 * E18, 400 * E18, 200 * E18)
    );
    assert_eq!(
        balance(&s, ids[0], p.lp_token().0),
        200 * E18 - MIN_LIQUIDITY
    );
    assert_eq!(balance(&s, ids[0], 0), 900 * E18);
    assert_eq!(balance(&s, ids[0], 1), 600 * E18);
}

#[test]
fn a_first_liquidity_at_or_below_the_minimum_is_refused() {
    let (mut s, u, ids) = setup();
    s.apply(&u[0].create_pool(ids[0], PAIR, 0, 1)).unwrap();
    let e = rejects(
        &mut s,
        &u[0].add_liquidity(ids[0], 0, PAIR, (1000, 1000), 0, 0, 2),
    );
    assert_eq!(e, StateError::Amm(AmmError::BelowMinimumLiquidity));
}

#[test]
fn later_liquidity_is_pro_rata_and_takes_no_more_than_the_shares_are_worth() {
    let (mut s, u, ids) = with_pool();
    // b is the binding side: 40 b buys 20 shares, worth 10 a
    let applied = s
        .apply(&u[1].add_liquidity(ids[1], 0, PAIR, (50 * E18, 40 * E18), 0, 0, 1))
        .unwrap();
    assert_eq!(applied.pubdata.len(), 17);
    let p = pool(&s);
    assert_eq!(
        (p.reserve_a, p.reserve_b, p.supply),
        (110 * E18, 440 * E18, 220 * E18)
    );
    assert_eq!(balance(&s, ids[1], p.lp_token().0), 20 * E18);
    assert_eq!(balance(&s, ids[1], 0), 990 * E18, "only 10 a taken of 50");
    // the signed minimum of shares binds
    let e = rejects(
        &mut s,
        &u[1].add_liquidity(ids[1], 0, PAIR, (11 * E18, 44 * E18), above(22 * E18), 0, 2),
    );
    assert!(matches!(e, StateError::Slippage { .. }), "{e}");
}

#[test]
fn a_swap_pays_exactly_the_curve_minus_the_fee_and_k_grows() {
    let (mut s, u, ids) = with_pool();
    let before = pool(&s);
    let out = swap_out(E18, before.reserve_a, before.reserve_b).unwrap();
    let applied = s
        .apply(&u[1].swap(
            ids[1],
            0,
            0,
            1,
            E18,
            zkr_types::float::round_down_amount(out),
            1_000,
            1,
        ))
        .unwrap();
    assert_eq!(applied.pubdata.len(), 12);
    let after = pool(&s);
    assert_eq!(after.reserve_a, before.reserve_a + E18);
    assert_eq!(after.reserve_b, before.reserve_b - out);
    let k = |p: &Pool| {
        alloy_primitives::U256::from(p.reserve_a) * alloy_primitives::U256::from(p.reserve_b)
    };
    assert!(k(&after) > k(&before), "the fee stays in the pool");
    assert_eq!(balance(&s, ids[1], 0), 1000 * E18 - E18 - 1_000);
    assert_eq!(balance(&s, ids[1], 1), 1000 * E18 + out);
    // the other way: b for a, the direction bit set in the pubdata
    let applied = s.apply(&u[1].swap(ids[1], 0, 1, 0, E18, 0, 0, 2)).unwrap();
    assert!(matches!(applied.op, Op::Swap(ref x) if x.sell_b));
    assert_eq!(applied.pubdata[4], 0x80, "pool 0, selling b");
}

#[test]
fn swaps_below_the_signed_minimum_or_without_a_pool_are_refused() {
    let (mut s, u, ids) = with_pool();
    let p = pool(&s);
    let out = swap_out(E18, p.reserve_a, p.reserve_b).unwrap();
    let e = rejects(&mut s, &u[1].swap(ids[1], 0, 0, 1, E18, above(out), 0, 1));
    assert_eq!(
        e,
        StateError::Slippage {
            what: "the output",
            got: out,
            min: above(out)
        }
    );
    let e = rejects(&mut s, &u[1].swap(ids[1], 0, 0, 2, E18, 0, 0, 1));
    assert!(matches!(e, StateError::NoSuchPool(..)), "{e}");
    let e = rejects(&mut s, &u[1].swap(ids[1], 0, 1, 1, E18, 0, 0, 1));
    assert!(
        matches!(e, StateError::Types(_)),
        "the same token on both sides: {e}"
    );
    // an input that buys nothing
    let e = rejects(&mut s, &u[1].swap(ids[1], 0, 1, 0, 1, 0, 0, 1));
    assert!(matches!(e, StateError::Slippage { got: 0, .. }), "{e}");
    // more than the trader holds
    let e = rejects(&mut s, &u[1].swap(ids[1], 0, 0, 1, 1001 * E18, 0, 0, 1));
    assert!(matches!(e, StateError::InsufficientBalance { .. }), "{e}");
    // another key cannot sign for the trader
    let e = rejects(&mut s, &u[0].swap(ids[1], 0, 0, 1, E18, 0, 0, 1));
    assert!(matches!(e, StateError::WrongSigner(_)), "{e}");
}

#[test]
fn removing_liquidity_pays_pro_rata_rounded_down_and_burns_the_shares() {
    let (mut s, u, ids) = with_pool();
    let lp = pool(&s).lp_token().0;
    let shares = balance(&s, ids[0], lp);
    let applied = s
        .apply(&u[0].remove_liquidity(ids[0], 0, PAIR, shares, (0, 0), 0, 3))
        .unwrap();
    assert_eq!(applied.pubdata.len(), 23);
    let p = pool(&s);
    assert_eq!(p.supply, MIN_LIQUIDITY, "only the locked shares are left");
    assert!(
        p.reserve_a >= 1 && p.reserve_b >= 1,
        "a pool with shares keeps reserves"
    );
    assert_eq!(balance(&s, ids[0], lp), 0);
    assert_eq!(
        balance(&s, ids[0], 0) + p.reserve_a,
        1000 * E18,
        "token a conserved"
    );
    assert_eq!(
        balance(&s, ids[0], 1) + p.reserve_b,
        1000 * E18,
        "token b conserved"
    );
    // no shares left to burn
    let e = rejects(
        &mut s,
        &u[0].remove_liquidity(ids[0], 0, PAIR, 1, (0, 0), 0, 4),
    );
    assert!(matches!(e, StateError::InsufficientBalance { .. }), "{e}");
}

#[test]
fn remove_minimums_bind() {
    let (mut s, u, ids) = with_pool();
    let e = rejects(
        &mut s,
        &u[0].remove_liquidity(ids[0], 0, PAIR, 20 * E18, (above(10 * E18), 0), 0, 3),
    );
    assert!(
        matches!(e, StateError::Slippage { got, .. } if got == 10 * E18),
        "{e}"
    );
    let e = rejects(
        &mut s,
        &u[0].remove_liquidity(ids[0], 0, PAIR, 20 * E18, (0, above(40 * E18)), 0, 3),
    );
    assert!(
        matches!(e, StateError::Slippage { got, .. } if got == 40 * E18),
        "{e}"
    );
}

#[test]
fn lp_shares_transfer_like_any_token_but_never_leave_l2() {
    let (mut s, u, ids) = with_pool();
    let lp = pool(&s).lp_token().0;
    s.apply(&u[0].transfer(ids[0], u[1].address(), lp, 5 * E18, 0, 3))
        .unwrap();
    assert_eq!(balance(&s, ids[1], lp), 5 * E18);
    let e = rejects(
        &mut s,
        &u[1].withdraw(ids[1], u[1].address(), lp, E18, 0, 1),
    );
    assert_eq!(e, StateError::NotAnL1Token(TokenId(lp)));
    let e = rejects(&mut s, &u[1].deposit(lp, E18));
    assert_eq!(e, StateError::NotAnL1Token(TokenId(lp)));
    // a full exit of an LP token pays nothing (L1 never asks for one)
    let applied = s.apply(&u[1].full_exit(ids[1], lp)).unwrap();
    assert!(matches!(applied.op, Op::FullExit(ref f) if f.amount.0 == 0));
    // the receiver of shares can burn them
    s.apply(&u[1].remove_liquidity(ids[1], 0, PAIR, 5 * E18, (1, 1), 0, 1))
        .unwrap();
}

#[test]
fn a_pool_is_nobodys_account() {
    let (mut s, u, ids) = with_pool();
    let pool_id = POOL_ACCOUNT_BASE;
    // nothing signs for it, a transfer cannot name it, a full exit pays nothing from it
    let e = rejects(&mut s, &u[0].transfer(pool_id, u[0].address(), 0, 1, 0, 0));
    assert_eq!(e, StateError::UnknownAccount(AccountId(pool_id)));
    let applied = s.apply(&u[0].full_exit(pool_id, 0)).unwrap();
    assert!(matches!(applied.op, Op::FullExit(ref f) if f.amount.0 == 0));
    assert_eq!(pool(&s).reserve_a, 100 * E18);
    let _ = ids;
}

/// One random pool operation by one of two users.
#[derive(Debug, Clone)]
enum Action {
    Swap {
        user: usize,
        sell_b: bool,
        amount: u128,
        min_out: u128,
    },
    Add {
        user: usize,
        a: u128,
        b: u128,
        min: u128,
    },
    Remove {
        user: usize,
        permille: u128,
        min_a: u128,
    },
    Transfer {
        user: usize,
        amount: u128,
    },
}

fn amount() -> impl Strategy<Value = u128> {
    // packable: mantissa below 2^35 times a power of ten
    (1u128..1 << 34, 0u32..=19).prop_map(|(m, e)| m * 10u128.pow(e))
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (
            0..2usize,
            any::<bool>(),
            amount(),
            prop_oneof![Just(0u128), amount()]
        )
            .prop_map(|(user, sell_b, amount, min_out)| Action::Swap {
                user,
                sell_b,
                amount,
                min_out
            }),
        (
            0..2usize,
            amount(),
            amount(),
            prop_oneof![Just(0u128), amount()]
        )
            .prop_map(|(user, a, b, min)| Action::Add { user, a, b, min }),
        (0..2usize, 1u128..=1000, prop_oneof![Just(0u128), amount()]).prop_map(
            |(user, permille, min_a)| Action::Remove {
                user,
                permille,
                min_a
            }
        ),
        (0..2usize, amount()).prop_map(|(user, amount)| Action::Transfer { user, amount }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pools_conserve_tokens_and_shares_and_k_never_falls(actions in prop::collection::vec(action(), 1..25)) {
        let (mut s, u, ids) = with_pool();
        let lp = pool(&s).lp_token().0;
        let mut nonces = [3u32, 1u32];
        let total = |s: &State<MemoryStorage>, t: u16| {
            let p = pool(s);
            let r = if t == 0 { p.reserve_a } else { p.reserve_b };
            balance(s, ids[0], t) + balance(s, ids[1], t) + r
        };
        let (total_a, total_b) = (total(&s, 0), total(&s, 1));
        for act in actions {
            let before = pool(&s);
            let root = s.root().unwrap();
            let (user, req) = match act {
                Action::Swap { user, sell_b, amount, min_out } => {
                    let (sell, buy) = if sell_b { (1, 0) } else { (0, 1) };
                    (user, u[user].swap(ids[user], 0, sell, buy, amount, min_out, 0, nonces[user]))
                }
                Action::Add { user, a, b, min } =>
                    (user, u[user].add_liquidity(ids[user], 0, PAIR, (a, b), min, 0, nonces[user])),
                Action::Remove { user, permille, min_a } => {
                    let held = balance(&s, ids[user], lp);
                    let shares = zkr_types::float::round_down_amount(held * permille / 1000);
                    (user, u[user].remove_liquidity(ids[user], 0, PAIR, shares, (min_a, 0), 0, nonces[user]))
                }
                Action::Transfer { user, amount } => {
                    let to = u[1 - user].address();
                    (user, u[user].transfer(ids[user], to, lp, amount, 0, nonces[user]))
                }
            };
            match s.apply(&req) {
                Ok(_) => nonces[user] += 1,
                Err(_) => prop_assert_eq!(s.root().unwrap(), root, "a rejection changed the root"),
            }
            let after = pool(&s);
            // k never decreases (compared as 256-bit products)
            let k = |p: &Pool| alloy_primitives::U256::from(p.reserve_a) * alloy_primitives::U256::from(p.reserve_b);
            if after.supply == before.supply {
                prop_assert!(k(&after) >= k(&before), "a swap decreased k");
            } else {
                // liquidity moves: reserves per share never fall
                prop_assert!(
                    alloy_primitives::U256::from(after.reserve_a) * alloy_primitives::U256::from(before.supply)
                        >= alloy_primitives::U256::from(before.reserve_a) * alloy_primitives::U256::from(after.supply)
                );
                prop_assert!(
                    alloy_primitives::U256::from(after.reserve_b) * alloy_primitives::U256::from(before.supply)
                        >= alloy_primitives::U256::from(before.reserve_b) * alloy_primitives::U256::from(after.supply)
                );
            }
            // shares: the pool's supply is the locked minimum plus what the users hold
            prop_assert_eq!(after.supply, MIN_LIQUIDITY + balance(&s, ids[0], lp) + balance(&s, ids[1], lp));
            // tokens: users plus reserves (fees are 0 here)
            prop_assert_eq!(total(&s, 0), total_a);
            prop_assert_eq!(total(&s, 1), total_b);
        }
    }
}

/// `zkr rebuild` replays each DEX operation from its pubdata alone (no signature, no signed
/// minimum): the same pools, balances, nonces and root, fees included.
#[test]
fn dex_operations_replay_from_their_pubdata_alone() {
    let mut s = state_with_tokens(MemoryStorage::new(), 3);
    let mut r = state_with_tokens(MemoryStorage::new(), 3);
    let u = [User::new(1), User::new(2)];
    let (a, b) = (0u32, 1u32);
    let requests = [
        u[0].deposit(0, 1000 * E18),
        u[0].deposit(1, 1000 * E18),
        u[1].deposit(0, 1000 * E18),
        u[1].deposit(1, 1000 * E18),
        u[0].change_pubkey(a, 0, E18 / 100, 0),
        u[1].change_pubkey(b, 1, E18 / 100, 0),
        u[0].create_pool(a, PAIR, E18 / 1000, 1),
        u[0].add_liquidity(a, 0, PAIR, (100 * E18, 400 * E18), 0, E18 / 1000, 2),
        u[1].add_liquidity(b, 0, PAIR, (10 * E18, 50 * E18), 0, 0, 1),
        u[1].swap(b, 0, 0, 1, 3 * E18, E18, E18 / 1000, 2),
        u[0].swap(a, 0, 1, 0, 7 * E18, 0, 0, 3),
        u[1].remove_liquidity(b, 0, PAIR, 5 * E18, (0, 0), E18 / 1000, 3),
        u[1].transfer(b, u[0].address(), 128, E18, 0, 4),
    ];
    let mut kinds = Vec::new();
    for (i, req) in requests.iter().enumerate() {
        let applied = s.apply(req).unwrap_or_else(|e| panic!("request {i}: {e}"));
        let ops = zkr_types::op::parse_pubdata(&applied.pubdata).unwrap();
        r.replay(&ops[0])
            .unwrap_or_else(|e| panic!("replay {i}: {e}"));
        assert_eq!(r.root().unwrap(), s.root().unwrap(), "after request {i}");
        kinds.push(ops[0].op_type());
    }
    for t in [
        zkr_types::op::op_type::CREATE_POOL,
        zkr_types::op::op_type::ADD_LIQUIDITY,
        zkr_types::op::op_type::SWAP,
        zkr_types::op::op_type::REMOVE_LIQUIDITY,
    ] {
        assert!(kinds.contains(&t), "op type {t} exercised");
    }
    for st in [&mut s, &mut r] {
        st.set_fee_account(AccountId(a)).unwrap();
        st.seal_batch().unwrap();
        st.seal_block().unwrap();
    }
    assert_eq!(r.root().unwrap(), s.root().unwrap());
    assert_eq!(pool(&r), pool(&s));
    for id in [a, b] {
        assert_eq!(
            r.account(AccountId(id)).unwrap(),
            s.account(AccountId(id)).unwrap()
        );
    }
    // A DEX operation on a pool that does not exist is refused, not invented.
    let mut fresh = state_with_tokens(MemoryStorage::new(), 3);
    let swap = zkr_types::op::parse_pubdata(
        &s.apply(&u[1].swap(b, 0, 0, 1, E18, 0, 0, 5))
            .unwrap()
            .pubdata,
    )
    .unwrap();
    assert!(fresh.replay(&swap[0]).is_err());
}

/// The replay takes what the circuit takes, not only what the native rules make: the operator
/// chooses a pool's id (here 5 while 0 is free) and may create a second pool of a pair (§4.9:
/// both are native-only rules). A rebuild must follow, or exodus users could not exit.
#[test]
fn replay_takes_pools_the_native_rules_would_not_create() {
    use zkr_types::dex::{AddLiquidityOp, CreatePoolOp, SwapOp};
    use zkr_types::op::Op;
    let (mut r, _, ids) = setup();
    let a = AccountId(ids[0]);
    let nonce = |r: &State<MemoryStorage>| r.account(a).unwrap().unwrap().nonce.0;
    let n0 = nonce(&r);
    for p in [5u8, 6] {
        r.replay(&Op::CreatePool(CreatePoolOp {
            account_id: a,
            pool: PoolId(p),
            token_a: TokenId(0),
            token_b: TokenId(1),
            fee: zkr_types::Amount(1000),
        }))
        .unwrap();
    }
    assert_eq!(nonce(&r), n0 + 2);
    assert_eq!(balance(&r, ids[0], 0), 1000 * E18 - 2000);
    assert!(r.pool(PoolId(0)).unwrap().is_none());
    for p in [5u8, 6] {
        let pool = r
            .pool(PoolId(p))
            .unwrap()
            .expect("created where the operator said");
        assert_eq!((pool.token_a, pool.token_b), (TokenId(0), TokenId(1)));
    }
    // The second pool of the pair takes liquidity and trades like any pool.
    r.replay(&Op::AddLiquidity(AddLiquidityOp {
        account_id: a,
        pool: PoolId(6),
        max_a: zkr_types::Amount(10 * E18),
        max_b: zkr_types::Amount(40 * E18),
        fee: zkr_types::Amount(0),
    }))
    .unwrap();
    r.replay(&Op::Swap(SwapOp {
        account_id: AccountId(ids[1]),
        pool: PoolId(6),
        sell_b: false,
        amount_in: zkr_types::Amount(E18),
        fee: zkr_types::Amount(0),
    }))
    .unwrap();
    let pool = r.pool(PoolId(6)).unwrap().unwrap();
    assert_eq!(pool.reserve_a, 11 * E18);
    assert_eq!(
        balance(&r, ids[1], 1),
        1000 * E18 + (40 * E18 - pool.reserve_b)
    );
    // A pool with liquidity is not a free leaf.
    let over = r.replay(&Op::CreatePool(CreatePoolOp {
        account_id: a,
        pool: PoolId(6),
        token_a: TokenId(0),
        token_b: TokenId(2),
        fee: zkr_types::Amount(0),
    }));
    assert!(over.is_err());
}
