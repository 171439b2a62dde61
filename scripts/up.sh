#!/usr/bin/env bash
# Builds kctl, starts kctld with its embedded SQLite store, applies the seed scenarios from
# Manifests/, waits (with progress) until their replicas run as processes, and shows them; then
# keeps kctld running in the foreground (Ctrl-C stops it and every process it started). Data lives in ${KCTL_DATA_DIR:-.kctl-data}; the API listens on
# ${KCTL_LISTEN:-127.0.0.1:6440}.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "==> building (swift build -c release)"
swift build -c release
bin="$(swift build -c release --show-bin-path)"
data="${KCTL_DATA_DIR:-$PWD/.kctl-data}"
listen="${KCTL_LISTEN:-127.0.0.1:6440}"
export KCTL_CONFIG="$data/kubeconfig"
mkdir -p "$data"
echo "==> starting kctld --data-dir $data --listen $listen"
"$bin/kctld" --data-dir "$data" --listen "$listen" --kubeconfig "$KCTL_CONFIG" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
export KCTL_SERVER="http://$listen"
for _ in $(seq 1 100); do
  "$bin/kctl" get namespaces >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { echo "kctld exited"; exit 1; }
  sleep 0.1
done
echo "==> kctl apply -f Manifests/nodes.yaml -f Manifests/chat/ -f Manifests/edupro/"
"$bin/kctl" apply -f Manifests/nodes.yaml -f Manifests/chat/ -f Manifests/edupro/
echo "==> waiting for the replicas to run and be ready"
for i in $(seq 1 120); do
  pods=$("$bin/kctl" get pods --no-headers 2>/dev/null || true)
  total=$(printf '%s' "$pods" | grep -c . || true)
  ready=$(printf '%s\n' "$pods" | awk '{split($2, r, "/"); if (r[1] == r[2] && $3 == "Running") n++} END {print n+0}')
  echo "    ${ready}/${total} pods ready"
  [ "$total" -gt 0 ] && [ "$ready" -eq "$total" ] && break
  sleep 1
done
echo "==> kctl get deploy,svc,ing,secret,cm,hpa"
"$bin/kctl" get deploy,svc,ing,secret,cm,hpa
echo "==> kctl get nodes"
"$bin/kctl" get nodes
echo "==> kctl get pods -o wide"
"$bin/kctl" get pods -o wide
echo "==> the processes (ps)"
ps -o pid,pgid,args --ppid $pid || true
echo
echo "kctld is running at $KCTL_SERVER (kubeconfig $KCTL_CONFIG). Try, in another shell:"
echo "  export KCTL_CONFIG=$KCTL_CONFIG; $bin/kctl get all"
echo "Ctrl-C stops kctld."
wait $pid
