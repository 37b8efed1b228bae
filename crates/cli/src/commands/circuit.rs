//! `zkr circuit`: statistics of the batch circuit, the Solidity verifier, proof fixtures.

use super::keys_dir;
use anyhow::{Context, Result, bail};
use ark_relations::gr1cs::ConstraintSystem;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use zkr_circuit::{BatchBuilder, BatchCircuit, BatchWitness, CircuitKind};
use zkr_crypto::Fr;
use zkr_crypto::eth::Eip712Domain;
use zkr_crypto::field::fr_to_decimal;
use zkr_prover::shape;
use zkr_prover::solidity::verifier_source;
use zkr_prover::{KeyStore, prove, verify};
use zkr_state::fixtures::{User, config, onboard, state_with_tokens};
use zkr_state::storage::MemoryStorage;
use zkr_state::{OpRequest, State};
use zkr_types::tx::{ChangePubKey, L2Tx};
use zkr_types::{AccountId, Address, Amount, Nonce, TokenId};

#[derive(Debug, Subcommand)]
pub enum CircuitCommand {
    /// Prints one JSON object: constraints per slot for each operation type, the batch total
    /// for --slots N, and what a slot's constraints are spent on.
    Stats {
        /// Operation slots of the batch.
        #[arg(long, default_value_t = 8)]
        slots: usize,
    },
    /// Runs the witness-mutation sweep: changes one value of valid batches' circuit assignment
    /// at a time (every operation field, leaf value, path sibling, signature part, fee credit
    /// and batch meta) and checks the circuit rejects every change that does not prove a
    /// natively valid transition. Prints one JSON object; exits non-zero on a forgery.
    Fuzz {
        /// Which Merkle-path siblings to mutate: `one-per-level` (one sibling per level, +1;
        /// what the test suite runs) or `all` (every sibling, every value).
        #[arg(long, default_value = "one-per-level", value_parser = ["one-per-level", "all"])]
        paths: String,
        /// Worker threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// Writes the Solidity Groth16 verifier for the circuit with --slots N (running the
    /// INSECURE dev setup unless its keys are cached): `ZkrBatchVerifier` for the transfer
    /// circuit, `ZkrDexVerifier` for the DEX circuit.
    ExportVerifier {
        /// Operation slots of the batch.
        #[arg(long)]
        slots: usize,
        /// Which batch circuit: `transfer` (batches without DEX operations) or `dex` (union
        /// slots, every operation).
        #[arg(long, value_enum, default_value_t = CircuitArg::Transfer)]
        circuit: CircuitArg,
        /// Output .sol file.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        keys: KeysArgs,
    },
    /// Proves a fixed sample batch from genesis (two deposits, a key registration, a
    /// transfer, a withdrawal, a full exit) and writes everything the rollup contract needs to
    /// commit, prove and execute it as JSON, for contract tests.
    ExportProofFixture {
        /// Operation slots of the batch (at least 6).
        #[arg(long)]
        slots: usize,
        /// Which batch circuit proves the sample batch: `transfer` (for `proveBatch`) or `dex`
        /// (union slots, for `proveDexBatch`). The batch, roots and pubdata are the same.
        #[arg(long, value_enum, default_value_t = CircuitArg::Transfer)]
        circuit: CircuitArg,
        /// Output .json file.
        #[arg(long)]
        out: PathBuf,
        /// L1 chain id of the EIP-712 domain of the key registration.
        #[arg(long, default_value_t = 31337)]
        l1_chain_id: u64,
        /// Rollup contract address of the EIP-712 domain (where the test deploys it).
        #[arg(long)]
        rollup: Address,
        #[command(flatten)]
        keys: KeysArgs,
    },
}

/// One of the two batch circuits (`docs/prover.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CircuitArg {
    /// The transfer circuit: batches without DEX operations.
    Transfer,
    /// The DEX circuit: union slots, every operation type.
    Dex,
}

