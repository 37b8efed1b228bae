//! The operator-key attack (issue 10), as the operator would build it: the operator registers its
//! own L2 key on a free leaf (owner 0), places the next user's deposit in that leaf, and
//! withdraws it with its key. The native state transition never produces these operations, so
//! the witness is assembled by hand from the states before and after each step; every slot's
//! leaf values and Merkle paths are consistent, so only the protocol rules can stop it.

mod common;

use ark_ff::Field;
use common::{hand_batch, state_of, update_between};
use zkr_circuit::witness::no_signature;
use zkr_circuit::{BatchCircuit, BatchWitness, SlotWitness};
use zkr_crypto::Fr;
use zkr_state::account::Account;
use zkr_state::fixtures::{CHAIN, User};
use zkr_state::storage::MemoryStorage;
use zkr_state::{OpRequest, State, StateError};
use zkr_types::op::{ChangePubKeyOp, DepositOp, FullExitOp, Op, TransferToNewOp, WithdrawOp};
use zkr_types::tx::{ChangePubKey, L2Signature, L2Tx, Transfer, Withdraw, pubkey_hash};
use zkr_types::{AccountId, Address, Amount, Nonce, TokenId};

const K: AccountId = AccountId(1);
const FEE_ACCOUNT: AccountId = AccountId(0);
const STOLEN: u128 = 5_000;

struct Attack {
    operator: User,
    victim: User,
}

impl Attack {
    fn new() -> Self {
        Attack {
            operator: User::new(10),
            victim: User::new(11),
        }
    }

    fn operator_pkh(&self) -> Fr {
        pubkey_hash(&self.operator.l2.public())
    }

    /// The operator's own account: the batch's fee account.
    fn fee_account(&self) -> Account {
        let mut a = Account::new(self.operator.address());
        a.pubkey_hash = self.operator_pkh();
        a
    }

    /// Leaf K: owner-less, but holding the operator's key (what step 1 writes).
    fn keyed_leaf(&self, owner: Address, nonce: u32, balance: u128) -> Account {
        let mut a = Account::new(owner);
        a.pubkey_hash = self.operator_pkh();
        a.nonce = Nonce(nonce);
        a.set_balance(TokenId(0), balance);
        a
    }

    /// Step 1: ChangePubKey on the free leaf K, owner 0, the operator's key, signed by it.
    fn change_pubkey(&self) -> (Op, L2Signature) {
        let c = ChangePubKey {
            account_id: K,
            owner: Address::ZERO,
            new_pub_key_hash: self.operator_pkh(),
            fee_token: TokenId(0),
            fee: Amount(0),
            nonce: Nonce(0),
            eth_signature: [0; 65],
            signature: no_signature(),
        };
        let sig = L2Signature::sign(&self.operator.l2, &c.message(CHAIN).unwrap());
        let op = Op::ChangePubKey(ChangePubKeyOp {
            account_id: K,
            owner: Address::ZERO,
            new_pub_key_hash: self.operator_pkh(),
            nonce: Nonce(0),
            fee_token: TokenId(0),
            fee: Amount(0),
        });
        (op, sig)
    }

    /// Step 3: the operator withdraws K's balance to itself with its key.
    fn withdraw(&self, nonce: u32) -> (Op, L2Signature) {
        let w = Withdraw::signed(
            &self.operator.l2,
            CHAIN,
            K,
            self.operator.address(),
            TokenId(0),
            Amount(STOLEN),
            Amount(0),
            Nonce(nonce),
        )
        .unwrap();
        let op = Op::Withdraw(WithdrawOp {
            account_id: K,
            token: TokenId(0),
            amount: Amount(STOLEN),
            fee: Amount(0),
            to: self.operator.address(),
        });
        (op, w.signature)
    }
}

/// One slot that changes leaf K from what `before` holds to what `after` holds: the update's
/// paths come from `before`, the no-change second update from `after`.
fn slot(
    before: &mut State<MemoryStorage>,
    after: &mut State<MemoryStorage>,
    op: Op,
    signature: L2Signature,
) -> SlotWitness {
    let a = update_between(before, after, K);
    let b = after.probe(K, TokenId(0)).unwrap();
    SlotWitness {
        op,
        a,
        b,
        signature,
        rest: Vec::new(),
        limits: [0, 0],
    }
}

/// The batch `slots` takes `first` to `last` in, with no fees.
fn witness(
    first: &mut State<MemoryStorage>,
    last: &mut State<MemoryStorage>,
    slots: Vec<SlotWitness>,
) -> BatchWitness {
    hand_batch(first, last, slots, FEE_ACCOUNT, 0)
}

fn first_violation(w: &BatchWitness) -> Option<(&'static str, Option<usize>)> {
    BatchCircuit::new(w.clone())
        .unwrap()
        .check()
        .unwrap()
        .map(|r| (r.label, r.slot))
}

