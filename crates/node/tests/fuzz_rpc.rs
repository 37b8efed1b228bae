//! Fuzzing the JSON-RPC parameter decoding (proptest): every method, called in process with
//! random JSON parameters and with mutated valid transactions, answers with a JSON-RPC result
//! or error and never panics. `ZKR_FUZZ_CASES` sets the cases (default 2,000).

mod common;

use common::tx_of;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};
use zkr_node::limits::SenderLimiter;
use zkr_node::rpc::{RpcContext, module};
use zkr_node::{Sequencer, SequencerConfig};
use zkr_state::fixtures::{User, config};
use zkr_state::storage::MemoryStorage;

const METHODS: &[&str] = &[
    "zkr_sendTx",
    "zkr_getAccount",
    "zkr_getTx",
    "zkr_getBlock",
    "zkr_getBatch",
    "zkr_blockNumber",
    "zkr_getFeeQuote",
    "zkr_getTokens",
    "zkr_getContracts",
    "zkr_getPools",
    "zkr_getPool",
    "zkr_quoteSwap",
    "zkr_status",
];

fn cases() -> u32 {
    std::env::var("ZKR_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

struct Fixture {
    rpc: jsonrpsee::RpcModule<RpcContext<MemoryStorage>>,
    rt: tokio::runtime::Runtime,
    valid_tx: Value,
}

/// A node's RPC over a sequencer with one funded account whose key is registered, and a valid
/// transfer of it to mutate.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut seq =
            Sequencer::open(MemoryStorage::new(), config(), SequencerConfig::free(8)).unwrap();
        let (a, b) = (User::new(1), User::new(2));
        seq.submit_priority(0, a.deposit(0, 1 << 60), None).unwrap();
        seq.submit(tx_of(a.change_pubkey(0, 0, 0, 0))).unwrap();
        seq.seal_block(1_000).unwrap();
        let valid_tx =
            serde_json::to_value(tx_of(a.transfer(0, b.address(), 0, 1000, 0, 1))).unwrap();
        let rpc = module(
            Arc::new(Mutex::new(seq)),
            None,
            Arc::new(AtomicBool::new(false)),
            SenderLimiter::new(None),
            Arc::new(zkr_node::metrics::Metrics::new()),
            Default::default(),
        )
        .unwrap();
        Fixture {
            rpc,
            rt: tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
            valid_tx,
        }
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|v| json!(v)),
        any::<u64>().prop_map(|v| json!(v)),
        any::<f64>().prop_map(|v| json!(v)),
        ".{0,40}".prop_map(Value::String),
        "0x[0-9a-f]{0,70}".prop_map(Value::String),
        "[0-9]{1,90}".prop_map(Value::String),
        prop_oneof![Just("ETH"), Just("DEV"), Just("Transfer"), Just("Swap")]
            .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::hash_map("[a-zA-Z]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The valid transfer with one field replaced (or removed).
fn mutated_tx() -> impl Strategy<Value = Value> {
    (0usize..16, proptest::option::of(json_value())).prop_map(|(i, v)| {
        let mut tx = fixture().valid_tx.clone();
        let obj = tx.as_object_mut().unwrap();
        let key = obj.keys().nth(i % obj.len()).unwrap().clone();
        match v {
            Some(v) => obj.insert(key, v),
            None => obj.remove(&key),
        };
        tx
    })
}

fn call(method: &str, params: Value) -> Result<(), TestCaseError> {
    let f = fixture();
    let request = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let (response, _) =
        f.rt.block_on(f.rpc.raw_json_request(&request.to_string(), 1))
            .map_err(|e| TestCaseError::fail(format!("{method}: not a response: {e}")))?;
    let v: Value = serde_json::from_str(response.get())
        .map_err(|e| TestCaseError::fail(format!("{method}: response is not JSON: {e}")))?;
    prop_assert!(
        v.get("result").is_some() || v["error"]["code"].is_i64(),
        "{} answered {}",
        method,
        v
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn every_method_answers_random_params(m in 0..METHODS.len(), params in json_value()) {
        call(METHODS[m], params)?;
    }

    #[test]
    fn every_method_answers_random_positional_params(
        m in 0..METHODS.len(),
        params in proptest::collection::vec(json_value(), 0..4),
    ) {
        call(METHODS[m], Value::Array(params))?;
    }

    #[test]
    fn send_tx_answers_mutated_transactions(tx in mutated_tx()) {
        call("zkr_sendTx", json!([tx]))?;
    }
}
