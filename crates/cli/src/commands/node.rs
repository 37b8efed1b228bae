//! `zkr node`: runs the sequencer, the prover and the L1 pipeline against a deployed rollup.
//!
//! Settings come from flags, then `ZKR_*` environment variables, then a TOML file (`--config`,
//! keys are the flag names with `_`), then defaults; see `docs/operations.md`.

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zkr_crypto::eth::Eip712Domain;
use zkr_explorer::{Explorer, ExplorerConfig, L1View};
use zkr_l1::sender::{DEFAULT_MAX_FEE_PER_GAS, SenderConfig};
use zkr_node::fees::FeePolicy;
use zkr_node::limits::TxRateLimit;
use zkr_node::{L1Config, Node, NodeConfig, ProverQueueConfig, SequencerConfig};
use zkr_state::ChainConfig;
use zkr_types::{Address, ChainId};
use zkr_wallet::WalletConfig;

/// Default L2 JSON-RPC address.
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:3050";
/// Default zkr chain id.
pub const DEFAULT_CHAIN_ID: u32 = 270;
/// Slots of the batch circuit the committed verifier (`contracts/src/ZkrBatchVerifier.sol`) was
/// generated for.
pub const DEFAULT_BATCH_SIZE: usize = 8;
/// Default `--batch-max-wait-ms`.
pub const DEFAULT_BATCH_MAX_WAIT_MS: u64 = 60_000;
/// Default `--sender-rate-limit` (transactions per second per L2 account).
pub const DEFAULT_SENDER_RATE_LIMIT: u32 = 50;
/// Default `--max-unproven-batches`.
pub const DEFAULT_MAX_UNPROVEN_BATCHES: u64 = 16;
/// L1 confirmations before an event is taken, off dev L1s.
pub const DEFAULT_CONFIRMATIONS: u64 = 12;

