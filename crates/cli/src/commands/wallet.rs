//! `zkr wallet`: deposits from L1, transfers and withdrawals on L2, full exits, claims of
//! withdrawn funds, balances and transaction status. The L2 key is derived from the Ethereum
//! key and registered (ChangePubKey) on first use. Progress goes to stderr; the result (a
//! transaction hash, balances) to stdout.

mod dex;
mod exodus;

use super::mined;
use super::node::parse_key;
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use serde::Deserialize;
use serde_json::Value;
use std::time::{Duration, Instant};
use zkr_crypto::eddsa::PrivateKey;
use zkr_crypto::eth::{Eip712Domain, EthPrivateKey, derive_l2_key};
use zkr_crypto::field::fr_to_decimal;
use zkr_l1::bindings::{DevToken, ZkrRollup};
use zkr_types::float::{is_amount_packable, round_down_amount};
use zkr_types::tx::{ChangePubKey, L2Tx, Transfer, Withdraw, pubkey_hash};
use zkr_types::{AccountId, Amount, ChainId, Nonce, TokenId};

#[derive(Debug, Args)]
pub struct WalletArgs {
    /// The zkr node's JSON-RPC URL.
    #[arg(long, env = "ZKR_L2_RPC", default_value = "http://127.0.0.1:3050")]
    pub l2_rpc: String,
    /// Your Ethereum private key (hex). The L2 key is derived from it.
    #[arg(long, env = "ZKR_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: String,
    /// L1 JSON-RPC URL [default: the one the node reports in zkr_getContracts].
    #[arg(long, env = "ZKR_L1_RPC")]
    pub l1_rpc: Option<String>,
    /// The rollup contract [default: the node's, from zkr_getContracts]. With --l1-rpc the
    /// L1 commands (deposit, claim, exodus, exit, refund-deposit) need no node at all.
    #[arg(long, env = "ZKR_ROLLUP")]
    pub rollup: Option<Address>,
    #[command(subcommand)]
    pub command: WalletCommand,
}

/// A status to wait for, in the order a transaction goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum WaitFor {
    /// Accepted by the node.
    Pending,
    /// In a sealed L2 block.
    Included,
    /// Its batch is committed on L1.
    Committed,
    /// Its batch is proven on L1.
    Proven,
    /// Its batch is executed on L1 (final; withdrawals are claimable).
    Executed,
}

