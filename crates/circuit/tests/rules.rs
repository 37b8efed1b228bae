//! Negative tests for the rules of `docs/protocol.md` that issue 10's review found untested:
//! each starts from a witness the native code built, breaks exactly one rule the way an
//! operator choosing the witness could, and expects the circuit to name that rule.
//! `docs/soundness.md` lists rule -> test.

mod common;

use ark_ff::{AdditiveGroup, Field};
use common::{Fx, batch, fixture, hand_batch, state_of, update_between, violated, violated_by};
use zkr_circuit::{BatchAssignment, BatchCircuit, BatchWitness, SlotWitness};
use zkr_crypto::{Fr, poseidon};
use zkr_state::account::Account;
use zkr_state::fixtures::{CHAIN, User};
use zkr_types::commitment::BatchCommitment;
use zkr_types::op::{Op, WithdrawOp};
use zkr_types::tx::{L2Signature, Transfer, Withdraw, address_to_fr, pubkey_hash};
use zkr_types::{AccountId, Address, Amount, BatchNumber, ChainId, Nonce, TokenId};

fn pow2(n: u64) -> Fr {
    Fr::from(2u64).pow([n])
}

/// The §5 message of a transfer or withdrawal with the packed fields given as they are (so a
/// test can sign non-canonical or oversized packings).
#[allow(clippy::too_many_arguments)]
fn raw_message(
    tx_type: u64,
    from: u32,
    token: u16,
    nonce: u32,
    fee_packed: Fr,
    amount_field: Fr,
    to: Fr,
) -> Fr {
    let w0 = Fr::from(tx_type)
        + Fr::from(CHAIN.0) * pow2(8)
        + Fr::from(from) * pow2(40)
        + Fr::from(token) * pow2(64)
        + Fr::from(nonce) * pow2(72)
        + fee_packed * pow2(104)
        + amount_field * pow2(120);
    poseidon::hash([w0, to])
}

/// Signs the transfer in slot 0 of `a` again, by `user` (account `from`, nonce 1, token 0),
/// over the slot's own (possibly tampered) fields.
fn resign_transfer(a: &mut BatchAssignment, user: &User, from: u32) {
    let s = &a.slots[0];
    let m = raw_message(3, from, 0, 1, s.fee_packed, s.amount_packed, s.address);
    a.slots[0].signature = (&L2Signature::sign(&user.l2, &m)).into();
}

fn transfer_batch(fx: &mut Fx, to: Address, fee: u128) -> BatchWitness {
    let r = fx.a.transfer(fx.ia, to, 0, 1_000, fee, 1);
    batch(fx, &[r], 1)
}

// ------------------------------------------------------------------ receivers

#[test]
fn rejects_a_zero_receiver_for_transfer_transfer_to_new_and_withdraw() {
    // Transfer and TransferToNew, signed by the sender for `to` = 0.
    for existing in [true, false] {
        let mut fx = fixture();
        let to = if existing {
            fx.b.address()
        } else {
            Address::repeat_byte(9)
        };
        let w = transfer_batch(&mut fx, to, 10);
        let mut a = w.assignment().unwrap();
        a.slots[0].address = Fr::ZERO;
        resign_transfer(&mut a, &fx.a, fx.ia);
        assert_eq!(
            violated_by(&a),
            Some("address_not_zero"),
            "existing: {existing}"
        );
    }
    // Withdraw to 0, signed.
    let mut fx = fixture();
    let r = fx.b.withdraw(fx.ib, fx.b.address(), 0, 500, 0, 1);
    let w = batch(&mut fx, &[r], 1);
    let mut a = w.assignment().unwrap();
    a.slots[0].address = Fr::ZERO;
    let m = raw_message(5, fx.ib, 0, 1, Fr::ZERO, Fr::from(500u64), Fr::ZERO);
    a.slots[0].signature = (&L2Signature::sign(&fx.b.l2, &m)).into();
    assert_eq!(violated_by(&a), Some("address_not_zero"));
}

#[test]
fn rejects_a_deposit_for_the_zero_address() {
    let mut fx = fixture();
    let r = User::new(9).deposit(0, 500);
    let w = batch(&mut fx, &[r], 1);
    let mut a = w.assignment().unwrap();
    a.slots[0].address = Fr::ZERO;
    assert_eq!(violated_by(&a), Some("address_not_zero"));
}

