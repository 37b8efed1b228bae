//! The native state transition: every operation type applied, every rule rejected.

mod common;

use common::*;
use zkr_state::storage::{MemoryStorage, RedbStorage};
use zkr_state::tree::defaults::genesis_root;
use zkr_state::{OpRequest, State, StateError};
use zkr_types::op::Op;
use zkr_types::tx::L2Tx;
use zkr_types::{AccountId, Address, Amount, Nonce, TokenId};

fn setup() -> (State<MemoryStorage>, User, User, u32, u32) {
    let mut s = state_with_tokens(MemoryStorage::new(), 3);
    let (a, b) = (User::new(1), User::new(2));
    let ia = onboard(&mut s, &a, 1_000_000);
    let ib = onboard(&mut s, &b, 1_000_000);
    (s, a, b, ia, ib)
}

#[test]
fn genesis_root_is_the_empty_tree() {
    let mut s = State::open(MemoryStorage::new(), config()).unwrap();
    assert_eq!(s.root().unwrap(), genesis_root());
}

#[test]
fn deposit_creates_then_credits_the_same_account() {
    let mut s = state_with_tokens(MemoryStorage::new(), 2);
    let u = User::new(1);
    let r0 = s.root().unwrap();
    let a = s.apply(&u.deposit(0, 500)).unwrap();
    assert_eq!(a.pubdata.len(), 41);
    let b = s.apply(&u.deposit(0, 700)).unwrap();
    let (Op::Deposit(d1), Op::Deposit(d2)) = (a.op, b.op) else {
        panic!()
    };
    assert_eq!(d1.account_id, d2.account_id);
    let acc = s.account(d1.account_id).unwrap().unwrap();
    assert_eq!(acc.owner, u.address());
    assert_eq!(acc.balance(TokenId(0)), 1200);
    assert_ne!(s.root().unwrap(), r0);
    assert_eq!(s.next_account_id(), AccountId(1));
}

#[test]
fn transfers_move_funds_and_create_accounts() {
    let (mut s, a, b, ia, ib) = setup();
    // to an existing account
    let t = s
        .apply(&a.transfer(ia, b.address(), 0, 1000, 10, 1))
        .unwrap();
    assert!(matches!(t.op, Op::Transfer(ref op) if op.to_id == AccountId(ib)));
    assert_eq!(t.pubdata.len(), 15);
    // to a new address
    let fresh = Address::repeat_byte(0x77);
    let t2 = s.apply(&a.transfer(ia, fresh, 1, 5000, 0, 2)).unwrap();
    let Op::TransferToNew(op) = t2.op else {
        panic!("expected TransferToNew")
    };
    assert_eq!(t2.pubdata.len(), 35);
    assert_eq!(op.to_id, AccountId(2));
    let acc_a = s.account(AccountId(ia)).unwrap().unwrap();
    assert_eq!(acc_a.balance(TokenId(0)), 1_000_000 - 1010);
    assert_eq!(acc_a.balance(TokenId(1)), 1_000_000 - 5000);
    assert_eq!(acc_a.nonce, Nonce(3));
    assert_eq!(
        s.account(AccountId(ib))
            .unwrap()
            .unwrap()
            .balance(TokenId(0)),
        1_001_000
    );
    let new = s.account(op.to_id).unwrap().unwrap();
    assert_eq!(new.owner, fresh);
    assert_eq!(new.balance(TokenId(1)), 5000);
    assert_eq!(s.account_id_of(&fresh).unwrap(), Some(op.to_id));
    assert_eq!(s.pending_fees().get(TokenId(0)), 10);
}

#[test]
fn self_transfer_only_pays_the_fee() {
    let (mut s, a, _, ia, _) = setup();
    s.apply(&a.transfer(ia, a.address(), 0, 1000, 7, 1))
        .unwrap();
    assert_eq!(
        s.account(AccountId(ia))
            .unwrap()
            .unwrap()
            .balance(TokenId(0)),
        1_000_000 - 7
    );
}

