//! The prover job queue against a real PostgreSQL (a throwaway cluster per test): idempotent
//! enqueueing, concurrent claims that never share a job, tickets that keep a stale claim from
//! writing, retries and their limit, and a worker proving a real batch, including one whose
//! first claimer died mid-proof.

use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::watch;
use zkr_circuit::{BatchBuilder, CircuitKind};
use zkr_crypto::Fr;
use zkr_fleet::testing::ThrowawayPostgres;
use zkr_fleet::worker::{self, WorkerConfig};
use zkr_fleet::{Enqueued, FleetError, JobStatus, Queue};
use zkr_prover::{KeyStore, ProvingJob, proof_from_bytes, quiet, verify};
use zkr_state::fixtures::{User, onboard, state_with_tokens};
use zkr_state::storage::MemoryStorage;
use zkr_types::AccountId;

/// A job the queue stores and hands out (its values need not prove anything here).
fn fake_job(seed: u64) -> ProvingJob {
    ProvingJob {
        kind: CircuitKind::Transfer,
        slots: 1,
        commitment: Fr::from(seed),
        values: (0..5).map(|i| Fr::from(seed * 10 + i)).collect(),
    }
}

/// A real batch of one transfer, as the node would enqueue it.
fn real_job() -> ProvingJob {
    let mut state = state_with_tokens(MemoryStorage::new(), 2);
    let (a, b) = (User::new(1), User::new(2));
    let ia = onboard(&mut state, &a, 10_000);
    state.set_fee_account(AccountId(ia)).unwrap();
    state.seal_batch().unwrap();
    let witness = BatchBuilder::build(
        &mut state,
        1,
        &[a.transfer(ia, b.address(), 0, 1_000, 5, 1)],
    )
    .unwrap();
    ProvingJob::new(witness, CircuitKind::Transfer).unwrap()
}

#[tokio::test]
async fn enqueueing_is_idempotent_and_a_different_job_is_refused() {
    let pg = ThrowawayPostgres::start().unwrap();
    let q = Queue::connect(&pg.url(), 3).await.unwrap();
    assert_eq!(q.enqueue(1, &fake_job(1)).await.unwrap(), Enqueued::New);
    assert_eq!(
        q.enqueue(1, &fake_job(1)).await.unwrap(),
        Enqueued::AlreadyQueued
    );
    assert!(matches!(
        q.enqueue(1, &fake_job(2)).await,
        Err(FleetError::Conflict(1))
    ));
    // connecting again migrates nothing twice
    let again = Queue::connect(&pg.url(), 3).await.unwrap();
    assert_eq!(again.counts().await.unwrap(), (1, 0, 0, 0));
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_job_and_take_the_lowest_first() {
    let pg = ThrowawayPostgres::start().unwrap();
    let q = Queue::connect(&pg.url(), 3).await.unwrap();
    let n = 40u64;
    for b in (0..n).rev() {
        q.enqueue(b, &fake_job(b)).await.unwrap();
    }
    let first = q
        .claim("first", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.batch, 0, "the lowest pending batch first");
    assert_eq!(first.job.to_bytes(), fake_job(0).to_bytes());
    let mut tasks = Vec::new();
    for w in 0..8 {
        let q = Queue::connect(&pg.url(), 3).await.unwrap();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(c) = q
                .claim(&format!("w{w}"), Duration::from_secs(60))
                .await
                .unwrap()
            {
                mine.push(c.batch);
            }
            mine
        }));
    }
    let mut all = vec![0];
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: BTreeSet<u64> = all.iter().copied().collect();
    assert_eq!(
        all.len(),
        n as usize,
        "every job claimed exactly once: {all:?}"
    );
    assert_eq!(distinct, (0..n).collect());
    let s = q.state(7).await.unwrap().unwrap();
    assert_eq!(s.status, JobStatus::Proving);
    assert_eq!(s.attempts, 1);
    assert!(s.worker.unwrap().starts_with('w') && s.picked_at.is_some());
}

