//! The batch commitment: the one public input of a batch proof (`docs/protocol.md` §6).

use crate::ids::{AccountId, BatchNumber, ChainId};
use crate::op::op_elements;
use crate::params::MAX_ELEMENTS_PER_OP;
use crate::{Fr, TypesError};
use alloy_primitives::keccak256;
use ark_ff::{AdditiveGroup, PrimeField};
use serde::{Deserialize, Serialize};
use zkr_crypto::field::fr_to_be_bytes;
use zkr_crypto::poseidon;

/// `H`: the Poseidon chain over each operation's (one or two) elements.
pub fn pubdata_hash(ops_pubdata: &[Vec<u8>]) -> Result<Fr, TypesError> {
    let mut h = Fr::ZERO;
    for p in ops_pubdata.iter().filter(|p| !p.is_empty()) {
        let e = op_elements(p);
        if e.len() > MAX_ELEMENTS_PER_OP {
            return Err(TypesError::Invalid(format!(
                "operation pubdata of {} bytes is too long",
                p.len()
            )));
        }
        let get = |i: usize| e.get(i).copied().unwrap_or(Fr::ZERO);
        h = poseidon::hash([h, get(0), get(1)]);
    }
    Ok(h)
}

/// `z = keccak256(BE32(H) || keccak256(pubdata)) mod r`.
pub fn challenge(h: &Fr, pubdata: &[u8]) -> Fr {
    let k = keccak256(pubdata);
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(&fr_to_be_bytes(h));
    buf[32..].copy_from_slice(k.as_slice());
    Fr::from_be_bytes_mod_order(keccak256(buf).as_slice())
}

/// `y = sum e_i * z^(m-i)` by Horner's rule.
pub fn evaluate(elements: &[Fr], z: &Fr) -> Fr {
    elements.iter().fold(Fr::ZERO, |acc, e| acc * z + e)
}

/// Everything the batch commitment binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchCommitment {
    /// Batch number.
    pub batch_number: BatchNumber,
    /// Chain id.
    pub chain_id: ChainId,
    /// Account credited with the batch's fees.
    pub fee_account: AccountId,
    /// State root before the batch.
    #[serde(with = "crate::serde_fr")]
    pub old_root: Fr,
    /// State root after the batch (fees credited).
    #[serde(with = "crate::serde_fr")]
    pub new_root: Fr,
    /// `H`.
    #[serde(with = "crate::serde_fr")]
    pub pubdata_hash: Fr,
    /// `z`.
    #[serde(with = "crate::serde_fr")]
    pub challenge: Fr,
    /// `y`.
    #[serde(with = "crate::serde_fr")]
    pub evaluation: Fr,
}

impl BatchCommitment {
    /// Computes the commitment's parts from the batch's operations' pubdata.
    pub fn new(
        batch_number: BatchNumber,
        chain_id: ChainId,
        fee_account: AccountId,
        old_root: Fr,
        new_root: Fr,
        ops_pubdata: &[Vec<u8>],
    ) -> Result<Self, TypesError> {
        let h = pubdata_hash(ops_pubdata)?;
        let flat: Vec<u8> = ops_pubdata.concat();
        let z = challenge(&h, &flat);
        let elements: Vec<Fr> = ops_pubdata.iter().flat_map(|p| op_elements(p)).collect();
        Ok(BatchCommitment {
            batch_number,
            chain_id,
            fee_account,
            old_root,
            new_root,
            pubdata_hash: h,
            challenge: z,
            evaluation: evaluate(&elements, &z),
        })
    }

    /// `meta = batch_number + chain_id * 2^64 + fee_account * 2^96`.
    pub fn meta(&self) -> Fr {
        let low = u128::from(self.batch_number.0)
            | u128::from(self.chain_id.0) << 64
            | u128::from(self.fee_account.0) << 96;
        Fr::from(low)
    }

    /// `Poseidon(meta, old_root, new_root, H, z, y)`: the public input.
    pub fn commitment(&self) -> Fr {
        poseidon::hash([
            self.meta(),
            self.old_root,
            self.new_root,
            self.pubdata_hash,
            self.challenge,
            self.evaluation,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_binds_every_part() {
        let pubdata = vec![vec![3u8; 15], vec![1u8; 41]];
        let mut other = pubdata.clone();
        other[0][14] ^= 1;
        let make = |batch: u64, chain: u32, fee: u32, old: u64, new: u64, data: &[Vec<u8>]| {
            BatchCommitment::new(
                BatchNumber(batch),
                ChainId(chain),
                AccountId(fee),
                Fr::from(old),
                Fr::from(new),
                data,
            )
            .unwrap()
        };
        let base = make(1, 9, 0, 1, 2, &pubdata);
        let c = base.commitment();
        let variants = [
            make(2, 9, 0, 1, 2, &pubdata),
            make(1, 8, 0, 1, 2, &pubdata),
            make(1, 9, 1, 1, 2, &pubdata),
            make(1, 9, 0, 3, 2, &pubdata),
            make(1, 9, 0, 1, 3, &pubdata),
            make(1, 9, 0, 1, 2, &other),
            make(1, 9, 0, 1, 2, &pubdata[..1]),
        ];
        for v in variants {
            assert_ne!(v.commitment(), c, "{v:?}");
        }
    }

    #[test]
    fn horner_matches_the_sum_definition() {
        let e: Vec<Fr> = (1..=5u64).map(Fr::from).collect();
        let z = Fr::from(7u64);
        let direct = e.iter().enumerate().fold(Fr::ZERO, |acc, (i, x)| {
            let mut p = Fr::from(1u64);
            for _ in 0..(e.len() - 1 - i) {
                p *= z;
            }
            acc + *x * p
        });
        assert_eq!(evaluate(&e, &z), direct);
        assert_eq!(evaluate(&[], &z), Fr::ZERO);
    }

    #[test]
    fn empty_batch() {
        let c = BatchCommitment::new(
            BatchNumber(1),
            ChainId(1),
            AccountId(0),
            Fr::from(5u64),
            Fr::from(5u64),
            &[],
        )
        .unwrap();
        assert_eq!(c.pubdata_hash, Fr::ZERO);
        assert_eq!(c.evaluation, Fr::ZERO);
    }
}
