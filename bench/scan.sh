#!/usr/bin/env bash
# `scan` and `redact` against the tools a user would otherwise reach for (BENCHMARKS.md, "Finding
# your own secrets"). Three hyperfine runs, each comparing commands inside one run:
#   1. tokctl scan DIR          vs  rg --fixed-strings --file SECRETS DIR   (100 secrets)
#   2. tokctl scan --git        vs  git log -p --all | rg -F -f SECRETS     (a history of COMMITS)
#   3. cat BIG | tokctl redact  vs  cat BIG | cat                           (a 1 GiB stream)
# Usage: bench/scan.sh [DIR]   (default: the cargo registry's sources, ~/.cargo/registry/src)
# Env: RUNS (default 10), COMMITS (default 3000), OUT (default target/bench-scan).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
tree="${1:-$(echo ~/.cargo/registry/src)}"
runs="${RUNS:-10}"
commits="${COMMITS:-3000}"
out="${OUT:-$root/target/bench-scan}"
for tool in hyperfine rg git python3; do
  command -v "$tool" >/dev/null || { echo "scan.sh: $tool is missing (apt-get install hyperfine ripgrep git)" >&2; exit 1; }
done
cargo build --release --locked --quiet --manifest-path "$root/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$root/target}/release/tokctl"
rm -rf "$out" && mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A vault in env-key mode (no keyring in the timing) with 100 random 40-character secrets; the
# same secrets, one a line, for ripgrep.
export TOKCTL_KEYRING=none TOKCTL_VAULT="$work/vault"
TOKCTL_VAULT_KEY="tokctl-key-v1-$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
export TOKCTL_VAULT_KEY
python3 - "$work/secrets" <<'EOF'
import secrets, string, sys
alphabet = string.ascii_letters + string.digits
with open(sys.argv[1], "w") as f:
    for _ in range(100):
        f.write("sk_" + "".join(secrets.choice(alphabet) for _ in range(37)) + "\n")
EOF
i=0
while read -r s; do
  printf '%s' "$s" | "$bin" -q import "bench-$i"
  i=$((i + 1))
done < "$work/secrets"
echo "scan.sh: $("$bin" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') secrets in the vault"

{
  echo "tokctl $(git -C "$root" describe --always --dirty), $(date -u +%FT%TZ)"
  echo "nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo)"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "tree: $tree, $(du -sh "$tree" | cut -f1), $(find "$tree" -type f | wc -l) files"
} | tee "$out/machine.txt"

# 1. A directory tree. rg exits 1 when it finds nothing: -i lets hyperfine accept that. `rg -a`
# also searches binary files, as tokctl does; plain `rg` is the issue's baseline.
hyperfine -N -i --warmup 2 --runs "$runs" --export-markdown "$out/tree.md" --export-json "$out/tree.json" \
  -n "rg -F -f SECRETS" "rg --fixed-strings --file $work/secrets $tree" \
  -n "rg -a -F -f SECRETS" "rg -a --fixed-strings --file $work/secrets $tree" \
  -n "tokctl scan" "$bin -q scan $tree"

# 2. A history of $commits commits over 200 files, each commit changing one file.
repo="$work/repo"
git init -q "$repo"
python3 - "$commits" <<'EOF' | git -C "$repo" fast-import --quiet
import random, sys
n = int(sys.argv[1]); r = random.Random(7)
words = "alpha beta gamma delta epsilon token secret vault config value server client".split()
files = {}
for c in range(1, n + 1):
    name = "src/f%03d.txt" % r.randrange(200)
    lines = files.get(name, [])
    lines = lines[-400:] + [" ".join(r.choice(words) for _ in range(12)) for _ in range(r.randrange(5, 40))]
    files[name] = lines
    data = ("\n".join(lines) + "\n").encode()
    msg = b"commit %d\n" % c
    sys.stdout.buffer.write(b"commit refs/heads/main\ncommitter B <b@b> %d +0000\ndata %d\n%s" % (1700000000 + c, len(msg), msg))
    sys.stdout.buffer.write(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(data), data))
EOF
git -C "$repo" gc -q
echo "repo: $(git -C "$repo" rev-list --count --all) commits, $(git -C "$repo" rev-list --objects --all | wc -l) objects, $(du -sh "$repo/.git" | cut -f1)" | tee -a "$out/machine.txt"
cd "$repo"
hyperfine -i --warmup 1 --runs "$runs" --export-markdown "$out/git.md" --export-json "$out/git.json" \
  -n "git log -p | rg -F -f SECRETS" "git log -p --all | rg -F -f $work/secrets" \
  -n "tokctl scan --git" "$bin -q scan --git"
cd - >/dev/null

# 3. A 1 GiB stream of source text (the tree's .rs files, repeated), through a pipe.
big="$work/big"
find "$tree" -name '*.rs' -size -200k -print0 | xargs -0 cat > "$work/part"
: > "$big"
while [ "$(stat -c %s "$big")" -lt 1073741824 ]; do cat "$work/part" >> "$big"; done
truncate -s 1073741824 "$big"
echo "stream: $(stat -c %s "$big") bytes" | tee -a "$out/machine.txt"
hyperfine --warmup 1 --runs "$runs" --export-markdown "$out/redact.md" --export-json "$out/redact.json" \
  -n "cat | cat" "cat $big | cat > /dev/null" \
  -n "cat | tokctl redact" "cat $big | $bin -q redact > /dev/null"
python3 - "$out" "$(stat -c %s "$big")" <<'EOF'
import json, sys
out, size = sys.argv[1], int(sys.argv[2])
def means(name):
    return {r["command"]: (r["mean"], r["median"]) for r in json.load(open(f"{out}/{name}.json"))["results"]}
t = means("tree"); g = means("git"); r = means("redact")
lines = [
    "tree: tokctl scan / rg -F -f SECRETS = %.2fx (median), / rg -a = %.2fx" % (t["tokctl scan"][1] / t["rg -F -f SECRETS"][1], t["tokctl scan"][1] / t["rg -a -F -f SECRETS"][1]),
    "git: tokctl scan --git / git log -p | rg = %.2fx (median)" % (g["tokctl scan --git"][1] / g["git log -p | rg -F -f SECRETS"][1]),
    "redact: %.0f MB/s (median), cat | cat %.0f MB/s" % (size / r["cat | tokctl redact"][1] / 1e6, size / r["cat | cat"][1] / 1e6),
]
open(f"{out}/summary.txt", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
