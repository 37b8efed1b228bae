//! `/metrics`: scraped over HTTP and parsed as the Prometheus text format; the counters move
//! with what the node did (an accepted transaction, a refused one by its code, sealed blocks).

mod common;

use common::tx_of;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::time::Duration;
use zkr_node::pipeline::lock;
use zkr_node::{Node, NodeConfig};
use zkr_state::fixtures::User;

/// GET http://addr/metrics: (content type, body).
fn scrape(addr: std::net::SocketAddr) -> (String, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let ctype = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .unwrap();
    (ctype, body.to_string())
}

/// Parses the text format: every sample `name{labels} value`, every family described by a
/// `# TYPE` and a `# HELP` line before its samples. Returns samples by `name{labels}`.
fn parse(body: &str) -> HashMap<String, f64> {
    let mut typed = Vec::new();
    let mut helped = Vec::new();
    let mut samples = HashMap::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            typed.push(rest.split(' ').next().unwrap().to_string());
        } else if let Some(rest) = line.strip_prefix("# HELP ") {
            helped.push(rest.split(' ').next().unwrap().to_string());
        } else if line == "# EOF" {
            continue;
        } else {
            let (key, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("sample {line:?}"));
            let name = key.split('{').next().unwrap();
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
                "metric name {name:?}"
            );
            assert!(
                typed.iter().any(|f| name.starts_with(f.as_str())),
                "{name} has no # TYPE"
            );
            assert!(
                helped.iter().any(|f| name.starts_with(f.as_str())),
                "{name} has no # HELP"
            );
            let v: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("value of {line:?}"));
            samples.insert(key.to_string(), v);
        }
    }
    assert!(
        body.trim_end().ends_with("# EOF"),
        "OpenMetrics ends with # EOF"
    );
    samples
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_served_parsed_and_follow_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(NodeConfig {
        metrics_addr: Some("127.0.0.1:0".parse().unwrap()),
        ..common::node_config(dir.path())
    })
    .await
    .unwrap();
    let addr = node.metrics_addr.expect("metrics served");
    let (ctype, body) = scrape(addr);
    assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
    let before = parse(&body);
    for family in [
        "zkr_txs_accepted_total",
        "zkr_mempool_size",
        "zkr_proving_seconds_count",
        "zkr_batches_sealed",
        "zkr_l1_gas_total",
        "zkr_l1_fees_wei_total",
        "zkr_watcher_lag_blocks",
    ] {
        assert!(before.contains_key(family), "{family} in:\n{body}");
    }

    let (a, b) = (User::new(1), User::new(2));
    {
        let mut seq = lock(&node.sequencer);
        seq.submit_priority(0, a.deposit(0, 1_000_000), None)
            .unwrap();
        seq.submit(tx_of(a.change_pubkey(0, 0, 0, 0))).unwrap();
    }
    let client = HttpClientBuilder::default()
        .build(format!("http://{}", node.http_addr))
        .unwrap();
    let ok: String = client
        .request(
            "zkr_sendTx",
            rpc_params![tx_of(a.transfer(0, b.address(), 0, 10, 0, 1))],
        )
        .await
        .unwrap();
    assert!(ok.starts_with("0x"));
    let stale = client
        .request::<String, _>(
            "zkr_sendTx",
            rpc_params![tx_of(a.transfer(0, b.address(), 0, 10, 0, 0))],
        )
        .await;
    assert!(stale.is_err());
    tokio::time::sleep(Duration::from_millis(300)).await;

    let after = parse(&scrape(addr).1);
    assert_eq!(after["zkr_txs_accepted_total"], 1.0);
    assert_eq!(after[r#"zkr_txs_rejected_total{code="1002"}"#], 1.0);
    assert!(after[r#"zkr_seal_seconds_count{kind="block"}"#] >= 1.0);
    // The transfer's entry, then its block, each written by the single writer.
    assert!(after[r#"zkr_storage_write_seconds_count{kind="mempool"}"#] >= 1.0);
    assert!(after[r#"zkr_storage_write_seconds_count{kind="block"}"#] >= 1.0);
    assert_eq!(after["zkr_mempool_size"], 0.0, "everything sealed");
    node.stop().await;
}
