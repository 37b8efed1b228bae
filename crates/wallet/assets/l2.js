// zkr's L2 transactions in the browser: packed amounts (docs/protocol.md §4.8), the signed
// message of every transaction type (§5) and its JSON wire form, the EIP-712 authorization of a
// new L2 key (§4.3), and the pool arithmetic a wallet needs for quotes (§4.10-4.12). Pure
// functions on BigInts; the signing itself is ZkrCrypto's (circomlibjs). Exposed as
// `window.ZkrL2`. The node recomputes every message from the JSON and checks the signature, so a
// byte that differs from the Rust side is refused (scripts/test-wallet.js sends every type).
(function () {
  "use strict";
  const C = window.ZkrCrypto; // captured once: a later reassignment of the global changes nothing

  const EXPONENT_BITS = 5n;
  const AMOUNT_MANTISSA_BITS = 35n;
  const FEE_MANTISSA_BITS = 11n;
  const MAX_BALANCE = (1n << 128n) - 1n;
  const MAX_EXPONENT = 31n;
  const MIN_LIQUIDITY = 1000n;
  const TYPE = { ChangePubKey: 2n, Transfer: 3n, Withdraw: 5n, Swap: 7n, AddLiquidity: 8n, RemoveLiquidity: 9n, CreatePool: 10n };

  /** The canonical packed form (largest exponent), or null if the value is not packable. */
  function pack(value, mantissaBits) {
    let m = BigInt(value);
    if (m < 0n || m > MAX_BALANCE) return null;
    let e = 0n;
    while (m > 0n && m % 10n === 0n && e < MAX_EXPONENT) {
      m /= 10n;
      e += 1n;
    }
    return m < (1n << mantissaBits) ? (m << EXPONENT_BITS) | e : null;
  }

  function packAmount(value) {
    const p = pack(value, AMOUNT_MANTISSA_BITS);
    if (p === null) throw new Error(`${value} is not representable on L2 (35-bit mantissa)`);
    return p;
  }

  function packFee(value) {
    const p = pack(value, FEE_MANTISSA_BITS);
    if (p === null) throw new Error(`fee ${value} is not representable on L2 (11-bit mantissa)`);
    return p;
  }

  const isAmountPackable = (v) => pack(v, AMOUNT_MANTISSA_BITS) !== null;

  /** The largest packable amount at most `value` (keeps the leading 35 bits' worth of digits). */
  function roundDownAmount(value) {
    let m = BigInt(value);
    let scale = 1n;
    while (m >= (1n << AMOUNT_MANTISSA_BITS)) {
      m /= 10n;
      scale *= 10n;
    }
    return m * scale;
  }

  /** The smallest packable amount at least `value`. */
  function roundUpAmount(value) {
    const v = BigInt(value);
    const limit = 1n << AMOUNT_MANTISSA_BITS;
    let scale = 1n;
    while (v / scale >= limit) scale *= 10n;
    let m = (v + scale - 1n) / scale;
    if (m >= limit) {
      scale *= 10n;
      m = (v + scale - 1n) / scale;
    }
    return m * scale;
  }

  /** `expected` less `percent` (0-100, to 1e-6 %), rounded down to a packable amount (as the CLI). */
  function minimum(expected, percent) {
    if (!(percent >= 0 && percent <= 100)) throw new Error(`slippage must be between 0 and 100 %, got ${percent}`);
    const keep = 100000000n - BigInt(Math.round(percent * 1000000));
    return roundDownAmount((BigInt(expected) * keep) / 100000000n);
  }

  function u(v, bits, what) {
    const x = BigInt(v);
    if (x < 0n || x >= (1n << BigInt(bits))) throw new Error(`${what} ${v} does not fit in ${bits} bits`);
    return x;
  }

  /** Bits packed little-end first: [[value, offset, width, name], ...]. */
  function word(fields) {
    let w = 0n;
    for (const [v, at, bits, what] of fields) w |= u(v, bits, what) << BigInt(at);
    return w;
  }

  function header(type, chainId, accountId, token, nonce, fee) {
    return [[type, 0, 8, "type"], [chainId, 8, 32, "chain id"], [accountId, 40, 24, "account id"],
      [token, 64, 8, "token"], [nonce, 72, 32, "nonce"], [packFee(fee), 104, 16, "fee"]];
  }

  function dexHeader(type, chainId, accountId, t1, t2, nonce, fee) {
    return [[type, 0, 8, "type"], [chainId, 8, 32, "chain id"], [accountId, 40, 24, "account id"],
      [t1, 64, 8, "token"], [t2, 72, 8, "token"], [nonce, 80, 32, "nonce"], [packFee(fee), 112, 16, "fee"]];
  }

  const address = (a) => {
    if (!/^0x[0-9a-fA-F]{40}$/.test(a)) throw new Error(`${a} is not an address`);
    return BigInt(a);
  };

  /** `[w0, second]` of a transaction in its JSON form (§5); `M = Poseidon(w0, second)`. */
  function messageParts(tx, chainId) {
    switch (tx.type) {
      case "Transfer":
        return [word([...header(TYPE.Transfer, chainId, tx.from, tx.token, tx.nonce, tx.fee),
          [packAmount(tx.amount), 120, 40, "amount"]]), address(tx.to)];
      case "Withdraw":
        return [word([...header(TYPE.Withdraw, chainId, tx.accountId, tx.token, tx.nonce, tx.fee),
          [tx.amount, 120, 128, "amount"]]), address(tx.to)];
      case "ChangePubKey":
        return [word(header(TYPE.ChangePubKey, chainId, tx.accountId, tx.feeToken, tx.nonce, tx.fee)),
          BigInt(tx.newPubKeyHash)];
      case "Swap":
        return [word([...dexHeader(TYPE.Swap, chainId, tx.accountId, tx.sell, tx.buy, tx.nonce, tx.fee),
          [packAmount(tx.amountIn), 128, 40, "amount in"], [packAmount(tx.minOut), 168, 40, "minimum out"]]),
          u(tx.pool, 8, "pool")];
      case "AddLiquidity":
        return [word([...dexHeader(TYPE.AddLiquidity, chainId, tx.accountId, tx.tokenA, tx.tokenB, tx.nonce, tx.fee),
          [packAmount(tx.maxA), 128, 40, "max A"], [packAmount(tx.maxB), 168, 40, "max B"],
          [packAmount(tx.minShares), 208, 40, "minimum shares"]]), u(tx.pool, 8, "pool")];
      case "RemoveLiquidity":
        return [word([...dexHeader(TYPE.RemoveLiquidity, chainId, tx.accountId, tx.tokenA, tx.tokenB, tx.nonce, tx.fee),
          [packAmount(tx.minA), 128, 40, "min A"], [packAmount(tx.minB), 168, 40, "min B"]]),
          u(tx.shares, 128, "shares") + (u(tx.pool, 8, "pool") << 128n)];
      case "CreatePool":
        return [word(dexHeader(TYPE.CreatePool, chainId, tx.accountId, tx.tokenA, tx.tokenB, tx.nonce, tx.fee)), 0n];
      default:
        throw new Error(`unknown transaction type ${tx.type}`);
    }
  }

  /** `M` of a transaction (needs ZkrCrypto ready). */
  function message(tx, chainId) {
    return C.poseidon(messageParts(tx, chainId));
  }

  /** The transaction hash: keccak256 of the 32-byte big-endian `M`, in hex. */
  function txHash(m) {
    const hex = BigInt(m).toString(16).padStart(64, "0");
    const bytes = new Uint8Array(32);
    for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return C.keccak256(bytes);
  }

  /** `tx` (JSON form, amounts as decimal strings or BigInts) signed with the L2 key `key`. */
  function sign(tx, chainId, key) {
    const pub = C.publicKey(key);
    const m = message(tx, chainId);
    const s = C.sign(key, m);
    const out = {};
    for (const [k, v] of Object.entries(tx)) out[k] = typeof v === "bigint" ? v.toString() : v;
    out.signature = { pubKey: { x: pub.x.toString(), y: pub.y.toString() }, r8x: s.r8x.toString(), r8y: s.r8y.toString(), s: s.s.toString() };
    return { tx: out, hash: txHash(m) };
  }

  /** The EIP-712 typed data the owner signs (`eth_signTypedData_v4`) to authorize an L2 key. */
  function changePubKeyTypedData({ l1ChainId, rollup, pubKeyHash, nonce, accountId }) {
    return {
      types: {
        EIP712Domain: [{ name: "name", type: "string" }, { name: "version", type: "string" },
          { name: "chainId", type: "uint256" }, { name: "verifyingContract", type: "address" }],
        ChangePubKey: [{ name: "pubKeyHash", type: "bytes32" }, { name: "nonce", type: "uint32" },
          { name: "accountId", type: "uint32" }],
      },
      primaryType: "ChangePubKey",
      domain: { name: "zkr", version: "1", chainId: Number(l1ChainId), verifyingContract: rollup },
      message: { pubKeyHash: "0x" + BigInt(pubKeyHash).toString(16).padStart(64, "0"), nonce: Number(nonce), accountId: Number(accountId) },
    };
  }

  // Pool arithmetic (§4.10-4.12), exactly as the node computes it.
  function swapOut(amountIn, x, y) {
    [amountIn, x, y] = [BigInt(amountIn), BigInt(x), BigInt(y)];
    if (x === 0n || y === 0n) return 0n;
    return (amountIn * 997n * y) / (x * 1000n + amountIn * 997n);
  }

  function isqrt(v) {
    if (v < 2n) return v;
    let x = v;
    let y = (x + 1n) / 2n;
    while (y < x) {
      x = y;
      y = (x + v / x) / 2n;
    }
    return x;
  }

  /** What adding at most (maxA, maxB) gives: {shares, a, b}; shares 0n if nothing. */
  function addLiquidity(maxA, maxB, ra, rb, supply) {
    [maxA, maxB, ra, rb, supply] = [maxA, maxB, ra, rb, supply].map(BigInt);
    if (supply === 0n) {
      const s = isqrt(maxA * maxB);
      return { shares: s > MIN_LIQUIDITY ? s - MIN_LIQUIDITY : 0n, a: maxA, b: maxB };
    }
    const sa = (maxA * supply) / ra;
    const sb = (maxB * supply) / rb;
    const shares = sa < sb ? sa : sb;
    const ceil = (n, d) => (n + d - 1n) / d;
    return { shares, a: ceil(shares * ra, supply), b: ceil(shares * rb, supply) };
  }

  /** What burning `shares` pays: {a, b}. */
  function removeLiquidity(shares, ra, rb, supply) {
    [shares, ra, rb, supply] = [shares, ra, rb, supply].map(BigInt);
    if (supply === 0n) return { a: 0n, b: 0n };
    return { a: (shares * ra) / supply, b: (shares * rb) / supply };
  }

  window.ZkrL2 = Object.freeze({
    packAmount, packFee, isAmountPackable, roundDownAmount, roundUpAmount, minimum, messageParts, message, txHash,
    sign, changePubKeyTypedData, swapOut, addLiquidity, removeLiquidity, isqrt,
  });
})();