#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Deposits from L1 (sends the L1 transaction; approves the token first if needed).
    Deposit {
        /// Amount in whole units (e.g. 1.5).
        #[arg(long)]
        amount: String,
        /// ETH, a token symbol, id or L1 address.
        #[arg(long, default_value = "ETH")]
        token: String,
        /// L2 owner of the deposit [default: you].
        #[arg(long)]
        to: Option<Address>,
        /// Wait until the deposit reaches this status (`included`: credited on L2).
        #[arg(long, value_enum)]
        wait: Option<WaitFor>,
    },
    /// Transfers on L2 (to any address; a new account is created for it).
    Transfer {
        /// The receiver's L1 address (its L2 account is created if it has none).
        #[arg(long)]
        to: Address,
        /// Amount in whole units.
        #[arg(long)]
        amount: String,
        /// ETH, a token symbol (DEV on the devnet), id or L1 address.
        #[arg(long, default_value = "ETH")]
        token: String,
        /// Wait until the transaction reaches this status.
        #[arg(long, value_enum)]
        wait: Option<WaitFor>,
    },
    /// Withdraws from L2 to an L1 address (claimable there once the batch is executed).
    Withdraw {
        /// L1 receiver [default: you].
        #[arg(long)]
        to: Option<Address>,
        /// Amount in whole units.
        #[arg(long)]
        amount: String,
        /// ETH, a token symbol (DEV on the devnet), id or L1 address.
        #[arg(long, default_value = "ETH")]
        token: String,
        /// Wait until the transaction reaches this status.
        #[arg(long, value_enum)]
        wait: Option<WaitFor>,
    },
    /// Requests on L1 the exit of your whole balance of a token (works even if the operator
    /// ignores your L2 transactions).
    FullExit {
        /// ETH, a token symbol (DEV on the devnet), id or L1 address.
        #[arg(long, default_value = "ETH")]
        token: String,
        /// Your L2 account id [default: asked from the node]. With --rollup and --l1-rpc, a
        /// user the node does not answer requests the exit from L1 alone.
        #[arg(long)]
        account_id: Option<u32>,
        /// Wait until the exit reaches this status (`executed`: claimable on L1).
        #[arg(long, value_enum)]
        wait: Option<WaitFor>,
    },
    /// Claims on L1 what withdrawals and full exits credited to an address (anyone may send
    /// the claim; the funds always go to the owner).
    Claim {
        /// ETH, a token symbol (DEV on the devnet), id or L1 address.
        #[arg(long, default_value = "ETH")]
        token: String,
        /// Whose credit to pay out [default: you].
        #[arg(long)]
        owner: Option<Address>,
        /// Pay your own credit to this address instead (for an owner that cannot receive,
        /// or a holder the token blocks).
        #[arg(long, conflicts_with = "owner")]
        to: Option<Address>,
    },
    /// Your balances on L2 and L1, what is claimable, and your LP shares.
    Balance,
    /// Swaps an exact amount of one token for another through their pool.
    Swap {
        /// Token sold (symbol, id or L1 address).
        #[arg(long)]
        sell: String,
        /// Token bought.
        #[arg(long)]
        buy: String,
        /// Amount sold, in whole units.
        #[arg(long)]
        amount: String,
        /// Smallest acceptable amount bought, in whole units [default: the quote less
        /// --slippage].
        #[arg(long)]
        min_out: Option<String>,
        #[command(flatten)]
        slippage: dex::Slippage,
        /// Wait until the transaction reaches this status.
        #[arg(long, value_enum)]
        wait: Option<WaitFor>,
    },
    /// Pools: `zkr wallet pool create --pair ETH/DEV`.
    Pool {
        #[command(subcommand)]
        command: dex::PoolCommand,
    },
    /// Adds liquidity to a pool (pro rata; the first liquidity sets the price).
    AddLiquidity {
        /// The pair, e.g. ETH/DEV.
        #[arg(long)]
        pair: String,
        /// At most this much of the first token of --pair, in whole units.
        #[arg(long)]
        amount_a: String,
        /// At most this much of the second token of --pair, in whole units.
        #[arg(long)]
        amount_b: String,
        #[command(flatten)]
        slippage: dex::Slippage,
        /// Wait until the transaction reaches this status.
        #[arg(long, value_enum)]
        wait: Option<WaitFor>,
    },
    /// Removes liquidity: burns LP shares for their part of both reserves.
    RemoveLiquidity {
        /// The pair, e.g. ETH/DEV.
        #[arg(long)]
        pair: String,
        /// Shares to burn, in whole units (18 decimals).
        #[arg(long, conflicts_with = "percent")]
        shares: Option<String>,
        /// Percent of your shares to burn.
        #[arg(long)]
        percent: Option<f64>,
        #[command(flatten)]
        slippage: dex::Slippage,
        /// Wait until the transaction reaches this status.
        #[arg(long, value_enum)]
        wait: Option<WaitFor>,
    },
    /// The pools: pair, reserves, LP shares, fee.
    Pools,
    /// Exodus mode: `zkr wallet exodus activate` once the operator left a priority operation
    /// past its deadline.
    Exodus {
        #[command(subcommand)]
        command: exodus::ExodusCommand,
    },
    /// In exodus mode: proves your balances against L1's last executed root and credits them
    /// to your pending balance on L1 (then `zkr wallet claim`). Uses only L1: the state is
    /// rebuilt from it (`zkr rebuild`), or read from --data-dir.
    Exit {
        /// Only this token (ETH, a symbol, an id, an L1 address; LP shares by their token id,
        /// 128 + pool) [default: every balance you hold].
        #[arg(long)]
        token: Option<String>,
        /// The account to exit [default: your first]. An address can own several accounts
        /// (anyone can open an empty one for it): exit each.
        #[arg(long)]
        account_id: Option<u32>,
        /// A data dir holding the state at L1's last executed root (a `zkr rebuild` one, or a
        /// stopped node's) [default: rebuild from L1 into ./.zkr/exodus/<rollup>].
        #[arg(long)]
        data_dir: Option<std::path::PathBuf>,
        /// L1 block to scan the rollup's events from when rebuilding (its deployment block).
        #[arg(long, default_value_t = 0)]
        from_block: u64,
    },
    /// In exodus mode: returns your deposits that no executed batch processed (and the
    /// priority fees you paid for them) to your pending balance on L1 (then `zkr wallet claim`).
    RefundDeposit {
        /// Only this priority queue index (anyone's deposit: it goes back to its owner)
        /// [default: every unprocessed deposit to or paid by you].
        #[arg(long)]
        index: Option<u64>,
    },
    /// A transaction's status.
    Tx {
        /// The transaction hash.
        hash: B256,
    },
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Token {
    pub(crate) id: u16,
    address: Address,
    pub(crate) symbol: String,
    pub(crate) decimals: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Contracts {
    pub(crate) rollup: Address,
    l1_rpc: String,
    pub(crate) l1_chain_id: u64,
    pub(crate) chain_id: u32,
}

/// The registered tokens, read from the rollup on L1 (symbols and decimals from each token).
async fn l1_tokens(url: &str, rollup: Address) -> Result<Vec<Token>> {
    let l1 = super::rebuild::provider(url)?;
    let r = ZkrRollup::new(rollup, &l1);
    let n = r.totalTokens().call().await?.to::<u16>();
    let mut out = vec![Token {
        id: 0,
        address: Address::ZERO,
        symbol: "ETH".into(),
        decimals: 18,
    }];
    for id in 1..n {
        let address = r.tokens(U256::from(id)).call().await?;
        let erc20 = DevToken::new(address, &l1);
        out.push(Token {
            id,
            address,
            symbol: erc20
                .symbol()
                .call()
                .await
                .unwrap_or_else(|_| format!("TOKEN{id}")),
            decimals: erc20.decimals().call().await.unwrap_or(18),
        });
    }
    Ok(out)
}

/// Parses a decimal amount in whole units into base units.
/// A JSON-RPC call's failure in words: the node's message and code, or the client's error.
pub(crate) fn rpc_error(method: &str, e: jsonrpsee::core::client::Error) -> anyhow::Error {
    match e {
        jsonrpsee::core::client::Error::Call(obj) => {
            anyhow::anyhow!("{method}: {} (code {})", obj.message(), obj.code())
        }
        other => anyhow::anyhow!("{method}: {other}"),
    }
}

pub fn parse_units(s: &str, decimals: u8) -> Result<u128> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        bail!("amount {s:?} is not a decimal number");
    }
    if frac.len() > decimals as usize {
        bail!("amount {s:?} has more than {decimals} decimals");
    }
    let scale = 10u128
        .checked_pow(u32::from(decimals))
        .context("too many decimals")?;
    let int: u128 = if int.is_empty() { 0 } else { int.parse()? };
    let frac_v: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse::<u128>()? * 10u128.pow(u32::from(decimals) - frac.len() as u32)
    };
    int.checked_mul(scale)
        .and_then(|v| v.checked_add(frac_v))
        .with_context(|| format!("amount {s:?} is too large"))
}