#[test]
fn withdraw_and_full_exit() {
    let (mut s, a, b, ia, ib) = setup();
    let w = s
        .apply(&a.withdraw(ia, Address::repeat_byte(5), 0, 123_457, 20, 1))
        .unwrap();
    assert_eq!(w.pubdata.len(), 43);
    assert_eq!(
        s.account(AccountId(ia))
            .unwrap()
            .unwrap()
            .balance(TokenId(0)),
        1_000_000 - 123_477
    );
    assert_eq!(s.pending_fees().get(TokenId(0)), 20);
    // The owner exits token 1 in full.
    let f = s.apply(&b.full_exit(ib, 1)).unwrap();
    let Op::FullExit(op) = f.op else { panic!() };
    assert_eq!(op.amount, Amount(1_000_000));
    assert_eq!(
        s.account(AccountId(ib))
            .unwrap()
            .unwrap()
            .balance(TokenId(1)),
        0
    );
    // Someone else's exit request pays nothing and changes nothing.
    let root = s.root().unwrap();
    let f = s.apply(&b.full_exit(ia, 0)).unwrap();
    let Op::FullExit(op) = f.op else { panic!() };
    assert_eq!(op.amount, Amount(0));
    assert_eq!(s.root().unwrap(), root);
}

fn assert_rejected(
    s: &mut State<MemoryStorage>,
    req: &OpRequest,
    check: impl Fn(&StateError) -> bool,
) {
    let root = s.root().unwrap();
    let next = s.next_account_id();
    let fees = s.pending_fees().clone();
    let err = s.apply(req).expect_err("must be rejected");
    assert!(check(&err), "unexpected error {err:?}");
    assert_eq!(
        s.root().unwrap(),
        root,
        "a rejected operation changed the root"
    );
    assert_eq!(s.next_account_id(), next);
    assert_eq!(s.pending_fees(), &fees);
}

