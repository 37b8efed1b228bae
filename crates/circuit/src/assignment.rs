//! The batch circuit's inputs as the field elements the prover chooses.
//!
//! The operator picks every one of these values: the circuit may assume nothing about them that
//! its constraints do not enforce. [`BatchWitness::assignment`] derives them from a witness the
//! native state transition produced; tests and the witness-mutation sweep change them one at a
//! time (any field element, in range or not) and ask the circuit whether it still accepts. The
//! circuit allocates exactly these values (plus the hints its gadgets derive from them, such as
//! bit decompositions and inverses, which its constraints pin down).

use crate::witness::{BatchWitness, SlotWitness};
use ark_ff::AdditiveGroup;
use zkr_crypto::Fr;
use zkr_state::witness::{AccountUpdate, LeafState};
use zkr_types::TypesError;
use zkr_types::commitment::BatchCommitment;
use zkr_types::float::{pack_amount, pack_fee};
use zkr_types::op::Op;
use zkr_types::tx::{L2Signature, PubKeyJson, address_to_fr};

/// The fields of an account leaf, with the balance of one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafAssignment {
    /// Owner address.
    pub owner: Fr,
    /// Key hash.
    pub pubkey_hash: Fr,
    /// Nonce.
    pub nonce: Fr,
    /// Balance of the update's token.
    pub balance: Fr,
}

/// The leaf before an update and its Merkle paths (siblings, root level first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateAssignment {
    /// The leaf before the update.
    pub before: LeafAssignment,
    /// Siblings in the account's balance tree.
    pub balance_path: Vec<[Fr; 3]>,
    /// Siblings in the account tree.
    pub account_path: Vec<[Fr; 3]>,
}

/// An EdDSA signature with its public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureAssignment {
    /// Public key `A.x`.
    pub pub_x: Fr,
    /// Public key `A.y`.
    pub pub_y: Fr,
    /// `R8.x`.
    pub r8x: Fr,
    /// `R8.y`.
    pub r8y: Fr,
    /// `S`.
    pub s: Fr,
}

/// One slot's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotAssignment {
    /// Operation type (§4 type byte; the circuit allocates it one-hot).
    pub op_type: Fr,
    /// Account of update A (sender, depositor, exiting or re-keyed account).
    pub account_a: Fr,
    /// Account of update B (the receiver of a transfer; a no-change update otherwise).
    pub account_b: Fr,
    /// The token of both updates (the fee token of a ChangePubKey).
    pub token: Fr,
    /// The operation's L1 address: depositor, ChangePubKey owner, transfer or withdrawal
    /// receiver, full-exit requester.
    pub address: Fr,
    /// A full `u128` amount (Deposit, Withdraw, FullExit).
    pub amount: Fr,
    /// A packed amount (transfers).
    pub amount_packed: Fr,
    /// A packed fee (signed transactions).
    pub fee_packed: Fr,
    /// The new key hash of a ChangePubKey.
    pub new_pubkey_hash: Fr,
    /// Update A.
    pub a: UpdateAssignment,
    /// Update B.
    pub b: UpdateAssignment,
    /// The L2 signature (unchecked unless the operation is signed).
    pub signature: SignatureAssignment,
    /// Which of the batch's fee credits this slot's fee goes to.
    pub fee_slot: Fr,
    /// The values only the DEX circuit's union slot allocates (`None` in the transfer
    /// circuit).
    pub dex: Option<DexAssignment>,
}

/// One more balance change of an account already updated in the slot: the balance before and
/// its siblings in the balance tree as the earlier changes left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeAssignment {
    /// The balance before the change.
    pub before: Fr,
    /// Siblings in the account's balance tree, root level first.
    pub path: Vec<[Fr; 3]>,
}

/// The union slot's values beyond the transfer slot's (`docs/prover.md`, the DEX circuit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DexAssignment {
    /// The pool id `p`.
    pub pool: Fr,
    /// The pool's pair `(a, b)`, read from (CreatePool: written to) its key hash.
    pub pair: [Fr; 2],
    /// A swap sells token `b` (1) or `a` (0).
    pub sell_b: Fr,
    /// CreatePool over an unfunded pool: the pair its key hash held (0 for an empty leaf).
    pub old_pair: [Fr; 2],
    /// The second and third packed amounts: Swap `min_out`; AddLiquidity `max_b`,
    /// `min_shares`; RemoveLiquidity `min_b`.
    pub packed: [Fr; 2],
    /// The pool arithmetic's results, as the operator claims them (the circuit checks each):
    /// `[swap out, first-liquidity root s, later shares, 1 if max_a rb <= max_b ra (the a
    /// side's ratio is the smaller), take_a, take_b, remove out_a, remove out_b]`; zero (and
    /// the selector 1) where the slot's operation has no such value.
    pub hints: [Fr; 8],
    /// Changes 2 and 3 of account A (a no-change repeat of the previous one if unused).
    pub a_more: [ChangeAssignment; 2],
    /// Changes 2 and 3 of account B.
    pub b_more: [ChangeAssignment; 2],
}