#[test]
fn rejects_a_transfer_credited_to_an_account_not_owned_by_the_signed_receiver() {
    // A signs a transfer to C; the operator credits B's leaf (the receiver address is the
    // signed one, the leaf is another owner's).
    let mut fx = fixture();
    let w = {
        let to = fx.b.address();
        transfer_batch(&mut fx, to, 10)
    };
    let mut a = w.assignment().unwrap();
    a.slots[0].address = address_to_fr(&fx.c.address());
    resign_transfer(&mut a, &fx.a, fx.ia);
    assert_eq!(violated_by(&a), Some("transfer_receiver_owner"));
}

#[test]
fn transfer_to_new_writes_the_signed_receiver_as_owner() {
    // The operator claims the new account belongs to C, not to the address A signed.
    let mut fx = fixture();
    let fresh = Address::repeat_byte(0x77);
    let w = transfer_batch(&mut fx, fresh, 0);
    assert!(matches!(w.slots[0].op, Op::TransferToNew(_)));
    let b = &w.slots[0].b;
    assert_eq!(b.after.owner, fresh);
    let mut other = b.after.clone();
    other.owner = fx.c.address();
    let mut lie = w.clone();
    lie.new_root = b.root_of(&other);
    assert_eq!(violated(&w), None);
    assert_eq!(violated(&lie), Some("commitment"));
}

// ------------------------------------------------------------------ withdrawals

fn withdraw_witness(fx: &mut Fx, amount: u128, fee: u128) -> BatchWitness {
    let r = fx.b.withdraw(fx.ib, fx.b.address(), 0, amount, fee, 1);
    batch(fx, &[r], 1)
}

fn set_withdraw(w: &mut BatchWitness, f: impl FnOnce(&mut WithdrawOp)) {
    match &mut w.slots[0].op {
        Op::Withdraw(op) => f(op),
        other => panic!("expected a withdrawal, got {other:?}"),
    }
}

#[test]
fn rejects_a_withdrawal_of_another_amount_or_to_another_address_than_signed() {
    let mut fx = fixture();
    let w = withdraw_witness(&mut fx, 1_000, 10);
    // The full 128-bit amount is signed: one more wei is another message.
    let mut more = w.clone();
    set_withdraw(&mut more, |op| op.amount = Amount(1_001));
    assert_eq!(violated(&more), Some("signature"));
    // An amount that differs only above bit 8 (the header splits the amount there).
    let mut high = w.clone();
    set_withdraw(&mut high, |op| op.amount = Amount(1_000 + (1 << 9)));
    assert_eq!(violated(&high), Some("signature"));
    let mut elsewhere = w.clone();
    set_withdraw(&mut elsewhere, |op| op.to = fx.c.address());
    assert_eq!(violated(&elsewhere), Some("signature"));
    let mut fee = w;
    set_withdraw(&mut fee, |op| op.fee = Amount(20));
    assert_eq!(violated(&fee), Some("signature"));
}

#[test]
fn rejects_a_withdrawal_overdrawn_by_amount_plus_fee() {
    let mut fx = fixture();
    let balance = 1_000_000u128;
    // The amount alone is covered; amount + fee is not. Signed by the owner.
    let w = withdraw_witness(&mut fx, 1_000, 10);
    let mut over = w.clone();
    set_withdraw(&mut over, |op| op.amount = Amount(balance - 5));
    over.slots[0].signature = Withdraw::signed(
        &fx.b.l2,
        CHAIN,
        AccountId(fx.ib),
        fx.b.address(),
        TokenId(0),
        Amount(balance - 5),
        Amount(10),
        Nonce(1),
    )
    .unwrap()
    .signature;
    assert_eq!(violated(&over), Some("balance_a_range"));
}

// ------------------------------------------------------------------ key changes

#[test]
fn rejects_a_key_change_over_another_nonce() {
    let mut fx = fixture();
    let r = fx.b.change_pubkey(fx.ib, 0, 0, 1);
    let mut w = batch(&mut fx, &[r], 1);
    // The owner's key signed nonce 5; the account's nonce (what the pubdata carries) is 1.
    w.slots[0].signature = change_signature(&fx.b, fx.ib, 0, 0, 5);
    assert_eq!(violated(&w), Some("signature"));
}

/// The new key's signature of a key change by `u`.
fn change_signature(u: &User, id: u32, token: u16, fee: u128, nonce: u32) -> L2Signature {
    match u.change_pubkey(id, token, fee, nonce) {
        zkr_state::OpRequest::Tx(zkr_types::tx::L2Tx::ChangePubKey(c)) => c.signature,
        other => panic!("{other:?}"),
    }
}

#[test]
fn rejects_a_key_change_whose_fee_the_account_cannot_pay() {
    let mut fx = fixture();
    let r = fx.b.change_pubkey(fx.ib, 2, 0, 1);
    let mut w = batch(&mut fx, &[r], 1);
    // B holds nothing of token 2; the fee is signed by B's key.
    match &mut w.slots[0].op {
        Op::ChangePubKey(c) => c.fee = Amount(10),
        _ => unreachable!(),
    }
    w.slots[0].signature = change_signature(&fx.b, fx.ib, 2, 10, 1);
    assert_eq!(violated(&w), Some("balance_a_range"));
}