/// Formats base units as whole units (trailing zeros trimmed).
pub fn format_units(v: u128, decimals: u8) -> String {
    let scale = 10u128.pow(u32::from(decimals));
    let (int, frac) = (v / scale, v % scale);
    if frac == 0 {
        return int.to_string();
    }
    let f = format!("{frac:0width$}", width = decimals as usize);
    format!("{int}.{}", f.trim_end_matches('0'))
}

pub(crate) struct Wallet {
    l2: HttpClient,
    /// `--rollup`: with `--l1-rpc`, L1 is read without the node.
    rollup_flag: Option<Address>,
    eth: EthPrivateKey,
    /// The raw Ethereum key, for the L1 signer. Never printed.
    eth_bytes: [u8; 32],
    l1_rpc_flag: Option<String>,
}

impl Wallet {
    /// A wallet of Ethereum key `key` (hex) talking to the node at `l2_rpc` only.
    pub(crate) fn connect(l2_rpc: &str, key: &str) -> Result<Wallet> {
        let eth_bytes = parse_key(key)?;
        Ok(Wallet {
            rollup_flag: None,
            l2: HttpClientBuilder::default()
                .request_timeout(Duration::from_secs(30))
                .build(l2_rpc)
                .with_context(|| format!("L2 RPC URL {l2_rpc}"))?,
            eth: EthPrivateKey::from_bytes(&eth_bytes).context("private key")?,
            eth_bytes,
            l1_rpc_flag: None,
        })
    }

