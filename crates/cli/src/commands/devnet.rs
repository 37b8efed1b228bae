//! `zkr devnet`: a local L1 (anvil from the project's npm packages), the contracts, and a node
//! with its prover, supervised until SIGINT/SIGTERM. DEVNET ONLY: its keys are anvil's public
//! test keys and its trusted setup is the insecure dev setup.
//!
//! Layout of the data dir: `anvil/` (L1 state, dumped every second and on exit), `node/` (the
//! node's databases), `node.toml` (the node's settings, operator key included), `devnet.json`
//! (what wallets and scripts need), `node.pid`. Started again on the same dir, it resumes.

use super::mined;
use super::node::{
    DEFAULT_BATCH_SIZE, DEFAULT_CHAIN_ID, NodeArgs, init_logging, parse_key, shutdown_signal,
};
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result, bail};
use clap::Args;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};
use zkr_crypto::eth::Eip712Domain;
use zkr_crypto::field::fr_to_be_bytes;
use zkr_l1::bindings::{DevToken, ZkrRollup};
use zkr_l1::deploy::{RollupParams, deploy, deploy_dev_token};
use zkr_node::fees::FeePolicy;
use zkr_state::ChainConfig;
use zkr_types::ChainId;

/// Seconds a priority operation may wait before exodus can be triggered (devnet: one day).
const PRIORITY_DEADLINE: u64 = 86_400;
/// The node is restarted when it dies, but not more often than this in a minute.
const MAX_RESTARTS_PER_MINUTE: usize = 5;
/// Test tokens minted to each dev account (whole units).
const DEV_TOKEN_MINT: u64 = 1_000_000;

/// `zkr devnet`'s settings.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    /// Where the devnet keeps everything; started again on the same dir, it resumes.
    #[arg(long, env = "ZKR_DEVNET_DIR", default_value = ".zkr/devnet")]
    pub data_dir: PathBuf,
    /// Port of the L1 (anvil) JSON-RPC.
    #[arg(long, default_value_t = 8545)]
    pub l1_port: u16,
    /// Port of the L2 (zkr node) JSON-RPC.
    #[arg(long, default_value_t = 3050)]
    pub l2_port: u16,
    /// Port of the explorer (web page and JSON API); 0 turns it off.
    #[arg(long, default_value_t = 3060)]
    pub explorer_port: u16,
    /// L2 block time in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub block_time_ms: u64,
    /// A batch is sealed at the latest this long after its first operation, in ms.
    #[arg(long, default_value_t = 1000)]
    pub batch_timeout_ms: u64,
    /// Proving-key cache [default: $XDG_CACHE_HOME/zkr/keys or ~/.cache/zkr/keys].
    #[arg(long, env = "ZKR_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,
    /// The zkr checkout (for anvil and the contracts) [default: found from the current dir].
    #[arg(long, env = "ZKR_PROJECT_DIR")]
    pub project_dir: Option<PathBuf>,
    /// The anvil binary [default: the project's pinned npm package].
    #[arg(long, env = "ZKR_ANVIL")]
    pub anvil: Option<PathBuf>,
    /// Run the node without its prover: batches are committed to L1 but never proven or
    /// executed, so withdrawals never reach L1. For load benchmarks (`zkr bench load`), where
    /// proving cannot keep up; the other node settings come from `ZKR_*` variables (`zkr node
    /// --help`).
    #[arg(long, env = "ZKR_NO_PROVER")]
    pub no_prover: bool,
    /// Prove through a prover fleet: the node queues each batch in this Postgres database
    /// (postgres://user:password@host:port/db, which you run) for `zkr prover` workers
    /// [default: the node proves in-process, no database].
    #[arg(long, env = "ZKR_PROVER_QUEUE", hide_env_values = true)]
    pub prover_queue: Option<String>,
    /// With --prover-queue: `zkr prover` workers the devnet runs (and restarts) on this machine,
    /// one proving thread each; 0 to run your own elsewhere [default: 1].
    #[arg(long)]
    pub provers: Option<usize>,
}

