//! The batch circuit against the native state transition: a mixed batch with every operation
//! type satisfies it, and for every rule of `docs/protocol.md` an otherwise valid witness with
//! exactly that rule broken does not (`docs/soundness.md` lists rule -> test).

mod common;

use common::{Fx, batch, fixture, violated};
use zkr_circuit::{BatchBuilder, BatchCircuit, BatchWitness};
use zkr_crypto::Fr;
use zkr_state::State;
use zkr_state::fixtures::{User, config};
use zkr_state::storage::MemoryStorage;
use zkr_types::op::{FullExitOp, Op, TransferToNewOp};
use zkr_types::tx::{L2Signature, transfer_message};
use zkr_types::{AccountId, Address, Amount, ChainId, Nonce, TokenId};

fn sign_transfer(
    u: &User,
    from: u32,
    to: Address,
    token: u16,
    amount: u128,
    fee: u128,
    nonce: u32,
) -> L2Signature {
    u.transfer_tx(from, to, token, amount, fee, nonce).signature
}

#[test]
fn a_mixed_batch_of_every_operation_type_satisfies_the_circuit() {
    let mut fx = fixture();
    let d = User::new(4);
    let fresh = Address::repeat_byte(0x55);
    let (a, b, c) = (fx.a.clone(), fx.b.clone(), fx.c.clone());
    let (ia, ib, ic) = (fx.ia, fx.ib, fx.ic);
    let requests = vec![
        d.deposit(0, 5_000),
        d.change_pubkey(3, 0, 0, 0),
        a.transfer(ia, b.address(), 0, 1_000, 10, 1),
        a.transfer(ia, fresh, 1, 2_000, 20, 2),
        b.withdraw(ib, b.address(), 0, 123_457, 30, 1),
        c.full_exit(ic, 1),
        b.full_exit(ia, 0),
        d.transfer(3, a.address(), 0, 100, 0, 1),
    ];
    let w = batch(&mut fx, &requests, 10);
    let kinds: Vec<u8> = w.slots.iter().map(|s| s.op.op_type()).collect();
    assert_eq!(kinds, vec![1, 2, 3, 4, 5, 6, 6, 3, 0, 0]);
    assert_ne!(w.old_root, w.new_root);
    assert_eq!(
        w.new_root,
        fx.state.root().unwrap(),
        "native and witness agree on the root"
    );
    assert_eq!(violated(&w), None);
}

#[test]
fn an_all_noop_batch_keeps_the_root_and_cannot_claim_another() {
    let mut fx = fixture();
    let w = batch(&mut fx, &[], 2);
    assert_eq!(w.old_root, w.new_root);
    assert_eq!(violated(&w), None);
    let mut lie = w.clone();
    lie.new_root += Fr::from(1u64);
    assert_eq!(violated(&lie), Some("commitment"));
}

#[test]
fn rejects_a_tampered_signature() {
    let mut fx = fixture();
    let r = fx.a.transfer(fx.ia, fx.b.address(), 0, 1_000, 10, 1);
    let mut w = batch(&mut fx, &[r], 1);
    w.slots[0].signature.s += Fr::from(1u64);
    assert_eq!(violated(&w), Some("signature"));
}

#[test]
fn rejects_a_signature_by_another_key() {
    let mut fx = fixture();
    let r = fx.a.transfer(fx.ia, fx.b.address(), 0, 1_000, 10, 1);
    let mut w = batch(&mut fx, &[r], 1);
    w.slots[0].signature = sign_transfer(&fx.b, fx.ia, fx.b.address(), 0, 1_000, 10, 1);
    assert_eq!(violated(&w), Some("signer_key"));
}

#[test]
fn rejects_a_signature_over_another_nonce_or_chain() {
    let mut fx = fixture();
    let r = fx.a.transfer(fx.ia, fx.b.address(), 0, 1_000, 10, 1);
    let w = batch(&mut fx, &[r], 1);
    let mut wrong_nonce = w.clone();
    wrong_nonce.slots[0].signature = sign_transfer(&fx.a, fx.ia, fx.b.address(), 0, 1_000, 10, 2);
    assert_eq!(violated(&wrong_nonce), Some("signature"));
    let mut wrong_chain = w.clone();
    let m = transfer_message(
        ChainId(1),
        AccountId(fx.ia),
        fx.b.address(),
        TokenId(0),
        Amount(1_000),
        Amount(10),
        Nonce(1),
    )
    .unwrap();
    wrong_chain.slots[0].signature = L2Signature::sign(&fx.a.l2, &m);
    assert_eq!(violated(&wrong_chain), Some("signature"));
}