#[test]
fn the_circuit_refuses_a_key_on_a_free_leaf_and_so_the_whole_theft() {
    let x = Attack::new();
    let victim = x.victim.address();
    let mut s0 = state_of(vec![x.fee_account()]);
    let mut s1 = state_of(vec![x.fee_account(), x.keyed_leaf(Address::ZERO, 1, 0)]);
    let mut s2 = state_of(vec![x.fee_account(), x.keyed_leaf(victim, 1, STOLEN)]);
    let mut s3 = state_of(vec![x.fee_account(), x.keyed_leaf(victim, 2, 0)]);
    let (cpk, cpk_sig) = x.change_pubkey();
    let deposit = Op::Deposit(DepositOp {
        account_id: K,
        owner: victim,
        token: TokenId(0),
        amount: Amount(STOLEN),
    });
    let (withdraw, withdraw_sig) = x.withdraw(1);
    let slots = vec![
        slot(&mut s0, &mut s1, cpk, cpk_sig),
        slot(&mut s1, &mut s2, deposit, no_signature()),
        slot(&mut s2, &mut s3, withdraw, withdraw_sig),
    ];
    let w = witness(&mut s0, &mut s3, slots);
    // Before the fix the circuit accepted this batch (`None`): the slot-0 ChangePubKey passed
    // `change_pubkey_owner` because the empty leaf's owner 0 equals the named owner 0.
    assert_eq!(first_violation(&w), Some(("account_exists", Some(0))));

    // Naming itself as the owner (so that L1 gets a real signature of that owner) does not help:
    // the empty leaf has no owner, so it is no account to re-key.
    let mut named = w.clone();
    match &mut named.slots[0].op {
        Op::ChangePubKey(c) => c.owner = x.operator.address(),
        _ => unreachable!(),
    }
    assert_eq!(first_violation(&named), Some(("account_exists", Some(0))));
}

#[test]
fn a_pre_keyed_owner_less_leaf_takes_no_deposit_and_no_new_account() {
    // Defence in depth: even from a state that already holds an owner-less leaf with a key
    // (which no rule can now produce), a deposit or a TransferToNew may not adopt it.
    let x = Attack::new();
    let victim = x.victim.address();

    let mut s1 = state_of(vec![x.fee_account(), x.keyed_leaf(Address::ZERO, 1, 0)]);
    let mut s2 = state_of(vec![x.fee_account(), x.keyed_leaf(victim, 1, STOLEN)]);
    let deposit = Op::Deposit(DepositOp {
        account_id: K,
        owner: victim,
        token: TokenId(0),
        amount: Amount(STOLEN),
    });
    let slots = vec![slot(&mut s1, &mut s2, deposit, no_signature())];
    let w = witness(&mut s1, &mut s2, slots);
    assert_eq!(
        first_violation(&w),
        Some(("deposit_new_account_empty", Some(0)))
    );

    // A transfer from the operator's own funded account to a new account placed at K.
    let mut funded = x.fee_account();
    funded.set_balance(TokenId(0), STOLEN);
    let mut s1 = state_of(vec![funded.clone(), x.keyed_leaf(Address::ZERO, 1, 0)]);
    let mut spent = funded;
    spent.set_balance(TokenId(0), 0);
    spent.nonce = Nonce(1);
    let mut mid = state_of(vec![spent.clone(), x.keyed_leaf(Address::ZERO, 1, 0)]);
    let mut s2 = state_of(vec![spent, x.keyed_leaf(victim, 1, STOLEN)]);
    let t = Transfer::signed(
        &x.operator.l2,
        CHAIN,
        FEE_ACCOUNT,
        victim,
        TokenId(0),
        Amount(STOLEN),
        Amount(0),
        Nonce(0),
    )
    .unwrap();
    let a = update_between(&mut s1, &mut mid, FEE_ACCOUNT);
    let op = Op::TransferToNew(TransferToNewOp {
        from: FEE_ACCOUNT,
        to_id: K,
        to: victim,
        token: TokenId(0),
        amount: Amount(STOLEN),
        fee: Amount(0),
    });
    let b = update_between(&mut mid, &mut s2, K);
    let transfer = SlotWitness {
        op,
        a,
        b,
        signature: t.signature,
        rest: Vec::new(),
        limits: [0, 0],
    };
    let w = witness(&mut s1, &mut s2, vec![transfer]);
    assert_eq!(
        first_violation(&w),
        Some(("transfer_to_new_empty", Some(0)))
    );
}

#[test]
fn the_native_state_transition_refuses_the_first_step() {
    let x = Attack::new();
    let mut s0 = state_of(vec![x.fee_account()]);
    let (_, sig) = x.change_pubkey();
    let request = OpRequest::Tx(L2Tx::ChangePubKey(ChangePubKey {
        account_id: K,
        owner: Address::ZERO,
        new_pub_key_hash: x.operator_pkh(),
        fee_token: TokenId(0),
        fee: Amount(0),
        nonce: Nonce(0),
        eth_signature: [0; 65],
        signature: sig,
    }));
    let root = s0.root().unwrap();
    assert!(matches!(
        s0.apply(&request),
        Err(StateError::UnknownAccount(K))
    ));
    assert_eq!(s0.root().unwrap(), root, "a rejection changes nothing");
}

#[test]
fn an_owner_less_leaf_pays_out_no_full_exit() {
    // A special account (owner 0, key hash 2^253 + 1, reserves): what an AMM pool will be. A
    // full exit "requested by" address 0 would claim its balance, since 0 == 0.
    let x = Attack::new();
    let mut pool = Account::new(Address::ZERO);
    pool.pubkey_hash = Fr::from(2u64).pow([253]) + Fr::from(1u64);
    pool.set_balance(TokenId(0), STOLEN);
    let mut drained = pool.clone();
    drained.set_balance(TokenId(0), 0);
    let mut s0 = state_of(vec![x.fee_account(), pool]);
    let mut s1 = state_of(vec![x.fee_account(), drained]);
    let exit = Op::FullExit(FullExitOp {
        account_id: K,
        owner: Address::ZERO,
        token: TokenId(0),
        amount: Amount(STOLEN),
    });
    let slots = vec![slot(&mut s0, &mut s1, exit, no_signature())];
    let w = witness(&mut s0, &mut s1, slots);
    assert_eq!(first_violation(&w), Some(("full_exit_amount", Some(0))));
}
