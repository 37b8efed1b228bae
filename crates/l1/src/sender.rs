//! Sending the operator's transactions: explicit nonces, EIP-1559 fees bumped when a
//! transaction is not mined in time, and confirmation tracking.
//!
//! The sender never has two of its own transactions in flight: before sending it waits until
//! the account's pending nonce equals its mined nonce. A restarted node therefore first sees
//! what its previous run sent get mined (or dropped), and decides again from the contract's
//! state, so it never sends a batch twice.

use crate::L1Error;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use std::time::Duration;

/// How transactions are sent.
#[derive(Debug, Clone, Copy)]
pub struct SenderConfig {
    /// How long to wait for a receipt before bumping the fees.
    pub receipt_timeout: Duration,
    /// Fee bumps (each +25 %) before giving up on a transaction.
    pub max_bumps: u32,
    /// How long to wait for an earlier transaction of the operator to be mined.
    pub in_flight_timeout: Duration,
}

impl Default for SenderConfig {
    fn default() -> Self {
        SenderConfig {
            receipt_timeout: Duration::from_secs(30),
            max_bumps: 5,
            in_flight_timeout: Duration::from_secs(600),
        }
    }
}

/// The operator's transaction sender.
#[derive(Debug, Clone)]
pub struct Sender {
    provider: DynProvider,
    from: Address,
    config: SenderConfig,
}

impl Sender {
    /// A sender for `from`, whose key the provider's wallet holds.
    pub fn new(provider: DynProvider, from: Address, config: SenderConfig) -> Self {
        Sender {
            provider,
            from,
            config,
        }
    }

    /// The provider.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The operator's address.
    pub fn from(&self) -> Address {
        self.from
    }

    /// Waits until none of the operator's transactions is pending; returns the next nonce.
    pub async fn settled_nonce(&self) -> Result<u64, L1Error> {
        let started = std::time::Instant::now();
        loop {
            let mined = self
                .provider
                .get_transaction_count(self.from)
                .latest()
                .await
                .map_err(L1Error::rpc)?;
            let pending = self
                .provider
                .get_transaction_count(self.from)
                .pending()
                .await
                .map_err(L1Error::rpc)?;
            if pending <= mined {
                return Ok(mined);
            }
            if started.elapsed() > self.config.in_flight_timeout {
                return Err(L1Error::Rpc(format!(
                    "{} operator transactions still pending after {:?}",
                    pending - mined,
                    self.config.in_flight_timeout
                )));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Sends `tx` and waits for its receipt, bumping fees while it is not mined. A transaction
    /// that would revert is not sent: the error carries the revert reason.
    pub async fn send(&self, tx: TransactionRequest) -> Result<TransactionReceipt, L1Error> {
        let nonce = self.settled_nonce().await?;
        let tx = tx.with_from(self.from).with_nonce(nonce);
        let gas = self
            .provider
            .estimate_gas(tx.clone())
            .await
            .map_err(|e| L1Error::Reverted(e.to_string()))?;
        let fees = self
            .provider
            .estimate_eip1559_fees()
            .await
            .map_err(L1Error::rpc)?;
        let (mut max_fee, mut tip) = (fees.max_fee_per_gas, fees.max_priority_fee_per_gas);
        let mut sent: Vec<B256> = Vec::new();
        for attempt in 0..=self.config.max_bumps {
            let tx = tx
                .clone()
                .with_gas_limit(gas + gas / 5)
                .with_max_fee_per_gas(max_fee)
                .with_max_priority_fee_per_gas(tip);
            match self.provider.send_transaction(tx).await {
                Ok(pending) => sent.push(*pending.tx_hash()),
                // A replacement can race with the mining of an earlier attempt.
                Err(e) if attempt > 0 => {
                    tracing::debug!(target: "zkr::l1", error = %e, "replacement refused")
                }
                Err(e) => return Err(L1Error::rpc(e)),
            }
            let deadline = tokio::time::Instant::now() + self.config.receipt_timeout;
            while tokio::time::Instant::now() < deadline {
                for hash in &sent {
                    if let Some(r) = self
                        .provider
                        .get_transaction_receipt(*hash)
                        .await
                        .map_err(L1Error::rpc)?
                    {
                        if !r.status() {
                            return Err(L1Error::Reverted(format!("transaction {hash} reverted")));
                        }
                        return Ok(r);
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            max_fee += max_fee / 4;
            tip += tip / 4 + 1;
            tracing::warn!(target: "zkr::l1", nonce, attempt, max_fee, "not mined in time: bumping fees");
        }
        Err(L1Error::Rpc(format!(
            "transaction with nonce {nonce} not mined after {} fee bumps",
            self.config.max_bumps
        )))
    }
}
