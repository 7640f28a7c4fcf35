#!/usr/bin/env bash
# Opening a recipient bundle (an age file, X25519 and SSH recipients) against opening a key
# bundle with the same tokens, in one hyperfine run (issue 22's goal: the recipient bundle within
# 1.5x of the key bundle), beside `env X=y /bin/true`.
#
#   bench/recipients.sh [TOKCTL_BINARY]     # default: this tree's release build (built when missing)
#
# Needs age-keygen and ssh-keygen (apt age, openssh-client). Knobs: BENCH_RUNS (default 200),
# BENCH_WARMUP (default 20), BENCH_TOKENS (default 10: tokens in each bundle).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"
RUNS=${BENCH_RUNS:-200}
WARMUP=${BENCH_WARMUP:-20}
TOKENS=${BENCH_TOKENS:-10}
if [ $# -ge 1 ]; then
  bin=$(realpath "$1")
else
  cargo build --release --locked --quiet
  bin=${CARGO_TARGET_DIR:-$root/target}/release/tokctl
fi
for t in hyperfine age-keygen ssh-keygen; do command -v "$t" >/dev/null || { echo "recipients: $t is missing" >&2; exit 1; }; done

work=$(mktemp -d "${TMPDIR:-/tmp}/tokctl-recipients.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$bin" "$work/tokctl"
export HOME="$work" TOKCTL_KEYRING=none TOKCTL_CACHE_TTL=0
unset TOKCTL_VAULT TOKCTL_PASSPHRASE TOKCTL_AGE_IDENTITY TOKCTL_AGE_IDENTITY_FILE NO_COLOR CI
# The personal vault, opened by an env key (no keyring, no Argon2): only bundle-making uses it.
TOKCTL_VAULT_KEY=tokctl-key-v1-$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
export TOKCTL_VAULT_KEY TOKCTL_VAULT="$work/vault.toml"
names=()
for i in $(seq "$TOKENS"); do
  "$work/tokctl" -q create "t$i" >/dev/null
  names+=(-t "t$i")
done
age-keygen -o "$work/ci.txt" 2>/dev/null
ssh-keygen -q -t ed25519 -N '' -C bench -f "$work/member"
{ age-keygen -y "$work/ci.txt"; cat "$work/member.pub"; } >"$work/recipients.txt"
"$work/tokctl" -q bundle "${names[@]}" --out "$work/ci.age" --to "@$work/recipients.txt"
key=$("$work/tokctl" -q bundle "${names[@]}" --out "$work/ci.vault")
secret=$("$work/tokctl" get t1)
unset TOKCTL_VAULT_KEY TOKCTL_VAULT
identity=$(grep AGE-SECRET-KEY "$work/ci.txt")
# Every row must give back the same secret before it is timed.
[ "$(TOKCTL_VAULT_KEY="$key" "$work/tokctl" --vault "$work/ci.vault" get t1)" = "$secret" ]
[ "$(TOKCTL_AGE_IDENTITY="$identity" "$work/tokctl" --vault "$work/ci.age" get t1)" = "$secret" ]
[ "$(TOKCTL_AGE_IDENTITY_FILE="$work/member" "$work/tokctl" --vault "$work/ci.age" get t1)" = "$secret" ]

echo "recipients: $TOKENS tokens per bundle; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
hyperfine -N -w "$WARMUP" -r "$RUNS" --export-markdown "$work/recipients.md" --export-json "$work/recipients.json" \
  -n "env X=y /bin/true" "env X=y /bin/true" \
  -n "key bundle: get" "env TOKCTL_VAULT_KEY=$key $work/tokctl --vault $work/ci.vault get t1" \
  -n "recipient bundle, age identity: get" "env TOKCTL_AGE_IDENTITY=$identity $work/tokctl --vault $work/ci.age get t1" \
  -n "recipient bundle, SSH key file: get" "env TOKCTL_AGE_IDENTITY_FILE=$work/member $work/tokctl --vault $work/ci.age get t1" >&2
cat "$work/recipients.md"
# Medians and min, and each against the key bundle: the goal is the recipient rows <= 1.5x.
python3 - "$work/recipients.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
key = next(r for r in rows if r["command"] == "key bundle: get")
print()
print("| Command | median [ms] | min [ms] | median / key bundle | min / key bundle |")
print("|:---|---:|---:|---:|---:|")
for r in rows:
    print(f"| `{r['command']}` | {r['median']*1e3:.2f} | {r['min']*1e3:.2f} | "
          f"{r['median']/key['median']:.2f} | {r['min']/key['min']:.2f} |")
PY
