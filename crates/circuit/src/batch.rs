//! The batch circuit: slots, fee credits and the commitment as the only public input.

use crate::assignment::{BatchAssignment, CircuitKind};
use crate::dex::synthesize_union_slot;
use crate::gadgets::bits::range_check;
use crate::gadgets::poseidon::poseidon;
use crate::gadgets::{FrVar, GResult, enforce_nonzero_if};
use crate::slot::{BatchCtx, RuleSpan, synthesize_slot};
use crate::update::{LeafVars, PathIndex, PathVars, update, wit};
use crate::witness::BatchWitness;
use ark_ff::Field;
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use zkr_crypto::Fr;
use zkr_types::params::{ACCOUNT_TREE_DEPTH, BALANCE_TREE_DEPTH, MAX_FEE_TOKENS_PER_BATCH};

/// The batch validity circuit for one assignment. The number of slots is the assignment's.
#[derive(Debug, Clone)]
pub struct BatchCircuit {
    /// The prover's values.
    pub assignment: BatchAssignment,
    /// The public input. `None`: whatever commitment the assignment's values lead to, which is
    /// what an operator who chose them would post (tests and the mutation sweep use it).
    pub commitment: Option<Fr>,
}

/// What a batch circuit proves, read back from the values it computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `meta` (§6).
    pub meta: Fr,
    /// Root before.
    pub old_root: Fr,
    /// Root after the slots and the fee credits.
    pub new_root: Fr,
    /// `H`.
    pub pubdata_hash: Fr,
    /// `z`.
    pub challenge: Fr,
    /// `y`.
    pub evaluation: Fr,
    /// `Poseidon(meta, old_root, new_root, H, z, y)`.
    pub commitment: Fr,
    /// Each slot's pubdata elements.
    pub elements: Vec<Vec<Fr>>,
}

/// The result of synthesizing a batch circuit.
#[derive(Debug, Clone)]
pub struct Synthesis {
    /// Which constraints enforce which rule.
    pub rules: Vec<RuleSpan>,
    /// The statement, when the constraint system holds values (not during key generation).
    pub statement: Option<Statement>,
}

impl BatchCircuit {
    /// The circuit proving `witness` (the DEX circuit if it holds a DEX operation), with its
    /// commitment as the public input.
    pub fn new(witness: BatchWitness) -> Result<Self, zkr_types::TypesError> {
        let kind = witness.kind();
        Self::with_kind(witness, kind)
    }

    /// The circuit `kind` proving `witness` (the DEX circuit proves any batch; the transfer
    /// circuit refuses a witness with a DEX operation).
    pub fn with_kind(
        witness: BatchWitness,
        kind: CircuitKind,
    ) -> Result<Self, zkr_types::TypesError> {
        let parts = witness.commitment()?;
        Ok(BatchCircuit {
            commitment: Some(parts.commitment()),
            assignment: witness.assignment_with(&parts, kind)?,
        })
    }

    /// The circuit over `assignment` whose public input is the commitment its values lead to.
    pub fn with_own_commitment(assignment: BatchAssignment) -> Self {
        BatchCircuit {
            assignment,
            commitment: None,
        }
    }

