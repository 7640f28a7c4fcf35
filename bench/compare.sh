#!/usr/bin/env bash
# Two tokctl builds side by side in one hyperfine run: `get` and `exec` with the key from the
# environment and from the Secret Service, against `env X=y /bin/true`. For "no slower than
# before" checks of a change (see bench/README.md).
#
#   bench/compare.sh OLD_BINARY [NEW_BINARY]   # NEW defaults to this tree's release build
#
# Each binary gets its own vault, made by itself (a newer vault format may not open in the
# older binary). Knobs: BENCH_RUNS (default 200), BENCH_WARMUP (default 20).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"
[ $# -ge 1 ] || { echo "usage: bench/compare.sh OLD_BINARY [NEW_BINARY]" >&2; exit 2; }
old=$(realpath "$1")
# shellcheck source=bench/common.sh
source "$here/common.sh"
if [ $# -lt 2 ]; then
  bench_enter compare "$here/compare.sh" "$old" "$root/target/release/tokctl"
else
  bench_enter compare "$here/compare.sh" "$old" "$(realpath "$2")"
fi
bench_require compare
new=$(realpath "$2")

RUNS=${BENCH_RUNS:-200}
WARMUP=${BENCH_WARMUP:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/tokctl-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"
mkdir -p "$HOME"
unset TOKCTL_VAULT TOKCTL_VAULT_KEY TOKCTL_PASSPHRASE TOKCTL_KEYRING TOKCTL_KEYRING_TIMEOUT NO_COLOR CI
# The keyring rows measure the Secret Service: no unlock cache, whatever session this runs in.
export TOKCTL_CACHE_TTL=off
cp "$old" "$work/old"
cp "$new" "$work/new"

for b in old new; do
  TOKCTL_VAULT="$work/$b.toml" "$work/$b" -q create gh >/dev/null
  TOKCTL_VAULT="$work/$b.toml" "$work/$b" key export >"$work/$b.key"
done
cmds=(-n "env X=y /bin/true" "env X=y /bin/true")
for b in old new; do
  v="$work/$b.toml"
  k=$(cat "$work/$b.key")
  cmds+=(-n "$b get (env key)" "env TOKCTL_KEYRING=none TOKCTL_VAULT_KEY=$k TOKCTL_VAULT=$v $work/$b get gh")
  cmds+=(-n "$b exec (env key)" "env TOKCTL_KEYRING=none TOKCTL_VAULT_KEY=$k TOKCTL_VAULT=$v $work/$b exec -t gh -- /bin/true")
  cmds+=(-n "$b get (keyring)" "env TOKCTL_VAULT=$v $work/$b get gh")
  cmds+=(-n "$b exec (keyring)" "env TOKCTL_VAULT=$v $work/$b exec -t gh -- /bin/true")
done
echo "compare: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
hyperfine -N -w "$WARMUP" -r "$RUNS" --export-markdown "$work/compare.md" "${cmds[@]}" >&2
cat "$work/compare.md"
