#!/usr/bin/env bash
# make demo: a real 10-second closed-loop load test (REST and gRPC) against the built-in simulated SCv2.
# Starts scv2-sim on 127.0.0.1 (ephemeral ports) with its scheduler, whose models serve only once
# loaded; runs inferload against it with the SCv2 suite's env vars (setup loads the 20 models
# through the scheduler, teardown unloads them), prints inferload's summary and the server's own
# count, then stops the simulator.
set -euo pipefail
build=${1:-build}
sim_bin="$build/bin/scv2-sim"
inferload_bin="$build/bin/inferload"
for b in "$sim_bin" "$inferload_bin"; do
  [ -x "$b" ] || { echo "demo: $b is missing; run make build" >&2; exit 1; }
done

out=$(mktemp)
"$sim_bin" --http-port 0 --grpc-port 0 --scheduler-port 0 --models registry --load-delay 200ms \
  --latency 200us >"$out" &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do
  grep -q '^scheduler ' "$out" && break
  sleep 0.05
done
address=$(awk '/^http /{print $2; exit}' "$out")
grpc_address=$(awk '/^grpc /{print $2; exit}' "$out")
scheduler_address=$(awk '/^scheduler /{print $2; exit}' "$out")
[ -n "$address" ] && [ -n "$grpc_address" ] && [ -n "$scheduler_address" ] || { echo "demo: scv2-sim did not start" >&2; exit 1; }
echo "demo: scv2-sim serving V2 REST on $address, V2 gRPC on $grpc_address, its scheduler on $scheduler_address"

mkdir -p results
# SCv2's base Job: half the iterations REST, half gRPC.
INFER_HTTP_ENDPOINT="http://$address" INFER_GRPC_ENDPOINT="$grpc_address" SCHEDULER_ENDPOINT="$scheduler_address" \
MODEL_TYPE="tfsimple,iris" MODELNAME_PREFIX="tfsimplea,irisa" MAX_NUM_MODELS="10,10" MODEL_MEMORY_BYTES="400k,3M" WARMUP=false \
INFER_HTTP_ITERATIONS=1 INFER_GRPC_ITERATIONS=1 \
  "$inferload_bin" run infer_constant_vu -u 5 -d 10s --summary-export results/demo.json

echo "demo: scv2-sim answered $(curl -s "http://$address/sim/stats")"
echo "demo: summary export written to results/demo.json"
