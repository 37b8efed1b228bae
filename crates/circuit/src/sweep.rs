//! The witness-mutation sweep: the operator is the adversary, so start from valid batches that
//! hold every operation type, change one value of the circuit's assignment at a time (every op
//! field, leaf value, path sibling, signature part, fee credit and batch meta; several values
//! each) and require that the circuit rejects the result unless it proves a transition the
//! native state transition accepts.
//!
//! An accepted mutation is classified by the statement it proves (meta, old root, new root and
//! the pubdata its elements spell):
//! - the same transition as the original (a value no rule depends on, such as the signature of
//!   an unsigned slot, or the challenge `z`, which L1 recomputes anyway): harmless;
//! - elements that are no operation's pubdata: no pubdata L1 is given can match them (the
//!   polynomial check of §6), so the statement can never be posted;
//! - otherwise the decoded operations are replayed natively on the same pre-state (with the
//!   signatures, receiver and authorizations the assignment holds) and must be accepted, op for
//!   op, and reach the same new root. Anything else is a forgery.

use crate::assignment::BatchAssignment;
use crate::batch::{BatchCircuit, Statement};
use crate::witness::{BatchBuilder, BatchWitness};
use ark_ff::{AdditiveGroup, PrimeField};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use zkr_crypto::Fr;
use zkr_crypto::field::fr_to_be_bytes;
use zkr_state::fixtures::{CHAIN, User, three_users};
use zkr_state::storage::MemoryStorage;
use zkr_state::{DepositRequest, FullExitRequest, OpRequest, State};
use zkr_types::dex::{AddLiquidity, CreatePool, RemoveLiquidity, Swap};
use zkr_types::float::unpack_amount;
use zkr_types::op::{Op, op_elements, op_type, parse_pubdata, pubdata_len};
use zkr_types::tx::{L2Signature, L2Tx, Transfer, Withdraw};
use zkr_types::{AccountId, Address, Amount, ChainId};

/// Which Merkle-path siblings to mutate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathCoverage {
    /// Every sibling of every path, with every mutation value.
    All,
    /// One sibling per level of every path (rotating through the three), one value (`+1`):
    /// a changed sibling changes the root through Poseidon whichever it is.
    OnePerLevel,
}

/// What the sweep tried and found.
#[derive(Debug, Default, Clone)]
pub struct SweepReport {
    /// Mutations tried (one value changed each).
    pub tried: usize,
    /// Rejected by the circuit, by the first rule they break.
    pub rejected: BTreeMap<&'static str, usize>,
    /// Accepted, proving the original transition, by value pattern (slot and fee indices
    /// erased): values the statement does not depend on.
    pub same_transition: BTreeMap<String, usize>,
    /// Accepted, with elements that are no pubdata (never postable).
    pub not_pubdata: usize,
    /// Accepted, proving another transition the native code accepts.
    pub valid_alternatives: Vec<String>,
    /// Accepted and not natively valid: bugs.
    pub forgeries: Vec<String>,
}

impl SweepReport {
    /// Mutations the circuit rejected.
    pub fn rejected_total(&self) -> usize {
        self.rejected.values().sum()
    }

    /// Mutations accepted as the original transition.
    pub fn same_transition_total(&self) -> usize {
        self.same_transition.values().sum()
    }

    fn merge(&mut self, o: SweepReport) {
        self.tried += o.tried;
        for (k, v) in o.rejected {
            *self.rejected.entry(k).or_default() += v;
        }
        for (k, v) in o.same_transition {
            *self.same_transition.entry(k).or_default() += v;
        }
        self.not_pubdata += o.not_pubdata;
        self.valid_alternatives.extend(o.valid_alternatives);
        self.forgeries.extend(o.forgeries);
    }
}

/// What each fixture user holds of tokens 0 and 1.
const FUNDS: u128 = 1_000_000;

/// A valid batch to mutate: its requests, applied after `before` (earlier batches) on the
/// fixture state.
struct Baseline {
    before: Vec<(Vec<OpRequest>, usize)>,
    requests: Vec<OpRequest>,
    witness: BatchWitness,
}

