//! One operation slot of the batch circuit: every rule of `docs/protocol.md` §4, for whichever
//! operation the slot holds. Every slot has the same constraints; the operation type selects
//! which of them bind (see `docs/soundness.md` for the rule -> test table).

use crate::assignment::SlotAssignment;
use crate::gadgets::babyjubjub::PointVar;
use crate::gadgets::bits::{range_check, to_bits_le};
use crate::gadgets::eddsa;
use crate::gadgets::float::{FloatVar, enforce_canonical, unpack};
use crate::gadgets::poseidon::poseidon;
use crate::gadgets::{BoolVar, FrVar, GResult, enforce_nonzero_if};
use crate::pubdata::{Field, elements};
use crate::update::{LeafVars, PathIndex, PathVars, update, wit};
use ark_ff::{AdditiveGroup, Field as _};
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::ConstraintSystemRef;
use zkr_crypto::Fr;
use zkr_state::tree::defaults::empty_balance_root;
use zkr_types::float::{AMOUNT_MANTISSA_BITS, FEE_MANTISSA_BITS};
use zkr_types::op::op_type;
use zkr_types::params::{ACCOUNT_TREE_DEPTH, BALANCE_TREE_DEPTH, MAX_FEE_TOKENS_PER_BATCH};

/// Running values threaded through the slots of a batch.
pub struct BatchCtx {
    /// The constraint system.
    pub cs: ConstraintSystemRef<Fr>,
    /// The chain id (bound by the commitment).
    pub chain_id: FrVar,
    /// The current state root.
    pub root: FrVar,
    /// The pubdata hash chain `H`.
    pub h: FrVar,
    /// The challenge `z`.
    pub z: FrVar,
    /// The evaluation `y` so far.
    pub y: FrVar,
    /// The batch's fee tokens.
    pub fee_tokens: Vec<FrVar>,
    /// Fee accumulated per fee token.
    pub fee_totals: Vec<FrVar>,
    /// Which constraints enforce which rule (for error messages and negative tests).
    pub rules: Vec<RuleSpan>,
}

/// The constraints `start..end` enforce the rule `label` (in slot `slot`, if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpan {
    /// The rule.
    pub label: &'static str,
    /// The slot, `None` for batch-level rules.
    pub slot: Option<usize>,
    /// First constraint index.
    pub start: usize,
    /// One past the last.
    pub end: usize,
}

impl BatchCtx {
    /// The index of the next constraint.
    pub fn mark(&self) -> usize {
        self.cs.num_constraints()
    }

    /// Records the constraints added since `start` as enforcing `label`.
    pub fn close(&mut self, label: &'static str, slot: Option<usize>, start: usize) {
        let end = self.cs.num_constraints();
        self.rules.push(RuleSpan {
            label,
            slot,
            start,
            end,
        });
    }
}

pub(crate) fn pow2(n: usize) -> Fr {
    Fr::from(2u64).pow([n as u64])
}

/// Enforces `a * b == 0` (1 constraint).
pub(crate) fn enforce_zero_product(a: &FrVar, b: &FrVar) -> GResult<()> {
    a.mul_equals(b, &FrVar::zero())
}

/// Enforces, when `cond` is 1, that a leaf is entirely empty: owner, key hash and nonce 0 and the
/// balance root that of no balance at all (4 constraints).
pub(crate) fn enforce_empty_if(cond: &FrVar, leaf: &LeafVars, balance_root: &FrVar) -> GResult<()> {
    enforce_zero_product(cond, &leaf.owner)?;
    enforce_zero_product(cond, &leaf.pubkey_hash)?;
    enforce_zero_product(cond, &leaf.nonce)?;
    enforce_zero_product(cond, &(balance_root - empty_balance_root()))
}

/// A point of a signature, allocated.
pub(crate) fn alloc_point(cs: &ConstraintSystemRef<Fr>, x: Fr, y: Fr) -> GResult<PointVar> {
    Ok(PointVar {
        x: wit(cs, x)?,
        y: wit(cs, y)?,
    })
}

