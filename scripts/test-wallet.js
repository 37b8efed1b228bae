#!/usr/bin/env node
// The browser wallet (/wallet) in a real headless Chromium against a real devnet, driven through
// its UI as a user would, with a small injected EIP-1193 provider that forwards to anvil (whose
// dev accounts are unlocked, so eth_sendTransaction, personal_sign and eth_signTypedData_v4 are
// the real L1's). It connects (after a wrong network is named and switched), deposits ETH and an
// ERC-20 (approve + deposit), registers the L2 key on first use (the key the CLI derives from the
// same Ethereum key), transfers, swaps at the quoted price, adds and removes liquidity, withdraws
// and claims on L1; each result is checked through JSON-RPC and anvil. A rejected signature, a
// slippage failure (the pool moved between quote and execution), an insufficient balance and an
// unreachable node show their messages. The L2 key is never stored, logged or sent. Screenshots
// of each step go to $ZKR_SCREENSHOTS (default target/wallet-screenshots).
//
// Usage (after `npm ci` and `cargo build`): node scripts/test-wallet.js [path/to/zkr]
//   ZKR_KEYS_DIR: proving keys (scripts/test passes the ones it just made)
//   ZKR_CHROMIUM: the browser [default: /usr/bin/chromium]
//   ZKR_DEVNET_DIR: use a devnet already running from that dir instead of starting one
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { keccak_256 } = require("js-sha3");
const { checker, startDevnet, stopDevnet, sleep, waitFor, launchChromium } = require("./lib/harness");

const root = path.resolve(__dirname, "..");
const zkr = process.argv[2] || path.join(root, "target", "debug", "zkr");
const shots = process.env.ZKR_SCREENSHOTS || path.join(root, "target", "wallet-screenshots");
const FRIEND = "0x000000000000000000000000000000000000bEEF";
const E18 = 10n ** 18n;
const { check, counts } = checker();

async function jsonRpc(url, method, params = []) {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = await r.json();
  if (body.error) throw new Error(`${method}: ${body.error.message} (${body.error.code})`);
  return body.result;
}

