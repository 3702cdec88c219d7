# shellcheck shell=bash
# What the demo scripts share: the servers they start are stopped on exit,
# steps are headed, and each waits for a server to print its address. The
# caller sets WORK and sources this file.

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# wait_for FILE PATTERN: the servers print their address once they serve.
wait_for() {
  for _ in $(seq 1 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2; cat "$1" >&2; exit 1
}
