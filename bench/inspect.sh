#!/usr/bin/env bash
# `tokctl inspect` of one GitLab token against `curl` of the same request, both to the local
# GitLab stand-in (tests/support/forge.py, loopback http), in one hyperfine run (issue 19).
#
#   bench/inspect.sh            # builds release; BENCH_RUNS (default 100), BENCH_WARMUP (10)
# tokctl's side opens the vault (TOKCTL_VAULT_KEY), sends GET /api/v4/personal_access_tokens/self,
# and seals the answer into the record and the log: the whole command. curl's side sends the
# same request with the token read from a file (-H @file). Neither uses a shell (-N).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"
# shellcheck source=bench/common.sh
source "$here/common.sh"
bench_enter inspect "$here/inspect.sh" "$@"
bench_require inspect
command -v curl >/dev/null || { echo "inspect: curl is missing (apt-get install curl)" >&2; exit 1; }

RUNS=${BENCH_RUNS:-100}
WARMUP=${BENCH_WARMUP:-10}
work=$(mktemp -d "${TMPDIR:-/tmp}/tokctl-inspect.XXXXXX")
python3 "$root/tests/support/forge.py" >"$work/port" &
forge=$!
trap 'kill $forge 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(head -n1 "$work/port")
url="http://127.0.0.1:$port"
B="$work/tokctl"
cp "${CARGO_TARGET_DIR:-$root/target}/release/tokctl" "$B"
export HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"
mkdir -p "$HOME"
unset TOKCTL_PASSPHRASE TOKCTL_CACHE_TTL
# The vault at the default path in the (private) data directory: the user's own vault, whose
# providers are acted on with a key from the environment (README, "Providers").
export TOKCTL_VAULT="$XDG_DATA_HOME/tokctl/vault.toml" TOKCTL_KEYRING=none
TOKCTL_VAULT_KEY="tokctl-key-v1-$(head -c32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
export TOKCTL_VAULT_KEY
SECRET=glpat-BenchTokenSecret000001
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
  --data-binary "{\"token\": \"$SECRET\", \"scopes\": [\"api\"], \"expires_at\": \"2030-01-01\"}" "$url/_control/token"
printf '%s' "$SECRET" | "$B" -q import gl --provider-url "$url"
printf 'PRIVATE-TOKEN: %s\n' "$SECRET" >"$work/header"
chmod 600 "$work/header"
"$B" inspect gl | grep -q '^gl: valid' || { echo "inspect: tokctl got no valid answer" >&2; exit 1; }
curl -fsS -H @"$work/header" "$url/api/v4/personal_access_tokens/self" | grep -q '"active": true' ||
  { echo "inspect: curl got no valid answer" >&2; exit 1; }
echo "inspect: tokctl ${TOKCTL_BENCH_REV:-?}, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
  -n "curl -H @header GET …/personal_access_tokens/self" "curl -fsS -o /dev/null -H @$work/header $url/api/v4/personal_access_tokens/self" \
  -n "tokctl inspect gl (env key; the answer sealed and logged)" "$B -q inspect gl"
