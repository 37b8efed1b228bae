// What the browser tests share: checks counted and reported, a free port, a devnet started and
// awaited until it prints `ready`, polling, and headless Chromium launched without network
// chatter (scripts/test-explorer.js, scripts/test-wallet.js).
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const net = require("net");
const readline = require("readline");
const { chromium } = require("playwright-core");

/** Counts checks; `check(name, ok, detail)` prints ok/FAIL lines. */
function checker() {
  const counts = { passed: 0, failed: 0 };
  const check = (name, ok, detail = "") => {
    if (ok) { counts.passed++; console.log(`ok   ${name}`); } else { counts.failed++; console.error(`FAIL ${name}${detail ? ": " + detail : ""}`); }
  };
  return { check, counts };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

/** Starts `zkr devnet` in `dir` on free ports and resolves with the child once it prints `ready`. */
async function startDevnet(zkr, root, dir, name) {
  const [l1, l2, ex] = [await freePort(), await freePort(), await freePort()];
  const log = fs.openSync(`${os.tmpdir()}/zkr-${name}-devnet-${process.pid}.log`, "w");
  const child = spawn(zkr, ["devnet", "--data-dir", dir, "--project-dir", root, "--l1-port", String(l1),
    "--l2-port", String(l2), "--explorer-port", String(ex)], { stdio: ["ignore", "pipe", log] });
  const lines = readline.createInterface({ input: child.stdout });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the devnet was not ready within 10 minutes")), 600_000);
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`zkr devnet exited (${code}) before ready`)); });
    lines.on("line", (l) => { if (l.includes("ready")) { clearTimeout(timer); resolve(); } });
  });
  return child;
}

/** Stops a devnet started by `startDevnet` and removes its directory. */
async function stopDevnet(child, dir) {
  child.kill("SIGTERM");
  await new Promise((r) => { child.on("exit", r); setTimeout(r, 60_000); });
  fs.rmSync(dir, { recursive: true, force: true });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` every half second until it returns something truthy. */
async function waitFor(what, f, ms = 180_000) {
  const start = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

async function getJson(url) {
  const r = await fetch(url);
  return { status: r.status, body: await r.json() };
}

function launchChromium() {
  return chromium.launch({
    executablePath: process.env.ZKR_CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

module.exports = { checker, freePort, startDevnet, stopDevnet, sleep, waitFor, getJson, launchChromium };