/// Adds one slot's constraints.
pub fn synthesize_slot(
    ctx: &mut BatchCtx,
    index: usize,
    w: &SlotAssignment,
) -> GResult<SlotOutput> {
    let at = Some(index);
    let cs = ctx.cs.clone();

    // Operation type, one-hot over the seven types.
    let m = ctx.mark();
    let is: Vec<BoolVar> = (0..7u8)
        .map(|t| BoolVar::new_witness(cs.clone(), || Ok(w.op_type == Fr::from(u64::from(t)))))
        .collect::<GResult<_>>()?;
    is.iter()
        .fold(FrVar::zero(), |acc, b| acc + FrVar::from(b.clone()))
        .enforce_equal(&FrVar::one())?;
    let f = |t: u8| FrVar::from(is[t as usize].clone());
    let (noop, dep, cpk, tr, trn, wd, fe) = (
        f(op_type::NOOP),
        f(op_type::DEPOSIT),
        f(op_type::CHANGE_PUBKEY),
        f(op_type::TRANSFER),
        f(op_type::TRANSFER_TO_NEW),
        f(op_type::WITHDRAW),
        f(op_type::FULL_EXIT),
    );
    let any_transfer = &tr + &trn;
    let signed_value = [
        op_type::CHANGE_PUBKEY,
        op_type::TRANSFER,
        op_type::TRANSFER_TO_NEW,
        op_type::WITHDRAW,
    ]
    .iter()
    .any(|t| w.op_type == Fr::from(u64::from(*t)));
    let signed = BoolVar::new_witness(cs.clone(), || Ok(signed_value))?;
    FrVar::from(signed.clone()).enforce_equal(&(&cpk + &any_transfer + &wd))?;
    let signed_f = FrVar::from(signed.clone());
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
    let fee = unpack(&wit(&cs, w.fee_packed)?, FEE_MANTISSA_BITS as usize)?;
    let new_pkh = wit(&cs, w.new_pubkey_hash)?;
    ctx.close("field_ranges", at, m);
    // Packed values are canonical (what is signed and posted is the one packing of the value)
    // and a packed amount is at most MAX_BALANCE (a fee always is).
    let m = ctx.mark();
    enforce_canonical(&amount)?;
    enforce_canonical(&fee)?;
    ctx.close("packed_canonical", at, m);
    let m = ctx.mark();
    range_check(&amount.value, 128)?;
    ctx.close("packed_amount_range", at, m);
    // Deposits and payments name a real L1 address: a deposit's owner, a receiver.
    // (ChangePubKey's owner is the account's, non-zero by `account_exists`; a FullExit's
    // requester is paid nothing unless it owns the account, see below.)
    let m = ctx.mark();
    enforce_nonzero_if(&cs, &(&dep + &any_transfer + &wd), &address)?;
    ctx.close("address_not_zero", at, m);
    // Withdrawals pay L1 tokens only (LP shares leave through exits).
    let m = ctx.mark();
    range_check(&(&wd * &token.value), 7)?;
    ctx.close("withdraw_l1_token", at, m);

    // Update A: the account that signs, deposits or exits.
    let a = LeafVars::alloc(&cs, &w.a.before)?;
    let a_paths = PathVars::alloc(&cs, &w.a)?;
    let spent = &fee.value + &amount.value;
    let balance_a = &a.balance + &dep * &amount128
        - &any_transfer * &spent
        - &wd * (&amount128 + &fee.value)
        - &cpk * &fee.value
        - &fe * &amount128;
    let a_after = LeafVars {
        owner: &a.owner + &dep * (&address - &a.owner),
        pubkey_hash: &a.pubkey_hash + &cpk * (&new_pkh - &a.pubkey_hash),
        nonce: &a.nonce + &signed_f,
        balance: balance_a,
    };
    // No overdraft, no overflow: the new balance is a 128-bit number.
    let m = ctx.mark();
    range_check(&a_after.balance, 128)?;
    ctx.close("balance_a_range", at, m);
    // The nonce stays below 2^32 (an exhausted account signs nothing).
    let m = ctx.mark();
    range_check(&a_after.nonce, 32)?;
    ctx.close("nonce_range", at, m);
    // Signed transactions (ChangePubKey included) come from an existing user account: owner
    // non-zero. (Nobody can then re-key an empty leaf or a special account.)
    let m = ctx.mark();
    let a_owner_zero = FrVar::from(a.owner.is_zero()?);
    enforce_zero_product(&signed_f, &a_owner_zero)?;
    ctx.close("account_exists", at, m);
    // Deposit: the account is the depositor's, or it is owner-less and then wholly empty.
    let m = ctx.mark();
    enforce_zero_product(&dep, &(&a.owner * (&a.owner - &address)))?;
    ctx.close("deposit_owner", at, m);
    // ChangePubKey: the owner named in the pubdata (whose ECDSA signature L1 checks) owns it.
    let m = ctx.mark();
    a.owner
        .conditional_enforce_equal(&address, &is[op_type::CHANGE_PUBKEY as usize])?;
    ctx.close("change_pubkey_owner", at, m);
    // FullExit: the whole balance if the requester owns the account (an owner-less leaf has no
    // owner to pay), else nothing.
    let m = ctx.mark();
    let owns = FrVar::from(a.owner.is_eq(&address)?) * (FrVar::one() - &a_owner_zero);
    let exit_amount = owns * &a.balance;
    enforce_zero_product(&fe, &(&amount128 - exit_amount))?;
    ctx.close("full_exit_amount", at, m);
    let m = ctx.mark();
    let updated_a = update(&ctx.root, &a, &a_after, &id_a, &token, &a_paths)?;
    ctx.close("path_a", at, m);
    let m = ctx.mark();
    let new_account = &dep * &a_owner_zero;
    enforce_empty_if(&new_account, &a, &updated_a.balance_root_before)?;
    ctx.close("deposit_new_account_empty", at, m);
    let m = ctx.mark();
    enforce_below_pools(&cs, &new_account, &id_a)?;
    ctx.close("new_account_below_pools", at, m);

    // Signature of signed transactions by the key whose hash the account holds (ChangePubKey:
    // by the new key), over the message of §5.
    let sig = &w.signature;
    let public = alloc_point(&cs, sig.pub_x, sig.pub_y)?;
    let r8 = alloc_point(&cs, sig.r8x, sig.r8y)?;
    let s = wit(&cs, sig.s)?;
    let m = ctx.mark();
    let signer_pkh = poseidon(&[public.x.clone(), public.y.clone()])?;
    signer_pkh.conditional_enforce_equal(&a_after.pubkey_hash, &signed)?;
    ctx.close("signer_key", at, m);
    let type_code = &any_transfer * Fr::from(u64::from(op_type::TRANSFER))
        + &wd * Fr::from(u64::from(op_type::WITHDRAW))
        + &cpk * Fr::from(u64::from(op_type::CHANGE_PUBKEY));
    let amount_field = &any_transfer * &amount.packed + &wd * &amount128;
    let w0 = type_code
        + &ctx.chain_id * pow2(8)
        + &id_a.value * pow2(40)
        + &token.value * pow2(64)
        + &a.nonce * pow2(72)
        + &fee.packed * pow2(104)
        + amount_field * pow2(120);
    let second = &address + &cpk * (&new_pkh - &address);
    let m = ctx.mark();
    let message = poseidon(&[w0, second])?;
    eddsa::verify(&signed, &public, &r8, &s, &message)?;
    ctx.close("signature", at, m);

    // Update B: the receiver of a transfer (a no-change update otherwise).
    let b = LeafVars::alloc(&cs, &w.b.before)?;
    let b_paths = PathVars::alloc(&cs, &w.b)?;
    let b_after = LeafVars {
        owner: &b.owner + &trn * (&address - &b.owner),
        pubkey_hash: b.pubkey_hash.clone(),
        nonce: b.nonce.clone(),
        balance: &b.balance + &any_transfer * &amount.value,
    };
    let m = ctx.mark();
    range_check(&b_after.balance, 128)?;
    ctx.close("balance_b_range", at, m);
    let m = ctx.mark();
    b.owner
        .conditional_enforce_equal(&address, &is[op_type::TRANSFER as usize])?;
    ctx.close("transfer_receiver_owner", at, m);
    let m = ctx.mark();
    let updated_b = update(&updated_a.root, &b, &b_after, &id_b, &token, &b_paths)?;
    ctx.close("path_b", at, m);
    let m = ctx.mark();
    enforce_empty_if(&trn, &b, &updated_b.balance_root_before)?;
    enforce_below_pools(&cs, &trn, &id_b)?;
    ctx.close("transfer_to_new_empty", at, m);
    ctx.root = updated_b.root;

    credit_fee(
        ctx,
        index,
        w.fee_slot,
        &(&signed_f * &fee.value),
        &token.value,
    )?;

    // Pubdata elements (§4, §6), selected by the operation type.
    let layouts = legacy_layouts(&LegacyOps {
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
    absorb_pubdata(ctx, index, &layouts, &noop, &(FrVar::one() - &noop - &tr))
}

/// Adds a signed operation's fee (`fee_paid`, 0 for unsigned ones) to the batch total of the
/// fee credit `fee_slot` names, whose token must be `token`.
pub(crate) fn credit_fee(
    ctx: &mut BatchCtx,
    index: usize,
    fee_slot: Fr,
    fee_paid: &FrVar,
    token: &FrVar,
) -> GResult<()> {
    let cs = ctx.cs.clone();
    let m = ctx.mark();
    let sel: Vec<BoolVar> = (0..MAX_FEE_TOKENS_PER_BATCH)
        .map(|k| BoolVar::new_witness(cs.clone(), || Ok(fee_slot == Fr::from(k as u64))))
        .collect::<GResult<_>>()?;
    sel.iter()
        .fold(FrVar::zero(), |acc, b| acc + FrVar::from(b.clone()))
        .enforce_equal(&FrVar::one())?;
    let mut chosen = FrVar::zero();
    for (k, b) in sel.iter().enumerate() {
        let bf = FrVar::from(b.clone());
        chosen += &bf * &ctx.fee_tokens[k];
        ctx.fee_totals[k] += bf * fee_paid;
    }
    enforce_zero_product(&(chosen - token), fee_paid)?;
    ctx.close("fee_token", Some(index), m);
    Ok(())
}

/// Selects the slot's pubdata elements from `layouts` (one selector per operation type) and
/// absorbs them: `H = Poseidon(H, e0, e1)` unless the slot is a Noop, and `y` by Horner over
/// `e0` (unless Noop) and `e1` (when `has_e1`).
pub(crate) fn absorb_pubdata(
    ctx: &mut BatchCtx,
    index: usize,
    layouts: &[(&FrVar, [FrVar; 2])],
    noop: &FrVar,
    has_e1: &FrVar,
) -> GResult<SlotOutput> {
    let at = Some(index);
    let m = ctx.mark();
    let mut e0 = FrVar::zero();
    let mut e1 = FrVar::zero();
    for (sel, [x0, x1]) in layouts {
        e0 += *sel * x0;
        if !x1.is_constant() {
            e1 += *sel * x1;
        }
    }

    // H = Poseidon(H, e0, e1) unless Noop; y = Horner over the elements present.
    let h_next = poseidon(&[ctx.h.clone(), e0.clone(), e1.clone()])?;
    ctx.h = &h_next + noop * (&ctx.h - &h_next);
    let has_e0 = FrVar::one() - noop;
    let y = ctx.y.clone();
    let y1 = &y + &has_e0 * (&y * &ctx.z + &e0 - &y);
    ctx.y = &y1 + has_e1 * (&y1 * &ctx.z + &e1 - &y1);
    ctx.close("pubdata", at, m);
    let value = |v: &FrVar| v.value().ok();
    Ok(SlotOutput {
        elements: match (value(&has_e0), value(has_e1), value(&e0), value(&e1)) {
            (Some(h0), Some(h1), Some(e0), Some(e1)) => Some(
                [(h0, e0), (h1, e1)]
                    .into_iter()
                    .filter(|(h, _)| *h != Fr::ZERO)
                    .map(|(_, e)| e)
                    .collect(),
            ),
            _ => None,
        },
    })
}

/// What a slot contributes to the statement the batch proves.
pub struct SlotOutput {
    /// The pubdata elements of the slot's operation (none for a Noop, one for a Transfer);
    /// `None` when the circuit has no values (key generation).
    pub elements: Option<Vec<Fr>>,
}

/// Enforces, when `cond` is 1, that `id < POOL_ACCOUNT_BASE = 2^24 - 128`: the top 17 of its 24
/// bits are not all ones (user accounts never take a pool's id).
pub(crate) fn enforce_below_pools(
    cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>,
    cond: &FrVar,
    id: &PathIndex,
) -> GResult<()> {
    let top = &id.bits[7..];
    let ones = top
        .iter()
        .fold(FrVar::zero(), |acc, b| acc + FrVar::from(b.clone()));
    // ones = 17 exactly when every top bit is set
    enforce_nonzero_if(cs, cond, &(ones - Fr::from(top.len() as u64)))
}

/// The fields the transfer circuit's operation types post (§4), with their selectors.
pub(crate) struct LegacyOps<'a> {
    pub dep: &'a FrVar,
    pub cpk: &'a FrVar,
    pub tr: &'a FrVar,
    pub trn: &'a FrVar,
    pub wd: &'a FrVar,
    pub fe: &'a FrVar,
    pub id_a: &'a PathIndex,
    pub id_b: &'a PathIndex,
    pub address_bits: &'a [BoolVar],
    pub token: &'a PathIndex,
    pub amount128_bits: &'a [BoolVar],
    pub amount: &'a FloatVar,
    pub fee: &'a FloatVar,
    pub nonce: &'a FrVar,
    pub new_pkh: &'a FrVar,
}

/// The pubdata elements of Deposit, ChangePubKey, Transfer, TransferToNew, Withdraw and
/// FullExit (§4, §6), each with its selector (both circuits post them alike).
pub(crate) fn legacy_layouts<'a>(o: &LegacyOps<'a>) -> Vec<(&'a FrVar, [FrVar; 2])> {
    let t8 = |c: u8| Field::constant(u64::from(c), 8);
    vec![
        (
            o.dep,
            elements(&[
                t8(op_type::DEPOSIT),
                Field::bits(&o.id_a.bits),
                Field::bits(o.address_bits),
                Field::bits(&o.token.bits),
                Field::bits(o.amount128_bits),
            ]),
        ),
        (o.cpk, {
            let [e0, _] = elements(&[
                t8(op_type::CHANGE_PUBKEY),
                Field::bits(&o.id_a.bits),
                Field::bits(o.address_bits),
                Field::var(o.nonce, 32),
                Field::bits(&o.token.bits),
                Field::bits(&o.fee.bits),
            ]);
            [e0, o.new_pkh.clone()]
        }),
        (
            o.tr,
            elements(&[
                t8(op_type::TRANSFER),
                Field::bits(&o.id_a.bits),
                Field::bits(&o.id_b.bits),
                Field::bits(&o.token.bits),
                Field::bits(&o.amount.bits),
                Field::bits(&o.fee.bits),
            ]),
        ),
        (
            o.trn,
            elements(&[
                t8(op_type::TRANSFER_TO_NEW),
                Field::bits(&o.id_a.bits),
                Field::bits(&o.id_b.bits),
                Field::bits(o.address_bits),
                Field::bits(&o.token.bits),
                Field::bits(&o.amount.bits),
                Field::bits(&o.fee.bits),
            ]),
        ),
        (
            o.wd,
            elements(&[
                t8(op_type::WITHDRAW),
                Field::bits(&o.id_a.bits),
                Field::bits(&o.token.bits),
                Field::bits(o.amount128_bits),
                Field::bits(&o.fee.bits),
                Field::bits(o.address_bits),
            ]),
        ),
        (
            o.fe,
            elements(&[
                t8(op_type::FULL_EXIT),
                Field::bits(&o.id_a.bits),
                Field::bits(o.address_bits),
                Field::bits(&o.token.bits),
                Field::bits(o.amount128_bits),
            ]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;
    use zkr_types::params::POOL_ACCOUNT_BASE;

    fn holds(cond: bool, id: u32) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let c = FrVar::new_witness(cs.clone(), || Ok(Fr::from(u64::from(cond)))).unwrap();
        let idx = PathIndex::new(
            FrVar::new_witness(cs.clone(), || Ok(Fr::from(id))).unwrap(),
            ACCOUNT_TREE_DEPTH,
        )
        .unwrap();
        enforce_below_pools(&cs, &c, &idx).unwrap();
        cs.is_satisfied().unwrap()
    }

    #[test]
    fn new_accounts_stay_below_the_pools_ids() {
        for id in [0, 1, 7, POOL_ACCOUNT_BASE - 1] {
            assert!(holds(true, id), "{id}");
        }
        for id in [POOL_ACCOUNT_BASE, POOL_ACCOUNT_BASE + 1, (1 << 24) - 1] {
            assert!(!holds(true, id), "{id}");
            assert!(holds(false, id), "{id} is only refused for a new account");
        }
    }
}
