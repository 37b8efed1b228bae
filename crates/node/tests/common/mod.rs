//! Helpers shared by the node's integration tests.
#![allow(dead_code)]

use jsonrpsee::core::client::Error as ClientError;
use zkr_state::OpRequest;
use zkr_types::tx::L2Tx;

/// The transaction inside a request (panics on a priority operation).
pub fn tx_of(r: OpRequest) -> L2Tx {
    match r {
        OpRequest::Tx(t) => t,
        other => panic!("not a transaction: {other:?}"),
    }
}

/// The JSON-RPC error code of a failed call.
pub fn code(e: ClientError) -> i32 {
    match e {
        ClientError::Call(obj) => obj.code(),
        other => panic!("expected a JSON-RPC error, got {other}"),
    }
}
