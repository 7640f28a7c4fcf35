# Shared by bench.sh and peers.sh (sourced, not run): build tokctl in release once, then re-run
# the calling script inside a private D-Bus session with a throw-away gnome-keyring
# (.ci/with-keyring gives the daemon its own data directory, so real keyrings are never opened).
#
#   source "$here/common.sh"; bench_enter LABEL SCRIPT "$@"; bench_require LABEL
bench_enter() {
  local label=$1 script=$2
  shift 2
  if [ -z "${TOKCTL_BENCH_BUILT:-}" ]; then
    # What is measured: the working tree at build time.
    TOKCTL_BENCH_REV="$(git describe --always --dirty 2>/dev/null || echo unknown)"
    export TOKCTL_BENCH_REV
    echo "$label: cargo build --release (target dir: ${CARGO_TARGET_DIR:-$root/target})" >&2
    cargo build --release --locked --quiet
    export TOKCTL_BENCH_BUILT=1
  fi
  if [ -z "${TOKCTL_IN_KEYRING_SESSION:-}" ]; then
    # Run the session (daemons included) ahead of other work on a shared host when allowed
    # (root): it cuts the preemption noise, equally for every command. BENCH_NICE=0 turns it off.
    local nice_cmd=()
    if [ "${BENCH_NICE:--10}" != 0 ] && nice -n "${BENCH_NICE:--10}" true 2>/dev/null; then
      nice_cmd=(nice -n "${BENCH_NICE:--10}")
    fi
    export TOKCTL_BENCH_NICE="${nice_cmd[*]:-none}"
    exec "${nice_cmd[@]}" "$root/.ci/with-keyring" "$script" "$@"
  fi
}

# Inside the session: stop with one line when a tool both scripts measure with is missing.
bench_require() {
  local label=$1 tool
  for tool in hyperfine secret-tool awk; do
    command -v "$tool" >/dev/null || { echo "$label: $tool is missing (apt-get install hyperfine libsecret-tools)" >&2; exit 1; }
  done
}
