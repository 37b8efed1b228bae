//! Sending the operator's transactions: explicit nonces, EIP-1559 fees bumped while a
//! transaction is not mined, up to a configured ceiling and never past it, and confirmation
//! tracking.
//!
//! The sender never has two of its own transactions in flight. Before sending it looks at the
//! account's pending nonce: if an earlier transaction of the operator is still pending (sent by
//! a run that was killed, or stuck under a base-fee spike) it is found in the L1's transaction
//! pool (`txpool_content`) and replaced at its nonce by what the node decides now, with fees
//! above the old ones; an L1 without that method is waited on instead. What to send is always
//! decided from the contract's mined state, so replacing a stale transaction never sends a
//! batch twice: if the old one is mined first, the nonce is gone and the caller decides again.

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
    /// The highest `maxFeePerGas` (wei) the sender pays: fees are bumped by 25 % while a
    /// transaction is not mined, up to this ceiling, and at the ceiling it waits for the base
    /// fee to come down.
    pub max_fee_per_gas: u128,
    /// How long to wait for an earlier transaction of the operator to be mined when the L1
    /// does not show its transaction pool (so it cannot be replaced).
    pub in_flight_timeout: Duration,
}

/// Default fee ceiling: 1,000 gwei.
pub const DEFAULT_MAX_FEE_PER_GAS: u128 = 1_000_000_000_000;

impl Default for SenderConfig {
    fn default() -> Self {
        SenderConfig {
            receipt_timeout: Duration::from_secs(30),
            max_fee_per_gas: DEFAULT_MAX_FEE_PER_GAS,
            in_flight_timeout: Duration::from_secs(600),
        }
    }
}

/// A transaction of the operator's waiting in the L1's pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingTx {
    /// Its hash.
    pub hash: B256,
    /// Whom it calls.
    pub to: Option<Address>,
    /// Its nonce.
    pub nonce: u64,
    /// Its `maxFeePerGas`.
    pub max_fee_per_gas: u128,
    /// Its `maxPriorityFeePerGas`.
    pub max_priority_fee_per_gas: u128,
}

/// The operator's transaction sender.
#[derive(Debug, Clone)]
pub struct Sender {
    provider: DynProvider,
    from: Address,
    config: SenderConfig,
}

/// `x` raised by a quarter (at least by one).
fn bumped(x: u128) -> u128 {
    x.saturating_add(x / 4).max(x.saturating_add(1))
}

