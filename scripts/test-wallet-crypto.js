#!/usr/bin/env node
// The browser wallet's cryptography (crates/wallet/assets/zkr-crypto.js) in a real headless
// Chromium against the Rust side, on fresh random inputs: Poseidon of 1 to 16 elements, public
// keys, public key hashes and EdDSA-Poseidon signatures (`zkr crypto ...`), and the L2 key derived
// from an Ethereum key's `personal_sign` (`cast wallet sign`, which signs as every standard wallet:
// RFC 6979) against `zkr crypto l2-pubkey`; and every L2 transaction type built and signed by the
// page (crates/wallet/assets/l2.js) on random fields, whose message, hash and signature must be the
// Rust side's (`zkr crypto tx-message`), and stop verifying once a field is changed. The page makes
// no network request; bad input is refused with a message.
//
// Usage (after `npm ci` and `cargo build`): node scripts/test-wallet-crypto.js [path/to/zkr]
//   ZKR_CHROMIUM: the browser [default: /usr/bin/chromium]
"use strict";
const { spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const root = path.resolve(__dirname, "..");
const zkr = process.argv[2] || path.join(root, "target", "debug", "zkr");
const cast = path.join(root, "node_modules", ".bin", "cast");
const bundle = path.join(root, "crates", "wallet", "assets", "zkr-crypto.js");
const l2js = path.join(root, "crates", "wallet", "assets", "l2.js");
const P = BigInt("21888242871839275222246405745257275088548364400416034343698204186575808495617");

let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++;
  else { failed++; console.error(`FAIL ${name}${detail ? ": " + detail : ""}`); }
}
function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}
const hex = (n) => crypto.randomBytes(n).toString("hex");
const randField = () => BigInt("0x" + hex(32)) % P;

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.ZKR_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const page = await browser.newPage();
  const requests = [];
  const errors = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  await page.setContent("<!doctype html><html><body></body></html>");
  await page.addScriptTag({ content: fs.readFileSync(bundle, "utf8") });
  await page.addScriptTag({ content: fs.readFileSync(l2js, "utf8") });
  await page.evaluate(() => window.ZkrCrypto.ready());
  // BigInts do not cross into Node: the page answers in decimal strings.
  const inPage = (fn, ...args) => page.evaluate(fn, args);

  for (let n = 1; n <= 16; n++) {
    const inputs = Array.from({ length: n }, () => randField().toString());
    const got = await inPage(([xs]) => ZkrCrypto.poseidon(xs).toString(), inputs);
    const want = run(zkr, ["crypto", "poseidon", ...inputs]);
    check(`poseidon(${n})`, got === want, `${got} want ${want}`);
  }

  for (let i = 0; i < 6; i++) {
    const key = hex(32);
    const message = randField().toString();
    const got = await inPage(([k, m]) => {
      const prv = Uint8Array.from(k.match(/../g).map((b) => parseInt(b, 16)));
      const pub = ZkrCrypto.publicKey(prv);
      const sig = ZkrCrypto.sign(prv, m);
      return {
        x: pub.x.toString(), y: pub.y.toString(), pkh: ZkrCrypto.pubkeyHash(pub).toString(),
        r8x: sig.r8x.toString(), r8y: sig.r8y.toString(), s: sig.s.toString(),
      };
    }, key, message);
    const pub = JSON.parse(run(zkr, ["crypto", "pubkey", "--private-key", key]));
    check(`public key ${i}`, got.x === pub.x && got.y === pub.y, JSON.stringify([got, pub]));
    const pkh = run(zkr, ["crypto", "poseidon", pub.x, pub.y]);
    check(`public key hash ${i}`, got.pkh === pkh, `${got.pkh} want ${pkh}`);
    const sig = JSON.parse(run(zkr, ["crypto", "sign", "--private-key", key, "--message", message]));
    check(`signature ${i}`, got.r8x === sig.r8x && got.r8y === sig.r8y && got.s === sig.s,
      JSON.stringify([got, sig]));
  }

  for (const chainId of [1, 31337, 4294967295, crypto.randomInt(1, 2 ** 31)]) {
    const ethKey = "0x" + hex(32);
    const message = await inPage(([c]) => ZkrCrypto.l2KeyMessage(c), chainId);
    const signature = run(cast, ["wallet", "sign", "--private-key", ethKey, message]);
    const got = await inPage(([s]) => {
      const pub = ZkrCrypto.publicKey(ZkrCrypto.deriveL2Key(s));
      return { x: pub.x.toString(), y: pub.y.toString(), pkh: ZkrCrypto.pubkeyHash(pub).toString() };
    }, signature);
    const want = JSON.parse(run(zkr, ["crypto", "l2-pubkey", "--eth-private-key", ethKey, "--chain-id", String(chainId)]));
    check(`L2 key of an Ethereum key on chain ${chainId}`,
      got.x === want.x && got.y === want.y && got.pkh === want.pubkey_hash, JSON.stringify([got, want]));
  }

  for (const args of [["--eth-private-key", "0x1234", "--chain-id", "1"], ["--eth-private-key", "0x" + hex(32), "--chain-id", "-1"]]) {
    const r = spawnSync(zkr, ["crypto", "l2-pubkey", ...args], { encoding: "utf8" });
    check(`zkr crypto l2-pubkey refuses ${args.join(" ")}`, r.status !== 0 && r.stderr.trim().length > 0 && r.stdout === "",
      `status ${r.status}, stderr ${r.stderr}`);
  }

  // Every transaction type, on fresh random values: the page's message, hash and signature
  // (crates/wallet/assets/l2.js with the bundle) against the Rust side's (`zkr crypto tx-message`).
  const rand = (bits) => BigInt("0x" + hex(Math.ceil(bits / 8))) & ((1n << BigInt(bits)) - 1n);
  const randAmount = (mantissaBits) => {
    // a mantissa that may end in zeros, so only canonical packing gives the Rust side's bytes
    let v = rand(mantissaBits) * 10n ** BigInt(crypto.randomInt(0, 21));
    if (v > (1n << 128n) - 1n) v = rand(mantissaBits);
    return v.toString();
  };
  const addr = () => "0x" + hex(20);
  for (let round = 0; round < 2; round++) {
    const chainId = Number(rand(32));
    const common = () => ({ nonce: Number(rand(32)), fee: randAmount(11) });
    const txs = [
      { type: "Transfer", from: Number(rand(24)), to: addr(), token: Number(rand(8)), amount: randAmount(35), ...common() },
      { type: "Withdraw", accountId: Number(rand(24)), to: addr(), token: Number(rand(7)), amount: rand(128).toString(), ...common() },
      { type: "ChangePubKey", accountId: Number(rand(24)), owner: addr(), newPubKeyHash: randField().toString(), feeToken: Number(rand(8)), ethSignature: "0x" + hex(65), ...common() },
      { type: "Swap", accountId: Number(rand(24)), pool: Number(rand(7)), sell: Number(rand(7)), buy: Number(rand(7)), amountIn: randAmount(35), minOut: randAmount(35), ...common() },
      { type: "AddLiquidity", accountId: Number(rand(24)), pool: Number(rand(7)), tokenA: Number(rand(7)), tokenB: Number(rand(7)), maxA: randAmount(35), maxB: randAmount(35), minShares: randAmount(35), ...common() },
      { type: "RemoveLiquidity", accountId: Number(rand(24)), pool: Number(rand(7)), tokenA: Number(rand(7)), tokenB: Number(rand(7)), shares: rand(128).toString(), minA: randAmount(35), minB: randAmount(35), ...common() },
      { type: "CreatePool", accountId: Number(rand(24)), tokenA: Number(rand(7)), tokenB: Number(rand(7)), ...common() },
    ];
    for (const tx of txs) {
      const key = hex(32);
      const got = await inPage(([t, c, k]) => {
        const prv = Uint8Array.from(k.match(/../g).map((b) => parseInt(b, 16)));
        const signed = ZkrL2.sign(t, c, prv);
        return { tx: signed.tx, hash: signed.hash, message: ZkrL2.message(t, c).toString() };
      }, tx, chainId, key);
      const want = JSON.parse(run(zkr, ["crypto", "tx-message", "--chain-id", String(chainId), "--tx", JSON.stringify(got.tx)]));
      check(`${tx.type}: the page's message and hash are the Rust side's, and its signature verifies there`,
        got.message === want.message && got.hash === want.hash && want.signatureValid === true, JSON.stringify([got.message, got.hash, want]));
      const tampered = { ...got.tx, nonce: (got.tx.nonce + 1) % 2 ** 32 };
      const bad = JSON.parse(run(zkr, ["crypto", "tx-message", "--chain-id", String(chainId), "--tx", JSON.stringify(tampered)]));
      check(`${tx.type}: with its nonce changed after signing, the signature no longer verifies`, bad.signatureValid === false && bad.message !== want.message, JSON.stringify(bad));
    }
  }

  const refused = await inPage(() => {
    const tries = {
      "a 64-byte signature": () => ZkrCrypto.deriveL2Key("0x" + "11".repeat(64)),
      "a signature with v = 1": () => ZkrCrypto.deriveL2Key("0x" + "11".repeat(64) + "01"),
      "17 Poseidon inputs": () => ZkrCrypto.poseidon(Array(17).fill("1")),
      "an input above the field": () => ZkrCrypto.poseidon([(2n ** 254n).toString()]),
      "chain id -1": () => ZkrCrypto.l2KeyMessage(-1),
      "an amount with 36 bits of mantissa": () => ZkrL2.packAmount(2n ** 35n),
      "a fee with 12 bits of mantissa": () => ZkrL2.packFee(2049n),
      "an account id of 25 bits": () => ZkrL2.messageParts({ type: "Transfer", from: 2 ** 24, to: "0x" + "11".repeat(20), token: 0, amount: 1n, fee: 0n, nonce: 0 }, 1),
      "a malformed address": () => ZkrL2.messageParts({ type: "Transfer", from: 1, to: "0x1234", token: 0, amount: 1n, fee: 0n, nonce: 0 }, 1),
    };
    return Object.entries(tries).map(([name, f]) => {
      try { f(); return [name, null]; } catch (e) { return [name, e.message]; }
    });
  });
  for (const [name, message] of refused) check(`refuses ${name}`, typeof message === "string" && message.length > 0, String(message));

  check("no network request from the page", requests.length === 0, requests.join(", "));
  check("no page errors", errors.length === 0, errors.join("; "));
  await browser.close();
  console.log(`wallet crypto in Chromium: ${passed} passed, ${failed} failed`);
  if (failed > 0) process.exit(1);
}

main().catch((e) => { console.error(e); process.exit(1); });