#[test]
fn rejects_a_key_change_fee_in_a_token_the_batch_does_not_credit() {
    let mut fx = fixture();
    let r = fx.b.change_pubkey(fx.ib, 1, 10, 1);
    let mut w = batch(&mut fx, &[r], 1);
    assert_eq!(w.fees[0].token, TokenId(1));
    w.fees[0].token = TokenId(0);
    assert_eq!(violated(&w), Some("fee_token"));
}

// ------------------------------------------------------------------ overflows

#[test]
fn rejects_a_deposit_past_max_balance() {
    let mut fx = fixture();
    let r = fx.b.deposit(0, 500);
    let mut w = batch(&mut fx, &[r], 1);
    // B holds 1,000,000; a deposit of 2^128 - 1,000,000 would make exactly 2^128.
    match &mut w.slots[0].op {
        Op::Deposit(d) => d.amount = Amount(u128::MAX - 1_000_000 + 1),
        _ => unreachable!(),
    }
    assert_eq!(violated(&w), Some("balance_a_range"));
}

#[test]
fn rejects_a_fee_credit_past_max_balance() {
    // The fee account already holds MAX_BALANCE - 5 of ETH; a withdrawal pays a fee of 10.
    let operator = User::new(10);
    let user = User::new(11);
    let mut fee_account = Account::new(operator.address());
    fee_account.set_balance(TokenId(0), u128::MAX - 5);
    let mut payer = Account::new(user.address());
    payer.pubkey_hash = pubkey_hash(&user.l2.public());
    payer.set_balance(TokenId(0), 100);
    let mut paid = payer.clone();
    paid.set_balance(TokenId(0), 89);
    paid.nonce = Nonce(1);
    let mut s0 = state_of(vec![fee_account.clone(), payer]);
    let mut s1 = state_of(vec![fee_account, paid]);
    let wd = Withdraw::signed(
        &user.l2,
        CHAIN,
        AccountId(1),
        user.address(),
        TokenId(0),
        Amount(1),
        Amount(10),
        Nonce(0),
    )
    .unwrap();
    let a = update_between(&mut s0, &mut s1, AccountId(1));
    let b = s1.probe(AccountId(1), TokenId(0)).unwrap();
    let slots = vec![SlotWitness {
        op: Op::Withdraw(WithdrawOp {
            account_id: AccountId(1),
            token: TokenId(0),
            amount: Amount(1),
            fee: Amount(10),
            to: user.address(),
        }),
        a,
        b,
        signature: wd.signature,
        rest: Vec::new(),
        limits: [0, 0],
    }];
    // No state holds 2^128 + 4: whatever root is claimed (here `s1`'s), the credit overflows
    // first.
    let w = hand_batch(&mut s0, &mut s1, slots, AccountId(0), 10);
    let rule = BatchCircuit::new(w).unwrap().check().unwrap().unwrap();
    assert_eq!((rule.label, rule.slot), ("fee_balance_range", None));
}

#[test]
fn the_fee_account_is_credited_the_whole_fee_total() {
    let mut fx = fixture();
    let r1 = fx.a.transfer(fx.ia, fx.b.address(), 0, 1_000, 10, 1);
    let r2 = fx.b.transfer(fx.ib, fx.c.address(), 0, 1_000, 30, 1);
    let w = batch(&mut fx, &[r1, r2], 2);
    assert_eq!((w.fees[0].token, w.fees[0].amount), (TokenId(0), 40));
    assert_eq!(violated(&w), None);
    // The operator claims a root where the fee account got one wei less (keeping it).
    let credit = &w.fees[0].update;
    let mut short = credit.after.clone();
    short.balance -= 1;
    let mut lie = w.clone();
    lie.new_root = credit.root_of(&short);
    assert_eq!(violated(&lie), Some("commitment"));
}

#[test]
fn the_sender_nonce_goes_up_by_one() {
    let mut fx = fixture();
    let w = withdraw_witness(&mut fx, 1_000, 0);
    let a = &w.slots[0].a;
    assert_eq!(a.after.nonce.0, a.before.nonce.0 + 1);
    // Claims the nonce unchanged (so the signature could be replayed), or up by two.
    for nonce in [a.before.nonce, Nonce(a.before.nonce.0 + 2)] {
        let mut leaf = a.after.clone();
        leaf.nonce = nonce;
        let mut lie = w.clone();
        lie.new_root = a.root_of(&leaf);
        assert_eq!(violated(&lie), Some("commitment"), "nonce {nonce:?}");
    }
}

