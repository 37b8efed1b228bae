//! The explorer's HTTP routes: the page and its assets, and a JSON API under `/api`
//! (`docs/operations.md`, "Explorer"). Errors answer `{"error": "..."}` with a 4xx/5xx status.

use crate::stats::StatsView;
use crate::{Context, ExplorerError, assets, view};
use alloy_primitives::{Address, B256};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use zkr_node::history::{self, HistoryEntry};
use zkr_node::pipeline::lock;
use zkr_node::records::{
    BATCHES, BLOCK_OPS, BLOCKS, BatchRecord, BatchStatus, BlockOps, BlockRecord,
};
use zkr_state::storage::Storage;
use zkr_types::AccountId;

type Ctx = State<Arc<Context>>;
type Answer = Result<axum::Json<Value>, ExplorerError>;

/// Most items of one page.
const MAX_PAGE: usize = 100;

/// The routes.
pub fn router(ctx: Arc<Context>) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/assets/{file}", get(assets::file))
        .route("/api/overview", get(overview))
        .route("/api/tvl", get(tvl))
        .route("/api/tvl/history", get(tvl_history))
        .route("/api/blocks", get(blocks))
        .route("/api/blocks/{number}", get(block))
        .route("/api/batches", get(batches))
        .route("/api/batches/{number}", get(batch))
        .route("/api/txs/{hash}", get(tx))
        .route("/api/accounts/{address}", get(account))
        .route("/api/accounts/{address}/history.csv", get(account_csv))
        .route("/api/tokens", get(tokens))
        .route("/api/pools", get(pools))
        .route("/api/search", get(search))
        .fallback(|| async { ExplorerError::NotFound("no such route".into()) })
        .with_state(ctx)
}

/// `?before=&limit=` of the lists (newest first).
#[derive(Debug, Deserialize)]
pub struct Page {
    /// Exclusive upper bound (a number, or `block.position` for histories).
    pub before: Option<String>,
    /// Items, at most 100 (default 20).
    pub limit: Option<usize>,
}

impl Page {
    fn limit(&self) -> usize {
        self.limit.unwrap_or(20).clamp(1, MAX_PAGE)
    }

    fn before_number(&self) -> Result<u64, ExplorerError> {
        match &self.before {
            None => Ok(u64::MAX),
            Some(s) => s
                .parse()
                .map_err(|_| ExplorerError::BadRequest(format!("before={s}: not a number"))),
        }
    }
}

fn parse_number(s: &str) -> Result<u64, ExplorerError> {
    s.parse()
        .map_err(|_| ExplorerError::BadRequest(format!("{s}: not a number")))
}

fn parse_hash(s: &str) -> Result<B256, ExplorerError> {
    s.parse()
        .map_err(|_| ExplorerError::BadRequest(format!("{s}: not a 32-byte hex hash")))
}

fn parse_address(s: &str) -> Result<Address, ExplorerError> {
    s.parse()
        .map_err(|_| ExplorerError::BadRequest(format!("{s}: not an address")))
}

fn newest<T: serde::de::DeserializeOwned>(
    ctx: &Context,
    table: &'static str,
    before: u64,
    limit: usize,
) -> Result<Vec<T>, ExplorerError> {
    ctx.storage
        .side_range(
            table,
            &0u64.to_be_bytes(),
            &before.to_be_bytes(),
            limit,
            true,
        )?
        .iter()
        .map(|(_, v)| crate::decode(v))
        .collect()
}

fn block_ops(ctx: &Context, number: u64) -> Result<BlockOps, ExplorerError> {
    match ctx.storage.side_get(BLOCK_OPS, &number.to_be_bytes())? {
        Some(v) => crate::decode(&v),
        None => Ok(BlockOps::new()),
    }
}

fn block_summary(b: &BlockRecord) -> Value {
    json!({ "number": b.number, "timestamp": b.timestamp, "txs": b.txs.len(), "priorityOps": b.priority_ops, "root": b.root })
}