/// The two batch circuits (`docs/prover.md`): the transfer circuit proves batches without DEX
/// operations; the DEX circuit, whose union slots also change up to three balances of each of
/// two accounts, proves any batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CircuitKind {
    /// One balance of each of two accounts per slot.
    Transfer,
    /// Union slots: every operation type, the DEX's included.
    Dex,
}

/// One fee credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeAssignment {
    /// The token credited.
    pub token: Fr,
    /// The fee account's update.
    pub update: UpdateAssignment,
}

/// Every value the batch circuit allocates from its prover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchAssignment {
    /// Which circuit these values are for.
    pub kind: CircuitKind,
    /// Batch number.
    pub batch_number: Fr,
    /// Chain id.
    pub chain_id: Fr,
    /// Fee account id.
    pub fee_account: Fr,
    /// Root before the batch.
    pub old_root: Fr,
    /// The challenge `z` (§6).
    pub challenge: Fr,
    /// The slots, in order.
    pub slots: Vec<SlotAssignment>,
    /// The fee credits, `MAX_FEE_TOKENS_PER_BATCH` of them.
    pub fees: Vec<FeeAssignment>,
}

impl LeafAssignment {
    fn of(l: &LeafState) -> Self {
        LeafAssignment {
            owner: address_to_fr(&l.owner),
            pubkey_hash: l.pubkey_hash,
            nonce: Fr::from(l.nonce.0),
            balance: Fr::from(l.balance),
        }
    }
}

impl UpdateAssignment {
    fn of(u: &AccountUpdate) -> Self {
        UpdateAssignment {
            before: LeafAssignment::of(&u.before),
            balance_path: u.balance_path.clone(),
            account_path: u.account_path.clone(),
        }
    }
}

impl From<&L2Signature> for SignatureAssignment {
    fn from(s: &L2Signature) -> Self {
        SignatureAssignment {
            pub_x: s.pub_key.x,
            pub_y: s.pub_key.y,
            r8x: s.r8x,
            r8y: s.r8y,
            s: s.s,
        }
    }
}

impl From<&SignatureAssignment> for L2Signature {
    fn from(s: &SignatureAssignment) -> Self {
        L2Signature {
            pub_key: PubKeyJson {
                x: s.pub_x,
                y: s.pub_y,
            },
            r8x: s.r8x,
            r8y: s.r8y,
            s: s.s,
        }
    }
}

/// The changes after the first of one account: the ones in `rest`, then no-change repeats of
/// the last.
fn more_changes(first: &AccountUpdate, rest: &[&AccountUpdate]) -> [ChangeAssignment; 2] {
    let mut out = Vec::with_capacity(2);
    let mut last = first;
    for i in 0..2 {
        if let Some(u) = rest.get(i) {
            last = u;
            out.push(ChangeAssignment {
                before: Fr::from(u.before.balance),
                path: u.balance_path.clone(),
            });
        } else {
            out.push(ChangeAssignment {
                before: Fr::from(last.after.balance),
                path: last.balance_path.clone(),
            });
        }
    }
    [out[0].clone(), out[1].clone()]
}

