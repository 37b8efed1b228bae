//! The DEX circuit (union slots) against the native state transition: a batch mixing every DEX
//! operation with transfers, a withdrawal and a deposit satisfies it and proves exactly the
//! native roots and pubdata; each DEX rule, tampered alone, is refused by the constraint that
//! enforces it.

mod common;

use common::{Fx, batch, fixture, violated, violated_by};
use zkr_circuit::{BatchCircuit, BatchWitness, CircuitKind};
use zkr_crypto::Fr;
use zkr_state::OpRequest;
use zkr_types::amm::swap_out;
use zkr_types::float::pack_amount;
use zkr_types::op::{Op, op_elements};
use zkr_types::params::POOL_ACCOUNT_BASE;

/// Pool 0 of (0, 1) created and funded by A; `rest` applied after it in the same batch.
fn dex_batch(fx: &mut Fx, rest: &[OpRequest], slots: usize) -> BatchWitness {
    let (a, ia) = (fx.a.clone(), fx.ia);
    let mut requests = vec![
        a.create_pool(ia, (0, 1), 10, 1),
        a.add_liquidity(ia, 0, (0, 1), (200_000, 300_000), 0, 10, 2),
    ];
    requests.extend_from_slice(rest);
    batch(fx, &requests, slots)
}

#[test]
fn a_batch_mixing_every_operation_proves_the_native_roots_and_pubdata() {
    let mut fx = fixture();
    let (a, b, c) = (fx.a.clone(), fx.b.clone(), fx.c.clone());
    let (ia, ib, ic) = (fx.ia, fx.ib, fx.ic);
    let w = dex_batch(
        &mut fx,
        &[
            b.swap(ib, 0, 0, 1, 10_000, 1, 10, 1),
            b.swap(ib, 0, 1, 0, 10_000, 1, 10, 2),
            b.add_liquidity(ib, 0, (0, 1), (50_000, 50_000), 1, 10, 3),
            a.remove_liquidity(ia, 0, (0, 1), 1_000, (1, 1), 10, 3),
            c.transfer(ic, b.address(), 0, 100, 10, 1),
            c.withdraw(ic, c.address(), 0, 100, 10, 2),
            a.deposit(1, 5),
        ],
        10,
    );
    assert_eq!(w.kind(), CircuitKind::Dex);
    let circuit = BatchCircuit::new(w.clone()).unwrap();
    let (broken, statement) = circuit.evaluate().unwrap();
    assert_eq!(broken, None);
    let st = statement.unwrap();
    assert_eq!(st.old_root, w.old_root);
    assert_eq!(st.new_root, w.new_root);
    let parts = w.commitment().unwrap();
    assert_eq!(st.commitment, parts.commitment());
    let native: Vec<Vec<Fr>> = w
        .slots
        .iter()
        .map(|s| op_elements(&s.op.pubdata().unwrap()))
        .collect();
    assert_eq!(st.elements, native);
    // the transfer circuit refuses the batch
    assert!(BatchCircuit::with_kind(w.clone(), CircuitKind::Transfer).is_err());
}

#[test]
fn a_batch_without_dex_operations_holds_in_both_circuits() {
    let mut fx = fixture();
    let (b, c) = (fx.b.clone(), fx.c.clone());
    let ic = fx.ic;
    let w = batch(
        &mut fx,
        &[
            c.transfer(ic, b.address(), 0, 100, 10, 1),
            c.withdraw(ic, c.address(), 1, 100, 10, 2),
            b.deposit(0, 7),
            c.full_exit(ic, 1),
        ],
        5,
    );
    assert_eq!(w.kind(), CircuitKind::Transfer);
    assert_eq!(violated(&w), None);
    let dex = BatchCircuit::with_kind(w, CircuitKind::Dex).unwrap();
    assert_eq!(dex.check().unwrap(), None);
}

/// The slot of the first operation matching `f`.
fn slot_of(w: &BatchWitness, f: impl Fn(&Op) -> bool) -> usize {
    w.slots.iter().position(|s| f(&s.op)).unwrap()
}

fn swap_batch() -> (BatchWitness, usize) {
    let mut fx = fixture();
    let (b, ib) = (fx.b.clone(), fx.ib);
    let w = dex_batch(&mut fx, &[b.swap(ib, 0, 0, 1, 10_000, 1, 10, 1)], 3);
    let i = slot_of(&w, |o| matches!(o, Op::Swap(_)));
    (w, i)
}

#[test]
fn a_swap_below_its_signed_minimum_is_refused() {
    let (w, i) = swap_batch();
    let out = swap_out(10_000, 200_000, 300_000).unwrap();
    let mut a = w.assignment().unwrap();
    a.slots[i].dex.as_mut().unwrap().packed[0] = Fr::from(pack_amount(out + 1).unwrap());
    assert_eq!(violated_by(&a), Some("swap_min_out"));
    d_check_min(&w, i, out);
}

