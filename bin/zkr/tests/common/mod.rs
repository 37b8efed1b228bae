//! What the end-to-end tests share: a `zkr devnet` child process, and its endpoints, keys and
//! L1 views (from `devnet.json`).

#![allow(dead_code)] // each test binary uses its own part

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use zkr_l1::bindings::ZkrRollup;

pub const ETH: u128 = 1_000_000_000_000_000_000;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Two distinct free ports (both held while picked, so they differ).
pub fn free_ports() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

/// A free port for the devnet's explorer (on by default; a fixed one could be taken).
pub fn explorer_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A running `zkr devnet`; stopped with SIGTERM (then SIGKILL) when dropped.
pub struct Devnet {
    child: Child,
    log: PathBuf,
}

impl Devnet {
    pub fn start(dir: &Path, keys: &Path, l1_port: u16, l2_port: u16) -> Devnet {
        Self::start_with(dir, keys, l1_port, l2_port, &[], &[])
    }

    /// [`Devnet::start`] with more `zkr devnet` arguments and environment variables.
    pub fn start_with(
        dir: &Path,
        keys: &Path,
        l1_port: u16,
        l2_port: u16,
        extra: &[&str],
        envs: &[(&str, &str)],
    ) -> Devnet {
        let log = dir.with_extension(format!("{}.log", l2_port));
        let mut child = Command::new(env!("CARGO_BIN_EXE_zkr"))
            .envs(envs.iter().copied())
            .args(["devnet", "--data-dir"])
            .arg(dir)
            .arg("--keys-dir")
            .arg(keys)
            .arg("--project-dir")
            .arg(repo())
            .args(["--l1-port", &l1_port.to_string()])
            .args(["--l2-port", &l2_port.to_string()])
            .args(["--explorer-port", &explorer_port().to_string()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start zkr devnet");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let devnet = Devnet { child, log };
        let line = rx
            .recv_timeout(Duration::from_secs(900))
            .unwrap_or_else(|_| devnet.fail("no `ready` line within 15 minutes"));
        assert!(line.contains("ready"), "first line: {line}");
        devnet
    }

    pub fn fail(&self, msg: &str) -> ! {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!("{msg}\n--- devnet log (tail) ---\n{}", tail.join("\n"));
    }

    /// The `zkr devnet` process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// SIGTERM; returns whether it exited with success within a minute.
    pub fn stop(mut self) -> bool {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
            std::thread::sleep(Duration::from_secs(3));
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The devnet's endpoints and keys (from `devnet.json`).
pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub l1_rpc: String,
    pub l2_rpc: String,
    pub l2: HttpClient,
    pub l1: DynProvider,
    pub rollup: Address,
    pub dev_token: Address,
    pub key: String,
    pub me: Address,
    /// Every funded account of `devnet.json`: (private key, address).
    pub accounts: Vec<(String, Address)>,
    /// The devnet's data dir.
    pub dir: PathBuf,
}

impl Env {
    pub fn new(dir: &Path) -> Env {
        let file: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("devnet.json")).unwrap())
                .unwrap();
        for field in [
            "l1_rpc",
            "l2_rpc",
            "chain_id",
            "contracts",
            "tokens",
            "accounts",
        ] {
            assert!(!file[field].is_null(), "devnet.json lacks {field}");
        }
        let rt = tokio::runtime::Runtime::new().unwrap();
        let l2_rpc = file["l2_rpc"].as_str().unwrap().to_string();
        let l2 = HttpClientBuilder::default().build(&l2_rpc).unwrap();
        let l1 = ProviderBuilder::new()
            .connect_http(file["l1_rpc"].as_str().unwrap().parse().unwrap())
            .erased();
        let account = &file["accounts"][0];
        Env {
            rt,
            l1_rpc: file["l1_rpc"].as_str().unwrap().to_string(),
            l2_rpc,
            l2,
            l1,
            rollup: file["contracts"]["rollup"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
            dev_token: file["tokens"]["DEV"]["address"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
            key: account["private_key"].as_str().unwrap().to_string(),
            me: account["address"].as_str().unwrap().parse().unwrap(),
            accounts: file["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["private_key"].as_str().unwrap().to_string(),
                        a["address"].as_str().unwrap().parse().unwrap(),
                    )
                })
                .collect(),
            dir: dir.to_path_buf(),
        }
    }

    /// `zkr wallet` as the owner of `key`, from L1 alone: `--rollup` and `--l1-rpc`, and an L2
    /// URL where nothing listens.
    pub fn wallet_l1(&self, key: &str, args: &[&str]) -> Output {
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead_url = format!("http://{}", dead.local_addr().unwrap());
        drop(dead);
        Command::new(env!("CARGO_BIN_EXE_zkr"))
            .args(["wallet", "--l2-rpc", &dead_url, "--l1-rpc", &self.l1_rpc])
            .args(["--rollup", &self.rollup.to_string()])
            .env("ZKR_PRIVATE_KEY", key)
            .current_dir(&self.dir)
            .args(args)
            .output()
            .expect("run zkr wallet")
    }

    /// Like [`Env::wallet_l1`], expecting success; its stdout.
    pub fn wallet_l1_ok(&self, key: &str, args: &[&str]) -> String {
        let o = self.wallet_l1(key, args);
        assert!(
            o.status.success(),
            "zkr wallet {args:?} failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    }

    /// `zkr wallet` as the owner of `key` (through the node).
    pub fn wallet_as_ok(&self, key: &str, args: &[&str]) -> String {
        let o = Command::new(env!("CARGO_BIN_EXE_zkr"))
            .args(["wallet", "--l2-rpc", &self.l2_rpc])
            .env("ZKR_PRIVATE_KEY", key)
            .args(args)
            .output()
            .expect("run zkr wallet");
        assert!(
            o.status.success(),
            "zkr wallet {args:?} failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    }

    /// The node's process id (the devnet restarts it with a new one).
    pub fn node_pid(&self) -> i32 {
        std::fs::read_to_string(self.dir.join("node.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// Moves anvil's clock forward by `secs` and mines a block.
    pub fn time_travel(&self, secs: u64) {
        self.rt.block_on(async {
            let _: i64 = self
                .l1
                .raw_request("evm_increaseTime".into(), (secs,))
                .await
                .unwrap();
            let _: String = self.l1.raw_request("evm_mine".into(), ()).await.unwrap();
        });
    }

    pub fn wallet(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_zkr"))
            .args(["wallet", "--l2-rpc", &self.l2_rpc])
            .env("ZKR_PRIVATE_KEY", &self.key)
            .args(args)
            .output()
            .expect("run zkr wallet")
    }

    pub fn wallet_ok(&self, args: &[&str]) -> String {
        let o = self.wallet(args);
        assert!(
            o.status.success(),
            "zkr wallet {args:?} failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    }

    /// Runs `zkr rebuild --until proven` into `data_dir`; its JSON report.
    pub fn rebuild(&self, data_dir: &Path) -> Value {
        let o = Command::new(env!("CARGO_BIN_EXE_zkr"))
            .args(["rebuild", "--until", "proven", "--rollup"])
            .arg(self.rollup.to_string())
            .arg("--data-dir")
            .arg(data_dir)
            .env("ZKR_L1_RPC", &self.l1_rpc)
            .output()
            .expect("run zkr rebuild");
        assert!(
            o.status.success(),
            "zkr rebuild failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout).unwrap()
    }

    /// Every account of the state in `data_dir` (ids below `accounts`) and every pool is what
    /// the node answers.
    pub fn same_accounts_and_pools(&self, data_dir: &Path, accounts: u64) {
        use zkr_state::storage::{RedbStorage, Storage};
        let storage = RedbStorage::open(&data_dir.join("state.redb")).unwrap();
        let mut users = 0;
        for id in 0..accounts as u32 {
            let Some(a) = storage.account(zkr_types::AccountId(id)).unwrap() else {
                continue;
            };
            if a.owner == Address::ZERO {
                continue;
            }
            users += 1;
            let node = self.account(a.owner);
            assert_eq!(node["id"], id, "{node}");
            assert_eq!(node["nonce"], a.nonce.0, "{node}");
            assert_eq!(
                node["pubKeyHash"],
                zkr_crypto::field::fr_to_decimal(&a.pubkey_hash)
            );
            let held = |b: &Value| -> Vec<(String, String)> {
                let mut v: Vec<(String, String)> = b
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .filter(|(_, v)| v != "0")
                    .collect();
                v.sort();
                v
            };
            let mine: serde_json::Map<String, Value> = a
                .balances()
                .map(|(t, b)| (t.0.to_string(), Value::String(b.to_string())))
                .collect();
            assert_eq!(
                held(&Value::Object(mine)),
                held(&node["balances"]),
                "account {id}"
            );
        }
        assert!(users >= 4, "only {users} accounts compared");
        let state = zkr_state::State::open(storage, self.chain()).unwrap();
        let pools: Vec<Value> = state
            .pools()
            .unwrap()
            .iter()
            .map(zkr_node::rpc::pool_json)
            .collect();
        assert!(!pools.is_empty());
        assert_eq!(
            Value::Array(pools),
            self.l2_call("zkr_getPools", rpc_params![])
        );
    }

    pub fn chain(&self) -> zkr_state::ChainConfig {
        let c = self.l2_call("zkr_getContracts", rpc_params![]);
        zkr_state::ChainConfig {
            chain_id: zkr_types::ChainId(c["chainId"].as_u64().unwrap() as u32),
            eip712: zkr_crypto::eth::Eip712Domain {
                l1_chain_id: c["l1ChainId"].as_u64().unwrap(),
                verifying_contract: self.rollup,
            },
        }
    }

    pub fn l2_call(&self, method: &str, params: jsonrpsee::core::params::ArrayParams) -> Value {
        self.rt
            .block_on(self.l2.request::<Value, _>(method, params))
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    pub fn account(&self, owner: Address) -> Value {
        self.l2_call("zkr_getAccount", rpc_params![owner])
    }

    pub fn l2_balance(&self, owner: Address, token: u16) -> u128 {
        self.account(owner)["balances"][token.to_string()]
            .as_str()
            .unwrap_or("0")
            .parse()
            .unwrap()
    }

    pub fn rollup(&self) -> ZkrRollup::ZkrRollupInstance<&DynProvider> {
        ZkrRollup::new(self.rollup, &self.l1)
    }

    pub fn pending(&self, owner: Address, token: Address) -> u128 {
        self.rt
            .block_on(async { self.rollup().getPendingBalance(owner, token).call().await })
            .unwrap()
    }

    pub fn eth_balance(&self, who: Address) -> U256 {
        self.rt
            .block_on(async { self.l1.get_balance(who).await })
            .unwrap()
    }

    pub fn totals(&self) -> (u64, u64, u64) {
        let r = self.rollup();
        self.rt.block_on(async {
            (
                r.totalBatchesCommitted().call().await.unwrap(),
                r.totalBatchesProven().call().await.unwrap(),
                r.totalBatchesExecuted().call().await.unwrap(),
            )
        })
    }

    /// The batch numbers of every `BatchCommitted` event, in L1 order.
    pub fn committed_events(&self) -> Vec<u64> {
        let filter = Filter::new()
            .address(self.rollup)
            .event_signature(ZkrRollup::BatchCommitted::SIGNATURE_HASH)
            .from_block(0);
        let logs = self.rt.block_on(self.l1.get_logs(&filter)).unwrap();
        logs.iter()
            .map(|l| {
                ZkrRollup::BatchCommitted::decode_log(&l.inner)
                    .unwrap()
                    .batchNumber
            })
            .collect()
    }

    pub fn tx_status(&self, hash: &str) -> Value {
        self.l2_call("zkr_getTx", rpc_params![hash])
    }

    pub fn wait_until(&self, what: &str, secs: u64, mut done: impl FnMut() -> bool) {
        let started = Instant::now();
        while !done() {
            assert!(
                started.elapsed() < Duration::from_secs(secs),
                "timed out after {secs} s waiting until {what}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
