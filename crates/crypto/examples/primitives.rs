//! Timing of the crypto primitives on one core: `cargo run --release -p zkr-crypto --example primitives`.
use std::time::Instant;
use zkr_crypto::{
    Fr,
    eddsa::{PrivateKey, verify},
    poseidon,
};
fn rayon_threads() -> String {
    std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into())
}

fn main() {
    let n = 20000;
    let mut x = Fr::from(1u64);
    let t = Instant::now();
    for _ in 0..n {
        x = poseidon::hash([x, x, x, x]);
    }
    println!(
        "poseidon4 {:.2}us {x}",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    // independent hashes (a tree level's nodes): eight at a time where AVX-512 IFMA runs
    let inputs: Vec<[Fr; 4]> = (0..n as u64)
        .map(|i| [Fr::from(i), x, x, Fr::from(i + 1)])
        .collect();
    let t = Instant::now();
    let out = poseidon::hash_many(&inputs);
    println!(
        "poseidon4 hash_many {:.2}us per hash (lanes: {}) {}",
        t.elapsed().as_secs_f64() * 1e6 / n as f64,
        poseidon::lanes_available(),
        out[n - 1]
    );
    let t = Instant::now();
    for _ in 0..n {
        x = poseidon::hash([x, x]);
    }
    println!(
        "poseidon2 {:.2}us",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    let mut y = x;
    for _ in 0..n * 100 {
        y *= x;
    }
    println!(
        "mul {:.2}ns {}",
        t.elapsed().as_secs_f64() * 1e9 / (n * 100) as f64,
        y
    );
    let k = PrivateKey::from_bytes([1; 32]);
    let p = k.public();
    let s = k.sign(&x);
    let t = Instant::now();
    for _ in 0..2000 {
        verify(&p, &x, &s).unwrap();
    }
    println!("verify {:.2}us", t.elapsed().as_secs_f64() * 1e6 / 2000.0);
    // a block's signatures checked together (one multi-scalar multiplication)
    let items: Vec<_> = (0..1000u64)
        .map(|i| {
            let key = PrivateKey::from_bytes([(i % 251) as u8 + 1; 32]);
            let m = Fr::from(i);
            (key.public(), m, key.sign(&m))
        })
        .collect();
    // small batches, as concurrent requests queue them
    for size in [4usize, 8, 16, 32, 64, 128] {
        let t = Instant::now();
        for chunk in items.chunks(size) {
            assert!(
                zkr_crypto::eddsa::verify_batch(chunk)
                    .iter()
                    .all(|r| r.is_ok())
            );
        }
        println!(
            "verify_batch in batches of {size}: {:.2}us per signature",
            t.elapsed().as_secs_f64() * 1e6 / items.len() as f64
        );
    }
    let t = Instant::now();
    let results = zkr_crypto::eddsa::verify_batch(&items);
    assert!(results.iter().all(|r| r.is_ok()));
    println!(
        "verify_batch of 1000: {:.2}us per signature ({} threads)",
        t.elapsed().as_secs_f64() * 1e6 / 1000.0,
        rayon_threads()
    );
    let t = Instant::now();
    for _ in 0..2000 {
        k.sign(&x);
    }
    println!("sign {:.2}us", t.elapsed().as_secs_f64() * 1e6 / 2000.0);
}