impl From<CircuitArg> for CircuitKind {
    fn from(c: CircuitArg) -> Self {
        match c {
            CircuitArg::Transfer => CircuitKind::Transfer,
            CircuitArg::Dex => CircuitKind::Dex,
        }
    }
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
        CircuitCommand::Fuzz { paths, threads } => fuzz(&paths, threads),
        CircuitCommand::ExportVerifier {
            slots,
            circuit,
            out,
            keys,
        } => {
            let store = KeyStore::new(keys_dir(keys.keys_dir));
            let (keys, _) = store.load_or_dev_setup(slots, circuit.into(), &progress)?;
            std::fs::write(&out, verifier_source(keys.vk(), &keys.shape, true))
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {} (INSECURE dev keys)", out.display());
            Ok(())
        }
        CircuitCommand::ExportProofFixture {
            slots,
            circuit,
            out,
            l1_chain_id,
            rollup,
            keys,
        } => {
            if slots < 6 {
                bail!("--slots must be at least 6 for the sample batch");
            }
            let store = KeyStore::new(keys_dir(keys.keys_dir));
            let (keys, _) = store.load_or_dev_setup(slots, circuit.into(), &progress)?;
            let domain = Eip712Domain {
                l1_chain_id,
                verifying_contract: rollup,
            };
            let sample = sample_batch(slots, domain)?;
            let witness = sample.witness.clone();
            let proof = prove(&keys, witness.clone(), &progress)?;
            if !verify(&keys.pvk, &proof.commitment, &proof.proof) {
                bail!("the fresh proof does not verify");
            }
            let parts = witness.commitment()?;
            let (a, b, c) = proof.solidity_words();
            let dec = |w: &[u8; 32]| alloy_primitives::U256::from_be_bytes(*w).to_string();
            let fixture = json!({
                "slots": slots,
                "circuit": shape::kind_name(keys.shape.kind),
                "l1ChainId": l1_chain_id,
                "rollup": rollup.to_string(),
                "zkrChainId": witness.chain_id.0,
                "shapeDigest": keys.shape.digest.to_string(),
                "commitment": fr_to_decimal(&proof.commitment),
                "a": a.iter().map(dec).collect::<Vec<_>>(),
                "b": b.iter().map(|r| r.iter().map(dec).collect::<Vec<_>>()).collect::<Vec<_>>(),
                "c": c.iter().map(dec).collect::<Vec<_>>(),
                "oldRoot": fr_to_decimal(&parts.old_root),
                "newRoot": fr_to_decimal(&parts.new_root),
                "pubdataHash": fr_to_decimal(&parts.pubdata_hash),
                "feeAccount": parts.fee_account.0,
                "pubdata": format!("0x{}", hex::encode(witness.ops_pubdata()?.concat())),
                "ethSignatures": sample.eth_signatures.iter().map(|s| format!("0x{}", hex::encode(s))).collect::<Vec<_>>(),
                "users": sample.users.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                "deposits": sample.deposits.iter().map(|(to, amount)| json!({"to": to.to_string(), "amount": amount.to_string()})).collect::<Vec<_>>(),
                "fullExits": sample.full_exits.iter().map(|(owner, id)| json!({"owner": owner.to_string(), "accountId": id})).collect::<Vec<_>>(),
                "exitProof": {
                    "accountId": sample.exit_proof.account_id.0,
                    "owner": sample.exit_proof.before.owner.to_string(),
                    "pubkeyHash": fr_to_decimal(&sample.exit_proof.before.pubkey_hash),
                    "nonce": sample.exit_proof.before.nonce.0,
                    "token": sample.exit_proof.token.0,
                    "balance": sample.exit_proof.before.balance.to_string(),
                    "balancePath": sample.exit_proof.balance_path.iter().map(|s| s.iter().map(fr_to_decimal).collect::<Vec<_>>()).collect::<Vec<_>>(),
                    "accountPath": sample.exit_proof.account_path.iter().map(|s| s.iter().map(fr_to_decimal).collect::<Vec<_>>()).collect::<Vec<_>>(),
                },
                "onchainOps": sample.onchain_ops.iter().map(|(owner, amount)| json!({"owner": owner.to_string(), "token": 0, "amount": amount.to_string()})).collect::<Vec<_>>(),
            });
            std::fs::write(&out, serde_json::to_string_pretty(&fixture)? + "\n")
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {}", out.display());
            Ok(())
        }
    }
}

