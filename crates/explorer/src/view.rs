//! JSON views of the node's records for the API: operations with their parties resolved to
//! addresses, transactions with their timeline.

use crate::stats::op_name;
use crate::{Context, ExplorerError};
use alloy_primitives::{Address, B256};
use serde_json::{Value, json};
use zkr_node::records::{AppliedOp, BatchRecord, BlockRecord, L1Step, TxStatus};
use zkr_state::OpRequest;
use zkr_state::storage::Storage;
use zkr_types::AccountId;
use zkr_types::op::{Op, parse_pubdata};
use zkr_types::tx::L2Tx;

/// An account id with its L1 owner (zero for a pool or an unknown id).
pub fn account(ctx: &Context, id: AccountId) -> Result<Value, ExplorerError> {
    let owner = ctx
        .storage
        .account(id)?
        .map(|a| a.owner)
        .unwrap_or(Address::ZERO);
    let pool = zkr_types::dex::PoolId::of_account(id).map(|p| p.0);
    // Display is the EIP-55 checksummed form, as wallets and Etherscan show it
    Ok(json!({ "id": id.0, "address": owner.to_string(), "pool": pool }))
}

/// The decoded operation of an applied op, `None` for a Noop.
pub fn parsed(op: &AppliedOp) -> Result<Option<Op>, ExplorerError> {
    Ok(parse_pubdata(&op.pubdata)
        .map_err(|e| ExplorerError::Corrupt(e.to_string()))?
        .into_iter()
        .next())
}

/// An operation: type, parties, token, amount and fee (decimal strings in the token's smallest
/// unit), and the operation itself.
pub fn op(ctx: &Context, applied: &AppliedOp) -> Result<Value, ExplorerError> {
    let Some(op) = parsed(applied)? else {
        return Ok(json!({ "type": "Noop" }));
    };
    let (from, to, to_l1, token, amount) = match &op {
        Op::Noop => (None, None, None, None, None),
        Op::Deposit(d) => (
            None,
            Some(d.account_id),
            None,
            Some(d.token),
            Some(d.amount),
        ),
        Op::ChangePubKey(c) => (Some(c.account_id), None, None, None, None),
        Op::Transfer(t) => (
            Some(t.from),
            Some(t.to_id),
            None,
            Some(t.token),
            Some(t.amount),
        ),
        Op::TransferToNew(t) => (
            Some(t.from),
            Some(t.to_id),
            None,
            Some(t.token),
            Some(t.amount),
        ),
        Op::Withdraw(w) => (
            Some(w.account_id),
            None,
            Some(w.to),
            Some(w.token),
            Some(w.amount),
        ),
        Op::FullExit(f) => (
            Some(f.account_id),
            None,
            Some(f.owner),
            Some(f.token),
            Some(f.amount),
        ),
        Op::Swap(s) => {
            let sell = match &applied.request {
                Some(OpRequest::Tx(L2Tx::Swap(t))) => Some(t.sell),
                _ => None,
            };
            (
                Some(s.account_id),
                Some(s.pool.account_id()),
                None,
                sell,
                Some(s.amount_in),
            )
        }
        Op::AddLiquidity(a) => (
            Some(a.account_id),
            Some(a.pool.account_id()),
            None,
            None,
            None,
        ),
        Op::RemoveLiquidity(r) => (
            Some(r.account_id),
            Some(r.pool.account_id()),
            None,
            Some(r.pool.lp_token()),
            Some(r.shares),
        ),
        Op::CreatePool(c) => (
            Some(c.account_id),
            Some(c.pool.account_id()),
            None,
            None,
            None,
        ),
    };
    let fee = match &applied.request {
        Some(OpRequest::Tx(tx)) => {
            let (t, f) = tx.fee();
            Some(json!({ "token": t.0, "amount": f.0.to_string() }))
        }
        _ => None,
    };
    Ok(json!({
        "type": op_name(&op),
        "priority": op.is_priority(),
        "from": from.map(|id| account(ctx, id)).transpose()?,
        "to": to.map(|id| account(ctx, id)).transpose()?,
        "toL1": to_l1.map(|a| a.to_string()),
        "token": token.map(|t| t.0),
        "amount": amount.map(|a| a.0.to_string()),
        "fee": fee,
        "hash": applied.hash,
        "op": op,
    }))
}

/// A block with its operations.
pub fn block(
    ctx: &Context,
    record: &BlockRecord,
    ops: &[AppliedOp],
) -> Result<Value, ExplorerError> {
    let ops: Vec<Value> = ops.iter().map(|o| op(ctx, o)).collect::<Result<_, _>>()?;
    Ok(json!({
        "number": record.number,
        "root": record.root,
        "timestamp": record.timestamp,
        "txs": record.txs.len(),
        "priorityOps": record.priority_ops,
        "ops": ops,
    }))
}

fn step(s: &Option<L1Step>, tx: &Option<B256>) -> Value {
    json!({
        "tx": s.map(|s| s.tx).or(*tx),
        "gas": s.map(|s| s.gas),
        "at": s.map(|s| s.at),
    })
}

/// A batch's summary: status and its L1 transactions with gas and times.
pub fn batch(record: &BatchRecord) -> Value {
    json!({
        "number": record.number,
        "firstBlock": record.first_block,
        "lastBlock": record.last_block,
        "ops": record.ops,
        "root": record.root,
        "feeAccount": record.fee_account,
        "sealedAt": record.sealed_at,
        "status": record.status,
        "commit": step(&record.l1.commit, &record.commit_tx),
        "prove": step(&record.l1.prove, &record.prove_tx),
        "execute": step(&record.l1.execute, &record.execute_tx),
    })
}

/// A transaction's way: pending (accepted) -> included -> committed -> proven -> executed, each
/// step with its time where the node knows it (records from before `received_at` have no
/// pending time).
pub fn timeline(
    status: TxStatus,
    received_at: Option<u64>,
    block: Option<&BlockRecord>,
    batch: Option<&BatchRecord>,
) -> Value {
    let reached = |s: TxStatus| status != TxStatus::Rejected && rank(status) >= rank(s);
    let at = |s: &Option<L1Step>| s.map(|s| s.at);
    json!([
        { "step": "pending", "done": status != TxStatus::Rejected, "at": received_at },
        { "step": "included", "done": reached(TxStatus::Included), "at": block.map(|b| b.timestamp), "block": block.map(|b| b.number) },
        { "step": "committed", "done": reached(TxStatus::Committed), "at": batch.and_then(|b| at(&b.l1.commit)), "tx": batch.and_then(|b| b.commit_tx) },
        { "step": "proven", "done": reached(TxStatus::Proven), "at": batch.and_then(|b| at(&b.l1.prove)), "tx": batch.and_then(|b| b.prove_tx) },
        { "step": "executed", "done": reached(TxStatus::Executed), "at": batch.and_then(|b| at(&b.l1.execute)), "tx": batch.and_then(|b| b.execute_tx) },
    ])
}

fn rank(s: TxStatus) -> u8 {
    match s {
        TxStatus::Rejected => 0,
        TxStatus::Pending => 1,
        TxStatus::Included => 2,
        TxStatus::Committed => 3,
        TxStatus::Proven => 4,
        TxStatus::Executed => 5,
    }
}