/// The pool arithmetic's results for a DEX slot, from the pool's balances before (see
/// [`DexAssignment::hints`]).
fn hints(w: &SlotWitness) -> Result<[Fr; 8], TypesError> {
    use num_bigint::BigUint;
    let fr = |v: &BigUint| <Fr as ark_ff::PrimeField>::from_le_bytes_mod_order(&v.to_bytes_le());
    let big = |v: u128| BigUint::from(v);
    let mut h = [Fr::ZERO; 8];
    h[3] = Fr::from(1u64);
    let pool_before: Vec<u128> = std::iter::once(&w.b)
        .chain(w.rest.iter().filter(|u| u.account_id == w.b.account_id))
        .map(|u| u.before.balance)
        .collect();
    let at = |i: usize| pool_before.get(i).copied().unwrap_or(0);
    let (x, y, supply) = (at(0), at(1), at(2));
    match &w.op {
        Op::Swap(s) => {
            h[0] = Fr::from(zkr_types::amm::swap_out(s.amount_in.0, x, y).unwrap_or(0));
        }
        Op::AddLiquidity(l) if supply == 0 => {
            h[1] = fr(&(big(l.max_a.0) * big(l.max_b.0)).sqrt());
        }
        Op::AddLiquidity(l) => {
            let a_smaller = big(l.max_a.0) * big(y) <= big(l.max_b.0) * big(x);
            let shares = match a_smaller {
                true => big(l.max_a.0) * big(supply) / big(x),
                false => big(l.max_b.0) * big(supply) / big(y),
            };
            h[2] = fr(&shares);
            h[3] = Fr::from(u64::from(a_smaller));
            let ceil = |r: u128| (&shares * big(r) + big(supply) - 1u32) / big(supply);
            h[4] = fr(&ceil(x));
            h[5] = fr(&ceil(y));
        }
        Op::RemoveLiquidity(r) => {
            h[6] = fr(&(big(r.shares.0) * big(x) / big(supply)));
            h[7] = fr(&(big(r.shares.0) * big(y) / big(supply)));
        }
        _ => {}
    }
    Ok(h)
}

impl DexAssignment {
    fn of(w: &SlotWitness) -> Result<Self, TypesError> {
        let rest = |id| {
            w.rest
                .iter()
                .filter(|u| u.account_id == id)
                .collect::<Vec<_>>()
        };
        let pair_of = |key: Fr| -> [Fr; 2] {
            match zkr_types::amm::pool_pair(&key) {
                Some((a, b)) => [Fr::from(u64::from(a)), Fr::from(u64::from(b))],
                None => [Fr::ZERO, Fr::ZERO],
            }
        };
        let limits =
            |i: usize| -> Result<Fr, TypesError> { Ok(Fr::from(pack_amount(w.limits[i])?)) };
        let mut d = DexAssignment {
            pool: Fr::ZERO,
            pair: [Fr::ZERO; 2],
            sell_b: Fr::ZERO,
            old_pair: [Fr::ZERO; 2],
            packed: [Fr::ZERO; 2],
            hints: hints(w)?,
            a_more: more_changes(&w.a, &rest(w.a.account_id)),
            b_more: more_changes(&w.b, &rest(w.b.account_id)),
        };
        match &w.op {
            Op::Swap(s) => {
                d.pool = Fr::from(u64::from(s.pool.0));
                d.pair = pair_of(w.b.before.pubkey_hash);
                d.sell_b = Fr::from(u64::from(s.sell_b));
                d.packed[0] = limits(0)?;
            }
            Op::AddLiquidity(l) => {
                d.pool = Fr::from(u64::from(l.pool.0));
                d.pair = pair_of(w.b.before.pubkey_hash);
                d.packed = [Fr::from(pack_amount(l.max_b.0)?), limits(0)?];
            }
            Op::RemoveLiquidity(r) => {
                d.pool = Fr::from(u64::from(r.pool.0));
                d.pair = pair_of(w.b.before.pubkey_hash);
                d.packed[0] = limits(1)?;
            }
            Op::CreatePool(c) => {
                d.pool = Fr::from(u64::from(c.pool.0));
                d.pair = [
                    Fr::from(u64::from(c.token_a.0)),
                    Fr::from(u64::from(c.token_b.0)),
                ];
                d.old_pair = pair_of(w.b.before.pubkey_hash);
            }
            _ => {}
        }
        Ok(d)
    }
}

