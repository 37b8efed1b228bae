//! The operator's transaction sender on a real anvil that does not mine on its own: a
//! transaction left unmined gets replaced with higher fees, the receipt of whichever attempt is
//! mined comes back, and exactly one transaction per nonce lands.

mod common;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use common::{Anvil, DEV_KEY};
use std::time::Duration;
use zkr_l1::sender::{Sender, SenderConfig};

#[tokio::test]
async fn an_unmined_transaction_is_bumped_and_its_replacement_confirmed() {
    let (_anvil, provider) = Anvil::start(&["--no-mining"]).await;
    let from = DEV_KEY.parse::<PrivateKeySigner>().unwrap().address();
    let config = SenderConfig {
        receipt_timeout: Duration::from_millis(700),
        max_bumps: 8,
        in_flight_timeout: Duration::from_secs(30),
    };
    let sender = Sender::new(provider.clone(), from, config);
    let to = Address::repeat_byte(0x11);
    let first_fee = provider
        .estimate_eip1559_fees()
        .await
        .unwrap()
        .max_fee_per_gas;

    let tx = TransactionRequest::default()
        .with_to(to)
        .with_value(U256::from(12345u64));
    let task = tokio::spawn({
        let sender = sender.clone();
        async move { sender.send(tx).await }
    });
    // Let at least two receipt timeouts pass (two bumps), then mine one block.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert!(!task.is_finished(), "nothing is mined yet");
    let _: serde_json::Value = provider.raw_request("evm_mine".into(), ()).await.unwrap();
    let receipt = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the sender returns once a block is mined")
        .unwrap()
        .expect("a receipt");
    assert!(receipt.status());

    let mined = provider
        .get_transaction_by_hash(receipt.transaction_hash)
        .await
        .unwrap()
        .expect("the mined transaction");
    let fee = alloy::consensus::Transaction::max_fee_per_gas(&mined);
    assert!(
        fee > first_fee,
        "the mined attempt is a replacement with a higher max fee ({fee} > {first_fee})"
    );
    assert_eq!(provider.get_transaction_count(from).await.unwrap(), 1);
    assert_eq!(
        provider.get_balance(to).await.unwrap(),
        U256::from(12345u64)
    );
    // Nothing of the operator's is left pending.
    assert_eq!(sender.settled_nonce().await.unwrap(), 1);
}
