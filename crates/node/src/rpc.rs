//! The JSON-RPC API (HTTP): `zkr_sendTx`, `zkr_getAccount`, `zkr_getTx`, `zkr_getBlock`,
//! `zkr_getBatch`, `zkr_blockNumber`, `zkr_getFeeQuote`, `zkr_getTokens`, `zkr_getContracts`,
//! `zkr_getPools`, `zkr_getPool`, `zkr_quoteSwap`.
//! Errors carry the stable codes of [`crate::error::codes`].

use crate::NodeError;
use crate::admission::Admission;
use crate::error::codes;
use crate::fees::TxKind;
use crate::limits::SenderLimiter;
use crate::metrics::{CodeLabel, Metrics};
pub use crate::pipeline::Shared;
use crate::pipeline::lock;
use crate::records::TokenInfo;
use alloy_primitives::{Address, B256};
use jsonrpsee::RpcModule;
use jsonrpsee::types::ErrorObjectOwned;
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use zkr_crypto::field::fr_to_decimal;
use zkr_state::storage::Storage;
use zkr_state::{Pool, StateError};
use zkr_types::TokenId;
use zkr_types::tx::L2Tx;

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::INTERNAL, e.to_string(), None::<()>)
}

fn invalid(msg: String) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::INVALID_PARAMS, msg, None::<()>)
}

/// A registered token by id (number or string), symbol or L1 address; LP tokens by id.
fn resolve_token<S: Storage>(
    seq: &crate::Sequencer<S>,
    token: &Value,
) -> Result<TokenInfo, ErrorObjectOwned> {
    let tokens = seq.tokens().map_err(internal)?;
    let found = tokens.into_iter().find(|t| match token {
        Value::Number(n) => n.as_u64() == Some(u64::from(t.id)),
        Value::String(s) => {
            s.eq_ignore_ascii_case(&t.symbol)
                || s.parse::<Address>().ok() == Some(t.address)
                || s.parse::<u16>().ok() == Some(t.id)
        }
        _ => false,
    });
    found.ok_or_else(|| {
        ErrorObjectOwned::owned(
            codes::UNKNOWN_TOKEN,
            format!("unknown token {token}"),
            None::<()>,
        )
    })
}

/// A pool as `zkr_getPools` and `zkr_getPool` show it.
pub fn pool_json(p: &Pool) -> Value {
    json!({
        "id": p.id.0,
        "accountId": p.id.account_id().0,
        "tokenA": p.token_a.0,
        "tokenB": p.token_b.0,
        "reserveA": p.reserve_a.to_string(),
        "reserveB": p.reserve_b.to_string(),
        "lpToken": p.lp_token().0,
        "lpSupply": p.supply.to_string(),
        "feeBps": 30,
    })
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
    /// The node's metrics.
    pub metrics: Arc<Metrics>,
    /// `zkr_sendTx`'s way into the sequencer.
    pub admission: Admission<S>,
    /// The prover fleet's unproven jobs (`zkr_getBatch`'s `proverJob`).
    pub prover_jobs: crate::pipeline::prover::ProverJobs,
}