#[test]
fn every_rule_rejects_and_changes_nothing() {
    let (mut s, a, b, ia, _) = setup();
    let c = User::new(3);
    // bad signature: a valid signature over other fields
    let mut t = a.transfer_tx(ia, b.address(), 0, 1000, 0, 1);
    t.amount = Amount(2000);
    assert_rejected(&mut s, &OpRequest::Tx(L2Tx::Transfer(t)), |e| {
        matches!(e, StateError::InvalidSignature(_))
    });
    // signed by another key
    assert_rejected(&mut s, &b.transfer(ia, b.address(), 0, 1, 0, 1), |e| {
        matches!(e, StateError::WrongSigner(_))
    });
    // stale and future nonce
    assert_rejected(&mut s, &a.transfer(ia, b.address(), 0, 1, 0, 0), |e| {
        matches!(e, StateError::StaleNonce { .. })
    });
    assert_rejected(&mut s, &a.transfer(ia, b.address(), 0, 1, 0, 5), |e| {
        matches!(e, StateError::FutureNonce { .. })
    });
    // overdraft, including the fee
    assert_rejected(
        &mut s,
        &a.transfer(ia, b.address(), 0, 1_000_000, 1, 1),
        |e| {
            matches!(
                e,
                StateError::InsufficientBalance {
                    needed: 1_000_001,
                    ..
                }
            )
        },
    );
    assert_rejected(
        &mut s,
        &a.withdraw(ia, b.address(), 0, 999_999, 2, 1),
        |e| matches!(e, StateError::InsufficientBalance { .. }),
    );
    // unknown account, unknown token
    assert_rejected(&mut s, &a.transfer(99, b.address(), 0, 1, 0, 0), |e| {
        matches!(e, StateError::UnknownAccount(AccountId(99)))
    });
    assert_rejected(&mut s, &a.transfer(ia, b.address(), 7, 1, 0, 1), |e| {
        matches!(e, StateError::UnknownToken(TokenId(7)))
    });
    assert_rejected(&mut s, &a.deposit(9, 1), |e| {
        matches!(e, StateError::UnknownToken(_))
    });
    // zero deposit, zero address
    assert_rejected(&mut s, &a.deposit(0, 0), |e| {
        matches!(e, StateError::ZeroAmount)
    });
    assert_rejected(&mut s, &a.transfer(ia, Address::ZERO, 0, 1, 0, 1), |e| {
        matches!(e, StateError::ZeroAddress)
    });
    assert_rejected(&mut s, &a.withdraw(ia, Address::ZERO, 0, 1, 0, 1), |e| {
        matches!(e, StateError::ZeroAddress)
    });
    // no key registered yet
    let ic = s
        .apply(&c.deposit(0, 10))
        .map(|x| match x.op {
            Op::Deposit(d) => d.account_id.0,
            _ => unreachable!(),
        })
        .unwrap();
    assert_rejected(&mut s, &c.transfer(ic, a.address(), 0, 1, 0, 0), |e| {
        matches!(e, StateError::PubKeyNotSet(_))
    });
    // ChangePubKey: for an account the signer does not own, and with a forged Ethereum signature
    assert_rejected(&mut s, &c.change_pubkey(ia, 0, 0, 1), |e| {
        matches!(e, StateError::OwnerMismatch(_))
    });
    let OpRequest::Tx(L2Tx::ChangePubKey(mut cpk)) = c.change_pubkey(ic, 0, 0, 0) else {
        panic!()
    };
    cpk.eth_signature[10] ^= 0xff;
    assert_rejected(&mut s, &OpRequest::Tx(L2Tx::ChangePubKey(cpk)), |e| {
        matches!(e, StateError::InvalidEthSignature(_))
    });
    // ChangePubKey signed by a different L2 key than the one registered
    let OpRequest::Tx(L2Tx::ChangePubKey(mut cpk)) = c.change_pubkey(ic, 0, 0, 0) else {
        panic!()
    };
    cpk.new_pub_key_hash = zkr_types::Fr::from(12345u64);
    assert_rejected(&mut s, &OpRequest::Tx(L2Tx::ChangePubKey(cpk)), |e| {
        matches!(e, StateError::WrongSigner(_))
    });
    // ChangePubKey fee above balance
    assert_rejected(&mut s, &c.change_pubkey(ic, 0, 20, 0), |e| {
        matches!(e, StateError::InsufficientBalance { .. })
    });
    // amount that is not packable never gets a message
    let err = zkr_types::tx::Transfer::signed(
        &a.l2,
        CHAIN,
        AccountId(ia),
        b.address(),
        TokenId(0),
        Amount(123_456_789_012_345_678),
        Amount(0),
        Nonce(1),
    );
    assert!(err.is_err());
    // overflow of the receiver's balance
    s.apply(&a.deposit(2, 10u128.pow(38))).unwrap();
    s.apply(&b.deposit(2, u128::MAX - 10u128.pow(37))).unwrap();
    assert_rejected(
        &mut s,
        &a.transfer(ia, b.address(), 2, 10u128.pow(38), 0, 1),
        |e| matches!(e, StateError::Overflow),
    );
    assert_rejected(&mut s, &b.deposit(2, u128::MAX), |e| {
        matches!(e, StateError::Overflow)
    });
}

#[test]
fn a_batch_pays_fees_in_at_most_four_tokens() {
    let mut s = state_with_tokens(MemoryStorage::new(), 6);
    let a = User::new(1);
    let b = User::new(2);
    let ia = onboard(&mut s, &a, 1000);
    for t in 2..6 {
        s.apply(&a.deposit(t, 1000)).unwrap();
    }
    for (n, t) in (0u16..4).enumerate() {
        s.apply(&a.transfer(ia, b.address(), t, 10, 1, n as u32 + 1))
            .unwrap();
    }
    assert_rejected(&mut s, &a.transfer(ia, b.address(), 4, 10, 1, 5), |e| {
        matches!(e, StateError::TooManyFeeTokens)
    });
    // Zero fee in a fifth token is fine.
    s.apply(&a.transfer(ia, b.address(), 4, 10, 0, 5)).unwrap();
    // After sealing, fees are credited to the fee account and a new token is accepted.
    s.set_fee_account(AccountId(ia)).unwrap();
    let sealed = s.seal_batch().unwrap();
    assert_eq!(sealed.fees.len(), 4);
    let acc = s.account(AccountId(ia)).unwrap().unwrap();
    assert_eq!(acc.balance(TokenId(0)), 1000 - 11 + 1);
    s.apply(&a.transfer(ia, b.address(), 4, 10, 1, 6)).unwrap();
}