impl SlotAssignment {
    fn of(w: &SlotWitness, fee_tokens: &[u16], kind: CircuitKind) -> Result<Self, TypesError> {
        let mut s = SlotAssignment {
            op_type: Fr::from(u64::from(w.op.op_type())),
            account_a: Fr::from(w.a.account_id.0),
            account_b: Fr::from(w.b.account_id.0),
            token: Fr::from(w.a.token.0),
            address: Fr::ZERO,
            amount: Fr::ZERO,
            amount_packed: Fr::ZERO,
            fee_packed: Fr::ZERO,
            new_pubkey_hash: Fr::ZERO,
            a: UpdateAssignment::of(&w.a),
            b: UpdateAssignment::of(&w.b),
            signature: SignatureAssignment::from(&w.signature),
            fee_slot: Fr::ZERO,
            dex: match kind {
                CircuitKind::Transfer => None,
                CircuitKind::Dex => Some(DexAssignment::of(w)?),
            },
        };
        let mut fee = None;
        match &w.op {
            Op::Noop => {}
            Op::Deposit(d) => {
                s.address = address_to_fr(&d.owner);
                s.amount = Fr::from(d.amount.0);
            }
            Op::ChangePubKey(c) => {
                s.address = address_to_fr(&c.owner);
                s.new_pubkey_hash = c.new_pub_key_hash;
                fee = Some(c.fee.0);
            }
            Op::Transfer(t) => {
                // The pubdata names the receiver by id; the signed address is the receiver
                // leaf's owner, which the circuit checks.
                s.address = address_to_fr(&w.b.before.owner);
                s.amount_packed = Fr::from(pack_amount(t.amount.0)?);
                fee = Some(t.fee.0);
            }
            Op::TransferToNew(t) => {
                s.address = address_to_fr(&t.to);
                s.amount_packed = Fr::from(pack_amount(t.amount.0)?);
                fee = Some(t.fee.0);
            }
            Op::Withdraw(wd) => {
                s.address = address_to_fr(&wd.to);
                s.amount = Fr::from(wd.amount.0);
                fee = Some(wd.fee.0);
            }
            Op::FullExit(e) => {
                s.address = address_to_fr(&e.owner);
                s.amount = Fr::from(e.amount.0);
            }
            op if op.is_dex() && kind == CircuitKind::Transfer => {
                return Err(TypesError::Invalid(format!(
                    "operation type {:#04x} (DEX) is proven by the DEX circuit, not the transfer circuit",
                    w.op.op_type()
                )));
            }
            Op::Swap(x) => {
                s.amount_packed = Fr::from(pack_amount(x.amount_in.0)?);
                fee = Some(x.fee.0);
            }
            Op::AddLiquidity(x) => {
                s.amount_packed = Fr::from(pack_amount(x.max_a.0)?);
                fee = Some(x.fee.0);
            }
            Op::RemoveLiquidity(x) => {
                s.amount = Fr::from(x.shares.0);
                s.amount_packed = Fr::from(pack_amount(w.limits[0])?);
                fee = Some(x.fee.0);
            }
            Op::CreatePool(x) => fee = Some(x.fee.0),
        }
        // A DEX operation's `token` is its fee token: the sold token, or the pair's first.
        let fee_token = match (&w.op, &s.dex) {
            (Op::RemoveLiquidity(_), Some(d)) => d.pair[0],
            _ => s.token,
        };
        s.token = fee_token;
        if let Some(fee) = fee {
            s.fee_packed = Fr::from(u64::from(pack_fee(fee)?));
            let k = fee_tokens
                .iter()
                .position(|t| Fr::from(u64::from(*t)) == s.token)
                .unwrap_or(0);
            s.fee_slot = Fr::from(k as u64);
        }
        Ok(s)
    }
}

impl BatchWitness {
    /// The circuit that proves this batch: the DEX circuit if it holds a DEX operation.
    pub fn kind(&self) -> CircuitKind {
        if self.slots.iter().any(SlotWitness::is_dex) {
            CircuitKind::Dex
        } else {
            CircuitKind::Transfer
        }
    }

    /// The values of the circuit [`BatchWitness::kind`] names for this witness.
    pub fn assignment(&self) -> Result<BatchAssignment, TypesError> {
        self.assignment_with(&self.commitment()?, self.kind())
    }

    /// The values of the circuit `kind` for this witness.
    pub fn assignment_for(&self, kind: CircuitKind) -> Result<BatchAssignment, TypesError> {
        self.assignment_with(&self.commitment()?, kind)
    }

    /// The circuit's values, given this witness's commitment `parts` (for the challenge).
    pub(crate) fn assignment_with(
        &self,
        parts: &BatchCommitment,
        kind: CircuitKind,
    ) -> Result<BatchAssignment, TypesError> {
        let fee_tokens: Vec<u16> = self.fees.iter().map(|f| f.token.0).collect();
        Ok(BatchAssignment {
            kind,
            batch_number: Fr::from(self.batch_number.0),
            chain_id: Fr::from(self.chain_id.0),
            fee_account: Fr::from(self.fee_account.0),
            old_root: self.old_root,
            challenge: parts.challenge,
            slots: self
                .slots
                .iter()
                .map(|s| SlotAssignment::of(s, &fee_tokens, kind))
                .collect::<Result<_, _>>()?,
            fees: self
                .fees
                .iter()
                .map(|f| FeeAssignment {
                    token: Fr::from(f.token.0),
                    update: UpdateAssignment::of(&f.update),
                })
                .collect(),
        })
    }
}

