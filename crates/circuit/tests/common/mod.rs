//! Fixtures shared by the circuit's integration tests.
#![allow(dead_code)]

use zkr_circuit::witness::FeeWitness;
use zkr_circuit::{BatchAssignment, BatchBuilder, BatchCircuit, BatchWitness, SlotWitness};
use zkr_state::OpRequest;
use zkr_state::State;
use zkr_state::account::Account;
use zkr_state::fixtures::{CHAIN, User, config, three_users};
use zkr_state::storage::MemoryStorage;
use zkr_state::witness::AccountUpdate;
use zkr_types::params::MAX_FEE_TOKENS_PER_BATCH;
use zkr_types::{AccountId, BatchNumber, TokenId};

/// Three onboarded users (ETH and token 1, keys registered); A is the fee account.
pub struct Fx {
    pub state: State<MemoryStorage>,
    pub a: User,
    pub b: User,
    pub c: User,
    pub ia: u32,
    pub ib: u32,
    pub ic: u32,
}

pub fn fixture() -> Fx {
    let (state, [a, b, c], [ia, ib, ic]) = three_users(MemoryStorage::new(), 1_000_000);
    Fx {
        state,
        a,
        b,
        c,
        ia,
        ib,
        ic,
    }
}

/// The witness of `requests` applied in a batch of `slots` slots (each must be accepted).
pub fn batch(fx: &mut Fx, requests: &[OpRequest], slots: usize) -> BatchWitness {
    BatchBuilder::build(&mut fx.state, slots, requests).unwrap_or_else(|e| panic!("rejected: {e}"))
}

/// The first violated rule of `w` against its own commitment.
pub fn violated(w: &BatchWitness) -> Option<&'static str> {
    BatchCircuit::new(w.clone())
        .unwrap()
        .check()
        .unwrap()
        .map(|r| r.label)
}

/// The first violated rule of an assignment whose public input is the commitment its values
/// lead to (what an operator who chose those values would post).
pub fn violated_by(a: &BatchAssignment) -> Option<&'static str> {
    BatchCircuit::with_own_commitment(a.clone())
        .check()
        .unwrap()
        .map(|r| r.label)
}

/// A state whose accounts are exactly `accounts` (ids in order), in witness mode: for witnesses
/// the native code would never build.
pub fn state_of(accounts: Vec<Account>) -> State<MemoryStorage> {
    let mut s = State::open(MemoryStorage::new(), config()).unwrap();
    s.load_genesis(accounts).unwrap();
    s.set_witness_mode(true);
    s
}

/// The update of account `id`'s ETH leaf from what `before` holds to what `after` holds (the
/// paths are `before`'s): a slot's update for a transition the native code would not make.
pub fn update_between(
    before: &mut State<MemoryStorage>,
    after: &mut State<MemoryStorage>,
    id: AccountId,
) -> AccountUpdate {
    let mut u = before.probe(id, TokenId(0)).unwrap();
    let to = after.probe(id, TokenId(0)).unwrap();
    u.after = to.before;
    u.root_after = to.root_before;
    assert!(u.is_consistent());
    u
}

/// Batch 1 taking `first` to `last` through `slots`, crediting `fee` ETH to `fee_account`
/// (in `last`) in the first fee credit, nothing in the others.
pub fn hand_batch(
    first: &mut State<MemoryStorage>,
    last: &mut State<MemoryStorage>,
    slots: Vec<SlotWitness>,
    fee_account: AccountId,
    fee: u128,
) -> BatchWitness {
    let fees = (0..MAX_FEE_TOKENS_PER_BATCH)
        .map(|k| FeeWitness {
            token: TokenId(0),
            amount: if k == 0 { fee } else { 0 },
            update: last.probe(fee_account, TokenId(0)).unwrap(),
        })
        .collect();
    BatchWitness {
        batch_number: BatchNumber(1),
        chain_id: CHAIN,
        fee_account,
        old_root: first.root().unwrap(),
        new_root: last.root().unwrap(),
        slots,
        fees,
    }
}