#[test]
fn witnesses_chain_roots_for_every_operation_type() {
    let mut s = state_with_tokens(MemoryStorage::new(), 3);
    s.set_witness_mode(true);
    let (a, b) = (User::new(1), User::new(2));
    let ia = onboard(&mut s, &a, 1_000_000);
    let ib = onboard(&mut s, &b, 1_000_000);
    let requests = vec![
        a.transfer(ia, b.address(), 0, 100, 1, 1),
        a.transfer(ia, Address::repeat_byte(9), 1, 100, 1, 2),
        a.transfer(ia, a.address(), 1, 100, 0, 3),
        b.withdraw(ib, b.address(), 0, 5, 1, 1),
        b.full_exit(ib, 1),
        a.full_exit(ib, 0),
        a.full_exit(4000, 0),
        b.change_pubkey(ib, 0, 3, 2),
        a.deposit(2, 42),
        OpRequest::Noop,
    ];
    for r in &requests {
        let before = s.root().unwrap();
        let applied = s.apply(r).unwrap();
        let w = applied.witness.expect("witness mode");
        let mut cur = before;
        for u in &w.updates {
            assert_eq!(u.root_before, cur, "{r:?}");
            assert!(
                u.is_consistent(),
                "paths do not reproduce the roots for {r:?}"
            );
            cur = u.root_after;
        }
        assert_eq!(cur, s.root().unwrap());
        if matches!(r, OpRequest::Noop) {
            assert!(w.updates.is_empty());
        }
    }
    s.set_fee_account(AccountId(ia)).unwrap();
    let sealed = s.seal_batch().unwrap();
    assert_eq!(
        sealed.fee_updates.len(),
        2,
        "fees were paid in tokens 0 and 1"
    );
    assert!(sealed.fee_updates.iter().all(|u| u.is_consistent()));
}

#[test]
fn witness_mode_and_block_mode_reach_the_same_roots() {
    let run = |witness: bool| {
        let mut s = state_with_tokens(MemoryStorage::new(), 2);
        s.set_witness_mode(witness);
        let users: Vec<User> = (1..=4).map(User::new).collect();
        let ids: Vec<u32> = users.iter().map(|u| onboard(&mut s, u, 10_000)).collect();
        let mut roots = vec![s.seal_block().unwrap().root];
        for round in 0..3u32 {
            for (i, u) in users.iter().enumerate() {
                let to = users[(i + 1) % users.len()].address();
                s.apply(&u.transfer(ids[i], to, 0, 10 + u128::from(round), 1, round + 1))
                    .unwrap();
            }
            roots.push(s.seal_block().unwrap().root);
        }
        roots
    };
    assert_eq!(run(false), run(true));
}

#[test]
fn apply_block_matches_one_by_one_application() {
    let (mut s1, a, b, ia, _) = setup();
    let (mut s2, _, _, _, _) = setup();
    let mut reqs: Vec<OpRequest> = (1..=5)
        .map(|n| a.transfer(ia, b.address(), 0, 10, 1, n))
        .collect();
    let mut bad = a.transfer_tx(ia, b.address(), 0, 10, 1, 6);
    bad.fee = Amount(2);
    reqs.push(OpRequest::Tx(L2Tx::Transfer(bad)));
    let batch: Vec<_> = s1.apply_block(&reqs);
    let single: Vec<_> = reqs.iter().map(|r| s2.apply(r)).collect();
    assert_eq!(batch, single);
    assert!(matches!(batch[5], Err(StateError::InvalidSignature(_))));
    assert_eq!(s1.root().unwrap(), s2.root().unwrap());
}