#[test]
fn rejects_paying_another_receiver_than_signed() {
    // The user signed a transfer to C; the operator credits B.
    let mut fx = fixture();
    let r = fx.a.transfer(fx.ia, fx.b.address(), 0, 1_000, 10, 1);
    let mut w = batch(&mut fx, &[r], 1);
    w.slots[0].signature = sign_transfer(&fx.a, fx.ia, fx.c.address(), 0, 1_000, 10, 1);
    assert_eq!(violated(&w), Some("signature"));
}

fn set_transfer_amounts(w: &mut BatchWitness, amount: u128, fee: u128) {
    match &mut w.slots[0].op {
        Op::Transfer(t) => {
            t.amount = Amount(amount);
            t.fee = Amount(fee);
        }
        other => panic!("expected a transfer, got {other:?}"),
    }
}

#[test]
fn rejects_an_overdraft() {
    let mut fx = fixture();
    let r = fx.a.transfer(fx.ia, fx.b.address(), 0, 1_000, 0, 1);
    let mut w = batch(&mut fx, &[r], 1);
    set_transfer_amounts(&mut w, 2_000_000, 0);
    w.slots[0].signature = sign_transfer(&fx.a, fx.ia, fx.b.address(), 0, 2_000_000, 0, 1);
    assert_eq!(violated(&w), Some("balance_a_range"));
}

#[test]
fn rejects_an_overdraft_by_the_fee() {
    let mut fx = fixture();
    let r = fx.a.transfer(fx.ia, fx.b.address(), 0, 1_000, 0, 1);
    let mut w = batch(&mut fx, &[r], 1);
    set_transfer_amounts(&mut w, 1_000_000, 1);
    w.slots[0].signature = sign_transfer(&fx.a, fx.ia, fx.b.address(), 0, 1_000_000, 1, 1);
    assert_eq!(violated(&w), Some("balance_a_range"));
}

#[test]
fn rejects_a_receiver_overflow() {
    let mut fx = fixture();
    let big = u128::MAX - 5;
    let d = fx.b.deposit(2, big);
    fx.state.apply(&d).unwrap();
    fx.state.apply(&fx.a.deposit(2, 100)).unwrap();
    let r = fx.a.transfer(fx.ia, fx.b.address(), 2, 1, 0, 1);
    let mut w = batch(&mut fx, &[r], 1);
    match &mut w.slots[0].op {
        Op::Transfer(t) => t.amount = Amount(10),
        _ => unreachable!(),
    }
    w.slots[0].signature = sign_transfer(&fx.a, fx.ia, fx.b.address(), 2, 10, 0, 1);
    assert_eq!(violated(&w), Some("balance_b_range"));
}

#[test]
fn rejects_transfer_to_new_into_an_existing_account() {
    let mut fx = fixture();
    let r = fx.a.transfer(fx.ia, fx.b.address(), 0, 1_000, 10, 1);
    let mut w = batch(&mut fx, &[r], 1);
    w.slots[0].op = Op::TransferToNew(TransferToNewOp {
        from: AccountId(fx.ia),
        to_id: AccountId(fx.ib),
        to: fx.b.address(),
        token: TokenId(0),
        amount: Amount(1_000),
        fee: Amount(10),
    });
    assert_eq!(violated(&w), Some("transfer_to_new_empty"));
}

#[test]
fn rejects_a_transfer_from_an_account_without_a_key() {
    let mut fx = fixture();
    let d = User::new(9);
    fx.state.apply(&d.deposit(0, 1_000)).unwrap();
    let id = fx.state.account_id_of(&d.address()).unwrap().unwrap().0;
    // A full exit by someone else touches the keyless account without changing it.
    let r = fx.b.full_exit(id, 0);
    let mut w = batch(&mut fx, &[r], 1);
    w.slots[0].op = Op::Transfer(zkr_types::op::TransferOp {
        from: AccountId(id),
        to_id: AccountId(id),
        token: TokenId(0),
        amount: Amount(1),
        fee: Amount(0),
    });
    w.slots[0].signature = sign_transfer(&d, id, d.address(), 0, 1, 0, 0);
    assert_eq!(violated(&w), Some("signer_key"));
}

