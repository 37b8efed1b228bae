#!/usr/bin/env node
// Bundles the browser wallet's cryptography (crates/wallet/web/crypto.js with circomlibjs and
// its dependencies) into one script, crates/wallet/assets/zkr-crypto.js, served with the page:
// no CDN and no network at run time. The bundle is committed; `--check` rebuilds it in memory and
// fails if the committed one differs (scripts/test runs it).
//
// Usage (after `npm ci`): node scripts/build-wallet-crypto.js [--check]
"use strict";
const fs = require("fs");
const path = require("path");
const esbuild = require("esbuild");

const root = path.resolve(__dirname, "..");
const out = path.join(root, "crates", "wallet", "assets", "zkr-crypto.js");
const shim = path.join(root, "crates", "wallet", "web", "buffer-shim.js");

async function main() {
  const check = process.argv.includes("--check");
  const result = await esbuild.build({
    entryPoints: [path.join(root, "crates", "wallet", "web", "crypto.js")],
    absWorkingDir: root,
    bundle: true,
    format: "iife",
    globalName: "ZkrCrypto",
    platform: "browser",
    target: "es2020",
    minify: true,
    legalComments: "eof",
    inject: [shim],
    write: false,
    logLevel: "warning",
  });
  const text = result.outputFiles[0].text;
  if (check) {
    const committed = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "";
    if (committed !== text) {
      console.error(`error: ${path.relative(root, out)} is stale; run: node scripts/build-wallet-crypto.js`);
      process.exit(1);
    }
    console.log(`${path.relative(root, out)} is current (${text.length} bytes)`);
    return;
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
  console.log(`wrote ${path.relative(root, out)} (${text.length} bytes)`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