/// The pre-state of a baseline: the fixture plus the earlier batches.
fn pre_state(before: &[(Vec<OpRequest>, usize)]) -> State<MemoryStorage> {
    let (mut state, _, _) = three_users(MemoryStorage::new(), FUNDS);
    for (requests, slots) in before {
        BatchBuilder::build(&mut state, *slots, requests).expect("baseline batches are valid");
        state.seal_block().expect("block");
    }
    state
}

/// Batches holding every operation type: new and existing deposits, a key registration, a
/// transfer, a transfer to a new account, a Noop, a withdrawal, full exits that pay and that
/// pay nothing; fees in two tokens; and (DEX circuit) a swap, liquidity added to a
/// funded pool and removed, a pool created (after a batch, not swept, that funds pool 0).
fn baselines() -> Vec<Baseline> {
    let (_, [a, b, c], [ia, ib, ic]) = three_users(MemoryStorage::new(), FUNDS);
    let d = User::new(4);
    let fresh = Address::repeat_byte(0x55);
    let plan: Vec<(Vec<OpRequest>, usize)> = vec![
        (
            vec![
                d.deposit(0, 5_000),
                d.change_pubkey(3, 0, 10, 0),
                b.deposit(1, 77),
            ],
            3,
        ),
        (
            vec![
                a.transfer(ia, b.address(), 0, 1_000, 10, 1),
                a.transfer(ia, fresh, 1, 2_000, 20, 2),
            ],
            3,
        ),
        (
            vec![
                b.withdraw(ib, b.address(), 0, 123_457, 30, 1),
                c.full_exit(ic, 1),
                b.full_exit(ia, 0),
            ],
            3,
        ),
        (
            vec![
                a.create_pool(ia, (0, 1), 10, 3),
                a.add_liquidity(ia, 0, (0, 1), (200_000, 300_000), 0, 10, 4),
            ],
            2,
        ),
        (
            vec![
                b.swap(ib, 0, 1, 0, 5_000, 1, 10, 2),
                b.add_liquidity(ib, 0, (0, 1), (10_000, 10_000), 1, 10, 3),
                a.remove_liquidity(ia, 0, (0, 1), 1_000, (1, 1), 10, 5),
                a.create_pool(ia, (0, 2), 10, 6),
            ],
            4,
        ),
    ];
    // the batch that funds pool 0 is only a pre-state
    const NOT_SWEPT: usize = 3;
    let mut state = pre_state(&[]);
    let mut out = Vec::new();
    for (i, (requests, slots)) in plan.iter().enumerate() {
        let witness = BatchBuilder::build(&mut state, *slots, requests).expect("baseline is valid");
        state.seal_block().expect("block");
        if i == NOT_SWEPT {
            continue;
        }
        out.push(Baseline {
            before: plan[..i].to_vec(),
            requests: requests.clone(),
            witness,
        });
    }
    out
}

/// The name of a value with slot and fee indices and the update letter erased: values under
/// the same pattern are "another account's value" for each other.
fn pattern(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_index = false;
    for (i, ch) in name.char_indices() {
        match ch {
            '[' if name[..i].ends_with("slot") || name[..i].ends_with("fee") => {
                in_index = true;
                out.push_str("[*");
            }
            ']' if in_index => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(ch),
        }
    }
    out.replace("].a.", "].?.").replace("].b.", "].?.")
}

/// The mutation values of a value `v` (distinct, each different from `v`).
fn mutations(v: Fr, other: Option<Fr>, full: bool) -> Vec<Fr> {
    let mut out = vec![v + Fr::from(1u64)];
    if full {
        out.extend([v - Fr::from(1u64), Fr::ZERO, -Fr::from(1u64)]);
        out.extend(other);
    }
    let mut seen = Vec::new();
    out.retain(|x| {
        let keep = *x != v && !seen.contains(x);
        seen.push(*x);
        keep
    });
    out
}

