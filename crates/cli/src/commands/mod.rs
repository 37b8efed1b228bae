//! One module per subcommand.

pub mod bench;
pub mod bench_explorer;
pub mod bench_load;
pub mod bench_rebuild;
pub mod circuit;
pub mod crypto;
pub mod devnet;
pub mod node;
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
