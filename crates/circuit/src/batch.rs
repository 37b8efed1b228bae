//! The batch circuit: slots, fee credits and the commitment as the only public input.

use crate::gadgets::bits::range_check;
use crate::gadgets::poseidon::poseidon;
use crate::gadgets::{FrVar, GResult};
use crate::slot::{BatchCtx, RuleSpan, synthesize_slot};
use crate::update::{LeafVars, PathIndex, PathVars, update, wit};
use crate::witness::BatchWitness;
use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use zkr_crypto::Fr;
use zkr_types::params::{ACCOUNT_TREE_DEPTH, BALANCE_TREE_DEPTH, MAX_FEE_TOKENS_PER_BATCH};

/// The batch validity circuit for one witness. The number of slots is the witness's.
#[derive(Debug, Clone)]
pub struct BatchCircuit {
    /// The witness.
    pub witness: BatchWitness,
    /// The public input to use (normally the witness's own commitment; tests tamper with it).
    pub commitment: Fr,
}

impl BatchCircuit {
    /// The circuit proving `witness`.
    pub fn new(witness: BatchWitness) -> Result<Self, zkr_types::TypesError> {
        let commitment = witness.commitment()?.commitment();
        Ok(BatchCircuit {
            witness,
            commitment,
        })
    }
}

impl BatchCircuit {
    /// Adds the circuit's constraints to `cs`; returns which constraints enforce which rule.
    pub fn synthesize(self, cs: ConstraintSystemRef<Fr>) -> Result<Vec<RuleSpan>, SynthesisError> {
        let w = &self.witness;
        let parts = w.commitment().map_err(|_| SynthesisError::Unsatisfiable)?;
        let public = FrVar::new_input(cs.clone(), || Ok(self.commitment))?;

        let batch_number = wit(&cs, Fr::from(w.batch_number.0))?;
        range_check(&batch_number, 64)?;
        let chain_id = wit(&cs, Fr::from(w.chain_id.0))?;
        range_check(&chain_id, 32)?;
        let fee_account = PathIndex::new(wit(&cs, Fr::from(w.fee_account.0))?, ACCOUNT_TREE_DEPTH)?;
        let two = Fr::from(2u64);
        let meta = &batch_number + &chain_id * two.pow([64]) + &fee_account.value * two.pow([96]);
        let old_root = wit(&cs, w.old_root)?;

        assert_eq!(
            w.fees.len(),
            MAX_FEE_TOKENS_PER_BATCH,
            "a batch witness has one entry per fee slot"
        );
        let fee_tokens: Vec<PathIndex> = w
            .fees
            .iter()
            .map(|f| PathIndex::new(wit(&cs, Fr::from(f.token.0))?, BALANCE_TREE_DEPTH))
            .collect::<GResult<_>>()?;
        let mut ctx = BatchCtx {
            cs: cs.clone(),
            chain_id,
            root: old_root.clone(),
            h: FrVar::zero(),
            z: wit(&cs, parts.challenge)?,
            y: FrVar::zero(),
            fee_tokens: fee_tokens
                .iter()
                .zip(&w.fees)
                .map(|(p, f)| (p.value.clone(), f.token.0))
                .collect(),
            fee_totals: vec![FrVar::zero(); MAX_FEE_TOKENS_PER_BATCH],
            rules: Vec::new(),
        };
        for (i, slot) in w.slots.iter().enumerate() {
            synthesize_slot(&mut ctx, i, slot)?;
        }

        // Fee credits to the fee account, which must exist when it receives anything.
        for ((fw, token), total) in w.fees.iter().zip(&fee_tokens).zip(ctx.fee_totals.clone()) {
            let before = LeafVars::alloc(&cs, &fw.update.before)?;
            let paths = PathVars::alloc(&cs, &fw.update)?;
            let after = LeafVars {
                balance: &before.balance + &total,
                ..before.clone()
            };
            let m = ctx.mark();
            range_check(&after.balance, 128)?;
            ctx.close("fee_balance_range", None, m);
            let m = ctx.mark();
            let inv = FrVar::new_witness(cs.clone(), || {
                Ok(before.owner.value()?.inverse().unwrap_or(Fr::ZERO))
            })?;
            (&before.owner * inv - Fr::ONE).mul_equals(&total, &FrVar::zero())?;
            ctx.close("fee_account_exists", None, m);
            let m = ctx.mark();
            ctx.root = update(&ctx.root, &before, &after, &fee_account, token, &paths)?;
            ctx.close("fee_path", None, m);
        }

        let m = ctx.mark();
        let commitment = poseidon(&[
            meta,
            old_root,
            ctx.root.clone(),
            ctx.h.clone(),
            ctx.z.clone(),
            ctx.y.clone(),
        ])?;
        commitment.enforce_equal(&public)?;
        ctx.close("commitment", None, m);
        Ok(ctx.rules)
    }

    /// Synthesizes the circuit in a fresh constraint system and reports the first rule the
    /// witness violates, `None` if it satisfies every constraint.
    pub fn check(&self) -> Result<Option<RuleSpan>, SynthesisError> {
        let cs = ark_relations::gr1cs::ConstraintSystem::<Fr>::new_ref();
        let rules = self.clone().synthesize(cs.clone())?;
        let Some(trace) = cs.which_is_unsatisfied()? else {
            return Ok(None);
        };
        // "<predicate> - <index>"
        let index: usize = trace
            .rsplit(" - ")
            .next()
            .and_then(|i| i.trim().parse().ok())
            .unwrap_or(usize::MAX);
        Ok(Some(
            rules
                .into_iter()
                .rev()
                .find(|r| r.start <= index && index < r.end)
                .unwrap_or(RuleSpan {
                    label: "unlabelled",
                    slot: None,
                    start: index,
                    end: index + 1,
                }),
        ))
    }
}

impl ConstraintSynthesizer<Fr> for BatchCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        self.synthesize(cs).map(|_| ())
    }
}