// ------------------------------------------------------------------ batch meta

#[test]
fn the_proof_binds_batch_number_chain_id_and_fee_account() {
    let mut fx = fixture();
    let w = {
        let to = fx.b.address();
        transfer_batch(&mut fx, to, 10)
    };
    let parts = w.commitment().unwrap();
    let pubdata = w.ops_pubdata().unwrap();
    let claim = |n: u64, chain: u32, fee: u32| {
        BatchCommitment::new(
            BatchNumber(n),
            ChainId(chain),
            AccountId(fee),
            parts.old_root,
            parts.new_root,
            &pubdata,
        )
        .unwrap()
        .commitment()
    };
    let honest = claim(parts.batch_number.0, CHAIN.0, fx.ia);
    assert_eq!(honest, parts.commitment());
    // The same witness cannot prove another batch number, chain or fee account.
    for other in [
        claim(parts.batch_number.0 + 1, CHAIN.0, fx.ia),
        claim(parts.batch_number.0, CHAIN.0 + 1, fx.ia),
        claim(parts.batch_number.0, CHAIN.0, fx.ib),
    ] {
        let c = BatchCircuit {
            assignment: w.assignment().unwrap(),
            commitment: Some(other),
        };
        assert_eq!(c.check().unwrap().map(|r| r.label), Some("commitment"));
    }
    // Nor can the operator change the meta in the witness: the chain id is in every signed
    // message, the fee account picks the leaf the fees go to.
    let mut a = w.assignment().unwrap();
    a.chain_id += Fr::ONE;
    assert_eq!(violated_by(&a), Some("signature"));
    let mut a = w.assignment().unwrap();
    a.fee_account = Fr::from(fx.ib);
    assert_eq!(violated_by(&a), Some("fee_path"));
}

// ------------------------------------------------------------------ packing

#[test]
fn rejects_a_non_canonical_packed_amount_or_fee() {
    let mut fx = fixture();
    // 1,000 is packed as m = 1, e = 3; m = 10, e = 2 is the same value, not canonical.
    let w = {
        let to = fx.b.address();
        transfer_batch(&mut fx, to, 10)
    };
    let canonical = w.assignment().unwrap();
    assert_eq!(canonical.slots[0].amount_packed, Fr::from((1u64 << 5) | 3));
    let mut a = canonical.clone();
    a.slots[0].amount_packed = Fr::from((10u64 << 5) | 2);
    resign_transfer(&mut a, &fx.a, fx.ia);
    assert_eq!(violated_by(&a), Some("packed_canonical"));
    // Fee 10: m = 1, e = 1 canonically; m = 10, e = 0 is not.
    let mut a = canonical.clone();
    a.slots[0].fee_packed = Fr::from(10u64 << 5);
    resign_transfer(&mut a, &fx.a, fx.ia);
    assert_eq!(violated_by(&a), Some("packed_canonical"));
    // Zero with a non-zero exponent.
    let mut a = canonical;
    a.slots[0].fee_packed = Fr::from(7u64);
    resign_transfer(&mut a, &fx.a, fx.ia);
    assert_eq!(violated_by(&a), Some("packed_canonical"));
}

#[test]
fn rejects_a_packed_amount_above_max_balance() {
    let mut fx = fixture();
    let w = {
        let to = fx.b.address();
        transfer_batch(&mut fx, to, 10)
    };
    let mut a = w.assignment().unwrap();
    // (2^35 - 1) * 10^31 > 2^128 - 1, and its mantissa is not divisible by 10 (canonical).
    a.slots[0].amount_packed = Fr::from(((1u64 << 35) - 1) << 5 | 31);
    resign_transfer(&mut a, &fx.a, fx.ia);
    assert_eq!(violated_by(&a), Some("packed_amount_range"));
}

#[test]
fn a_signed_transfer_of_the_raw_message_is_the_native_one() {
    // The hand-built message of these tests is §5's: checked against the native builder.
    let u = User::new(1);
    let t = Transfer::signed(
        &u.l2,
        CHAIN,
        AccountId(0),
        Address::repeat_byte(3),
        TokenId(1),
        Amount(1_000),
        Amount(10),
        Nonce(4),
    )
    .unwrap();
    let m = raw_message(
        3,
        0,
        1,
        4,
        Fr::from((1u64 << 5) | 1),
        Fr::from((1u64 << 5) | 3),
        address_to_fr(&Address::repeat_byte(3)),
    );
    assert_eq!(m, t.message(CHAIN).unwrap());
}
