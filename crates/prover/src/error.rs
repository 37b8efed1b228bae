use thiserror::Error;

/// Errors of setup, proving and key handling.
#[derive(Debug, Error)]
pub enum ProverError {
    /// The circuit could not be synthesized.
    #[error("circuit synthesis failed: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
    /// The witness breaks a rule: no valid proof exists.
    #[error("the witness violates rule `{label}`{}", slot.map(|s| format!(" in slot {s}")).unwrap_or_default())]
    InvalidWitness {
        /// The rule.
        label: &'static str,
        /// Its slot.
        slot: Option<usize>,
    },
    /// Reading or writing key files failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A key file that does not decode.
    #[error("key file {path} is corrupt: {reason}")]
    CorruptKey {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Protocol encoding errors.
    #[error(transparent)]
    Types(#[from] zkr_types::TypesError),
    /// The circuit synthesized now is not the one the keys were made for.
    #[error(
        "the {slots}-slot circuit's matrices have digest {found}, its keys were made for {expected}: \
         a circuit changed without a CIRCUIT_VERSION bump left a stale <keys dir>/*.shape; delete it"
    )]
    ShapeMismatch {
        /// Slots.
        slots: usize,
        /// The digest the keys' shape records.
        expected: alloy_primitives::B256,
        /// The digest of the circuit synthesized now.
        found: alloy_primitives::B256,
    },
    /// Building the empty batch for setup failed.
    #[error("state error: {0}")]
    State(String),
}