#[test]
fn rejects_a_key_change_for_an_account_of_another_owner() {
    let mut fx = fixture();
    let r = fx.b.change_pubkey(fx.ib, 0, 0, 1);
    let mut w = batch(&mut fx, &[r], 1);
    match &mut w.slots[0].op {
        Op::ChangePubKey(c) => c.owner = fx.c.address(),
        _ => unreachable!(),
    }
    assert_eq!(violated(&w), Some("change_pubkey_owner"));
}

#[test]
fn rejects_a_key_change_not_signed_by_the_new_key() {
    let mut fx = fixture();
    let r = fx.b.change_pubkey(fx.ib, 0, 0, 1);
    let mut w = batch(&mut fx, &[r], 1);
    match &mut w.slots[0].op {
        Op::ChangePubKey(c) => c.new_pub_key_hash = Fr::from(12345u64),
        _ => unreachable!(),
    }
    assert_eq!(violated(&w), Some("signer_key"));
}

#[test]
fn rejects_a_deposit_into_an_account_of_another_owner() {
    let mut fx = fixture();
    let r = fx.b.deposit(0, 500);
    let mut w = batch(&mut fx, &[r], 1);
    match &mut w.slots[0].op {
        Op::Deposit(d) => d.owner = fx.c.address(),
        _ => unreachable!(),
    }
    assert_eq!(violated(&w), Some("deposit_owner"));
}

#[test]
fn rejects_a_full_exit_of_the_wrong_amount() {
    let mut fx = fixture();
    let r = fx.c.full_exit(fx.ic, 1);
    let mut w = batch(&mut fx, &[r], 1);
    match &mut w.slots[0].op {
        Op::FullExit(f) => f.amount = Amount(999_999),
        _ => unreachable!(),
    }
    assert_eq!(violated(&w), Some("full_exit_amount"));
}

#[test]
fn rejects_a_full_exit_that_pays_a_non_owner() {
    let mut fx = fixture();
    let r = fx.b.full_exit(fx.ia, 0);
    let mut w = batch(&mut fx, &[r], 1);
    assert!(matches!(
        &w.slots[0].op,
        Op::FullExit(FullExitOp {
            amount: Amount(0),
            ..
        })
    ));
    match &mut w.slots[0].op {
        Op::FullExit(f) => f.amount = Amount(1_000_000),
        _ => unreachable!(),
    }
    assert_eq!(violated(&w), Some("full_exit_amount"));
}

#[test]
fn rejects_an_exhausted_nonce() {
    let mut state = State::open(MemoryStorage::new(), config()).unwrap();
    let u = User::new(1);
    let mut acc = zkr_state::account::Account::new(u.address());
    acc.pubkey_hash = zkr_types::tx::pubkey_hash(&u.l2.public());
    acc.nonce = Nonce(u32::MAX);
    acc.set_balance(TokenId(0), 1_000);
    state.load_genesis(vec![acc]).unwrap();
    state.set_fee_account(AccountId(0)).unwrap();
    state.seal_block().unwrap();
    let mut fx = Fx {
        state,
        a: u.clone(),
        b: User::new(2),
        c: User::new(3),
        ia: 0,
        ib: 0,
        ic: 0,
    };
    let r = fx.b.full_exit(0, 0);
    let mut w = batch(&mut fx, &[r], 1);
    w.slots[0].op = Op::Transfer(zkr_types::op::TransferOp {
        from: AccountId(0),
        to_id: AccountId(0),
        token: TokenId(0),
        amount: Amount(1),
        fee: Amount(0),
    });
    w.slots[0].signature = sign_transfer(&u, 0, u.address(), 0, 1, 0, u32::MAX);
    assert_eq!(violated(&w), Some("nonce_range"));
}