fn is_path(name: &str) -> bool {
    name.contains("_path[")
}

/// The sibling of a path this coverage mutates: `[level][i]` with `i = level % 3`.
fn covered_sibling(name: &str) -> bool {
    let Some(start) = name.rfind("_path[") else {
        return true;
    };
    let rest = &name[start + 6..];
    let mut parts = rest.split(['[', ']']).filter(|p| !p.is_empty());
    match (
        parts.next().and_then(|l| l.parse::<usize>().ok()),
        parts.next().and_then(|i| i.parse::<usize>().ok()),
    ) {
        (Some(level), Some(i)) => i == level % 3,
        _ => true,
    }
}

/// Every (index, name, mutated value) of the sweep over `assignment`.
fn plan(assignment: &BatchAssignment, paths: PathCoverage) -> Vec<(usize, String, Fr)> {
    let mut values = Vec::new();
    assignment
        .clone()
        .visit(&mut |name, v| values.push((name.to_string(), *v)));
    let mut by_pattern: HashMap<String, Vec<Fr>> = HashMap::new();
    for (name, v) in &values {
        let p = by_pattern.entry(pattern(name)).or_default();
        if !p.contains(v) {
            p.push(*v);
        }
    }
    let mut out = Vec::new();
    for (index, (name, v)) in values.iter().enumerate() {
        let path = is_path(name);
        if path && paths == PathCoverage::OnePerLevel && !covered_sibling(name) {
            continue;
        }
        let other = by_pattern[&pattern(name)].iter().find(|o| *o != v).copied();
        let full = !path || paths == PathCoverage::All;
        for m in mutations(*v, other, full) {
            out.push((index, name.clone(), m));
        }
    }
    out
}

fn set(assignment: &mut BatchAssignment, index: usize, value: Fr) {
    let mut i = 0;
    assignment.visit(&mut |_, v| {
        if i == index {
            *v = value;
        }
        i += 1;
    });
}

/// The bytes of a field element below `2^(8 * n)`, big-endian, or `None`.
fn be_bytes(e: &Fr, n: usize) -> Option<Vec<u8>> {
    let all = fr_to_be_bytes(e);
    let (high, low) = all.split_at(all.len() - n);
    high.iter().all(|b| *b == 0).then(|| low.to_vec())
}

/// The operation pubdata a slot's elements spell, `Some(empty)` for a Noop, `None` when no
/// operation's pubdata has these elements.
fn decode(elements: &[Fr]) -> Option<Vec<u8>> {
    let Some(e0) = elements.first() else {
        return Some(Vec::new());
    };
    let first = be_bytes(e0, 31)?;
    let len = pubdata_len(first[0]).filter(|l| *l > 0)?;
    let mut bytes = first;
    if len > 31 {
        let e1 = elements.get(1)?;
        let rest = if bytes[0] == op_type::CHANGE_PUBKEY {
            be_bytes(e1, 32)?
        } else {
            be_bytes(e1, 31)?
        };
        bytes.extend(rest);
    }
    if bytes[len..].iter().any(|b| *b != 0) {
        return None;
    }
    bytes.truncate(len);
    (op_elements(&bytes) == elements).then_some(bytes)
}

/// `meta`'s parts: batch number, chain id, fee account.
fn meta_parts(meta: &Fr) -> Option<(u64, u32, u32)> {
    let bytes = be_bytes(meta, 15)?;
    let word = u128::from_be_bytes({
        let mut b = [0u8; 16];
        b[1..].copy_from_slice(&bytes);
        b
    });
    let fee_account = (word >> 96) as u32;
    (fee_account < 1 << 24).then_some((word as u64, (word >> 64) as u32, fee_account))
}