/// Everything `zkr node` can be told, from flags, env or the TOML file.
#[derive(Debug, Clone, Default, Args, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeArgs {
    /// TOML file with any of these settings (keys as the flags, with `_`); flags and env win.
    #[arg(long, env = "ZKR_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Directory of the node's databases (state.redb, prover.redb) [default: ./.zkr/node].
    #[arg(long, env = "ZKR_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address of the HTTP JSON-RPC server [default: 127.0.0.1:3050].
    #[arg(long, env = "ZKR_HTTP_ADDR")]
    pub http_addr: Option<SocketAddr>,
    /// L1 JSON-RPC URL; without it the node runs without L1 (no deposits, nothing committed).
    #[arg(long, env = "ZKR_L1_RPC")]
    pub l1_rpc: Option<String>,
    /// Address of the rollup contract on L1.
    #[arg(long, env = "ZKR_ROLLUP")]
    pub rollup: Option<Address>,
    /// L1 block the rollup was deployed in (where the watcher starts) [default: 0].
    #[arg(long, env = "ZKR_L1_START_BLOCK")]
    pub l1_start_block: Option<u64>,
    /// The operator's L1 private key (hex): commits, proves and executes batches, and owns the
    /// fee account (account 0).
    #[arg(long, env = "ZKR_OPERATOR_KEY", hide_env_values = true)]
    pub operator_key: Option<String>,
    /// zkr chain id (inside every L2 signature) [default: 270].
    #[arg(long, env = "ZKR_CHAIN_ID")]
    pub chain_id: Option<u32>,
    /// L2 block time in milliseconds [default: 200].
    #[arg(long, env = "ZKR_BLOCK_TIME_MS")]
    pub block_time_ms: Option<u64>,
    /// Operations per batch: the slots of the circuit, which must match the deployed verifier
    /// [default: 8].
    #[arg(long, env = "ZKR_BATCH_SIZE")]
    pub batch_size: Option<usize>,
    /// A batch is sealed at the latest this long after its first operation, in ms
    /// [default: 2000].
    #[arg(long, env = "ZKR_BATCH_TIMEOUT_MS")]
    pub batch_timeout_ms: Option<u64>,
    /// A batch whose fees do not cover its L1 and proving cost is sealed at the latest this
    /// long after its first operation, in ms: the most the operator spends on undercharged
    /// batches is one per this wait [default: 60000].
    #[arg(long, env = "ZKR_BATCH_MAX_WAIT_MS")]
    pub batch_max_wait_ms: Option<u64>,
    /// Sealed batches waiting for a proof beyond which L2 transactions are refused with
    /// error 1015 (0: no bound) [default: 16].
    #[arg(long, env = "ZKR_MAX_UNPROVEN_BATCHES")]
    pub max_unproven_batches: Option<u64>,
    /// Transactions per second one L2 account may send to zkr_sendTx, accepted or not, in
    /// bursts of up to twice as many; more get error 1016 (0: no limit) [default: 50].
    #[arg(long, env = "ZKR_SENDER_RATE_LIMIT")]
    pub sender_rate_limit: Option<u32>,
    /// Run with the insecure dev proving keys even on an L1 that is not a dev chain (anvil,
    /// chain id 31337 or 1337). Anyone can forge proofs for those keys.
    #[arg(long)]
    #[serde(default)]
    pub allow_insecure_dev_keys: bool,
    /// L1 blocks an event must be under the head before the node takes it: a deposit in a
    /// block an L1 reorg removes must never reach L2 [default: 12; 0 on a dev L1 (anvil,
    /// chain id 31337 or 1337), which mines only on demand].
    #[arg(long, env = "ZKR_CONFIRMATIONS")]
    pub confirmations: Option<u64>,
    /// Ceiling of the operator's L1 fees, in gwei: a transaction not mined in time is
    /// replaced with 25 % higher fees up to this `maxFeePerGas`, then waits there for the base
    /// fee to come down [default: 1000].
    #[arg(long, env = "ZKR_L1_MAX_FEE_GWEI")]
    pub l1_max_fee_gwei: Option<u64>,
    /// How often the L1 watcher and sender poll, in ms [default: 500].
    #[arg(long, env = "ZKR_L1_POLL_MS")]
    pub l1_poll_ms: Option<u64>,
    /// L1 gas price fees are quoted at, in wei [default: 1000000000].
    #[arg(long, env = "ZKR_FEE_GAS_PRICE")]
    pub fee_gas_price: Option<u128>,
    /// Fixed L1 gas of a batch (commit + prove + execute) shared by its slots [default: 600000].
    #[arg(long, env = "ZKR_FEE_BATCH_GAS")]
    pub fee_batch_gas: Option<u64>,
    /// Proving cost charged per slot, in wei [default: 1000000000000].
    #[arg(long, env = "ZKR_FEE_PROVING_WEI")]
    pub fee_proving_wei: Option<u128>,
    /// Proving-key cache [default: $XDG_CACHE_HOME/zkr/keys or ~/.cache/zkr/keys].
    #[arg(long, env = "ZKR_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,
    /// Prove through a prover fleet: enqueue each sealed batch's proving job in this Postgres
    /// database (postgres://user:password@host:port/db) for `zkr prover --queue` workers
    /// instead of proving in this process, and take the proofs back in order
    /// [default: prove in-process].
    #[arg(long, env = "ZKR_PROVER_QUEUE", hide_env_values = true)]
    pub prover_queue: Option<String>,
    /// With --prover-queue: failed or timed-out claims after which a job is given up and
    /// reported (`zkr_getBatch` shows `proverJob`) [default: 3].
    #[arg(long, env = "ZKR_PROVER_MAX_ATTEMPTS")]
    pub prover_max_attempts: Option<u32>,
    /// Serve the explorer (web page and JSON API, `docs/operations.md`) on this address, e.g.
    /// 127.0.0.1:3060 [default: off; `zkr devnet` turns it on].
    #[arg(long, env = "ZKR_EXPLORER")]
    pub explorer: Option<SocketAddr>,
    /// USD price of a token for the explorer's TVL, as SYMBOL=PRICE (repeatable, e.g.
    /// --explorer-price ETH=3000); tokens without one show amounts only.
    #[arg(long = "explorer-price", value_name = "SYMBOL=PRICE")]
    #[serde(default)]
    pub explorer_prices: Vec<String>,
    /// Seconds between the explorer's TVL and solvency measurements [default: 10].
    #[arg(long, env = "ZKR_EXPLORER_TVL_SECS")]
    pub explorer_tvl_secs: Option<u64>,
    /// Serve Prometheus metrics at http://<this address>/metrics, e.g. 127.0.0.1:9090
    /// [default: off]. `docs/operations.md` lists every metric.
    #[arg(long, env = "ZKR_METRICS")]
    pub metrics: Option<SocketAddr>,
    /// Do not prove batches in this process.
    #[arg(long, env = "ZKR_NO_PROVER")]
    #[serde(default)]
    pub no_prover: bool,
    /// Stop (as on SIGTERM) when the process that started this one exits (`zkr devnet` sets it,
    /// so a devnet killed outright leaves no node behind holding its database).
    #[arg(long)]
    #[serde(default)]
    pub exit_with_parent: bool,
}

