//! Setup, proof and verification of a real batch with every operation type, and the key cache.

use zkr_circuit::{BatchBuilder, CircuitKind};
use zkr_crypto::Fr;
use zkr_prover::{KeyStore, ProverError, prove, quiet, verify};
use zkr_state::fixtures::{User, onboard, state_with_tokens};
use zkr_state::storage::MemoryStorage;
use zkr_types::{AccountId, Address};

#[test]
fn proves_and_verifies_a_batch_of_every_operation_type_and_caches_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::new(dir.path());
    let slots = 7;
    let (keys, cached) = store
        .load_or_dev_setup(slots, CircuitKind::Transfer, &quiet)
        .unwrap();
    assert!(!cached);
    assert!(store.path(&keys.shape).exists());
    let (again, cached) = store
        .load_or_dev_setup(slots, CircuitKind::Transfer, &quiet)
        .unwrap();
    assert!(cached);
    assert_eq!(again.vk(), keys.vk(), "cached keys are the keys");

    // Deposit (new account), ChangePubKey, Transfer, TransferToNew, Withdraw, FullExit, Noop.
    let mut state = state_with_tokens(MemoryStorage::new(), 2);
    let (a, b, d) = (User::new(1), User::new(2), User::new(4));
    let ia = onboard(&mut state, &a, 10_000);
    let ib = onboard(&mut state, &b, 10_000);
    state.set_fee_account(AccountId(ia)).unwrap();
    state.seal_batch().unwrap();
    let requests = [
        d.deposit(0, 3_000),
        d.change_pubkey(2, 0, 0, 0),
        a.transfer(ia, b.address(), 0, 1_000, 5, 1),
        a.transfer(ia, Address::repeat_byte(9), 1, 700, 0, 2),
        b.withdraw(ib, b.address(), 0, 2_000, 3, 1),
        b.full_exit(ib, 1),
    ];
    let witness = BatchBuilder::build(&mut state, slots, &requests).unwrap();
    let kinds: Vec<u8> = witness.slots.iter().map(|s| s.op.op_type()).collect();
    assert_eq!(kinds, vec![1, 2, 3, 4, 5, 6, 0]);

    let proof = prove(&keys, witness.clone(), &quiet).unwrap();
    assert_eq!(proof.commitment, witness.commitment().unwrap().commitment());
    assert!(verify(&keys.pvk, &proof.commitment, &proof.proof));
    assert!(
        !verify(
            &keys.pvk,
            &(proof.commitment + Fr::from(1u64)),
            &proof.proof
        ),
        "another commitment"
    );
    let mut bent = proof.proof.clone();
    bent.a = bent.c;
    assert!(
        !verify(&keys.pvk, &proof.commitment, &bent),
        "a changed proof"
    );

    // An invalid witness is refused with the rule it breaks.
    let mut bad = witness;
    bad.slots[2].signature.s += Fr::from(1u64);
    match prove(&keys, bad, &quiet) {
        Err(ProverError::InvalidWitness { label, slot }) => {
            assert_eq!(label, "signature");
            assert_eq!(slot, Some(2));
        }
        other => panic!("expected InvalidWitness, got {other:?}"),
    }
}

#[test]
fn the_dex_circuit_proves_a_batch_of_pool_operations_and_the_transfer_circuit_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::new(dir.path());
    let slots = 3;
    let (keys, _) = store
        .load_or_dev_setup(slots, CircuitKind::Dex, &quiet)
        .unwrap();
    assert!(
        store.path(&keys.shape).to_string_lossy().contains("dex-3-"),
        "DEX keys are cached apart from the transfer circuit's"
    );
    let mut state = state_with_tokens(MemoryStorage::new(), 2);
    let (a, b) = (User::new(1), User::new(2));
    let ia = onboard(&mut state, &a, 1_000_000);
    let ib = onboard(&mut state, &b, 1_000_000);
    state.set_fee_account(AccountId(ia)).unwrap();
    state.seal_batch().unwrap();
    let requests = [
        a.create_pool(ia, (0, 1), 5, 1),
        a.add_liquidity(ia, 0, (0, 1), (300_000, 100_000), 1, 5, 2),
        b.swap(ib, 0, 1, 0, 1_000, 1, 5, 1),
    ];
    let witness = BatchBuilder::build(&mut state, slots, &requests).unwrap();
    let proof = prove(&keys, witness.clone(), &quiet).unwrap();
    assert_eq!(proof.commitment, witness.commitment().unwrap().commitment());
    assert!(verify(&keys.pvk, &proof.commitment, &proof.proof));
    // the transfer circuit's keys cannot prove it
    let (transfer, _) = store
        .load_or_dev_setup(slots, CircuitKind::Transfer, &quiet)
        .unwrap();
    assert!(prove(&transfer, witness, &quiet).is_err());
}

