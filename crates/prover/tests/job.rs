//! A proving job: encoded, decoded and proven by a prover without the state, to the same
//! commitment; malformed jobs are refused with a reason.

use zkr_circuit::{BatchBuilder, CircuitKind};
use zkr_crypto::Fr;
use zkr_prover::{KeyStore, ProvingJob, prove_circuit, quiet, verify};
use zkr_state::fixtures::{User, onboard, state_with_tokens};
use zkr_state::storage::MemoryStorage;
use zkr_types::AccountId;

fn job(slots: usize) -> ProvingJob {
    let mut state = state_with_tokens(MemoryStorage::new(), 2);
    let (a, b) = (User::new(1), User::new(2));
    let ia = onboard(&mut state, &a, 10_000);
    state.set_fee_account(AccountId(ia)).unwrap();
    state.seal_batch().unwrap();
    let requests = [a.transfer(ia, b.address(), 0, 1_000, 5, 1)];
    let witness = BatchBuilder::build(&mut state, slots, &requests).unwrap();
    let commitment = witness.commitment().unwrap().commitment();
    let job = ProvingJob::new(witness, CircuitKind::Transfer).unwrap();
    assert_eq!(job.commitment, commitment);
    job
}

#[test]
fn a_decoded_job_proves_its_commitment_without_the_state() {
    let slots = 2;
    let job = job(slots);
    let bytes = job.to_bytes();
    let decoded = ProvingJob::from_bytes(&bytes).unwrap();
    assert_eq!(decoded.to_bytes(), bytes, "decoding keeps every byte");
    let dir = tempfile::tempdir().unwrap();
    let (keys, _) = KeyStore::new(dir.path())
        .load_or_dev_setup(slots, CircuitKind::Transfer, &quiet)
        .unwrap();
    let proof = prove_circuit(&keys, decoded.circuit().unwrap(), &quiet).unwrap();
    assert_eq!(proof.commitment, job.commitment);
    assert!(verify(&keys.pvk, &job.commitment, &proof.proof));

    // A job whose values were changed proves nothing: the prover names the broken rule.
    let mut bent = decoded.clone();
    let last = bent.values.len() - 1;
    bent.values[last] += Fr::from(1u64);
    let err = prove_circuit(&keys, bent.circuit().unwrap(), &quiet).unwrap_err();
    assert!(err.to_string().contains("violates rule"), "{err}");

    // Keys of another shape are refused before any work.
    let (three, _) = KeyStore::new(dir.path())
        .load_or_dev_setup(3, CircuitKind::Transfer, &quiet)
        .unwrap();
    let err = prove_circuit(&three, decoded.circuit().unwrap(), &quiet).unwrap_err();
    assert!(
        err.to_string().contains("cannot be proven with the keys"),
        "{err}"
    );
}

#[test]
fn malformed_jobs_are_refused() {
    let bytes = job(1).to_bytes();
    let refuse = |b: &[u8], why: &str| {
        let err = ProvingJob::from_bytes(b).unwrap_err().to_string();
        assert!(err.contains(why), "{err} should say {why}");
    };
    refuse(&bytes[..bytes.len() - 1], "bytes follow");
    refuse(&bytes[..10], "truncated");
    let mut magic = bytes.clone();
    magic[0] ^= 1;
    refuse(&magic, "magic");
    let mut kind = bytes.clone();
    kind[8] = 7;
    refuse(&kind, "unknown circuit kind");
    let mut value = bytes.clone();
    let at = value.len() - 1;
    value[at] = 0xff; // the last value's top byte: above the field modulus
    refuse(&value, "canonical");
    let mut slots = ProvingJob::from_bytes(&bytes).unwrap();
    slots.slots = 2;
    let err = slots.circuit().unwrap_err().to_string();
    assert!(err.contains("values for a 2-slot"), "{err}");
}