/// The newest operations (L2 transactions and priority operations), newest first.
fn latest_ops(ctx: &Context, limit: usize) -> Result<Vec<Value>, ExplorerError> {
    let mut out = Vec::new();
    let mut before = u64::MAX;
    while out.len() < limit {
        // one block at a time: a block record lists all its transactions' hashes
        let blocks: Vec<BlockRecord> = newest(ctx, BLOCKS, before, 1)?;
        let Some(last) = blocks.last() else { break };
        before = last.number;
        for b in &blocks {
            for o in block_ops(ctx, b.number)?.iter().rev() {
                if out.len() == limit {
                    break;
                }
                let mut v = view::op(ctx, o)?;
                v["block"] = json!(b.number);
                v["timestamp"] = json!(b.timestamp);
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// The newest of batches `1..=last` at least `status` on L1, 0 if none: L1 moves batches in
/// order, so the status never increases with the number and a binary search finds it.
fn newest_at_least(ctx: &Context, last: u64, status: BatchStatus) -> Result<u64, ExplorerError> {
    let at_least = |n: u64| -> Result<bool, ExplorerError> {
        Ok(numbered::<BatchRecord>(ctx, BATCHES, Some(n))?.is_some_and(|b| b.status >= status))
    };
    let (mut lo, mut hi) = (0, last);
    // invariant: batches 1..=lo are at least `status`, batches above hi are not
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if at_least(mid)? {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo)
}

async fn overview(State(ctx): Ctx) -> Answer {
    let stats = StatsView::of(&crate::lock(&ctx.stats), crate::now_secs());
    let blocks: Vec<BlockRecord> = newest(&ctx, BLOCKS, u64::MAX, 10)?;
    let batches: Vec<BatchRecord> = newest(&ctx, BATCHES, u64::MAX, 10)?;
    let (counts, chain_id) = {
        let seq = lock(&ctx.seq);
        (
            json!({ "sealedBatches": seq.sealed_batches(), "openBlockOps": seq.open_len(), "openBatchOps": seq.batch_len() }),
            seq.state().config().chain_id.0,
        )
    };
    let last = newest::<BatchRecord>(&ctx, BATCHES, u64::MAX, 1)?
        .first()
        .map_or(0, |b| b.number);
    let progress = json!({
        "committed": newest_at_least(&ctx, last, BatchStatus::Committed)?,
        "proven": newest_at_least(&ctx, last, BatchStatus::Proven)?,
        "executed": newest_at_least(&ctx, last, BatchStatus::Executed)?,
    });
    Ok(axum::Json(json!({
        "chainId": chain_id,
        "rollup": ctx.config.l1.as_ref().map(|l| l.rollup.to_string()),
        "stats": stats,
        "counts": counts,
        "l1Progress": progress,
        "latestBlocks": blocks.iter().map(block_summary).collect::<Vec<_>>(),
        "latestBatches": batches.iter().map(view::batch).collect::<Vec<_>>(),
        "latestOps": latest_ops(&ctx, 10)?,
        "tvl": *crate::lock(&ctx.tvl),
    })))
}

async fn tvl(State(ctx): Ctx) -> Answer {
    let Some(l1) = ctx.config.l1.clone() else {
        return Err(ExplorerError::NotFound(
            "TVL: the node follows no L1".into(),
        ));
    };
    let report = crate::tvl::measure(&ctx, &l1).await?;
    Ok(axum::Json(serde_json::to_value(report).unwrap_or_default()))
}

#[derive(Debug, Deserialize)]
struct Since {
    since: Option<u64>,
    limit: Option<usize>,
}

async fn tvl_history(State(ctx): Ctx, Query(q): Query<Since>) -> Answer {
    let points = crate::tvl::history(
        &ctx,
        q.since.unwrap_or(0),
        q.limit.unwrap_or(1000).min(10_000),
    )?;
    Ok(axum::Json(json!({ "points": points })))
}

async fn blocks(State(ctx): Ctx, Query(p): Query<Page>) -> Answer {
    let list: Vec<BlockRecord> = newest(&ctx, BLOCKS, p.before_number()?, p.limit())?;
    Ok(axum::Json(
        json!({ "blocks": list.iter().map(block_summary).collect::<Vec<_>>() }),
    ))
}

async fn block(State(ctx): Ctx, Path(number): Path<String>) -> Answer {
    let n = parse_number(&number)?;
    let record: BlockRecord = match ctx.storage.side_get(BLOCKS, &n.to_be_bytes())? {
        Some(v) => crate::decode(&v)?,
        None => return Err(ExplorerError::NotFound(format!("block {n}"))),
    };
    Ok(axum::Json(view::block(
        &ctx,
        &record,
        &block_ops(&ctx, n)?,
    )?))
}

async fn batches(State(ctx): Ctx, Query(p): Query<Page>) -> Answer {
    let list: Vec<BatchRecord> = newest(&ctx, BATCHES, p.before_number()?, p.limit())?;
    Ok(axum::Json(
        json!({ "batches": list.iter().map(view::batch).collect::<Vec<_>>() }),
    ))
}

async fn batch(State(ctx): Ctx, Path(number): Path<String>) -> Answer {
    let n = parse_number(&number)?;
    let record: BatchRecord = match ctx.storage.side_get(BATCHES, &n.to_be_bytes())? {
        Some(v) => crate::decode(&v)?,
        None => return Err(ExplorerError::NotFound(format!("batch {n}"))),
    };
    let mut ops = Vec::new();
    for b in record.first_block..=record.last_block {
        for o in block_ops(&ctx, b)? {
            let mut v = view::op(&ctx, &o)?;
            v["block"] = json!(b);
            ops.push(v);
        }
    }
    let mut out = view::batch(&record);
    out["operations"] = json!(ops);
    let proof = lock(&ctx.seq).proof(n)?;
    out["proof"] = json!(proof.map(|p| json!({ "dex": p.dex, "commitment": p.commitment })));
    Ok(axum::Json(out))
}

/// A stored record by number (block or batch), `None` for `None` or a missing one.
fn numbered<T: serde::de::DeserializeOwned>(
    ctx: &Context,
    table: &'static str,
    n: Option<u64>,
) -> Result<Option<T>, ExplorerError> {
    let Some(n) = n else { return Ok(None) };
    ctx.storage
        .side_get(table, &n.to_be_bytes())?
        .map(|v| crate::decode(&v))
        .transpose()
}

fn block_record(ctx: &Context, n: Option<u64>) -> Result<Option<BlockRecord>, ExplorerError> {
    numbered(ctx, BLOCKS, n)
}

/// The applied operation of `hash` in block `n`.
fn find_op(
    ctx: &Context,
    n: Option<u64>,
    hash: &B256,
) -> Result<Option<zkr_node::records::AppliedOp>, ExplorerError> {
    let Some(n) = n else { return Ok(None) };
    let chain = lock(&ctx.seq).state().config().chain_id;
    Ok(block_ops(ctx, n)?.into_iter().find(|o| {
        o.hash.as_ref() == Some(hash)
            || matches!(&o.request, Some(zkr_state::OpRequest::Tx(tx)) if tx.hash(chain).ok().as_ref() == Some(hash))
    }))
}

/// What an L2 transaction and a priority operation share on their page: the decoded
/// operation and the timeline.
fn tx_common(
    ctx: &Context,
    h: &B256,
    status: zkr_node::records::TxStatus,
    received_at: Option<u64>,
    block: Option<u64>,
    batch: Option<u64>,
) -> Result<Value, ExplorerError> {
    let block_rec = block_record(ctx, block)?;
    let batch_rec: Option<BatchRecord> = numbered(ctx, BATCHES, batch.filter(|_| block.is_some()))?;
    let op = find_op(ctx, block, h)?
        .map(|o| view::op(ctx, &o))
        .transpose()?;
    Ok(json!({
        "hash": h,
        "status": status,
        "block": block,
        "batch": batch,
        "operation": op,
        "timeline": view::timeline(status, received_at, block_rec.as_ref(), batch_rec.as_ref()),
    }))
}

async fn tx(State(ctx): Ctx, Path(hash): Path<String>) -> Answer {
    let h = parse_hash(&hash)?;
    let (record, priority) = {
        let seq = lock(&ctx.seq);
        (seq.tx(&h)?, seq.priority_op(&h)?)
    };
    if let Some(r) = record {
        let mut v = tx_common(&ctx, &h, r.status, r.received_at, r.block, r.batch)?;
        v["kind"] = json!("l2");
        v["error"] = json!(r.error);
        v["receivedAt"] = json!(r.received_at);
        v["tx"] = json!(r.tx);
        return Ok(axum::Json(v));
    }
    if let Some(r) = priority {
        let mut v = tx_common(&ctx, &h, r.status, r.received_at, r.block, r.batch)?;
        v["kind"] = json!("priority");
        v["priorityIndex"] = json!(r.priority_index);
        v["request"] = json!(r.op);
        return Ok(axum::Json(v));
    }
    Err(ExplorerError::NotFound(format!("transaction {h}")))
}

/// An account's history page, newest first, with each operation decoded.
fn history_page(
    ctx: &Context,
    id: AccountId,
    before: Option<(u64, u32)>,
    limit: usize,
) -> Result<(Vec<Value>, Option<String>), ExplorerError> {
    let entries = history::page(&ctx.storage, id, before, limit)?;
    let mut out = Vec::new();
    let mut cache: Option<(u64, BlockOps, Option<BlockRecord>)> = None;
    for (block, position, entry) in &entries {
        if cache.as_ref().map(|c| c.0) != Some(*block) {
            cache = Some((
                *block,
                block_ops(ctx, *block)?,
                block_record(ctx, Some(*block))?,
            ));
        }
        let (_, ops, record) = cache.as_ref().expect("just set");
        let op = ops
            .get(*position as usize)
            .map(|o| view::op(ctx, o))
            .transpose()?;
        out.push(history_item(*block, *position, entry, op, record.as_ref()));
    }
    let next = (entries.len() == limit)
        .then(|| entries.last().map(|(b, p, _)| format!("{b}.{p}")))
        .flatten();
    Ok((out, next))
}

fn history_item(
    block: u64,
    position: u32,
    entry: &HistoryEntry,
    op: Option<Value>,
    record: Option<&BlockRecord>,
) -> Value {
    json!({
        "block": block,
        "position": position,
        "timestamp": record.map(|r| r.timestamp),
        "hash": entry.hash,
        "priority": entry.priority,
        "operation": op,
    })
}

fn parse_cursor(s: &str) -> Result<(u64, u32), ExplorerError> {
    let bad = || ExplorerError::BadRequest(format!("before={s}: expected block.position"));
    let (b, p) = s.split_once('.').ok_or_else(bad)?;
    Ok((b.parse().map_err(|_| bad())?, p.parse().map_err(|_| bad())?))
}

async fn account(State(ctx): Ctx, Path(address): Path<String>, Query(p): Query<Page>) -> Answer {
    let owner = parse_address(&address)?;
    let found = lock(&ctx.seq).account_of(&owner)?;
    let Some((id, a)) = found else {
        return Err(ExplorerError::NotFound(format!(
            "account {owner}: no L2 account (it has never received a deposit or a transfer)"
        )));
    };
    let before = p.before.as_deref().map(parse_cursor).transpose()?;
    let (items, next) = history_page(&ctx, id, before, p.limit())?;
    let pools = lock(&ctx.seq).state().pools()?;
    let balances: Vec<Value> = a
        .balances()
        .map(|(t, b)| {
            let pool = pools.iter().find(|p| p.lp_token() == t);
            json!({
                "token": t.0,
                "amount": b.to_string(),
                "lpOf": pool.map(|p| json!({ "pool": p.id.0, "tokenA": p.token_a.0, "tokenB": p.token_b.0 })),
            })
        })
        .collect();
    Ok(axum::Json(json!({
        "address": owner.to_string(),
        "id": id.0,
        "nonce": a.nonce.0,
        "keyRegistered": a.pubkey_hash != zkr_types::Fr::from(0u64),
        "balances": balances,
        "history": items,
        "next": next,
    })))
}

async fn account_csv(
    State(ctx): Ctx,
    Path(address): Path<String>,
) -> Result<impl IntoResponse, ExplorerError> {
    let owner = parse_address(&address)?;
    let found = lock(&ctx.seq).account_of(&owner)?;
    let Some((id, _)) = found else {
        return Err(ExplorerError::NotFound(format!("account {owner}")));
    };
    let mut csv =
        String::from("block,position,timestamp,hash,type,from,to,token,amount,fee_token,fee\n");
    let mut before = None;
    loop {
        let (items, next) = history_page(&ctx, id, before, MAX_PAGE)?;
        for i in &items {
            let op = &i["operation"];
            let s = |v: &Value| match v {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{}\n",
                i["block"],
                i["position"],
                s(&i["timestamp"]),
                s(&i["hash"]),
                s(&op["type"]),
                s(&op["from"]["address"]),
                s(op["to"]["address"]
                    .as_str()
                    .map_or(&op["toL1"], |_| &op["to"]["address"])),
                s(&op["token"]),
                s(&op["amount"]),
                s(&op["fee"]["token"]),
                s(&op["fee"]["amount"]),
            ));
        }
        match next {
            Some(n) => before = Some(parse_cursor(&n)?),
            None => break,
        }
    }
    let name = format!("attachment; filename=\"zkr-{owner}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        csv,
    ))
}

async fn tokens(State(ctx): Ctx) -> Answer {
    let tokens = lock(&ctx.seq).tokens()?;
    let tvl = crate::lock(&ctx.tvl).clone();
    let list: Vec<Value> = tokens
        .iter()
        .map(|t| {
            let locked = tvl
                .as_ref()
                .and_then(|r| r.tokens.iter().find(|x| x.id == t.id))
                .map(|x| x.held.clone());
            json!({ "id": t.id, "symbol": t.symbol, "decimals": t.decimals, "address": t.address, "locked": locked })
        })
        .collect();
    Ok(axum::Json(json!({ "tokens": list })))
}

async fn pools(State(ctx): Ctx) -> Answer {
    let pools = lock(&ctx.seq).state().pools()?;
    let volume = crate::lock(&ctx.stats).pool_volume.clone();
    let list: Vec<Value> = pools
        .iter()
        .map(|p| {
            let mut v = zkr_node::rpc::pool_json(p);
            let [a, b] = volume.get(&p.id.0).copied().unwrap_or_default();
            v["volumeA"] = json!(a.to_string());
            v["volumeB"] = json!(b.to_string());
            v
        })
        .collect();
    Ok(axum::Json(json!({ "pools": list })))
}

#[derive(Debug, Deserialize)]
struct Q {
    q: Option<String>,
}

/// What a search string names: `{"results": [{"kind": "tx"|"block"|"batch"|"account", "id":
/// ...}], "message"}` (a number can be both a block and a batch: the block first). No match is
/// an empty list with a message, not an error.
async fn search(State(ctx): Ctx, Query(q): Query<Q>) -> Answer {
    let q = q.q.unwrap_or_default();
    let q = q.trim();
    let mut found = Vec::new();
    if let Ok(n) = q.parse::<u64>() {
        if ctx.storage.side_get(BLOCKS, &n.to_be_bytes())?.is_some() {
            found.push(json!({ "kind": "block", "id": n.to_string() }));
        }
        if ctx.storage.side_get(BATCHES, &n.to_be_bytes())?.is_some() {
            found.push(json!({ "kind": "batch", "id": n.to_string() }));
        }
    } else if let Ok(h) = q.parse::<B256>() {
        let seq = lock(&ctx.seq);
        if seq.tx(&h)?.is_some() || seq.priority_op(&h)?.is_some() {
            found.push(json!({ "kind": "tx", "id": h }));
        }
    } else if let Ok(a) = q.parse::<Address>()
        && lock(&ctx.seq).account_of(&a)?.is_some()
    {
        found.push(json!({ "kind": "account", "id": a.to_string() }));
    }
    let message = found.is_empty().then(|| format!(
        "nothing matches \"{q}\" (a transaction or L1 deposit hash, an address, a block or batch number)"
    ));
    Ok(axum::Json(json!({ "results": found, "message": message })))
}