fn parse_quantity(v: &serde_json::Value) -> Option<u128> {
    let s = v.as_str()?.strip_prefix("0x")?;
    u128::from_str_radix(s, 16).ok()
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

    async fn nonces(&self) -> Result<(u64, u64), L1Error> {
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
        Ok((mined, pending))
    }

    /// The operator's transaction at `nonce` in the L1's pool (`txpool_content`); `Ok(None)` if
    /// it is not there, an error if the L1 does not show its pool.
    pub async fn find_pending(&self, nonce: u64) -> Result<Option<PendingTx>, L1Error> {
        let pool: serde_json::Value = self
            .provider
            .raw_request("txpool_content".into(), ())
            .await
            .map_err(L1Error::rpc)?;
        for part in ["pending", "queued"] {
            let Some(by_sender) = pool.get(part).and_then(|v| v.as_object()) else {
                continue;
            };
            for (sender, txs) in by_sender {
                if sender.parse::<Address>().ok() != Some(self.from) {
                    continue;
                }
                let Some(tx) = txs.get(nonce.to_string()) else {
                    continue;
                };
                let hash = tx
                    .get("hash")
                    .and_then(|h| h.as_str())
                    .and_then(|h| h.parse::<B256>().ok())
                    .ok_or_else(|| {
                        L1Error::Rpc("txpool_content: a transaction without hash".into())
                    })?;
                let to = tx
                    .get("to")
                    .and_then(|t| t.as_str())
                    .and_then(|t| t.parse::<Address>().ok());
                let fee = |k: &str| tx.get(k).and_then(parse_quantity);
                let max_fee = fee("maxFeePerGas").or_else(|| fee("gasPrice")).unwrap_or(0);
                let tip = fee("maxPriorityFeePerGas").unwrap_or(max_fee);
                return Ok(Some(PendingTx {
                    hash,
                    to,
                    nonce,
                    max_fee_per_gas: max_fee,
                    max_priority_fee_per_gas: tip,
                }));
            }
        }
        Ok(None)
    }

    /// Waits until none of the operator's transactions is pending; returns the next nonce.
    pub async fn settled_nonce(&self) -> Result<u64, L1Error> {
        let started = std::time::Instant::now();
        loop {
            let (mined, pending) = self.nonces().await?;
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

    /// The nonce to send `to` at and the operator's transaction already pending there (to be
    /// replaced), if any. Only a transaction to the same contract is replaced, and only if a
    /// replacement fits under the fee ceiling; anything else pending is waited for.
    async fn next_nonce(&self, to: Option<Address>) -> Result<(u64, Option<PendingTx>), L1Error> {
        let (mined, pending) = self.nonces().await?;
        if pending <= mined {
            return Ok((mined, None));
        }
        match self.find_pending(mined).await {
            Ok(Some(old))
                if old.to == to && bumped(old.max_fee_per_gas) <= self.config.max_fee_per_gas =>
            {
                tracing::warn!(target: "zkr::l1", nonce = mined, old = %old.hash, max_fee = old.max_fee_per_gas, "an earlier operator transaction is still pending: replacing it with higher fees");
                Ok((mined, Some(old)))
            }
            Ok(Some(old)) => {
                tracing::warn!(target: "zkr::l1", nonce = mined, old = %old.hash, "an operator transaction that cannot be replaced (another recipient, or fees at the ceiling) is pending: waiting for it");
                Ok((self.settled_nonce().await?, None))
            }
            // Mined meanwhile, or an L1 that does not show its pool: wait for it.
            Ok(None) | Err(_) => Ok((self.settled_nonce().await?, None)),
        }
    }

    /// The receipt of whichever of `watched` is mined: `ours` (attempts of this send) are
    /// returned, a reverted one is an error, and an earlier transaction this replaces being
    /// mined is an error too (nothing of this send was mined: the caller decides again).
    async fn receipt_of(
        &self,
        watched: &[B256],
        ours: &[B256],
        nonce: u64,
    ) -> Result<Option<TransactionReceipt>, L1Error> {
        for hash in watched {
            let Some(r) = self
                .provider
                .get_transaction_receipt(*hash)
                .await
                .map_err(L1Error::rpc)?
            else {
                continue;
            };
            if !ours.contains(hash) {
                return Err(L1Error::Rpc(format!(
                    "the earlier operator transaction {hash} was mined at nonce {nonce} before \
                     its replacement: deciding again"
                )));
            }
            if !r.status() {
                return Err(L1Error::Reverted(format!("transaction {hash} reverted")));
            }
            return Ok(Some(r));
        }
        Ok(None)
    }

    /// Sends `tx` and waits for its receipt, bumping fees while it is not mined (up to the
    /// ceiling, then waiting there). A transaction that would revert is not sent: the error
    /// carries the revert reason. If another transaction of the operator takes the nonce first
    /// (an earlier one this replaces), the error says so and nothing of `tx` was mined.
    pub async fn send(&self, tx: TransactionRequest) -> Result<TransactionReceipt, L1Error> {
        let decided_at = self.mined_nonce().await?;
        self.send_decided_at(tx, decided_at).await
    }

    /// The operator's next nonce as mined (what a caller reads before it decides what to send,
    /// for [`Sender::send_decided_at`]).
    pub async fn mined_nonce(&self) -> Result<u64, L1Error> {
        Ok(self.nonces().await?.0)
    }

    /// [`Sender::send`] for a transaction decided from L1's state when the operator's mined
    /// nonce was `decided_at`: if an earlier transaction of the operator has been mined since
    /// (the decision may be stale: `commitBatch` names no batch number, so a stale commit
    /// would commit the same batch again), nothing is sent and the error says to decide again.
    pub async fn send_decided_at(
        &self,
        tx: TransactionRequest,
        decided_at: u64,
    ) -> Result<TransactionReceipt, L1Error> {
        let (nonce, old) = self.next_nonce(tx.to.and_then(|t| t.to().copied())).await?;
        if nonce != decided_at {
            return Err(L1Error::Rpc(format!(
                "an earlier operator transaction was mined (nonce {decided_at} -> {nonce}) since \
                 this was decided: deciding again"
            )));
        }
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
        let ceiling = self.config.max_fee_per_gas;
        let (mut max_fee, mut tip) = (fees.max_fee_per_gas, fees.max_priority_fee_per_gas);
        if let Some(old) = old {
            // A replacement must raise both fees (nodes ask for +10 %).
            max_fee = max_fee.max(bumped(old.max_fee_per_gas));
            tip = tip.max(bumped(old.max_priority_fee_per_gas));
        }
        if max_fee > ceiling {
            tracing::warn!(target: "zkr::l1", nonce, wanted = max_fee, ceiling, "fees above the ceiling: paying the ceiling");
            max_fee = ceiling;
        }
        tip = tip.min(max_fee);
        let mut watched: Vec<B256> = old.iter().map(|o| o.hash).collect();
        let mut ours: Vec<B256> = Vec::new();
        let mut resend = true;
        let mut attempt = 0u64;
        loop {
            attempt += 1;
            if resend {
                let tx = tx
                    .clone()
                    .with_gas_limit(gas.saturating_add(gas / 5))
                    .with_max_fee_per_gas(max_fee)
                    .with_max_priority_fee_per_gas(tip);
                match self.provider.send_transaction(tx).await {
                    Ok(pending) => {
                        ours.push(*pending.tx_hash());
                        watched.push(*pending.tx_hash());
                    }
                    // A replacement can race with the mining of an earlier attempt.
                    Err(e) if !watched.is_empty() => {
                        tracing::warn!(target: "zkr::l1", nonce, error = %e, "replacement refused; watching the earlier attempts")
                    }
                    Err(e) => return Err(L1Error::rpc(e)),
                }
            }
            let deadline = tokio::time::Instant::now() + self.config.receipt_timeout;
            while tokio::time::Instant::now() < deadline {
                if let Some(r) = self.receipt_of(&watched, &ours, nonce).await? {
                    return Ok(r);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            // What happened to the nonce meanwhile: taken by a transaction this did not send
            // (after a last look at the receipts), or dropped from the pool, or L1 went back.
            let (mined, pending) = self.nonces().await?;
            if mined != nonce {
                if let Some(r) = self.receipt_of(&watched, &ours, nonce).await? {
                    return Ok(r);
                }
                return Err(L1Error::Rpc(format!(
                    "the operator's nonce is now {mined}, not {nonce}, and none of this \
                     transaction's attempts was mined: deciding again"
                )));
            }
            if pending <= nonce {
                // Nothing of ours is in the pool any more (an L1 that lost it, maybe as
                // underpriced): send again, with higher fees while under the ceiling.
                tracing::warn!(target: "zkr::l1", nonce, "the transaction left the L1's pool: sending it again");
                max_fee = bumped(max_fee).min(ceiling);
                tip = bumped(tip).min(max_fee);
                resend = true;
                continue;
            }
            // Nodes take a replacement only with both fees 10 % higher: one the ceiling caps
            // below that would be refused, so that is the ceiling too.
            if max_fee.saturating_add(max_fee / 10) >= ceiling {
                // At the ceiling no replacement can be made; wait for the base fee to fall.
                resend = false;
                tracing::warn!(target: "zkr::l1", nonce, attempt, max_fee, ceiling, "not mined at the fee ceiling: waiting");
                continue;
            }
            max_fee = bumped(max_fee).min(ceiling);
            tip = bumped(tip).min(max_fee);
            resend = true;
            tracing::warn!(target: "zkr::l1", nonce, attempt, max_fee, "not mined in time: bumping fees");
        }
    }
}
