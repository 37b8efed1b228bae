//! `zkr circuit`: statistics of the batch circuit, the Solidity verifier, proof fixtures.

use super::keys_dir;
use anyhow::{Context, Result, bail};
use ark_relations::gr1cs::ConstraintSystem;
use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use zkr_circuit::{BatchBuilder, BatchCircuit, BatchWitness};
use zkr_crypto::Fr;
use zkr_crypto::field::fr_to_decimal;
use zkr_prover::solidity::verifier_source;
use zkr_prover::{KeyStore, prove, verify};
use zkr_state::fixtures::{User, config, onboard, state_with_tokens};
use zkr_state::storage::MemoryStorage;
use zkr_state::{OpRequest, State};
use zkr_types::{AccountId, Address};

#[derive(Debug, Subcommand)]
pub enum CircuitCommand {
    /// Prints one JSON object: constraints per slot for each operation type, the batch total
    /// for --slots N, and what a slot's constraints are spent on.
    Stats {
        /// Operation slots of the batch.
        #[arg(long, default_value_t = 8)]
        slots: usize,
    },
    /// Writes the Solidity Groth16 verifier for the circuit with --slots N (running the
    /// INSECURE dev setup unless its keys are cached).
    ExportVerifier {
        /// Operation slots of the batch.
        #[arg(long)]
        slots: usize,
        /// Output .sol file.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        keys: KeysArgs,
    },
    /// Proves a fixed sample batch from genesis (deposits, a key registration, a transfer)
    /// and writes the proof, its public input and the batch as JSON, for contract tests.
    ExportProofFixture {
        /// Operation slots of the batch (at least 4).
        #[arg(long)]
        slots: usize,
        /// Output .json file.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        keys: KeysArgs,
    },
}

/// Where proving keys are cached.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// Directory of cached proving keys [default: $XDG_CACHE_HOME/zkr/keys or ~/.cache/zkr/keys].
    #[arg(long, env = "ZKR_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,
}

pub fn run(cmd: CircuitCommand) -> Result<()> {
    match cmd {
        CircuitCommand::Stats { slots } => stats(slots),
        CircuitCommand::ExportVerifier { slots, out, keys } => {
            let store = KeyStore::new(keys_dir(keys.keys_dir));
            let (keys, _) = store.load_or_dev_setup(slots, &progress)?;
            std::fs::write(&out, verifier_source(keys.vk(), &keys.shape, true))
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {} (INSECURE dev keys)", out.display());
            Ok(())
        }
        CircuitCommand::ExportProofFixture { slots, out, keys } => {
            if slots < 4 {
                bail!("--slots must be at least 4 for the sample batch");
            }
            let store = KeyStore::new(keys_dir(keys.keys_dir));
            let (keys, _) = store.load_or_dev_setup(slots, &progress)?;
            let witness = sample_batch(slots)?;
            let proof = prove(&keys, witness.clone(), &progress)?;
            if !verify(&keys.pvk, &proof.commitment, &proof.proof) {
                bail!("the fresh proof does not verify");
            }
            let parts = witness.commitment()?;
            let (a, b, c) = proof.solidity_words();
            let dec = |w: &[u8; 32]| alloy_primitives::U256::from_be_bytes(*w).to_string();
            let fixture = json!({
                "slots": slots,
                "shapeDigest": keys.shape.digest.to_string(),
                "commitment": fr_to_decimal(&proof.commitment),
                "a": a.iter().map(dec).collect::<Vec<_>>(),
                "b": b.iter().map(|r| r.iter().map(dec).collect::<Vec<_>>()).collect::<Vec<_>>(),
                "c": c.iter().map(dec).collect::<Vec<_>>(),
                "batch": serde_json::to_value(parts)?,
                "pubdata": format!("0x{}", hex::encode(witness.ops_pubdata()?.concat())),
            });
            std::fs::write(&out, serde_json::to_string_pretty(&fixture)? + "\n")
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {}", out.display());
            Ok(())
        }
    }
}