/// Builds the RPC module over a shared sequencer.
pub fn module<S: Storage + Clone + Send + 'static>(
    seq: Shared<S>,
    contracts: Option<ContractsInfo>,
    prover_ready: Arc<AtomicBool>,
    limiter: SenderLimiter,
    metrics: Arc<Metrics>,
    prover_jobs: crate::pipeline::prover::ProverJobs,
) -> Result<RpcModule<RpcContext<S>>, crate::NodeError> {
    let admission = Admission::new(seq.clone())?;
    let mut m = RpcModule::new(RpcContext {
        admission,
        seq,
        contracts,
        prover_ready,
        limiter,
        metrics,
        prover_jobs,
    });
    let reg = |e: jsonrpsee::core::RegisterMethodError| crate::NodeError::Rpc(e.to_string());
    m.register_async_method("zkr_sendTx", |params, ctx, _| async move {
        let sent = async {
            let tx: L2Tx = params.one()?;
            // Before the sequencer's lock: a flood waits on nothing but this check.
            ctx.limiter.check(tx.account_id()).map_err(|e| e.to_rpc())?;
            ctx.admission
                .submit(tx)
                .await
                .map(|h| h.to_string())
                .map_err(|e| e.to_rpc())
        }
        .await;
        match &sent {
            Ok(_) => ctx.metrics.txs_accepted.inc(),
            Err(e) => ctx
                .metrics
                .txs_rejected
                .get_or_create(&CodeLabel { code: e.code() })
                .inc(),
        };
        sent
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
    // The last block durable in storage (a block still being written is not shown yet).
    m.register_method("zkr_blockNumber", |_, ctx, _| lock(&ctx.seq).last_block())
        .map_err(reg)?;
    m.register_method(
        "zkr_getBatch",
        |params, ctx, _| -> Result<Value, ErrorObjectOwned> {
            let number: u64 = params.one()?;
            let record = lock(&ctx.seq).batch(number).map_err(internal)?;
            let mut v = serde_json::to_value(record).map_err(internal)?;
            if let (Some(obj), Some(job)) = (
                v.as_object_mut(),
                crate::pipeline::lock_jobs(&ctx.prover_jobs).get(&number),
            ) {
                obj.insert("proverJob".into(), job.clone());
            }
            Ok(v)
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
                    "unknown txType {tx_type:?}: expected Transfer, Withdraw, ChangePubKey, Swap, AddLiquidity, RemoveLiquidity or CreatePool"
                ))
            })?;
            let seq = lock(&ctx.seq);
            let token = resolve_token(&seq, &token)?;
            let mut quote =
                serde_json::to_value(seq.config().fees.quote(kind)).map_err(internal)?;
            quote["token"] = json!(token.id);
            Ok(quote)
        },
    )
    .map_err(reg)?;
    m.register_method(
        "zkr_getPools",
        |_, ctx, _| -> Result<Value, ErrorObjectOwned> {
            let seq = lock(&ctx.seq);
            let pools = seq.state().pools().map_err(internal)?;
            Ok(Value::Array(pools.iter().map(pool_json).collect()))
        },
    )
    .map_err(reg)?;
    m.register_method(
        "zkr_getPool",
        |params, ctx, _| -> Result<Value, ErrorObjectOwned> {
            let (a, b): (Value, Value) = params.parse()?;
            let seq = lock(&ctx.seq);
            let (a, b) = (resolve_token(&seq, &a)?, resolve_token(&seq, &b)?);
            let pool = seq
                .state()
                .pool_of_pair(TokenId(a.id), TokenId(b.id))
                .map_err(internal)?;
            Ok(pool.as_ref().map(pool_json).unwrap_or(Value::Null))
        },
    )
    .map_err(reg)?;
    m.register_method(
        "zkr_quoteSwap",
        |params, ctx, _| -> Result<Value, ErrorObjectOwned> {
            let (sell, buy, amount_in): (Value, Value, String) = params.parse()?;
            let amount_in: u128 = amount_in.parse().map_err(|_| {
                invalid(format!(
                    "amountIn {amount_in:?}: a decimal integer in base units"
                ))
            })?;
            let seq = lock(&ctx.seq);
            let (sell, buy) = (resolve_token(&seq, &sell)?, resolve_token(&seq, &buy)?);
            let (sell, buy) = (TokenId(sell.id), TokenId(buy.id));
            let pool = seq
                .state()
                .pool_of_pair(sell, buy)
                .map_err(internal)?
                .filter(|_| sell != buy)
                .ok_or_else(|| NodeError::Rejected(StateError::NoSuchPool(sell, buy)).to_rpc())?;
            let (x, y) = if sell == pool.token_a {
                (pool.reserve_a, pool.reserve_b)
            } else {
                (pool.reserve_b, pool.reserve_a)
            };
            let out = zkr_types::amm::swap_out(amount_in, x, y)
                .map_err(|e| NodeError::Rejected(e.into()).to_rpc())?;
            // against the spot price y / x: 1 - (out / in) / (y / x), in basis points
            let spot_out = alloy_primitives::U256::from(amount_in)
                * alloy_primitives::U256::from(y)
                / alloy_primitives::U256::from(x);
            let impact_bps = if spot_out.is_zero() {
                10_000u64
            } else {
                let lost = spot_out - alloy_primitives::U256::from(out).min(spot_out);
                (lost * alloy_primitives::U256::from(10_000u64) / spot_out).to::<u64>()
            };
            Ok(json!({
                "pool": pool.id.0,
                "sell": sell.0,
                "buy": buy.0,
                "amountIn": amount_in.to_string(),
                "amountOut": out.to_string(),
                "lpFee": (amount_in * 3 / 1000).to_string(),
                "priceImpactBps": impact_bps,
            }))
        },
    )
    .map_err(reg)?;
    m.register_method("zkr_status", |_, ctx, _| {
        let seq = lock(&ctx.seq);
        json!({
            "blockNumber": seq.last_block(),
            "openBatch": seq.state().batch_number().0,
            "openBatchOps": seq.batch_len(),
            "proverReady": ctx.prover_ready.load(Ordering::Relaxed),
            "exodus": seq.in_exodus(),
            "acceptingTransactions": !seq.in_exodus() && !seq.is_poisoned(),
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