fn fuzz(paths: &str, threads: usize) -> Result<()> {
    use zkr_circuit::sweep::{PathCoverage, run};
    let coverage = match paths {
        "all" => PathCoverage::All,
        _ => PathCoverage::OnePerLevel,
    };
    progress(&format!(
        "mutation sweep ({paths} path siblings, {threads} threads)"
    ));
    let started = std::time::Instant::now();
    let report = run(coverage, threads);
    println!(
        "{}",
        json!({
            "tried": report.tried,
            "rejected": report.rejected_total(),
            "rejectedByRule": report.rejected,
            "acceptedSameTransition": report.same_transition_total(),
            "acceptedSameTransitionByValue": report.same_transition,
            "acceptedNotPubdata": report.not_pubdata,
            "acceptedNativelyValid": report.valid_alternatives,
            "forgeries": report.forgeries,
            "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        })
    );
    if !report.forgeries.is_empty() {
        bail!("{} accepted forgeries", report.forgeries.len());
    }
    Ok(())
}

pub(crate) fn progress(msg: &str) {
    eprintln!("zkr: {msg}");
}

fn constraints_of(w: BatchWitness) -> Result<(usize, Vec<zkr_circuit::slot::RuleSpan>)> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let rules = BatchCircuit::new(w)?.synthesize(cs.clone())?.rules;
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
        out.push((name, BatchBuilder::build(&mut state, 1, [&make(ia)])?));
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

/// The sample batch of the proof fixture and what L1 sees of it.
pub struct SampleBatch {
    /// The witness.
    pub witness: BatchWitness,
    /// The L1 addresses of the two users.
    pub users: Vec<Address>,
    /// EIP-712 authorizations of the key registrations, in order.
    pub eth_signatures: Vec<[u8; 65]>,
    /// ETH deposits in queue order: (to, amount).
    pub deposits: Vec<(Address, u128)>,
    /// Full exits in queue order: (owner, account id).
    pub full_exits: Vec<(Address, u32)>,
    /// ETH credited on execution, in order: (owner, amount).
    pub onchain_ops: Vec<(Address, u128)>,
    /// A's ETH leaf and its paths in the state after the batch (for exodus exits).
    pub exit_proof: zkr_state::witness::AccountUpdate,
}

/// The first batch from genesis: A and B deposit ETH, A registers its key, sends B 0.25 ETH and
/// withdraws 0.1 ETH to L1, and B asks for a full exit of its ETH.
pub fn sample_batch(slots: usize, domain: Eip712Domain) -> Result<SampleBatch> {
    const ETHER: u128 = 1_000_000_000_000_000_000;
    let mut cfg = config();
    cfg.eip712 = domain;
    let mut state: State<MemoryStorage> = State::open(MemoryStorage::new(), cfg)?;
    let (a, b) = (User::new(1), User::new(2));
    let cpk = ChangePubKey::signed(
        &a.l2,
        &a.eth,
        &domain,
        cfg.chain_id,
        AccountId(0),
        TokenId(0),
        Amount(0),
        Nonce(0),
    )?;
    let eth_signatures = vec![cpk.eth_signature];
    let mut builder = BatchBuilder::new(&mut state, slots)?;
    builder.apply(&a.deposit(0, ETHER))?;
    builder.apply(&b.deposit(0, ETHER / 2))?;
    builder.apply(&OpRequest::Tx(L2Tx::ChangePubKey(cpk)))?;
    builder.apply(&a.transfer(0, b.address(), 0, ETHER / 4, ETHER / 1000, 1))?;
    builder.apply(&a.withdraw(0, a.address(), 0, ETHER / 10, ETHER / 1000, 2))?;
    let exit = builder.apply(&b.full_exit(1, 0))?;
    let exited = match exit.op {
        zkr_types::op::Op::FullExit(f) => f.amount.0,
        _ => bail!("the full exit was not applied as one"),
    };
    let witness = builder.finish()?;
    state.set_witness_mode(true);
    let exit_proof = state.probe(AccountId(0), TokenId(0))?;
    Ok(SampleBatch {
        witness,
        exit_proof,
        users: vec![a.address(), b.address()],
        eth_signatures,
        deposits: vec![(a.address(), ETHER), (b.address(), ETHER / 2)],
        full_exits: vec![(b.address(), 1)],
        onchain_ops: vec![(a.address(), ETHER / 10), (b.address(), exited)],
    })
}
