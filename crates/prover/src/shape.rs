//! The shape of the batch circuit for `N` slots: its size and a digest of its constraint
//! matrices, which keys are cached under (a changed circuit never loads stale keys).

use crate::ProverError;
use alloy_primitives::{B256, Keccak256};
use ark_ff::{BigInteger, PrimeField};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, R1CS_PREDICATE_LABEL,
    SynthesisMode,
};
use zkr_circuit::{BatchCircuit, CircuitKind, empty_batch};
use zkr_crypto::Fr;
use zkr_types::ChainId;

/// Size and identity of the circuit for one slot count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Which batch circuit.
    pub kind: CircuitKind,
    /// Operation slots.
    pub slots: usize,
    /// R1CS constraints.
    pub constraints: usize,
    /// Public inputs (1: the commitment) plus the constant one.
    pub instance_variables: usize,
    /// Witness variables.
    pub witness_variables: usize,
    /// Keccak-256 over the constraint matrices.
    pub digest: B256,
}

impl Shape {
    /// The cache file's text: `constraints instance_variables witness_variables digest`.
    pub fn to_text(&self) -> String {
        format!(
            "{} {} {} {}\n",
            self.constraints, self.instance_variables, self.witness_variables, self.digest
        )
    }

    /// Parses [`Shape::to_text`] for circuit `kind` at `slots`; `None` if it does not parse.
    pub fn parse(text: &str, slots: usize, kind: CircuitKind) -> Option<Shape> {
        let mut f = text.split_whitespace();
        let shape = Shape {
            kind,
            slots,
            constraints: f.next()?.parse().ok()?,
            instance_variables: f.next()?.parse().ok()?,
            witness_variables: f.next()?.parse().ok()?,
            digest: f.next()?.parse().ok()?,
        };
        f.next().is_none().then_some(shape)
    }
}

/// The all-Noop batch circuit `kind` of `slots` slots (used for setup and shape).
pub fn template(slots: usize, kind: CircuitKind) -> Result<BatchCircuit, ProverError> {
    let w = empty_batch(slots, ChainId(0)).map_err(|e| ProverError::State(e.to_string()))?;
    Ok(BatchCircuit::with_kind(w, kind)?)
}

/// The R1CS matrices `[A, B, C]` of one circuit shape: what a proof needs besides the witness
/// and the keys. Built once per shape ([`matrices`]) so each proof only computes its witness.
#[derive(Debug)]
pub struct Matrices {
    /// The shape they were built from, digest included.
    pub shape: Shape,
    /// `A`, `B` and `C`, one row per constraint: `(coefficient, variable index)` pairs.
    pub r1cs: Vec<Matrix<Fr>>,
}

/// Synthesizes the circuit in setup mode and digests its matrices.
pub fn shape(slots: usize, kind: CircuitKind) -> Result<Shape, ProverError> {
    Ok(matrices(slots, kind)?.shape)
}

/// Synthesizes the circuit in setup mode: its matrices and shape.
pub fn matrices(slots: usize, kind: CircuitKind) -> Result<Matrices, ProverError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    template(slots, kind)?.generate_constraints(cs.clone())?;
    cs.finalize();
    let mut all = cs.to_matrices()?;
    // The digest covers every predicate's matrices (ark-groth16 only has R1CS ones).
    let mut hasher = Keccak256::new();
    for (label, ms) in &all {
        hasher.update(label.as_bytes());
        for m in ms {
            hasher.update((m.len() as u64).to_le_bytes());
            for row in m {
                hasher.update((row.len() as u64).to_le_bytes());
                for (coeff, index) in row {
                    hasher.update(coeff.into_bigint().to_bytes_le());
                    hasher.update((*index as u64).to_le_bytes());
                }
            }
        }
    }
    let shape = Shape {
        kind,
        slots,
        constraints: cs.num_constraints(),
        instance_variables: cs.num_instance_variables(),
        witness_variables: cs.num_witness_variables(),
        digest: hasher.finalize(),
    };
    let r1cs = all.remove(R1CS_PREDICATE_LABEL).unwrap_or_default();
    if all.values().any(|ms| ms.iter().any(|m| !m.is_empty())) {
        return Err(ProverError::State(
            "the circuit has constraints of a predicate other than R1CS".into(),
        ));
    }
    Ok(Matrices { shape, r1cs })
}

/// The circuit's name in file names and messages: `batch` (transfers) or `dex`.
pub fn kind_name(kind: CircuitKind) -> &'static str {
    match kind {
        CircuitKind::Transfer => "batch",
        CircuitKind::Dex => "dex",
    }
}