    pub(crate) fn address(&self) -> Address {
        self.eth.address()
    }

    pub(crate) async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        params: jsonrpsee::core::params::ArrayParams,
    ) -> Result<T> {
        self.l2.request(method, params).await.map_err(|e| match e {
            jsonrpsee::core::client::Error::Transport(e) => anyhow::anyhow!(
                "{method}: the node does not answer ({e}). With --rollup and --l1-rpc, `deposit`, \
                 `full-exit --account-id`, `claim`, `exodus`, `exit` and `refund-deposit` need \
                 no node"
            ),
            other => rpc_error(method, other),
        })
    }

    pub(crate) async fn contracts(&self) -> Result<Contracts> {
        if let (Some(rollup), Some(url)) = (self.rollup_flag, &self.l1_rpc_flag) {
            let l1 = super::rebuild::provider(url)?;
            let l1_chain_id = l1
                .get_chain_id()
                .await
                .with_context(|| format!("cannot reach L1 at {url}"))?;
            let chain_id = ZkrRollup::new(rollup, &l1)
                .chainId()
                .call()
                .await
                .with_context(|| format!("no zkr rollup at {rollup} on {url}"))?;
            return Ok(Contracts {
                rollup,
                l1_rpc: url.clone(),
                l1_chain_id,
                chain_id,
            });
        }
        let v: Value = self.call("zkr_getContracts", rpc_params![]).await?;
        if v.is_null() {
            bail!("the node follows no L1 (zkr_getContracts is null)");
        }
        Ok(serde_json::from_value(v)?)
    }

    pub(crate) async fn token(&self, s: &str) -> Result<Token> {
        let tokens: Vec<Token> = match (self.rollup_flag, &self.l1_rpc_flag) {
            (Some(rollup), Some(url)) => l1_tokens(url, rollup).await?,
            _ => self.call("zkr_getTokens", rpc_params![]).await?,
        };
        tokens
            .into_iter()
            .find(|t| {
                t.symbol.eq_ignore_ascii_case(s)
                    || s.parse::<Address>().ok() == Some(t.address)
                    || s.parse::<u16>().ok() == Some(t.id)
            })
            .with_context(|| format!("unknown token {s:?} (see `zkr wallet balance`)"))
    }

    /// A token, or an LP token by its id (128 + pool; shares have 18 decimals).
    async fn token_or_lp(&self, s: &str) -> Result<Token> {
        match s.parse::<u16>() {
            Ok(id) if zkr_types::dex::PoolId::of_lp_token(TokenId(id)).is_some() => Ok(Token {
                id,
                address: Address::ZERO,
                symbol: format!("LP{id}"),
                decimals: dex::LP_DECIMALS,
            }),
            _ => self.token(s).await,
        }
    }

    pub(crate) async fn account(&self) -> Result<Option<Value>> {
        let v: Value = self
            .call("zkr_getAccount", rpc_params![self.address()])
            .await?;
        Ok((!v.is_null()).then_some(v))
    }

    async fn l1(&self, c: &Contracts) -> Result<DynProvider> {
        let url = self.l1_rpc_flag.clone().unwrap_or_else(|| c.l1_rpc.clone());
        let signer = PrivateKeySigner::from_slice(&self.eth_bytes)?;
        Ok(ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(url.parse().context("L1 RPC URL")?)
            .erased())
    }

    /// The node's fee quote for a transaction of `kind` paying in `token` (base units).
    pub(crate) async fn fee(&self, kind: &str, token: u16) -> Result<u128> {
        let quote: Value = self
            .call("zkr_getFeeQuote", rpc_params![kind, token])
            .await?;
        Ok(quote["fee"]
            .as_str()
            .context("fee quote without fee")?
            .parse()?)
    }

    /// The account id and next nonce, registering the L2 key first if needed (fee in `token`).
    pub(crate) async fn ready_account(
        &self,
        c: &Contracts,
        token: &Token,
    ) -> Result<(AccountId, Nonce, PrivateKey)> {
        let chain = ChainId(c.chain_id);
        let l2 = derive_l2_key(&self.eth, chain.0)?;
        let Some(account) = self.account().await? else {
            bail!("{} has no L2 account yet: deposit first", self.address());
        };
        let id = AccountId(account["id"].as_u64().context("account id")? as u32);
        let mut nonce = Nonce(account["nonce"].as_u64().context("account nonce")? as u32);
        let pkh = fr_to_decimal(&pubkey_hash(&l2.public()));
        if account["pubKeyHash"].as_str() != Some(pkh.as_str()) {
            let fee = self.fee("ChangePubKey", token.id).await?;
            let domain = Eip712Domain {
                l1_chain_id: c.l1_chain_id,
                verifying_contract: c.rollup,
            };
            let cpk = ChangePubKey::signed(
                &l2,
                &self.eth,
                &domain,
                chain,
                id,
                TokenId(token.id),
                Amount(fee),
                nonce,
            )?;
            let hash: String = self
                .call("zkr_sendTx", rpc_params![L2Tx::ChangePubKey(cpk)])
                .await?;
            eprintln!(
                "registered the L2 key of account {} (fee {} {}, tx {hash})",
                id.0,
                format_units(fee, token.decimals),
                token.symbol
            );
            nonce = Nonce(nonce.0 + 1);
        }
        Ok((id, nonce, l2))
    }

    /// Waits until transaction `hash` (an L2 transaction, or the L1 transaction of a deposit
    /// or full exit) reaches `want`, printing each status it passes.
    pub(crate) async fn wait_tx(&self, hash: &str, want: WaitFor) -> Result<()> {
        let started = Instant::now();
        let mut last = String::new();
        loop {
            let r: Value = self.call("zkr_getTx", rpc_params![hash]).await?;
            if r.is_null() {
                if last.is_empty() {
                    eprintln!(
                        "[{:>5.1}s] {hash}: not seen by the node yet",
                        started.elapsed().as_secs_f64()
                    );
                    last = "unseen".into();
                }
                if started.elapsed() > Duration::from_secs(600) {
                    bail!("the node has not taken {hash} after 10 minutes");
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
            let status = r["status"].as_str().unwrap_or("unknown").to_string();
            if status != last {
                eprintln!(
                    "[{:>5.1}s] {hash}: {status}{}{}",
                    started.elapsed().as_secs_f64(),
                    r["block"]
                        .as_u64()
                        .map(|b| format!(" (block {b}"))
                        .unwrap_or_default(),
                    r["batch"]
                        .as_u64()
                        .map(|b| format!(", batch {b})"))
                        .unwrap_or_else(|| {
                            if r["block"].is_u64() {
                                ")".into()
                            } else {
                                String::new()
                            }
                        }),
                );
                last = status.clone();
            }
            if status == "rejected" {
                bail!(
                    "rejected: {}",
                    r["error"].as_str().unwrap_or("no reason given")
                );
            }
            let reached = match status.as_str() {
                "pending" => WaitFor::Pending,
                "included" => WaitFor::Included,
                "committed" => WaitFor::Committed,
                "proven" => WaitFor::Proven,
                "executed" => WaitFor::Executed,
                other => bail!("unexpected status {other:?}"),
            };
            if reached >= want {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn amount(&self, s: &str, token: &Token) -> Result<u128> {
        let v = parse_units(s, token.decimals)?;
        if v == 0 {
            bail!("the amount must be positive");
        }
        if !is_amount_packable(v) {
            bail!(
                "{s} {} is not representable on L2 (35-bit mantissa); nearest below: {}",
                token.symbol,
                format_units(round_down_amount(v), token.decimals)
            );
        }
        Ok(v)
    }

    async fn transfer(
        &self,
        to: Address,
        amount: &str,
        token: &str,
        withdraw: bool,
    ) -> Result<String> {
        let c = self.contracts().await?;
        let token = self.token(token).await?;
        let amount = self.amount(amount, &token).await?;
        let (id, nonce, l2) = self.ready_account(&c, &token).await?;
        let kind = if withdraw { "Withdraw" } else { "Transfer" };
        let fee = self.fee(kind, token.id).await?;
        let chain = ChainId(c.chain_id);
        let (token_id, l2_amount, l2_fee) = (TokenId(token.id), Amount(amount), Amount(fee));
        let tx = if withdraw {
            L2Tx::Withdraw(Withdraw::signed(
                &l2, chain, id, to, token_id, l2_amount, l2_fee, nonce,
            )?)
        } else {
            L2Tx::Transfer(Transfer::signed(
                &l2, chain, id, to, token_id, l2_amount, l2_fee, nonce,
            )?)
        };
        let hash: String = self.call("zkr_sendTx", rpc_params![tx]).await?;
        eprintln!(
            "{} {} {} to {to} (fee {} {}): {hash}",
            if withdraw {
                "withdrawing"
            } else {
                "transferring"
            },
            format_units(amount, token.decimals),
            token.symbol,
            format_units(fee, token.decimals),
            token.symbol
        );
        Ok(hash)
    }
}

pub fn run(args: WalletArgs) -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(run_async(args))
}

async fn run_async(args: WalletArgs) -> Result<()> {
    let mut w = Wallet::connect(&args.l2_rpc, &args.private_key)?;
    w.rollup_flag = args.rollup;
    w.l1_rpc_flag = args.l1_rpc.clone();
    match args.command {
        WalletCommand::Deposit {
            amount,
            token,
            to,
            wait,
        } => {
            let c = w.contracts().await?;
            let token = w.token(&token).await?;
            let amount = parse_units(&amount, token.decimals)?;
            let to = to.unwrap_or(w.address());
            let l1 = w.l1(&c).await?;
            let rollup = ZkrRollup::new(c.rollup, &l1);
            // Every deposit pays the rollup's priority fee on top, in ETH.
            let fee = U256::from(rollup.priorityFee().call().await?);
            let receipt = if token.id == 0 {
                let sent = rollup
                    .depositETH(to)
                    .value(U256::from(amount) + fee)
                    .send()
                    .await?;
                mined(sent, "the deposit").await?
            } else {
                let erc20 = DevToken::new(token.address, &l1);
                let allowance = erc20.allowance(w.address(), c.rollup).call().await?;
                if allowance < U256::from(amount) {
                    eprintln!("approving {} for the rollup", token.symbol);
                    let sent = erc20.approve(c.rollup, U256::from(amount)).send().await?;
                    mined(sent, "approve").await?;
                }
                let sent = rollup
                    .depositERC20(token.address, amount, to)
                    .value(fee)
                    .send()
                    .await?;
                mined(sent, "the deposit").await?
            };
            eprintln!(
                "deposited {} {} to {to} on L1 (priority fee {} ETH): {}",
                format_units(amount, token.decimals),
                token.symbol,
                format_units(fee.to::<u128>(), 18),
                receipt.transaction_hash
            );
            println!("{}", receipt.transaction_hash);
            if let Some(want) = wait {
                w.wait_tx(&receipt.transaction_hash.to_string(), want)
                    .await?;
            }
        }
        WalletCommand::Transfer {
            to,
            amount,
            token,
            wait,
        } => {
            let hash = w.transfer(to, &amount, &token, false).await?;
            println!("{hash}");
            if let Some(want) = wait {
                w.wait_tx(&hash, want).await?;
            }
        }
        WalletCommand::Withdraw {
            to,
            amount,
            token,
            wait,
        } => {
            let to = to.unwrap_or(w.address());
            let hash = w.transfer(to, &amount, &token, true).await?;
            println!("{hash}");
            if let Some(want) = wait {
                w.wait_tx(&hash, want).await?;
                if want == WaitFor::Executed {
                    eprintln!("claimable on L1: `zkr wallet claim --token <token>`");
                }
            }
        }
        WalletCommand::FullExit {
            token,
            account_id,
            wait,
        } => {
            let c = w.contracts().await?;
            let token = w.token(&token).await?;
            let id = match account_id {
                Some(id) => id,
                None => {
                    let Some(account) = w.account().await? else {
                        bail!("{} has no L2 account", w.address());
                    };
                    account["id"].as_u64().context("account id")? as u32
                }
            };
            let l1 = w.l1(&c).await?;
            let rollup = ZkrRollup::new(c.rollup, &l1);
            let fee = rollup.priorityFee().call().await?;
            let sent = rollup
                .requestFullExit(id, token.address)
                .value(U256::from(fee))
                .send()
                .await?;
            let r = mined(sent, "requestFullExit").await?;
            eprintln!(
                "full exit of {} from account {id} requested on L1: {}",
                token.symbol, r.transaction_hash
            );
            println!("{}", r.transaction_hash);
            if let Some(want) = wait {
                w.wait_tx(&r.transaction_hash.to_string(), want).await?;
                if want == WaitFor::Executed {
                    eprintln!(
                        "claimable on L1: `zkr wallet claim --token {}`",
                        token.symbol
                    );
                }
            }
        }
        WalletCommand::Claim { token, owner, to } => {
            let c = w.contracts().await?;
            let token = w.token(&token).await?;
            let owner = owner.unwrap_or(w.address());
            let l1 = w.l1(&c).await?;
            let rollup = ZkrRollup::new(c.rollup, &l1);
            let amount = rollup
                .getPendingBalance(owner, token.address)
                .call()
                .await?;
            if amount == 0 {
                bail!("{owner} has nothing to claim in {}", token.symbol);
            }
            let recipient = to.unwrap_or(owner);
            let sent = match to {
                Some(to) => {
                    rollup
                        .withdrawPendingBalanceTo(token.address, amount, to)
                        .send()
                        .await?
                }
                None => {
                    rollup
                        .withdrawPendingBalance(owner, token.address, amount)
                        .send()
                        .await?
                }
            };
            let r = mined(sent, "the withdrawal").await?;
            eprintln!(
                "claimed {} {} of {owner} to {recipient}: {}",
                format_units(amount, token.decimals),
                token.symbol,
                r.transaction_hash
            );
            println!("{}", r.transaction_hash);
        }
        WalletCommand::Balance => {
            let tokens: Vec<Token> = w.call("zkr_getTokens", rpc_params![]).await?;
            let account = w.account().await?;
            match &account {
                Some(a) => {
                    let key = if a["pubKeyHash"] == "0" {
                        "no L2 key yet"
                    } else {
                        "L2 key registered"
                    };
                    println!(
                        "L2 account {} of {} (nonce {}, {key})",
                        a["id"],
                        w.address(),
                        a["nonce"]
                    );
                }
                None => println!("no L2 account for {}", w.address()),
            }
            let c = w.contracts().await.ok();
            let l1 = match &c {
                Some(c) => Some(w.l1(c).await?),
                None => None,
            };
            println!(
                "{:<8} {:>24} {:>24} {:>24}",
                "token", "L2", "L1", "claimable on L1"
            );
            for t in &tokens {
                let l2 = account
                    .as_ref()
                    .and_then(|a| a["balances"][t.id.to_string()].as_str())
                    .unwrap_or("0")
                    .parse::<u128>()?;
                let (l1_balance, pending) = match (&c, &l1) {
                    (Some(c), Some(p)) => {
                        let bal = if t.id == 0 {
                            p.get_balance(w.address()).await?
                        } else {
                            DevToken::new(t.address, p)
                                .balanceOf(w.address())
                                .call()
                                .await?
                        };
                        let pending = ZkrRollup::new(c.rollup, p)
                            .getPendingBalance(w.address(), t.address)
                            .call()
                            .await?;
                        (
                            format_units(u128::try_from(bal).unwrap_or(u128::MAX), t.decimals),
                            format_units(pending, t.decimals),
                        )
                    }
                    _ => ("?".into(), "?".into()),
                };
                println!(
                    "{:<8} {:>24} {:>24} {:>24}",
                    t.symbol,
                    format_units(l2, t.decimals),
                    l1_balance,
                    pending
                );
            }
            // LP shares, with the pair they are of (they stay on L2)
            if let Some(a) = &account {
                let pools: Vec<Value> = w.call("zkr_getPools", rpc_params![]).await?;
                let symbol = |id: &Value| {
                    tokens
                        .iter()
                        .find(|t| Some(u64::from(t.id)) == id.as_u64())
                        .map(|t| t.symbol.clone())
                        .unwrap_or_else(|| format!("#{id}"))
                };
                for p in &pools {
                    let lp = p["lpToken"].to_string();
                    if let Some(shares) = a["balances"][&lp].as_str() {
                        println!(
                            "LP {}/{} {:>24} shares",
                            symbol(&p["tokenA"]),
                            symbol(&p["tokenB"]),
                            format_units(shares.parse()?, dex::LP_DECIMALS)
                        );
                    }
                }
            }
        }
        WalletCommand::Swap {
            sell,
            buy,
            amount,
            min_out,
            slippage,
            wait,
        } => {
            w.swap(
                &sell,
                &buy,
                &amount,
                min_out.as_deref(),
                slippage.slippage,
                wait,
            )
            .await?
        }
        WalletCommand::Pool {
            command: dex::PoolCommand::Create { pair, wait },
        } => w.create_pool(&pair, wait).await?,
        WalletCommand::AddLiquidity {
            pair,
            amount_a,
            amount_b,
            slippage,
            wait,
        } => {
            w.add_liquidity(&pair, &amount_a, &amount_b, slippage.slippage, wait)
                .await?
        }
        WalletCommand::RemoveLiquidity {
            pair,
            shares,
            percent,
            slippage,
            wait,
        } => {
            w.remove_liquidity(&pair, shares.as_deref(), percent, slippage.slippage, wait)
                .await?
        }
        WalletCommand::Pools => w.pools().await?,
        WalletCommand::Exodus {
            command: exodus::ExodusCommand::Activate,
        } => exodus::activate(&w, &w.contracts().await?).await?,
        WalletCommand::Exit {
            token,
            account_id,
            data_dir,
            from_block,
        } => {
            let c = w.contracts().await?;
            let token = match token {
                Some(t) => Some(w.token_or_lp(&t).await?),
                None => None,
            };
            exodus::exit(&w, &c, token, account_id, data_dir, from_block).await?
        }
        WalletCommand::RefundDeposit { index } => {
            exodus::refund_deposit(&w, &w.contracts().await?, index).await?
        }
        WalletCommand::Tx { hash } => {
            let r: Value = w.call("zkr_getTx", rpc_params![hash]).await?;
            if r.is_null() {
                bail!("no transaction {hash}");
            }
            println!("{}", serde_json::to_string_pretty(&r)?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_trip_and_reject_bad_input() {
        assert_eq!(parse_units("1.5", 18).unwrap(), 1_500_000_000_000_000_000);
        assert_eq!(parse_units("0.000001", 6).unwrap(), 1);
        assert_eq!(parse_units("42", 0).unwrap(), 42);
        assert_eq!(parse_units(".5", 1).unwrap(), 5);
        assert!(parse_units("0.0000001", 6).is_err());
        assert!(parse_units("1e18", 18).is_err());
        assert!(parse_units("-1", 18).is_err());
        assert!(parse_units("", 18).is_err());
        assert!(parse_units("400000000000000000000", 18).is_err());
        assert_eq!(format_units(1_500_000_000_000_000_000, 18), "1.5");
        assert_eq!(format_units(7, 0), "7");
        assert_eq!(format_units(1, 18), "0.000000000000000001");
    }
}
