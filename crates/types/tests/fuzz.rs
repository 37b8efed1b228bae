//! Fuzzing the decoders that take hostile bytes (proptest: no nightly toolchain here):
//! - pubdata parsing (what `zkr rebuild` reads from any L1 calldata): never panics, and what
//!   it accepts re-encodes to exactly the same bytes (so nothing two byte strings mean the same);
//! - L2 transaction JSON (what `zkr_sendTx` takes): never panics, and what decodes can be
//!   hashed and its message computed without a panic.
//!
//! `ZKR_FUZZ_CASES` sets the cases per target (default 2,000 in the test command; the long
//! run in BENCHMARKS.md used 1,000,000).

use proptest::prelude::*;
use zkr_types::ChainId;
use zkr_types::op::{parse_pubdata, pubdata_len};
use zkr_types::tx::L2Tx;

fn cases() -> u32 {
    std::env::var("ZKR_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

/// Bytes that look like pubdata: a run of operations with valid type bytes and lengths, whose
/// contents are random (so the parser gets past the framing into every field decoder).
fn framed_pubdata() -> impl Strategy<Value = Vec<u8>> {
    let op = (1u8..=10u8)
        .prop_filter("a known type", |t| pubdata_len(*t).is_some_and(|l| l > 0))
        .prop_flat_map(|t| {
            let len = pubdata_len(t).unwrap();
            proptest::collection::vec(any::<u8>(), len - 1).prop_map(move |mut body| {
                body.insert(0, t);
                body
            })
        });
    (
        proptest::collection::vec(op, 0..6),
        proptest::option::of((0usize..400, any::<u8>())),
    )
        .prop_map(|(ops, flip)| {
            let mut bytes = ops.concat();
            if let Some((at, b)) = flip
                && !bytes.is_empty()
            {
                let i = at % bytes.len();
                bytes[i] = b;
            }
            bytes
        })
}

fn check_pubdata(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(ops) = parse_pubdata(bytes) {
        let mut again = Vec::new();
        for op in &ops {
            match op.pubdata() {
                Ok(p) => again.extend(p),
                Err(e) => {
                    return Err(TestCaseError::fail(format!(
                        "parsed {op:?} from {} but cannot encode it: {e}",
                        hex::encode(bytes)
                    )));
                }
            }
        }
        prop_assert_eq!(
            hex::encode(&again),
            hex::encode(bytes),
            "re-encoding {:?}",
            ops
        );
    }
    Ok(())
}

/// JSON shaped like a transaction, with random values in its fields.
fn tx_json() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        any::<u64>().prop_map(|v| v.to_string()),
        "[0-9]{1,80}".prop_map(|s| format!("\"{s}\"")),
        "0x[0-9a-fA-F]{0,64}".prop_map(|s| format!("\"{s}\"")),
        Just("null".to_string()),
        Just("-1".to_string()),
        Just("1e400".to_string()),
        Just("{}".to_string()),
    ];
    let kind = prop_oneof![
        Just("Transfer"),
        Just("Withdraw"),
        Just("ChangePubKey"),
        Just("Swap"),
        Just("AddLiquidity"),
        Just("RemoveLiquidity"),
        Just("CreatePool"),
        Just("Other"),
    ];
    let fields = [
        "from",
        "to",
        "token",
        "amount",
        "fee",
        "nonce",
        "accountId",
        "owner",
        "newPubKeyHash",
        "feeToken",
        "ethSignature",
        "pool",
        "sell",
        "buy",
        "amountIn",
        "minOut",
        "tokenA",
        "tokenB",
        "maxA",
        "maxB",
        "minShares",
        "shares",
        "minA",
        "minB",
    ];
    (
        kind,
        proptest::collection::vec((0..fields.len(), value.clone()), 0..12),
        proptest::collection::vec(value, 5),
    )
        .prop_map(move |(kind, fs, sig)| {
            let body: Vec<String> = fs
                .iter()
                .map(|(i, v)| format!("\"{}\":{v}", fields[*i]))
                .collect();
            format!(
                "{{\"type\":\"{kind}\",{}\"signature\":{{\"pubKey\":{{\"x\":{},\"y\":{}}},\"r8x\":{},\"r8y\":{},\"s\":{}}}}}",
                body.iter().map(|b| format!("{b},")).collect::<String>(),
                sig[0], sig[1], sig[2], sig[3], sig[4]
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn pubdata_parsing_of_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check_pubdata(&bytes)?;
    }

    #[test]
    fn pubdata_parsing_of_framed_operations(bytes in framed_pubdata()) {
        check_pubdata(&bytes)?;
    }

    #[test]
    fn transaction_json_decoding(json in tx_json()) {
        if let Ok(tx) = serde_json::from_str::<L2Tx>(&json) {
            let _ = tx.hash(ChainId(270));
            let _ = tx.fee();
        }
    }

    #[test]
    fn transaction_json_of_random_text(text in ".{0,300}") {
        let _ = serde_json::from_str::<L2Tx>(&text);
    }
}

/// Found by `pubdata_parsing_of_framed_operations`: a fee of 1,900 packed as `0xed80`
/// (mantissa 1,900, exponent 0) besides its canonical `0x0262` (mantissa 19, exponent 2).
/// The circuit only proves canonical packings (§4.8); the parser now refuses the others too.
#[test]
fn a_non_canonical_packing_is_refused() {
    let mut cpk = vec![0x02];
    cpk.extend([0u8; 3 + 20 + 4 + 1]);
    let canonical = zkr_types::float::pack_fee(1900).unwrap();
    assert_eq!(canonical, 0x0262);
    let mut ok = cpk.clone();
    ok.extend(canonical.to_be_bytes());
    ok.extend([0u8; 32]);
    assert!(parse_pubdata(&ok).is_ok());
    let mut odd = cpk;
    odd.extend(0xed80u16.to_be_bytes());
    odd.extend([0u8; 32]);
    assert_eq!(zkr_types::float::unpack_fee(0xed80), 1900);
    let e = parse_pubdata(&odd).unwrap_err();
    assert!(e.to_string().contains("canonical"), "{e}");
}
