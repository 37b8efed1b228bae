//! The sequencer's single durable writer: a thread that writes, in the order the sequencer
//! decided them, the mempool entries of accepted operations and the sealed blocks, everything
//! queued at once in one storage transaction (one sync on disk), then says how far that is
//! durable ([`Durability`]).
//!
//! So the sequencer's lock is held to decide (apply an operation, seal a block in memory), never
//! to wait for a disk: requests are answered once their entry is durable, a block is visible in
//! storage once it is, and meanwhile the state reads the sealed blocks not yet written from
//! memory (`zkr_state::State::seal_block_deferred`). A crash loses only what was not yet
//! durable, which nobody was told of; the node reopens at the last written block and replays
//! the mempool entries after it.
//!
//! After a failed write nothing more is written: the sequencer applied what is not stored, so it
//! refuses all work until the node restarts from storage.

use crate::NodeError;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use zkr_state::storage::{StorageError, Write};

/// How far the sequencer's decisions are durable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Operations with a mempool sequence number below this are durable.
    pub ops_below: u64,
    /// The last block durable in storage.
    pub block: u64,
    /// A write failed: nothing after it is written.
    pub failed: bool,
}

/// The writer's progress, shared with the sequencer and the requests waiting on it.
pub struct Durability {
    progress: Mutex<Progress>,
    /// Why the failed write failed.
    failure: Mutex<Option<StorageError>>,
    changed: Condvar,
    watch: tokio::sync::watch::Sender<Progress>,
    /// Told of each write: its seconds and whether it held a block (the node's metrics).
    observer: std::sync::OnceLock<WriteObserver>,
}

/// What is told of each write: its seconds and whether it held a block.
pub type WriteObserver = Box<dyn Fn(f64, bool) + Send + Sync>;

impl std::fmt::Debug for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Durability")
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

impl Durability {
    /// Sets what is told of each write from now on (once; later calls are ignored).
    pub fn observe_writes(&self, observer: WriteObserver) {
        let _ = self.observer.set(observer);
    }

    fn new(start: Progress) -> Durability {
        Durability {
            progress: Mutex::new(start),
            failure: Mutex::new(None),
            changed: Condvar::new(),
            watch: tokio::sync::watch::Sender::new(start),
            observer: std::sync::OnceLock::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The progress now.
    pub fn progress(&self) -> Progress {
        *self.lock()
    }

    /// Whether operation `seq` is durable.
    pub fn is_durable(&self, seq: u64) -> bool {
        self.progress().ops_below > seq
    }

    /// Whether a write failed.
    pub fn failed(&self) -> bool {
        self.progress().failed
    }

    /// The error of the failed write (the storage's reason when known).
    pub(crate) fn failure(&self) -> NodeError {
        match self
            .failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            Some(e) => NodeError::Storage(e),
            None => NodeError::Poisoned,
        }
    }

    fn fail(&self, reason: Option<StorageError>) {
        if let Some(reason) = reason {
            self.failure
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(reason);
        }
        self.update(|p| p.failed = true);
    }

    fn update(&self, f: impl FnOnce(&mut Progress)) {
        let now = {
            let mut p = self.lock();
            f(&mut p);
            *p
        };
        self.changed.notify_all();
        self.watch.send_replace(now);
    }

    /// Everything up to here is durable already (what the sequencer found in storage).
    pub(crate) fn start_at(&self, ops_below: u64, block: u64) {
        self.update(|p| {
            p.ops_below = p.ops_below.max(ops_below);
            p.block = p.block.max(block);
        });
    }

    /// Blocks the calling thread until `done` holds of the progress; an error if a write failed
    /// first.
    pub(crate) fn wait(&self, done: impl Fn(&Progress) -> bool) -> Result<(), NodeError> {
        let mut p = self.lock();
        loop {
            if done(&p) {
                return Ok(());
            }
            if p.failed {
                drop(p);
                return Err(self.failure());
            }
            p = self.changed.wait(p).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Waits (async) until operation `seq` is durable; an error if a write failed first.
    pub async fn durable(&self, seq: u64) -> Result<(), NodeError> {
        let mut rx = self.watch.subscribe();
        let durable = rx
            .wait_for(|p| p.ops_below > seq || p.failed)
            .await
            .map(|p| p.ops_below > seq)
            .unwrap_or(false);
        if durable { Ok(()) } else { Err(self.failure()) }
    }
}

/// One decision to write: its writes, the operations durable once it is written (all below
/// `ops_below`), and the block it holds.
#[derive(Debug)]
pub(crate) struct Job {
    pub write: Write,
    pub ops_below: u64,
    pub block: Option<u64>,
}

/// What writes a combined write to storage.
pub(crate) type WriteFn = Box<dyn Fn(Vec<Write>) -> Result<(), StorageError> + Send>;

/// The writer thread and its queue. Dropping it writes what is queued, then stops the thread.
pub(crate) struct Writer {
    jobs: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    durability: Arc<Durability>,
}

impl Writer {
    /// Starts the writer with `start` already durable.
    pub(crate) fn start(write: WriteFn, start: Progress) -> Result<Writer, NodeError> {
        let durability = Arc::new(Durability::new(start));
        let (jobs, queue) = std::sync::mpsc::channel();
        let shared = durability.clone();
        let thread = std::thread::Builder::new()
            .name("zkr-writer".into())
            .spawn(move || run(write, queue, &shared))
            .map_err(|e| NodeError::Storage(StorageError::Backend(e.to_string())))?;
        Ok(Writer {
            jobs: Some(jobs),
            thread: Some(thread),
            durability,
        })
    }

    /// The writer's progress.
    pub(crate) fn durability(&self) -> &Arc<Durability> {
        &self.durability
    }

    /// Queues `job` behind every job queued before it.
    pub(crate) fn send(&self, job: Job) -> Result<(), NodeError> {
        let sent = self
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok());
        if sent {
            return Ok(());
        }
        // The thread is gone (it panicked): nothing queued will be written.
        self.durability.fail(None);
        Err(NodeError::Poisoned)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Marks the writer failed if its thread unwinds (a storage panic), so no one waits forever.
struct FailOnPanic<'a>(&'a Durability);

impl Drop for FailOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.fail(Some(StorageError::Backend(
                "the storage writer panicked".into(),
            )));
        }
    }
}

fn run(write: WriteFn, queue: Receiver<Job>, durability: &Durability) {
    let _guard = FailOnPanic(durability);
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        jobs.extend(queue.try_iter());
        if durability.failed() {
            continue;
        }
        let ops_below = jobs.iter().map(|j| j.ops_below).max().unwrap_or(0);
        let block = jobs.iter().filter_map(|j| j.block).max();
        let writes = jobs.into_iter().map(|j| j.write).collect();
        let started = std::time::Instant::now();
        let written = write(writes);
        if let Some(observe) = durability.observer.get() {
            observe(started.elapsed().as_secs_f64(), block.is_some());
        }
        match written {
            Ok(()) => durability.update(|p| {
                p.ops_below = p.ops_below.max(ops_below);
                if let Some(b) = block {
                    p.block = p.block.max(b);
                }
            }),
            Err(e) => {
                tracing::error!(target: "zkr::sequencer", error = %e, "storage write failed; the sequencer refuses all work until the node restarts");
                durability.fail(Some(e));
            }
        }
    }
}
