#!/usr/bin/env bash
# `git credential fill` through tokctl's helper, the key warm in the unlock cache, against git's
# own `credential-store` helper (a plain-text file), in one hyperfine run (issue 20, item 5).
#
#   bench/credential.sh            # builds release; BENCH_RUNS (default 200), BENCH_WARMUP (20)
# Both sides run under hyperfine's shell (stdin is a file), whose start it subtracts.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"
# shellcheck source=bench/common.sh
source "$here/common.sh"
# One login session, so the unlock cache is usable.
if [ -z "${TOKCTL_BENCH_SESSION:-}" ]; then
  command -v keyctl >/dev/null || { echo "credential: keyctl is missing (apt-get install keyutils)" >&2; exit 1; }
  export TOKCTL_BENCH_SESSION=1
  exec keyctl session - "$here/credential.sh" "$@"
fi
bench_enter credential "$here/credential.sh" "$@"
bench_require credential

RUNS=${BENCH_RUNS:-200}
WARMUP=${BENCH_WARMUP:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/tokctl-credential.XXXXXX")
trap 'rm -rf "$work"' EXIT
B="$work/tokctl"
cp "${CARGO_TARGET_DIR:-$root/target}/release/tokctl" "$B"
export HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
unset TOKCTL_VAULT_KEY TOKCTL_PASSPHRASE TOKCTL_CACHE_TTL
export TOKCTL_VAULT="$work/vault.toml" TOKCTL_KEYRING=none
SECRET=ghp_0123456789abcdefghijklmnopqrstuvwxyz
PASS='correct horse battery staple'
printf '%s' "$SECRET" | TOKCTL_PASSPHRASE="$PASS" "$B" -q import gh --host github.com
TOKCTL_PASSPHRASE="$PASS" "$B" -q unlock --for 2h
printf 'https://x-access-token:%s@github.com\n' "$SECRET" >"$work/store"
chmod 600 "$work/store"
printf 'protocol=https\nhost=github.com\n\n' >"$work/request"

store="git -c credential.helper= -c 'credential.helper=store --file=$work/store' credential fill < $work/request"
tokctl="git -c credential.helper= -c 'credential.helper=!$B credential git' credential fill < $work/request"
for c in "$store" "$tokctl"; do
  sh -c "$c" | grep -qx "password=$SECRET" || { echo "credential: no answer from: $c" >&2; exit 1; }
done
echo "credential: tokctl ${TOKCTL_BENCH_REV:-?}, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
hyperfine --warmup "$WARMUP" --runs "$RUNS" \
  -n "git credential-store (plain-text file)" "$store" \
  -n "tokctl credential git (unlock cache warm)" "$tokctl"
