#!/usr/bin/env bash
# The container's entrypoint: what SCv2's k6wrapper.sh does around k6, around inferload instead.
#   inferload-entrypoint run [inferload run's flags and scenario]    (the image's ENTRYPOINT adds `run`)
# It runs `inferload "$@"`, has it write the run's metadata file (results/metadata.txt unless
# INFERLOAD_METADATA or --metadata names another), appends the pod's labels to that file, runs
# RESULTS_UPLOAD_COMMAND when it is set, and exits with inferload's own exit code: an upload that
# fails is reported on stderr, never in place of the test's result (the wrapper's status was that
# of its last command, so a failed test could look like a completed Job).
#
# Environment:
#   INFERLOAD               the binary (default: inferload on PATH)
#   INFERLOAD_METADATA      the metadata file (default results/metadata.txt)
#   PODINFO_LABELS          the downward API's labels file (default /info/labels): its labels are
#                           the file's last line, `labels:`, and its controller-uid is JOB_ID
#   INFERLOAD_EXIT_FILE     when set, inferload's exit code is written there once it has exited
#                           (the distributed Job's merge waits for every segment's)
#   RESULTS_DIR             what the upload command uploads (default results)
#   RESULTS_UPLOAD_COMMAND  run by `sh -c` after inferload, with RESULTS_DIR, JOB_ID and
#                           RESULTS_RUN_NAME (TEST_METADATA_JOBID_DATE_UUID, the wrapper's folder
#                           name) exported, e.g. gsutil -m cp -r "$RESULTS_DIR" "$GS_BUCKET_NAME/$RESULTS_RUN_NAME"
set -u

inferload=${INFERLOAD:-inferload}
labels_file=${PODINFO_LABELS:-/info/labels}
export RESULTS_DIR=${RESULTS_DIR:-results}
export INFERLOAD_METADATA=${INFERLOAD_METADATA:-results/metadata.txt}

say() { echo "inferload-entrypoint: $*" >&2; }

# --metadata on the command line wins over INFERLOAD_METADATA, in inferload as here.
metadata=$INFERLOAD_METADATA
previous=
for arg in "$@"; do
  case $arg in
    --metadata=*) metadata=${arg#--metadata=} ;;
  esac
  [ "$previous" = --metadata ] && metadata=$arg
  previous=$arg
done

labels=
if [ -r "$labels_file" ]; then
  labels=$(tr '\n' ' ' <"$labels_file")
  labels=${labels% }
fi
# Kubernetes 1.27 and later name the label batch.kubernetes.io/controller-uid, earlier ones controller-uid.
JOB_ID=$(sed -n 's/^\(batch\.kubernetes\.io\/\)\{0,1\}controller-uid="\(.*\)"$/\2/p' "$labels_file" 2>/dev/null | head -n 1)
uuid=$(cat /proc/sys/kernel/random/uuid 2>/dev/null || echo "$$")
export JOB_ID
export RESULTS_RUN_NAME="${TEST_METADATA:-}_${JOB_ID}_$(date +%Y_%m_%d_%H_%M_%S)_${uuid}"

# inferload runs as a child so that this script is still here for the labels and the upload
# afterwards; as PID 1 of a container it must pass on the SIGTERM Kubernetes sends to stop the pod
# (inferload then writes its results and exits 105).
child=
got_signal=
early_signal=
forward() {
  got_signal=1
  if [ -n "$child" ]; then kill -s "$1" "$child" 2>/dev/null; else early_signal=$1; fi
}
trap 'forward TERM' TERM
trap 'forward INT' INT
"$inferload" "$@" &
child=$!
[ -n "$early_signal" ] && kill -s "$early_signal" "$child" 2>/dev/null
# A trapped signal makes wait return at once with 128 + its number: wait again until inferload
# itself has exited. When the signal came just after inferload's exit was collected, the next
# wait finds no child (127) and the status already collected is inferload's.
code=
while :; do
  got_signal=
  wait "$child"
  status=$?
  if [ "$status" -eq 127 ] && [ -n "$code" ]; then break; fi
  code=$status
  if [ -z "$got_signal" ] || [ "$status" -le 128 ]; then break; fi
done
trap - TERM INT

# Only `inferload run` writes the metadata file: a merge leaves an earlier run's file alone.
if [ "${1:-}" = run ] && [ -f "$metadata" ]; then
  # The header names the backend too, but not with --quiet: the log says it whatever the flags.
  backend=$(sed -n 's/^io_backend://p' "$metadata")
  [ -n "$backend" ] && say "I/O backend: $backend"
  if [ -n "$labels" ]; then
    printf 'labels:%s\n' "$labels" >>"$metadata" || say "cannot append the pod's labels to $metadata"
  fi
fi

if [ -n "${INFERLOAD_EXIT_FILE:-}" ]; then
  echo "$code" >"$INFERLOAD_EXIT_FILE" || say "cannot write INFERLOAD_EXIT_FILE $INFERLOAD_EXIT_FILE"
fi

if [ -n "${RESULTS_UPLOAD_COMMAND:-}" ]; then
  if [ ! -d "$RESULTS_DIR" ]; then
    say "no $RESULTS_DIR directory to upload"
  else
    # The command itself is not echoed: it may carry a credential.
    say "uploading $RESULTS_DIR with RESULTS_UPLOAD_COMMAND"
    sh -c "$RESULTS_UPLOAD_COMMAND"
    upload=$?
    if [ "$upload" -ne 0 ]; then
      say "RESULTS_UPLOAD_COMMAND failed with exit code $upload; the results stay in $RESULTS_DIR; exiting with inferload's exit code $code"
    fi
  fi
fi
exit "$code"
