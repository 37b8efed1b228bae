#!/usr/bin/env node
// Measures L1 gas of the rollup on a real anvil (default hardfork), from transaction receipts:
// deposits, the fixture's real batch (commit, prove with each circuit's verifier, execute), and
// commits of N transfers and of N swaps.
// Usage (after `npm ci`; builds the contracts first): node scripts/bench-l1-gas.js [N ...]
// Prints one JSON line.
"use strict";
const { spawn, execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");

const root = path.resolve(__dirname, "..");
const bin = (t) => path.join(root, "node_modules", ".bin", t);
const port = 18545 + Math.floor(Math.random() * 1000);
const rpc = `http://127.0.0.1:${port}`;
const readFixture = (name) => JSON.parse(fs.readFileSync(path.join(root, "contracts/test/fixtures", name), "utf8"));
const fixture = readFixture("batch_proof.json");
// The same batch proven by the DEX circuit (for `proveDexBatch`).
const dexFixture = readFixture("dex_batch_proof.json");
const artifact = (name) => JSON.parse(fs.readFileSync(path.join(root, `contracts/out/${name}.sol/${name}.json`), "utf8"));
// The forge test contract's address: the fixture's EIP-712 domain expects the rollup at its 4th CREATE.
const DEPLOYER = "0x7FA9385bE102ac3EAc297483Dd6233D62b3e1496";
const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
const ZERO = "0x0000000000000000000000000000000000000000";
// The devnet's priority fee: FeePolicy::default().priority_op_fee() (1 gwei, 600k gas per 8-slot
// batch, 10^12 wei of proving per slot): (41 x 40 + 75,000) x 10^9 + 10^12 wei.
const FEE = 77640000000000n;
if (counts.length === 0) counts.push(128, 1000);

function cast(sub, ...args) {
  const local = ["abi-encode"].includes(sub);
  return execFileSync(bin("cast"), local ? [sub, ...args] : [sub, "--rpc-url", rpc, ...args], { encoding: "utf8" }).trim();
}
function rpcCall(method, ...params) {
  return cast("rpc", method, ...params.map((p) => (typeof p === "string" ? p : JSON.stringify(p))));
}
function send(from, to, sig, ...args) {
  const out = to === "--create"
    ? cast("send", "--from", from, "--unlocked", "--json", "--create", sig, ...args)
    : cast("send", "--from", from, "--unlocked", "--json", to, sig, ...args);
  const r = JSON.parse(out);
  if (r.status !== "0x1") throw new Error(`transaction failed: ${sig}`);
  return r;
}
const gas = (r) => parseInt(r.gasUsed, 16);

async function main() {
  execFileSync(path.join(root, "scripts", "forge"), ["build"], { stdio: ["ignore", "ignore", "inherit"] });
  // The platform binary itself: killing the npm launcher script would leave anvil running.
  const anvilBin = path.join(root, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
  const anvil = spawn(anvilBin, ["--port", String(port), "--silent"], { stdio: "ignore" });
  try {
    for (let i = 0; ; i++) {
      try { execFileSync(bin("cast"), ["block-number", "--rpc-url", rpc], { stdio: "ignore" }); break; } catch (e) { if (i > 100) throw e; await new Promise((r) => setTimeout(r, 100)); }
    }
    const users = fixture.users;
    for (const a of [DEPLOYER, ...users]) {
      rpcCall("anvil_impersonateAccount", a);
      rpcCall("anvil_setBalance", a, "0x56BC75E2D63100000");
    }
    rpcCall("anvil_setNonce", DEPLOYER, "0x1");
    const deploy = (code) => send(DEPLOYER, "--create", code).contractAddress;
    const p4 = deploy(fs.readFileSync(path.join(root, "contracts/poseidon/PoseidonT5.hex"), "utf8"));
    const p6 = deploy(fs.readFileSync(path.join(root, "contracts/poseidon/PoseidonT7.hex"), "utf8"));
    const verifier = deploy(artifact("ZkrBatchVerifier").bytecode.object);
    const dexVerifier = deploy(artifact("ZkrDexVerifier").bytecode.object);
    const ctor = cast("abi-encode", "f(address,address,address,address,address,uint32,uint64,uint128,uint256)",
      verifier, dexVerifier, p4, p6, DEPLOYER, String(fixture.zkrChainId), "86400", FEE.toString(), fixture.oldRoot).slice(2);
    const rollupTx = send(DEPLOYER, "--create", artifact("ZkrRollup").bytecode.object + ctor);
    const rollup = rollupTx.contractAddress;
    if (rollup.toLowerCase() !== fixture.rollup.toLowerCase()) throw new Error(`rollup at ${rollup}, fixture expects ${fixture.rollup}`);

    const info = JSON.parse(rpcCall("anvil_nodeInfo"));
    const result = { bench: "l1-gas", hardfork: info.hardFork || info.hardfork || "anvil default", deploy_rollup: gas(rollupTx) };
    const ether = 10n ** 18n;
    result.priority_fee_wei = FEE.toString();
    result.deposit_eth = gas(send(users[0], rollup, "depositETH(address)", users[0], "--value", (ether + FEE).toString()));
    send(users[1], rollup, "depositETH(address)", users[1], "--value", (ether / 2n + FEE).toString());
    result.request_full_exit = gas(send(users[1], rollup, "requestFullExit(uint32,address)", "1", ZERO, "--value", FEE.toString()));
    const sigs = `[${fixture.ethSignatures.join(",")}]`;
    const input = `(${fixture.newRoot},${fixture.pubdataHash},${fixture.feeAccount},${fixture.pubdata},${sigs})`;
    result.sample_batch_ops = 6;
    result.commit_sample_batch = gas(send(DEPLOYER, rollup, "commitBatch((uint256,uint256,uint32,bytes,bytes[]))", input));
    if (dexFixture.newRoot !== fixture.newRoot || dexFixture.pubdataHash !== fixture.pubdataHash) {
      throw new Error("the two proof fixtures are not of the same batch: regenerate them");
    }
    const proofArgs = (f) => [`[${f.a.join(",")}]`, `[[${f.b[0].join(",")}],[${f.b[1].join(",")}]]`, `[${f.c.join(",")}]`];
    // Each verifier proves batch 1 once: the DEX proof first, then back to the snapshot.
    const snapshot = rpcCall("evm_snapshot");
    result.prove_dex = gas(send(DEPLOYER, rollup, "proveDexBatch(uint64,uint256[2],uint256[2][2],uint256[2])", "1", ...proofArgs(dexFixture)));
    if (rpcCall("evm_revert", snapshot) !== "true") throw new Error("evm_revert failed");
    result.prove = gas(send(DEPLOYER, rollup, "proveBatch(uint64,uint256[2],uint256[2][2],uint256[2])", "1", ...proofArgs(fixture)));
    const ops = fixture.onchainOps.map((o) => `(${o.owner},${o.token},${o.amount})`).join(",");
    result.execute_sample_batch = gas(send(DEPLOYER, rollup, "executeBatch(uint64,(address,uint16,uint128)[])", "1", `[${ops}]`));
    result.withdraw_pending_eth = gas(send(users[0], rollup, "withdrawPendingBalance(address,address,uint128)", users[0], ZERO, "50000000000000000"));
    result.withdraw_pending_eth_to = gas(send(users[0], rollup, "withdrawPendingBalanceTo(address,uint128,address)", ZERO, "50000000000000000", users[1]));
    // What an attacker pays per request of a flood of full exits (warm slots, one sender).
    send(users[1], rollup, "requestFullExit(uint32,address)", "2", ZERO, "--value", FEE.toString());
    result.request_full_exit_flood = gas(send(users[1], rollup, "requestFullExit(uint32,address)", "3", ZERO, "--value", FEE.toString()));

    // Commits of N operations of one kind, each then reverted; all-in = (commit + prove +
    // the sample batch's execute) / N. Account ids below 2^20, random packed amounts, fee 1000 * 10^9.
    const packed40 = () => ((BigInt(crypto.randomInt(1, 1 << 30)) << 5n) | 9n).toString(16).padStart(10, "0");
    const fee16 = ((1000n << 5n) | 9n).toString(16).padStart(4, "0");
    const id24 = () => crypto.randomInt(1 << 20).toString(16).padStart(6, "0");
    const commitOf = (n, op, prove) => {
      const pubdata = "0x" + Array.from({ length: n }, op).join("");
      const r = send(DEPLOYER, rollup, "commitBatch((uint256,uint256,uint32,bytes,bytes[]))", `(1,1,0,${pubdata},[])`);
      send(DEPLOYER, rollup, "revertBatches(uint64)", "1");
      const commit = gas(r);
      return { commit, all_in_per_op: Math.round((commit + prove + result.execute_sample_batch) / n) };
    };
    // Transfer (docs/protocol.md 4.4): 0x03, from, to, token 0, amount, fee (15 bytes).
    const transfer = () => "03" + id24() + id24() + "00" + packed40() + fee16;
    // Swap (4.10): 0x07, account, pool byte (pool id < 128, +128 when selling the pool's token b),
    // amount in, fee (12 bytes). Commit does not read pools; a batch proven with proveDexBatch.
    const swap = () => "07" + id24() + crypto.randomInt(256).toString(16).padStart(2, "0") + packed40() + fee16;
    result.commit_transfers = {};
    result.commit_swaps = {};
    for (const n of counts) {
      result.commit_transfers[n] = commitOf(n, transfer, result.prove);
      result.commit_swaps[n] = commitOf(n, swap, result.prove_dex);
    }
    console.log(JSON.stringify(result));
  } finally {
    anvil.kill();
  }
}
main().catch((e) => { console.error(`error: ${e.message}`); process.exit(1); });