/// The native request that would produce `op` in `slot` of the mutated assignment, or why
/// there is none.
fn request_for(
    op: &Op,
    slot: usize,
    mutated: &BatchAssignment,
    original: &[OpRequest],
    state: &State<MemoryStorage>,
) -> Result<OpRequest, String> {
    let nonce = |id: AccountId| -> Result<_, String> {
        Ok(state
            .account(id)
            .map_err(|e| e.to_string())?
            .map(|a| a.nonce)
            .unwrap_or_default())
    };
    let receiver = || -> Result<Address, String> {
        let bytes =
            be_bytes(&mutated.slots[slot].address, 20).ok_or("the receiver is not an address")?;
        Ok(Address::from_slice(&bytes))
    };
    let pool = |id| -> Result<zkr_state::Pool, String> {
        state
            .pool(id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no pool {id:?}"))
    };
    let dex = || {
        mutated.slots[slot]
            .dex
            .as_ref()
            .ok_or("a DEX operation in the transfer circuit")
    };
    let limit = |packed: Fr| -> Result<Amount, String> {
        let bytes = be_bytes(&packed, 8).ok_or("a packed limit out of range")?;
        let v = u64::from_be_bytes(bytes.try_into().expect("8 bytes"));
        unpack_amount(v).map(Amount).map_err(|e| e.to_string())
    };
    let transfer = |from: AccountId, to, token, amount, fee| -> Result<OpRequest, String> {
        Ok(OpRequest::Tx(L2Tx::Transfer(Transfer {
            from,
            to,
            token,
            amount,
            fee,
            nonce: nonce(from)?,
            signature: L2Signature::from(&mutated.slots[slot].signature),
        })))
    };
    Ok(match op {
        Op::Noop => OpRequest::Noop,
        Op::Deposit(d) => OpRequest::Deposit(DepositRequest {
            owner: d.owner,
            token: d.token,
            amount: d.amount,
        }),
        Op::FullExit(f) => OpRequest::FullExit(FullExitRequest {
            account_id: f.account_id,
            owner: f.owner,
            token: f.token,
        }),
        // The pubdata of a Transfer names the receiver by id only: the signed address is the
        // assignment's.
        Op::Transfer(t) => transfer(t.from, receiver()?, t.token, t.amount, t.fee)?,
        Op::TransferToNew(t) => transfer(t.from, t.to, t.token, t.amount, t.fee)?,
        Op::Withdraw(w) => OpRequest::Tx(L2Tx::Withdraw(Withdraw {
            account_id: w.account_id,
            to: w.to,
            token: w.token,
            amount: w.amount,
            fee: w.fee,
            nonce: nonce(w.account_id)?,
            signature: L2Signature::from(&mutated.slots[slot].signature),
        })),
        Op::ChangePubKey(c) => {
            // The owner's Ethereum authorization is checked by L1, not the circuit: the only
            // one that exists is the original request's.
            let Some(OpRequest::Tx(L2Tx::ChangePubKey(orig))) = original.get(slot) else {
                return Err("a key change nobody authorized on L1".into());
            };
            let mut r = orig.clone();
            r.account_id = c.account_id;
            r.owner = c.owner;
            r.new_pub_key_hash = c.new_pub_key_hash;
            r.fee_token = c.fee_token;
            r.fee = c.fee;
            r.nonce = c.nonce;
            r.signature = L2Signature::from(&mutated.slots[slot].signature);
            OpRequest::Tx(L2Tx::ChangePubKey(r))
        }
        // A DEX transaction's pair is its pool's, its limits are the assignment's.
        Op::Swap(s) => {
            let p = pool(s.pool)?;
            let (sell, buy) = match s.sell_b {
                true => (p.token_b, p.token_a),
                false => (p.token_a, p.token_b),
            };
            OpRequest::Tx(L2Tx::Swap(Swap {
                account_id: s.account_id,
                pool: s.pool,
                sell,
                buy,
                amount_in: s.amount_in,
                min_out: limit(dex()?.packed[0])?,
                fee: s.fee,
                nonce: nonce(s.account_id)?,
                signature: L2Signature::from(&mutated.slots[slot].signature),
            }))
        }
        Op::AddLiquidity(l) => {
            let p = pool(l.pool)?;
            OpRequest::Tx(L2Tx::AddLiquidity(AddLiquidity {
                account_id: l.account_id,
                pool: l.pool,
                token_a: p.token_a,
                token_b: p.token_b,
                max_a: l.max_a,
                max_b: l.max_b,
                min_shares: limit(dex()?.packed[1])?,
                fee: l.fee,
                nonce: nonce(l.account_id)?,
                signature: L2Signature::from(&mutated.slots[slot].signature),
            }))
        }
        Op::RemoveLiquidity(r) => {
            let p = pool(r.pool)?;
            OpRequest::Tx(L2Tx::RemoveLiquidity(RemoveLiquidity {
                account_id: r.account_id,
                pool: r.pool,
                token_a: p.token_a,
                token_b: p.token_b,
                shares: r.shares,
                min_a: limit(mutated.slots[slot].amount_packed)?,
                min_b: limit(dex()?.packed[0])?,
                fee: r.fee,
                nonce: nonce(r.account_id)?,
                signature: L2Signature::from(&mutated.slots[slot].signature),
            }))
        }
        Op::CreatePool(c) => OpRequest::Tx(L2Tx::CreatePool(CreatePool {
            account_id: c.account_id,
            token_a: c.token_a,
            token_b: c.token_b,
            fee: c.fee,
            nonce: nonce(c.account_id)?,
            signature: L2Signature::from(&mutated.slots[slot].signature),
        })),
    })
}

/// Whether `statement` (from `mutated`) is a transition the native code accepts from the
/// baseline's pre-state. `Err` says why not.
fn natively_valid(
    base: &Baseline,
    mutated: &BatchAssignment,
    statement: &Statement,
    ops_pubdata: &[Vec<u8>],
) -> Result<(), String> {
    let (_, chain, fee_account) = meta_parts(&statement.meta).ok_or("meta out of range")?;
    let mut ops = Vec::new();
    for p in ops_pubdata {
        ops.push(match p.is_empty() {
            true => Op::Noop,
            false => parse_pubdata(p)
                .map_err(|e| e.to_string())?
                .pop()
                .ok_or("no operation")?,
        });
    }
    let signed = ops.iter().any(|o| {
        matches!(
            o,
            Op::ChangePubKey(_)
                | Op::Transfer(_)
                | Op::TransferToNew(_)
                | Op::Withdraw(_)
                | Op::Swap(_)
                | Op::AddLiquidity(_)
                | Op::RemoveLiquidity(_)
                | Op::CreatePool(_)
        )
    });
    // Unsigned operations and fee credits do not depend on the chain id; a signed one under
    // another chain id would need a signature valid on two chains.
    if ChainId(chain) != CHAIN && signed {
        return Err(format!("signed operations under chain id {chain}"));
    }
    let mut state = pre_state(&base.before);
    state.set_witness_mode(true);
    if state.root().map_err(|e| e.to_string())? != statement.old_root {
        return Err("another old root".into());
    }
    state
        .set_fee_account(AccountId(fee_account))
        .map_err(|e| e.to_string())?;
    let mut builder = BatchBuilder::new(&mut state, ops.len()).map_err(|e| e.to_string())?;
    for (slot, op) in ops.iter().enumerate() {
        if *op == Op::Noop {
            continue;
        }
        let request = request_for(op, slot, mutated, &base.requests, builder.state())?;
        let applied = builder
            .apply(&request)
            .map_err(|e| format!("slot {slot}: {e}"))?;
        if applied.op != *op {
            return Err(format!("slot {slot}: native makes {:?}", applied.op));
        }
    }
    let native = builder.finish().map_err(|e| e.to_string())?;
    let native_ops: Vec<Vec<u8>> = native.ops_pubdata().map_err(|e| e.to_string())?;
    let ours: Vec<&Vec<u8>> = ops_pubdata.iter().filter(|p| !p.is_empty()).collect();
    let theirs: Vec<&Vec<u8>> = native_ops.iter().filter(|p| !p.is_empty()).collect();
    if ours != theirs {
        return Err("native pubdata differs".into());
    }
    if native.new_root != statement.new_root {
        return Err("native new root differs".into());
    }
    Ok(())
}

/// The outcome of one mutation.
enum Outcome {
    Rejected(&'static str),
    SameTransition,
    NotPubdata,
    ValidAlternative,
    Forgery(String),
}

fn transition(s: &Statement) -> (Fr, Fr, Fr, Fr, &Vec<Vec<Fr>>) {
    // The batch number is a label: the transition does not depend on it.
    let meta_without_number = Fr::from_bigint({
        let mut b = s.meta.into_bigint();
        b.0[0] = 0;
        b
    })
    .unwrap_or(s.meta);
    (
        meta_without_number,
        s.old_root,
        s.new_root,
        s.pubdata_hash,
        &s.elements,
    )
}

fn classify(base: &Baseline, original: &Statement, mutated: &BatchAssignment) -> Outcome {
    let circuit = BatchCircuit::with_own_commitment(mutated.clone());
    let (rule, statement) = match circuit.evaluate() {
        Ok(r) => r,
        Err(_) => return Outcome::Rejected("synthesis"),
    };
    if let Some(rule) = rule {
        return Outcome::Rejected(rule.label);
    }
    let Some(statement) = statement else {
        return Outcome::Forgery("no statement".into());
    };
    if transition(&statement) == transition(original) {
        return Outcome::SameTransition;
    }
    let Some(ops_pubdata) = statement
        .elements
        .iter()
        .map(|e| decode(e))
        .collect::<Option<Vec<_>>>()
    else {
        return Outcome::NotPubdata;
    };
    match natively_valid(base, mutated, &statement, &ops_pubdata) {
        Ok(()) => Outcome::ValidAlternative,
        Err(why) => Outcome::Forgery(why),
    }
}

fn sweep_one(batch: usize, base: &Baseline, paths: PathCoverage) -> SweepReport {
    let assignment = base.witness.assignment().expect("baseline assignment");
    let (rule, original) = BatchCircuit::with_own_commitment(assignment.clone())
        .evaluate()
        .expect("synthesis");
    assert!(
        rule.is_none(),
        "the baseline satisfies the circuit: {rule:?}"
    );
    let original = original.expect("values");
    assert_eq!(
        original.commitment,
        base.witness.commitment().expect("commitment").commitment(),
        "circuit and native compute the same commitment"
    );
    let plan = plan(&assignment, paths);
    plan.par_iter()
        .map(|(index, name, value)| {
            let mut m = assignment.clone();
            set(&mut m, *index, *value);
            let mut r = SweepReport {
                tried: 1,
                ..SweepReport::default()
            };
            match classify(base, &original, &m) {
                Outcome::Rejected(label) => {
                    r.rejected.insert(label, 1);
                }
                Outcome::SameTransition => {
                    r.same_transition.insert(pattern(name), 1);
                }
                Outcome::NotPubdata => r.not_pubdata = 1,
                Outcome::ValidAlternative => r
                    .valid_alternatives
                    .push(format!("batch[{batch}].{name} = {value}")),
                Outcome::Forgery(why) => r
                    .forgeries
                    .push(format!("batch[{batch}].{name} = {value}: {why}")),
            }
            r
        })
        .reduce(SweepReport::default, |mut a, b| {
            a.merge(b);
            a
        })
}

/// Runs the sweep over every baseline batch on `threads` threads. The work runs in its own
/// rayon pool, which arkworks' parallel iterators (when the `parallel` feature is on in the
/// build) then share instead of oversubscribing the cores.
pub fn run(paths: PathCoverage, threads: usize) -> SweepReport {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .expect("a thread pool");
    pool.install(|| {
        let mut report = SweepReport::default();
        for (batch, base) in baselines().iter().enumerate() {
            report.merge(sweep_one(batch, base, paths));
        }
        report
    })
}
