#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 300) on stable Rust. Findings land in
# fuzz/artifacts/<target>/; add each to the corpus and a regression test before fixing.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-300}"
# The manifest is kept as Cargo.toml.in so the repository holds one package (see that file).
cp Cargo.toml.in Cargo.toml
export RUSTC_BOOTSTRAP=1   # cargo-fuzz passes -Z flags; stable rustc accepts them with this
for t in envelope dotenv project duration; do
  echo "== $t for ${secs}s"
  log="${TMPDIR:-/tmp}/tokctl-fuzz-$t.log"
  if ! cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 >"$log" 2>&1; then
    echo "fuzz target $t failed; see $log and fuzz/artifacts/$t/"; tail -n 40 "$log"; exit 1
  fi
  grep -E '^Done' "$log"
done
