#!/usr/bin/env node
// The explorer in a real headless Chromium against a real devnet: the overview, a deposit and a
// transfer made with `zkr wallet`, the transfer followed from search to its page and on to its
// batch page with L1 hashes once executed, the TVL shown against the rollup's balances read from
// anvil, the solvency check, a "not found", an account page and its CSV, a phone-sized overview,
// and no console errors on any page. Screenshots go to $ZKR_SCREENSHOTS (default
// target/explorer-screenshots).
//
// Usage (after `npm ci` and `cargo build`): node scripts/test-explorer.js [path/to/zkr]
//   ZKR_KEYS_DIR: proving keys (scripts/test passes the ones it just made)
//   ZKR_CHROMIUM: the browser [default: /usr/bin/chromium]
//   ZKR_DEVNET_DIR: use a devnet already running from that dir instead of starting one
"use strict";
const { spawnSync, execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { checker, startDevnet, stopDevnet, sleep, waitFor, getJson, launchChromium } = require("./lib/harness");

const root = path.resolve(__dirname, "..");
const zkr = process.argv[2] || path.join(root, "target", "debug", "zkr");
const cast = path.join(root, "node_modules", ".bin", "cast");
const shots = process.env.ZKR_SCREENSHOTS || path.join(root, "target", "explorer-screenshots");
const TRANSFER_TO = "0x000000000000000000000000000000000000bEEF";
const { check, counts } = checker();

function wallet(file, ...args) {
  const key = file.accounts[0].private_key;
  const r = spawnSync(zkr, ["wallet", "--l2-rpc", file.l2_rpc, "--private-key", key, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`zkr wallet ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim().split("\n")[0].trim();
}

function castCall(rpc, ...args) {
  return execFileSync(cast, [...args, "--rpc-url", rpc], { encoding: "utf8" }).trim().split(" ")[0];
}

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const own = !process.env.ZKR_DEVNET_DIR;
  const dir = process.env.ZKR_DEVNET_DIR || fs.mkdtempSync(path.join(os.tmpdir(), "zkr-explorer-"));
  const devnet = own ? await startDevnet(zkr, root, dir, "explorer") : null;
  let browser = null;
  try {
    const file = JSON.parse(fs.readFileSync(path.join(dir, "devnet.json"), "utf8"));
    check("devnet.json names the explorer", typeof file.explorer === "string" && file.explorer.startsWith("http://"), file.explorer);
    const base = file.explorer;
    const me = file.accounts[0].address;

    // Activity: a deposit and a transfer, both through the wallet.
    const deposit = wallet(file, "deposit", "--amount", "3", "--wait", "included");
    const transfer = wallet(file, "transfer", "--to", TRANSFER_TO, "--amount", "1.25", "--wait", "included");
    check("the wallet printed the transfer's hash", /^0x[0-9a-f]{64}$/.test(transfer), transfer);

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    const foreign = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`); });
    page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
    page.on("request", (r) => { if (!r.url().startsWith(base) && !r.url().startsWith("data:")) foreign.push(r.url()); });

    // Search the transfer, follow it to its page, and on to its batch once executed.
    await waitFor("the transfer's batch executed", async () => (await getJson(`${base}/api/txs/${transfer}`)).body.status === "executed");
    // Overview: TVL read from L1 equals what anvil says the rollup holds.
    // (after the transfer's batch executed: nothing moves while it is read)
    const tvl = (await getJson(base + "/api/tvl")).body;
    const ethHeld = castCall(file.l1_rpc, "balance", file.contracts.rollup);
    const devHeld = castCall(file.l1_rpc, "call", file.tokens.DEV.address, "balanceOf(address)(uint256)", file.contracts.rollup);
    const eth = tvl.tokens.find((t) => t.symbol === "ETH");
    const dev = tvl.tokens.find((t) => t.symbol === "DEV");
    check("TVL of ETH equals the rollup's ETH balance on anvil", eth && eth.held === ethHeld, `${eth && eth.held} vs ${ethHeld}`);
    check("TVL of DEV equals the rollup's DEV balanceOf on anvil", dev && dev.held === devHeld, `${dev && dev.held} vs ${devHeld}`);
    check("the solvency check passes for every token", tvl.solvent && tvl.tokens.every((t) => t.solvent), JSON.stringify(tvl.tokens.map((t) => [t.symbol, t.difference])));
    // /api/tvl just measured; the page shows that report
    await page.goto(base + "/");
    await page.waitForSelector("[data-tvl-token='0']", { timeout: 60_000 });
    await page.waitForSelector("#solvency-status");
    const shown = await page.textContent("[data-tvl-token='0']");
    const ethHuman = (Number(BigInt(ethHeld) / 10n ** 12n) / 1e6);
    check("the page shows the ETH TVL in ETH", shown.includes("ETH") && shown.replace(/,/g, "").startsWith(String(Math.floor(ethHuman))), `${shown} vs ${ethHuman}`);
    check("the page says solvent", (await page.textContent("#solvency-status")).startsWith("Solvent"));
    const devShown = (await page.textContent("[data-tvl-token='1']")).replace(/,/g, "");
    check("the page shows the DEV TVL in DEV", devShown === `${BigInt(devHeld) / 10n ** 18n} DEV`, devShown);
    check("no shortfall alert", (await page.$("#solvency-alert")) === null);
    await page.screenshot({ path: path.join(shots, "overview.png"), fullPage: true });

    await page.fill("#q", transfer);
    await page.click("#search button");
    await page.waitForSelector("#tx-status");
    check("search leads to the transaction page", page.url().endsWith(`#/tx/${transfer}`), page.url());
    check("the transaction is shown executed", (await page.textContent("#tx-status")).includes("executed"));
    check("its amount in human units", (await page.textContent("#tx-amount")).trim() === "1.25 ETH", await page.textContent("#tx-amount"));
    const stepsDone = await page.$$eval("ol.timeline li.done", (l) => l.map((x) => x.dataset.step));
    check("its timeline reaches executed", JSON.stringify(stepsDone) === JSON.stringify(["pending", "included", "committed", "proven", "executed"]), JSON.stringify(stepsDone));
    const timed = await page.$$eval("ol.timeline li", (l) => l.map((x) => x.textContent.includes("UTC")));
    check("every step of its timeline has a time", timed.length === 5 && timed.every(Boolean), JSON.stringify(timed));
    await page.screenshot({ path: path.join(shots, "transaction.png"), fullPage: true });
    await page.click("#tx-batch a");
    await page.waitForSelector("#batch-status");
    check("the batch page is executed", (await page.textContent("#batch-status")).includes("executed"));
    const batch = (await getJson(`${base}/api/batches/${page.url().split("/").pop()}`)).body;
    for (const step of ["commit", "prove", "execute"]) {
      const title = await page.getAttribute(`[data-l1-step='${step}'] .mono`, "title");
      check(`the batch page shows the ${step} L1 hash`, title && title === batch[step].tx, `${title} vs ${batch[step].tx}`);
      const receipt = JSON.parse(execFileSync(cast, ["receipt", batch[step].tx, "--json", "--rpc-url", file.l1_rpc], { encoding: "utf8" }));
      check(`the ${step} transaction is mined on L1 with the gas shown`, receipt.status === "0x1" && parseInt(receipt.gasUsed, 16) === batch[step].gas, `${receipt.gasUsed} vs ${batch[step].gas}`);
    }
    await page.screenshot({ path: path.join(shots, "batch.png"), fullPage: true });

    // The deposit by its L1 transaction hash.
    await page.fill("#q", deposit);
    await page.click("#search button");
    await page.waitForFunction((h) => location.hash === `#/tx/${h}`, deposit);
    await page.waitForSelector("#tx-status");
    check("an L1 deposit hash finds the deposit", (await page.textContent("h1")).includes("L1 priority operation"));

    // An unknown hash: a clear "not found".
    const unknown = "0x" + "ab".repeat(32);
    await page.fill("#q", unknown);
    await page.click("#search button");
    await page.waitForSelector("#not-found");
    check("an unknown hash says not found", (await page.textContent("h1")) === "Not found" && (await page.textContent("#not-found")).includes(unknown));
    await page.screenshot({ path: path.join(shots, "not-found.png"), fullPage: true });
    await page.goto(`${base}/#/tx/${unknown}`);
    await page.waitForSelector("#not-found");
    check("a link to an unknown transaction says not found", (await page.textContent("#not-found")).includes("No transaction"));

    // The account: balances, history and its CSV.
    await page.fill("#q", me);
    await page.click("#search button");
    await page.waitForSelector("text=Balances");
    const history = await page.$$eval("#history tbody tr", (rows) => rows.length);
    check("the account page lists its history: the deposit, the key, the transfer", history >= 3 && (await page.textContent("#history")).includes(transfer.slice(0, 8)), String(history));
    const csv = await (await fetch(`${base}/api/accounts/${me}/history.csv`)).text();
    check("the CSV export holds the transfer", csv.startsWith("block,position,") && csv.includes(transfer), csv.slice(0, 200));
    await page.screenshot({ path: path.join(shots, "account.png"), fullPage: true });
    await page.goto(`${base}/#/block/${batch.firstBlock}`);
    // The previous page's heading stays until the block is loaded: wait for this one's.
    const blockHeading = await page
      .waitForFunction((n) => document.querySelector("h1")?.textContent === `Block ${n}`, batch.firstBlock, { timeout: 10000 })
      .then(() => true, () => false);
    check("a block page lists its operations", blockHeading, await page.textContent("h1"));
    await page.screenshot({ path: path.join(shots, "block.png"), fullPage: true });
    await page.goto(base + "/#/tokens");
    await page.waitForSelector("h1");
    check("the tokens page lists ETH and DEV", (await page.textContent("main")).includes("DEV"));
    await page.screenshot({ path: path.join(shots, "tokens.png"), fullPage: true });
    await page.goto(base + "/#/pools");
    await page.waitForSelector("h1");
    check("the pools page shows the seeded ETH/DEV pool", (await page.textContent("main")).includes("ETH/DEV"));
    await page.screenshot({ path: path.join(shots, "pools.png"), fullPage: true });

    // A phone.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const small = await phone.newPage();
    small.on("console", (m) => { if (m.type() === "error") errors.push(`phone: ${m.text()}`); });
    small.on("pageerror", (e) => errors.push(`phone: ${e.message}`));
    await small.goto(base + "/");
    await small.waitForSelector("[data-tvl-token='0']");
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check("the overview fits a phone's width (tables scroll inside)", overflow <= 0, `${overflow}px wider`);
    await small.screenshot({ path: path.join(shots, "overview-phone.png"), fullPage: true });

    // A shortfall, made on anvil: 1 wei of the rollup's ETH gone. The check flags it loudly.
    const before = (await getJson(base + "/api/tvl")).body.tokens.find((t) => t.symbol === "ETH");
    const held = BigInt(castCall(file.l1_rpc, "balance", file.contracts.rollup));
    execFileSync(cast, ["rpc", "anvil_setBalance", file.contracts.rollup, "0x" + (held - 1n).toString(16), "--rpc-url", file.l1_rpc]);
    await sleep(1100); // a measurement less than a second old is reused
    const short = (await getJson(base + "/api/tvl")).body;
    const shortEth = short.tokens.find((t) => t.symbol === "ETH");
    check("a missing wei of ETH on L1 fails the solvency check", !short.solvent && !shortEth.solvent && BigInt(shortEth.difference) === BigInt(before.difference) - 1n, JSON.stringify(shortEth));
    await page.goto(base + "/");
    await page.waitForSelector("#solvency-alert");
    check("the page shows the shortfall", (await page.textContent("#solvency-alert")).includes("SHORTFALL") && (await page.textContent("#solvency-status")).includes("NOT SOLVENT"));
    await page.screenshot({ path: path.join(shots, "shortfall.png"), fullPage: true });
    execFileSync(cast, ["rpc", "anvil_setBalance", file.contracts.rollup, "0x" + held.toString(16), "--rpc-url", file.l1_rpc]);
    await sleep(1100);
    check("restored, it is solvent again", (await getJson(base + "/api/tvl")).body.solvent === true);

    check("no console errors on any page", errors.length === 0, errors.join("\n"));
    check("no request leaves the explorer", foreign.length === 0, foreign.join(", "));
  } finally {
    if (browser) await browser.close();
    if (devnet) await stopDevnet(devnet, dir);
  }
  console.log(`explorer: ${counts.passed} checks passed, ${counts.failed} failed; screenshots in ${shots}`);
  if (counts.failed) process.exit(1);
}

main().catch((e) => { console.error(`error: ${e.stack || e.message}`); process.exit(1); });
