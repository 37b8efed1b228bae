//! Operations and their exact pubdata bytes (`docs/protocol.md` §4).

use crate::dex::{AddLiquidityOp, CreatePoolOp, PoolId, RemoveLiquidityOp, SwapOp};
use crate::float::{pack_amount, pack_fee, unpack_amount, unpack_fee};
use crate::ids::{AccountId, Amount, Nonce, TokenId};
use crate::params::CHUNK_BYTES;
use crate::{Address, Fr, TypesError};
use ark_ff::PrimeField;
use serde::{Deserialize, Serialize};
use zkr_crypto::field::{fr_from_be_bytes_short, fr_from_biguint, fr_to_be_bytes};

/// Op type bytes.
pub mod op_type {
    /// Noop.
    pub const NOOP: u8 = 0x00;
    /// Deposit.
    pub const DEPOSIT: u8 = 0x01;
    /// ChangePubKey.
    pub const CHANGE_PUBKEY: u8 = 0x02;
    /// Transfer to an existing account.
    pub const TRANSFER: u8 = 0x03;
    /// Transfer creating the receiver.
    pub const TRANSFER_TO_NEW: u8 = 0x04;
    /// Withdraw.
    pub const WITHDRAW: u8 = 0x05;
    /// FullExit.
    pub const FULL_EXIT: u8 = 0x06;
    pub use crate::dex::dex_type::{ADD_LIQUIDITY, CREATE_POOL, REMOVE_LIQUIDITY, SWAP};
}

/// Deposit (§4.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositOp {
    /// Account credited (created if empty).
    pub account_id: AccountId,
    /// L1 address that owns it.
    pub owner: Address,
    /// Token.
    pub token: TokenId,
    /// Amount.
    pub amount: Amount,
}

/// ChangePubKey (§4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePubKeyOp {
    /// Account.
    pub account_id: AccountId,
    /// Its owner.
    pub owner: Address,
    /// New key hash.
    #[serde(with = "crate::serde_fr")]
    pub new_pub_key_hash: Fr,
    /// Nonce the transaction used.
    pub nonce: Nonce,
    /// Fee token.
    pub fee_token: TokenId,
    /// Fee.
    pub fee: Amount,
}

/// Transfer to an existing account (§4.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferOp {
    /// Sender.
    pub from: AccountId,
    /// Receiver.
    pub to_id: AccountId,
    /// Token.
    pub token: TokenId,
    /// Amount.
    pub amount: Amount,
    /// Fee.
    pub fee: Amount,
}

/// Transfer creating its receiver (§4.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferToNewOp {
    /// Sender.
    pub from: AccountId,
    /// The new account.
    pub to_id: AccountId,
    /// Its owner.
    pub to: Address,
    /// Token.
    pub token: TokenId,
    /// Amount.
    pub amount: Amount,
    /// Fee.
    pub fee: Amount,
}

/// Withdraw (§4.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawOp {
    /// Account.
    pub account_id: AccountId,
    /// Token.
    pub token: TokenId,
    /// Amount paid out on L1.
    pub amount: Amount,
    /// Fee.
    pub fee: Amount,
    /// L1 receiver.
    pub to: Address,
}

/// FullExit (§4.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FullExitOp {
    /// Account named by the request.
    pub account_id: AccountId,
    /// The requester.
    pub owner: Address,
    /// Token.
    pub token: TokenId,
    /// Amount exited (0 if the requester does not own the account).
    pub amount: Amount,
}

/// An operation as it appears in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Op {
    /// Nothing.
    Noop,
    /// L1 deposit.
    Deposit(DepositOp),
    /// L2 key registration.
    ChangePubKey(ChangePubKeyOp),
    /// L2 transfer to an existing account.
    Transfer(TransferOp),
    /// L2 transfer creating the receiver.
    TransferToNew(TransferToNewOp),
    /// L2 withdrawal.
    Withdraw(WithdrawOp),
    /// L1 forced exit.
    FullExit(FullExitOp),
    /// L2 swap.
    Swap(SwapOp),
    /// L2 liquidity added.
    AddLiquidity(AddLiquidityOp),
    /// L2 liquidity removed.
    RemoveLiquidity(RemoveLiquidityOp),
    /// L2 pool creation.
    CreatePool(CreatePoolOp),
}

