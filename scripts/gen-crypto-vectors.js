#!/usr/bin/env node
// Regenerates the circomlibjs reference data that zkr's Rust crypto is checked against:
//   crates/crypto/src/poseidon/constants.bin   Poseidon constants (optimized form) for t = 2..17
//   crates/crypto/tests/vectors/poseidon.json  Poseidon hashes of 1..16 inputs
//   crates/crypto/tests/vectors/eddsa.json     BabyJubjub keys and EdDSA-Poseidon signatures
// Usage (from the repository root, after `npm ci`):
//   node scripts/gen-crypto-vectors.js           rewrite the files
//   node scripts/gen-crypto-vectors.js --check   fail if the committed files differ from what
//                                                circomlibjs produces now (run by scripts/test)
// The vectors are deterministic: inputs come from a fixed seed, not from a random source.
"use strict";
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const circomlibjs = require("circomlibjs");
// The JSON is not in the package exports map, so it is read by path.
const constants = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve("circomlibjs")), "..", "src", "poseidon_constants_opt.json"), "utf8"));

const root = path.resolve(__dirname, "..");
const CHECK = process.argv.includes("--check");
let mismatches = 0;

function emit(rel, content) {
  const file = path.join(root, rel);
  if (CHECK) {
    const committed = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
    const same = Buffer.compare(committed, Buffer.from(content)) === 0;
    console.log(`${same ? "ok" : "MISMATCH"} ${rel}`);
    if (!same) mismatches++;
  } else {
    fs.writeFileSync(file, content);
    console.log(`wrote ${rel}`);
  }
}
const P = BigInt("21888242871839275222246405745257275088548364400416034343698204186575808495617");

// Deterministic byte stream: sha256(seed || counter).
let counter = 0;
function detBytes(n) {
  const out = [];
  while (out.length < n) {
    const h = crypto.createHash("sha256").update(`zkr-vectors-${counter++}`).digest();
    out.push(...h);
  }
  return Buffer.from(out.slice(0, n));
}
function detField() {
  return BigInt("0x" + detBytes(32).toString("hex")) % P;
}

function fieldToLE32(x) {
  const v = BigInt(x);
  if (v < 0n || v >= P) throw new Error("constant out of range");
  const b = Buffer.alloc(32);
  let t = v;
  for (let i = 0; i < 32; i++) { b[i] = Number(t & 0xffn); t >>= 8n; }
  return b;
}

function writeConstants() {
  // Layout, for t = 2..17 in order: C (t*8 + RP), S ((2t-1)*RP), M (t*t, M[i][j] row-major), P (t*t).
  const parts = [];
  for (let ti = 0; ti < 16; ti++) {
    for (const c of constants.C[ti]) parts.push(fieldToLE32(c));
    for (const s of constants.S[ti]) parts.push(fieldToLE32(s));
    for (const row of constants.M[ti]) for (const m of row) parts.push(fieldToLE32(m));
    for (const row of constants.P[ti]) for (const p of row) parts.push(fieldToLE32(p));
  }
  emit("crates/crypto/src/poseidon/constants.bin", Buffer.concat(parts));
}

async function main() {
  writeConstants();
  const poseidon = await circomlibjs.buildPoseidon();
  const F = poseidon.F;
  const pvec = [];
  for (let n = 1; n <= 16; n++) {
    // small inputs, then full-size ones, then the largest field element.
    const sets = [
      Array.from({ length: n }, (_, i) => BigInt(i + 1)),
      Array.from({ length: n }, () => detField()),
      Array.from({ length: n }, () => P - 1n),
    ];
    for (const inputs of sets) {
      pvec.push({ inputs: inputs.map(String), hash: F.toString(poseidon(inputs)) });
    }
  }
  emit("crates/crypto/tests/vectors/poseidon.json", JSON.stringify(pvec, null, 1) + "\n");

  const eddsa = await circomlibjs.buildEddsa();
  const bF = eddsa.babyJub.F;
  const evec = [];
  for (let k = 0; k < 24; k++) {
    const prv = k === 0 ? Buffer.alloc(32, 0) : detBytes(32);
    const pub = eddsa.prv2pub(prv);
    const msgs = [0n, 1n, detField(), P - 1n];
    const sigs = msgs.map((m) => {
      const sig = eddsa.signPoseidon(prv, bF.e(m));
      if (!eddsa.verifyPoseidon(bF.e(m), sig, pub)) throw new Error("circomlibjs failed to verify its own signature");
      return {
        message: m.toString(),
        r8x: bF.toString(sig.R8[0]), r8y: bF.toString(sig.R8[1]), s: sig.S.toString(),
      };
    });
    evec.push({ private_key: prv.toString("hex"), x: bF.toString(pub[0]), y: bF.toString(pub[1]), signatures: sigs });
  }
  emit("crates/crypto/tests/vectors/eddsa.json", JSON.stringify(evec, null, 1) + "\n");
  if (CHECK && mismatches > 0) {
    console.error(`${mismatches} file(s) differ from circomlibjs output: run node scripts/gen-crypto-vectors.js`);
    process.exit(1);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