    /// Adds the circuit's constraints to `cs`.
    pub fn synthesize(self, cs: ConstraintSystemRef<Fr>) -> Result<Synthesis, SynthesisError> {
        let w = &self.assignment;
        let mut rules = Vec::new();
        let start = cs.num_constraints();
        let batch_number = wit(&cs, w.batch_number)?;
        range_check(&batch_number, 64)?;
        let chain_id = wit(&cs, w.chain_id)?;
        range_check(&chain_id, 32)?;
        let fee_account = PathIndex::new(wit(&cs, w.fee_account)?, ACCOUNT_TREE_DEPTH)?;
        let two = Fr::from(2u64);
        let meta = &batch_number + &chain_id * two.pow([64]) + &fee_account.value * two.pow([96]);
        let old_root = wit(&cs, w.old_root)?;

        assert_eq!(
            w.fees.len(),
            MAX_FEE_TOKENS_PER_BATCH,
            "a batch assignment has one entry per fee slot"
        );
        let fee_tokens: Vec<PathIndex> = w
            .fees
            .iter()
            .map(|f| PathIndex::new(wit(&cs, f.token)?, BALANCE_TREE_DEPTH))
            .collect::<GResult<_>>()?;
        rules.push(RuleSpan {
            label: "meta_ranges",
            slot: None,
            start,
            end: cs.num_constraints(),
        });
        let mut ctx = BatchCtx {
            cs: cs.clone(),
            chain_id,
            root: old_root.clone(),
            h: FrVar::zero(),
            z: wit(&cs, w.challenge)?,
            y: FrVar::zero(),
            fee_tokens: fee_tokens.iter().map(|p| p.value.clone()).collect(),
            fee_totals: vec![FrVar::zero(); MAX_FEE_TOKENS_PER_BATCH],
            rules,
        };
        let mut elements = Some(Vec::with_capacity(w.slots.len()));
        for (i, slot) in w.slots.iter().enumerate() {
            let out = match w.kind {
                CircuitKind::Transfer => synthesize_slot(&mut ctx, i, slot)?,
                CircuitKind::Dex => synthesize_union_slot(&mut ctx, i, slot)?,
            };
            elements = elements.zip(out.elements).map(|(mut all, e)| {
                all.push(e);
                all
            });
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
            enforce_nonzero_if(&cs, &total, &before.owner)?;
            ctx.close("fee_account_exists", None, m);
            let m = ctx.mark();
            ctx.root = update(&ctx.root, &before, &after, &fee_account, token, &paths)?.root;
            ctx.close("fee_path", None, m);
        }

        let m = ctx.mark();
        let commitment = poseidon(&[
            meta.clone(),
            old_root.clone(),
            ctx.root.clone(),
            ctx.h.clone(),
            ctx.z.clone(),
            ctx.y.clone(),
        ])?;
        let public = FrVar::new_input(cs.clone(), || match self.commitment {
            Some(c) => Ok(c),
            None => commitment.value(),
        })?;
        commitment.enforce_equal(&public)?;
        ctx.close("commitment", None, m);
        let statement = (|| {
            Some(Statement {
                meta: meta.value().ok()?,
                old_root: old_root.value().ok()?,
                new_root: ctx.root.value().ok()?,
                pubdata_hash: ctx.h.value().ok()?,
                challenge: ctx.z.value().ok()?,
                evaluation: ctx.y.value().ok()?,
                commitment: commitment.value().ok()?,
                elements: elements?,
            })
        })();
        Ok(Synthesis {
            rules: ctx.rules,
            statement,
        })
    }

    /// Synthesizes the circuit in a fresh constraint system and reports the first rule the
    /// witness violates, `None` if it satisfies every constraint.
    pub fn check(&self) -> Result<Option<RuleSpan>, SynthesisError> {
        Ok(self.evaluate()?.0)
    }

    /// Like [`BatchCircuit::check`], also returning the statement the values lead to.
    pub fn evaluate(&self) -> Result<(Option<RuleSpan>, Option<Statement>), SynthesisError> {
        let cs = ark_relations::gr1cs::ConstraintSystem::<Fr>::new_ref();
        let Synthesis { rules, statement } = self.clone().synthesize(cs.clone())?;
        // The first unsatisfied constraint (all of ours are R1CS: one predicate, whose
        // constraint indices are the ones `RuleSpan`s record). Read directly rather than via
        // `which_is_unsatisfied`, which prints to stderr without a tracing layer.
        let index = {
            let inner = cs.borrow().ok_or(SynthesisError::MissingCS)?;
            inner
                .predicate_constraint_systems
                .values()
                .find_map(|p| p.which_constraint_is_unsatisfied(&inner))
        };
        let Some(index) = index else {
            return Ok((None, statement));
        };
        let rule = rules
            .into_iter()
            .rev()
            .find(|r| r.start <= index && index < r.end)
            .unwrap_or(RuleSpan {
                label: "unlabelled",
                slot: None,
                start: index,
                end: index + 1,
            });
        Ok((Some(rule), statement))
    }
}

impl ConstraintSynthesizer<Fr> for BatchCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        self.synthesize(cs).map(|_| ())
    }
}
