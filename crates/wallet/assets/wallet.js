// The zkr browser wallet: an injected Ethereum wallet (EIP-1193, `window.ethereum`) for L1 and
// for the two signatures that make and authorize the L2 key; L2 transactions signed here with
// ZkrCrypto (circomlibjs) and ZkrL2 (the protocol's messages), sent to the node through the
// page's own origin (`POST /wallet/rpc`). The L2 private key is held in `state.key` only: never
// stored, never logged, gone when the tab closes (docs/wallet.md).
(function () {
  "use strict";
  const C = window.ZkrCrypto;
  const L2 = window.ZkrL2;
  const $ = (s, root = document) => root.querySelector(s);
  const $$ = (s, root = document) => Array.from(root.querySelectorAll(s));

  const ROLLUP_ABI = [
    "function depositETH(address to) payable",
    "function depositERC20(address token, uint128 amount, address to) payable",
    "function priorityFee() view returns (uint128)",
    "function getPendingBalance(address owner, address token) view returns (uint128)",
    "function withdrawPendingBalance(address owner, address token, uint128 amount)",
  ];
  const ERC20_ABI = [
    "function balanceOf(address owner) view returns (uint256)",
    "function allowance(address owner, address spender) view returns (uint256)",
    "function approve(address spender, uint256 amount) returns (bool)",
  ];
  const rollupAbi = new C.Interface(ROLLUP_ABI);
  const erc20Abi = new C.Interface(ERC20_ABI);
  const ZERO = "0x0000000000000000000000000000000000000000";
  const LP_BASE = 128;
  const LP_DECIMALS = 18;

  const state = {
    contracts: null, // zkr_getContracts
    tokens: [], // zkr_getTokens (L1 tokens)
    pools: [], // zkr_getPools
    address: null, // the connected account, lower case
    walletChain: null,
    key: null, // the L2 private key (memory only)
    pkh: null, // its key hash (decimal)
    account: null, // zkr_getAccount
    l1: {}, // token id -> {balance, pending}
    quote: null, // the swap quote shown
    activity: [],
  };

  // ---------- errors in words a user understands ----------
  class UserError extends Error {}

  const NODE_ERRORS = {
    "-32602": "The node refused the request as malformed.",
    "-32603": "The node had an internal error; nothing was sent. Try again.",
    1001: "The node refused the L2 signature: it was not made by this account's registered key.",
    1002: "Another transaction from your account got in first (its nonce is used). Try again.",
    1003: "Your account's nonce moved on. Try again.",
    1004: "Insufficient balance: the amount plus the fee is more than you hold on zkr.",
    1005: "Your address has no zkr account yet: make a deposit first.",
    1006: "The node does not know this token.",
    1007: "The receiver's balance would overflow.",
    1008: "This amount cannot be represented on zkr (too many significant digits).",
    1009: "Your zkr key is not registered yet.",
    1010: "The node refused the key authorization signed in your wallet.",
    1011: "The node cannot take a fee in this token right now: try again in a moment, or pay in ETH.",
    1012: "Funds cannot be sent to the zero address.",
    1013: "This zkr account belongs to another address.",
    1014: "The fee went up since it was shown. Review the new fee and try again.",
    1015: "The node is busy while proofs catch up. Try again in a minute.",
    1016: "You are sending too fast. Wait a moment and try again.",
    1017: "There is no pool for this pair.",
    1018: "This pair already has a pool.",
    1019: "Slippage: the price moved and the pool would now give less than your minimum. Check the new quote (or raise the slippage tolerance) and try again.",
    1020: "The pool cannot do this: the amount is too small to get anything, or too large for the pool.",
    1021: "Every pool id is taken.",
    1022: "This node does not take this kind of transaction.",
    1023: "The rollup is in exodus mode and takes no more transactions: exit on L1 with `zkr wallet exit`.",
  };

  const UNREACHABLE = "The zkr node is unreachable: check that it is running and your connection, then try again.";

  function nodeError(e) {
    const words = NODE_ERRORS[e.code] || "The node refused the transaction.";
    return new UserError(`${words} (node: ${e.message}; code ${e.code})`);
  }

  // ---------- the node ----------
  let rpcId = 0;
  async function rpc(method, params = []) {
    let r;
    try {
      r = await fetch("/wallet/rpc", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method, params }),
      });
    } catch (_) {
      throw new UserError(UNREACHABLE);
    }
    const body = await r.json().catch(() => null);
    if (!r.ok || !body) throw new UserError(UNREACHABLE);
    if (body.error) throw nodeError(body.error);
    return body.result;
  }

  // A transaction's status and timeline: `null` until the node has it (zkr_getTx answers null
  // where the explorer's route would answer 404), then the explorer's view with its timeline.
  async function txView(hash) {
    if (!(await rpc("zkr_getTx", [hash]))) return null;
    const r = await fetch(`/api/txs/${hash}`);
    if (!r.ok) throw new UserError(UNREACHABLE);
    return r.json();
  }

  // ---------- the Ethereum wallet ----------
  async function eth(method, params = [], what = "request") {
    if (!window.ethereum) throw new UserError("No Ethereum wallet found in this browser: install one (for example MetaMask) and reload.");
    try {
      return await window.ethereum.request({ method, params });
    } catch (e) {
      const code = e && e.code;
      if (code === 4001) throw new UserError(`You rejected the ${what} in your wallet. Nothing was sent.`);
      if (code === 4100) throw new UserError("Your wallet has not authorized this page: connect it again.");
      throw new UserError(`Your wallet could not complete the ${what}: ${(e && e.message) || e}`);
    }
  }

  async function l1Call(to, iface, fn, args) {
    const data = iface.encodeFunctionData(fn, args);
    const out = await eth("eth_call", [{ to, data }, "latest"], "read");
    return iface.decodeFunctionResult(fn, out);
  }

  const hex = (v) => "0x" + BigInt(v).toString(16);

  // Sends an L1 transaction from the wallet; with `label`, it is in Activity from the moment it
  // is sent (a deposit is never lost from view while it waits to be mined).
  async function sendL1(tx, what, label = null, kind = "l1") {
    requireChain();
    const hash = await eth("eth_sendTransaction", [{ from: state.address, ...tx }], "transaction");
    if (label) track(hash, label, kind);
    progress(`${what}: sent on Ethereum (${short(hash)}), waiting for it to be mined…`);
    for (let i = 0; ; i++) {
      const receipt = await eth("eth_getTransactionReceipt", [hash], "read");
      if (receipt) {
        const entry = state.activity.find((a) => a.hash === hash);
        if (receipt.status !== "0x1") {
          if (entry) { entry.status = "failed"; entry.error = "reverted on Ethereum"; renderActivity(); }
          throw new UserError(`${what}: the Ethereum transaction ${hash} failed (reverted).`);
        }
        if (entry && entry.kind === "claim") { entry.status = "executed"; renderActivity(); }
        return hash;
      }
      if (i > 600) throw new UserError(`${what}: the Ethereum transaction ${hash} was not mined after 5 minutes.`);
      await sleep(500);
    }
  }

  // ---------- amounts ----------
  const big = (ethersBig) => BigInt(ethersBig.toString());

  function parseAmount(text, decimals, what = "amount") {
    const s = String(text || "").trim();
    if (!s) throw new UserError(`Enter the ${what}.`);
    let v;
    try {
      v = big(C.parseUnits(s, decimals));
    } catch (_) {
      throw new UserError(`"${s}" is not an amount: write it like 1.5 (at most ${decimals} decimals).`);
    }
    if (v <= 0n) throw new UserError(`The ${what} must be more than zero.`);
    return v;
  }

  function fmt(v, decimals, places = 6) {
    const s = C.formatUnits(BigInt(v).toString(), decimals);
    let [i, f = ""] = s.split(".");
    f = f.slice(0, places).replace(/0+$/, "");
    if (!f && BigInt(v) > 0n && i === "0") return "<" + (places ? "0." + "0".repeat(places - 1) + "1" : "1");
    i = i.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return f ? `${i}.${f}` : i;
  }

  function token(id) {
    id = Number(id);
    const t = state.tokens.find((x) => x.id === id);
    if (t) return t;
    if (id >= LP_BASE) {
      const p = state.pools.find((x) => x.lpToken === id);
      const pair = p ? `${token(p.tokenA).symbol}/${token(p.tokenB).symbol}` : `#${id - LP_BASE}`;
      return { id, symbol: `LP ${pair}`, decimals: LP_DECIMALS, address: null, lp: true };
    }
    return { id, symbol: `token ${id}`, decimals: 18, address: null };
  }

  const amountText = (v, id) => `${fmt(v, token(id).decimals)} ${token(id).symbol}`;
  const l2Balance = (id) => BigInt((state.account && state.account.balances[id]) || "0");
  const short = (h) => `${h.slice(0, 8)}…${h.slice(-6)}`;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // ---------- messages to the user ----------
  function showAlert(text, kind = "error") {
    const a = $("#alert");
    a.className = kind === "error" ? "" : "info";
    a.replaceChildren(el("span", { "data-alert-text": "" }, text), el("button", { class: "close", type: "button", "aria-label": "Dismiss", onclick: () => { a.hidden = true; } }, "×"));
    a.hidden = false;
  }
  function clearAlert() { $("#alert").hidden = true; }
  let progressEl = null;
  function progress(text) { if (progressEl) progressEl.textContent = text; }

  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v !== false && v != null) e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  // Runs an action from a button: one at a time, its progress in the form, its error in words.
  let busy = false;
  async function act(form, f) {
    if (busy) return;
    busy = true;
    clearAlert();
    const button = $("button[type=submit]", form) || form;
    const label = button.textContent;
    button.disabled = true;
    progressEl = $("[data-fee]", form);
    try {
      await f();
    } catch (e) {
      showAlert(e instanceof UserError ? e.message : `Something went wrong: ${e.message || e}`);
      if (!(e instanceof UserError)) console.warn(e);
    } finally {
      busy = false;
      button.disabled = false;
      button.textContent = label;
      progressEl = null;
      refresh().catch(() => {});
      updateForms();
    }
  }

  // ---------- connection and network ----------
  function requireConnected() {
    if (!state.address) throw new UserError("Connect your wallet first.");
  }
  function requireChain() {
    requireConnected();
    if (state.walletChain !== state.contracts.l1ChainId) {
      throw new UserError(`Your wallet is on another network (chain id ${state.walletChain}). Switch it to chain id ${state.contracts.l1ChainId}, the network this zkr runs on.`);
    }
  }

  async function checkChain() {
    state.walletChain = Number(BigInt(await eth("eth_chainId", [], "request")));
    const want = state.contracts.l1ChainId;
    const wrong = state.walletChain !== want;
    $("#wrong-network").hidden = !wrong;
    if (wrong) {
      $("#wrong-network-text").textContent = `Your wallet is on another network (chain id ${state.walletChain}). This zkr runs on Ethereum chain id ${want}: switch your wallet to it to continue.`;
    }
    $("#network").textContent = `L1 chain ${want} · zkr chain ${state.contracts.chainId}`;
    return !wrong;
  }

  function setAddress(a) {
    const next = a ? a.toLowerCase() : null;
    if (next !== state.address) {
      // the L2 key belongs to one address: forget it with the address
      state.key = null;
      state.keyAddress = null;
      state.pkh = null;
      state.account = null;
      state.l1 = {};
      state.quote = null;
      state.replaceConfirmed = null;
      if (document.querySelector("#balances tbody")) renderBalances();
    }
    state.address = next;
    $("#who").textContent = next ? short(next) : "";
    $("#connect").textContent = next ? "Connected" : "Connect wallet";
    $("#connect").disabled = !!next;
    $("#welcome").hidden = !!next;
    $("#app").hidden = !next;
    const w = $("#withdraw [name=to]");
    if (next) w.placeholder = next;
  }

  async function connect() {
    clearAlert();
    try {
      const accounts = await eth("eth_requestAccounts", [], "connection request");
      if (!accounts || !accounts.length) throw new UserError("Your wallet shared no account.");
      setAddress(accounts[0]);
      await checkChain();
      await refresh();
    } catch (e) {
      showAlert(e instanceof UserError ? e.message : String(e.message || e));
    }
  }

  // ---------- the L2 key ----------
  function utf8Hex(s) {
    return "0x" + Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function requireSameAddress(address) {
    if (state.address !== address) throw new UserError("Your wallet switched to another account meanwhile: nothing was sent. Try again.");
  }

  async function l2Key() {
    if (state.key && state.keyAddress === state.address) return state.key;
    const address = state.address;
    progress("Sign the message in your wallet: it creates your zkr signing key…");
    let sig = await eth("personal_sign", [utf8Hex(C.l2KeyMessage(state.contracts.chainId)), address], "signature");
    requireSameAddress(address);
    // r || s || v with v in {27, 28} (§2.3); a wallet answering v in {0, 1} means the same
    const v = parseInt(sig.slice(-2), 16);
    if (v === 0 || v === 1) sig = sig.slice(0, -2) + (v + 27).toString(16);
    const key = C.deriveL2Key(sig);
    state.pkh = C.pubkeyHash(C.publicKey(key)).toString();
    state.key = key;
    state.keyAddress = address;
    return key;
  }

  const registered = () => state.account && state.account.pubKeyHash !== "0" && (!state.pkh || state.account.pubKeyHash === state.pkh);

  async function fee(kind, tokenId) {
    const q = await rpc("zkr_getFeeQuote", [kind, Number(tokenId)]);
    return BigInt(q.fee);
  }

  // The fee to sign is the one on screen (the form's fee line, refreshed every 4 s). If none was
  // shown yet, it is fetched and shown, and the user presses again; if the node's quote rose
  // above it meanwhile, the node refuses it (1014) and the form shows the new one.
  const shownFees = {};
  async function feeToSign(kind, tokenId) {
    const shown = shownFees[`${kind}/${tokenId}`];
    if (shown !== undefined) return shown;
    const now = await fee(kind, tokenId);
    shownFees[`${kind}/${tokenId}`] = now;
    updateForms();
    throw new UserError(`The fee is ${amountText(now, tokenId)}. Check it and press the button again.`);
  }

  // The account id, next nonce and L2 key, registering the key first (fee in `feeToken`) when
  // the account has another or none. Every await is followed by a check that the wallet is
  // still on the same account, so one address's key is never used for another's account.
  async function readyAccount(feeToken, need) {
    requireChain();
    const address = state.address;
    const acct = await rpc("zkr_getAccount", [address]);
    requireSameAddress(address);
    if (!acct) throw new UserError("Your address has no zkr account yet: make a deposit first.");
    state.account = acct;
    // A registered account: derive the key first to know whether it is this wallet's.
    let key = acct.pubKeyHash !== "0" ? await l2Key() : null;
    requireSameAddress(address);
    const regFee = acct.pubKeyHash === state.pkh ? 0n : await feeToSign("ChangePubKey", feeToken);
    // a new account: its balance is checked before the wallet is asked anything
    checkBalance(need, feeToken, regFee);
    if (!key) key = await l2Key();
    requireSameAddress(address);
    let nonce = acct.nonce;
    if (acct.pubKeyHash !== state.pkh) {
      if (acct.pubKeyHash !== "0" && state.replaceConfirmed !== address) {
        state.replaceConfirmed = address;
        throw new UserError(`This account already has another zkr signing key registered (from another wallet or app). Press the button again to replace it with this wallet's key, for a fee of ${amountText(regFee, feeToken)}.`);
      }
      progress("Approve the authorization in your wallet: it registers your zkr key (once)…");
      const typed = L2.changePubKeyTypedData({ l1ChainId: state.contracts.l1ChainId, rollup: state.contracts.rollup, pubKeyHash: state.pkh, nonce, accountId: acct.id });
      const ethSignature = await eth("eth_signTypedData_v4", [address, JSON.stringify(typed)], "signature");
      requireSameAddress(address);
      const { tx } = L2.sign({ type: "ChangePubKey", accountId: acct.id, owner: address, newPubKeyHash: state.pkh, feeToken: Number(feeToken), fee: regFee, nonce }, state.contracts.chainId, key);
      tx.ethSignature = ethSignature;
      const hash = await rpc("zkr_sendTx", [tx]);
      track(hash, `Activated your zkr key (fee ${amountText(regFee, feeToken)})`, "l2");
      nonce += 1;
    }
    return { id: acct.id, nonce, key, address };
  }

  // Throws "insufficient balance" when `need` ({token: amount}) plus `extra` of `feeToken` is
  // more than the L2 balance.
  function checkBalance(need, feeToken, extra = 0n) {
    if (!state.account) throw new UserError("Your address has no zkr account yet: make a deposit first.");
    const want = { ...need };
    want[feeToken] = (want[feeToken] || 0n) + extra;
    for (const [id, amount] of Object.entries(want)) {
      const have = l2Balance(id);
      if (amount > have) {
        throw new UserError(`Insufficient balance: this needs ${amountText(amount, id)} (with fees) and you have ${amountText(have, id)} on zkr.`);
      }
    }
  }

  async function sendL2(ready, tx, label) {
    requireSameAddress(ready.address);
    const { tx: signed } = L2.sign(tx, state.contracts.chainId, ready.key);
    progress("Sending to the node…");
    const hash = await rpc("zkr_sendTx", [signed]);
    track(hash, label, "l2");
    return hash;
  }

  // ---------- balances ----------
  let refreshing = null;
  function refresh() {
    // one at a time: a caller during a refresh gets that refresh
    if (!refreshing) refreshing = refreshOnce().finally(() => { refreshing = null; });
    return refreshing;
  }

  async function refreshOnce() {
    if (!state.contracts) return;
    const [tokens, pools] = await Promise.all([rpc("zkr_getTokens"), rpc("zkr_getPools")]);
    state.tokens = tokens;
    state.pools = pools;
    const address = state.address;
    if (!address) return renderSelects();
    const account = await rpc("zkr_getAccount", [address]);
    const l1 = {};
    if (state.walletChain === state.contracts.l1ChainId) {
      await Promise.all(state.tokens.map(async (t) => {
        try {
          const [balance, pending] = await Promise.all([
            t.address === ZERO
              ? eth("eth_getBalance", [address, "latest"], "read").then(BigInt)
              : l1Call(t.address, erc20Abi, "balanceOf", [address]).then((r) => big(r[0])),
            l1Call(state.contracts.rollup, rollupAbi, "getPendingBalance", [address, t.address]).then((r) => big(r[0])),
          ]);
          l1[t.id] = { balance, pending };
        } catch (_) { /* one token's contract failing leaves the others shown */ }
      }));
    }
    if (state.address !== address) return; // the wallet switched meanwhile: these are stale
    state.account = account;
    state.l1 = l1;
    renderSelects();
    renderBalances();
  }

  function renderBalances() {
    const ids = new Set(state.tokens.map((t) => t.id));
    for (const id of Object.keys((state.account && state.account.balances) || {})) ids.add(Number(id));
    const rows = [...ids].sort((a, b) => a - b).map((id) => {
      const l1 = state.l1[id];
      const claimButton = l1 && l1.pending > 0n
        ? el("button", { class: "small", type: "button", "data-claim": id, onclick: (ev) => claim(ev.target, id) }, "Claim")
        : null;
      return el("tr", { "data-token": id },
        el("td", {}, token(id).symbol),
        el("td", { class: "num", "data-balance-l2": id }, fmt(l2Balance(id), token(id).decimals)),
        el("td", { class: "num", "data-balance-l1": id }, l1 ? fmt(l1.balance, token(id).decimals) : "—"),
        el("td", { class: "num", "data-claimable": id }, l1 ? fmt(l1.pending, token(id).decimals) : "—"),
        el("td", {}, claimButton));
    });
    $("#balances tbody").replaceChildren(...rows);
    const a = state.account;
    $("#account-line").textContent = !a
      ? "No zkr account yet: your first deposit creates it."
      : `zkr account #${a.id} · nonce ${a.nonce} · ${a.pubKeyHash === "0" ? "signing key not registered yet (your first transaction registers it)" : "signing key registered"}`;
  }

  let selectsKey = "";
  function renderSelects() {
    const key = JSON.stringify([state.tokens, state.pools.map((p) => [p.id, p.tokenA, p.tokenB])]);
    if (key === selectsKey) return;
    selectsKey = key;
    const symbols = state.tokens.map((t) => t.symbol);
    const label = (t) => symbols.filter((x) => x === t.symbol).length > 1 ? `${t.symbol} (#${t.id}, ${short(t.address)})` : t.symbol;
    const opts = (list) => list.map((t) => el("option", { value: t.id }, label(t)));
    for (const s of $$("select[data-l1-tokens], select[data-tokens]")) {
      const keep = s.value;
      s.replaceChildren(...opts(state.tokens));
      if (keep && state.tokens.some((t) => String(t.id) === keep)) s.value = keep;
    }
    const buy = $("#swap [name=buy]");
    if (buy.value === $("#swap [name=sell]").value && state.tokens.length > 1) {
      buy.value = String(state.tokens.find((t) => String(t.id) !== buy.value).id);
    }
    const ps = $("#liquidity [name=pool]");
    const keep = ps.value;
    ps.replaceChildren(...state.pools.map((p) => el("option", { value: p.id }, `${token(p.tokenA).symbol}/${token(p.tokenB).symbol}`)));
    if (keep && state.pools.some((p) => String(p.id) === keep)) ps.value = keep;
  }

  // ---------- fees and quotes shown before signing ----------
  const formValue = (form, name) => $(`[name=${name}]`, form).value;

  async function feeLine(kind, feeToken) {
    const f = await fee(kind, feeToken);
    shownFees[`${kind}/${feeToken}`] = f;
    let text = `Network fee: ${amountText(f, feeToken)}`;
    if (state.account && !registered()) {
      const r = await fee("ChangePubKey", feeToken);
      shownFees[`ChangePubKey/${feeToken}`] = r;
      text += state.account.pubKeyHash === "0"
        ? ` + one-time key activation ${amountText(r, feeToken)}`
        : ` + replacing the zkr key registered elsewhere ${amountText(r, feeToken)}`;
    }
    return text;
  }

  const updaters = {
    async deposit(form) {
      if (state.walletChain !== state.contracts.l1ChainId) return `Switch your wallet to chain id ${state.contracts.l1ChainId} to deposit.`;
      const p = big((await l1Call(state.contracts.rollup, rollupAbi, "priorityFee", []))[0]);
      const t = token(formValue(form, "token"));
      return `Ethereum priority fee: ${amountText(p, 0)} (plus L1 gas)${t.address !== ZERO ? "; an ERC-20 deposit first asks you to approve the amount" : ""}`;
    },
    transfer: (form) => feeLine("Transfer", formValue(form, "token")),
    withdraw: (form) => feeLine("Withdraw", formValue(form, "token")),
    async swap(form) {
      await updateQuote(form);
      return feeLine("Swap", formValue(form, "sell"));
    },
    async liquidity(form) {
      const p = selectedPool(form);
      if (!p) return "No pool yet.";
      const add = $("[name=mode]:checked", form).value === "add";
      $("[data-add]", form).hidden = !add;
      $("[data-remove]", form).hidden = add;
      $("[data-label-a]", form).textContent = `Amount of ${token(p.tokenA).symbol}`;
      $("[data-label-b]", form).textContent = `Amount of ${token(p.tokenB).symbol}`;
      renderLiquidityQuote(form, p, add);
      return feeLine(add ? "AddLiquidity" : "RemoveLiquidity", p.tokenA);
    },
  };

  let updateTimer = null;
  function updateForms() {
    clearTimeout(updateTimer);
    updateTimer = setTimeout(async () => {
      if (!state.contracts || busy) return;
      const form = $("form.pane:not([hidden])");
      if (!form) return;
      try {
        const text = await updaters[form.id](form);
        if (!busy) $("[data-fee]", form).textContent = text;
      } catch (e) {
        if (!busy) $("[data-fee]", form).textContent = e instanceof UserError ? e.message : "";
      }
    }, 200);
  }

  // The live quote. Answers arriving out of order are dropped (a generation number), and the
  // quote on screen is replaced in one step, never cleared while a new one is fetched.
  let quoteGeneration = 0;
  async function updateQuote(form) {
    const generation = ++quoteGeneration;
    const box = $("[data-quote]", form);
    const show = (quote, ...children) => {
      if (generation !== quoteGeneration) return;
      state.quote = quote;
      box.replaceChildren(...children);
    };
    const sell = Number(formValue(form, "sell"));
    const buy = Number(formValue(form, "buy"));
    const text = formValue(form, "amount").trim();
    if (!text) return show(null);
    if (sell === buy) return show(null, el("p", { class: "bad" }, "Choose two different tokens."));
    let amountIn;
    let slippage;
    try {
      amountIn = parseAmount(text, token(sell).decimals);
      if (!L2.isAmountPackable(amountIn)) {
        throw new UserError(`That amount has too many significant digits for zkr; nearest below: ${fmt(L2.roundDownAmount(amountIn), token(sell).decimals, 18)}.`);
      }
      slippage = slippageOf(form);
    } catch (e) {
      return show(null, el("p", { class: "bad" }, e.message));
    }
    let q;
    try {
      q = await rpc("zkr_quoteSwap", [sell, buy, amountIn.toString()]);
    } catch (e) {
      return show(null, el("p", { class: "bad", "data-quote-error": "" }, e.message));
    }
    const minOut = L2.minimum(BigInt(q.amountOut), slippage);
    const impact = q.priceImpactBps / 100;
    const impactClass = impact >= 5 ? "bad" : impact >= 1 ? "warn" : "";
    show({ sell, buy, amountIn, amountOut: BigInt(q.amountOut), minOut, pool: q.pool, slippage },
      el("dl", {},
        el("dt", {}, "You receive about"), el("dd", { "data-quote-out": q.amountOut }, amountText(q.amountOut, buy)),
        el("dt", {}, `At least (slippage ${slippage} %)`), el("dd", { "data-quote-min": minOut.toString() }, amountText(minOut, buy)),
        el("dt", {}, "Price"), el("dd", {}, `1 ${token(sell).symbol} = ${fmt((BigInt(q.amountOut) * 10n ** BigInt(token(sell).decimals)) / amountIn, token(buy).decimals)} ${token(buy).symbol}`),
        el("dt", {}, "Price impact"), el("dd", { class: impactClass, "data-quote-impact": "" }, `${impact.toFixed(2)} %${impact >= 5 ? " (high: you lose much to the pool's price)" : ""}`),
        el("dt", {}, "Liquidity providers' fee"), el("dd", {}, amountText(q.lpFee, sell))),
      slippage > 5 ? el("p", { class: "warn" }, `A slippage tolerance of ${slippage} % lets the trade pay up to that much less than quoted.`) : null);
  }

  function selectedPool(form) {
    const id = Number(formValue(form, "pool"));
    return state.pools.find((p) => p.id === id) || null;
  }

  function slippageOf(form) {
    const text = formValue(form, "slippage").trim();
    const v = Number(text);
    if (!text || !(v >= 0 && v <= 50)) throw new UserError("Enter a slippage tolerance between 0 and 50 %.");
    return v;
  }

  // {maxA, maxB, shares, minShares} or {shares, outA, outB, minA, minB} of the liquidity form.
  function liquidityPlan(form, p, add) {
    const slippage = slippageOf(form);
    const [ra, rb, s] = [BigInt(p.reserveA), BigInt(p.reserveB), BigInt(p.lpSupply)];
    if (add) {
      const maxA = parseAmount(formValue(form, "amountA"), token(p.tokenA).decimals, `amount of ${token(p.tokenA).symbol}`);
      const maxB = parseAmount(formValue(form, "amountB"), token(p.tokenB).decimals, `amount of ${token(p.tokenB).symbol}`);
      for (const [v, id] of [[maxA, p.tokenA], [maxB, p.tokenB]]) {
        if (!L2.isAmountPackable(v)) throw new UserError(`${fmt(v, token(id).decimals, 18)} ${token(id).symbol} has too many significant digits for zkr; nearest below: ${fmt(L2.roundDownAmount(v), token(id).decimals, 18)}.`);
      }
      const d = L2.addLiquidity(maxA, maxB, ra, rb, s);
      if (d.shares <= 0n) throw new UserError("These amounts are too small to mint any pool share.");
      // Sign the pro-rata deposits (rounded up to packable, never above what was typed), not the
      // typed amounts: a price moved before the trade can then take no more than shown.
      const cap = (v, typed) => { const r = L2.roundUpAmount(v); return r > typed ? typed : r; };
      return { maxA: cap(d.a, maxA), maxB: cap(d.b, maxB), shares: d.shares, minShares: L2.minimum(d.shares, slippage) };
    }
    const percent = Number(formValue(form, "percent"));
    if (!(percent > 0 && percent <= 100)) throw new UserError("Enter a share between 0 and 100 %.");
    const held = l2Balance(p.lpToken);
    if (held === 0n) throw new UserError("You hold no share of this pool.");
    const shares = percent === 100 ? held : (held * BigInt(Math.round(percent * 10000))) / 1000000n;
    if (shares === 0n) throw new UserError("That is less than one share.");
    const out = L2.removeLiquidity(shares, ra, rb, s);
    return { shares, outA: out.a, outB: out.b, minA: L2.minimum(out.a, slippage), minB: L2.minimum(out.b, slippage) };
  }

  function renderLiquidityQuote(form, p, add) {
    const box = $("[data-quote]", form);
    const lines = [
      el("dt", {}, "Pool reserves"), el("dd", {}, `${amountText(p.reserveA, p.tokenA)} + ${amountText(p.reserveB, p.tokenB)}`),
      el("dt", {}, "Your share"), el("dd", {}, amountText(l2Balance(p.lpToken), p.lpToken)),
    ];
    try {
      const plan = liquidityPlan(form, p, add);
      if (add) {
        lines.push(el("dt", {}, "Deposits at most"), el("dd", { "data-quote-max-a": plan.maxA.toString(), "data-quote-max-b": plan.maxB.toString() }, `${amountText(plan.maxA, p.tokenA)} + ${amountText(plan.maxB, p.tokenB)}`),
          el("dt", {}, "You receive"), el("dd", { "data-quote-shares": plan.minShares.toString() }, `${amountText(plan.shares, p.lpToken)} (at least ${fmt(plan.minShares, LP_DECIMALS)})`));
      } else {
        lines.push(el("dt", {}, "You receive"), el("dd", { "data-quote-out": "" }, `${amountText(plan.outA, p.tokenA)} + ${amountText(plan.outB, p.tokenB)}`),
          el("dt", {}, "At least"), el("dd", { "data-quote-min-a": plan.minA.toString(), "data-quote-min-b": plan.minB.toString() }, `${amountText(plan.minA, p.tokenA)} + ${amountText(plan.minB, p.tokenB)}`));
      }
    } catch (e) {
      if (e instanceof UserError && (formValue(form, "amountA") || formValue(form, "amountB") || !add)) lines.push(el("dt", {}, ""), el("dd", { class: "bad" }, e.message));
    }
    box.replaceChildren(el("dl", {}, ...lines));
  }

  // ---------- actions ----------
  async function deposit(form) {
    requireChain();
    const t = token(formValue(form, "token"));
    const amount = parseAmount(formValue(form, "amount"), t.decimals);
    const pfee = big((await l1Call(state.contracts.rollup, rollupAbi, "priorityFee", []))[0]);
    const l1 = state.l1[t.id];
    if (l1 && amount > l1.balance) throw new UserError(`Insufficient balance: you have ${amountText(l1.balance, t.id)} on Ethereum.`);
    if (t.address === ZERO) {
      if (amount < pfee) throw new UserError(`The smallest ETH deposit is ${amountText(pfee, 0)} (the rollup's priority fee).`);
      if (l1 && amount + pfee > l1.balance) throw new UserError(`Insufficient balance: this needs ${amountText(amount + pfee, 0)} with the priority fee and you have ${amountText(l1.balance, 0)} on Ethereum.`);
      progress("Confirm the deposit in your wallet…");
      await sendL1({ to: state.contracts.rollup, value: hex(amount + pfee), data: rollupAbi.encodeFunctionData("depositETH", [state.address]) }, "Deposit", `Deposit ${amountText(amount, t.id)}`);
    } else {
      const allowance = big((await l1Call(t.address, erc20Abi, "allowance", [state.address, state.contracts.rollup]))[0]);
      if (allowance < amount) {
        progress(`Approve ${t.symbol} in your wallet (step 1 of 2)…`);
        await sendL1({ to: t.address, data: erc20Abi.encodeFunctionData("approve", [state.contracts.rollup, amount.toString()]) }, `Approving ${t.symbol}`);
      }
      progress("Confirm the deposit in your wallet…");
      await sendL1({ to: state.contracts.rollup, value: hex(pfee), data: rollupAbi.encodeFunctionData("depositERC20", [t.address, amount.toString(), state.address]) }, "Deposit", `Deposit ${amountText(amount, t.id)}`);
    }
    $("[name=amount]", form).value = "";
  }

  async function transfer(form) {
    const to = formValue(form, "to").trim();
    if (!/^0x[0-9a-fA-F]{40}$/.test(to)) throw new UserError("Enter the receiver's Ethereum address (0x followed by 40 hex digits).");
    if (BigInt(to) === 0n) throw new UserError("Funds cannot be sent to the zero address.");
    const id = Number(formValue(form, "token"));
    const amount = packable(parseAmount(formValue(form, "amount"), token(id).decimals), id);
    const f = await feeToSign("Transfer", id);
    checkBalance({ [id]: amount + f }, id);
    const ready = await readyAccount(id, { [id]: amount + f });
    const { id: from, nonce } = ready;
    progress("Signing with your zkr key…");
    await sendL2(ready, { type: "Transfer", from, to: to.toLowerCase(), token: id, amount, fee: f, nonce }, `Send ${amountText(amount, id)} to ${short(to)}`);
    $("[name=amount]", form).value = "";
  }

  async function withdraw(form) {
    const toText = formValue(form, "to").trim() || state.address;
    if (!/^0x[0-9a-fA-F]{40}$/.test(toText)) throw new UserError("Enter the Ethereum address to withdraw to (0x followed by 40 hex digits), or leave it empty for your own.");
    const id = Number(formValue(form, "token"));
    const amount = parseAmount(formValue(form, "amount"), token(id).decimals);
    const f = await feeToSign("Withdraw", id);
    checkBalance({ [id]: amount + f }, id);
    const ready = await readyAccount(id, { [id]: amount + f });
    const { id: accountId, nonce } = ready;
    progress("Signing with your zkr key…");
    await sendL2(ready, { type: "Withdraw", accountId, to: toText.toLowerCase(), token: id, amount, fee: f, nonce }, `Withdraw ${amountText(amount, id)} to ${short(toText)}`);
    $("[name=amount]", form).value = "";
  }

  async function swap(form) {
    const q = state.quote;
    if (!q) throw new UserError("Enter an amount and wait for the quote.");
    // the quote on screen must be for what the form says now (an edit may not be quoted yet)
    const sell = Number(formValue(form, "sell"));
    const buy = Number(formValue(form, "buy"));
    const amountIn = parseAmount(formValue(form, "amount"), token(sell).decimals);
    if (q.sell !== sell || q.buy !== buy || q.amountIn !== amountIn || q.slippage !== slippageOf(form)) {
      updateForms();
      throw new UserError("The quote is being updated for your changes: check it and press Swap again.");
    }
    const f = await feeToSign("Swap", q.sell);
    checkBalance({ [q.sell]: q.amountIn + f }, q.sell);
    const ready = await readyAccount(q.sell, { [q.sell]: q.amountIn + f });
    const { id, nonce } = ready;
    progress("Signing with your zkr key…");
    // the minimum is the one the user saw: the quote's output less the slippage tolerance
    await sendL2(ready, { type: "Swap", accountId: id, pool: q.pool, sell: q.sell, buy: q.buy, amountIn: q.amountIn, minOut: q.minOut, fee: f, nonce },
      `Swap ${amountText(q.amountIn, q.sell)} for at least ${amountText(q.minOut, q.buy)}`);
    $("[name=amount]", form).value = "";
    state.quote = null;
    $("[data-quote]", form).replaceChildren();
  }

  async function liquidity(form) {
    const p = selectedPool(form);
    if (!p) throw new UserError("There is no pool yet.");
    const add = $("[name=mode]:checked", form).value === "add";
    const plan = liquidityPlan(form, p, add);
    const f = await feeToSign(add ? "AddLiquidity" : "RemoveLiquidity", p.tokenA);
    const need = add ? { [p.tokenA]: plan.maxA + f, [p.tokenB]: plan.maxB } : { [p.lpToken]: plan.shares };
    checkBalance(need, p.tokenA);
    const ready = await readyAccount(p.tokenA, need);
    const { id, nonce } = ready;
    progress("Signing with your zkr key…");
    const pair = `${token(p.tokenA).symbol}/${token(p.tokenB).symbol}`;
    if (add) {
      await sendL2(ready, { type: "AddLiquidity", accountId: id, pool: p.id, tokenA: p.tokenA, tokenB: p.tokenB, maxA: plan.maxA, maxB: plan.maxB, minShares: plan.minShares, fee: f, nonce },
        `Add liquidity to ${pair}: up to ${amountText(plan.maxA, p.tokenA)} + ${amountText(plan.maxB, p.tokenB)}`);
    } else {
      await sendL2(ready, { type: "RemoveLiquidity", accountId: id, pool: p.id, tokenA: p.tokenA, tokenB: p.tokenB, shares: plan.shares, minA: plan.minA, minB: plan.minB, fee: f, nonce },
        `Remove ${amountText(plan.shares, p.lpToken)} from ${pair}`);
    }
  }

  function packable(v, id) {
    if (!L2.isAmountPackable(v)) {
      throw new UserError(`That amount has too many significant digits for zkr; nearest below: ${fmt(L2.roundDownAmount(v), token(id).decimals, 18)} ${token(id).symbol}.`);
    }
    return v;
  }

  async function claim(button, id) {
    if (busy) return;
    busy = true;
    clearAlert();
    button.disabled = true;
    try {
      requireChain();
      const t = token(id);
      const pending = big((await l1Call(state.contracts.rollup, rollupAbi, "getPendingBalance", [state.address, t.address]))[0]);
      if (pending === 0n) throw new UserError(`Nothing to claim in ${t.symbol}.`);
      await sendL1({ to: state.contracts.rollup, data: rollupAbi.encodeFunctionData("withdrawPendingBalance", [state.address, t.address, pending.toString()]) }, `Claim ${t.symbol}`, `Claim ${amountText(pending, id)} on Ethereum`, "claim");
    } catch (e) {
      showAlert(e instanceof UserError ? e.message : `Something went wrong: ${e.message || e}`);
    } finally {
      busy = false;
      button.disabled = false;
      refresh().catch(() => {});
    }
  }

  // ---------- activity: each transaction's live status ----------
  const STEPS = ["pending", "included", "committed", "proven", "executed"];
  const STEP_WORDS = { pending: "Accepted", included: "In an L2 block", committed: "Committed on L1", proven: "Proven on L1", executed: "Final on L1" };

  function track(hash, label, kind) {
    state.activity.unshift({ hash, label, kind, status: kind === "l2" ? "pending" : "sent", timeline: null, error: null });
    renderActivity();
  }

  function renderActivity() {
    if (!state.activity.length) return;
    $("#activity").replaceChildren(el("div", { class: "activity" }, state.activity.map((a) => {
      const steps = a.kind === "claim" ? [] : STEPS.map((s) => {
        const t = a.timeline && a.timeline.find((x) => x.step === s);
        const done = t ? t.done : false;
        return el("span", { class: `step${done ? " done" : ""}${a.status === "rejected" && s === "included" ? " failed" : ""}`, "data-step": s }, STEP_WORDS[s]);
      });
      const link = a.kind === "claim" ? el("span", { class: "muted mono" }, short(a.hash)) : el("a", { href: `/#/tx/${a.hash}`, target: "_blank", rel: "noopener" }, "View in explorer");
      const statusWords = a.status === "sent" ? (a.kind === "claim" ? "sent on L1" : "sent on L1, waiting for the node") : a.kind === "claim" && a.status === "executed" ? "paid out" : a.status;
      return el("div", { class: "tx", "data-tx": a.hash, "data-status": a.status },
        el("div", { class: "head" }, el("span", { class: "what" }, a.label), el("span", { class: `badge ${a.status}` }, statusWords), link),
        steps.length ? el("div", { class: "timeline" }, steps) : null,
        a.error ? el("div", { class: "err" }, `${a.status === "failed" ? "Failed" : "Rejected"}: ${a.error}`) : null);
    })));
  }

  let polling = false;
  async function pollActivity() {
    if (polling) return;
    polling = true;
    try { await pollActivityOnce(); } finally { polling = false; }
  }

  async function pollActivityOnce() {
    let changed = false;
    for (const a of state.activity) {
      if (a.kind === "claim" || a.status === "executed" || a.status === "rejected" || a.status === "failed") continue;
      try {
        const v = await txView(a.hash);
        if (!v) continue;
        if (v.status !== a.status || JSON.stringify(v.timeline) !== JSON.stringify(a.timeline)) {
          if (v.status !== a.status) changed = true;
          a.status = v.status;
          a.timeline = v.timeline;
          a.error = v.error || null;
        }
      } catch (_) { /* the node is down: the next round tries again */ }
    }
    renderActivity();
    if (changed) refresh().catch(() => {});
  }

  // ---------- start ----------
  async function start() {
    for (const b of $$(".tabs button")) {
      b.addEventListener("click", () => {
        for (const x of $$(".tabs button")) x.setAttribute("aria-selected", String(x === b));
        for (const p of $$("form.pane")) p.hidden = p.dataset.pane !== b.dataset.tab;
        clearAlert();
        updateForms();
      });
    }
    const actions = { deposit, transfer, swap, liquidity, withdraw };
    for (const form of $$("form.pane")) {
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        act(form, () => actions[form.id](form));
      });
      form.addEventListener("input", updateForms);
      form.addEventListener("change", updateForms);
    }
    $("#connect").addEventListener("click", connect);
    $("#switch-network").addEventListener("click", async () => {
      try {
        const chainId = hex(state.contracts.l1ChainId);
        try {
          await window.ethereum.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
        } catch (e) {
          if (!e || e.code !== 4902) {
            throw new UserError(e && e.code === 4001 ? "You rejected the network switch in your wallet." : `Your wallet could not switch networks: ${(e && e.message) || e}`);
          }
          // the wallet does not know the network yet: offer it, with the node's L1 RPC
          await eth("wallet_addEthereumChain", [{ chainId, chainName: `zkr L1 (chain ${state.contracts.l1ChainId})`, rpcUrls: [state.contracts.l1Rpc], nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 } }], "network switch");
        }
        await checkChain();
        await refresh();
      } catch (e) {
        showAlert(e instanceof UserError ? e.message : String(e));
      }
    });

    await C.ready();
    $("#connect").disabled = true;
    for (;;) {
      try {
        state.contracts = await rpc("zkr_getContracts");
        if (!state.contracts) {
          showAlert("This node follows no L1: the wallet needs one.");
          document.body.dataset.ready = "true";
          return;
        }
        clearAlert();
        break;
      } catch (e) {
        showAlert(`${e instanceof UserError ? e.message : String(e.message || e)} (retrying every 3 s)`);
        await sleep(3000);
      }
    }
    $("#connect").disabled = false;
    await refresh().catch(() => {});
    if (!window.ethereum) {
      $("#no-wallet").hidden = false;
      $("#connect").disabled = true;
      document.body.dataset.ready = "true";
      return;
    }
    if (window.ethereum.on) {
      window.ethereum.on("accountsChanged", async (accounts) => {
        setAddress(accounts && accounts[0]);
        await refresh().catch(() => {});
      });
      window.ethereum.on("chainChanged", async () => {
        await checkChain().catch(() => {});
        await refresh().catch(() => {});
      });
    }
    // already connected in an earlier visit: no prompt
    const accounts = await eth("eth_accounts", [], "request").catch(() => []);
    if (accounts && accounts.length) {
      setAddress(accounts[0]);
      await checkChain().catch(() => {});
      await refresh().catch((e) => showAlert(e.message));
    }
    updateForms();
    // balances, pools and the open form's fee and quote stay live
    setInterval(() => {
      if (state.address && !busy) refresh().then(updateForms, () => {});
    }, 4000);
    setInterval(() => { if (state.activity.length) pollActivity(); }, 1000);
    document.body.dataset.ready = "true";
  }

  start();
})();
