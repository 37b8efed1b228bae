//! Fixtures shared by the circuit's integration tests.
#![allow(dead_code)]

use zkr_circuit::{BatchAssignment, BatchBuilder, BatchCircuit, BatchWitness};
use zkr_state::OpRequest;
use zkr_state::State;
use zkr_state::account::Account;
use zkr_state::fixtures::{User, config, three_users};
use zkr_state::storage::MemoryStorage;

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