#[test]
fn redb_state_survives_reopen_and_loses_only_unsealed_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let (a, b) = (User::new(1), User::new(2));
    let (root, ia) = {
        let mut s = state_with_tokens(RedbStorage::open(&path).unwrap(), 2);
        let ia = onboard(&mut s, &a, 5000);
        s.apply(&a.transfer(ia, b.address(), 0, 100, 1, 1)).unwrap();
        let sealed = s.seal_block().unwrap();
        // Work after the last sealed block is lost in a crash (the node keeps it in its mempool).
        s.apply(&a.transfer(ia, b.address(), 0, 100, 1, 2)).unwrap();
        (sealed.root, ia)
    };
    let mut s = State::open(RedbStorage::open(&path).unwrap(), config()).unwrap();
    assert_eq!(s.root().unwrap(), root);
    assert_eq!(s.block_number().0, 1);
    assert_eq!(s.num_tokens(), 2);
    assert_eq!(s.pending_fees().get(TokenId(0)), 1);
    let acc = s.account(AccountId(ia)).unwrap().unwrap();
    assert_eq!(acc.nonce, Nonce(2));
    assert_eq!(acc.balance(TokenId(0)), 5000 - 101);
    assert_eq!(s.account_id_of(&b.address()).unwrap(), Some(AccountId(1)));
    // and continues from there
    s.apply(&a.transfer(ia, b.address(), 0, 100, 1, 2)).unwrap();
    s.seal_block().unwrap();
    // An in-memory replay of the same operations reaches the same root.
    let mut m = state_with_tokens(MemoryStorage::new(), 2);
    let ia2 = onboard(&mut m, &a, 5000);
    m.apply(&a.transfer(ia2, b.address(), 0, 100, 1, 1))
        .unwrap();
    m.apply(&a.transfer(ia2, b.address(), 0, 100, 1, 2))
        .unwrap();
    assert_eq!(m.root().unwrap(), s.root().unwrap());
}

#[test]
fn side_tables_commit_with_their_block() {
    use zkr_state::storage::{SideWrite, Storage};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let a = User::new(1);
    {
        let mut s = state_with_tokens(RedbStorage::open(&path).unwrap(), 1);
        s.apply(&a.deposit(0, 10)).unwrap();
        let w = |k: &[u8], v: Option<&[u8]>| SideWrite {
            table: "records",
            key: k.to_vec(),
            value: v.map(<[u8]>::to_vec),
        };
        s.seal_block_with(vec![w(b"a", Some(b"1")), w(b"b", Some(b"2"))])
            .unwrap();
        s.seal_block_with(vec![w(b"a", None)]).unwrap();
    }
    let storage = RedbStorage::open(&path).unwrap();
    assert_eq!(storage.side_get("records", b"a").unwrap(), None);
    assert_eq!(
        storage.side_get("records", b"b").unwrap(),
        Some(b"2".to_vec())
    );
    assert_eq!(
        storage.side_scan("records").unwrap(),
        vec![(b"b".to_vec(), b"2".to_vec())]
    );
    assert_eq!(storage.side_scan("nothing").unwrap(), vec![]);
    assert_eq!(State::open(storage, config()).unwrap().block_number().0, 2);
}

