//! The JSON-RPC API (HTTP): `zkr_sendTx`, `zkr_getAccount`, `zkr_getTx`, `zkr_getBlock`,
//! `zkr_getBatch`, `zkr_blockNumber`, `zkr_getFeeQuote`, `zkr_getTokens`, `zkr_getContracts`.
//! Errors carry the stable codes of [`crate::error::codes`].

use crate::error::codes;
use crate::fees::TxKind;
use crate::limits::SenderLimiter;
pub use crate::pipeline::Shared;
use crate::pipeline::lock;
use alloy_primitives::{Address, B256};
use jsonrpsee::RpcModule;
use jsonrpsee::types::ErrorObjectOwned;
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use zkr_crypto::field::fr_to_decimal;
use zkr_state::storage::Storage;
use zkr_types::tx::L2Tx;

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::INTERNAL, e.to_string(), None::<()>)
}

fn invalid(msg: String) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::INVALID_PARAMS, msg, None::<()>)
}

/// Where the node's contracts are (`zkr_getContracts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractsInfo {
    /// The rollup contract.
    pub rollup: Address,
    /// L1 JSON-RPC URL the node uses (wallets send deposits there).
    pub l1_rpc: String,
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// zkr chain id.
    pub chain_id: u32,
}

/// What the handlers share.
pub struct RpcContext<S: Storage> {
    /// The sequencer.
    pub seq: Shared<S>,
    /// The contracts, when the node follows an L1.
    pub contracts: Option<ContractsInfo>,
    /// Whether the prover has its keys and is proving.
    pub prover_ready: Arc<AtomicBool>,
    /// How fast one account may send.
    pub limiter: SenderLimiter,
}

/// Builds the RPC module over a shared sequencer.
pub fn module<S: Storage + 'static>(
    seq: Shared<S>,
    contracts: Option<ContractsInfo>,
    prover_ready: Arc<AtomicBool>,
    limiter: SenderLimiter,
) -> Result<RpcModule<RpcContext<S>>, crate::NodeError> {
    let mut m = RpcModule::new(RpcContext {
        seq,
        contracts,
        prover_ready,
        limiter,
    });
    let reg = |e: jsonrpsee::core::RegisterMethodError| crate::NodeError::Rpc(e.to_string());
    m.register_method("zkr_sendTx", |params, ctx, _| {
        let tx: L2Tx = params.one()?;
        // Before the sequencer's lock: a flood waits on nothing but this check.
        ctx.limiter.check(tx.account_id()).map_err(|e| e.to_rpc())?;
        lock(&ctx.seq)
            .submit(tx)
            .map(|h| h.to_string())
            .map_err(|e| e.to_rpc())
    })
    .map_err(reg)?;
    m.register_method(
        "zkr_getAccount",
        |params, ctx, _| -> Result<Value, ErrorObjectOwned> {
            let owner: Address = params.one()?;
            let seq = lock(&ctx.seq);
            let Some((id, a)) = seq.account_of(&owner).map_err(internal)? else {
                return Ok(Value::Null);
            };
            let balances: serde_json::Map<String, Value> = a
                .balances()
                .map(|(t, b)| (t.0.to_string(), Value::String(b.to_string())))
                .collect();
            Ok(json!({
                "address": owner.to_string(),
                "id": id.0,
                "nonce": a.nonce.0,
                "pubKeyHash": fr_to_decimal(&a.pubkey_hash),
                "balances": balances,
            }))
        },
    )
    .map_err(reg)?;
    m.register_method(
        "zkr_getTx",
        |params, ctx, _| -> Result<Value, ErrorObjectOwned> {
            let hash: B256 = params.one()?;
            let seq = lock(&ctx.seq);
            if let Some(record) = seq.tx(&hash).map_err(internal)? {
                return serde_json::to_value(record).map_err(internal);
            }
            // Or the L1 transaction of a deposit or full exit.
            let record = seq.priority_op(&hash).map_err(internal)?;
            serde_json::to_value(record).map_err(internal)
        },
    )
    .map_err(reg)?;
    m.register_method(
        "zkr_getBlock",
        |params, ctx, _| -> Result<Value, ErrorObjectOwned> {
            let number: u64 = params.one()?;
            let record = lock(&ctx.seq).block(number).map_err(internal)?;
            serde_json::to_value(record).map_err(internal)
        },
    )
    .map_err(reg)?;
    m.register_method("zkr_blockNumber", |_, ctx, _| {
        lock(&ctx.seq).state().block_number().0
    })
    .map_err(reg)?;
    m.register_method(
        "zkr_getBatch",
        |params, ctx, _| -> Result<Value, ErrorObjectOwned> {
            let number: u64 = params.one()?;
            let record = lock(&ctx.seq).batch(number).map_err(internal)?;
            serde_json::to_value(record).map_err(internal)
        },
    )
    .map_err(reg)?;
    m.register_method(
        "zkr_getTokens",
        |_, ctx, _| -> Result<Value, ErrorObjectOwned> {
            let tokens = lock(&ctx.seq).tokens().map_err(internal)?;
            serde_json::to_value(tokens).map_err(internal)
        },
    )
    .map_err(reg)?;
    m.register_method(
        "zkr_getFeeQuote",
        |params, ctx, _| -> Result<Value, ErrorObjectOwned> {
            let (tx_type, token): (String, Value) = params.parse()?;
            let kind = TxKind::parse(&tx_type).ok_or_else(|| {
                invalid(format!(
                    "unknown txType {tx_type:?}: expected Transfer, Withdraw or ChangePubKey"
                ))
            })?;
            let seq = lock(&ctx.seq);
            let tokens = seq.tokens().map_err(internal)?;
            let found = tokens.iter().find(|t| match &token {
                Value::Number(n) => n.as_u64() == Some(u64::from(t.id)),
                Value::String(s) => {
                    s.eq_ignore_ascii_case(&t.symbol)
                        || s.parse::<Address>().ok() == Some(t.address)
                        || s.parse::<u16>().ok() == Some(t.id)
                }
                _ => false,
            });
            let Some(token) = found else {
                return Err(ErrorObjectOwned::owned(
                    codes::UNKNOWN_TOKEN,
                    format!("unknown token {token}"),
                    None::<()>,
                ));
            };
            let mut quote =
                serde_json::to_value(seq.config().fees.quote(kind)).map_err(internal)?;
            quote["token"] = json!(token.id);
            Ok(quote)
        },
    )
    .map_err(reg)?;
    m.register_method("zkr_status", |_, ctx, _| {
        let seq = lock(&ctx.seq);
        json!({
            "blockNumber": seq.state().block_number().0,
            "openBatch": seq.state().batch_number().0,
            "openBatchOps": seq.batch_len(),
            "proverReady": ctx.prover_ready.load(Ordering::Relaxed),
        })
    })
    .map_err(reg)?;
    m.register_method(
        "zkr_getContracts",
        |_, ctx, _| -> Result<Value, ErrorObjectOwned> {
            serde_json::to_value(&ctx.contracts).map_err(internal)
        },
    )
    .map_err(reg)?;
    Ok(m)
}
