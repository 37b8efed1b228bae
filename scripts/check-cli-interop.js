#!/usr/bin/env node
// Cross-checks the `zkr crypto` CLI against circomlibjs on fresh random inputs, and checks that
// bad input exits non-zero with a message. Usage: node scripts/check-cli-interop.js [path/to/zkr]
"use strict";
const { spawnSync } = require("child_process");
const crypto = require("crypto");
const path = require("path");
const circomlibjs = require("circomlibjs");

const zkr = process.argv[2] || path.resolve(__dirname, "..", "target", "debug", "zkr");
const P = BigInt("21888242871839275222246405745257275088548364400416034343698204186575808495617");
let passed = 0;
let failed = 0;

function run(args) {
  const r = spawnSync(zkr, args, { encoding: "utf8" });
  if (r.error) throw r.error;
  return r;
}
function check(name, ok, detail) {
  if (ok) passed++;
  else { failed++; console.error(`FAIL ${name}: ${detail}`); }
}
function randField() {
  return BigInt("0x" + crypto.randomBytes(32).toString("hex")) % P;
}

async function main() {
  const poseidon = await circomlibjs.buildPoseidon();
  const eddsa = await circomlibjs.buildEddsa();
  const F = eddsa.babyJub.F;
  for (let n = 1; n <= 16; n++) {
    const inputs = Array.from({ length: n }, () => randField());
    const r = run(["crypto", "poseidon", ...inputs.map(String)]);
    const want = poseidon.F.toString(poseidon(inputs));
    check(`poseidon(${n})`, r.status === 0 && r.stdout.trim() === want, `${r.stdout} ${r.stderr} want ${want}`);
  }
  for (let i = 0; i < 8; i++) {
    const prv = crypto.randomBytes(32);
    const pub = eddsa.prv2pub(prv);
    const r = run(["crypto", "pubkey", "--private-key", prv.toString("hex")]);
    const want = JSON.stringify({ x: F.toString(pub[0]), y: F.toString(pub[1]) });
    check("pubkey", r.status === 0 && r.stdout.trim() === want, `${r.stdout} want ${want}`);
    const msg = randField();
    const sig = eddsa.signPoseidon(prv, F.e(msg));
    const s = run(["crypto", "sign", "--private-key", "0x" + prv.toString("hex"), "--message", msg.toString()]);
    const wantSig = JSON.stringify({ r8x: F.toString(sig.R8[0]), r8y: F.toString(sig.R8[1]), s: sig.S.toString() });
    check("sign", s.status === 0 && s.stdout.trim() === wantSig, `${s.stdout} want ${wantSig}`);
  }
  const bad = [
    ["crypto", "poseidon", P.toString()],
    ["crypto", "poseidon", "-1"],
    ["crypto", "poseidon", "0x12"],
    ["crypto", "poseidon", ...Array.from({ length: 17 }, () => "1")],
    ["crypto", "pubkey", "--private-key", "abcd"],
    ["crypto", "pubkey", "--private-key", "zz".repeat(32)],
    ["crypto", "sign", "--private-key", "00".repeat(32), "--message", (P + 5n).toString()],
    ["crypto", "sign", "--private-key", "00".repeat(31), "--message", "1"],
  ];
  for (const args of bad) {
    const r = run(args);
    check(`rejects ${args.join(" ").slice(0, 60)}`, r.status !== 0 && r.stdout === "" && r.stderr.length > 0, `status ${r.status} stdout ${r.stdout}`);
  }
  console.log(`interop: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((e) => { console.error(e); process.exit(1); });