/// The signed minimum equal to the output is accepted up to the signature (which signed 1).
fn d_check_min(w: &BatchWitness, i: usize, min: u128) {
    let mut a = w.assignment().unwrap();
    a.slots[i].dex.as_mut().unwrap().packed[0] = Fr::from(pack_amount(min).unwrap());
    assert_eq!(violated_by(&a), Some("signature"));
}

#[test]
fn a_swap_against_another_pool_or_pair_is_refused() {
    let (w, i) = swap_batch();
    // the pool id must be the one whose leaf B is
    let mut a = w.assignment().unwrap();
    a.slots[i].dex.as_mut().unwrap().pool = Fr::from(1u64);
    assert_eq!(violated_by(&a), Some("pool_account"));
    // B must hold the key of the pair the slot trades
    let mut a = w.assignment().unwrap();
    a.slots[i].dex.as_mut().unwrap().pair[1] = Fr::from(2u64);
    assert_eq!(violated_by(&a), Some("pool_leaf"));
    // a pair out of order or beyond the L1 tokens
    let mut a = w.assignment().unwrap();
    a.slots[i].dex.as_mut().unwrap().pair = [Fr::from(1u64), Fr::from(0u64)];
    assert_eq!(violated_by(&a), Some("pool_pair"));
    // a user account as the pool: B is A's leaf (owner non-zero)
    let mut a = w.assignment().unwrap();
    a.slots[i].account_b = a.slots[i].account_a;
    a.slots[i].dex.as_mut().unwrap().pool =
        a.slots[i].account_a - Fr::from(u64::from(POOL_ACCOUNT_BASE));
    assert_eq!(violated_by(&a), Some("field_ranges"));
}

#[test]
fn liquidity_minimums_are_enforced() {
    let mut fx = fixture();
    let (a, b, ia, ib) = (fx.a.clone(), fx.b.clone(), fx.ia, fx.ib);
    let w = dex_batch(
        &mut fx,
        &[
            b.add_liquidity(ib, 0, (0, 1), (50_000, 50_000), 1, 10, 1),
            a.remove_liquidity(ia, 0, (0, 1), 1_000, (1, 1), 10, 3),
        ],
        4,
    );
    let add = slot_of(
        &w,
        |o| matches!(o, Op::AddLiquidity(l) if l.account_id.0 == ib),
    );
    let mut x = w.assignment().unwrap();
    x.slots[add].dex.as_mut().unwrap().packed[1] = Fr::from(pack_amount(10u128.pow(9)).unwrap());
    assert_eq!(violated_by(&x), Some("add_min_shares"));
    let rem = slot_of(&w, |o| matches!(o, Op::RemoveLiquidity(_)));
    let mut x = w.assignment().unwrap();
    x.slots[rem].amount_packed = Fr::from(pack_amount(10u128.pow(9)).unwrap());
    assert_eq!(violated_by(&x), Some("remove_minimums"));
    let mut x = w.assignment().unwrap();
    x.slots[rem].dex.as_mut().unwrap().packed[0] = Fr::from(pack_amount(10u128.pow(9)).unwrap());
    assert_eq!(violated_by(&x), Some("remove_minimums"));
}