#[test]
fn an_owner_less_leaf_signs_nothing_even_with_a_key() {
    // A leaf with owner 0 is empty or a special account. Even one holding a key (which no
    // rule produces) may not register another key, transfer or withdraw.
    let u = User::new(1);
    let mut keyed = zkr_state::account::Account::new(Address::ZERO);
    keyed.pubkey_hash = zkr_types::tx::pubkey_hash(&u.l2.public());
    keyed.nonce = Nonce(1);
    keyed.set_balance(TokenId(0), 1_000);
    let mut s = State::open(MemoryStorage::new(), config()).unwrap();
    s.load_genesis(vec![keyed]).unwrap();
    s.seal_block().unwrap();
    let unknown = |e: &StateError| matches!(e, StateError::UnknownAccount(AccountId(0)));
    assert_rejected(&mut s, &u.change_pubkey(0, 0, 0, 1), unknown);
    assert_rejected(&mut s, &u.transfer(0, u.address(), 0, 100, 0, 1), unknown);
    assert_rejected(&mut s, &u.withdraw(0, u.address(), 0, 100, 0, 1), unknown);
}

#[test]
fn cheap_checks_come_before_signature_verification() {
    // A flood of transactions with future nonces or overdrafts is turned away without an
    // EdDSA verification (issue 11, finding 11): with a broken signature too, the nonce or
    // the balance is what rejects them.
    let (mut s, a, b, ia, _) = setup();
    let broken = |r: OpRequest| match r {
        OpRequest::Tx(L2Tx::Transfer(mut t)) => {
            t.signature.s += zkr_crypto::Fr::from(1u64);
            OpRequest::Tx(L2Tx::Transfer(t))
        }
        OpRequest::Tx(L2Tx::Withdraw(mut w)) => {
            w.signature.s += zkr_crypto::Fr::from(1u64);
            OpRequest::Tx(L2Tx::Withdraw(w))
        }
        OpRequest::Tx(L2Tx::ChangePubKey(mut c)) => {
            c.signature.s += zkr_crypto::Fr::from(1u64);
            c.eth_signature = [0; 65];
            OpRequest::Tx(L2Tx::ChangePubKey(c))
        }
        other => other,
    };
    let future = |e: &StateError| matches!(e, StateError::FutureNonce { .. });
    assert_rejected(
        &mut s,
        &broken(a.transfer(ia, b.address(), 0, 1, 0, 9)),
        future,
    );
    assert_rejected(
        &mut s,
        &broken(a.withdraw(ia, a.address(), 0, 1, 0, 9)),
        future,
    );
    assert_rejected(&mut s, &broken(a.change_pubkey(ia, 0, 0, 9)), future);
    let poor = |e: &StateError| matches!(e, StateError::InsufficientBalance { .. });
    let too_much = 10_000_000;
    assert_rejected(
        &mut s,
        &broken(a.transfer(ia, b.address(), 0, too_much, 0, 1)),
        poor,
    );
    // With the nonce and funds right, the broken signature is what rejects it.
    let bad_sig = |e: &StateError| matches!(e, StateError::InvalidSignature(_));
    assert_rejected(
        &mut s,
        &broken(a.transfer(ia, b.address(), 0, 1, 0, 1)),
        bad_sig,
    );
}

/// The exodus proof of a balance: both paths lead to the current root, for a held token, a
/// token never held, and an empty leaf.
#[test]
fn balance_proofs_lead_to_the_root() {
    use zkr_state::account::balance_root_from_path;
    use zkr_state::tree::root_from_path;
    let (mut s, _, ids) = zkr_state::fixtures::three_users(MemoryStorage::new(), 5000);
    for (id, token) in [(ids[1], 1u16), (ids[2], 2), (77, 0)] {
        let p = s.balance_proof(AccountId(id), TokenId(token)).unwrap();
        assert_eq!(p.root, s.root().unwrap());
        assert_eq!(
            balance_root_from_path(
                TokenId(token),
                zkr_types::Fr::from(p.balance),
                &p.balance_path
            ),
            p.account.balance_root()
        );
        assert_eq!(
            root_from_path(AccountId(id), p.account.leaf_hash(), &p.account_path),
            p.root
        );
    }
    assert_eq!(
        s.balance_proof(AccountId(ids[1]), TokenId(1))
            .unwrap()
            .balance,
        5000
    );
    assert!(s.balance_proof(AccountId(1 << 24), TokenId(0)).is_err());
}
