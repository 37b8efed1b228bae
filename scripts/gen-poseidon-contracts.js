#!/usr/bin/env node
// Writes the EVM bytecode of circomlib's Poseidon for the contracts (same constants as the
// circuit and the native code): contracts/poseidon/PoseidonT5.hex (4 inputs, the tree's node
// hash) and contracts/poseidon/PoseidonT7.hex (6 inputs, the batch commitment). Each contract
// answers `poseidon(uint256[n]) returns (uint256)`.
// Usage: node scripts/gen-poseidon-contracts.js [--check]
"use strict";
const fs = require("fs");
const path = require("path");
const { poseidonContract } = require("circomlibjs");

const root = path.resolve(__dirname, "..");
const check = process.argv.includes("--check");
let bad = 0;
for (const [inputs, name] of [[4, "PoseidonT5"], [6, "PoseidonT7"]]) {
  const rel = `contracts/poseidon/${name}.hex`;
  const file = path.join(root, rel);
  const code = poseidonContract.createCode(inputs);
  if (check) {
    const same = fs.existsSync(file) && fs.readFileSync(file, "utf8") === code;
    console.log(`${same ? "ok" : "MISMATCH"} ${rel}`);
    if (!same) bad++;
  } else {
    fs.writeFileSync(file, code);
    console.log(`wrote ${rel} (${(code.length - 2) / 2} bytes)`);
  }
}
process.exit(bad ? 1 : 0);