function zkrCli(args) {
  const r = spawnSync(zkr, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`zkr ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

function abiWord(hex) {
  return hex.replace(/^0x/, "").toLowerCase().padStart(64, "0");
}
function selector(sig) {
  return keccak_256(sig).slice(0, 8);
}

// The provider the page sees as `window.ethereum`: each request goes to `__zkrL1` in this process.
const PROVIDER = `(() => {
  const listeners = {};
  window.ethereum = {
    isZkrTestProvider: true,
    async request({ method, params }) {
      const r = await window.__zkrL1(method, params || []);
      if (r.error) { const e = new Error(r.error.message); e.code = r.error.code; throw e; }
      return r.result;
    },
    on(ev, f) { (listeners[ev] = listeners[ev] || []).push(f); },
    removeListener(ev, f) { listeners[ev] = (listeners[ev] || []).filter((x) => x !== f); },
    __emit(ev, arg) { for (const f of listeners[ev] || []) f(arg); },
  };
})();`;

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const own = !process.env.ZKR_DEVNET_DIR;
  const dir = process.env.ZKR_DEVNET_DIR || fs.mkdtempSync(path.join(os.tmpdir(), "zkr-wallet-"));
  const devnet = own ? await startDevnet(zkr, root, dir, "wallet") : null;
  let browser = null;
  try {
    const file = JSON.parse(fs.readFileSync(path.join(dir, "devnet.json"), "utf8"));
    const base = file.explorer;
    const l1 = (m, p) => jsonRpc(file.l1_rpc, m, p);
    const l2 = (m, p) => jsonRpc(file.l2_rpc, m, p);
    const user = file.accounts[1];
    const me = user.address.toLowerCase();
    const other = file.accounts[2];
    const rollup = file.contracts.rollup;
    const dev = file.tokens.DEV.address;
    const contracts = await l2("zkr_getContracts");
    const account = async () => l2("zkr_getAccount", [me]);
    const l2Bal = async (id) => BigInt(((await account()) || { balances: {} }).balances[id] || "0");
    const ethBalance = async (a) => BigInt(await l1("eth_getBalance", [a, "latest"]));
    const l1Call = async (to, data) => BigInt(await l1("eth_call", [{ to, data }, "latest"]));
    const pendingBalance = (token) => l1Call(rollup, "0x" + selector("getPendingBalance(address,address)") + abiWord(me) + abiWord(token));
    const devBalance = (a) => l1Call(dev, "0x" + selector("balanceOf(address)") + abiWord(a));

    // The test provider: forwards to anvil, as `user`; a wrong network until switched; refuses
    // the next request of a method named in `reject` as a user clicking "Reject" would (4001).
    const wallet = { connected: false, chainId: 1, reject: new Set(), signing: [], params: [], as: user.address };
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 960 } });
    await context.exposeFunction("__zkrL1", async (method, params) => {
      wallet.params.push(JSON.stringify(params));
      if (wallet.reject.delete(method)) return { error: { code: 4001, message: "User rejected the request." } };
      if (["personal_sign", "eth_signTypedData_v4", "eth_sendTransaction"].includes(method)) wallet.signing.push(method);
      switch (method) {
        case "eth_requestAccounts": wallet.connected = true; return { result: [wallet.as] };
        case "eth_accounts": return { result: wallet.connected ? [wallet.as] : [] };
        case "eth_chainId": return { result: "0x" + wallet.chainId.toString(16) };
        case "wallet_switchEthereumChain":
          wallet.chainId = parseInt(params[0].chainId, 16);
          return { result: null };
        default:
          if (wallet.chainId !== contracts.l1ChainId) return { error: { code: 4901, message: "wrong chain in the test provider" } };
          try {
            return { result: await l1(method, params) };
          } catch (e) {
            return { error: { code: -32000, message: e.message } };
          }
      }
    });
    await context.addInitScript(PROVIDER);
    const page = await context.newPage();
    const errors = [];
    const consoleText = [];
    const foreign = [];
    const rpcBodies = [];
    let offline = false; // while the test cuts the node off, the browser logs the refused requests
    page.on("console", (m) => {
      consoleText.push(m.text());
      if (m.type() === "error" && !(offline && /ERR_CONNECTION_REFUSED|502 \(Bad Gateway\)/.test(m.text()))) errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith("data:")) foreign.push(r.url());
      if (r.url().endsWith("/wallet/rpc")) rpcBodies.push(r.postData() || "");
    });
    const shot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    const alertText = async () => (await page.isVisible("#alert")) ? (await page.textContent("#alert [data-alert-text]")) : "";
    const waitAlert = (re) => page.waitForFunction((src) => {
      const a = document.querySelector("#alert");
      return a && !a.hidden && new RegExp(src).test(a.textContent);
    }, re.source, { timeout: 60_000 }).then(() => true, () => false);
    const tab = async (name) => { await page.click(`.tabs [data-tab=${name}]`); };
    const feeShown = (form) => page.waitForFunction((f) => document.querySelector(`#${f} [data-fee]`).textContent.startsWith("Network fee:"), form, { timeout: 30_000 });
    const fmt6 = (v) => { const i = v / E18; const f = (v % E18).toString().padStart(18, "0").slice(0, 6).replace(/0+$/, ""); return f ? `${i}.${f}` : `${i}`; };
    const submit = async (form) => { await page.click(`#${form} button[type=submit]`); };
    const idle = (form) => page.waitForFunction((f) => !document.querySelector(`#${f} button[type=submit]`).disabled, form, { timeout: 120_000 });
    const newest = async () => page.getAttribute("#activity [data-tx]", "data-tx");
    const waitStatus = async (hash, statuses, ms = 120_000) => waitFor(`${hash} ${statuses}`, async () => {
      const s = await page.getAttribute(`[data-tx='${hash}']`, "data-status").catch(() => null);
      return statuses.includes(s) ? s : null;
    }, ms);

    // A browser without a wallet is told what to do.
    const bare = await browser.newContext();
    const barePage = await bare.newPage();
    await barePage.goto(base + "/wallet");
    await barePage.waitForSelector("body[data-ready]");
    check("without a wallet the page says to install one", await barePage.isVisible("#no-wallet"));
    await bare.close();

    // Connect: the wallet is on mainnet first, and the page says so.
    await page.goto(base + "/wallet");
    await page.waitForSelector("body[data-ready]");
    await shot("01-welcome");
    await page.click("#connect");
    await page.waitForSelector("#wrong-network:not([hidden])");
    const wrong = await page.textContent("#wrong-network-text");
    check("a wallet on another network is named, with the chain to switch to", wrong.includes("chain id 1") && wrong.includes(`chain id ${contracts.l1ChainId}`), wrong);
    await shot("02-wrong-network");
    await page.click("#switch-network");
    await page.waitForSelector("#wrong-network", { state: "hidden" });
    check("after switching, the network warning is gone", !(await page.isVisible("#wrong-network")));
    await page.waitForSelector(`[data-balance-l1='0']`);
    await waitFor("L1 balances", async () => (await page.textContent("[data-balance-l1='0']")) !== "—");
    const l1Shown = (await page.textContent("[data-balance-l1='1']")).replace(/,/g, "");
    check("the L1 DEV balance is shown", l1Shown === String((await devBalance(me)) / E18), l1Shown);
    await shot("03-connected");

    // Deposit 5 ETH.
    const pfee = await l1Call(rollup, "0x" + selector("priorityFee()"));
    const rollupEth0 = await ethBalance(rollup);
    await page.selectOption("#deposit [name=token]", "0");
    await page.fill("#deposit [name=amount]", "5");
    await page.waitForFunction(() => document.querySelector("#deposit [data-fee]").textContent.includes("priority fee"));
    const pfeeShown = await page.textContent("#deposit [data-fee]");
    check("the deposit form shows the rollup's priority fee before signing", pfeeShown.includes(`priority fee: ${fmt6(pfee)} ETH`), `${pfeeShown} vs ${fmt6(pfee)}`);
    await submit("deposit");
    await idle("deposit");
    const depositHash = await newest();
    await waitStatus(depositHash, ["included", "committed", "proven", "executed"]);
    check("an ETH deposit through the page arrives on L2", (await l2Bal(0)) === 5n * E18, String(await l2Bal(0)));
    check("the rollup on anvil holds the 5 ETH and the priority fee", (await ethBalance(rollup)) - rollupEth0 === 5n * E18 + pfee);
    await shot("04-deposited-eth");

    // Deposit 1000 DEV: approve, then deposit.
    const devBefore = await devBalance(me);
    const signsBefore = wallet.signing.length;
    await page.selectOption("#deposit [name=token]", "1");
    await page.fill("#deposit [name=amount]", "1000");
    await submit("deposit");
    await idle("deposit");
    const devDeposit = await newest();
    await waitStatus(devDeposit, ["included", "committed", "proven", "executed"]);
    check("an ERC-20 deposit asks the wallet twice (approve, deposit)", wallet.signing.length - signsBefore === 2, String(wallet.signing.slice(signsBefore)));
    check("the DEV deposit arrives on L2", (await l2Bal(1)) === 1000n * E18);
    check("anvil shows 1000 DEV left the user", devBefore - (await devBalance(me)) === 1000n * E18);
    await waitFor("the DEV balance shown", async () => (await page.textContent("[data-balance-l2='1']")) === "1,000");
    await shot("05-deposited-dev");

    // A rejected signature: the first send asks for the key-deriving signature; the user refuses.
    await tab("transfer");
    await page.fill("#transfer [name=to]", FRIEND);
    await page.fill("#transfer [name=amount]", "1.25");
    await page.waitForFunction(() => document.querySelector("#transfer [data-fee]").textContent.includes("one-time key activation"));
    const firstFees = await page.textContent("#transfer [data-fee]");
    check("before the first send, the fee and the one-time activation fee are shown", /Network fee: [\d.]+ ETH \+ one-time key activation [\d.]+ ETH/.test(firstFees), firstFees);
    wallet.reject.add("personal_sign");
    await submit("transfer");
    check("a rejected signature says so in words", await waitAlert(/You rejected the signature in your wallet/), await alertText());
    check("nothing was sent: nonce still 0", (await account()).nonce === 0);
    await shot("06-rejected-signature");

    // The transfer, registering the key on the way (personal_sign, then EIP-712).
    const before = wallet.signing.length;
    await submit("transfer");
    await idle("transfer");
    check("no error after the transfer", (await alertText()) === "", await alertText());
    check("the first send asked for the key signature and the EIP-712 authorization", JSON.stringify(wallet.signing.slice(before)) === JSON.stringify(["personal_sign", "eth_signTypedData_v4"]), JSON.stringify(wallet.signing.slice(before)));
    const transferHash = await newest();
    await waitStatus(transferHash, ["included", "committed", "proven", "executed"]);
    const cli = JSON.parse(zkrCli(["crypto", "l2-pubkey", "--eth-private-key", user.private_key, "--chain-id", String(contracts.chainId)]));
    check("the key registered from the browser is the one the CLI derives from the same Ethereum key", (await account()).pubKeyHash === cli.pubkey_hash, `${(await account()).pubKeyHash} vs ${cli.pubkey_hash}`);
    const friend = await l2("zkr_getAccount", [FRIEND]);
    check("the receiver got 1.25 ETH on L2", friend && friend.balances["0"] === (125n * E18 / 100n).toString(), JSON.stringify(friend));
    const shownHashes = await page.$$eval("#activity [data-tx]", (l) => l.map((x) => x.dataset.tx));
    const l2Txs = (await Promise.all(shownHashes.map((h) => l2("zkr_getTx", [h])))).filter((t) => t && t.tx);
    check("the activity lists the key registration and the transfer", JSON.stringify(l2Txs.map((t) => t.tx.type)) === JSON.stringify(["Transfer", "ChangePubKey"]), JSON.stringify(l2Txs.map((t) => t.tx.type)));
    const feesPaid = l2Txs.reduce((sum, t) => sum + BigInt(t.tx.fee), 0n);
    const [, shownFee, shownReg] = firstFees.match(/Network fee: ([\d.]+) ETH \+ one-time key activation ([\d.]+) ETH/);
    check("the fees signed are the fees shown", fmt6(BigInt(l2Txs[0].tx.fee)) === shownFee && fmt6(BigInt(l2Txs[1].tx.fee)) === shownReg, `${l2Txs.map((t) => t.tx.fee)} vs ${shownFee}, ${shownReg}`);
    check("the sender paid 1.25 ETH and the two fees", (await l2Bal(0)) === 5n * E18 - 125n * E18 / 100n - feesPaid, `${await l2Bal(0)}, fees ${feesPaid}`);
    const timeline = await page.$$eval(`[data-tx='${transferHash}'] .step.done`, (l) => l.map((x) => x.dataset.step));
    check("the transfer's timeline shows it accepted and in a block", timeline[0] === "pending" && timeline.includes("included"), JSON.stringify(timeline));
    check("it links to its explorer page", (await page.getAttribute(`[data-tx='${transferHash}'] a`, "href")) === `/#/tx/${transferHash}`);
    await shot("07-transferred");

    // Insufficient balance: said before the wallet is asked anything.
    const asked = wallet.signing.length;
    await page.fill("#transfer [name=to]", FRIEND);
    await page.fill("#transfer [name=amount]", "1000");
    await submit("transfer");
    check("too large an amount says insufficient balance", await waitAlert(/Insufficient balance/), await alertText());
    check("and asks the wallet nothing", wallet.signing.length === asked);
    await shot("08-insufficient");

    // The node unreachable.
    offline = true;
    await page.route("**/wallet/rpc", (r) => r.abort("connectionrefused"));
    await page.fill("#transfer [name=amount]", "0.1");
    await submit("transfer");
    check("an unreachable node is said in words", await waitAlert(/node is unreachable/), await alertText());
    await shot("09-unreachable");
    await page.unroute("**/wallet/rpc");
    // the proxy answering 502 (its answer when the node is down: crates/wallet/tests/routes.rs)
    await page.click("#alert .close");
    await page.route("**/wallet/rpc", (r) => r.fulfill({ status: 502, contentType: "application/json", body: JSON.stringify({ error: "the zkr node is unreachable" }) }));
    await submit("transfer");
    check("a 502 from the proxy is said as an unreachable node", await waitAlert(/node is unreachable/), await alertText());
    await page.unroute("**/wallet/rpc");
    await sleep(300);
    offline = false;

    // Swap 0.5 ETH for DEV at the quoted price.
    await tab("swap");
    await page.selectOption("#swap [name=sell]", "0");
    await page.selectOption("#swap [name=buy]", "1");
    await page.fill("#swap [name=amount]", "0.5");
    await page.waitForSelector("#swap [data-quote-out]");
    const quote = await l2("zkr_quoteSwap", [0, 1, (E18 / 2n).toString()]);
    check("the swap form shows the price impact", /\d+\.\d\d %/.test(await page.textContent("#swap [data-quote-impact]")));
    await feeShown("swap");
    check("the swap form shows the fee before signing", (await page.textContent("#swap [data-fee]")).startsWith("Network fee:"));
    const minShown = await page.getAttribute("#swap [data-quote-min]", "data-quote-min");
    await shot("10-swap-quote");
    const dev0 = await l2Bal(1);
    await submit("swap");
    await idle("swap");
    const swapHash = await newest();
    await waitStatus(swapHash, ["included", "committed", "proven", "executed"]);
    check("the swap paid exactly the quoted amount", (await l2Bal(1)) - dev0 === BigInt(quote.amountOut), `${(await l2Bal(1)) - dev0} vs ${quote.amountOut}`);
    const swapTx = (await l2("zkr_getTx", [swapHash])).tx;
    check("the swap signed the minimum shown", swapTx.minOut === minShown && swapTx.amountIn === (E18 / 2n).toString(), `${swapTx.minOut} vs ${minShown}`);
    await shot("11-swapped");

    // Slippage: the pool moves (another user's swap) between the quote and the trade.
    await page.fill("#swap [name=slippage]", "0.1");
    await page.fill("#swap [name=amount]", "0.5");
    await page.waitForFunction(() => document.querySelector("#swap [data-quote-min]")?.textContent.includes("DEV") && document.querySelector("#swap [data-quote]").textContent.includes("slippage 0.1 %"));
    const nonceBefore = (await account()).nonce;
    let moved = false;
    await page.route("**/wallet/rpc", async (r) => {
      if (!moved && (r.request().postData() || "").includes("\"Swap\"")) {
        moved = true;
        zkrCli(["wallet", "--l2-rpc", file.l2_rpc, "--private-key", other.private_key, "deposit", "--amount", "20", "--wait", "included"]);
        zkrCli(["wallet", "--l2-rpc", file.l2_rpc, "--private-key", other.private_key, "swap", "--sell", "ETH", "--buy", "DEV", "--amount", "10", "--wait", "included"]);
      }
      await r.continue();
    });
    await submit("swap");
    check("a swap the pool moved against fails with a slippage message", await waitAlert(/Slippage: the price moved/), await alertText());
    check("the failed swap changed nothing (nonce)", (await account()).nonce === nonceBefore);
    await page.unroute("**/wallet/rpc");
    await shot("12-slippage");

    // Add liquidity: 0.2 ETH and up to 1000 DEV; the shares are what the pool's rule gives.
    await tab("liquidity");
    await page.check("#liquidity [name=mode][value=add]");
    await page.fill("#liquidity [name=amountA]", "0.2");
    await page.fill("#liquidity [name=amountB]", "1000");
    await page.waitForSelector("#liquidity [data-quote-shares]");
    await feeShown("liquidity");
    const maxAShown = await page.getAttribute("#liquidity [data-quote-max-a]", "data-quote-max-a");
    const maxBShown = await page.getAttribute("#liquidity [data-quote-max-a]", "data-quote-max-b");
    const minSharesShown = await page.getAttribute("#liquidity [data-quote-shares]", "data-quote-shares");
    await shot("13-add-liquidity");
    const pool = await l2("zkr_getPool", [0, 1]);
    const [ra, rb, s] = [BigInt(pool.reserveA), BigInt(pool.reserveB), BigInt(pool.lpSupply)];
    const sa = (2n * E18 / 10n) * s / ra;
    const sb = (1000n * E18) * s / rb;
    const expectShares = sa < sb ? sa : sb;
    await submit("liquidity");
    await idle("liquidity");
    const addHash = await newest();
    await waitStatus(addHash, ["included", "committed", "proven", "executed"]);
    check("add liquidity minted the pool rule's shares", (await l2Bal(pool.lpToken)) === expectShares, `${await l2Bal(pool.lpToken)} vs ${expectShares}`);
    const addTx = (await l2("zkr_getTx", [addHash])).tx;
    check("add liquidity signed the deposits and minimum shown", addTx.maxA === maxAShown && addTx.maxB === maxBShown && addTx.minShares === minSharesShown, JSON.stringify([addTx, maxAShown, maxBShown, minSharesShown]));
    check("and signed no more DEV than the pool's ratio needs (not the 1000 typed)", BigInt(addTx.maxB) < 1000n * E18, addTx.maxB);

    // Remove all of it.
    const devBeforeRemove = await l2Bal(1);
    await page.check("#liquidity [name=mode][value=remove]");
    await page.fill("#liquidity [name=percent]", "100");
    await page.waitForSelector("#liquidity [data-quote-out]");
    await feeShown("liquidity");
    await shot("14-remove-liquidity");
    const poolR = await l2("zkr_getPool", [0, 1]);
    const outB = expectShares * BigInt(poolR.reserveB) / BigInt(poolR.lpSupply);
    await submit("liquidity");
    await idle("liquidity");
    const removeHash = await newest();
    await waitStatus(removeHash, ["included", "committed", "proven", "executed"]);
    check("remove liquidity burnt every share", (await l2Bal(pool.lpToken)) === 0n);
    check("and paid the pool rule's DEV", (await l2Bal(1)) - devBeforeRemove === outB, `${(await l2Bal(1)) - devBeforeRemove} vs ${outB}`);

    // Withdraw 1 ETH, wait until its batch is executed, claim it on L1.
    await tab("withdraw");
    await page.selectOption("#withdraw [name=token]", "0");
    await page.fill("#withdraw [name=amount]", "1");
    await feeShown("withdraw");
    await submit("withdraw");
    await idle("withdraw");
    const withdrawHash = await newest();
    await waitStatus(withdrawHash, ["executed"], 600_000);
    const steps = await page.$$eval(`[data-tx='${withdrawHash}'] .step.done`, (l) => l.map((x) => x.dataset.step));
    check("the withdrawal's timeline reaches final on L1", JSON.stringify(steps) === JSON.stringify(["pending", "included", "committed", "proven", "executed"]), JSON.stringify(steps));
    check("anvil holds 1 ETH claimable for the user", (await pendingBalance("0x0000000000000000000000000000000000000000")) === E18);
    await waitFor("the claimable ETH shown", async () => (await page.textContent("[data-claimable='0']")) === "1");
    await shot("15-claimable");
    const ethBefore = await ethBalance(me);
    await page.click("[data-claim='0']");
    await waitFor("the claim", async () => (await pendingBalance("0x0000000000000000000000000000000000000000")) === 0n);
    const claimHash = await waitFor("the claim in the activity", async () => {
      const h = await newest();
      return h && h !== withdrawHash ? h : null;
    });
    const receipt = await l1("eth_getTransactionReceipt", [claimHash]);
    const gas = BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice);
    check("claiming paid exactly 1 ETH to the user on L1 (less the claim's gas)", (await ethBalance(me)) - ethBefore === E18 - gas, `${(await ethBalance(me)) - ethBefore} vs ${E18 - gas}`);
    await waitFor("the claimable ETH gone", async () => (await page.textContent("[data-claimable='0']")) === "0");
    await shot("16-claimed");

    // Switching the wallet's account: the page follows it and forgets the L2 key.
    wallet.as = other.address;
    await page.evaluate((a) => window.ethereum.__emit("accountsChanged", [a]), other.address);
    await waitFor("the other account shown", async () => (await page.textContent("#who")).startsWith(other.address.toLowerCase().slice(0, 8)));
    const otherEth = BigInt((await l2("zkr_getAccount", [other.address])).balances["0"]);
    const shownOther = await waitFor("its balance", async () => { const t = await page.textContent("[data-balance-l2='0']"); return t === fmt6(otherEth) ? t : null; }, 30_000).catch(() => null);
    check("after an account switch the page shows the other account's L2 balance", shownOther !== null, `${await page.textContent("[data-balance-l2='0']")} vs ${fmt6(otherEth)}`);
    wallet.as = user.address;
    await page.evaluate((a) => window.ethereum.__emit("accountsChanged", [a]), user.address);
    await waitFor("the user shown again", async () => (await page.textContent("#who")).startsWith(me.slice(0, 8)));
    const signsBeforeSwitchBack = wallet.signing.filter((m) => m === "personal_sign").length;
    await tab("transfer");
    await page.fill("#transfer [name=to]", FRIEND);
    await page.fill("#transfer [name=amount]", "0.01");
    await feeShown("transfer");
    await submit("transfer");
    await idle("transfer");
    check("the key was forgotten with the switch: the next send asks for the key signature again", wallet.signing.filter((m) => m === "personal_sign").length === signsBeforeSwitchBack + 1 && (await alertText()) === "", await alertText());

    // A phone.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check("the wallet fits a phone's width", overflow <= 0, `${overflow}px wider`);
    await shot("17-phone");

    // The L2 key: derived from the same signature anvil makes, it is never stored, logged or sent.
    const msg = "0x" + Buffer.from(`Access zkr account.\n\nThis signature creates your zkr L2 signing key for zkr chain ${contracts.chainId}.\nOnly sign this message for a trusted client!`).toString("hex");
    const sig = await l1("personal_sign", [msg, user.address]);
    const key = keccak_256(Buffer.from(sig.slice(2), "hex"));
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    check("the L2 key is not in local or session storage or cookies", !stored.includes(key) && stored === "{}{}", stored.slice(0, 100));
    const secrets = [key, sig.slice(2), BigInt("0x" + key).toString()];
    const leaks = (texts) => texts.filter((t) => secrets.some((x) => t.toLowerCase().includes(x)));
    check("the L2 key and the signature it comes from are in no console message", leaks(consoleText).length === 0);
    check("nor in any request to the node", rpcBodies.length > 0 && leaks(rpcBodies).length === 0, leaks(rpcBodies).join(" ").slice(0, 200));
    check("nor in anything the page asked the wallet", wallet.params.length > 0 && leaks(wallet.params).length === 0, leaks(wallet.params).join(" ").slice(0, 200));

    check("no console errors", errors.length === 0, errors.join("\n"));
    check("no request leaves the node's origin", foreign.length === 0, foreign.join(", "));
  } finally {
    if (browser) await browser.close();
    if (devnet) await stopDevnet(devnet, dir);
  }
  console.log(`wallet: ${counts.passed} checks passed, ${counts.failed} failed; screenshots in ${shots}`);
  if (counts.failed) process.exit(1);
}

main().catch((e) => { console.error(`error: ${e.stack || e.message}`); process.exit(1); });