impl UpdateAssignment {
    fn visit(&mut self, name: &str, f: &mut dyn FnMut(&str, &mut Fr)) {
        let l = &mut self.before;
        f(&format!("{name}.owner"), &mut l.owner);
        f(&format!("{name}.pubkey_hash"), &mut l.pubkey_hash);
        f(&format!("{name}.nonce"), &mut l.nonce);
        f(&format!("{name}.balance"), &mut l.balance);
        for (level, s) in self.balance_path.iter_mut().enumerate() {
            for (i, v) in s.iter_mut().enumerate() {
                f(&format!("{name}.balance_path[{level}][{i}]"), v);
            }
        }
        for (level, s) in self.account_path.iter_mut().enumerate() {
            for (i, v) in s.iter_mut().enumerate() {
                f(&format!("{name}.account_path[{level}][{i}]"), v);
            }
        }
    }
}

impl BatchAssignment {
    /// Calls `f` with the name and a mutable reference of every value, in a fixed order.
    pub fn visit(&mut self, f: &mut dyn FnMut(&str, &mut Fr)) {
        f("batch_number", &mut self.batch_number);
        f("chain_id", &mut self.chain_id);
        f("fee_account", &mut self.fee_account);
        f("old_root", &mut self.old_root);
        f("challenge", &mut self.challenge);
        for (i, s) in self.slots.iter_mut().enumerate() {
            let n = |field: &str| format!("slot[{i}].{field}");
            f(&n("op_type"), &mut s.op_type);
            f(&n("account_a"), &mut s.account_a);
            f(&n("account_b"), &mut s.account_b);
            f(&n("token"), &mut s.token);
            f(&n("address"), &mut s.address);
            f(&n("amount"), &mut s.amount);
            f(&n("amount_packed"), &mut s.amount_packed);
            f(&n("fee_packed"), &mut s.fee_packed);
            f(&n("new_pubkey_hash"), &mut s.new_pubkey_hash);
            f(&n("signature.pub_x"), &mut s.signature.pub_x);
            f(&n("signature.pub_y"), &mut s.signature.pub_y);
            f(&n("signature.r8x"), &mut s.signature.r8x);
            f(&n("signature.r8y"), &mut s.signature.r8y);
            f(&n("signature.s"), &mut s.signature.s);
            f(&n("fee_slot"), &mut s.fee_slot);
            s.a.visit(&n("a"), f);
            s.b.visit(&n("b"), f);
            if let Some(d) = &mut s.dex {
                f(&n("dex.pool"), &mut d.pool);
                f(&n("dex.pair[0]"), &mut d.pair[0]);
                f(&n("dex.pair[1]"), &mut d.pair[1]);
                f(&n("dex.sell_b"), &mut d.sell_b);
                f(&n("dex.old_pair[0]"), &mut d.old_pair[0]);
                f(&n("dex.old_pair[1]"), &mut d.old_pair[1]);
                f(&n("dex.packed[0]"), &mut d.packed[0]);
                f(&n("dex.packed[1]"), &mut d.packed[1]);
                for (i, h) in d.hints.iter_mut().enumerate() {
                    f(&n(&format!("dex.hints[{i}]")), h);
                }
                for (who, more) in [("a", &mut d.a_more), ("b", &mut d.b_more)] {
                    for (c, ch) in more.iter_mut().enumerate() {
                        f(&n(&format!("dex.{who}_more[{c}].before")), &mut ch.before);
                        for (level, sib) in ch.path.iter_mut().enumerate() {
                            for (i, v) in sib.iter_mut().enumerate() {
                                f(&n(&format!("dex.{who}_more[{c}].path[{level}][{i}]")), v);
                            }
                        }
                    }
                }
            }
        }
        for (k, c) in self.fees.iter_mut().enumerate() {
            f(&format!("fee[{k}].token"), &mut c.token);
            c.update.visit(&format!("fee[{k}]"), f);
        }
    }
}
