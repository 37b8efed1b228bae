//! A proving job: everything a prover needs to prove one batch without the node's storage.
//!
//! It is the circuit's assignment (every value the prover chooses, in
//! [`BatchAssignment::visit`]'s fixed order), the circuit kind and slot count that give the
//! assignment its shape, and the commitment the proof must prove. A worker of a prover fleet
//! decodes it, proves it with the keys of its shape, and hands back the proof; the node verifies
//! that proof against the commitment it computed itself before it keeps it, so a job or a worker
//! can at worst waste time, never place a wrong proof.
//!
//! Bytes: `b"ZKRJOB1\0" || kind (1: 0 transfer, 1 DEX) || slots (u32 LE) || commitment (32, LE)
//! || count (u32 LE) || count field elements (32 bytes LE each)`.

use crate::ProverError;
use crate::shape::template;
use ark_ff::{BigInteger, PrimeField};
use zkr_circuit::{BatchCircuit, BatchWitness, CircuitKind};
use zkr_crypto::Fr;

const MAGIC: &[u8; 8] = b"ZKRJOB1\0";

/// The most slots a job may have: far above the batches a 10 GiB prover takes (about 150), so a
/// hostile job cannot make a worker synthesize an unbounded circuit.
pub const MAX_SLOTS: usize = 1024;

/// One batch to prove.
#[derive(Debug, Clone)]
pub struct ProvingJob {
    /// The circuit.
    pub kind: CircuitKind,
    /// Its slot count.
    pub slots: usize,
    /// The public input the proof must prove.
    pub commitment: Fr,
    /// The assignment's values in [`zkr_circuit::BatchAssignment::visit`] order.
    pub values: Vec<Fr>,
}

fn bad(why: impl Into<String>) -> ProverError {
    ProverError::State(format!("proving job: {}", why.into()))
}

impl ProvingJob {
    /// The job proving `witness` with circuit `kind` (the DEX circuit proves any batch).
    pub fn new(witness: BatchWitness, kind: CircuitKind) -> Result<Self, ProverError> {
        let slots = witness.slots.len();
        let mut circuit = BatchCircuit::with_kind(witness, kind)?;
        let commitment = circuit
            .commitment
            .ok_or_else(|| bad("the circuit has no commitment"))?;
        let mut values = Vec::new();
        circuit.assignment.visit(&mut |_, v| values.push(*v));
        Ok(ProvingJob {
            kind,
            slots,
            commitment,
            values,
        })
    }

    /// The circuit the job describes: the template of its shape filled with its values.
    pub fn circuit(&self) -> Result<BatchCircuit, ProverError> {
        let mut circuit = template(self.slots, self.kind)?;
        let mut count = 0usize;
        circuit.assignment.visit(&mut |_, v| {
            if let Some(x) = self.values.get(count) {
                *v = *x;
            }
            count += 1;
        });
        if count != self.values.len() {
            return Err(bad(format!(
                "{} values for a {}-slot {} circuit, which takes {count}",
                self.values.len(),
                self.slots,
                crate::shape::kind_name(self.kind)
            )));
        }
        circuit.commitment = Some(self.commitment);
        Ok(circuit)
    }

    /// The job's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 1 + 4 + 32 + 4 + 32 * self.values.len());
        out.extend_from_slice(MAGIC);
        out.push(match self.kind {
            CircuitKind::Transfer => 0,
            CircuitKind::Dex => 1,
        });
        out.extend_from_slice(&(self.slots as u32).to_le_bytes());
        out.extend_from_slice(&fr_le(&self.commitment));
        out.extend_from_slice(&(self.values.len() as u32).to_le_bytes());
        for v in &self.values {
            out.extend_from_slice(&fr_le(v));
        }
        out
    }

    /// Decodes a job; refuses anything malformed (wrong magic, kind, length, or a value that is
    /// not a canonical field element).
    pub fn from_bytes(b: &[u8]) -> Result<Self, ProverError> {
        let mut r = Reader(b);
        if r.take(8)? != MAGIC {
            return Err(bad("not a zkr proving job (magic)"));
        }
        let kind = match r.take(1)?[0] {
            0 => CircuitKind::Transfer,
            1 => CircuitKind::Dex,
            k => return Err(bad(format!("unknown circuit kind {k}"))),
        };
        let slots = r.u32()? as usize;
        if slots == 0 || slots > MAX_SLOTS {
            return Err(bad(format!("{slots} slots (at most {MAX_SLOTS})")));
        }
        let commitment = r.fr()?;
        let count = r.u32()? as usize;
        if r.0.len() != 32 * count {
            return Err(bad(format!(
                "{count} values announced, {} bytes follow",
                r.0.len()
            )));
        }
        let values = (0..count).map(|_| r.fr()).collect::<Result<_, _>>()?;
        Ok(ProvingJob {
            kind,
            slots,
            commitment,
            values,
        })
    }
}

fn fr_le(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_le());
    out
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ProverError> {
        if self.0.len() < n {
            return Err(bad("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, ProverError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn fr(&mut self) -> Result<Fr, ProverError> {
        let b = self.take(32)?;
        let x = Fr::from_le_bytes_mod_order(b);
        if fr_le(&x) != b {
            return Err(bad("a value is not a canonical field element"));
        }
        Ok(x)
    }
}
