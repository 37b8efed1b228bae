//! The DEX over JSON-RPC on a node that takes DEX transactions (`accept_dex`; this node proves
//! nothing, the devnet test proves them end to end): `zkr_getPools`,
//! `zkr_getPool`, `zkr_quoteSwap`, swaps through `zkr_sendTx` with their error codes.

mod common;

use common::*;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use serde_json::Value;
use zkr_node::error::codes;
use zkr_node::records::TokenInfo;
use zkr_node::{Node, NodeConfig, SequencerConfig};
use zkr_state::fixtures::User;
use zkr_types::amm::swap_out;

const E18: u128 = 1_000_000_000_000_000_000;

#[tokio::test]
async fn pools_quotes_and_swaps_over_rpc() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(NodeConfig {
        sequencer: SequencerConfig {
            accept_dex: true,
            ..SequencerConfig::free(8)
        },
        ..common::node_config(dir.path())
    })
    .await
    .unwrap();
    let (a, b) = (User::new(1), User::new(2));
    {
        let mut seq = node.sequencer.lock().unwrap();
        seq.register_token(TokenInfo {
            id: 1,
            address: alloy_primitives::Address::repeat_byte(0xde),
            symbol: "DEV".into(),
            decimals: 18,
        })
        .unwrap();
        for (i, r) in [
            a.deposit(0, 1000 * E18),
            a.deposit(1, 1000 * E18),
            b.deposit(0, 1000 * E18),
        ]
        .into_iter()
        .enumerate()
        {
            seq.submit_priority(i as u64, r, None).unwrap();
        }
        for r in [
            a.change_pubkey(0, 0, 0, 0),
            b.change_pubkey(1, 0, 0, 0),
            a.create_pool(0, (0, 1), 0, 1),
            a.add_liquidity(0, 0, (0, 1), (100 * E18, 400 * E18), 0, 0, 2),
        ] {
            seq.submit(tx_of(r)).unwrap();
        }
    }
    let client = HttpClientBuilder::default()
        .build(format!("http://{}", node.http_addr))
        .unwrap();

    let pools: Value = client.request("zkr_getPools", rpc_params![]).await.unwrap();
    assert_eq!(pools.as_array().unwrap().len(), 1, "{pools}");
    let pool: Value = client
        .request("zkr_getPool", rpc_params!["DEV", "ETH"])
        .await
        .unwrap();
    assert_eq!(pool["tokenA"], 0);
    assert_eq!(pool["reserveB"], (400 * E18).to_string());
    assert_eq!(pool["lpToken"], 128);
    assert_eq!(pool["lpSupply"], (200 * E18).to_string());
    assert_eq!(pool["feeBps"], 30);

    // the quote is the swap the node then executes
    let quote: Value = client
        .request("zkr_quoteSwap", rpc_params!["ETH", "DEV", E18.to_string()])
        .await
        .unwrap();
    let out = swap_out(E18, 100 * E18, 400 * E18).unwrap();
    assert_eq!(quote["amountOut"], out.to_string());
    assert_eq!(quote["lpFee"], (3 * E18 / 1000).to_string());
    let impact = quote["priceImpactBps"].as_u64().unwrap();
    assert!(
        (30..=130).contains(&impact),
        "0.3 % fee and 1 % of the reserve: {impact}"
    );

    // slippage: a minimum above the quote is refused with its code, and nothing changes
    let min_too_high = zkr_types::float::round_down_amount(out) + 10u128.pow(12);
    let err = client
        .request::<String, _>(
            "zkr_sendTx",
            rpc_params![tx_of(b.swap(1, 0, 0, 1, E18, min_too_high, 0, 1))],
        )
        .await
        .unwrap_err();
    assert_eq!(code(err), codes::SLIPPAGE);
    let hash: String = client
        .request(
            "zkr_sendTx",
            rpc_params![tx_of(b.swap(
                1,
                0,
                0,
                1,
                E18,
                zkr_types::float::round_down_amount(out),
                0,
                1
            ))],
        )
        .await
        .unwrap();
    assert!(hash.starts_with("0x"));
    let acc: Value = client
        .request("zkr_getAccount", rpc_params![b.address()])
        .await
        .unwrap();
    assert_eq!(acc["balances"]["1"], out.to_string());

    // no pool of the pair, a pair with itself, an unknown token
    let err = client
        .request::<Value, _>("zkr_quoteSwap", rpc_params!["ETH", "ETH", "1"])
        .await
        .unwrap_err();
    assert_eq!(code(err), codes::NO_SUCH_POOL);
    let err = client
        .request::<Value, _>("zkr_quoteSwap", rpc_params!["ETH", "XYZ", "1"])
        .await
        .unwrap_err();
    assert_eq!(code(err), codes::UNKNOWN_TOKEN);
    let err = client
        .request::<String, _>(
            "zkr_sendTx",
            rpc_params![tx_of(b.create_pool(1, (0, 1), 0, 2))],
        )
        .await
        .unwrap_err();
    assert_eq!(code(err), codes::POOL_EXISTS);
    node.stop().await;
}
