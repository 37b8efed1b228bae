#!/usr/bin/env bash
# Devnet figures: time from `zkr devnet` to its `ready` line (proving keys made fresh, keys
# cached, resuming a data dir), and time from `zkr wallet withdraw` to the funds being claimable
# on L1 (batch executed) at devnet defaults. Prints one JSON line per figure.
#
#   scripts/bench-devnet.sh [zkr binary, default target/release/zkr] [withdrawals, default 5]
#
# Uses ports 18545/13050 and a temporary directory; needs `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
zkr="$(realpath "${1:-target/release/zkr}")"
runs="${2:-5}"
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# Starts a devnet on $1 with keys in $2; sets $pid and $ready (seconds until `ready`).
start() {
  local t0 out
  out="$work/out.$RANDOM"
  t0="$(now)"
  "$zkr" devnet --data-dir "$1" --keys-dir "$2" --l1-port 18545 --l2-port 13050 \
    >"$out" 2>>"$work/devnet.log" &
  pid=$!
  until grep -q ready "$out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "devnet exited; log: $work/devnet.log" >&2; tail -20 "$work/devnet.log" >&2; exit 1; fi
    sleep 0.05
  done
  ready="$(secs "$t0" "$(now)")"
}
stop() { kill -TERM "$pid"; wait "$pid"; pid=""; }

start "$work/d1" "$work/keys"
echo "{\"figure\":\"devnet_ready_s\",\"keys\":\"fresh\",\"value\":$ready}"
stop
start "$work/d2" "$work/keys"
echo "{\"figure\":\"devnet_ready_s\",\"keys\":\"cached\",\"value\":$ready}"
stop
start "$work/d2" "$work/keys"
echo "{\"figure\":\"devnet_ready_s\",\"keys\":\"cached\",\"resume\":true,\"value\":$ready}"

key="$(node -e "console.log(require('$work/d2/devnet.json').accounts[0].private_key)")"
export ZKR_PRIVATE_KEY="$key" ZKR_L2_RPC=http://127.0.0.1:13050
w() { "$zkr" wallet "$@" 2>>"$work/wallet.log"; }
w deposit --amount 10 --wait included >/dev/null
# The first L2 transaction also registers the L2 key; keep it out of the figures.
w transfer --to 0x000000000000000000000000000000000000bEEF --amount 0.01 --wait included >/dev/null
for i in $(seq 1 "$runs"); do
  t0="$(now)"
  w withdraw --amount 0.1 --wait executed >/dev/null
  echo "{\"figure\":\"withdraw_to_claimable_s\",\"run\":$i,\"value\":$(secs "$t0" "$(now)")}"
done
stop
