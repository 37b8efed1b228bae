//! The dev trusted setup. INSECURE: deterministic from a public seed.

use crate::shape::{kind_name, template};
use crate::{Progress, ProverError};
use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey};
use ark_snark::CircuitSpecificSetupSNARK;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkr_circuit::CircuitKind;

/// The seed of the dev setup. Public, so the dev keys are forgeable by anyone.
pub const DEV_SETUP_SEED: u64 = 0x007a_6b72_5f64_6576; // "zkr_dev"

/// Runs the Groth16 setup for `slots` slots with randomness from `seed`.
///
/// INSECURE: whoever knows the seed knows the toxic waste and can prove anything. Only for
/// devnets and tests; a deployment uses keys from a ceremony.
pub fn dev_setup(
    slots: usize,
    kind: CircuitKind,
    seed: u64,
    progress: Progress<'_>,
) -> Result<ProvingKey<Bn254>, ProverError> {
    progress(&format!(
        "INSECURE dev setup of the {} circuit for {slots} slots (seed {seed:#x}): synthesizing and generating keys",
        kind_name(kind)
    ));
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (pk, _vk) = Groth16::<Bn254>::setup(template(slots, kind)?, &mut rng)?;
    Ok(pk)
}
