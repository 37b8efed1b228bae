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

/// A node without L1 or prover on `dir`: fee-free 8-slot batches, 50 ms blocks, batches sealed
/// only when full, the RPC on a free port.
pub fn node_config(dir: &std::path::Path) -> zkr_node::NodeConfig {
    zkr_node::NodeConfig {
        data_dir: dir.to_path_buf(),
        http_addr: "127.0.0.1:0".parse().unwrap(),
        block_time: std::time::Duration::from_millis(50),
        batch_timeout: std::time::Duration::from_secs(3600),
        chain: zkr_state::fixtures::config(),
        sequencer: zkr_node::SequencerConfig::free(8),
        l1: None,
        keys_dir: None,
        sender_rate_limit: None,
        metrics_addr: None,
    }
}