macro_rules! merge {
    ($a:ident, $b:ident, $($f:ident),*) => { $( if $a.$f.is_none() { $a.$f = $b.$f.clone(); } )* };
}

impl NodeArgs {
    /// Fills what flags and env left open from the TOML file.
    pub fn with_file(mut self) -> Result<NodeArgs> {
        let Some(path) = self.config.clone() else {
            return Ok(self);
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let file: NodeArgs =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        merge!(
            self,
            file,
            data_dir,
            http_addr,
            l1_rpc,
            rollup,
            l1_start_block,
            operator_key,
            chain_id,
            block_time_ms,
            batch_size,
            batch_timeout_ms,
            batch_max_wait_ms,
            max_unproven_batches,
            sender_rate_limit,
            confirmations,
            l1_max_fee_gwei,
            l1_poll_ms,
            fee_gas_price,
            fee_batch_gas,
            fee_proving_wei,
            keys_dir,
            prover_queue,
            prover_max_attempts,
            explorer,
            explorer_tvl_secs,
            metrics
        );
        if self.explorer_prices.is_empty() {
            self.explorer_prices = file.explorer_prices;
        }
        self.no_prover |= file.no_prover;
        self.exit_with_parent |= file.exit_with_parent;
        self.allow_insecure_dev_keys |= file.allow_insecure_dev_keys;
        Ok(self)
    }
}

/// Parses a 32-byte private key in hex.
pub fn parse_key(s: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(s.trim().trim_start_matches("0x")).context("private key: not hex")?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("private key: expected 32 bytes"))
}

