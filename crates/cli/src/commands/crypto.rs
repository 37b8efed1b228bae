//! `zkr crypto`: Poseidon, BabyJubjub public keys and EdDSA-Poseidon signatures, with the same
//! results as circomlibjs, and the L2 public key an Ethereum key derives (`docs/protocol.md` §2.3).

use anyhow::{Context, Result};
use clap::Subcommand;
use serde_json::json;
use zkr_crypto::eddsa::PrivateKey;
use zkr_crypto::eth::{EthPrivateKey, derive_l2_key};
use zkr_crypto::field::{fr_from_decimal, fr_to_decimal};
use zkr_crypto::poseidon;
use zkr_types::ChainId;
use zkr_types::tx::{L2Tx, hash_of_message};

#[derive(Debug, Subcommand)]
pub enum CryptoCommand {
    /// Poseidon hash of 1 to 16 field elements (decimal), as circomlib `Poseidon(n)`.
    /// Prints the hash in decimal.
    Poseidon {
        /// Decimal field elements below the BN254 scalar field modulus.
        #[arg(required = true, num_args = 1..=16, value_name = "INPUT")]
        inputs: Vec<String>,
    },
    /// BabyJubjub public key of an EdDSA private key, as circomlibjs `prv2pub`.
    /// Prints {"x":"<decimal>","y":"<decimal>"}.
    Pubkey {
        /// 32-byte private key as 64 hex characters (0x prefix optional).
        #[arg(long, env = "ZKR_L2_PRIVATE_KEY", hide_env_values = true)]
        private_key: String,
    },
    /// EdDSA-Poseidon signature of a field element, as circomlibjs `signPoseidon`.
    /// Prints {"r8x":"<decimal>","r8y":"<decimal>","s":"<decimal>"}.
    Sign {
        /// 32-byte private key as 64 hex characters (0x prefix optional).
        #[arg(long, env = "ZKR_L2_PRIVATE_KEY", hide_env_values = true)]
        private_key: String,
        /// The message: a decimal field element.
        #[arg(long)]
        message: String,
    },
    /// The L2 public key that an Ethereum key derives on a zkr chain (its `personal_sign` of
    /// the fixed message, hashed: `docs/protocol.md` §2.3), as `zkr wallet` and the browser
    /// wallet derive it. Prints {"x":"<decimal>","y":"<decimal>","pubkey_hash":"<decimal>"};
    /// the L2 private key is never printed.
    L2Pubkey {
        /// The Ethereum private key as 64 hex characters (0x prefix optional).
        #[arg(long, env = "ZKR_PRIVATE_KEY", hide_env_values = true)]
        eth_private_key: String,
        /// The zkr chain id (`chainId` of the node's `zkr_getContracts`).
        #[arg(long)]
        chain_id: u32,
    },
    /// The signed message `M` and the hash of an L2 transaction in its JSON wire form
    /// (`docs/protocol.md` §5), and whether its EdDSA signature verifies over `M` under the key
    /// it carries, as the node checks it. Prints
    /// {"message":"<decimal>","hash":"0x...","signatureValid":true|false}.
    TxMessage {
        /// The zkr chain id.
        #[arg(long)]
        chain_id: u32,
        /// The transaction as JSON, signature included.
        #[arg(long)]
        tx: String,
    },
}

pub fn run(cmd: CryptoCommand) -> Result<()> {
    match cmd {
        CryptoCommand::Poseidon { inputs } => {
            let elems = inputs
                .iter()
                .map(|s| fr_from_decimal(s))
                .collect::<Result<Vec<_>, _>>()?;
            println!("{}", fr_to_decimal(&poseidon::poseidon(&elems)?));
        }
        CryptoCommand::Pubkey { private_key } => {
            let key = PrivateKey::from_hex(&private_key).context("--private-key")?;
            let a = key.public();
            println!(
                "{}",
                json!({"x": fr_to_decimal(&a.x), "y": fr_to_decimal(&a.y)})
            );
        }
        CryptoCommand::Sign {
            private_key,
            message,
        } => {
            let key = PrivateKey::from_hex(&private_key).context("--private-key")?;
            let m = fr_from_decimal(&message).context("--message")?;
            let sig = key.sign(&m);
            println!(
                "{}",
                json!({"r8x": fr_to_decimal(&sig.r8.x), "r8y": fr_to_decimal(&sig.r8.y), "s": fr_to_decimal(&sig.s)})
            );
        }
        CryptoCommand::L2Pubkey {
            eth_private_key,
            chain_id,
        } => {
            let eth = EthPrivateKey::from_hex(&eth_private_key).context("--eth-private-key")?;
            let a = derive_l2_key(&eth, chain_id)?.public();
            let pkh = zkr_types::tx::pubkey_hash(&a);
            println!(
                "{}",
                json!({"x": fr_to_decimal(&a.x), "y": fr_to_decimal(&a.y), "pubkey_hash": fr_to_decimal(&pkh)})
            );
        }
        CryptoCommand::TxMessage { chain_id, tx } => {
            let tx: L2Tx = serde_json::from_str(&tx).context("--tx: not an L2 transaction")?;
            let m = tx.message(ChainId(chain_id)).context("--tx")?;
            println!(
                "{}",
                json!({
                    "message": fr_to_decimal(&m),
                    "hash": hash_of_message(&m),
                    "signatureValid": tx.signature().verify(&m).is_ok(),
                })
            );
        }
    }
    Ok(())
}
