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
    /// Building the empty batch for setup failed.
    #[error("state error: {0}")]
    State(String),
}