pub(crate) fn progress(msg: &str) {
    eprintln!("zkr: {msg}");
}

fn constraints_of(w: BatchWitness) -> Result<(usize, Vec<zkr_circuit::slot::RuleSpan>)> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let rules = BatchCircuit::new(w)?.synthesize(cs.clone())?;
    Ok((cs.num_constraints(), rules))
}

/// Builds a request for the account id of user 1.
type MakeOp = fn(u32) -> OpRequest;

/// One-slot batches holding each operation type.
fn one_op_batches() -> Result<Vec<(&'static str, BatchWitness)>> {
    let mut out = Vec::new();
    let (a, b) = (User::new(1), User::new(2));
    let cases: Vec<(&'static str, MakeOp)> = vec![
        ("noop", |_| OpRequest::Noop),
        ("deposit", |_| User::new(1).deposit(0, 100)),
        ("change_pubkey", |ia| {
            User::new(1).change_pubkey(ia, 0, 0, 1)
        }),
        ("transfer", |ia| {
            User::new(1).transfer(ia, User::new(2).address(), 0, 100, 1, 1)
        }),
        ("transfer_to_new", |ia| {
            User::new(1).transfer(ia, Address::repeat_byte(7), 0, 100, 1, 1)
        }),
        ("withdraw", |ia| {
            User::new(1).withdraw(ia, User::new(1).address(), 0, 100, 1, 1)
        }),
        ("full_exit", |ia| User::new(1).full_exit(ia, 0)),
    ];
    for (name, make) in cases {
        let mut state = state_with_tokens(MemoryStorage::new(), 2);
        let ia = onboard(&mut state, &a, 10_000);
        onboard(&mut state, &b, 10_000);
        state.set_fee_account(AccountId(ia)).unwrap();
        state.seal_batch()?;
        let mut builder = BatchBuilder::new(&mut state, 1)?;
        builder.apply(&make(ia))?;
        out.push((name, builder.finish()?));
    }
    Ok(out)
}

fn stats(slots: usize) -> Result<()> {
    if slots == 0 {
        bail!("--slots must be at least 1");
    }
    // Overhead = a 1-slot batch minus one slot (a 0-slot batch folds a few constants away).
    let (one, _) = constraints_of(zkr_circuit::empty_batch(1, config().chain_id)?)?;
    let (two, _) = constraints_of(zkr_circuit::empty_batch(2, config().chain_id)?)?;
    let empty_total = one - (two - one);
    let mut per_op = Map::new();
    let mut breakdown: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, w) in one_op_batches()? {
        let (total, rules) = constraints_of(w)?;
        per_op.insert(name.into(), Value::from(total - empty_total));
        if name == "transfer" {
            for r in rules.iter().filter(|r| r.slot.is_some()) {
                *breakdown.entry(r.label).or_default() += r.end - r.start;
            }
        }
    }
    let (total, _) = constraints_of(zkr_circuit::empty_batch(slots, config().chain_id)?)?;
    println!(
        "{}",
        json!({
            "slots": slots,
            "total_constraints": total,
            "batch_overhead_constraints": empty_total,
            "per_op": per_op,
            "transfer_slot_breakdown": breakdown,
        })
    );
    Ok(())
}

/// The sample batch of the proof fixture: the first batch from genesis.
pub fn sample_batch(slots: usize) -> Result<BatchWitness> {
    let mut state: State<MemoryStorage> = state_with_tokens(MemoryStorage::new(), 2);
    let (a, b) = (User::new(1), User::new(2));
    let mut builder = BatchBuilder::new(&mut state, slots)?;
    builder.apply(&a.deposit(0, 1_000_000_000_000_000_000))?;
    builder.apply(&b.deposit(0, 500_000_000_000_000_000))?;
    builder.apply(&a.change_pubkey(0, 0, 0, 0))?;
    builder.apply(&a.transfer(
        0,
        b.address(),
        0,
        250_000_000_000_000_000,
        1_000_000_000_000_000,
        1,
    ))?;
    Ok(builder.finish()?)
}