/// The digest of each circuit's matrices at two slots (so that how a slot chains onto the last
/// shows), for [`zkr_circuit::CIRCUIT_VERSION`].
/// A change to what a circuit constrains changes it: bump the version (cached shapes and keys
/// are found by it) and pin the new digests here.
const PINNED_DIGESTS: [(u32, CircuitKind, &str); 2] = [
    (
        3,
        CircuitKind::Transfer,
        "0x8999cbeea3c0a31402fd7220956659c915bce5976bf394562a67b65404bf4c9c",
    ),
    (
        3,
        CircuitKind::Dex,
        "0xdc6260f65565d5d549068ec3c23ef0500aa1a88d5475a30055c1c36b2874a198",
    ),
];

#[test]
fn the_shape_digest_is_pinned_to_the_circuit_version() {
    for (version, kind, digest) in PINNED_DIGESTS {
        assert_eq!(
            version,
            zkr_circuit::CIRCUIT_VERSION,
            "bump the pinned digests with the version"
        );
        let shape = zkr_prover::shape::shape(2, kind).unwrap();
        assert_eq!(
            shape.digest.to_string(),
            digest,
            "the {kind:?} circuit changed: bump zkr_circuit::CIRCUIT_VERSION and pin its digests"
        );
    }
}

#[test]
fn a_cached_shape_skips_synthesis_and_one_no_key_fits_is_computed_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::new(dir.path());
    let kind = CircuitKind::Transfer;
    let (shape, cached) = store.shape(1, kind, false, &quiet).unwrap();
    assert!(!cached);
    assert!(store.shape_path(1, kind).exists());
    let (again, cached) = store.shape(1, kind, false, &quiet).unwrap();
    assert!(cached, "the second start reads the cache");
    assert_eq!(again, shape);

    // A stale cache (what a circuit change without a version bump leaves): the cache is what
    // `shape` answers, but keys are never made or loaded for it.
    let mut stale = shape;
    stale.witness_variables += 1;
    stale.digest = alloy_primitives::B256::repeat_byte(7);
    std::fs::write(store.shape_path(1, kind), stale.to_text()).unwrap();
    assert_eq!(store.shape(1, kind, false, &quiet).unwrap(), (stale, true));
    let said = std::cell::RefCell::new(Vec::new());
    let log = |m: &str| said.borrow_mut().push(m.to_string());
    let (keys, _) = store.load_or_dev_setup(1, kind, &log).unwrap();
    assert_eq!(keys.shape, shape, "{:?}", said.borrow());
    assert!(store.path(&shape).exists());
    assert!(!store.path(&stale).exists());
    // And the cache is right again.
    assert_eq!(store.shape(1, kind, false, &quiet).unwrap(), (shape, true));
}

/// A cached shape whose sizes still fit but whose circuit changed (no version bump) loads a key;
/// the first proof synthesizes the matrices, finds another digest and refuses, naming the stale
/// cache, instead of proving against matrices the keys were not made for.
#[test]
fn matrices_of_another_circuit_than_the_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::new(dir.path());
    let kind = CircuitKind::Transfer;
    let (keys, _) = store.load_or_dev_setup(1, kind, &quiet).unwrap();
    let mut stale = keys.shape;
    stale.digest = alloy_primitives::B256::repeat_byte(9);
    std::fs::write(store.shape_path(1, kind), stale.to_text()).unwrap();
    std::fs::copy(store.path(&keys.shape), store.path(&stale)).unwrap();
    let (loaded, cached) = store.load_or_dev_setup(1, kind, &quiet).unwrap();
    assert!(cached);
    assert_eq!(loaded.shape, stale);
    let err = loaded.matrices(&quiet).unwrap_err();
    assert!(
        matches!(err, ProverError::ShapeMismatch { expected, found, .. }
            if expected == stale.digest && found == keys.shape.digest),
        "{err}"
    );
    // the right keys build their matrices once and share them with their clones
    let a = keys.matrices(&quiet).unwrap();
    let b = keys.clone().matrices(&quiet).unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    assert_eq!(a.shape, keys.shape);
}
