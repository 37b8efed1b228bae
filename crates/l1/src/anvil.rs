//! A throwaway anvil from the project's pinned npm package (`npm ci` installs it), for tests
//! and benchmarks that need a real L1: started on a free port, killed when dropped.
//! DEVNET ONLY: its wallet holds anvil's first public test key.

use alloy::network::EthereumWallet;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// anvil's first dev account (a publicly known test key).
pub const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// The checkout this crate was built from (for `node_modules` and `contracts/`).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running anvil, killed when dropped.
pub struct Anvil {
    child: std::process::Child,
    url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Anvil {
    /// Starts anvil on a free port with `extra` arguments and waits until it answers; returns
    /// it with a provider whose wallet holds [`DEV_KEY`]. Panics if it cannot (tests only).
    pub async fn start(extra: &[&str]) -> (Anvil, DynProvider) {
        // The platform binary itself: the npm launcher script would leave it running when killed.
        let bin = repo().join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
        assert!(bin.exists(), "{} missing: run npm ci", bin.display());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--silent"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting anvil");
        let url = format!("http://127.0.0.1:{port}");
        let signer: PrivateKeySigner = DEV_KEY.parse().expect("the dev key");
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(url.parse().expect("a URL"))
            .erased();
        let anvil = Anvil { child, url };
        for i in 0.. {
            if provider.get_block_number().await.is_ok() {
                break;
            }
            assert!(i < 100, "anvil did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (anvil, provider)
    }

    /// Its JSON-RPC URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}
