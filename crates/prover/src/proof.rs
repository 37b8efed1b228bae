//! Proving and verifying one batch.

use crate::shape::Shape;
use crate::{Keys, Progress, ProverError};
use ark_bn254::{Bn254, Fq, G1Affine, G2Affine};
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use ark_std::UniformRand;
use rand::rngs::OsRng;
use std::time::Instant;
use zkr_circuit::{BatchCircuit, BatchWitness, CircuitKind};
use zkr_crypto::Fr;

/// A proof and the commitment it proves.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchProof {
    /// The Groth16 proof.
    pub proof: Proof<Bn254>,
    /// The public input: the batch commitment.
    pub commitment: Fr,
    /// The circuit that made it.
    pub kind: CircuitKind,
}

fn fq_be(x: &Fq) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

/// A G1 point as two 32-byte words.
pub type G1Words = [[u8; 32]; 2];
/// A G2 point as two pairs of 32-byte words.
pub type G2Words = [[[u8; 32]; 2]; 2];

/// G1 point as `[x, y]`, 32-byte big-endian words (the encoding of the EVM precompiles).
pub fn g1_words(p: &G1Affine) -> G1Words {
    [fq_be(&p.x), fq_be(&p.y)]
}

/// G2 point as `[[x.c1, x.c0], [y.c1, y.c0]]` (the EVM pairing precompile's order).
pub fn g2_words(p: &G2Affine) -> G2Words {
    [
        [fq_be(&p.x.c1), fq_be(&p.x.c0)],
        [fq_be(&p.y.c1), fq_be(&p.y.c0)],
    ]
}

impl BatchProof {
    /// The proof as the Solidity verifier takes it: `a`, `b`, `c` words.
    pub fn solidity_words(&self) -> (G1Words, G2Words, G1Words) {
        (
            g1_words(&self.proof.a),
            g2_words(&self.proof.b),
            g1_words(&self.proof.c),
        )
    }
}

/// Proves a batch with the circuit of `keys` and verifies the proof. If it does not verify,
/// the witness is checked against the circuit so the error names the rule it breaks. The
/// transfer circuit refuses a batch with a DEX operation ([`ProverError`] from the witness).
pub fn prove(
    keys: &Keys,
    witness: BatchWitness,
    progress: Progress<'_>,
) -> Result<BatchProof, ProverError> {
    prove_circuit(
        keys,
        BatchCircuit::with_kind(witness, keys.shape.kind)?,
        progress,
    )
}

/// Proves `circuit` (its assignment and its commitment, e.g. from a [`crate::job::ProvingJob`])
/// with the keys of its shape, and verifies the proof, as [`prove`] does.
pub fn prove_circuit(
    keys: &Keys,
    circuit: BatchCircuit,
    progress: Progress<'_>,
) -> Result<BatchProof, ProverError> {
    let started = Instant::now();
    if circuit.assignment.kind != keys.shape.kind
        || circuit.assignment.slots.len() != keys.shape.slots
    {
        return Err(ProverError::State(format!(
            "a {}-slot {} circuit cannot be proven with the keys of the {}-slot {} circuit",
            circuit.assignment.slots.len(),
            crate::shape::kind_name(circuit.assignment.kind),
            keys.shape.slots,
            crate::shape::kind_name(keys.shape.kind)
        )));
    }
    let commitment = circuit
        .commitment
        .ok_or_else(|| ProverError::State("the circuit has no commitment to prove".into()))?;
    let matrices = keys.matrices(progress)?;
    progress(&format!("proving {} constraints", keys.shape.constraints));
    let witness_started = Instant::now();
    let assignment = assignment(&circuit, &keys.shape)?;
    progress(&format!(
        "witness computed ({:.1}s)",
        witness_started.elapsed().as_secs_f64()
    ));
    let (r, s) = (Fr::rand(&mut OsRng), Fr::rand(&mut OsRng));
    let proof = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
        &keys.pk,
        r,
        s,
        &matrices.r1cs,
        keys.shape.instance_variables,
        keys.shape.constraints,
        &assignment,
    )?;
    drop(assignment);
    progress(&format!(
        "proof done ({:.1}s)",
        started.elapsed().as_secs_f64()
    ));
    if !verify(&keys.pvk, &commitment, &proof) {
        progress("the proof does not verify: checking the witness");
        return Err(match circuit.check()? {
            Some(rule) => ProverError::InvalidWitness {
                label: rule.label,
                slot: rule.slot,
            },
            None => ProverError::InvalidWitness {
                label: "unknown (keys do not match the circuit? a circuit changed without a CIRCUIT_VERSION bump leaves a stale <keys dir>/*.shape: delete it)",
                slot: None,
            },
        });
    }
    Ok(BatchProof {
        proof,
        commitment,
        kind: keys.shape.kind,
    })
}

/// The full assignment (the constant one, the public input, then the witness) of `circuit`,
/// synthesized without building constraints: the matrices come from [`Keys::matrices`].
fn assignment(circuit: &BatchCircuit, shape: &Shape) -> Result<Vec<Fr>, ProverError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    circuit.clone().generate_constraints(cs.clone())?;
    let cs = cs
        .into_inner()
        .ok_or(ProverError::State("constraint system still shared".into()))?;
    let (instance, witness) = (
        cs.instance_assignment()?.to_vec(),
        cs.witness_assignment()?.to_vec(),
    );
    // The matrices' variable indices assume exactly the shape's variables.
    if instance.len() != shape.instance_variables || witness.len() != shape.witness_variables {
        return Err(ProverError::State(format!(
            "the witness has {} instance and {} witness variables, the circuit {} and {}",
            instance.len(),
            witness.len(),
            shape.instance_variables,
            shape.witness_variables
        )));
    }
    Ok([instance, witness].concat())
}

/// A proof's bytes (arkworks' compressed encoding), as a prover fleet hands it back.
pub fn proof_to_bytes(proof: &Proof<Bn254>) -> Vec<u8> {
    let mut out = Vec::new();
    proof
        .serialize_compressed(&mut out)
        .expect("writing to a Vec cannot fail");
    out
}

/// A proof from its bytes; points off the curve or outside the subgroup are refused.
pub fn proof_from_bytes(bytes: &[u8]) -> Result<Proof<Bn254>, ProverError> {
    Proof::deserialize_compressed(bytes)
        .map_err(|e| ProverError::State(format!("a proof that does not decode: {e}")))
}

/// Verifies a proof of `commitment`.
pub fn verify(pvk: &PreparedVerifyingKey<Bn254>, commitment: &Fr, proof: &Proof<Bn254>) -> bool {
    Groth16::<Bn254>::verify_with_processed_vk(pvk, &[*commitment], proof).unwrap_or(false)
}