/// What `devnet.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevnetFile {
    /// A reminder that nothing here is secret.
    pub warning: String,
    /// anvil's JSON-RPC URL.
    pub l1_rpc: String,
    /// The node's JSON-RPC URL.
    pub l2_rpc: String,
    /// The explorer's URL (absent with `--explorer-port 0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explorer: Option<String>,
    /// The zkr chain id.
    pub chain_id: u32,
    /// anvil's chain id.
    pub l1_chain_id: u64,
    /// The L1 block before the deployment (where the node's watcher starts).
    pub l1_start_block: u64,
    /// `rollup`, `verifier`, `poseidon4`, `poseidon6`.
    pub contracts: BTreeMap<String, Address>,
    /// Registered tokens by symbol (`ETH`, `DEV`).
    pub tokens: BTreeMap<String, TokenEntry>,
    /// The operator (deployer, batch committer, owner of fee account 0).
    pub operator: Address,
    /// anvil's other dev accounts, funded with ETH and DEV (public keys: DEVNET ONLY).
    pub accounts: Vec<DevAccount>,
}

/// A registered token in `devnet.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenEntry {
    /// L2 token id.
    pub id: u16,
    /// L1 address (zero for ETH).
    pub address: Address,
    /// Decimals.
    pub decimals: u8,
}

/// A funded dev account in `devnet.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevAccount {
    /// Its address.
    pub address: Address,
    /// Its private key (hex; anvil's public test key).
    pub private_key: String,
}

/// The zkr checkout: the flag, else the first ancestor of the current dir (then of the binary)
/// holding `contracts/foundry.toml`.
pub fn project_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(d) = flag {
        return Ok(d);
    }
    let starts = [std::env::current_dir().ok(), std::env::current_exe().ok()];
    for start in starts.into_iter().flatten() {
        for dir in start.ancestors() {
            if dir.join("contracts/foundry.toml").exists() {
                return Ok(dir.to_path_buf());
            }
        }
    }
    bail!(
        "cannot find the zkr checkout (contracts/foundry.toml): run from it or pass --project-dir"
    )
}

/// anvil from the project's npm packages (`npm ci` installs it).
pub fn anvil_bin(project: &Path, flag: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p);
    }
    let platform = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "linux-amd64",
        ("linux", "aarch64") => "linux-arm64",
        ("macos", "aarch64") => "darwin-arm64",
        ("macos", "x86_64") => "darwin-amd64",
        (os, arch) => bail!("no anvil package for {os}/{arch}: pass --anvil"),
    };
    let p = project.join(format!(
        "node_modules/@foundry-rs/anvil-{platform}/bin/anvil"
    ));
    if !p.exists() {
        bail!(
            "{} not found: run `npm ci` in {}",
            p.display(),
            project.display()
        );
    }
    Ok(p)
}

fn progress(msg: &str) {
    eprintln!("devnet: {msg}");
}

fn check_port_free(port: u16, flag: &str) -> Result<()> {
    std::net::TcpListener::bind(("127.0.0.1", port))
        .map(drop)
        .with_context(|| format!("port {port} is in use (another devnet?): pass {flag}"))
}

/// Spawns a child in its own process group (so a terminal's Ctrl-C reaches only the devnet,
/// which stops its children in order); killed if its handle is dropped.
fn spawn(cmd: &mut Command) -> std::io::Result<Child> {
    cmd.process_group(0).kill_on_drop(true);
    cmd.spawn()
}

fn signal(child: &Child, sig: Signal) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = kill(Pid::from_raw(pid), sig);
    }
}