/// Pubdata length of an op type, `None` for unknown types.
pub fn pubdata_len(op_type: u8) -> Option<usize> {
    Some(match op_type {
        op_type::NOOP => 0,
        op_type::DEPOSIT => 41,
        op_type::CHANGE_PUBKEY => 63,
        op_type::TRANSFER => 15,
        op_type::TRANSFER_TO_NEW => 35,
        op_type::WITHDRAW => 43,
        op_type::FULL_EXIT => 41,
        op_type::SWAP => 12,
        op_type::ADD_LIQUIDITY => 17,
        op_type::REMOVE_LIQUIDITY => 23,
        op_type::CREATE_POOL => 9,
        _ => return None,
    })
}

fn push_account(out: &mut Vec<u8>, id: AccountId) -> Result<(), TypesError> {
    if !id.is_valid() {
        return Err(TypesError::AccountIdOutOfRange(id.0.into()));
    }
    out.extend_from_slice(&id.0.to_be_bytes()[1..]);
    Ok(())
}

fn push_token(out: &mut Vec<u8>, t: TokenId) -> Result<(), TypesError> {
    if !t.is_valid() {
        return Err(TypesError::TokenIdOutOfRange(t.0.into()));
    }
    out.push(t.0 as u8);
    Ok(())
}

/// A pool id byte: `p + 128 * flag` (§4.10).
fn push_pool(out: &mut Vec<u8>, p: PoolId, flag: bool) -> Result<(), TypesError> {
    if !p.is_valid() {
        return Err(TypesError::Invalid(format!("pool id {} out of range", p.0)));
    }
    out.push(p.0 | if flag { 0x80 } else { 0 });
    Ok(())
}

fn push_packed_amount(out: &mut Vec<u8>, a: Amount) -> Result<(), TypesError> {
    out.extend_from_slice(&pack_amount(a.0)?.to_be_bytes()[3..]);
    Ok(())
}

fn push_packed_fee(out: &mut Vec<u8>, a: Amount) -> Result<(), TypesError> {
    out.extend_from_slice(&pack_fee(a.0)?.to_be_bytes());
    Ok(())
}

impl Op {
    /// The type byte.
    pub fn op_type(&self) -> u8 {
        match self {
            Op::Noop => op_type::NOOP,
            Op::Deposit(_) => op_type::DEPOSIT,
            Op::ChangePubKey(_) => op_type::CHANGE_PUBKEY,
            Op::Transfer(_) => op_type::TRANSFER,
            Op::TransferToNew(_) => op_type::TRANSFER_TO_NEW,
            Op::Withdraw(_) => op_type::WITHDRAW,
            Op::FullExit(_) => op_type::FULL_EXIT,
            Op::Swap(_) => op_type::SWAP,
            Op::AddLiquidity(_) => op_type::ADD_LIQUIDITY,
            Op::RemoveLiquidity(_) => op_type::REMOVE_LIQUIDITY,
            Op::CreatePool(_) => op_type::CREATE_POOL,
        }
    }

    /// Whether it is a DEX operation (§4.9-§4.12), which only the DEX circuit proves.
    pub fn is_dex(&self) -> bool {
        matches!(
            self,
            Op::Swap(_) | Op::AddLiquidity(_) | Op::RemoveLiquidity(_) | Op::CreatePool(_)
        )
    }

