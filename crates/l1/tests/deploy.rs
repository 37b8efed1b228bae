//! The bindings against the real contracts on a real anvil (from the pinned npm package):
//! deployment, a deposit and its events, the views.

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use zkr_l1::bindings::ZkrRollup;
use zkr_l1::deploy::{RollupParams, deploy};

/// anvil's first dev account (publicly known test key).
const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Anvil(std::process::Child);

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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
    // The platform binary itself: the npm launcher script would leave it running when killed.
    let anvil_bin = repo().join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    assert!(
        anvil_bin.exists(),
        "{} missing: run npm ci",
        anvil_bin.display()
    );
    let port = free_port();
    let _anvil = Anvil(
        Command::new(anvil_bin)
            .args(["--port", &port.to_string(), "--silent"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );

    let signer: PrivateKeySigner = DEV_KEY.parse().unwrap();
    let from = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(format!("http://127.0.0.1:{port}").parse().unwrap());
    for i in 0.. {
        if provider.get_block_number().await.is_ok() {
            break;
        }
        assert!(i < 100, "anvil did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let genesis = U256::from_be_bytes(zkr_crypto::field::fr_to_be_bytes(
        &zkr_state::tree::defaults::genesis_root(),
    ));
    let params = RollupParams {
        operator: from,
        chain_id: 270,
        priority_deadline: 3600,
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

    let to = Address::repeat_byte(0x42);
    let receipt = rollup
        .depositETH(to)
        .value(U256::from(10u64.pow(18)))
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
    assert_eq!(
        provider.get_balance(d.rollup).await.unwrap(),
        U256::from(10u64.pow(18))
    );

    // A call that reverts comes back as an error, not a silent success.
    let err = rollup
        .depositETH(Address::ZERO)
        .value(U256::from(1))
        .send()
        .await;
    assert!(err.is_err(), "a deposit to the zero address must revert");
}
