// zkr's L2 cryptography in the browser, with the same bytes as the Rust side (`zkr-crypto`):
// circomlibjs's Poseidon and EdDSA-Poseidon on BabyJubjub, and the L2 key derived from an
// Ethereum wallet's signature (docs/protocol.md §2.1-2.3). Bundled with its dependencies into
// `crates/wallet/assets/zkr-crypto.js` by `node scripts/build-wallet-crypto.js`; the page gets
// `window.ZkrCrypto`, with ethers v5's `Interface`, `parseUnits` and `formatUnits` for L1 calls.
// Private keys stay in the caller's memory: nothing here stores or logs them.
import buildEddsa from "../../../node_modules/circomlibjs/src/eddsa.js";
import { buildPoseidon } from "../../../node_modules/circomlibjs/src/poseidon_wasm.js";
import { keccak_256 } from "js-sha3";
// L1 calldata and unit conversions come from ethers v5's ABI coder and units (not hand-built).
export { Interface } from "@ethersproject/abi";
export { formatUnits, parseUnits } from "@ethersproject/units";

let eddsa = null;
let poseidonFn = null;

/** Builds the WebAssembly of Poseidon and BabyJubjub; await it once before anything else. */
export async function ready() {
  if (!eddsa) {
    eddsa = await buildEddsa();
    poseidonFn = await buildPoseidon();
  }
}

function need() {
  if (!eddsa) throw new Error("ZkrCrypto.ready() has not finished");
}

/** The text a wallet signs (`personal_sign`) to derive its zkr L2 key on zkr chain `chainId`. */
export function l2KeyMessage(chainId) {
  if (!Number.isInteger(chainId) || chainId < 0 || chainId > 0xffffffff) {
    throw new Error(`chain id ${chainId} is not a 32-bit unsigned integer`);
  }
  return "Access zkr account.\n\nThis signature creates your zkr L2 signing key for zkr chain " +
    chainId + ".\nOnly sign this message for a trusted client!";
}

function hexBytes(hex, n) {
  const h = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (h.length !== 2 * n || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new Error(`expected ${n} bytes of hex, got ${hex.length} characters`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** keccak256 of bytes, as 0x-prefixed hex. */
export function keccak256(bytes) {
  return "0x" + keccak_256(bytes);
}

/** The L2 private key (32 bytes) of a 65-byte `personal_sign` signature `r || s || v`. */
export function deriveL2Key(signatureHex) {
  const sig = hexBytes(signatureHex, 65);
  if (sig[64] !== 27 && sig[64] !== 28) throw new Error(`signature v is ${sig[64]}, not 27 or 28`);
  return new Uint8Array(keccak_256.arrayBuffer(sig));
}

function field(x) {
  const v = BigInt(x);
  const p = eddsa.babyJub.p;
  if (v < 0n || v >= p) throw new Error(`${x} is not a field element`);
  return v;
}

/** Poseidon of 1 to 16 field elements (decimal strings or BigInts), as a BigInt. */
export function poseidon(inputs) {
  need();
  if (inputs.length < 1 || inputs.length > 16) throw new Error("Poseidon takes 1 to 16 inputs");
  return poseidonFn.F.toObject(poseidonFn(inputs.map(field)));
}

/** The BabyJubjub public key of a 32-byte private key: `{x, y}` as BigInts. */
export function publicKey(privateKey) {
  need();
  const [x, y] = eddsa.prv2pub(privateKey);
  const F = eddsa.babyJub.F;
  return { x: F.toObject(x), y: F.toObject(y) };
}

/** `pkh(A) = Poseidon(A.x, A.y)`, what `ChangePubKey` registers. */
export function pubkeyHash(pub) {
  return poseidon([pub.x, pub.y]);
}

/** The EdDSA-Poseidon signature of a field element: `{r8x, r8y, s}` as BigInts. */
export function sign(privateKey, message) {
  need();
  const F = eddsa.babyJub.F;
  const sig = eddsa.signPoseidon(privateKey, F.e(field(message)));
  return { r8x: F.toObject(sig.R8[0]), r8y: F.toObject(sig.R8[1]), s: sig.S };
}