    /// The accounts it involves, in order and without repeats: the signer or depositor, then the
    /// receiver or the pool (what an explorer lists in each account's history).
    pub fn accounts(&self) -> Vec<AccountId> {
        let ids = match self {
            Op::Noop => vec![],
            Op::Deposit(d) => vec![d.account_id],
            Op::ChangePubKey(c) => vec![c.account_id],
            Op::Transfer(t) => vec![t.from, t.to_id],
            Op::TransferToNew(t) => vec![t.from, t.to_id],
            Op::Withdraw(w) => vec![w.account_id],
            Op::FullExit(f) => vec![f.account_id],
            Op::Swap(s) => vec![s.account_id, s.pool.account_id()],
            Op::AddLiquidity(a) => vec![a.account_id, a.pool.account_id()],
            Op::RemoveLiquidity(r) => vec![r.account_id, r.pool.account_id()],
            Op::CreatePool(c) => vec![c.account_id, c.pool.account_id()],
        };
        let mut out: Vec<AccountId> = Vec::with_capacity(ids.len());
        for id in ids {
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }

    /// What it takes out of L2 to L1 when its batch executes (token, amount): a Withdraw's
    /// amount, a FullExit's (zero when it pays nothing).
    pub fn l1_exit(&self) -> Option<(TokenId, Amount)> {
        match self {
            Op::Withdraw(w) => Some((w.token, w.amount)),
            Op::FullExit(f) => Some((f.token, f.amount)),
            _ => None,
        }
    }

    /// Whether it comes from the L1 priority queue.
    pub fn is_priority(&self) -> bool {
        matches!(self, Op::Deposit(_) | Op::FullExit(_))
    }

    /// The exact pubdata bytes (§4).
    pub fn pubdata(&self) -> Result<Vec<u8>, TypesError> {
        let mut out = Vec::with_capacity(64);
        if matches!(self, Op::Noop) {
            return Ok(out);
        }
        out.push(self.op_type());
        match self {
            Op::Noop => {}
            Op::Deposit(d) => {
                push_account(&mut out, d.account_id)?;
                out.extend_from_slice(d.owner.as_slice());
                push_token(&mut out, d.token)?;
                out.extend_from_slice(&d.amount.0.to_be_bytes());
            }
            Op::ChangePubKey(c) => {
                push_account(&mut out, c.account_id)?;
                out.extend_from_slice(c.owner.as_slice());
                out.extend_from_slice(&c.nonce.0.to_be_bytes());
                push_token(&mut out, c.fee_token)?;
                push_packed_fee(&mut out, c.fee)?;
                out.extend_from_slice(&fr_to_be_bytes(&c.new_pub_key_hash));
            }
            Op::Transfer(t) => {
                push_account(&mut out, t.from)?;
                push_account(&mut out, t.to_id)?;
                push_token(&mut out, t.token)?;
                push_packed_amount(&mut out, t.amount)?;
                push_packed_fee(&mut out, t.fee)?;
            }
            Op::TransferToNew(t) => {
                push_account(&mut out, t.from)?;
                push_account(&mut out, t.to_id)?;
                out.extend_from_slice(t.to.as_slice());
                push_token(&mut out, t.token)?;
                push_packed_amount(&mut out, t.amount)?;
                push_packed_fee(&mut out, t.fee)?;
            }
            Op::Withdraw(w) => {
                push_account(&mut out, w.account_id)?;
                push_token(&mut out, w.token)?;
                out.extend_from_slice(&w.amount.0.to_be_bytes());
                push_packed_fee(&mut out, w.fee)?;
                out.extend_from_slice(w.to.as_slice());
            }
            Op::FullExit(f) => {
                push_account(&mut out, f.account_id)?;
                out.extend_from_slice(f.owner.as_slice());
                push_token(&mut out, f.token)?;
                out.extend_from_slice(&f.amount.0.to_be_bytes());
            }
            Op::Swap(s) => {
                push_account(&mut out, s.account_id)?;
                push_pool(&mut out, s.pool, s.sell_b)?;
                push_packed_amount(&mut out, s.amount_in)?;
                push_packed_fee(&mut out, s.fee)?;
            }
            Op::AddLiquidity(a) => {
                push_account(&mut out, a.account_id)?;
                push_pool(&mut out, a.pool, false)?;
                push_packed_amount(&mut out, a.max_a)?;
                push_packed_amount(&mut out, a.max_b)?;
                push_packed_fee(&mut out, a.fee)?;
            }
            Op::RemoveLiquidity(r) => {
                push_account(&mut out, r.account_id)?;
                push_pool(&mut out, r.pool, false)?;
                out.extend_from_slice(&r.shares.0.to_be_bytes());
                push_packed_fee(&mut out, r.fee)?;
            }
            Op::CreatePool(c) => {
                push_account(&mut out, c.account_id)?;
                push_pool(&mut out, c.pool, false)?;
                push_token(&mut out, c.token_a)?;
                push_token(&mut out, c.token_b)?;
                push_packed_fee(&mut out, c.fee)?;
            }
        }
        debug_assert_eq!(Some(out.len()), pubdata_len(self.op_type()));
        Ok(out)
    }
}

/// The field elements of one operation's pubdata (§6): the first 31 bytes, then the rest
/// (ChangePubKey's rest is its 32-byte key hash), each right-padded to 31 bytes and read
/// big-endian. Empty pubdata has no elements.
pub fn op_elements(pubdata: &[u8]) -> Vec<Fr> {
    let piece = |c: &[u8]| {
        let mut buf = [0u8; CHUNK_BYTES];
        buf[..c.len()].copy_from_slice(c);
        fr_from_be_bytes_short(&buf)
    };
    if pubdata.is_empty() {
        return Vec::new();
    }
    let split = pubdata.len().min(CHUNK_BYTES);
    let mut out = vec![piece(&pubdata[..split])];
    let rest = &pubdata[split..];
    if pubdata[0] == op_type::CHANGE_PUBKEY && rest.len() == 32 {
        out.push(Fr::from_be_bytes_mod_order(rest));
    } else if !rest.is_empty() {
        out.push(piece(&rest[..rest.len().min(CHUNK_BYTES)]));
    }
    out
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        s
    }
    fn account(&mut self) -> AccountId {
        let b = self.take(3);
        AccountId(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }
    fn address(&mut self) -> Address {
        Address::from_slice(self.take(20))
    }
    fn token(&mut self) -> TokenId {
        TokenId(u16::from(self.take(1)[0]))
    }
    fn u128(&mut self) -> Amount {
        Amount(u128::from_be_bytes(
            self.take(16).try_into().expect("16 bytes"),
        ))
    }
    /// A packed amount, which must be the canonical packing of its value (§4.8).
    fn packed_amount(&mut self) -> Result<Amount, TypesError> {
        let b = self.take(5);
        let v = u64::from_be_bytes([0, 0, 0, b[0], b[1], b[2], b[3], b[4]]);
        let value = unpack_amount(v)?;
        if pack_amount(value).ok() != Some(v) {
            return Err(TypesError::Invalid(format!(
                "packed amount {v:#012x} is not the canonical packing of {value}"
            )));
        }
        Ok(Amount(value))
    }
    fn pool(&mut self) -> (PoolId, bool) {
        let b = self.take(1)[0];
        (PoolId(b & 0x7f), b & 0x80 != 0)
    }
    /// A packed fee, which must be the canonical packing of its value (§4.8).
    fn packed_fee(&mut self) -> Result<Amount, TypesError> {
        let b = self.take(2);
        let v = u16::from_be_bytes([b[0], b[1]]);
        let value = unpack_fee(v);
        if pack_fee(value).ok() != Some(v) {
            return Err(TypesError::Invalid(format!(
                "packed fee {v:#06x} is not the canonical packing of {value}"
            )));
        }
        Ok(Amount(value))
    }
}

/// Parses a batch's pubdata back into operations (to rebuild state from L1).
pub fn parse_pubdata(data: &[u8]) -> Result<Vec<Op>, TypesError> {
    let mut ops = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let malformed = |reason: &str| TypesError::MalformedPubdata {
            offset: pos,
            reason: reason.into(),
        };
        let t = data[pos];
        let len = match pubdata_len(t) {
            Some(0) | None => return Err(malformed(&format!("unknown op type {t:#04x}"))),
            Some(l) => l,
        };
        if pos + len > data.len() {
            return Err(malformed("truncated operation"));
        }
        let mut r = Reader {
            data: &data[pos + 1..pos + len],
            pos: 0,
        };
        let op = match t {
            op_type::DEPOSIT => Op::Deposit(DepositOp {
                account_id: r.account(),
                owner: r.address(),
                token: r.token(),
                amount: r.u128(),
            }),
            op_type::CHANGE_PUBKEY => {
                let account_id = r.account();
                let owner = r.address();
                let nonce = Nonce(u32::from_be_bytes(r.take(4).try_into().expect("4 bytes")));
                let fee_token = r.token();
                let fee = r.packed_fee()?;
                let new_pub_key_hash =
                    fr_from_biguint(&num_bigint::BigUint::from_bytes_be(r.take(32)))
                        .ok_or_else(|| malformed("pubkey hash not below the field modulus"))?;
                Op::ChangePubKey(ChangePubKeyOp {
                    account_id,
                    owner,
                    new_pub_key_hash,
                    nonce,
                    fee_token,
                    fee,
                })
            }
            op_type::TRANSFER => Op::Transfer(TransferOp {
                from: r.account(),
                to_id: r.account(),
                token: r.token(),
                amount: r.packed_amount().map_err(|e| malformed(&e.to_string()))?,
                fee: r.packed_fee()?,
            }),
            op_type::TRANSFER_TO_NEW => Op::TransferToNew(TransferToNewOp {
                from: r.account(),
                to_id: r.account(),
                to: r.address(),
                token: r.token(),
                amount: r.packed_amount().map_err(|e| malformed(&e.to_string()))?,
                fee: r.packed_fee()?,
            }),
            op_type::WITHDRAW => Op::Withdraw(WithdrawOp {
                account_id: r.account(),
                token: r.token(),
                amount: r.u128(),
                fee: r.packed_fee()?,
                to: r.address(),
            }),
            op_type::FULL_EXIT => Op::FullExit(FullExitOp {
                account_id: r.account(),
                owner: r.address(),
                token: r.token(),
                amount: r.u128(),
            }),
            op_type::SWAP => {
                let account_id = r.account();
                let (pool, sell_b) = r.pool();
                Op::Swap(SwapOp {
                    account_id,
                    pool,
                    sell_b,
                    amount_in: r.packed_amount().map_err(|e| malformed(&e.to_string()))?,
                    fee: r.packed_fee()?,
                })
            }
            op_type::ADD_LIQUIDITY => {
                let account_id = r.account();
                let (pool, flag) = r.pool();
                if flag {
                    return Err(malformed("AddLiquidity with the swap direction bit"));
                }
                Op::AddLiquidity(AddLiquidityOp {
                    account_id,
                    pool,
                    max_a: r.packed_amount().map_err(|e| malformed(&e.to_string()))?,
                    max_b: r.packed_amount().map_err(|e| malformed(&e.to_string()))?,
                    fee: r.packed_fee()?,
                })
            }
            op_type::REMOVE_LIQUIDITY => {
                let account_id = r.account();
                let (pool, flag) = r.pool();
                if flag {
                    return Err(malformed("RemoveLiquidity with the swap direction bit"));
                }
                Op::RemoveLiquidity(RemoveLiquidityOp {
                    account_id,
                    pool,
                    shares: r.u128(),
                    fee: r.packed_fee()?,
                })
            }
            op_type::CREATE_POOL => {
                let account_id = r.account();
                let (pool, flag) = r.pool();
                if flag {
                    return Err(malformed("CreatePool with the swap direction bit"));
                }
                Op::CreatePool(CreatePoolOp {
                    account_id,
                    pool,
                    token_a: r.token(),
                    token_b: r.token(),
                    fee: r.packed_fee()?,
                })
            }
            _ => unreachable!("pubdata_len accepted the type"),
        };
        ops.push(op);
        pos += len;
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Op> {
        let a = Address::repeat_byte(0xAA);
        vec![
            Op::Deposit(DepositOp {
                account_id: AccountId(1),
                owner: a,
                token: TokenId(0),
                amount: Amount(u128::MAX),
            }),
            Op::ChangePubKey(ChangePubKeyOp {
                account_id: AccountId(0xFFFFFF),
                owner: a,
                new_pub_key_hash: -Fr::from(1u64),
                nonce: Nonce(7),
                fee_token: TokenId(255),
                fee: Amount(2047),
            }),
            Op::Transfer(TransferOp {
                from: AccountId(2),
                to_id: AccountId(3),
                token: TokenId(4),
                amount: Amount(5 * 10u128.pow(17)),
                fee: Amount(10),
            }),
            Op::TransferToNew(TransferToNewOp {
                from: AccountId(2),
                to_id: AccountId(9),
                to: a,
                token: TokenId(4),
                amount: Amount(1),
                fee: Amount(0),
            }),
            Op::Withdraw(WithdrawOp {
                account_id: AccountId(2),
                token: TokenId(1),
                amount: Amount(123_456_789_012_345_678),
                fee: Amount(3),
                to: a,
            }),
            Op::FullExit(FullExitOp {
                account_id: AccountId(2),
                owner: a,
                token: TokenId(1),
                amount: Amount(0),
            }),
            Op::Swap(SwapOp {
                account_id: AccountId(0xABCDEF),
                pool: PoolId(127),
                sell_b: true,
                amount_in: Amount(34359738367 * 10u128.pow(27)),
                fee: Amount(2047),
            }),
            Op::AddLiquidity(AddLiquidityOp {
                account_id: AccountId(3),
                pool: PoolId(0),
                max_a: Amount(10u128.pow(18)),
                max_b: Amount(5),
                fee: Amount(0),
            }),
            Op::RemoveLiquidity(RemoveLiquidityOp {
                account_id: AccountId(3),
                pool: PoolId(9),
                shares: Amount(1000),
                fee: Amount(10),
            }),
            Op::CreatePool(CreatePoolOp {
                account_id: AccountId(3),
                pool: PoolId(1),
                token_a: TokenId(0),
                token_b: TokenId(127),
                fee: Amount(10),
            }),
        ]
    }

    #[test]
    fn pubdata_sizes_match_the_spec() {
        let sizes: Vec<usize> = samples()
            .iter()
            .map(|o| o.pubdata().unwrap().len())
            .collect();
        assert_eq!(sizes, vec![41, 63, 15, 35, 43, 41, 12, 17, 23, 9]);
        assert!(Op::Noop.pubdata().unwrap().is_empty());
    }

    #[test]
    fn transfer_pubdata_bytes_exactly() {
        let op = Op::Transfer(TransferOp {
            from: AccountId(0x010203),
            to_id: AccountId(0x040506),
            token: TokenId(7),
            amount: Amount(10u128.pow(18)),
            fee: Amount(2047),
        });
        let expected = hex::decode("03010203040506070000000032ffe0").unwrap();
        assert_eq!(op.pubdata().unwrap(), expected);
    }

    #[test]
    fn pubdata_round_trips_through_the_parser() {
        let ops = samples();
        let data: Vec<u8> = ops.iter().flat_map(|o| o.pubdata().unwrap()).collect();
        assert_eq!(parse_pubdata(&data).unwrap(), ops);
    }

    #[test]
    fn malformed_pubdata_is_rejected() {
        assert!(parse_pubdata(&[0x00]).is_err());
        assert!(parse_pubdata(&[0x09, 0, 0]).is_err());
        let mut t = samples()[2].pubdata().unwrap();
        t.pop();
        assert!(matches!(
            parse_pubdata(&t),
            Err(TypesError::MalformedPubdata { offset: 0, .. })
        ));
    }

    #[test]
    fn out_of_range_ids_are_not_encoded() {
        let op = Op::Transfer(TransferOp {
            from: AccountId(1 << 24),
            to_id: AccountId(0),
            token: TokenId(0),
            amount: Amount(0),
            fee: Amount(0),
        });
        assert_eq!(op.pubdata(), Err(TypesError::AccountIdOutOfRange(1 << 24)));
        let op = Op::Transfer(TransferOp {
            from: AccountId(0),
            to_id: AccountId(0),
            token: TokenId(256),
            amount: Amount(0),
            fee: Amount(0),
        });
        assert_eq!(op.pubdata(), Err(TypesError::TokenIdOutOfRange(256)));
    }

    #[test]
    fn elements_follow_the_spec() {
        // ChangePubKey: 31 bytes, then the 32-byte key hash as its own element.
        let d = samples()[1].pubdata().unwrap();
        let e = op_elements(&d);
        assert_eq!(e.len(), 2);
        assert_eq!(fr_to_be_bytes(&e[0])[1..], d[..31]);
        assert_eq!(e[1], -Fr::from(1u64));
        // Withdraw: 31 bytes, then 12 right-padded.
        let d = samples()[4].pubdata().unwrap();
        let e = op_elements(&d);
        let mut last = [0u8; 31];
        last[..12].copy_from_slice(&d[31..]);
        assert_eq!(fr_to_be_bytes(&e[1])[1..], last);
        // Transfer: one element, right-padded.
        let d = samples()[2].pubdata().unwrap();
        let e = op_elements(&d);
        assert_eq!(e.len(), 1);
        let mut one = [0u8; 31];
        one[..15].copy_from_slice(&d);
        assert_eq!(fr_to_be_bytes(&e[0])[1..], one);
        for op in samples() {
            assert!(
                op_elements(&op.pubdata().unwrap()).len() <= crate::params::MAX_ELEMENTS_PER_OP
            );
        }
    }
}
