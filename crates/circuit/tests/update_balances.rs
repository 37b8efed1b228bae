//! The several-balances update gadget against the native state transition: a swap changes two
//! balances of the trader and two of the pool; the gadget reaches the same roots from the
//! witnesses the state records, and refuses a balance, a path or a leaf field the tree does
//! not hold.

use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
use zkr_circuit::gadgets::FrVar;
use zkr_circuit::update::{AccountFields, BalanceChange, PathIndex, update_balances};
use zkr_crypto::Fr;
use zkr_state::fixtures::{User, onboard, state_with_tokens};
use zkr_state::storage::MemoryStorage;
use zkr_state::witness::AccountUpdate;
use zkr_types::params::{ACCOUNT_TREE_DEPTH, BALANCE_TREE_DEPTH};
use zkr_types::tx::address_to_fr;

const E18: u128 = 1_000_000_000_000_000_000;

/// The witness of a swap: [trader sell, trader buy, pool sell, pool buy].
fn swap_updates() -> Vec<AccountUpdate> {
    let mut s = state_with_tokens(MemoryStorage::new(), 2);
    let (a, b) = (User::new(1), User::new(2));
    let ids = [
        onboard(&mut s, &a, 1000 * E18),
        onboard(&mut s, &b, 1000 * E18),
    ];
    s.apply(&a.create_pool(ids[0], (0, 1), 0, 1)).unwrap();
    s.apply(&a.add_liquidity(ids[0], 0, (0, 1), (100 * E18, 400 * E18), 0, 0, 2))
        .unwrap();
    s.set_witness_mode(true);
    let applied = s.apply(&b.swap(ids[1], 0, 0, 1, E18, 0, 1_000, 1)).unwrap();
    let updates = applied.witness.unwrap().updates;
    assert_eq!(updates.len(), 4);
    updates
}

fn w(cs: &ConstraintSystemRef<Fr>, v: Fr) -> FrVar {
    FrVar::new_witness(cs.clone(), || Ok(v)).unwrap()
}

fn fields(cs: &ConstraintSystemRef<Fr>, l: &zkr_state::witness::LeafState) -> AccountFields {
    AccountFields {
        owner: w(cs, address_to_fr(&l.owner)),
        pubkey_hash: w(cs, l.pubkey_hash),
        nonce: w(cs, Fr::from(l.nonce.0)),
    }
}

/// The changes of consecutive updates of one account, allocated.
fn changes_of(cs: &ConstraintSystemRef<Fr>, u: &[AccountUpdate]) -> Vec<BalanceChange> {
    u.iter()
        .map(|x| BalanceChange {
            token: PathIndex::new(w(cs, Fr::from(x.token.0)), BALANCE_TREE_DEPTH).unwrap(),
            before: w(cs, Fr::from(x.before.balance)),
            after: w(cs, Fr::from(x.after.balance)),
            path: x.balance_path.iter().map(|s| s.map(|v| w(cs, v))).collect(),
        })
        .collect()
}

/// Runs the gadget over consecutive updates of one account; `tamper` edits them first.
/// Returns whether the constraints hold and the new root is the last update's.
fn check(updates: &[AccountUpdate], tamper: impl FnOnce(&mut Vec<AccountUpdate>)) -> bool {
    let mut u = updates.to_vec();
    tamper(&mut u);
    let cs = ConstraintSystem::<Fr>::new_ref();
    let root_before = w(&cs, updates[0].root_before);
    let account = PathIndex::new(w(&cs, Fr::from(u[0].account_id.0)), ACCOUNT_TREE_DEPTH).unwrap();
    let changes = changes_of(&cs, &u);
    let account_path: Vec<[FrVar; 3]> = u[0]
        .account_path
        .iter()
        .map(|s| s.map(|v| w(&cs, v)))
        .collect();
    let out = update_balances(
        &root_before,
        &fields(&cs, &u[0].before),
        &fields(&cs, &u[u.len() - 1].after),
        &account,
        &changes,
        &account_path,
    )
    .unwrap();
    let expected =
        FrVar::new_input(cs.clone(), || Ok(updates[updates.len() - 1].root_after)).unwrap();
    out.root.enforce_equal(&expected).unwrap();
    let ok = cs.is_satisfied().unwrap();
    if ok {
        assert_eq!(
            out.root.value().unwrap(),
            updates[updates.len() - 1].root_after
        );
    }
    ok
}

#[test]
fn two_balances_of_the_trader_and_of_the_pool_reach_the_native_roots() {
    let u = swap_updates();
    assert!(check(&u[0..2], |_| {}), "the trader");
    assert!(check(&u[2..4], |_| {}), "the pool");
    // a single change works too, and three of one account are the same chain
    assert!(check(&u[0..1], |_| {}));
}

#[test]
fn a_balance_path_or_field_the_tree_does_not_hold_is_refused() {
    let u = swap_updates();
    let trader = &u[0..2];
    // the bought amount one unit larger
    assert!(!check(trader, |u| u[1].after.balance += 1));
    // the sold balance before one unit larger: not the tree's
    assert!(!check(trader, |u| u[0].before.balance += 1));
    // the second change starting from another balance than the first left
    assert!(!check(trader, |u| u[1].before.balance += 1));
    // the second change's path in a tree the first did not leave
    assert!(!check(trader, |u| u[1].balance_path[3][0] += Fr::from(1u64)));
    // another nonce after than the native one
    assert!(!check(trader, |u| u[1].after.nonce.0 += 1));
    // the pool's second change on another token than the native one
    assert!(!check(&u[2..4], |u| u[1].token.0 = 2));
}

/// What it costs: `k` changes of one account against `k` separate updates (measured here and
/// pinned; `BENCHMARKS.md` records the figures).
#[test]
fn several_balances_cost_one_account_path() {
    let cost = |k: usize| {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let u = swap_updates();
        let updates: Vec<AccountUpdate> = (0..k).map(|i| u[i % 2].clone()).collect();
        let root_before = w(&cs, Fr::from(0u64));
        let account = PathIndex::new(w(&cs, Fr::from(1u64)), ACCOUNT_TREE_DEPTH).unwrap();
        let changes = changes_of(&cs, &updates);
        let account_path: Vec<[FrVar; 3]> = u[0]
            .account_path
            .iter()
            .map(|s| s.map(|v| w(&cs, v)))
            .collect();
        let f = fields(&cs, &u[0].before);
        let start = cs.num_constraints();
        update_balances(&root_before, &f, &f, &account, &changes, &account_path).unwrap();
        cs.num_constraints() - start
    };
    let (one, two, three) = (cost(1), cost(2), cost(3));
    println!("update_balances: 1 change {one}, 2 changes {two}, 3 changes {three} constraints");
    // a Merkle level is 303 constraints once the positions are known (6 to place the node,
    // 297 for Poseidon(4)); one change walks 2 x 4 balance and 2 x 12 account levels and
    // hashes two leaves; each further change adds only its two balance paths and an equality
    assert_eq!(one, 2 * (4 + 12) * 303 + 2 * 297 + 1);
    assert_eq!(
        two - one,
        2 * 4 * 303 + 1,
        "a second balance: its two paths and one equality"
    );
    assert_eq!(three - two, two - one);
}
