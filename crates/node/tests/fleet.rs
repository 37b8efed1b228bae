//! `zkr node --prover-queue`: the node queues each sealed batch's job in a real PostgreSQL (a
//! throwaway cluster) and takes the fleet's proofs back in batch order: proofs finished out of
//! order wait for the one before, a restart with jobs in flight loses nothing, and a proof that
//! does not verify against the commitment the node computed (a valid proof of another
//! statement) is refused back to the queue, never stored, and the node goes on.

mod common;

use std::time::{Duration, Instant};
use zkr_circuit::CircuitKind;
use zkr_crypto::Fr;
use zkr_fleet::testing::ThrowawayPostgres;
use zkr_fleet::{JobStatus, Queue};
use zkr_node::pipeline::lock;
use zkr_node::{Node, ProverQueueConfig};
use zkr_prover::{KeyStore, proof_to_bytes, prove_circuit, quiet};
use zkr_state::fixtures::User;

fn wait(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A throwaway PostgreSQL, and the config of a node with one-slot batches that proves through
/// a queue in it (its data dir and keys dir in temp dirs the caller keeps).
struct Fixture {
    pg: ThrowawayPostgres,
    config: zkr_node::NodeConfig,
    keys_dir: tempfile::TempDir,
    _dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

fn fixture() -> Fixture {
    let pg = ThrowawayPostgres::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys_dir = tempfile::tempdir().unwrap();
    let mut config = common::node_config(dir.path());
    config.sequencer = zkr_node::SequencerConfig::free(1);
    config.keys_dir = Some(keys_dir.path().to_path_buf());
    config.prover_queue = Some(ProverQueueConfig {
        url: pg.url(),
        max_attempts: 3,
    });
    Fixture {
        pg,
        config,
        keys_dir,
        _dir: dir,
        rt: tokio::runtime::Runtime::new().unwrap(),
    }
}

#[test]
fn the_node_takes_the_fleets_proofs_in_order_and_loses_nothing_on_restart() {
    let Fixture {
        pg,
        config,
        keys_dir,
        _dir,
        rt,
    } = fixture();
    let node = rt.block_on(Node::start(config.clone())).unwrap();
    let queue = rt.block_on(Queue::connect(&pg.url(), 3)).unwrap();
    // Three one-slot batches: three deposits.
    {
        let mut seq = lock(&node.sequencer);
        for i in 0..3u8 {
            let u = User::new(i + 1);
            seq.submit_priority(
                u64::from(i),
                u.deposit(0, 1_000 + u64::from(i) as u128),
                None,
            )
            .unwrap();
        }
        seq.seal_batch(1_000).unwrap();
    }
    wait("three jobs queued", 300, || {
        rt.block_on(queue.counts()).unwrap().0 == 3
    });
    // The test is the fleet: three workers claim one each.
    let claims: Vec<_> = ["w1", "w2", "w3"]
        .iter()
        .map(|w| {
            rt.block_on(queue.claim(w, Duration::from_secs(600)))
                .unwrap()
                .unwrap()
        })
        .collect();
    assert_eq!(
        claims.iter().map(|c| c.batch).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let (keys, _) = KeyStore::new(keys_dir.path())
        .load_or_dev_setup(1, CircuitKind::Transfer, &quiet)
        .unwrap();
    let prove = |i: usize| {
        let p = prove_circuit(&keys, claims[i].job.circuit().unwrap(), &quiet).unwrap();
        proof_to_bytes(&p.proof)
    };
    // zkr_getBatch shows a job in flight.
    let client = jsonrpsee::http_client::HttpClientBuilder::default()
        .build(format!("http://{}", node.http_addr))
        .unwrap();
    let shown = || -> serde_json::Value {
        use jsonrpsee::core::client::ClientT;
        rt.block_on(client.request("zkr_getBatch", jsonrpsee::rpc_params![1u64]))
            .unwrap()
    };
    wait("zkr_getBatch shows the job", 30, || {
        shown()["proverJob"]["status"] == "proving"
    });
    assert_eq!(shown()["proverJob"]["worker"], "w1");

    // Batches 3 and 2 finish first: they wait for batch 1.
    assert!(
        rt.block_on(queue.complete(3, claims[2].attempt, &prove(2)))
            .unwrap()
    );
    assert!(
        rt.block_on(queue.complete(2, claims[1].attempt, &prove(1)))
            .unwrap()
    );
    std::thread::sleep(Duration::from_secs(2));
    {
        let seq = lock(&node.sequencer);
        for b in 1..=3 {
            assert!(
                seq.proof(b).unwrap().is_none(),
                "batch {b} stored before batch 1"
            );
        }
    }

    // Restart with batch 1 still in flight: nothing is lost or queued twice.
    rt.block_on(node.stop());
    let node = rt.block_on(Node::start(config)).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        rt.block_on(queue.counts()).unwrap(),
        (0, 1, 2, 0),
        "(pending, proving, done, failed)"
    );
    assert!(
        rt.block_on(queue.complete(1, claims[0].attempt, &prove(0)))
            .unwrap()
    );
    wait("all three proofs stored in order", 60, || {
        lock(&node.sequencer).proof(3).unwrap().is_some()
    });
    let seq_proofs: Vec<String> = {
        let seq = lock(&node.sequencer);
        (1..=3)
            .map(|b| seq.proof(b).unwrap().unwrap().commitment)
            .collect()
    };
    for (i, c) in seq_proofs.iter().enumerate() {
        assert_eq!(
            c,
            &zkr_crypto::field::fr_to_decimal(&claims[i].job.commitment),
            "batch {} stored with its own job's commitment",
            i + 1
        );
    }
    let s = rt.block_on(queue.state(1)).unwrap().unwrap();
    assert_eq!(
        (s.status, s.worker.as_deref()),
        (JobStatus::Done, Some("w1"))
    );
    rt.block_on(node.stop());
}

#[test]
fn a_proof_that_does_not_verify_is_refused_back_to_the_queue_and_never_stored() {
    let Fixture {
        pg,
        config,
        keys_dir,
        _dir,
        rt,
    } = fixture();
    let node = rt.block_on(Node::start(config)).unwrap();
    let queue = rt.block_on(Queue::connect(&pg.url(), 3)).unwrap();
    {
        let mut seq = lock(&node.sequencer);
        let u = User::new(1);
        seq.submit_priority(0, u.deposit(0, 1_000), None).unwrap();
        seq.seal_batch(1_000).unwrap();
    }
    wait("the job queued", 300, || {
        rt.block_on(queue.counts()).unwrap().0 == 1
    });
    let c = rt
        .block_on(queue.claim("liar", Duration::from_secs(600)))
        .unwrap()
        .unwrap();
    let (keys, _) = KeyStore::new(keys_dir.path())
        .load_or_dev_setup(1, CircuitKind::Transfer, &quiet)
        .unwrap();
    // A real proof of another statement: the job with its commitment changed.
    let mut other = c.job.clone();
    other.values[0] += Fr::from(1u64); // the batch number
    let mut circuit = other.circuit().unwrap();
    circuit.commitment = None;
    let bogus = zkr_circuit::BatchCircuit::with_own_commitment(circuit.assignment);
    let proof = prove_circuit(
        &keys,
        zkr_circuit::BatchCircuit {
            commitment: Some(bogus.evaluate().unwrap().1.unwrap().commitment),
            ..bogus
        },
        &quiet,
    )
    .unwrap();
    assert!(
        rt.block_on(queue.complete(1, c.attempt, &proof_to_bytes(&proof.proof)))
            .unwrap()
    );
    // The node refuses it back to the queue and goes on: nothing stored, the job pending again.
    wait("the proof refused", 60, || {
        let s = rt.block_on(queue.state(1)).unwrap().unwrap();
        s.status == JobStatus::Pending
            && s.error
                .as_deref()
                .is_some_and(|e| e.contains("does not verify"))
    });
    assert!(lock(&node.sequencer).proof(1).unwrap().is_none());
    // An honest worker's proof of the same job is then stored.
    let c = rt
        .block_on(queue.claim("honest", Duration::from_secs(600)))
        .unwrap()
        .unwrap();
    let p = prove_circuit(&keys, c.job.circuit().unwrap(), &quiet).unwrap();
    assert!(
        rt.block_on(queue.complete(1, c.attempt, &proof_to_bytes(&p.proof)))
            .unwrap()
    );
    wait("the honest proof stored", 60, || {
        lock(&node.sequencer).proof(1).unwrap().is_some()
    });
    rt.block_on(node.stop());
}
