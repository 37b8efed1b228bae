//! The `zkr` binary's public interface: exact output formats and exit codes.

use std::process::{Command, Output};

fn zkr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkr"))
        .args(args)
        .output()
        .expect("run zkr")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn eddsa_vectors() -> Vec<serde_json::Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../crates/crypto/tests/vectors/eddsa.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn poseidon_prints_the_decimal_hash_alone_on_a_line() {
    let o = zkr(&["crypto", "poseidon", "1", "2"]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o),
        "7853200120776062878684798364095072458815029376092732009249414926327459813530\n"
    );
}

#[test]
fn pubkey_and_sign_match_circomlibjs_vectors() {
    for v in eddsa_vectors().iter().take(4) {
        let key = v["private_key"].as_str().unwrap();
        let o = zkr(&["crypto", "pubkey", "--private-key", key]);
        assert!(o.status.success());
        assert_eq!(
            stdout(&o),
            format!(
                "{{\"x\":\"{}\",\"y\":\"{}\"}}\n",
                v["x"].as_str().unwrap(),
                v["y"].as_str().unwrap()
            )
        );
        let s = &v["signatures"][2];
        let o = zkr(&[
            "crypto",
            "sign",
            "--private-key",
            key,
            "--message",
            s["message"].as_str().unwrap(),
        ]);
        assert!(o.status.success());
        assert_eq!(
            stdout(&o),
            format!(
                "{{\"r8x\":\"{}\",\"r8y\":\"{}\",\"s\":\"{}\"}}\n",
                s["r8x"].as_str().unwrap(),
                s["r8y"].as_str().unwrap(),
                s["s"].as_str().unwrap()
            )
        );
    }
}

#[test]
fn bad_input_exits_non_zero_with_a_message() {
    let modulus = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    let cases: Vec<Vec<&str>> = vec![
        vec!["crypto", "poseidon", modulus],
        vec!["crypto", "poseidon", "12a"],
        vec!["crypto", "poseidon"],
        vec!["crypto", "pubkey", "--private-key", "00"],
        vec![
            "crypto",
            "pubkey",
            "--private-key",
            "gg00000000000000000000000000000000000000000000000000000000000000",
        ],
        vec![
            "crypto",
            "sign",
            "--private-key",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "--message",
            modulus,
        ],
    ];
    for args in cases {
        let o = zkr(&args);
        assert!(!o.status.success(), "{args:?} must fail");
        assert!(o.stdout.is_empty(), "{args:?} printed to stdout");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.trim().is_empty(), "{args:?} gave no message");
    }
    let o = zkr(&["crypto", "poseidon", modulus]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("below the BN254 scalar field modulus"));
}

#[test]
fn bench_state_prints_one_json_line() {
    let o = zkr(&[
        "bench",
        "state",
        "--accounts",
        "2000",
        "--block-size",
        "20",
        "--blocks",
        "2",
        "--senders",
        "10",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["accounts"], 2000);
    assert_eq!(v["block_size"], 20);
    assert_eq!(v["transfers"], 40);
    assert!(v["transfers_per_sec"].as_f64().unwrap() > 0.0);
}

#[test]
fn bench_state_on_redb() {
    let o = zkr(&[
        "bench",
        "state",
        "--accounts",
        "500",
        "--block-size",
        "10",
        "--blocks",
        "2",
        "--senders",
        "5",
        "--storage",
        "redb",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["storage"], "redb");
}
