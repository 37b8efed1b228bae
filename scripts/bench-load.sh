#!/usr/bin/env bash
# `zkr bench load` against a fresh devnet set up not to throttle it: no prover (proving cannot
# keep up), no per-account rate limit, no bound on unproven batches, 128-slot batches and
# 20 ms blocks (override with ZKR_BLOCK_TIME_MS_BENCH). The funder is a devnet account. Prints
# the benchmark's JSON line.
#
#   scripts/bench-load.sh [zkr binary, default target/release/zkr] [zkr bench load flags...]
#   e.g. scripts/bench-load.sh target/release/zkr --accounts 200 --concurrency 32 --duration 10
#
# The devnet's binary can differ from the benchmark's: ZKR_DEVNET_BIN (an older build, to
# measure a before). Uses ports 18545/13050 and a temporary directory; needs `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
zkr="$(realpath "${1:-target/release/zkr}")"
shift || true
devnet_bin="$(realpath "${ZKR_DEVNET_BIN:-$zkr}")"
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

ZKR_NO_PROVER=true ZKR_BATCH_SIZE=128 ZKR_MAX_UNPROVEN_BATCHES=0 ZKR_SENDER_RATE_LIMIT=0 \
  "$devnet_bin" devnet --data-dir "$work/devnet" --block-time-ms "${ZKR_BLOCK_TIME_MS_BENCH:-20}" \
  --explorer-port 0 --l1-port 18545 --l2-port 13050 >"$work/devnet.log" 2>&1 &
pid=$!
up=""
for _ in $(seq 120); do
  # An older devnet without --no-prover waits for keys it never gets; its node serves anyway.
  if grep -q "ready in\|waiting for the prover" "$work/devnet.log"; then up=1; break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$work/devnet.log" >&2; exit 1; fi
  sleep 1
done
if [ -z "$up" ]; then
  echo "error: the devnet was not up after 120 s; its log:" >&2
  cat "$work/devnet.log" >&2
  exit 1
fi
sleep 2
key="$(node -e "console.log(require('$work/devnet/devnet.json').accounts[2].private_key)")"
ZKR_PRIVATE_KEY="$key" "$zkr" bench load --l2-rpc http://127.0.0.1:13050 "$@"