/// The node configuration the settings describe (asks L1 for its chain id).
pub async fn node_config(args: &NodeArgs) -> Result<NodeConfig> {
    let chain_id = ChainId(args.chain_id.unwrap_or(DEFAULT_CHAIN_ID));
    let batch_slots = args.batch_size.unwrap_or(DEFAULT_BATCH_SIZE);
    if batch_slots == 0 {
        bail!("--batch-size must be at least 1");
    }
    let defaults = FeePolicy::default();
    let fees = FeePolicy {
        l1_gas_price_wei: args.fee_gas_price.unwrap_or(defaults.l1_gas_price_wei),
        batch_gas: args.fee_batch_gas.unwrap_or(defaults.batch_gas),
        batch_slots,
        proving_wei_per_slot: args
            .fee_proving_wei
            .unwrap_or(defaults.proving_wei_per_slot),
    };
    let mut chain = ChainConfig {
        chain_id,
        eip712: Eip712Domain {
            l1_chain_id: 0,
            verifying_contract: Address::ZERO,
        },
    };
    let mut genesis = Vec::new();
    let mut priority_fee_wei = 0;
    let l1 = match &args.l1_rpc {
        None => None,
        Some(url) => {
            let rollup = args.rollup.context("--rollup is needed with --l1-rpc")?;
            let key = parse_key(
                args.operator_key
                    .as_deref()
                    .context("--operator-key (or ZKR_OPERATOR_KEY) is needed with --l1-rpc")?,
            )?;
            let operator = zkr_crypto::eth::EthPrivateKey::from_bytes(&key)
                .context("operator key")?
                .address();
            genesis.push(operator);
            let l1_chain_id = l1_chain_id(url).await?;
            let on_chain = rollup_settings(url, rollup).await?;
            refuse_dev_keys_off_devnet(
                l1_chain_id,
                !args.no_prover,
                on_chain.insecure_dev_verifier,
                args.allow_insecure_dev_keys,
            )?;
            priority_fee_wei = on_chain.priority_fee_wei;
            if priority_fee_wei < fees.priority_op_fee() {
                tracing::warn!(
                    target: "zkr::node",
                    contract = priority_fee_wei,
                    cost = fees.priority_op_fee(),
                    "the rollup's priority fee is below what serving a deposit or full exit costs at the node's prices"
                );
            }
            chain.eip712 = Eip712Domain {
                l1_chain_id,
                verifying_contract: rollup,
            };
            Some(L1Config {
                rpc_url: url.clone(),
                rollup,
                start_block: args.l1_start_block.unwrap_or(0),
                confirmations: args.confirmations.unwrap_or(
                    if DEV_L1_CHAIN_IDS.contains(&l1_chain_id) {
                        0
                    } else {
                        DEFAULT_CONFIRMATIONS
                    },
                ),
                poll: Duration::from_millis(args.l1_poll_ms.unwrap_or(500)),
                operator_key: key.into(),
                sender: SenderConfig {
                    max_fee_per_gas: match args.l1_max_fee_gwei {
                        Some(gwei) => u128::from(gwei) * 1_000_000_000,
                        None => DEFAULT_MAX_FEE_PER_GAS,
                    },
                    ..SenderConfig::default()
                },
            })
        }
    };
    let batch_timeout_ms = args.batch_timeout_ms.unwrap_or(2000);
    Ok(NodeConfig {
        data_dir: args
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(".zkr/node")),
        http_addr: args
            .http_addr
            .unwrap_or_else(|| DEFAULT_HTTP_ADDR.parse().expect("valid address")),
        block_time: Duration::from_millis(args.block_time_ms.unwrap_or(200).max(1)),
        batch_timeout: Duration::from_millis(batch_timeout_ms),
        chain,
        sequencer: SequencerConfig {
            batch_slots,
            fees,
            genesis,
            priority_fee_wei,
            max_batch_wait_ms: args
                .batch_max_wait_ms
                .unwrap_or(DEFAULT_BATCH_MAX_WAIT_MS)
                .max(batch_timeout_ms),
            max_unproven_batches: args
                .max_unproven_batches
                .unwrap_or(DEFAULT_MAX_UNPROVEN_BATCHES),
            accept_dex: true,
        },
        l1,
        keys_dir: (!args.no_prover).then(|| super::keys_dir(args.keys_dir.clone())),
        prover_queue: args.prover_queue.clone().map(|url| ProverQueueConfig {
            url,
            max_attempts: args.prover_max_attempts.unwrap_or(3),
        }),
        metrics_addr: args.metrics,
        sender_rate_limit: TxRateLimit::per_second(
            args.sender_rate_limit.unwrap_or(DEFAULT_SENDER_RATE_LIMIT),
        ),
    })
}

/// L1 chain ids of local dev chains (anvil, hardhat; geth --dev), where the public dev keys are
/// fine.
pub const DEV_L1_CHAIN_IDS: [u64; 2] = [31337, 1337];

/// The dev proving keys (the only ones `zkr node` makes) and a rollup whose verifier has them are
/// for dev chains only: anyone can forge a proof for them. Elsewhere the node refuses to start
/// unless told `--allow-insecure-dev-keys`.
pub fn refuse_dev_keys_off_devnet(
    l1_chain_id: u64,
    proving_with_dev_keys: bool,
    insecure_verifier: bool,
    allowed: bool,
) -> Result<()> {
    if DEV_L1_CHAIN_IDS.contains(&l1_chain_id) || allowed {
        return Ok(());
    }
    if insecure_verifier {
        bail!(
            "the rollup's verifier has the INSECURE dev keys (anyone can forge proofs) and L1 \
             chain {l1_chain_id} is not a dev chain; refusing to run it \
             (--allow-insecure-dev-keys overrides)"
        );
    }
    if proving_with_dev_keys {
        bail!(
            "the node proves with the INSECURE dev keys (anyone can forge proofs) and L1 chain \
             {l1_chain_id} is not a dev chain; refusing to run (--no-prover, or \
             --allow-insecure-dev-keys overrides)"
        );
    }
    Ok(())
}