#[test]
fn lp_shares_are_never_withdrawn_to_l1() {
    // in both circuits, a Withdraw names an L1 token (below 128): LP shares leave by exits only
    let mut fx = fixture();
    let (c, ic) = (fx.c.clone(), fx.ic);
    let w = batch(&mut fx, &[c.withdraw(ic, c.address(), 1, 100, 10, 1)], 1);
    for kind in [CircuitKind::Transfer, CircuitKind::Dex] {
        let mut a = w.assignment_for(kind).unwrap();
        a.slots[0].token = Fr::from(128u64);
        assert_eq!(violated_by(&a), Some("withdraw_l1_token"), "{kind:?}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(6))]

    /// Native and circuit agree (roots, pubdata, commitment) on batches mixing swaps both ways,
    /// liquidity added and removed and a transfer, with random amounts.
    #[test]
    fn native_and_circuit_agree_on_random_mixed_batches(
        sell_first in 1u128..50_000,
        sell_back in 1u128..50_000,
        add in (1u128..100_000, 1u128..100_000),
        burn in 1u128..100_000,
        pay in 1u128..10_000,
    ) {
        let mut fx = fixture();
        let (a, b, c) = (fx.a.clone(), fx.b.clone(), fx.c.clone());
        let (ia, ib, ic) = (fx.ia, fx.ib, fx.ic);
        let round = zkr_types::float::round_down_amount;
        let requests = [
            a.create_pool(ia, (0, 1), 10, 1),
            a.add_liquidity(ia, 0, (0, 1), (200_000, 300_000), 0, 10, 2),
            b.swap(ib, 0, 0, 1, round(sell_first), 0, 10, 1),
            b.swap(ib, 0, 1, 0, round(sell_back), 0, 10, 2),
            c.add_liquidity(ic, 0, (0, 1), (round(add.0), round(add.1)), 0, 10, 1),
            a.remove_liquidity(ia, 0, (0, 1), burn, (0, 0), 10, 3),
            c.transfer(ic, b.address(), 1, round(pay), 10, 2),
        ];
        // the native rules may refuse one (no output, no shares): the batch holds the others
        let mut builder = zkr_circuit::BatchBuilder::new(&mut fx.state, requests.len()).unwrap();
        for r in &requests {
            let _ = builder.apply(r);
        }
        let w = builder.finish().unwrap();
        let (broken, st) = BatchCircuit::new(w.clone()).unwrap().evaluate().unwrap();
        proptest::prop_assert_eq!(broken, None);
        let st = st.unwrap();
        proptest::prop_assert_eq!(st.new_root, w.new_root);
        proptest::prop_assert_eq!(st.commitment, w.commitment().unwrap().commitment());
    }
}

/// The operator's claimed results of the pool arithmetic, one unit off, are refused by the
/// rule that computes them: a swap paying one unit more (k would fall) or less, a first
/// liquidity minting one share more or less (the lock skipped), shares above pro rata or the
/// smaller of the two ratios not taken, one unit less taken for the shares, a removal paying
/// one unit more.
#[test]
fn pool_results_one_unit_off_are_refused() {
    let mut fx = fixture();
    let (a, b, ia, ib) = (fx.a.clone(), fx.b.clone(), fx.ia, fx.ib);
    let w = dex_batch(
        &mut fx,
        &[
            b.swap(ib, 0, 0, 1, 10_000, 1, 10, 1),
            b.add_liquidity(ib, 0, (0, 1), (50_000, 40_000), 1, 10, 2),
            a.remove_liquidity(ia, 0, (0, 1), 1_000, (1, 1), 10, 3),
        ],
        5,
    );
    let first = slot_of(
        &w,
        |o| matches!(o, Op::AddLiquidity(l) if l.account_id.0 == fx.ia),
    );
    let swap = slot_of(&w, |o| matches!(o, Op::Swap(_)));
    let later = slot_of(
        &w,
        |o| matches!(o, Op::AddLiquidity(l) if l.account_id.0 == ib),
    );
    let remove = slot_of(&w, |o| matches!(o, Op::RemoveLiquidity(_)));
    let one = Fr::from(1u64);
    let cases: [(usize, usize, Fr, &str); 9] = [
        (swap, 0, one, "swap_output"),
        (swap, 0, -one, "swap_output"),
        (first, 1, one, "add_first_liquidity"),
        (first, 1, -one, "add_first_liquidity"),
        (later, 2, one, "add_shares_pro_rata"),
        (later, 2, -one, "add_shares_pro_rata"),
        (later, 4, -one, "add_take_pro_rata"),
        (later, 5, one, "add_take_pro_rata"),
        (remove, 6, one, "remove_pro_rata"),
    ];
    assert_eq!(violated(&w), None);
    for (slot, i, delta, rule) in cases {
        let mut x = w.assignment().unwrap();
        x.slots[slot].dex.as_mut().unwrap().hints[i] += delta;
        assert_eq!(
            violated_by(&x),
            Some(rule),
            "hint {i} {delta:?} in slot {slot}"
        );
    }
    // the later provider's ratios differ: claiming the larger one as the minimum is refused
    let mut x = w.assignment().unwrap();
    let d = x.slots[later].dex.as_mut().unwrap();
    d.hints[3] = one - d.hints[3];
    assert_eq!(violated_by(&x), Some("add_shares_pro_rata"));
}

/// A signed maximum far above what the pool takes (its ratio's quotient beyond any bound of
/// the pool's) is valid and proven: only the smaller ratio's quotient is computed. (Found by
/// review: with both quotients computed, this batch could not be proven.)
#[test]
fn liquidity_with_a_huge_maximum_on_the_other_side_is_proven() {
    use zkr_state::fixtures::three_users;
    use zkr_state::storage::MemoryStorage;
    let e18 = 10u128.pow(18);
    let (mut state, [a, b, _], [ia, ib, _]) = three_users(MemoryStorage::new(), 10 * e18);
    let w = zkr_circuit::BatchBuilder::build(
        &mut state,
        3,
        &[
            a.create_pool(ia, (0, 1), 0, 1),
            // ra = 10^6, rb = 10^18: S = 10^12
            a.add_liquidity(ia, 0, (0, 1), (1_000_000, e18), 0, 0, 2),
            // max_a = 10^36: floor(max_a S / ra) = 10^42 > 2^138; the b side binds
            b.add_liquidity(ib, 0, (0, 1), (10u128.pow(36), e18), 1, 0, 1),
        ],
    )
    .unwrap();
    assert!(matches!(w.slots[2].op, Op::AddLiquidity(_)));
    assert_eq!(violated(&w), None);
}

/// CreatePool's leaf must be free in every part: a leaf with the pool key of an unfunded pool but
/// a balance or a nonce (no operation makes one; the native rules, which look at the LP supply
/// only, reuse it) is refused by the balance-root and nonce parts of `create_pool_free_leaf`.
#[test]
fn create_pool_refuses_a_leaf_with_a_balance_or_a_nonce() {
    use zkr_state::account::Account;
    use zkr_types::{AccountId, Nonce, TokenId};
    let pool0 = AccountId(POOL_ACCOUNT_BASE);
    type Tamper = fn(&mut Account);
    let tampers: [(&str, Tamper); 2] = [
        ("a reserve without shares", |a: &mut Account| {
            a.set_balance(TokenId(0), 5)
        }),
        ("a nonce", |a: &mut Account| a.nonce = Nonce(1)),
    ];
    for (what, tamper) in tampers {
        let mut fx = fixture();
        let (a, ia) = (fx.a.clone(), fx.ia);
        batch(&mut fx, &[a.create_pool(ia, (0, 1), 10, 1)], 1);
        fx.state.tamper_account(pool0, TokenId(0), tamper).unwrap();
        let w = batch(&mut fx, &[a.create_pool(ia, (0, 2), 10, 2)], 1);
        match &w.slots[0].op {
            Op::CreatePool(c) => assert_eq!(c.pool.0, 0, "{what}: the native rules reuse pool 0"),
            other => panic!("{other:?}"),
        }
        assert_eq!(violated(&w), Some("create_pool_free_leaf"), "{what}");
    }
}

/// Reserves stay at most `MAX_POOL_RESERVE = 2^112 - 1`: a first liquidity of 6e33 (above
/// 2^112, by a provider who holds it) is refused by the reserve range, with the operator's
/// root for the larger product.
#[test]
fn a_pool_reserve_above_max_pool_reserve_is_refused() {
    use zkr_state::fixtures::three_users;
    use zkr_state::storage::MemoryStorage;
    let (mut state, [a, _, _], [ia, _, _]) = three_users(MemoryStorage::new(), 1 << 113);
    let below = 5 * 10u128.pow(33); // < 2^112
    let w = zkr_circuit::BatchBuilder::build(
        &mut state,
        2,
        &[
            a.create_pool(ia, (0, 1), 0, 1),
            a.add_liquidity(ia, 0, (0, 1), (below, 1_000_000), 0, 0, 2),
        ],
    )
    .unwrap();
    assert_eq!(violated(&w), None);
    let above = 6 * 10u128.pow(33); // > 2^112
    let mut x = w.assignment().unwrap();
    x.slots[1].amount_packed = Fr::from(pack_amount(above).unwrap());
    let root = num_bigint::BigUint::from(above) * num_bigint::BigUint::from(1_000_000u64);
    x.slots[1].dex.as_mut().unwrap().hints[1] =
        <Fr as ark_ff::PrimeField>::from_le_bytes_mod_order(&root.sqrt().to_bytes_le());
    assert_eq!(violated_by(&x), Some("pool_reserve_range"));
}

/// CreatePool may take over a pool nobody funded (its id comes back), and only a leaf that is
/// empty or holds a pool key: claiming it held another key is refused.
#[test]
fn create_pool_reuses_only_a_free_leaf() {
    let mut fx = fixture();
    let (a, ia) = (fx.a.clone(), fx.ia);
    batch(&mut fx, &[a.create_pool(ia, (0, 1), 10, 1)], 1);
    // pool 0 of (0, 1) was never funded: (0, 2) takes its id
    let w = batch(&mut fx, &[a.create_pool(ia, (0, 2), 10, 2)], 1);
    match &w.slots[0].op {
        Op::CreatePool(c) => assert_eq!(c.pool.0, 0),
        other => panic!("{other:?}"),
    }
    assert_eq!(violated(&w), None);
    let mut x = w.assignment().unwrap();
    x.slots[0].dex.as_mut().unwrap().old_pair[1] = Fr::from(2u64);
    assert_eq!(violated_by(&x), Some("create_pool_free_leaf"));
}
