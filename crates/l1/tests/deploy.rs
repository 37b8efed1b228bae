//! The bindings against the real contracts on a real anvil (from the pinned npm package):
//! deployment, a deposit and its events, the views.

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use std::process::Command;
use zkr_l1::bindings::ZkrRollup;
use zkr_l1::deploy::{RollupParams, deploy};

use zkr_l1::anvil::{Anvil, DEV_KEY, repo};

#[tokio::test]
async fn deploys_the_contracts_and_takes_a_deposit_on_anvil() {
    let forge = Command::new(repo().join("scripts/forge"))
        .arg("build")
        .output()
        .expect("scripts/forge (run npm ci)");
    assert!(
        forge.status.success(),
        "forge build failed: {}",
        String::from_utf8_lossy(&forge.stderr)
    );
    let (_anvil, provider) = Anvil::start(&[]).await;
    let from = DEV_KEY.parse::<PrivateKeySigner>().unwrap().address();

    let genesis = U256::from_be_bytes(zkr_crypto::field::fr_to_be_bytes(
        &zkr_state::tree::defaults::genesis_root(),
    ));
    let params = RollupParams {
        operator: from,
        chain_id: 270,
        priority_deadline: 3600,
        priority_fee: 1_000_000_000_000,
        genesis_root: genesis,
    };
    let d = deploy(&provider, from, &repo().join("contracts"), params)
        .await
        .unwrap();
    let rollup = ZkrRollup::new(d.rollup, &provider);
    assert_eq!(rollup.totalBatchesCommitted().call().await.unwrap(), 0);
    assert!(!rollup.exodusMode().call().await.unwrap());
    assert_eq!(rollup.lastExecutedRoot().call().await.unwrap(), genesis);
    assert_eq!(rollup.totalTokens().call().await.unwrap(), U256::from(1));
    assert_eq!(
        rollup.priorityFee().call().await.unwrap(),
        1_000_000_000_000
    );
    assert!(
        rollup.insecureDevVerifier().call().await.unwrap(),
        "the committed verifier has the public dev keys, and the rollup says so"
    );

    let to = Address::repeat_byte(0x42);
    let receipt = rollup
        .depositETH(to)
        .value(U256::from(10u64.pow(18) + 1_000_000_000_000))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let deposit = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| l.log_decode::<ZkrRollup::DepositRequested>().ok())
        .expect("a DepositRequested event");
    assert_eq!(deposit.inner.data.priorityIndex, 0);
    assert_eq!(deposit.inner.data.from, from);
    assert_eq!(deposit.inner.data.to, to);
    assert_eq!(deposit.inner.data.amount, 10u128.pow(18));
    assert_eq!(rollup.totalPriorityOps().call().await.unwrap(), 1);
    // The node checks what it took against L1's queue with this hash: it must be the
    // contract's own, for a deposit and for a full exit.
    let exit = rollup
        .requestFullExit(7, Address::ZERO)
        .value(U256::from(1_000_000_000_000u64))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(exit.status());
    let head = provider.get_block_number().await.unwrap();
    let events = zkr_l1::events::rollup_events(&provider, d.rollup, 0, head)
        .await
        .unwrap();
    let hashes: Vec<_> = events
        .iter()
        .filter_map(|e| e.event.priority_hash())
        .collect();
    assert_eq!(hashes.len(), 2, "a deposit and a full exit: {events:?}");
    for (index, hash) in hashes {
        assert_eq!(
            rollup.priorityOps(index).call().await.unwrap().hash,
            hash,
            "priority operation {index}"
        );
    }
    let deposit_block = events
        .iter()
        .find(|e| e.event.priority_hash().is_some())
        .unwrap();
    let block = provider
        .get_block_by_number(deposit_block.block.into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(block.header.hash, deposit_block.block_hash);
    assert_eq!(
        provider.get_balance(d.rollup).await.unwrap(),
        U256::from(10u64.pow(18) + 2_000_000_000_000u64),
        "the deposit and the two priority fees"
    );

    // A call that reverts comes back as an error, not a silent success.
    let err = rollup
        .depositETH(Address::ZERO)
        .value(U256::from(10u64.pow(18)))
        .send()
        .await;
    assert!(err.is_err(), "a deposit to the zero address must revert");
}

/// Every function the bindings declare is one the compiled contract has, with the same
/// signature (a typo in a `sol!` declaration would only fail at run time otherwise).
#[test]
fn every_bound_function_is_in_the_compiled_contract() {
    let forge = Command::new(repo().join("scripts/forge"))
        .arg("build")
        .output()
        .expect("scripts/forge (run npm ci)");
    assert!(forge.status.success());
    let artifact: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repo().join("contracts/out/ZkrRollup.sol/ZkrRollup.json")).unwrap(),
    )
    .unwrap();
    let compiled: Vec<&str> = artifact["methodIdentifiers"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_str().unwrap())
        .collect();
    for selector in ZkrRollup::ZkrRollupCalls::SELECTORS {
        assert!(
            compiled.contains(&hex::encode(selector).as_str()),
            "bound function 0x{} is not in ZkrRollup",
            hex::encode(selector)
        );
    }
}