/// What the node reads from the deployed rollup.
struct RollupSettings {
    priority_fee_wei: u128,
    insecure_dev_verifier: bool,
}

async fn rollup_settings(url: &str, rollup: Address) -> Result<RollupSettings> {
    use alloy::providers::ProviderBuilder;
    let provider = ProviderBuilder::new().connect_http(url.parse().context("L1 RPC URL")?);
    let r = zkr_l1::bindings::ZkrRollup::new(rollup, &provider);
    let read = |what: &'static str| format!("reading {what} of the rollup at {rollup}");
    Ok(RollupSettings {
        priority_fee_wei: r
            .priorityFee()
            .call()
            .await
            .with_context(|| read("priorityFee"))?,
        insecure_dev_verifier: r
            .insecureDevVerifier()
            .call()
            .await
            .with_context(|| read("insecureDevVerifier"))?,
    })
}

async fn l1_chain_id(url: &str) -> Result<u64> {
    use alloy::providers::{Provider, ProviderBuilder};
    let provider = ProviderBuilder::new().connect_http(url.parse().context("L1 RPC URL")?);
    provider
        .get_chain_id()
        .await
        .with_context(|| format!("cannot reach L1 at {url}"))
}

/// Starts logging to stderr (`RUST_LOG` filters, default `info`).
///
/// The `gr1cs` target is always off: arkworks opens a span per constraint namespace and never
/// closes it, so a subscriber that records them grows by gigabytes while a batch is synthesized.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
        .add_directive("gr1cs=off".parse().expect("a valid directive"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Waits for SIGINT or SIGTERM.
pub async fn shutdown_signal() -> Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

/// Exit code of a node that halted because restarting it on the same data dir cannot help
/// (L1 no longer has what L2 took): `zkr devnet` does not restart it.
pub const HALTED_EXIT_CODE: u8 = 3;

/// The node halted for good ([`HALTED_EXIT_CODE`]).
#[derive(Debug)]
pub struct Halted(pub String);

impl std::fmt::Display for Halted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Halted {}

/// Resolves when this process's parent is gone (it was re-parented).
pub async fn parent_exit() {
    let parent = std::os::unix::process::parent_id();
    while std::os::unix::process::parent_id() == parent {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// Writes `args` as a TOML file `zkr node --config` reads.
pub fn write_config(path: &Path, args: &NodeArgs) -> Result<()> {
    let text = toml::to_string(args).context("encoding the node config")?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The explorer's settings from the node's.
fn explorer_config(
    args: &NodeArgs,
    addr: SocketAddr,
    l1: &Option<L1View>,
    rpc: SocketAddr,
) -> Result<ExplorerConfig> {
    let mut prices = std::collections::BTreeMap::new();
    for p in &args.explorer_prices {
        let (symbol, price) = p
            .split_once('=')
            .with_context(|| format!("--explorer-price {p}: expected SYMBOL=PRICE"))?;
        let price: f64 = price
            .trim()
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite() && *x >= 0.0)
            .with_context(|| format!("--explorer-price {p}: the price is not a number >= 0"))?;
        prices.insert(symbol.trim().to_string(), price);
    }
    let secs = args.explorer_tvl_secs.unwrap_or(10);
    if secs == 0 {
        bail!("--explorer-tvl-secs must be at least 1");
    }
    Ok(ExplorerConfig {
        addr,
        l1: l1.clone(),
        tvl_every: Duration::from_secs(secs),
        prices,
        wallet: Some(WalletConfig {
            l2_rpc: format!("http://{}", reachable(rpc)),
        }),
    })
}

/// How this process reaches a server bound to `addr` (an unspecified address is this host).
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, addr.port()))
        }
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    }
}

