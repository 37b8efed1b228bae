// The zkr explorer page: routes in the URL hash, data from the node's /api (no other network).
"use strict";

const main = document.getElementById("main");
let tokens = {};
let poolsByLp = {};
let timer = null;
let chart = null;
let route = "";
let generation = 0;


// ---------------------------------------------------------------- data

async function api(path) {
  const r = await fetch(path);
  let body = null;
  try { body = await r.json(); } catch (_) { body = null; }
  if (!r.ok) {
    const e = new Error((body && body.error) || `HTTP ${r.status}`);
    e.status = r.status;
    throw e;
  }
  return body;
}

async function loadTokens() {
  const [t, p] = await Promise.all([api("/api/tokens"), api("/api/pools")]);
  tokens = {};
  for (const x of t.tokens) tokens[x.id] = x;
  poolsByLp = {};
  for (const x of p.pools) poolsByLp[x.lpToken] = x;
  return p.pools;
}

// ---------------------------------------------------------------- formatting

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function symbol(id) {
  if (id === null || id === undefined) return "";
  if (tokens[id]) return tokens[id].symbol;
  const p = poolsByLp[id];
  if (p) return `LP ${symbol(p.tokenA)}/${symbol(p.tokenB)}`;
  return `token ${id}`;
}

function decimals(id) {
  if (tokens[id]) return tokens[id].decimals;
  return 18; // LP shares are counted like an 18-decimal token
}

// A raw integer amount (string) in human units: "1,234.5 ETH".
function amount(raw, id, withSymbol = true) {
  if (raw === null || raw === undefined) return "";
  let neg = false;
  let s = String(raw);
  if (s.startsWith("-")) { neg = true; s = s.slice(1); }
  const d = decimals(id);
  const v = BigInt(s);
  const unit = 10n ** BigInt(d);
  const whole = (v / unit).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  let frac = d > 0 ? (v % unit).toString().padStart(d, "0").slice(0, 6).replace(/0+$/, "") : "";
  if (frac === "" && v % unit !== 0n) frac = "000000".slice(0, Math.min(6, d)) + "…";
  const text = (neg ? "-" : "") + whole + (frac ? "." + frac : "");
  return withSymbol ? `${text} ${esc(symbol(id))}` : text;
}

function human(raw, id) {
  return Number(BigInt(raw)) / 10 ** decimals(id);
}

function short(h) {
  if (!h) return "";
  const s = String(h);
  const text = s.length > 14 ? `${s.slice(0, 8)}…${s.slice(-6)}` : s;
  return `<span class="mono" title="${esc(s)}">${esc(text)}</span><button class="copy" type="button" data-copy="${esc(s)}" title="Copy ${esc(s)}" aria-label="Copy">${COPY_ICON}</button>`;
}

function when(ts) {
  if (!ts) return '<span class="muted">—</span>';
  const d = new Date(ts * 1000);
  const abs = d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  const secs = Math.max(0, Math.round(Date.now() / 1000 - ts));
  const rel = secs < 60 ? `${secs} s ago` : secs < 3600 ? `${Math.floor(secs / 60)} min ago`
    : secs < 86400 ? `${Math.floor(secs / 3600)} h ago` : `${Math.floor(secs / 86400)} d ago`;
  return `<span title="${abs}">${rel}</span> <span class="muted">${abs}</span>`;
}

const COPY_ICON = '<svg width="13" height="13" viewBox="0 0 16 16" aria-hidden="true"><rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.5"/><path d="M3 11V3a1 1 0 0 1 1-1h7" fill="none" stroke="currentColor" stroke-width="1.5"/></svg>';
const badge = (s) => `<span class="badge ${esc(s)}">${esc(s)}</span>`;
const link = (href, text) => `<a href="${esc(href)}">${text}</a>`;
const zero = "0x0000000000000000000000000000000000000000";

function party(a) {
  if (!a) return '<span class="muted">—</span>';
  if (a.pool !== null && a.pool !== undefined) return link("#/pools", `pool ${a.pool}`);
  if (!a.address || a.address === zero) return `account ${a.id}`;
  return link(`#/account/${a.address}`, short(a.address));
}

