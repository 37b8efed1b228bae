//! The DEX circuit's union slot: every operation of `docs/protocol.md` §4, the pool operations
//! of §4.9-§4.12 included, in one slot that changes up to three balances of each of two
//! accounts (A: the signer, depositor or exiting account; B: the receiver or the pool). Batches
//! without a DEX operation keep the cheaper transfer slot ([`crate::slot`]); see
//! `docs/prover.md` for the choice and its figures.
//!
//! The operation type selects which constraints bind; every value below is the operator's
//! choice, so each DEX rule is a constraint here, never an assumption about the witness.

use crate::assignment::{ChangeAssignment, DexAssignment, SlotAssignment};
use crate::gadgets::amm::{big_of, ceil_div_as, floor_div_as, isqrt_as};
use crate::gadgets::bits::{range_check, to_bits_le};
use crate::gadgets::eddsa;
use crate::gadgets::float::{enforce_canonical, unpack};
use crate::gadgets::poseidon::poseidon;
use crate::gadgets::{BoolVar, FrVar, GResult, enforce_nonzero_if};
use crate::pubdata::{Field, elements};
use crate::slot::{
    BatchCtx, LegacyOps, SlotOutput, absorb_pubdata, alloc_point, credit_fee, enforce_below_pools,
    enforce_empty_if, enforce_zero_product, legacy_layouts, pow2,
};
use crate::update::{AccountFields, BalanceChange, PathIndex, update_balances, wit};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;
use zkr_crypto::Fr;
use zkr_types::float::{AMOUNT_MANTISSA_BITS, FEE_MANTISSA_BITS};
use zkr_types::op::op_type;
use zkr_types::params::{
    ACCOUNT_TREE_DEPTH, BALANCE_TREE_DEPTH, LP_TOKEN_BASE, MAX_L1_TOKENS, MIN_LIQUIDITY,
    POOL_ACCOUNT_BASE,
};

/// Bits of a pool reserve or LP supply (`MAX_POOL_RESERVE = 2^112 - 1`).
const RESERVE_BITS: usize = 112;
/// Operation types of the union slot, in one-hot order.
const TYPES: [u8; 11] = [
    op_type::NOOP,
    op_type::DEPOSIT,
    op_type::CHANGE_PUBKEY,
    op_type::TRANSFER,
    op_type::TRANSFER_TO_NEW,
    op_type::WITHDRAW,
    op_type::FULL_EXIT,
    op_type::SWAP,
    op_type::ADD_LIQUIDITY,
    op_type::REMOVE_LIQUIDITY,
    op_type::CREATE_POOL,
];

/// `2^253 + 1 + 2^8 a + 2^16 b`: the key hash of the pool of `(a, b)` (§3.5).
fn pool_key(a: &FrVar, b: &FrVar) -> FrVar {
    a * pow2(8) + b * pow2(16) + (pow2(253) + Fr::from(1u64))
}

fn alloc_changes(
    cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>,
    first_balance: Fr,
    first_path: &[[Fr; 3]],
    more: &[ChangeAssignment; 2],
) -> GResult<Vec<(FrVar, Vec<[FrVar; 3]>)>> {
    let path = |p: &[[Fr; 3]]| -> GResult<Vec<[FrVar; 3]>> {
        assert_eq!(p.len(), BALANCE_TREE_DEPTH);
        p.iter()
            .map(|s| Ok([wit(cs, s[0])?, wit(cs, s[1])?, wit(cs, s[2])?]))
            .collect()
    };
    let mut out = vec![(wit(cs, first_balance)?, path(first_path)?)];
    for c in more {
        out.push((wit(cs, c.before)?, path(&c.path)?));
    }
    Ok(out)
}

fn account_path(
    cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>,
    p: &[[Fr; 3]],
) -> GResult<Vec<[FrVar; 3]>> {
    assert_eq!(p.len(), ACCOUNT_TREE_DEPTH);
    p.iter()
        .map(|s| Ok([wit(cs, s[0])?, wit(cs, s[1])?, wit(cs, s[2])?]))
        .collect()
}