#[test]
fn rejects_a_wrong_old_root_or_path() {
    let mut fx = fixture();
    let r = fx.a.transfer(fx.ia, fx.b.address(), 0, 1_000, 10, 1);
    let w = batch(&mut fx, &[r], 1);
    let mut wrong_root = w.clone();
    wrong_root.old_root += Fr::from(1u64);
    assert_eq!(violated(&wrong_root), Some("path_a"));
    let mut wrong_sibling = w.clone();
    wrong_sibling.slots[0].b.account_path[7][1] += Fr::from(1u64);
    assert_eq!(violated(&wrong_sibling), Some("path_b"));
}

#[test]
fn rejects_a_fee_in_a_token_the_batch_does_not_credit() {
    let mut fx = fixture();
    let r = fx.a.transfer(fx.ia, fx.b.address(), 1, 1_000, 10, 1);
    let mut w = batch(&mut fx, &[r], 1);
    assert_eq!(w.fees[0].token, TokenId(1));
    w.fees[0].token = TokenId(2);
    assert_eq!(violated(&w), Some("fee_token"));
}

#[test]
fn rejects_fees_credited_to_an_empty_account() {
    let mut fx = fixture();
    let r = fx.a.transfer(fx.ia, fx.b.address(), 0, 1_000, 10, 1);
    let mut builder = BatchBuilder::new(&mut fx.state, 1).unwrap();
    builder.apply(&r).unwrap();
    // The path of an empty leaf at the root the fee credits start from.
    let empty = AccountId(1000);
    let probe = builder.probe(empty, TokenId(0)).unwrap();
    let mut w = builder.finish().unwrap();
    assert_eq!(probe.root_before, w.fees[0].update.root_before);
    w.fees[0].update = probe;
    w.fee_account = empty;
    assert_eq!(violated(&w), Some("fee_account_exists"));
}

#[test]
fn rejects_a_commitment_to_other_pubdata_or_order() {
    let mut fx = fixture();
    let r1 = fx.a.transfer(fx.ia, fx.b.address(), 0, 1_000, 10, 1);
    let r2 = fx.b.deposit(1, 77);
    let w = batch(&mut fx, &[r1, r2], 2);
    let circuit = BatchCircuit::new(w.clone()).unwrap();
    assert_eq!(circuit.check().unwrap(), None);
    let parts = w.commitment().unwrap();
    let mut pubdata = w.ops_pubdata().unwrap();
    // One byte of the deposit amount changed (what L1 would see if the priority op differed).
    let mut changed = pubdata.clone();
    let last = changed[1].len() - 1;
    changed[1][last] ^= 1;
    // The two operations swapped.
    pubdata.swap(0, 1);
    for data in [changed, pubdata] {
        let other = zkr_types::commitment::BatchCommitment::new(
            parts.batch_number,
            parts.chain_id,
            parts.fee_account,
            parts.old_root,
            parts.new_root,
            &data,
        )
        .unwrap();
        let tampered = BatchCircuit {
            assignment: w.assignment().unwrap(),
            commitment: Some(other.commitment()),
        };
        assert_eq!(
            tampered.check().unwrap().map(|r| r.label),
            Some("commitment")
        );
    }
}

#[test]
fn every_slot_costs_the_same_and_the_batch_adds_fee_credits() {
    use ark_relations::gr1cs::ConstraintSystem;
    use zkr_circuit::CircuitKind;
    let size = |n: usize, kind: CircuitKind| {
        let w = zkr_circuit::empty_batch(n, ChainId(1)).unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        BatchCircuit::with_kind(w, kind)
            .unwrap()
            .synthesize(cs.clone())
            .unwrap();
        cs.num_constraints()
    };
    for (kind, slot) in [
        (CircuitKind::Transfer, zkr_circuit::SLOT_CONSTRAINTS),
        (CircuitKind::Dex, zkr_circuit::UNION_SLOT_CONSTRAINTS),
    ] {
        let (one, two, three) = (size(1, kind), size(2, kind), size(3, kind));
        assert_eq!(two - one, three - two, "slots are uniform");
        assert_eq!(two - one, slot, "{kind:?}");
        assert_eq!(one - (two - one), zkr_circuit::BATCH_OVERHEAD_CONSTRAINTS);
    }
}