function opRow(o, extra = "") {
  const to = o.to ? party(o.to) : o.toL1 ? `L1 ${short(o.toL1)}` : '<span class="muted">—</span>';
  const hash = o.hash ? link(`#/tx/${o.hash}`, short(o.hash)) : '<span class="muted">—</span>';
  const amt = o.amount !== null && o.amount !== undefined ? amount(o.amount, o.token) : "";
  const fee = o.fee ? amount(o.fee.amount, o.fee.token) : "";
  return `<tr><td>${esc(o.type)}</td><td>${hash}</td><td>${party(o.from)}</td><td>${to}</td><td class="num">${amt}</td><td class="num">${fee}</td>${extra}</tr>`;
}

function table(head, rows, empty = "Nothing yet.") {
  if (!rows.length) return `<p class="muted">${empty}</p>`;
  return `<div class="table-wrap"><table><thead><tr>${head.map((h) => `<th${h.startsWith("#") ? ' class="num"' : ""}>${esc(h.replace(/^#/, ""))}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

const opHead = ["Type", "Hash", "From", "To", "#Amount", "#Fee"];

function notFound(message) {
  main.innerHTML = `<h1>Not found</h1><div class="notice notfound" id="not-found"><p>${esc(message)}</p><p class="muted">Search takes a transaction hash, the L1 transaction hash of a deposit or full exit, an address, or a block or batch number.</p></div>`;
}

// ---------------------------------------------------------------- pages

function tvlSection(tvl) {
  if (!tvl) return `<div class="notice" id="tvl-none">TVL: measuring from L1…</div>`;
  const cards = tvl.tokens.map((t) => `<div class="card"><div class="label">Locked ${esc(t.symbol)}</div><div class="value" data-tvl-token="${t.id}">${t.error ? "could not be read" : amount(t.held, t.id)}</div><div class="sub">${t.usd !== null && t.usd !== undefined ? "$" + t.usd.toLocaleString("en-US", { maximumFractionDigits: 0 }) : "no price configured"}</div></div>`);
  const total = tvl.totalUsd !== null && tvl.totalUsd !== undefined
    ? `<div class="card"><div class="label">TVL (USD)</div><div class="value">$${tvl.totalUsd.toLocaleString("en-US", { maximumFractionDigits: 0 })}</div></div>` : "";
  const checked = tvl.solvent !== null && tvl.solvent !== undefined;
  const short_ = tvl.tokens.filter((t) => !t.solvent && !t.error);
  const unread = tvl.tokens.filter((t) => t.error);
  const alert = checked && (short_.length || unread.length)
    ? `<div class="alert" id="solvency-alert">${short_.length ? `SHORTFALL: the rollup holds less on L1 than it owes in ${short_.map((t) => esc(t.symbol)).join(", ")}. Difference: ${short_.map((t) => `${amount(t.difference, t.id)} (${esc(t.difference)} in its smallest unit)`).join(", ")}. ` : ""}${unread.map((t) => `${esc(t.symbol)} could not be read on L1: ${esc(t.error)}.`).join(" ")}</div>` : "";
  const cell = (t, v) => (t.error ? '<td class="num muted">?</td>' : `<td class="num">${amount(v, t.id, false)}</td>`);
  const status = (t) => (!checked ? badge("off") : t.error ? badge("unreadable") : t.solvent ? badge("ok") : badge("bad"));
  const rows = tvl.tokens.map((t) => `<tr data-solvency-token="${t.id}"><td>${esc(t.symbol)}</td>${cell(t, t.held)}${cell(t, t.l2Balances)}${cell(t, t.batchFees)}${cell(t, t.exitsInFlight)}${cell(t, t.pendingWithdrawals)}${cell(t, t.unappliedDeposits)}${cell(t, t.priorityFees)}${cell(t, t.owed)}${cell(t, t.difference)}<td>${status(t)}</td></tr>`);
  return `<div class="grid">${total}${cards.join("")}</div>
    ${alert}
    <h2>Solvency <span class="muted" style="font-size:13px">L1 block ${tvl.l1Block}, L2 block ${tvl.l2Block}, ${when(tvl.at)}${tvl.exodus ? ", exodus mode: check off" : ""}</span></h2>
    ${table(["Token", "#Held on L1", "#L2 balances", "#Batch fees", "#Exits in flight", "#Pending withdrawals", "#Unapplied deposits", "#Priority fees", "#Owed", "#Difference", "Status"], rows)}
    <p class="muted" id="solvency-status">${!checked ? "Exodus mode: exits and refunds are paid on L1 while the node's books still count them, so solvency is not checked." : tvl.solvent ? "Solvent: for every token the rollup holds at least what it owes." : "NOT SOLVENT (or a token could not be read)"}</p>`;
}

function drawChart(points) {
  const el = document.getElementById("tvl-chart");
  if (!el) return;
  if (chart) { chart.destroy(); chart = null; }
  if (points.length < 2 || typeof uPlot === "undefined") {
    el.innerHTML = '<p class="muted">The TVL history appears after a few measurements.</p>';
    return;
  }
  el.innerHTML = "";
  const ids = Object.keys(points[points.length - 1].held).map(Number);
  const data = [points.map((p) => p.at)];
  const series = [{}];
  const colors = ["#5ab0ff", "#3fb950", "#d29922", "#f778ba", "#a371f7"];
  ids.forEach((id, i) => {
    data.push(points.map((p) => (p.held[id] !== undefined ? human(p.held[id], id) : null)));
    series.push({ label: symbol(id), stroke: colors[i % colors.length], width: 2, scale: `s${id}` });
  });
  const axes = [{ stroke: "#8b98a5", grid: { stroke: "#26303b" } }];
  ids.forEach((id, i) => axes.push({ scale: `s${id}`, stroke: colors[i % colors.length], side: i % 2 ? 1 : 3, size: 80, grid: { show: i === 0, stroke: "#26303b" } }));
  chart = new uPlot({ width: Math.max(280, el.clientWidth), height: 220, series, axes }, data, el);
}

async function overview() {
  const gen = generation;
  const [o, h] = await Promise.all([api("/api/overview"), api("/api/tvl/history?limit=500")]);
  await loadTokens();
  const s = o.stats;
  const st = o.l1Progress;
  const fees = Object.entries(s.fees).map(([id, v]) => amount(v, Number(id))).join("<br>") || "0";
  const blocks = o.latestBlocks.map((b) => `<tr><td>${link(`#/block/${b.number}`, b.number)}</td><td>${when(b.timestamp)}</td><td class="num">${b.txs}</td><td class="num">${b.priorityOps}</td></tr>`);
  const batches = o.latestBatches.map((b) => `<tr><td>${link(`#/batch/${b.number}`, b.number)}</td><td>${badge(b.status)}</td><td class="num">${b.ops}</td><td>${when(b.sealedAt)}</td><td>${b.execute.tx ? short(b.execute.tx) : b.commit.tx ? short(b.commit.tx) : '<span class="muted">—</span>'}</td></tr>`);
  const ops = o.latestOps.map((x) => opRow(x, `<td>${link(`#/block/${x.block}`, x.block)}</td>`));
  if (gen !== generation) return;
  main.innerHTML = `
    <h1>Overview</h1>
    <section id="tvl">${tvlSection(o.tvl)}</section>
    <h2>TVL over time</h2><div class="card"><div id="tvl-chart"></div></div>
    <h2>Activity</h2>
    <div class="grid">
      <div class="card"><div class="label">L2 block</div><div class="value" id="stat-block">${s.lastBlock}</div><div class="sub">${o.counts.openBlockOps} in the open block</div></div>
      <div class="card"><div class="label">Batches</div><div class="value">${o.counts.sealedBatches} sealed</div><div class="sub">on L1: committed up to ${st.committed || "—"}, proven up to ${st.proven || "—"}, executed up to ${st.executed || "—"}</div></div>
      <div class="card"><div class="label">Transactions per second</div><div class="value">${s.tpsMinute.toFixed(2)}</div><div class="sub">last minute; ${s.tpsHour.toFixed(3)} over the last hour</div></div>
      <div class="card"><div class="label">L2 transactions</div><div class="value" id="stat-txs">${s.l2Txs}</div><div class="sub">${s.priorityOps} deposits and full exits</div></div>
      <div class="card"><div class="label">Fees collected</div><div class="value" style="font-size:16px">${fees}</div></div>
    </div>
    <h2>Latest operations</h2>${table([...opHead, "Block"], ops)}
    <div class="grid" style="margin-top:8px">
      <div><h2>Latest blocks</h2>${table(["Block", "Sealed", "#Txs", "#L1 ops"], blocks)}</div>
      <div><h2>Latest batches</h2>${table(["Batch", "Status", "#Ops", "Sealed", "L1 tx"], batches)}</div>
    </div>`;
  drawChart(h.points);
}

function decode(s) {
  try { return decodeURIComponent(s || ""); } catch (_) { return s || ""; }
}

async function txPage(hash) {
  const gen = generation;
  await loadTokens();
  const t = await api(`/api/txs/${encodeURIComponent(hash)}`);
  const o = t.operation;
  const steps = t.timeline.map((x) => `<li class="${x.done ? "done" : ""}" data-step="${x.step}"><div class="step">${esc(x.step)}</div><div>${x.done ? (x.at ? when(x.at) : '<span class="muted">done</span>') : '<span class="muted">not yet</span>'}</div>${x.tx ? `<div>L1 ${short(x.tx)}</div>` : ""}${x.block ? `<div>block ${link(`#/block/${x.block}`, x.block)}</div>` : ""}</li>`);
  const rejected = t.status === "rejected" ? `<div class="alert" id="rejection">Rejected: ${esc(t.error || "no reason recorded")}</div>` : "";
  const details = o ? `<dl class="kv">
      <dt>Type</dt><dd>${esc(o.type)}</dd>
      <dt>From</dt><dd>${party(o.from)}</dd>
      <dt>To</dt><dd>${o.to ? party(o.to) : o.toL1 ? "L1 " + short(o.toL1) : "—"}</dd>
      <dt>Amount</dt><dd id="tx-amount">${o.amount !== null && o.amount !== undefined ? amount(o.amount, o.token) : "—"}</dd>
      <dt>Fee</dt><dd>${o.fee ? amount(o.fee.amount, o.fee.token) : "—"}</dd></dl>` : `<pre class="mono">${esc(JSON.stringify(t.tx || t.request, null, 2))}</pre>`;
  if (gen !== generation) return;
  main.innerHTML = `<h1>${t.kind === "priority" ? "L1 priority operation" : "Transaction"} ${short(t.hash)}</h1>
    ${rejected}
    <dl class="kv"><dt>Status</dt><dd id="tx-status">${badge(t.status)}</dd>
      <dt>Block</dt><dd>${t.block ? link(`#/block/${t.block}`, t.block) : "—"}</dd>
      <dt>Batch</dt><dd id="tx-batch">${t.batch && t.block ? link(`#/batch/${t.batch}`, t.batch) : "—"}</dd>
      ${t.kind === "priority" ? `<dt>Queue index</dt><dd>${t.priorityIndex}</dd>` : ""}</dl>
    <h2>Timeline</h2><ol class="timeline">${steps.join("")}</ol>
    <h2>Details</h2>${details}`;
}

async function batchPage(n) {
  const gen = generation;
  await loadTokens();
  const b = await api(`/api/batches/${encodeURIComponent(n)}`);
  const step = (name, s) => `<tr data-l1-step="${name}"><td>${name}</td><td>${s.tx ? short(s.tx) : '<span class="muted">not yet</span>'}</td><td class="num">${s.gas ? s.gas.toLocaleString("en-US") : ""}</td><td>${s.at ? when(s.at) : ""}</td></tr>`;
  const ops = b.operations.map((o) => opRow(o, `<td>${link(`#/block/${o.block}`, o.block)}</td>`));
  if (gen !== generation) return;
  main.innerHTML = `<h1>Batch ${b.number}</h1>
    <dl class="kv"><dt>Status</dt><dd id="batch-status">${badge(b.status)}</dd>
      <dt>Blocks</dt><dd>${link(`#/block/${b.firstBlock}`, b.firstBlock)} – ${link(`#/block/${b.lastBlock}`, b.lastBlock)}</dd>
      <dt>Operations</dt><dd>${b.ops}</dd><dt>Sealed</dt><dd>${when(b.sealedAt)}</dd>
      <dt>State root</dt><dd class="mono">${esc(b.root)}</dd>
      <dt>Proof</dt><dd>${b.proof ? (b.proof.dex ? "DEX circuit" : "transfer circuit") : '<span class="muted">not proven yet</span>'}</dd></dl>
    <h2>On L1</h2>${table(["Step", "L1 transaction", "#Gas", "Mined"], [step("commit", b.commit), step("prove", b.prove), step("execute", b.execute)])}
    <h2>Operations</h2>${table([...opHead, "Block"], ops)}
    <p class="pager">${b.number > 1 ? link(`#/batch/${b.number - 1}`, "← previous") : ""} ${link(`#/batch/${b.number + 1}`, "next →")}</p>`;
}

async function blockPage(n) {
  const gen = generation;
  await loadTokens();
  const b = await api(`/api/blocks/${encodeURIComponent(n)}`);
  if (gen !== generation) return;
  main.innerHTML = `<h1>Block ${b.number}</h1>
    <dl class="kv"><dt>Sealed</dt><dd>${when(b.timestamp)}</dd><dt>L2 transactions</dt><dd>${b.txs}</dd>
      <dt>L1 operations</dt><dd>${b.priorityOps}</dd><dt>State root</dt><dd class="mono">${esc(b.root)}</dd></dl>
    <h2>Operations</h2>${table(opHead, b.ops.map((o) => opRow(o)))}
    <p class="pager">${b.number > 1 ? link(`#/block/${b.number - 1}`, "← previous") : ""} ${link(`#/block/${b.number + 1}`, "next →")}</p>`;
}

async function accountPage(address, before) {
  const gen = generation;
  await loadTokens();
  const q = before ? `?before=${encodeURIComponent(before)}` : "";
  const a = await api(`/api/accounts/${encodeURIComponent(address)}${q}`);
  const balances = a.balances.map((b) => `<tr><td>${esc(symbol(b.token))}</td><td class="num">${amount(b.amount, b.token, false)}</td><td>${b.lpOf ? `LP shares of pool ${b.lpOf.pool} (${esc(symbol(b.lpOf.tokenA))}/${esc(symbol(b.lpOf.tokenB))})` : ""}</td></tr>`);
  const hist = a.history.map((h) => (h.operation ? opRow({ ...h.operation, hash: h.hash }, `<td>${link(`#/block/${h.block}`, h.block)}</td><td>${when(h.timestamp)}</td>`) : ""));
  const next = a.next ? link(`#/account/${a.address}/${a.next}`, "older →") : "";
  if (gen !== generation) return;
  main.innerHTML = `<h1>Account ${short(a.address)}</h1>
    <dl class="kv"><dt>Address</dt><dd class="mono">${esc(a.address)}</dd><dt>Account id</dt><dd>${a.id}</dd>
      <dt>Nonce</dt><dd>${a.nonce}</dd><dt>L2 key</dt><dd>${a.keyRegistered ? "registered" : "not registered"}</dd></dl>
    <h2>Balances</h2>${table(["Token", "#Balance", ""], balances, "No balances.")}
    <h2>History</h2><div id="history">${table([...opHead, "Block", "Time"], hist, "No operations.")}</div>
    <p class="pager">${before ? link(`#/account/${a.address}`, "← newest") : ""} ${next}
      <a href="/api/accounts/${esc(a.address)}/history.csv" download>Export CSV</a></p>`;
}

async function tokensPage() {
  const gen = generation;
  await loadTokens();
  const rows = Object.values(tokens).map((t) => `<tr><td>${t.id}</td><td>${esc(t.symbol)}</td><td>${t.address === zero ? "native ETH" : short(t.address)}</td><td class="num">${t.decimals}</td><td class="num">${t.locked ? amount(t.locked, t.id, false) : '<span class="muted">—</span>'}</td></tr>`);
  if (gen !== generation) return;
  main.innerHTML = `<h1>Tokens</h1>${table(["Id", "Symbol", "L1 address", "#Decimals", "#Locked on L1"], rows)}`;
}

async function poolsPage() {
  const gen = generation;
  const pools = await loadTokens();
  const rows = pools.map((p) => {
    const ra = human(p.reserveA, p.tokenA), rb = human(p.reserveB, p.tokenB);
    const price = ra > 0 ? (rb / ra).toPrecision(6) : "—";
    return `<tr><td>${p.id}</td><td>${esc(symbol(p.tokenA))}/${esc(symbol(p.tokenB))}</td><td class="num">${amount(p.reserveA, p.tokenA)}</td><td class="num">${amount(p.reserveB, p.tokenB)}</td><td class="num">${price} ${esc(symbol(p.tokenB))} per ${esc(symbol(p.tokenA))}</td><td class="num">${amount(p.lpSupply, p.lpToken, false)}</td><td class="num">${amount(p.volumeA, p.tokenA)}<br>${amount(p.volumeB, p.tokenB)}</td><td class="num">${(p.feeBps / 100).toFixed(2)} %</td></tr>`;
  });
  if (gen !== generation) return;
  main.innerHTML = `<h1>Pools</h1>${table(["Id", "Pair", "#Reserve A", "#Reserve B", "#Price", "#LP supply", "#Volume sold in", "#LP fee"], rows, "No pools yet.")}`;
}

// ---------------------------------------------------------------- routing

async function render() {
  generation += 1;
  const gen = generation;
  if (timer) { clearTimeout(timer); timer = null; }
  if (chart) { chart.destroy(); chart = null; }
  route = location.hash.replace(/^#\/?/, "");
  const [page, arg, arg2] = route.split("/");
  try {
    if (["tx", "batch", "block", "account"].includes(page)) {
      const r = await api(`/api/search?q=${encodeURIComponent(decode(arg))}`);
      if (gen !== generation) return;
      if (!r.results.some((x) => x.kind === page)) {
        notFound(page === "account" ? `No L2 account ${arg || ""}: it has never received a deposit or a transfer.`
          : `No ${page === "tx" ? "transaction" : page} ${arg || ""}.`);
        return;
      }
    }
    if (!page) {
      await overview();
      const tick = async () => {
        if (gen !== generation) return;
        try { await overview(); } catch (e) { /* keep the last view; retried next tick */ }
        if (gen === generation) timer = setTimeout(tick, 3000);
      };
      timer = setTimeout(tick, 3000);
    } else if (page === "tx") await txPage(arg);
    else if (page === "batch") await batchPage(arg);
    else if (page === "block") await blockPage(arg);
    else if (page === "account") await accountPage(arg, arg2);
    else if (page === "tokens") await tokensPage();
    else if (page === "pools") await poolsPage();
    else if (page === "notfound") notFound(`Nothing matches "${decode(arg)}": not a known transaction or L1 deposit hash, address, block or batch number.`);
    else notFound(`No page "${page}".`);
  } catch (e) {
    if (gen !== generation) return;
    if (e.status === 404 || e.status === 400) notFound(e.message);
    else main.innerHTML = `<div class="alert">Could not load: ${esc(e.message)}</div>`;
  }
}

document.getElementById("search").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const q = document.getElementById("q").value.trim();
  if (!q) return;
  try {
    const r = await api(`/api/search?q=${encodeURIComponent(q)}`);
    const first = r.results[0];
    if (first) location.hash = `#/${first.kind}/${first.id}`;
    else if (location.hash === `#/notfound/${encodeURIComponent(q)}`) notFound(r.message);
    else location.hash = `#/notfound/${encodeURIComponent(q)}`;
  } catch (e) {
    main.innerHTML = `<div class="alert">Search failed: ${esc(e.message)}</div>`;
  }
});

document.addEventListener("click", (ev) => {
  const b = ev.target.closest("[data-copy]");
  if (!b) return;
  ev.preventDefault();
  const text = b.getAttribute("data-copy");
  const done = () => { b.textContent = "✓"; setTimeout(() => { b.innerHTML = COPY_ICON; }, 1200); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => {});
  } else {
    // plain HTTP on another host: the old way
    const area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { if (document.execCommand("copy")) done(); } catch (_) { /* nothing to copy with */ }
    area.remove();
  }
});

window.addEventListener("hashchange", render);
render();