/// Adds one union slot's constraints.
pub fn synthesize_union_slot(
    ctx: &mut BatchCtx,
    index: usize,
    w: &SlotAssignment,
) -> GResult<SlotOutput> {
    let d: &DexAssignment = w.dex.as_ref().ok_or(SynthesisError::AssignmentMissing)?;
    let at = Some(index);
    let cs = ctx.cs.clone();

    // Operation type, one-hot over the eleven types.
    let m = ctx.mark();
    let is: Vec<BoolVar> = TYPES
        .iter()
        .map(|t| BoolVar::new_witness(cs.clone(), || Ok(w.op_type == Fr::from(u64::from(*t)))))
        .collect::<GResult<_>>()?;
    is.iter()
        .fold(FrVar::zero(), |acc, b| acc + FrVar::from(b.clone()))
        .enforce_equal(&FrVar::one())?;
    let f = |i: usize| FrVar::from(is[i].clone());
    let (noop, dep, cpk, tr, trn, wd, fe) = (f(0), f(1), f(2), f(3), f(4), f(5), f(6));
    let (swap, add, rem, cp) = (f(7), f(8), f(9), f(10));
    let any_transfer = &tr + &trn;
    let pool_op = &swap + &add + &rem;
    let dex = &pool_op + &cp;
    let signed_f = &cpk + &any_transfer + &wd + &dex;
    let signed = BoolVar::new_witness(cs.clone(), || {
        Ok(TYPES[2..]
            .iter()
            .any(|t| w.op_type == Fr::from(u64::from(*t)) && *t != op_type::FULL_EXIT))
    })?;
    FrVar::from(signed.clone()).enforce_equal(&signed_f)?;
    ctx.close("op_type", at, m);

    // Fields, range-checked once and shared by every operation type.
    let m = ctx.mark();
    let token = PathIndex::new(wit(&cs, w.token)?, BALANCE_TREE_DEPTH)?;
    let id_a = PathIndex::new(wit(&cs, w.account_a)?, ACCOUNT_TREE_DEPTH)?;
    let id_b = PathIndex::new(wit(&cs, w.account_b)?, ACCOUNT_TREE_DEPTH)?;
    let address = wit(&cs, w.address)?;
    let address_bits = to_bits_le(&address, 160)?;
    let amount128 = wit(&cs, w.amount)?;
    let amount128_bits = to_bits_le(&amount128, 128)?;
    let amount = unpack(&wit(&cs, w.amount_packed)?, AMOUNT_MANTISSA_BITS as usize)?;
    let amount2 = unpack(&wit(&cs, d.packed[0])?, AMOUNT_MANTISSA_BITS as usize)?;
    let amount3 = unpack(&wit(&cs, d.packed[1])?, AMOUNT_MANTISSA_BITS as usize)?;
    let fee = unpack(&wit(&cs, w.fee_packed)?, FEE_MANTISSA_BITS as usize)?;
    let new_pkh = wit(&cs, w.new_pubkey_hash)?;
    let pool = wit(&cs, d.pool)?;
    let pool_bits = to_bits_le(&pool, 7)?;
    let pair_a = wit(&cs, d.pair[0])?;
    let pair_a_bits = to_bits_le(&pair_a, 8)?;
    let pair_b = wit(&cs, d.pair[1])?;
    let pair_b_bits = to_bits_le(&pair_b, 8)?;
    let sell_b = BoolVar::new_witness(cs.clone(), || Ok(d.sell_b == Fr::from(1u64)))?;
    let old_a = wit(&cs, d.old_pair[0])?;
    range_check(&old_a, 8)?;
    let old_b = wit(&cs, d.old_pair[1])?;
    range_check(&old_b, 8)?;
    ctx.close("field_ranges", at, m);
    let m = ctx.mark();
    for x in [&amount, &amount2, &amount3, &fee] {
        enforce_canonical(x)?;
    }
    ctx.close("packed_canonical", at, m);
    let m = ctx.mark();
    for x in [&amount, &amount2, &amount3] {
        range_check(&x.value, 128)?;
    }
    ctx.close("packed_amount_range", at, m);
    let m = ctx.mark();
    enforce_nonzero_if(&cs, &(&dep + &any_transfer + &wd), &address)?;
    ctx.close("address_not_zero", at, m);
    // Withdrawals pay L1 tokens only (LP shares leave through exits).
    let m = ctx.mark();
    range_check(&(&wd * &token.value), 7)?;
    ctx.close("withdraw_l1_token", at, m);

    // The pool's pair: `a < b < MAX_L1_TOKENS`, and a pool operation's account B is the pool.
    let m = ctx.mark();
    debug_assert_eq!(MAX_L1_TOKENS, 128);
    range_check(&(&dex * &pair_b), 7)?;
    range_check(&(&dex * (&pair_b - &pair_a - Fr::from(1u64))), 7)?;
    ctx.close("pool_pair", at, m);
    let m = ctx.mark();
    enforce_zero_product(
        &dex,
        &(&id_b.value - &pool - Fr::from(u64::from(POOL_ACCOUNT_BASE))),
    )?;
    ctx.close("pool_account", at, m);
    let sell = &pair_a + FrVar::from(sell_b.clone()) * (&pair_b - &pair_a);
    let buy = &pair_a + &pair_b - &sell;
    let lp = &pool + Fr::from(u64::from(LP_TOKEN_BASE));
    // A DEX operation's `token` is its fee token: the sold token of a swap, else the pair's a.
    let m = ctx.mark();
    let fee_token = &pair_a + &swap * (&sell - &pair_a);
    enforce_zero_product(&dex, &(&token.value - fee_token))?;
    ctx.close("dex_fee_token", at, m);

    // The tokens of the three balance changes of each account (§4.9-§4.12; unused changes
    // repeat the previous one without a change).
    let m = ctx.mark();
    let t = &token.value;
    let ta = [
        t + &rem * (&lp - t),
        t + &swap * (&buy - t) + &add * (&pair_b - t) + &rem * (&pair_a - t),
        t + &swap * (&buy - t) + &add * (&lp - t) + &rem * (&pair_b - t),
    ];
    let tb = [
        t.clone(),
        t + &swap * (&buy - t) + &(&add + &rem) * (&pair_b - t),
        t + &swap * (&buy - t) + &(&add + &rem) * (&lp - t),
    ];
    let ta: Vec<PathIndex> = ta
        .into_iter()
        .map(|v| PathIndex::new(v, BALANCE_TREE_DEPTH))
        .collect::<GResult<_>>()?;
    let tb: Vec<PathIndex> = tb
        .into_iter()
        .map(|v| PathIndex::new(v, BALANCE_TREE_DEPTH))
        .collect::<GResult<_>>()?;
    ctx.close("change_tokens", at, m);

    // Account A's and B's leaves and balances before.
    let fields = |l: &crate::assignment::LeafAssignment| -> GResult<AccountFields> {
        Ok(AccountFields {
            owner: wit(&cs, l.owner)?,
            pubkey_hash: wit(&cs, l.pubkey_hash)?,
            nonce: wit(&cs, l.nonce)?,
        })
    };
    let a = fields(&w.a.before)?;
    let a_bal = alloc_changes(&cs, w.a.before.balance, &w.a.balance_path, &d.a_more)?;
    let a_path = account_path(&cs, &w.a.account_path)?;
    let b = fields(&w.b.before)?;
    let b_bal = alloc_changes(&cs, w.b.before.balance, &w.b.balance_path, &d.b_more)?;
    let b_path = account_path(&cs, &w.b.account_path)?;
    // A pool operation's B is the pool of the pair: owner 0, the pair's key hash (and so not a
    // user account, nor a pool of another pair).
    let key = pool_key(&pair_a, &pair_b);
    let m = ctx.mark();
    enforce_zero_product(&dex, &b.owner)?;
    enforce_zero_product(&pool_op, &(&b.pubkey_hash - &key))?;
    ctx.close("pool_leaf", at, m);
    // The pool's reserves of a and b (of sell and buy for a swap) and its LP supply.
    let (x, y, supply) = (&b_bal[0].0, &b_bal[1].0, &b_bal[2].0);

    // --- Pool arithmetic (§4.10-§4.12). Inputs of other operation types are zeroed so that
    // the gadgets' bounds hold whatever the slot holds.
    // Swap: out = floor(in * 997 * y / (x * 1000 + in * 997)), at least max(min_out, 1).
    let m = ctx.mark();
    let in_s = &swap * &amount.value;
    let x_s = &swap * x;
    let num = &in_s * Fr::from(997u64) * (&swap * y);
    let den = &x_s * Fr::from(1000u64) + &in_s * Fr::from(997u64) + (FrVar::one() - &swap);
    enforce_nonzero_if(&cs, &swap, x)?;
    let hint = |i: usize| Some(big_of(&d.hints[i]));
    let out = floor_div_as(&num, &den, RESERVE_BITS, RESERVE_BITS + 11, hint(0))?;
    ctx.close("swap_output", at, m);
    let m = ctx.mark();
    range_check(&(&swap * (&out - Fr::from(1u64))), RESERVE_BITS)?;
    range_check(&(&swap * (&out - &amount2.value)), 128)?;
    ctx.close("swap_min_out", at, m);

    // AddLiquidity: first liquidity (S = 0) or pro rata.
    let m = ctx.mark();
    let empty = FrVar::from(supply.is_zero()?);
    let first = &add * &empty;
    let later = &add - &first;
    let (max_a, max_b) = (&amount.value, &amount2.value);
    // first: s = floor(sqrt(max_a * max_b)) > MIN_LIQUIDITY
    let s = isqrt_as(&(&first * max_a * max_b), RESERVE_BITS + 8, hint(1))?;
    range_check(
        &(&first * (&s - Fr::from(MIN_LIQUIDITY as u64 + 1))),
        RESERVE_BITS + 8,
    )?;
    ctx.close("add_first_liquidity", at, m);
    let m = ctx.mark();
    // later: shares = min(floor(max_a S / ra), floor(max_b S / rb)) >= 1. The smaller ratio
    // is chosen by cross-multiplying (c = 1 iff max_a rb <= max_b ra, products below 2^240),
    // and only its quotient is computed: it is at most the new supply, so below 2^112, while
    // the other may be far larger (a signed maximum well above what the pool takes).
    let not_later = FrVar::one() - &later;
    let s_l = &later * supply;
    let (ma_l, mb_l) = (&later * max_a, &later * max_b);
    let (pa, pb) = (&ma_l * y, &mb_l * x);
    let c = FrVar::from(BoolVar::new_witness(cs.clone(), || {
        Ok(d.hints[3] == Fr::from(1u64))
    })?);
    let not_c = FrVar::one() - &c;
    range_check(
        &(&c * (&pb - &pa) + &not_c * (&pa - &pb - Fr::from(1u64))),
        241,
    )?;
    let minted_later = floor_div_as(
        &(&s_l * (&mb_l + &c * (&ma_l - &mb_l))),
        &(&later * (y + &c * (x - y)) + &not_later),
        RESERVE_BITS,
        RESERVE_BITS,
        hint(2),
    )?;
    range_check(&(&later * (&minted_later - Fr::from(1u64))), RESERVE_BITS)?;
    ctx.close("add_shares_pro_rata", at, m);
    let m = ctx.mark();
    // ... taking ceil(shares * r / S) of each, at most the signed maximum
    let sh_l = &later * &minted_later;
    let take_a_l = ceil_div_as(
        &(&sh_l * x),
        &(&s_l + &not_later),
        RESERVE_BITS,
        RESERVE_BITS,
        hint(4),
    )?;
    let take_b_l = ceil_div_as(
        &(&sh_l * y),
        &(&s_l + &not_later),
        RESERVE_BITS,
        RESERVE_BITS,
        hint(5),
    )?;
    range_check(&(&later * (max_a - &take_a_l)), 128)?;
    range_check(&(&later * (max_b - &take_b_l)), 128)?;
    ctx.close("add_take_pro_rata", at, m);
    let take_a = &first * max_a + &take_a_l;
    let take_b = &first * max_b + &take_b_l;
    let minted = &first * (&s - Fr::from(MIN_LIQUIDITY as u64)) + &sh_l;
    let growth = &first * &s + &sh_l;
    let m = ctx.mark();
    range_check(&(&add * (&minted - &amount3.value)), 128)?;
    ctx.close("add_min_shares", at, m);

    // RemoveLiquidity: out = floor(shares * r / S), S > 0, shares >= 1, at least the minimums.
    let m = ctx.mark();
    enforce_nonzero_if(&cs, &rem, supply)?;
    enforce_nonzero_if(&cs, &rem, &amount128)?;
    let shares_r = &rem * &amount128;
    let s_r = &rem * supply + (FrVar::one() - &rem);
    let out_a = floor_div_as(&(&shares_r * x), &s_r, RESERVE_BITS, RESERVE_BITS, hint(6))?;
    let out_b = floor_div_as(&(&shares_r * y), &s_r, RESERVE_BITS, RESERVE_BITS, hint(7))?;
    ctx.close("remove_pro_rata", at, m);
    let m = ctx.mark();
    range_check(&(&rem * (&out_a - &amount.value)), 128)?;
    range_check(&(&rem * (&out_b - &amount2.value)), 128)?;
    ctx.close("remove_minimums", at, m);

    // --- Balances after, per change.
    let spent = &fee.value + &amount.value;
    let a_after = [
        &a_bal[0].0 + &dep * &amount128
            - &any_transfer * &spent
            - &wd * (&amount128 + &fee.value)
            - &cpk * &fee.value
            - &fe * &amount128
            - &swap * &spent
            - &add * (&take_a + &fee.value)
            - &shares_r
            - &cp * &fee.value,
        &a_bal[1].0 + &out - &add * &take_b + &out_a - &rem * &fee.value,
        &a_bal[2].0 + &add * &minted + &out_b,
    ];
    let b_after = [
        &b_bal[0].0 + &any_transfer * &amount.value + &in_s + &add * &take_a - &out_a,
        &b_bal[1].0 - &out + &add * &take_b - &out_b,
        &b_bal[2].0 + &add * &growth - &shares_r,
    ];
    // No overdraft, no overflow: every new balance is a 128-bit number; a pool's reserves and
    // supply stay at most MAX_POOL_RESERVE.
    let m = ctx.mark();
    for v in &a_after {
        range_check(v, 128)?;
    }
    ctx.close("balance_a_range", at, m);
    let m = ctx.mark();
    for v in &b_after {
        range_check(v, 128)?;
    }
    ctx.close("balance_b_range", at, m);
    let m = ctx.mark();
    for v in &b_after {
        range_check(&(&pool_op * v), RESERVE_BITS)?;
    }
    ctx.close("pool_reserve_range", at, m);

    // --- Account A: the signer (or depositor, exiting account).
    let a_fields_after = AccountFields {
        owner: &a.owner + &dep * (&address - &a.owner),
        pubkey_hash: &a.pubkey_hash + &cpk * (&new_pkh - &a.pubkey_hash),
        nonce: &a.nonce + &signed_f,
    };
    let m = ctx.mark();
    range_check(&a_fields_after.nonce, 32)?;
    ctx.close("nonce_range", at, m);
    let m = ctx.mark();
    let a_owner_zero = FrVar::from(a.owner.is_zero()?);
    enforce_zero_product(&signed_f, &a_owner_zero)?;
    ctx.close("account_exists", at, m);
    let m = ctx.mark();
    enforce_zero_product(&dep, &(&a.owner * (&a.owner - &address)))?;
    ctx.close("deposit_owner", at, m);
    let m = ctx.mark();
    a.owner.conditional_enforce_equal(&address, &is[2])?;
    ctx.close("change_pubkey_owner", at, m);
    let m = ctx.mark();
    let owns = FrVar::from(a.owner.is_eq(&address)?) * (FrVar::one() - &a_owner_zero);
    let exit_amount = owns * &a_bal[0].0;
    enforce_zero_product(&fe, &(&amount128 - exit_amount))?;
    ctx.close("full_exit_amount", at, m);
    let m = ctx.mark();
    let changes = |bal: &[(FrVar, Vec<[FrVar; 3]>)], after: &[FrVar; 3], tokens: &[PathIndex]| {
        (0..3)
            .map(|i| BalanceChange {
                token: tokens[i].clone(),
                before: bal[i].0.clone(),
                after: after[i].clone(),
                path: bal[i].1.clone(),
            })
            .collect::<Vec<_>>()
    };
    let updated_a = update_balances(
        &ctx.root,
        &a,
        &a_fields_after,
        &id_a,
        &changes(&a_bal, &a_after, &ta),
        &a_path,
    )?;
    ctx.close("path_a", at, m);
    let m = ctx.mark();
    let new_account = &dep * &a_owner_zero;
    let a_leaf = crate::update::LeafVars {
        owner: a.owner.clone(),
        pubkey_hash: a.pubkey_hash.clone(),
        nonce: a.nonce.clone(),
        balance: a_bal[0].0.clone(),
    };
    enforce_empty_if(&new_account, &a_leaf, &updated_a.balance_root_before)?;
    ctx.close("deposit_new_account_empty", at, m);
    // New accounts live below the pools' ids.
    let m = ctx.mark();
    enforce_below_pools(&cs, &new_account, &id_a)?;
    ctx.close("new_account_below_pools", at, m);

    // Signature by the key whose hash A holds (ChangePubKey: the new key), over §5's message.
    let sig = &w.signature;
    let public = alloc_point(&cs, sig.pub_x, sig.pub_y)?;
    let r8 = alloc_point(&cs, sig.r8x, sig.r8y)?;
    let s_sig = wit(&cs, sig.s)?;
    let m = ctx.mark();
    let signer_pkh = poseidon(&[public.x.clone(), public.y.clone()])?;
    signer_pkh.conditional_enforce_equal(&a_fields_after.pubkey_hash, &signed)?;
    ctx.close("signer_key", at, m);
    let code = |c: u8| Fr::from(u64::from(c));
    let type_code = &any_transfer * code(op_type::TRANSFER)
        + &wd * code(op_type::WITHDRAW)
        + &cpk * code(op_type::CHANGE_PUBKEY)
        + &swap * code(op_type::SWAP)
        + &add * code(op_type::ADD_LIQUIDITY)
        + &rem * code(op_type::REMOVE_LIQUIDITY)
        + &cp * code(op_type::CREATE_POOL);
    let legacy = &cpk + &any_transfer + &wd;
    let amount_field = &any_transfer * &amount.packed + &wd * &amount128;
    let legacy_part = &token.value * pow2(64)
        + &a.nonce * pow2(72)
        + &fee.packed * pow2(104)
        + amount_field * pow2(120);
    let t1 = &pair_a + &swap * (&sell - &pair_a);
    let t2 = &pair_b + &swap * (&buy - &pair_b);
    let dex_part = t1 * pow2(64)
        + t2 * pow2(72)
        + &a.nonce * pow2(80)
        + &fee.packed * pow2(112)
        + &pool_op * &amount.packed * pow2(128)
        + &pool_op * &amount2.packed * pow2(168)
        + &add * &amount3.packed * pow2(208);
    let w0 = type_code
        + &ctx.chain_id * pow2(8)
        + &id_a.value * pow2(40)
        + &legacy * legacy_part
        + &dex * dex_part;
    let second = (&address + &cpk * (&new_pkh - &address)) * &legacy
        + &(&swap + &add) * &pool
        + &rem * (&amount128 + &pool * pow2(128));
    let m = ctx.mark();
    let message = poseidon(&[w0, second])?;
    eddsa::verify(&signed, &public, &r8, &s_sig, &message)?;
    ctx.close("signature", at, m);

    // --- Account B: the receiver of a transfer, or the pool.
    let b_fields_after = AccountFields {
        owner: &b.owner + &trn * (&address - &b.owner),
        pubkey_hash: &b.pubkey_hash + &cp * (&key - &b.pubkey_hash),
        nonce: b.nonce.clone(),
    };
    let m = ctx.mark();
    b.owner.conditional_enforce_equal(&address, &is[3])?;
    ctx.close("transfer_receiver_owner", at, m);
    let m = ctx.mark();
    let updated_b = update_balances(
        &updated_a.root,
        &b,
        &b_fields_after,
        &id_b,
        &changes(&b_bal, &b_after, &tb),
        &b_path,
    )?;
    ctx.close("path_b", at, m);
    let m = ctx.mark();
    let b_leaf = crate::update::LeafVars {
        owner: b.owner.clone(),
        pubkey_hash: b.pubkey_hash.clone(),
        nonce: b.nonce.clone(),
        balance: b_bal[0].0.clone(),
    };
    enforce_empty_if(&trn, &b_leaf, &updated_b.balance_root_before)?;
    enforce_below_pools(&cs, &trn, &id_b)?;
    ctx.close("transfer_to_new_empty", at, m);
    // CreatePool: the leaf is free: empty, or a pool of any pair that never had liquidity
    // (no balance at all).
    let m = ctx.mark();
    enforce_zero_product(&cp, &b.nonce)?;
    enforce_zero_product(
        &cp,
        &(&updated_b.balance_root_before - zkr_state::tree::defaults::empty_balance_root()),
    )?;
    let old_key = pool_key(&old_a, &old_b);
    enforce_zero_product(&(&cp * &b.pubkey_hash), &(&b.pubkey_hash - old_key))?;
    ctx.close("create_pool_free_leaf", at, m);
    ctx.root = updated_b.root;

    credit_fee(
        ctx,
        index,
        w.fee_slot,
        &(&signed_f * &fee.value),
        &token.value,
    )?;

    // Pubdata elements (§4), selected by the operation type.
    let t8 = |c: u8| Field::constant(u64::from(c), 8);
    let mut pool_byte = pool_bits.clone();
    pool_byte.push(sell_b.clone());
    let mut layouts = legacy_layouts(&LegacyOps {
        dep: &dep,
        cpk: &cpk,
        tr: &tr,
        trn: &trn,
        wd: &wd,
        fe: &fe,
        id_a: &id_a,
        id_b: &id_b,
        address_bits: &address_bits,
        token: &token,
        amount128_bits: &amount128_bits,
        amount: &amount,
        fee: &fee,
        nonce: &a.nonce,
        new_pkh: &new_pkh,
    });
    layouts.extend([
        (
            &swap,
            elements(&[
                t8(op_type::SWAP),
                Field::bits(&id_a.bits),
                Field::bits(&pool_byte),
                Field::bits(&amount.bits),
                Field::bits(&fee.bits),
            ]),
        ),
        (
            &add,
            elements(&[
                t8(op_type::ADD_LIQUIDITY),
                Field::bits(&id_a.bits),
                Field::var(&pool, 8),
                Field::bits(&amount.bits),
                Field::bits(&amount2.bits),
                Field::bits(&fee.bits),
            ]),
        ),
        (
            &rem,
            elements(&[
                t8(op_type::REMOVE_LIQUIDITY),
                Field::bits(&id_a.bits),
                Field::var(&pool, 8),
                Field::bits(&amount128_bits),
                Field::bits(&fee.bits),
            ]),
        ),
        (
            &cp,
            elements(&[
                t8(op_type::CREATE_POOL),
                Field::bits(&id_a.bits),
                Field::var(&pool, 8),
                Field::bits(&pair_a_bits),
                Field::bits(&pair_b_bits),
                Field::bits(&fee.bits),
            ]),
        ),
    ]);
    // Deposits, ChangePubKeys, TransferToNews, Withdrawals and FullExits take two elements.
    let has_e1 = &dep + &cpk + &trn + &wd + &fe;
    absorb_pubdata(ctx, index, &layouts, &noop, &has_e1)
}
