# Shared by scripts/demo-*: builds kctl, starts a private kctld (its own data directory, free API
# and ingress ports, three simulated nodes, 1s restart back-off), stops it and removes its files on
# exit, and offers small helpers for the scenario checks. Sourced, not run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
fail() {
  printf '\nFAILED: %s\n' "$*" >&2
  exit 1
}

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 10000))
    ss -ltnH "sport = :$port" 2>/dev/null | grep -q . || {
      echo "$port"
      return
    }
  done
}

# KCTL_DEMO_SKIP_BUILD=1 reuses the release binaries already built; KCTL_DEMO_BIN=DIR uses the
# binaries in DIR (e.g. .build/debug).
demo_build() {
  if [ -n "${KCTL_DEMO_BIN:-}" ]; then
    bin="$KCTL_DEMO_BIN"
    [ -x "$bin/kctld" ] || fail "no kctld in KCTL_DEMO_BIN=$bin"
    return
  fi
  if [ -n "${KCTL_DEMO_SKIP_BUILD:-}" ]; then
    bin="$(swift build -c release --show-bin-path)"
    [ -x "$bin/kctld" ] || fail "no release build in $bin (unset KCTL_DEMO_SKIP_BUILD)"
    return
  fi
  scripts/setup.sh
  step "building (swift build -c release)"
  local log
  log=$(swift build -c release 2>&1) || {
    printf '%s\n' "$log" | grep -E "error:" | head -20 >&2
    fail "swift build -c release failed"
  }
  printf '%s\n' "$log" | tail -1
  bin="$(swift build -c release --show-bin-path)"
}

# Starts kctld in the background (with $DEMO_KCTLD_FLAGS added, if set); sets kctld_pid, data, api, ingress and KCTL_SERVER/KCTL_CONFIG.
demo_start() {
  data="$(mktemp -d "${TMPDIR:-/tmp}/kctl-demo.XXXXXX")"
  api="127.0.0.1:$(free_port)"
  ingress="127.0.0.1:$(free_port)"
  export KCTL_CONFIG="$data/kubeconfig" KCTL_SERVER="http://$api"
  step "starting kctld (data $data, API $api, ingress $ingress, 3 nodes)"
  "$bin/kctld" --data-dir "$data/store" --listen "$api" --ingress-listen "$ingress" --kubeconfig "$KCTL_CONFIG" \
    --nodes 3 --backoff-base 1s ${DEMO_KCTLD_FLAGS:-} >"$data/kctld.log" 2>&1 &
  kctld_pid=$!
  trap demo_stop EXIT
  trap 'exit 130' INT TERM
  local i
  for i in $(seq 1 100); do
    "$bin/kctl" get namespaces >/dev/null 2>&1 && return 0
    kill -0 "$kctld_pid" 2>/dev/null || {
      tail -20 "$data/kctld.log" >&2
      fail "kctld exited during start-up"
    }
    sleep 0.1
  done
  fail "kctld did not answer on $api within 10s (log: $data/kctld.log)"
}

demo_stop() {
  local code=$?
  trap - EXIT
  if [ -n "${kctld_pid:-}" ] && kill -0 "$kctld_pid" 2>/dev/null; then
    step "stopping kctld (SIGTERM)"
    kill -TERM "$kctld_pid" 2>/dev/null || true
    wait "$kctld_pid" 2>/dev/null || true
  fi
  if [ "$code" -ne 0 ] && [ -f "${data:-}/kctld.log" ]; then
    echo "--- last lines of kctld's log ---" >&2
    tail -15 "$data/kctld.log" >&2
  fi
  [ -n "${data:-}" ] && rm -rf "$data"
  exit "$code"
}

kctl() { "$bin/kctl" "$@"; }

# Waits (printing progress) until every pod in the namespace is Running with all containers ready.
wait_ready() {
  local want=$1 pods total ready i
  step "waiting for $want pods to run and be ready"
  for i in $(seq 1 90); do
    pods=$(kctl get pods --no-headers 2>/dev/null || true)
    total=$(printf '%s' "$pods" | grep -c . || true)
    ready=$(printf '%s\n' "$pods" | awk '{split($2, r, "/"); if (r[1] == r[2] && $3 == "Running") n++} END {print n+0}')
    info "${ready}/${total} pods ready"
    [ "$total" -ge "$want" ] && [ "$ready" -eq "$total" ] && return 0
    sleep 1
  done
  kctl get pods -o wide >&2 || true
  fail "pods not ready after 90s"
}

# The IPs of the Running pods whose names start with $1, one a line.
pod_ips() {
  kctl get pods -o wide --no-headers | awk -v p="$1-" 'index($1, p) == 1 && $3 == "Running" {print $(NF - 1)}'
}

# A request printed with its answer: http METHOD URL [BODY [HEADER]]; sets status and body.
http() {
  local method=$1 url=$2 data=${3:-} header=${4:-} out
  local args=(-sS -m 10 -X "$method" -w '\n%{http_code}')
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' -d "$data")
  [ -n "$header" ] && args+=(-H "$header")
  out=$(curl "${args[@]}" "$url" 2>&1) || true
  status=${out##*$'\n'}
  body=${out%$'\n'*}
  printf '    %s %s%s%s\n' "$method" "$url" "${data:+ $data}" "${header:+ ($(cut -c1-40 <<<"$header")...)}"
  printf '    -> %s %s\n' "$status" "$(printf '%s' "$body" | tr '\n' ' ' | cut -c1-160)"
}

# Fails unless the last http answer had status $1.
expect_status() {
  [ "$status" = "$1" ] || fail "expected HTTP $1, got $status"
}