pub fn run(args: NodeArgs) -> Result<()> {
    init_logging();
    let args = args.with_file()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let config = node_config(&args).await?;
        let data_dir = config.data_dir.clone();
        let node_l1 = config.l1.as_ref().map(|l| L1View {
            rpc_url: l.rpc_url.clone(),
            rollup: l.rollup,
        });
        let node = Node::start(config)
            .await
            .with_context(|| format!("starting the node in {}", data_dir.display()))?;
        tracing::info!(target: "zkr::node", rpc = %node.http_addr, data_dir = %data_dir.display(), "node running");
        if let Some(addr) = node.metrics_addr {
            tracing::info!(target: "zkr::node", url = %format!("http://{addr}/metrics"), "metrics served");
        }
        let explorer = match args.explorer {
            None => None,
            Some(addr) => {
                let config = explorer_config(&args, addr, &node_l1, node.http_addr)?;
                let e = Explorer::start(node.sequencer.clone(), config)
                    .await
                    .context("starting the explorer")?;
                tracing::info!(target: "zkr::node", url = %format!("http://{}", e.addr()), "explorer running");
                Some(e)
            }
        };
        let parent = async {
            if args.exit_with_parent {
                parent_exit().await
            } else {
                std::future::pending().await
            }
        };
        let (signal, failure) = tokio::select! {
            s = shutdown_signal() => (s?, None),
            _ = parent => ("parent exited", None),
            why = node.failed() => ("a stage failed", Some(why)),
        };
        tracing::info!(target: "zkr::node", signal, "stopping");
        if let Some(e) = explorer {
            e.stop().await;
        }
        node.stop().await;
        tracing::info!(target: "zkr::node", "stopped");
        match failure {
            Some(f) if !f.restartable => Err(Halted(f.why).into()),
            Some(f) => bail!("{}", f.why),
            None => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_keys_run_only_on_dev_chains_unless_allowed() {
        // anvil / hardhat: fine either way
        for id in DEV_L1_CHAIN_IDS {
            refuse_dev_keys_off_devnet(id, true, true, false).unwrap();
        }
        // mainnet or sepolia: a dev verifier, or proving with dev keys, is refused
        for id in [1, 11_155_111] {
            let e = refuse_dev_keys_off_devnet(id, false, true, false).unwrap_err();
            assert!(e.to_string().contains("INSECURE dev keys"), "{e}");
            let e = refuse_dev_keys_off_devnet(id, true, false, false).unwrap_err();
            assert!(e.to_string().contains("--no-prover"), "{e}");
            refuse_dev_keys_off_devnet(id, false, false, false).unwrap();
            refuse_dev_keys_off_devnet(id, true, true, true).unwrap();
        }
    }

    #[test]
    fn flags_win_over_the_file_which_fills_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(
            &path,
            "batch_timeout_ms = 5\nblock_time_ms = 50\nrollup = \"0x00000000000000000000000000000000000000aa\"\nno_prover = true\n",
        )
        .unwrap();
        let args = NodeArgs {
            config: Some(path.clone()),
            batch_timeout_ms: Some(7),
            ..NodeArgs::default()
        }
        .with_file()
        .unwrap();
        assert_eq!(args.batch_timeout_ms, Some(7));
        assert_eq!(args.block_time_ms, Some(50));
        assert_eq!(args.rollup, Some(Address::with_last_byte(0xaa)));
        assert!(args.no_prover);
        assert_eq!(args.data_dir, None);

        std::fs::write(&path, "batch_timout_ms = 5\n").unwrap();
        let err = NodeArgs {
            config: Some(path),
            ..NodeArgs::default()
        }
        .with_file()
        .unwrap_err();
        assert!(format!("{err:#}").contains("batch_timout_ms"), "{err:#}");
    }

    #[test]
    fn written_config_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        let args = NodeArgs {
            data_dir: Some(dir.path().join("node")),
            http_addr: Some("127.0.0.1:4000".parse().unwrap()),
            batch_size: Some(8),
            operator_key: Some("0x01".into()),
            ..NodeArgs::default()
        };
        write_config(&path, &args).unwrap();
        let back = NodeArgs {
            config: Some(path),
            ..NodeArgs::default()
        }
        .with_file()
        .unwrap();
        assert_eq!(back.data_dir, args.data_dir);
        assert_eq!(back.http_addr, args.http_addr);
        assert_eq!(back.batch_size, Some(8));
        assert_eq!(back.operator_key.as_deref(), Some("0x01"));
    }
}
