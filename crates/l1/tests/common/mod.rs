//! A real anvil from the pinned npm package, for the tests of this crate.

use alloy::network::EthereumWallet;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// anvil's first dev account (publicly known test key).
pub const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// The checkout.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running anvil, killed when dropped.
pub struct Anvil(std::process::Child);

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Anvil {
    /// Starts anvil on a free port with `extra` arguments and waits until it answers; returns
    /// it with a provider whose wallet holds [`DEV_KEY`].
    pub async fn start(extra: &[&str]) -> (Anvil, DynProvider) {
        // The platform binary itself: the npm launcher script would leave it running when killed.
        let bin = repo().join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
        assert!(bin.exists(), "{} missing: run npm ci", bin.display());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--silent"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let signer: PrivateKeySigner = DEV_KEY.parse().unwrap();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(format!("http://127.0.0.1:{port}").parse().unwrap())
            .erased();
        let anvil = Anvil(child);
        for i in 0.. {
            if provider.get_block_number().await.is_ok() {
                break;
            }
            assert!(i < 100, "anvil did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (anvil, provider)
    }
}
