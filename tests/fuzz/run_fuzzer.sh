#!/usr/bin/env bash
# Runs a libFuzzer binary for a bounded time, for ctest (`fuzz` label) and `make fuzz`.
#
#   run_fuzzer.sh [--fresh] FUZZER SEED_DIR WORK_DIR SECONDS [libFuzzer flags...]
#
# The fuzzer writes new inputs into WORK_DIR/corpus, never into SEED_DIR, which lives in the
# source tree; --fresh starts that corpus over from the seeds, so a ctest run does not depend on
# what earlier runs found. Crash inputs go to WORK_DIR/artifacts/. An empty FUZZER means the build
# found no clang++ with libFuzzer: the run is reported as skipped (exit 77), never as passed.
set -euo pipefail

fresh=0
if [ "${1:-}" = "--fresh" ]; then
  fresh=1
  shift
fi
if [ $# -lt 4 ]; then
  echo "usage: $0 [--fresh] FUZZER SEED_DIR WORK_DIR SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
fuzzer=$1 seeds=$2 work=$3 seconds=$4
shift 4

if [ -z "$fuzzer" ]; then
  echo "skipped: no clang++ with libFuzzer at configure time (tools/install-deps.sh installs it)"
  exit 77
fi
if [ ! -x "$fuzzer" ]; then
  echo "$fuzzer: not built" >&2
  exit 1
fi

if [ "$fresh" -eq 1 ]; then rm -rf "$work/corpus"; fi
mkdir -p "$work/corpus" "$work/artifacts"
cp -R "$seeds/." "$work/corpus/"

# libFuzzer's own default error exit code is 77, which ctest would take for "skipped".
status=0
"$fuzzer" -max_total_time="$seconds" -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzzing failed (exit $status); inputs in $work/artifacts/:" >&2
  ls -l "$work/artifacts/" >&2
  exit 1
fi
echo "no crash in ${seconds} s; corpus: $(find "$work/corpus" -type f | wc -l) inputs in $work/corpus"
