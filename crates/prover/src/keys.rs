//! Proving and verifying keys, cached on disk under the circuit's shape digest.

use crate::setup::{DEV_SETUP_SEED, dev_setup};
use crate::shape::{Shape, kind_name, shape};
use crate::{Progress, ProverError};
use ark_bn254::Bn254;
use ark_groth16::{PreparedVerifyingKey, ProvingKey, VerifyingKey, prepare_verifying_key};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use std::path::{Path, PathBuf};
use std::time::Instant;
use zkr_circuit::CircuitKind;

/// Keys for one circuit shape.
#[derive(Clone)]
pub struct Keys {
    /// The circuit's shape.
    pub shape: Shape,
    /// Proving key.
    pub pk: ProvingKey<Bn254>,
    /// Prepared verifying key.
    pub pvk: PreparedVerifyingKey<Bn254>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<Bn254> {
        &self.pk.vk
    }
}

/// A directory of cached keys: `<batch|dex>-<slots>-<digest prefix>.dev.pk`.
#[derive(Debug, Clone)]
pub struct KeyStore {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ProverError + '_ {
    move |source| ProverError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl KeyStore {
    /// Keys under `dir` (created when keys are first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        KeyStore { dir: dir.into() }
    }

    /// The file holding the proving key of `shape`.
    pub fn path(&self, shape: &Shape) -> PathBuf {
        self.dir.join(format!(
            "{}-{}-{}.dev.pk",
            kind_name(shape.kind),
            shape.slots,
            hex::encode(&shape.digest[..8])
        ))
    }

    /// Loads the dev keys of circuit `kind` for `slots`, running the (insecure) dev setup and
    /// caching its result when none are cached. Returns the keys and whether they came from the
    /// cache.
    pub fn load_or_dev_setup(
        &self,
        slots: usize,
        kind: CircuitKind,
        progress: Progress<'_>,
    ) -> Result<(Keys, bool), ProverError> {
        let started = Instant::now();
        progress(&format!(
            "computing the {} circuit's shape for {slots} slots",
            kind_name(kind)
        ));
        let shape = shape(slots, kind)?;
        progress(&format!(
            "shape: {} constraints, digest {} ({:.1}s)",
            shape.constraints,
            shape.digest,
            started.elapsed().as_secs_f64()
        ));
        let path = self.path(&shape);
        if path.exists() {
            progress(&format!("loading cached keys from {}", path.display()));
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            let pk =
                ProvingKey::<Bn254>::deserialize_with_mode(&bytes[..], Compress::No, Validate::No)
                    .map_err(|e| ProverError::CorruptKey {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })?;
            progress(&format!(
                "keys loaded ({:.1}s)",
                started.elapsed().as_secs_f64()
            ));
            let pvk = prepare_verifying_key(&pk.vk);
            return Ok((Keys { shape, pk, pvk }, true));
        }
        let pk = dev_setup(slots, kind, DEV_SETUP_SEED, progress)?;
        progress(&format!(
            "setup done ({:.1}s); caching keys in {}",
            started.elapsed().as_secs_f64(),
            path.display()
        ));
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let mut bytes = Vec::new();
        pk.serialize_with_mode(&mut bytes, Compress::No)
            .map_err(|e| ProverError::CorruptKey {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        let tmp = path.with_extension("pk.tmp");
        std::fs::write(&tmp, &bytes).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        let pvk = prepare_verifying_key(&pk.vk);
        Ok((Keys { shape, pk, pvk }, false))
    }
}
