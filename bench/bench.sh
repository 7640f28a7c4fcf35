#!/usr/bin/env bash
# Benchmark tokctl against the floors users compare it with (see bench/README.md).
#
#   bench/bench.sh            # builds release, runs everything in a throw-away keyring session
#
# Knobs (environment): BENCH_RUNS (get runs, default 100), BENCH_WARMUP (default 10),
# BENCH_CREATE_RUNS (default 30), BENCH_TOKENS (default 10000), BENCH_NICE (default -10 when
# allowed, 0 = off), CARGO_TARGET_DIR.
# Results go to bench/results/ (markdown, JSON and CSV per hyperfine run, summary.txt).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"

# ---- 1. build, then re-run inside a private D-Bus session with a throw-away gnome-keyring -----
# shellcheck source=bench/common.sh
source "$here/common.sh"
bench_enter bench "$here/bench.sh" "$@"

# ---- inside the keyring session ----------------------------------------------------------------
bench_require bench
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

RUNS=${BENCH_RUNS:-100}
WARMUP=${BENCH_WARMUP:-10}
CREATE_RUNS=${BENCH_CREATE_RUNS:-30}
N=${BENCH_TOKENS:-10000}
results="$here/results"
mkdir -p "$results"

target=$(cargo metadata --format-version 1 --no-deps --offline 2>/dev/null |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
target=${target:-${CARGO_TARGET_DIR:-$root/target}}

work=$(mktemp -d "${TMPDIR:-/tmp}/tokctl-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A copy, so a rebuild while we measure cannot swap the binary under us.
B="$work/tokctl"
cp "$target/release/tokctl" "$B"

# Never the user's own vault or settings.
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache"
mkdir -p "$HOME"
unset TOKCTL_VAULT TOKCTL_VAULT_KEY TOKCTL_PASSPHRASE TOKCTL_KEYRING TOKCTL_KEYRING_TIMEOUT NO_COLOR
# The keyring rows measure the Secret Service: no unlock cache, whatever session this runs in.
export TOKCTL_CACHE_TTL=off
export TOKCTL_VAULT="$work/unused.toml" # anything that forgets its own path fails on a missing vault

say() { printf 'bench: %s\n' "$*" >&2; }
vault_id() { sed -n 's/^vault_id = "\(v_[^"]*\)"$/\1/p' "$1"; }
median_of() { # name file.csv -> median seconds of the row named `name`
  awk -F, -v n="$1" 'NR > 1 { c = $1; gsub(/"/, "", c); if (c == n) print $4 }' "$2"
}

rev=${TOKCTL_BENCH_REV:-unknown}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
say "tokctl $rev, $(nproc) CPUs, load average $load_start, niceness $(nice)"

# ---- 2. fixtures ---------------------------------------------------------------------------------
V1="$work/one.toml"
V2="$work/big.toml"
DOTENV="$work/big.env"

env TOKCTL_VAULT="$V1" "$B" -q create x >/dev/null
ID1=$(vault_id "$V1")
K1=$(env TOKCTL_VAULT="$V1" "$B" key export)
[ -n "$ID1" ] && [ "$(secret-tool lookup service tokctl username "$ID1")" = "$K1" ] || {
  say "the 1-token vault's key is not in the Secret Service under service=tokctl username=$ID1"
  exit 1
}

# N lines of VAR_nnnnn=ghp_<36 random base62>, like a large real .env.
awk -v n="$N" 'BEGIN {
  a = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"; srand(42)
  for (i = 0; i < n; i++) {
    s = ""; for (j = 0; j < 36; j++) s = s substr(a, int(rand() * 62) + 1, 1)
    printf "VAR_%05d=ghp_%s\n", i, s
  }
}' >"$DOTENV"
MID=$(printf 'var-%05d' $((N / 2)))

say "import --dotenv of $N tokens (fresh vault each run, key to the Secret Service)"
hyperfine -N --style basic --runs 5 --warmup 1 \
  --prepare "rm -f $V2 $V2.log" \
  -n "import --dotenv $N" "env TOKCTL_VAULT=$V2 $B -q import --dotenv $DOTENV" \
  --export-markdown "$results/import.md" --export-json "$results/import.json" --export-csv "$results/import.csv"
# The last run's vault stays: it is the big vault for everything below.
ID2=$(vault_id "$V2")
K2=$(env TOKCTL_VAULT="$V2" "$B" key export)
[ "$(env TOKCTL_VAULT="$V2" "$B" get "$MID")" = "$(sed -n "$((N / 2 + 1))s/^[^=]*=//p" "$DOTENV")" ] || {
  say "the big vault does not give back what was imported"
  exit 1
}
log_before=$(stat -c %s "$V2.log" 2>/dev/null || echo 0)

# ---- 3. get, side by side with the floors ------------------------------------------------------
say "get: $RUNS runs, $WARMUP warm-up"
hyperfine -N --style basic --runs "$RUNS" --warmup "$WARMUP" \
  -n "env X=y /bin/true" "env X=y /bin/true" \
  -n "secret-tool lookup" "secret-tool lookup service tokctl username $ID1" \
  -n "get 1-token env-key" "env TOKCTL_VAULT_KEY=$K1 TOKCTL_VAULT=$V1 $B get x" \
  -n "get 1-token keyring" "env TOKCTL_VAULT=$V1 $B get x" \
  -n "get $N-token env-key" "env TOKCTL_VAULT_KEY=$K2 TOKCTL_VAULT=$V2 $B get $MID" \
  -n "get $N-token keyring" "env TOKCTL_VAULT=$V2 $B get $MID" \
  --export-markdown "$results/get.md" --export-json "$results/get.json" --export-csv "$results/get.csv"

# ---- 3b. exec --mask throughput -------------------------------------------------------------------
# Masking must stay linear whatever the secret: 20 MB of ordinary output, and 2 MB of `a` against a
# 64 KiB secret of 65,535 `a` and a `b` (every byte of it could begin the secret).
V3="$work/mask.toml"
K3=$K1 # a new vault made while TOKCTL_VAULT_KEY is set takes that key
env TOKCTL_VAULT_KEY="$K3" TOKCTL_VAULT="$V3" "$B" -q create plain >/dev/null
{ head -c 65535 /dev/zero | tr '\0' a; printf b; } | env TOKCTL_VAULT_KEY="$K3" TOKCTL_VAULT="$V3" "$B" -q import adversarial
head -c 2000000 /dev/zero | tr '\0' a >"$work/a.out"
awk 'BEGIN { for (i = 0; i < 320000; i++) printf "%08d the quick brown fox jumps over the lazy dog to %06d\n", i, i }' \
  >"$work/text.out"
say "exec --mask: 20 MB of text, 2 MB of \`a\` against a 64 KiB a...ab secret"
hyperfine -N --style basic --runs 5 --warmup 1 \
  -n "cat 20 MB" "cat $work/text.out" \
  -n "mask 20 MB text" "env TOKCTL_VAULT_KEY=$K3 TOKCTL_VAULT=$V3 $B exec -t plain --mask -- cat $work/text.out" \
  -n "mask 2 MB adversarial" \
  "env TOKCTL_VAULT_KEY=$K3 TOKCTL_VAULT=$V3 $B exec -t adversarial --mask -- cat $work/a.out" \
  --export-markdown "$results/mask.md" --export-json "$results/mask.json" --export-csv "$results/mask.csv"

# ---- 4. create, and peak RSS ---------------------------------------------------------------------
# The first write after a big import compacts the log (over 1 MiB); time it once, on its own.
t0=$(date +%s%N)
env TOKCTL_VAULT="$V2" "$B" -q create first-write >/dev/null
compact_ms=$(((($(date +%s%N) - t0) + 500000) / 1000000))

# Each timed `create n` is preceded (untimed) by `delete n`, so the vault size stays constant.
del() { echo "sh -c 'env $1 $B -q delete n --yes >/dev/null 2>&1; true'"; }
say "create: $CREATE_RUNS runs, 3 warm-up (an untimed delete before each)"
hyperfine -N --style basic --runs "$CREATE_RUNS" --warmup 3 \
  --prepare "$(del "TOKCTL_VAULT=$V2")" -n "create $N-token keyring" "env TOKCTL_VAULT=$V2 $B -q create n" \
  --prepare "$(del "TOKCTL_VAULT_KEY=$K2 TOKCTL_VAULT=$V2")" \
  -n "create $N-token env-key" "env TOKCTL_VAULT_KEY=$K2 TOKCTL_VAULT=$V2 $B -q create n" \
  --prepare "$(del "TOKCTL_VAULT=$V1")" -n "create 1-token keyring" "env TOKCTL_VAULT=$V1 $B -q create n" \
  --export-markdown "$results/create.md" --export-json "$results/create.json" --export-csv "$results/create.csv"

peak_kib() { # the largest "Maximum resident set size" of 5 runs of the command
  local max=0 k
  for _ in 1 2 3 4 5; do
    k=$(/usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }')
    [ "$k" -gt "$max" ] && max=$k
  done
  echo "$max"
}
rss_env=$(peak_kib env TOKCTL_VAULT_KEY="$K2" TOKCTL_VAULT="$V2" "$B" get "$MID")
rss_kr=$(peak_kib env TOKCTL_VAULT="$V2" "$B" get "$MID")
rss_one=$(peak_kib env TOKCTL_VAULT="$V1" "$B" get x)
rm -f "$work/rss.toml" "$work/rss.toml.log"
rss_imp=$(/usr/bin/time -v env TOKCTL_VAULT="$work/rss.toml" "$B" -q import --dotenv "$DOTENV" 2>&1 >/dev/null |
  awk -F': ' '/Maximum resident set size/ { print $2 }')

# ---- 5. summary --------------------------------------------------------------------------------
{
  g="$results/get.csv"
  base=$(median_of "env X=y /bin/true" "$g")
  st=$(median_of "secret-tool lookup" "$g")
  echo "tokctl $rev, $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ), load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end, niceness $(nice)"
  echo "medians of one hyperfine run (-N, $RUNS runs, $WARMUP warm-up); ratios of medians within that run;"
  echo "user+sys is the mean CPU time of the command itself (not of gnome-keyring or dbus-daemon)"
  echo
  table() { # hyperfine CSV: command,mean,stddev,median,user,system,min,max
    awk -F, -v b="$base" -v s="$st" 'NR > 1 { c = $1; gsub(/"/, "", c)
      printf "%-26s %8.2f ms %11.2fx %13.2fx %9.2f ms %9.2f ms\n", c, $4 * 1000, $4 / b, $4 / s, $7 * 1000, ($5 + $6) * 1000 }' "$1"
  }
  printf '%-26s %11s %12s %14s %12s %12s\n' "command" "median" "x env base" "x secret-tool" "min" "user+sys"
  table "$g"
  echo
  echo "create (one hyperfine run, $CREATE_RUNS runs, untimed delete before each):"
  table "$results/create.csv"
  echo "first write after the import (log compaction): ${compact_ms} ms"
  echo
  echo "exec --mask (one hyperfine run, 5 runs):"
  table "$results/mask.csv"
  imp=$(median_of "import --dotenv $N" "$results/import.csv")
  awk -v m="$imp" -v n="$N" 'BEGIN { printf "import --dotenv %d tokens: median %.0f ms of 5 runs\n", n, m * 1000 }'
  echo "peak RSS, get on the $N-token vault: env-key $((rss_env / 1024)) MiB ($rss_env KiB), keyring $((rss_kr / 1024)) MiB ($rss_kr KiB); 1-token keyring $((rss_one / 1024)) MiB; import $((rss_imp / 1024)) MiB"
  echo "vault file $(stat -c %s "$V2") bytes; its log $log_before bytes after the import"
  echo
  echo "goals:"
  gk1=$(median_of "get 1-token keyring" "$g")
  gbe=$(median_of "get $N-token env-key" "$g")
  gbk=$(median_of "get $N-token keyring" "$g")
  cb=$(median_of "create $N-token keyring" "$results/create.csv")
  verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? "PASS" : "MISS" }'; }
  ms() { awk -v a="$1" 'BEGIN { printf "%.1f ms", a * 1000 }'; }
  echo "  $(verdict "$gk1" "$st") get via Secret Service <= secret-tool lookup: $(ms "$gk1") vs $(ms "$st")"
  echo "  $(verdict "$gbe" 0.025) get, $N tokens, env key <= 25 ms: $(ms "$gbe")"
  echo "  $(verdict "$gbk" 0.025) get, $N tokens, keyring <= 25 ms: $(ms "$gbk")"
  echo "  $(verdict "$cb" 0.060) create, $N tokens <= 60 ms: $(ms "$cb")"
  echo "  $(verdict "$imp" 2) import --dotenv $N <= 2 s: $(ms "$imp")"
  madv=$(median_of "mask 2 MB adversarial" "$results/mask.csv")
  echo "  $(verdict "$madv" 1) exec --mask, 2 MB against a 64 KiB a...ab secret <= 1 s: $(ms "$madv")"
  rss_max=$((rss_env > rss_kr ? rss_env : rss_kr))
  echo "  $(verdict "$rss_max" 32768) peak RSS of get, $N tokens <= 32 MiB: $rss_env KiB (env key), $rss_kr KiB (keyring)"
} | tee "$results/summary.txt"
