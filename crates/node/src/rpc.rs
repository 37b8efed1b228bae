//! The JSON-RPC API (HTTP): `zkr_sendTx`, `zkr_getAccount`, `zkr_getTx`, `zkr_getBlock`,
//! `zkr_blockNumber`, `zkr_getTokens`. Errors carry the stable codes of [`crate::error::codes`].

use crate::Sequencer;
use crate::error::codes;
use alloy_primitives::{Address, B256};
use jsonrpsee::RpcModule;
use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use zkr_crypto::field::fr_to_decimal;
use zkr_state::storage::Storage;
use zkr_types::tx::L2Tx;

/// The sequencer as the RPC handlers and the block producer share it.
pub type Shared<S> = Arc<Mutex<Sequencer<S>>>;

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::INTERNAL, e.to_string(), None::<()>)
}

fn lock<S: Storage>(s: &Shared<S>) -> std::sync::MutexGuard<'_, Sequencer<S>> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// Builds the RPC module over a shared sequencer.
pub fn module<S: Storage + 'static>(
    seq: Shared<S>,
) -> Result<RpcModule<Shared<S>>, crate::NodeError> {
    let mut m = RpcModule::new(seq);
    let reg = |e: jsonrpsee::core::RegisterMethodError| crate::NodeError::Rpc(e.to_string());
    m.register_method("zkr_sendTx", |params, seq, _| {
        let tx: L2Tx = params.one()?;
        lock(seq)
            .submit(tx)
            .map(|h| h.to_string())
            .map_err(|e| e.to_rpc())
    })
    .map_err(reg)?;
    m.register_method(
        "zkr_getAccount",
        |params, seq, _| -> Result<Value, ErrorObjectOwned> {
            let owner: Address = params.one()?;
            let seq = lock(seq);
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
        |params, seq, _| -> Result<Value, ErrorObjectOwned> {
            let hash: B256 = params.one()?;
            let record = lock(seq).tx(&hash).map_err(internal)?;
            serde_json::to_value(record).map_err(internal)
        },
    )
    .map_err(reg)?;
    m.register_method(
        "zkr_getBlock",
        |params, seq, _| -> Result<Value, ErrorObjectOwned> {
            let number: u64 = params.one()?;
            let record = lock(seq).block(number).map_err(internal)?;
            serde_json::to_value(record).map_err(internal)
        },
    )
    .map_err(reg)?;
    m.register_method("zkr_blockNumber", |_, seq, _| {
        lock(seq).state().block_number().0
    })
    .map_err(reg)?;
    m.register_method("zkr_getTokens", |_, seq, _| {
        let n = lock(seq).state().num_tokens();
        (0..n)
            .map(|id| json!({"id": id, "symbol": if id == 0 { "ETH".to_string() } else { format!("TOKEN{id}") }}))
            .collect::<Vec<_>>()
    })
    .map_err(reg)?;
    Ok(m)
}
