//! Deploying the contracts: circomlib's Poseidon bytecode, the generated verifier and the
//! rollup, from the artifacts of `contracts/` (`scripts/forge build`).

use crate::L1Error;
use crate::bindings::{DevToken, ZkrRollup};
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolConstructor;
use std::path::Path;

/// Where the contracts went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    /// The rollup.
    pub rollup: Address,
    /// The transfer circuit's Groth16 verifier.
    pub verifier: Address,
    /// The DEX circuit's Groth16 verifier.
    pub dex_verifier: Address,
    /// Poseidon with 4 inputs.
    pub poseidon4: Address,
    /// Poseidon with 6 inputs.
    pub poseidon6: Address,
}

/// Rollup parameters fixed at deployment.
#[derive(Debug, Clone, Copy)]
pub struct RollupParams {
    /// Commits batches, registers tokens.
    pub operator: Address,
    /// The zkr chain id.
    pub chain_id: u32,
    /// Seconds a priority operation may wait before exodus can be activated.
    pub priority_deadline: u64,
    /// Wei every deposit and full exit pays the operator on L1.
    pub priority_fee: u128,
    /// The empty state's root.
    pub genesis_root: U256,
}

fn read(path: &Path) -> Result<String, L1Error> {
    std::fs::read_to_string(path).map_err(|e| L1Error::Artifact {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Creation bytecode from a forge artifact (`out/<Name>.sol/<Name>.json`).
pub fn artifact_bytecode(contracts_dir: &Path, name: &str) -> Result<Bytes, L1Error> {
    let path = contracts_dir
        .join("out")
        .join(format!("{name}.sol"))
        .join(format!("{name}.json"));
    let json: serde_json::Value =
        serde_json::from_str(&read(&path)?).map_err(|e| L1Error::Artifact {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    let hex_code = json["bytecode"]["object"]
        .as_str()
        .ok_or_else(|| L1Error::Artifact {
            path: path.display().to_string(),
            reason: "no bytecode.object".into(),
        })?;
    decode_hex(hex_code, &path)
}

fn decode_hex(s: &str, path: &Path) -> Result<Bytes, L1Error> {
    hex::decode(s.trim().trim_start_matches("0x"))
        .map(Bytes::from)
        .map_err(|e| L1Error::Artifact {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}

async fn create<P: Provider>(provider: &P, from: Address, code: Bytes) -> Result<Address, L1Error> {
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_deploy_code(code);
    let receipt = provider
        .send_transaction(tx)
        .await
        .map_err(L1Error::rpc)?
        .get_receipt()
        .await
        .map_err(L1Error::rpc)?;
    if !receipt.status() {
        return Err(L1Error::Rpc("contract creation reverted".into()));
    }
    receipt
        .contract_address
        .ok_or_else(|| L1Error::Rpc("no contract address in the receipt".into()))
}

/// Deploys Poseidon, the two verifiers and the rollup from `from` (an account the provider signs for).
pub async fn deploy<P: Provider>(
    provider: &P,
    from: Address,
    contracts_dir: &Path,
    params: RollupParams,
) -> Result<Deployment, L1Error> {
    deploy_with_verifiers(
        provider,
        from,
        contracts_dir,
        params,
        ["ZkrBatchVerifier", "ZkrDexVerifier"],
    )
    .await
}

/// Like [`deploy`], with the verifiers of the forge artifacts `verifiers` (transfer circuit,
/// DEX circuit): `zkr bench rebuild` uses the test contract `AcceptAllVerifier`.
pub async fn deploy_with_verifiers<P: Provider>(
    provider: &P,
    from: Address,
    contracts_dir: &Path,
    params: RollupParams,
    verifiers: [&str; 2],
) -> Result<Deployment, L1Error> {
    let poseidon = |file: &str| {
        let path = contracts_dir.join("poseidon").join(file);
        read(&path).and_then(|s| decode_hex(&s, &path))
    };
    let poseidon4 = create(provider, from, poseidon("PoseidonT5.hex")?).await?;
    let poseidon6 = create(provider, from, poseidon("PoseidonT7.hex")?).await?;
    let verifier = create(
        provider,
        from,
        artifact_bytecode(contracts_dir, verifiers[0])?,
    )
    .await?;
    let dex_verifier = create(
        provider,
        from,
        artifact_bytecode(contracts_dir, verifiers[1])?,
    )
    .await?;
    let args = ZkrRollup::constructorCall {
        verifier,
        dexVerifier: dex_verifier,
        poseidon4,
        poseidon6,
        operator: params.operator,
        chainId: params.chain_id,
        priorityDeadline: params.priority_deadline,
        priorityFee: params.priority_fee,
        genesisRoot: params.genesis_root,
    }
    .abi_encode();
    let mut code = artifact_bytecode(contracts_dir, "ZkrRollup")?.to_vec();
    code.extend_from_slice(&args);
    let rollup = create(provider, from, code.into()).await?;
    Ok(Deployment {
        rollup,
        verifier,
        dex_verifier,
        poseidon4,
        poseidon6,
    })
}

/// Deploys a `DevToken` (DEVNET ONLY: anyone can mint it).
pub async fn deploy_dev_token<P: Provider>(
    provider: &P,
    from: Address,
    contracts_dir: &Path,
    name: &str,
    symbol: &str,
    decimals: u8,
) -> Result<Address, L1Error> {
    let args = DevToken::constructorCall {
        name_: name.to_string(),
        symbol_: symbol.to_string(),
        decimals_: decimals,
    }
    .abi_encode();
    let mut code = artifact_bytecode(contracts_dir, "DevToken")?.to_vec();
    code.extend_from_slice(&args);
    create(provider, from, code.into()).await
}