#[tokio::test]
async fn a_stale_claim_cannot_write_and_a_proof_is_written_once() {
    let pg = ThrowawayPostgres::start().unwrap();
    let q = Queue::connect(&pg.url(), 3).await.unwrap();
    q.enqueue(5, &fake_job(5)).await.unwrap();
    let lease = Duration::from_millis(400);
    let dead = q.claim("dead", lease).await.unwrap().unwrap();
    assert!(
        q.requeue_stuck().await.unwrap().is_empty(),
        "its lease runs"
    );
    // A claim whose lease is renewed is alive however old; one whose lease ran out is put back.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(q.heartbeat(5, dead.attempt, lease).await.unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        q.requeue_stuck().await.unwrap().is_empty(),
        "renewed 300 ms ago"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(q.requeue_stuck().await.unwrap(), vec![5]);
    let s = q.state(5).await.unwrap().unwrap();
    assert_eq!(s.status, JobStatus::Pending);
    assert!(s.error.unwrap().contains("worker dead went silent"));
    let live = q
        .claim("live", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((live.batch, live.attempt), (5, 2));
    assert!(
        !q.complete(5, dead.attempt, b"late").await.unwrap(),
        "the dead claim's proof is refused"
    );
    assert!(
        !q.heartbeat(5, dead.attempt, lease).await.unwrap(),
        "a stale claim cannot renew"
    );
    assert!(q.complete(5, live.attempt, b"proof").await.unwrap());
    assert!(
        !q.complete(5, live.attempt, b"again").await.unwrap(),
        "never written twice"
    );
    assert!(!q.fail(5, live.attempt, "late error").await.unwrap());
    let s = q.state(5).await.unwrap().unwrap();
    assert_eq!(
        (s.status, s.proof.as_deref()),
        (JobStatus::Done, Some(&b"proof"[..]))
    );
    assert_eq!(s.worker.as_deref(), Some("live"));
    assert!(s.error.is_none() && s.finished_at.is_some());
    assert!(
        q.claim("idle", lease).await.unwrap().is_none(),
        "nothing left"
    );
    // The node refuses a proof that does not verify: back to pending, the proof gone.
    assert!(
        !q.reject(5, dead.attempt, "bad").await.unwrap(),
        "only the done claim"
    );
    assert!(q.reject(5, live.attempt, "does not verify").await.unwrap());
    let s = q.state(5).await.unwrap().unwrap();
    assert_eq!((s.status, s.proof), (JobStatus::Pending, None));
    assert_eq!(s.error.as_deref(), Some("does not verify"));
}

#[tokio::test]
async fn failures_are_retried_up_to_the_limit_then_reported() {
    let pg = ThrowawayPostgres::start().unwrap();
    let q = Queue::connect(&pg.url(), 2).await.unwrap();
    let lease = Duration::from_secs(60);
    q.enqueue(9, &fake_job(9)).await.unwrap();
    let c = q.claim("a", lease).await.unwrap().unwrap();
    assert!(q.fail(9, c.attempt, "out of memory").await.unwrap());
    assert_eq!(
        q.state(9).await.unwrap().unwrap().status,
        JobStatus::Pending
    );
    let c = q.claim("b", lease).await.unwrap().unwrap();
    assert!(q.fail(9, c.attempt, "out of memory again").await.unwrap());
    let s = q.state(9).await.unwrap().unwrap();
    assert_eq!((s.status, s.attempts), (JobStatus::Failed, 2));
    assert_eq!(s.error.as_deref(), Some("out of memory again"));
    assert!(
        q.claim("c", lease).await.unwrap().is_none(),
        "a failed job is not claimed"
    );
    assert!(q.retry_failed(9).await.unwrap());
    let again = q.claim("c", lease).await.unwrap().unwrap();
    assert_eq!(again.attempt, 3, "a claim's ticket is never reused");
    assert!(
        !q.complete(9, c.attempt, b"stale").await.unwrap(),
        "the old ticket is dead"
    );
    let s = q.state(9).await.unwrap().unwrap();
    assert_eq!(
        (s.attempts, s.claim),
        (1, 3),
        "a fresh budget; the ticket goes on"
    );
}

#[tokio::test]
async fn a_worker_proves_a_batch_whose_first_worker_died_mid_proof() {
    let pg = ThrowawayPostgres::start().unwrap();
    let q = Queue::connect(&pg.url(), 3).await.unwrap();
    let job = real_job();
    q.enqueue(1, &job).await.unwrap();
    // A worker claims it and dies: no proof, no error.
    let dead = q
        .claim("killed", Duration::from_millis(500))
        .await
        .unwrap()
        .unwrap();
    let keys_dir = tempfile::tempdir().unwrap();
    let (_stop_tx, stop) = watch::channel(false);
    let config = WorkerConfig {
        name: "survivor".into(),
        keys_dir: keys_dir.path().to_path_buf(),
        poll: Duration::from_millis(100),
        job_timeout: Duration::from_secs(1),
        max_jobs: Some(1),
    };
    let proved = tokio::time::timeout(
        Duration::from_secs(600),
        worker::run(q.clone(), config, stop),
    )
    .await
    .expect("the worker finished")
    .unwrap();
    assert_eq!(proved, 1);
    let s = q.state(1).await.unwrap().unwrap();
    assert_eq!(s.status, JobStatus::Done);
    assert_eq!(
        (s.worker.as_deref(), s.claim),
        (Some("survivor"), dead.attempt + 1)
    );
    // The node's check: the proof verifies against the commitment it computed.
    let (keys, cached) = KeyStore::new(keys_dir.path())
        .load_or_dev_setup(1, CircuitKind::Transfer, &quiet)
        .unwrap();
    assert!(cached, "the worker made and cached the keys");
    let proof = proof_from_bytes(&s.proof.unwrap()).unwrap();
    assert!(verify(&keys.pvk, &job.commitment, &proof));
    assert!(!verify(
        &keys.pvk,
        &(job.commitment + Fr::from(1u64)),
        &proof
    ));
}

#[tokio::test]
async fn jobs_that_do_not_decode_or_do_not_match_their_row_are_failed_and_skipped() {
    let pg = ThrowawayPostgres::start().unwrap();
    let q = Queue::connect(&pg.url(), 3).await.unwrap();
    q.enqueue(1, &fake_job(1)).await.unwrap();
    q.enqueue(2, &fake_job(2)).await.unwrap();
    // batch 1's row is tampered with: its bytes say DEX, its row says transfer
    let mut bent = fake_job(1);
    bent.kind = CircuitKind::Dex;
    let pool = sqlx::PgPool::connect(&pg.url()).await.unwrap();
    sqlx::query("UPDATE prover_jobs SET job = $1 WHERE batch = 1")
        .bind(bent.to_bytes())
        .execute(&pool)
        .await
        .unwrap();
    let c = q
        .claim("w", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.batch, 2, "the bad job is skipped");
    let s = q.state(1).await.unwrap().unwrap();
    assert_eq!(
        (s.status, s.attempts),
        (JobStatus::Failed, 1),
        "bytes that do not decode never will: failed at once"
    );
    assert!(
        s.error
            .unwrap()
            .contains("in a row of a 1-slot transfer one"),
        "the reason is recorded"
    );
    // a job announcing more slots than any prover takes is refused before any work
    let mut huge = fake_job(3).to_bytes();
    huge[9..13].copy_from_slice(&1_000_000u32.to_le_bytes());
    let err = ProvingJob::from_bytes(&huge).unwrap_err().to_string();
    assert!(err.contains("slots"), "{err}");
}
