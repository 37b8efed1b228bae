//! One module per subcommand.

pub mod bench;
pub mod bench_explorer;
pub mod bench_fleet;
pub mod bench_load;
pub mod bench_rebuild;
pub mod circuit;
pub mod crypto;
pub mod devnet;
pub mod node;
pub mod prover;
pub mod rebuild;
pub mod wallet;

use alloy::network::Ethereum;
use alloy::providers::PendingTransactionBuilder;
use alloy::rpc::types::TransactionReceipt;
use std::path::PathBuf;

/// Waits until a sent L1 transaction is mined; an error naming `what` if it reverted.
pub async fn mined(
    pending: PendingTransactionBuilder<Ethereum>,
    what: &str,
) -> anyhow::Result<TransactionReceipt> {
    let receipt = pending.get_receipt().await?;
    if !receipt.status() {
        anyhow::bail!("{what} reverted on L1 (tx {})", receipt.transaction_hash);
    }
    Ok(receipt)
}

/// Runs `zkr wallet --l2-rpc <l2_rpc> <args>` as the owner of Ethereum key `key` (a child
/// process of this binary, as a user would); `what` names the step in the error, which carries
/// the wallet's message.
pub async fn wallet_step(l2_rpc: &str, key: &str, args: &[&str], what: &str) -> anyhow::Result<()> {
    let out = tokio::process::Command::new(std::env::current_exe()?)
        .args(["wallet", "--l2-rpc", l2_rpc])
        .args(args)
        .env("ZKR_PRIVATE_KEY", key)
        .stdin(std::process::Stdio::null())
        .output()
        .await?;
    if !out.status.success() {
        anyhow::bail!(
            "{what}: `zkr wallet {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The proving-key cache directory: the flag, else `$XDG_CACHE_HOME/zkr/keys`, else
/// `~/.cache/zkr/keys`, else `./.zkr/keys`.
pub fn keys_dir(flag: Option<PathBuf>) -> PathBuf {
    if let Some(d) = flag {
        return d;
    }
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(x).join("zkr/keys");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".cache/zkr/keys");
    }
    PathBuf::from(".zkr/keys")
}
