//! Proving and verifying keys, cached on disk under the circuit's shape digest.

use crate::setup::{DEV_SETUP_SEED, dev_setup};
use crate::shape::{Matrices, Shape, kind_name, matrices, shape};
use crate::{Progress, ProverError};
use ark_bn254::Bn254;
use ark_groth16::{PreparedVerifyingKey, ProvingKey, VerifyingKey, prepare_verifying_key};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use zkr_circuit::{CIRCUIT_VERSION, CircuitKind};

/// Keys for one circuit shape.
#[derive(Clone)]
pub struct Keys {
    /// The circuit's shape.
    pub shape: Shape,
    /// Proving key.
    pub pk: ProvingKey<Bn254>,
    /// Prepared verifying key.
    pub pvk: PreparedVerifyingKey<Bn254>,
    /// The circuit's matrices, built at the first proof and shared by every later one (and by
    /// clones of these keys).
    matrices: Arc<OnceLock<Arc<Matrices>>>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

impl Keys {
    fn new(shape: Shape, pk: ProvingKey<Bn254>) -> Self {
        let pvk = prepare_verifying_key(&pk.vk);
        Keys {
            shape,
            pk,
            pvk,
            matrices: Arc::default(),
        }
    }

    /// The circuit's R1CS matrices: synthesized on the first call (seconds to a minute), checked
    /// against the shape's digest, then kept for every later proof.
    pub fn matrices(&self, progress: Progress<'_>) -> Result<Arc<Matrices>, ProverError> {
        if let Some(m) = self.matrices.get() {
            return Ok(m.clone());
        }
        let started = Instant::now();
        progress(&format!(
            "synthesizing the {} circuit's matrices for {} slots (once per start)",
            kind_name(self.shape.kind),
            self.shape.slots
        ));
        let m = matrices(self.shape.slots, self.shape.kind)?;
        if m.shape != self.shape {
            return Err(ProverError::ShapeMismatch {
                slots: self.shape.slots,
                expected: self.shape.digest,
                found: m.shape.digest,
            });
        }
        progress(&format!(
            "matrices ready ({:.1}s)",
            started.elapsed().as_secs_f64()
        ));
        // Two threads racing here both built the same matrices; the first one stored is kept.
        Ok(self.matrices.get_or_init(|| Arc::new(m)).clone())
    }

    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<Bn254> {
        &self.pk.vk
    }
}

/// Whether `pk` is a key for a circuit of `shape`'s size (a cheap check of a cached shape).
fn key_fits(pk: &ProvingKey<Bn254>, shape: &Shape) -> bool {
    // ark-groth16: one `a_query` entry per variable, one `gamma_abc_g1` per instance variable
    // (the constant one included), one `l_query` per witness variable, and `h_query` one short
    // of the radix-2 domain over constraints plus instance variables.
    let n = shape.constraints + shape.instance_variables;
    let domain = pk.h_query.len() + 1;
    pk.vk.gamma_abc_g1.len() == shape.instance_variables
        && pk.a_query.len() == shape.instance_variables + shape.witness_variables
        && pk.l_query.len() == shape.witness_variables
        && domain.is_power_of_two()
        && domain >= n
        && domain / 2 < n
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

    /// The file caching the shape of circuit `kind` at `slots` for this [`CIRCUIT_VERSION`].
    pub fn shape_path(&self, slots: usize, kind: CircuitKind) -> PathBuf {
        self.dir.join(format!(
            "{}-{slots}-v{CIRCUIT_VERSION}.shape",
            kind_name(kind)
        ))
    }

    /// The shape of circuit `kind` at `slots`, and whether it came from the cache file for this
    /// [`CIRCUIT_VERSION`] (never with `fresh`); else it is synthesized (seconds to a minute)
    /// and cached.
    pub fn shape(
        &self,
        slots: usize,
        kind: CircuitKind,
        fresh: bool,
        progress: Progress<'_>,
    ) -> Result<(Shape, bool), ProverError> {
        let path = self.shape_path(slots, kind);
        if !fresh
            && let Ok(text) = std::fs::read_to_string(&path)
            && let Some(shape) = Shape::parse(&text, slots, kind)
        {
            progress(&format!(
                "shape of the {} circuit for {slots} slots (version {CIRCUIT_VERSION}) from {}: \
                 {} constraints, digest {}",
                kind_name(kind),
                path.display(),
                shape.constraints,
                shape.digest
            ));
            return Ok((shape, true));
        }
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
        // The cache is an optimisation: a failure to write it is not one to prove.
        if std::fs::create_dir_all(&self.dir).is_ok() {
            let tmp = path.with_extension(format!("shape.{}.tmp", std::process::id()));
            if std::fs::write(&tmp, shape.to_text()).is_ok() {
                let _ = std::fs::rename(&tmp, &path);
            }
        }
        Ok((shape, false))
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
        let (shape, from_cache) = self.shape(slots, kind, false, progress)?;
        if let Some(keys) = self.cached_keys(&shape, progress, started)? {
            return Ok((keys, true));
        }
        let shape = if from_cache {
            // No key for the cached shape, or one that does not fit it (a circuit changed
            // without a version bump, a cache edited by hand): the shape is synthesized again.
            progress("no cached key fits the cached shape; computing the shape again");
            let (fresh, _) = self.shape(slots, kind, true, progress)?;
            if fresh != shape
                && let Some(keys) = self.cached_keys(&fresh, progress, started)?
            {
                return Ok((keys, true));
            }
            fresh
        } else {
            shape
        };
        self.setup_and_cache(shape, progress, started)
    }

    /// The cached keys of `shape`, if a cached proving key fits it.
    fn cached_keys(
        &self,
        shape: &Shape,
        progress: Progress<'_>,
        started: Instant,
    ) -> Result<Option<Keys>, ProverError> {
        let Some(pk) = self.load_cached(shape, progress)? else {
            return Ok(None);
        };
        if !key_fits(&pk, shape) {
            return Ok(None);
        }
        progress(&format!(
            "keys loaded ({:.1}s)",
            started.elapsed().as_secs_f64()
        ));
        Ok(Some(Keys::new(*shape, pk)))
    }

    /// The cached proving key of `shape`, if there is one.
    fn load_cached(
        &self,
        shape: &Shape,
        progress: Progress<'_>,
    ) -> Result<Option<ProvingKey<Bn254>>, ProverError> {
        let path = self.path(shape);
        if !path.exists() {
            return Ok(None);
        }
        progress(&format!("loading cached keys from {}", path.display()));
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        ProvingKey::<Bn254>::deserialize_with_mode(&bytes[..], Compress::No, Validate::No)
            .map(Some)
            .map_err(|e| ProverError::CorruptKey {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
    }

    /// Runs the dev setup for `shape` and caches the keys.
    fn setup_and_cache(
        &self,
        shape: Shape,
        progress: Progress<'_>,
        started: Instant,
    ) -> Result<(Keys, bool), ProverError> {
        let (slots, kind, path) = (shape.slots, shape.kind, self.path(&shape));
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
        // A temp file of its own: two setups racing both land whole keys (the same bytes).
        let tmp = path.with_extension(format!("pk.{}.tmp", std::process::id()));
        std::fs::write(&tmp, &bytes).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        Ok((Keys::new(shape, pk), false))
    }
}