/// Stops a process left running by an earlier devnet on this data dir that was killed outright:
/// the pid in `pid_file`, if that process's command line mentions `marker` (so an unrelated
/// process that reused the pid is never touched). SIGTERM, then SIGKILL after `grace`.
async fn stop_stale(pid_file: &Path, marker: &Path, grace: Duration) -> Result<()> {
    let Some(pid) = std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|p| p.trim().parse::<i32>().ok())
    else {
        return Ok(());
    };
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let marker = marker.to_string_lossy();
    if !String::from_utf8_lossy(&cmdline).contains(marker.as_ref()) {
        return Ok(());
    }
    progress(&format!(
        "stopping process {pid} left by an earlier devnet ({})",
        pid_file.display()
    ));
    let pid = Pid::from_raw(pid);
    let _ = kill(pid, Signal::SIGTERM);
    let started = Instant::now();
    while kill(pid, None).is_ok() {
        if started.elapsed() > grace {
            let _ = kill(pid, Signal::SIGKILL);
            tokio::time::sleep(Duration::from_millis(200)).await;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Asks a child to stop (SIGTERM), killing it after `grace`.
async fn stop_child(child: &mut Child, grace: Duration) {
    signal(child, Signal::SIGTERM);
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        let _ = child.kill().await;
    }
}

/// Waits until anvil (the child `anvil`) answers at `url`, up to 30 s.
pub async fn wait_l1(url: &str, anvil: &mut Child) -> Result<DynProvider> {
    let provider = ProviderBuilder::new().connect_http(url.parse()?).erased();
    let started = Instant::now();
    loop {
        if provider.get_chain_id().await.is_ok() {
            return Ok(provider);
        }
        if let Some(status) = anvil.try_wait()? {
            bail!("anvil exited ({status}) before answering; see its log in the data dir");
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("anvil did not answer at {url} within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn build_contracts(project: &Path) -> Result<()> {
    let out = project.join("contracts/out");
    let needed = [
        "ZkrRollup",
        "ZkrBatchVerifier",
        "ZkrDexVerifier",
        "DevToken",
    ];
    if needed
        .iter()
        .all(|n| out.join(format!("{n}.sol/{n}.json")).exists())
    {
        return Ok(());
    }
    progress("building the contracts (scripts/forge build)");
    let out = std::process::Command::new(project.join("scripts/forge"))
        .arg("build")
        .current_dir(project)
        .output()
        .context("running scripts/forge build")?;
    if !out.status.success() {
        bail!(
            "scripts/forge build failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The anvil accounts (`--config-out`): keys in anvil's order.
async fn anvil_keys(path: &Path) -> Result<Vec<String>> {
    // anvil may answer RPC before it has written its --config-out file (seen on a loaded
    // machine): wait for a whole file, up to 30 s
    let mut waited = 0;
    let v: serde_json::Value = loop {
        let parsed = std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()))
            .and_then(|t| Ok(serde_json::from_str(&t)?));
        match parsed {
            Ok(v) => break v,
            Err(e) if waited >= 300 => return Err(e),
            Err(_) => {
                waited += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let keys = v["private_keys"]
        .as_array()
        .context("anvil config-out without private_keys")?
        .iter()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect::<Vec<_>>();
    if keys.len() < 2 {
        bail!("anvil reported {} accounts; need at least 2", keys.len());
    }
    Ok(keys)
}

async fn deploy_fresh(
    project: &Path,
    l1_rpc: &str,
    l2_rpc: &str,
    keys: &[String],
) -> Result<DevnetFile> {
    let operator_key = PrivateKeySigner::from_bytes(&parse_key(&keys[0])?.into())?;
    let operator = operator_key.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(operator_key))
        .connect_http(l1_rpc.parse()?)
        .erased();
    let l1_chain_id = provider.get_chain_id().await?;
    let start_block = provider.get_block_number().await?;
    let chain = ChainConfig {
        chain_id: ChainId(DEFAULT_CHAIN_ID),
        eip712: Eip712Domain {
            l1_chain_id,
            verifying_contract: Address::ZERO,
        },
    };
    let genesis = zkr_node::sequencer::genesis_root(chain, &[operator])?;
    progress("deploying Poseidon, the verifier and the rollup");
    let contracts_dir = project.join("contracts");
    let d = deploy(
        &provider,
        operator,
        &contracts_dir,
        RollupParams {
            operator,
            chain_id: DEFAULT_CHAIN_ID,
            priority_deadline: PRIORITY_DEADLINE,
            // What serving a deposit or full exit costs the devnet node at its default prices.
            priority_fee: FeePolicy {
                batch_slots: DEFAULT_BATCH_SIZE,
                ..FeePolicy::default()
            }
            .priority_op_fee(),
            genesis_root: U256::from_be_bytes(fr_to_be_bytes(&genesis)),
        },
    )
    .await?;
    progress("deploying and registering the test token DEV");
    let token = deploy_dev_token(
        &provider,
        operator,
        &contracts_dir,
        "zkr Dev Token",
        "DEV",
        18,
    )
    .await?;
    let rollup = ZkrRollup::new(d.rollup, &provider);
    mined(rollup.registerToken(token).send().await?, "registerToken").await?;
    let dev = DevToken::new(token, &provider);
    let accounts: Vec<DevAccount> = keys[1..]
        .iter()
        .map(|k| {
            let signer = PrivateKeySigner::from_bytes(&parse_key(k)?.into())?;
            Ok(DevAccount {
                address: signer.address(),
                private_key: k.clone(),
            })
        })
        .collect::<Result<_>>()?;
    progress(&format!(
        "funding {} dev accounts with {DEV_TOKEN_MINT} DEV",
        accounts.len()
    ));
    let amount = U256::from(DEV_TOKEN_MINT) * U256::from(10u64).pow(U256::from(18u64));
    for a in &accounts {
        let sent = dev.mint(a.address, amount).send().await?;
        mined(sent, &format!("minting DEV to {}", a.address)).await?;
    }
    let mut contracts = BTreeMap::new();
    contracts.insert("rollup".to_string(), d.rollup);
    contracts.insert("verifier".to_string(), d.verifier);
    contracts.insert("dexVerifier".to_string(), d.dex_verifier);
    contracts.insert("poseidon4".to_string(), d.poseidon4);
    contracts.insert("poseidon6".to_string(), d.poseidon6);
    let mut tokens = BTreeMap::new();
    tokens.insert(
        "ETH".to_string(),
        TokenEntry {
            id: 0,
            address: Address::ZERO,
            decimals: 18,
        },
    );
    tokens.insert(
        "DEV".to_string(),
        TokenEntry {
            id: 1,
            address: token,
            decimals: 18,
        },
    );
    Ok(DevnetFile {
        warning: "DEVNET ONLY: these keys are anvil's public test keys and the proving keys come \
                  from the insecure dev setup"
            .into(),
        l1_rpc: l1_rpc.into(),
        l2_rpc: l2_rpc.into(),
        explorer: None,
        chain_id: DEFAULT_CHAIN_ID,
        l1_chain_id,
        l1_start_block: start_block,
        contracts,
        tokens,
        operator,
        accounts,
    })
}

/// What the last dev account puts into the ETH/DEV pool (a price of 2,000 DEV per ETH).
const POOL_SEED_ETH: &str = "100";
const POOL_SEED_DEV: &str = "200000";

/// Creates the ETH/DEV pool and adds its first liquidity from the last dev account (the first
/// ones are yours), through `zkr wallet` as a user would, unless the pool exists already (a
/// resumed devnet). Each step waits until its transaction is in an L2 block.
async fn seed_pool(l2_rpc: &str, key: &str) -> Result<()> {
    use jsonrpsee::core::client::ClientT;
    let l2 = jsonrpsee::http_client::HttpClientBuilder::default().build(l2_rpc)?;
    let pool: serde_json::Value = l2
        .request("zkr_getPool", jsonrpsee::rpc_params!["ETH", "DEV"])
        .await
        .context("zkr_getPool")?;
    if !pool.is_null() {
        return Ok(());
    }
    progress(&format!(
        "seeding the ETH/DEV pool with {POOL_SEED_ETH} ETH and {POOL_SEED_DEV} DEV from the last dev account"
    ));
    let deposit_eth = format!("{}", POOL_SEED_ETH.parse::<u64>()? + 1);
    let steps: [&[&str]; 4] = [
        &["deposit", "--amount", &deposit_eth, "--wait", "included"],
        &[
            "deposit",
            "--amount",
            POOL_SEED_DEV,
            "--token",
            "DEV",
            "--wait",
            "included",
        ],
        &["pool", "create", "--pair", "ETH/DEV", "--wait", "included"],
        &[
            "add-liquidity",
            "--pair",
            "ETH/DEV",
            "--amount-a",
            POOL_SEED_ETH,
            "--amount-b",
            POOL_SEED_DEV,
            "--wait",
            "included",
        ],
    ];
    for step in steps {
        super::wallet_step(l2_rpc, key, step, "seeding the ETH/DEV pool").await?;
    }
    Ok(())
}

fn write_json(path: &Path, v: &impl Serialize) -> Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(v)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Runs local prover worker `i` (`zkr prover`, one thread) until `stop`, restarting it if it
/// exits.
async fn run_worker(
    i: usize,
    queue: String,
    keys_dir: PathBuf,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            progress(&format!("prover {i}: cannot locate the zkr binary: {e}"));
            return;
        }
    };
    while !*stop.borrow() {
        let child = spawn(
            Command::new(&exe)
                .args(["prover", "--threads", "1", "--exit-with-parent", "--name"])
                .arg(format!("devnet-prover-{i}"))
                .arg("--keys-dir")
                .arg(&keys_dir)
                .env("ZKR_PROVER_QUEUE", &queue),
        );
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                progress(&format!("prover {i}: cannot start: {e}"));
                return;
            }
        };
        tokio::select! {
            status = child.wait() => {
                progress(&format!("prover {i} exited ({}); restarting it", status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string())));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            _ = stop.changed() => {
                stop_child(&mut child, Duration::from_secs(30)).await;
            }
        }
    }
}

fn spawn_node(config: &Path, dir: &Path) -> Result<Child> {
    let exe = std::env::current_exe().context("locating the zkr binary")?;
    let child = spawn(Command::new(exe).arg("node").arg("--config").arg(config))
        .context("starting the node")?;
    if let Some(pid) = child.id() {
        std::fs::write(dir.join("node.pid"), pid.to_string())?;
    }
    Ok(child)
}

/// Whether the node exited because it halted for good (`zkr node`'s exit code 3).
fn halted(status: &std::process::ExitStatus) -> bool {
    status.code() == Some(i32::from(super::node::HALTED_EXIT_CODE))
}

fn halted_message(dir: &Path) -> String {
    format!(
        "the node halted: its L2 state holds L1 requests that this L1 no longer has (see the \
         node's error above; a devnet killed outright can lose anvil's last second of blocks). \
         Restarting would halt again, so the devnet stopped; start over with `rm -rf {}` and \
         `zkr devnet` again",
        dir.display()
    )
}

/// Waits until the node answers and, unless `no_prover`, its prover has its keys.
async fn wait_ready(l2_rpc: &str, node: &mut Child, dir: &Path, no_prover: bool) -> Result<()> {
    use jsonrpsee::core::client::ClientT;
    let client = jsonrpsee::http_client::HttpClientBuilder::default().build(l2_rpc)?;
    let started = Instant::now();
    let mut said = false;
    loop {
        if let Some(status) = node.try_wait()? {
            if halted(&status) {
                bail!("{}", halted_message(dir));
            }
            bail!("the node exited ({status}) while starting");
        }
        if let Ok(s) = client
            .request::<serde_json::Value, _>("zkr_status", jsonrpsee::rpc_params![])
            .await
        {
            if no_prover || s["proverReady"] == true {
                return Ok(());
            }
            if !said {
                progress(
                    "node up; waiting for the prover's keys (a first run makes them: a minute or two)",
                );
                said = true;
            }
        }
        if started.elapsed() > Duration::from_secs(900) {
            bail!("the node was not ready within 15 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn run(args: DevnetArgs) -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(run_async(args))
}

async fn run_async(args: DevnetArgs) -> Result<()> {
    init_logging();
    let provers = match (&args.prover_queue, args.provers) {
        (None, Some(_)) => {
            bail!("--provers needs --prover-queue (the Postgres database the workers share)")
        }
        (None, None) => 0,
        (Some(_), n) => n.unwrap_or(1),
    };
    if args.no_prover && args.prover_queue.is_some() {
        bail!("--no-prover and --prover-queue contradict each other");
    }
    let started = Instant::now();
    let project = project_dir(args.project_dir.clone())?;
    let anvil = anvil_bin(&project, args.anvil.clone())?;
    let dir = std::path::absolute(&args.data_dir)?;
    std::fs::create_dir_all(dir.join("anvil"))?;
    stop_stale(
        &dir.join("node.pid"),
        &dir.join("node.toml"),
        Duration::from_secs(60),
    )
    .await?;
    stop_stale(
        &dir.join("anvil/anvil.pid"),
        &dir.join("anvil/state.json"),
        Duration::from_secs(10),
    )
    .await?;
    check_port_free(args.l1_port, "--l1-port")?;
    check_port_free(args.l2_port, "--l2-port")?;
    if args.explorer_port != 0 {
        check_port_free(args.explorer_port, "--explorer-port")?;
    }
    let l1_rpc = format!("http://127.0.0.1:{}", args.l1_port);
    let l2_rpc = format!("http://127.0.0.1:{}", args.l2_port);
    let devnet_json = dir.join("devnet.json");
    let resuming = devnet_json.exists();
    progress(&format!(
        "{} in {}; anvil on port {}",
        if resuming { "resuming" } else { "starting" },
        dir.display(),
        args.l1_port
    ));
    let log = std::fs::File::create(dir.join("anvil/anvil.log"))?;
    let mut anvil_child = spawn(
        Command::new(&anvil)
            .arg("--port")
            .arg(args.l1_port.to_string())
            .arg("--state")
            .arg(dir.join("anvil/state.json"))
            .arg("--state-interval")
            .arg("1")
            .arg("--config-out")
            .arg(dir.join("anvil/accounts.json"))
            .stdout(log.try_clone()?)
            .stderr(log),
    )
    .with_context(|| format!("starting {}", anvil.display()))?;
    if let Some(pid) = anvil_child.id() {
        std::fs::write(dir.join("anvil/anvil.pid"), pid.to_string())?;
    }
    let provider = wait_l1(&l1_rpc, &mut anvil_child).await?;
    let keys = anvil_keys(&dir.join("anvil/accounts.json")).await?;
    let mut file = if resuming {
        let file: DevnetFile = serde_json::from_str(&std::fs::read_to_string(&devnet_json)?)
            .with_context(|| format!("reading {}", devnet_json.display()))?;
        let rollup = file.contracts.get("rollup").copied().unwrap_or_default();
        if provider.get_code_at(rollup).await?.is_empty() {
            stop_child(&mut anvil_child, Duration::from_secs(5)).await;
            bail!(
                "the L1 state in {} has no rollup at {rollup}: it was lost; delete {} to start over",
                dir.join("anvil").display(),
                dir.display()
            );
        }
        file
    } else {
        build_contracts(&project)?;
        deploy_fresh(&project, &l1_rpc, &l2_rpc, &keys).await?
    };
    // The ports may differ from an earlier run: the files always describe this one.
    file.l1_rpc = l1_rpc.clone();
    file.l2_rpc = l2_rpc.clone();
    let explorer_addr: Option<std::net::SocketAddr> = match args.explorer_port {
        0 => None,
        port => Some(format!("127.0.0.1:{port}").parse()?),
    };
    file.explorer = explorer_addr.map(|a| format!("http://{a}"));
    write_json(&devnet_json, &file)?;
    let node_args = NodeArgs {
        data_dir: Some(dir.join("node")),
        http_addr: Some(format!("127.0.0.1:{}", args.l2_port).parse()?),
        l1_rpc: Some(l1_rpc.clone()),
        rollup: file.contracts.get("rollup").copied(),
        l1_start_block: Some(file.l1_start_block),
        operator_key: Some(keys[0].clone()),
        chain_id: Some(file.chain_id),
        block_time_ms: Some(args.block_time_ms),
        batch_size: Some(DEFAULT_BATCH_SIZE),
        batch_timeout_ms: Some(args.batch_timeout_ms),
        // On a devnet the operator is you: batches seal at the timeout even when their fees
        // do not pay for them (a public node waits up to a minute for more).
        batch_max_wait_ms: Some(args.batch_timeout_ms),
        confirmations: Some(0),
        l1_poll_ms: Some(250),
        keys_dir: Some(super::keys_dir(args.keys_dir.clone())),
        prover_queue: args.prover_queue.clone(),
        exit_with_parent: true,
        no_prover: args.no_prover,
        explorer: explorer_addr,
        explorer_tvl_secs: Some(2),
        ..NodeArgs::default()
    };
    super::node::write_config(&dir.join("node.toml"), &node_args)?;
    let node_toml = dir.join("node.toml");
    let mut node = spawn_node(&node_toml, &dir)?;
    let seeder = file.accounts.last().map(|a| a.private_key.clone());
    let ready = async {
        wait_ready(&file.l2_rpc, &mut node, &dir, args.no_prover).await?;
        match seeder {
            Some(key) => seed_pool(&file.l2_rpc, &key).await,
            None => Ok(()),
        }
    };
    if let Err(e) = ready.await {
        stop_child(&mut node, Duration::from_secs(30)).await;
        stop_child(&mut anvil_child, Duration::from_secs(10)).await;
        return Err(e);
    }
    eprintln!(
        "WARNING: DEVNET ONLY. The verifier's proving keys come from the insecure dev setup \
         (anyone can forge a proof) and the accounts are anvil's public test keys: never send \
         real funds to this rollup (`insecureDevVerifier()` is true on L1)."
    );
    println!(
        "zkr devnet ready in {:.1}s: L1 {} (chain {}), L2 {} (chain {}), rollup {}; {}accounts in {}",
        started.elapsed().as_secs_f64(),
        file.l1_rpc,
        file.l1_chain_id,
        file.l2_rpc,
        file.chain_id,
        file.contracts.get("rollup").copied().unwrap_or_default(),
        file.explorer
            .as_ref()
            .map(|u| format!("explorer {u}; "))
            .unwrap_or_default(),
        devnet_json.display()
    );
    let (workers_stop, workers_stopped) = tokio::sync::watch::channel(false);
    let workers: Vec<_> = (0..provers)
        .map(|i| {
            tokio::spawn(run_worker(
                i,
                args.prover_queue.clone().unwrap_or_default(),
                super::keys_dir(args.keys_dir.clone()),
                workers_stopped.clone(),
            ))
        })
        .collect();
    let signal = shutdown_signal();
    tokio::pin!(signal);
    let mut restarts: Vec<Instant> = Vec::new();
    let signal_name = loop {
        tokio::select! {
            s = &mut signal => break s?,
            status = node.wait() => {
                let status = status?;
                if halted(&status) {
                    stop_child(&mut anvil_child, Duration::from_secs(10)).await;
                    let _ = std::fs::remove_file(dir.join("node.pid"));
                    let _ = std::fs::remove_file(dir.join("anvil/anvil.pid"));
                    bail!("{}", halted_message(&dir));
                }
                restarts.retain(|t| t.elapsed() < Duration::from_secs(60));
                if restarts.len() >= MAX_RESTARTS_PER_MINUTE {
                    stop_child(&mut anvil_child, Duration::from_secs(10)).await;
                    bail!(
                        "the node exited ({status}) {} times within a minute; stopped anvil. \
                         See the node's log above",
                        restarts.len() + 1
                    );
                }
                restarts.push(Instant::now());
                progress(&format!("the node exited ({status}); restarting it"));
                tokio::time::sleep(Duration::from_secs(1)).await;
                node = spawn_node(&node_toml, &dir)?;
            }
            status = anvil_child.wait() => {
                let status = status?;
                stop_child(&mut node, Duration::from_secs(30)).await;
                bail!("anvil exited ({status}); stopped the node");
            }
        }
    };
    progress(&format!("{signal_name}: stopping the node and anvil"));
    let _ = workers_stop.send(true);
    for w in workers {
        let _ = w.await;
    }
    stop_child(&mut node, Duration::from_secs(60)).await;
    stop_child(&mut anvil_child, Duration::from_secs(10)).await;
    let _ = std::fs::remove_file(dir.join("node.pid"));
    let _ = std::fs::remove_file(dir.join("anvil/anvil.pid"));
    progress("stopped");
    Ok(())
}
