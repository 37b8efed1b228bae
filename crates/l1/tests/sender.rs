//! The operator's transaction sender on a real anvil that does not mine on its own: a
//! transaction left unmined gets replaced with higher fees, the receipt of whichever attempt is
//! mined comes back, and exactly one transaction per nonce lands; fees rise to the configured
//! ceiling (to within the 10 % a replacement needs) and no further, and the sender keeps
//! waiting there; a sender started after another
//! was killed finds that one's pending transaction and replaces it.

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use std::time::Duration;
use zkr_l1::anvil::{Anvil, DEV_KEY};
use zkr_l1::sender::{Sender, SenderConfig};

#[tokio::test]
async fn an_unmined_transaction_is_bumped_and_its_replacement_confirmed() {
    let (_anvil, provider) = Anvil::start(&["--no-mining"]).await;
    let from = DEV_KEY.parse::<PrivateKeySigner>().unwrap().address();
    let config = SenderConfig {
        receipt_timeout: Duration::from_millis(700),
        max_fee_per_gas: u128::MAX,
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
    let fee = mine_one(&provider, task).await;
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

/// Mines a block, checks the sender's `task` comes back with a successful receipt, and returns
/// the max fee of the transaction mined.
async fn mine_one(
    provider: &alloy::providers::DynProvider,
    task: tokio::task::JoinHandle<Result<alloy::rpc::types::TransactionReceipt, zkr_l1::L1Error>>,
) -> u128 {
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
    alloy::consensus::Transaction::max_fee_per_gas(&mined)
}

/// The max fee of the operator's transaction pending at `nonce`.
async fn pending_fee(sender: &Sender, nonce: u64) -> u128 {
    sender
        .find_pending(nonce)
        .await
        .unwrap()
        .expect("a pending transaction")
        .max_fee_per_gas
}

#[tokio::test]
async fn fees_rise_to_the_ceiling_and_the_sender_waits_there_without_giving_up() {
    let (_anvil, provider) = Anvil::start(&["--no-mining"]).await;
    let from = DEV_KEY.parse::<PrivateKeySigner>().unwrap().address();
    let first_fee = provider
        .estimate_eip1559_fees()
        .await
        .unwrap()
        .max_fee_per_gas;
    let ceiling = first_fee * 2;
    let config = SenderConfig {
        receipt_timeout: Duration::from_millis(150),
        max_fee_per_gas: ceiling,
        in_flight_timeout: Duration::from_secs(30),
    };
    let sender = Sender::new(provider.clone(), from, config);
    let to = Address::repeat_byte(0x22);
    let tx = TransactionRequest::default()
        .with_to(to)
        .with_value(U256::from(7u64));
    let task = tokio::spawn({
        let sender = sender.clone();
        async move { sender.send(tx).await }
    });
    // Four bumps of 25 % pass the ceiling (1.25^4 > 2); wait for more than twelve timeouts,
    // over twice the five bumps after which the sender used to give up.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert!(
        !task.is_finished(),
        "the sender is still waiting: {:?}",
        task.await
    );
    // Never past the ceiling, and as close as a replacement can go: nodes take one only
    // with fees 10 % higher.
    let fee = pending_fee(&sender, 0).await;
    assert!(
        fee <= ceiling && fee + fee / 10 >= ceiling,
        "the pending transaction pays {fee}, the ceiling is {ceiling}"
    );
    assert_eq!(
        mine_one(&provider, task).await,
        fee,
        "the attempt at the ceiling is mined"
    );
    assert_eq!(provider.get_balance(to).await.unwrap(), U256::from(7u64));
}

#[tokio::test]
async fn a_restarted_sender_replaces_the_pending_transaction_of_the_killed_one() {
    let (_anvil, provider) = Anvil::start(&["--no-mining"]).await;
    let from = DEV_KEY.parse::<PrivateKeySigner>().unwrap().address();
    let config = SenderConfig {
        receipt_timeout: Duration::from_secs(60),
        max_fee_per_gas: u128::MAX,
        // Far longer than the test: waiting on the old transaction would time the test out.
        in_flight_timeout: Duration::from_secs(3_600),
    };
    // Both to one contract (the node's are all to the rollup), with other values.
    let to = Address::repeat_byte(0x33);
    let killed = Sender::new(provider.clone(), from, config);
    let task = tokio::spawn(async move {
        let tx = TransactionRequest::default()
            .with_to(to)
            .with_value(U256::from(1u64));
        killed.send(tx).await
    });
    let restarted = Sender::new(provider.clone(), from, config);
    for i in 0.. {
        if restarted.find_pending(0).await.unwrap().is_some() {
            break;
        }
        assert!(
            i < 100,
            "the first sender's transaction never reached the pool"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
    let old = restarted.find_pending(0).await.unwrap().unwrap();

    let task = tokio::spawn(async move {
        let tx = TransactionRequest::default()
            .with_to(to)
            .with_value(U256::from(2u64));
        restarted.send(tx).await
    });
    for i in 0.. {
        let now = Sender::new(provider.clone(), from, config)
            .find_pending(0)
            .await
            .unwrap()
            .unwrap();
        if now.hash != old.hash {
            assert!(now.max_fee_per_gas > old.max_fee_per_gas);
            assert!(now.max_priority_fee_per_gas > old.max_priority_fee_per_gas);
            break;
        }
        assert!(
            i < 100,
            "the restarted sender did not replace the pending transaction"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    mine_one(&provider, task).await;
    assert_eq!(provider.get_transaction_count(from).await.unwrap(), 1);
    assert_eq!(
        provider.get_balance(to).await.unwrap(),
        U256::from(2u64),
        "the restarted sender's transaction was mined, the stale one never"
    );
}
