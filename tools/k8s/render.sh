#!/usr/bin/env bash
# render.sh OVERLAY: prints configs/k8s/overlays/OVERLAY with its placeholders filled in, ready
# for `kubectl apply -f -`: what SCv2's Makefile does with kubectl describe, kustomize and envsubst.
#   SCHEDULER_ENDPOINT        the scheduler's host (default seldon-scheduler, SCv2's Service)
#   ENVOY_ENDPOINT            envoy's host (default seldon-mesh, SCv2's Service)
#   RPROXY_TRITON_ENDPOINT    default: the IP of pod triton-0     } looked up with kubectl only
#   RPROXY_MLSERVER_ENDPOINT  default: the IP of pod mlserver-0   } when the overlay uses them
#   PIPELINE_ENDPOINT         default: the IP of the first seldon-pipelinegateway pod
#   START_AT                  distributed: when the load starts (default: 5 minutes from now, UTC)
#   NAMESPACE, IMAGE          another namespace than seldon-mesh, another image than inferload:latest
# Needs kubectl (its kustomize) and envsubst.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
overlay=${1:?usage: render.sh OVERLAY (a directory under configs/k8s/overlays)}
dir=$here/configs/k8s/overlays/$overlay
[ -f "$dir/kustomization.yaml" ] || { echo "render.sh: no overlay \"$overlay\" in configs/k8s/overlays" >&2; exit 2; }

# NAMESPACE and IMAGE go through a kustomization of our own on top of the overlay.
if [ -n "${NAMESPACE:-}" ] || [ -n "${IMAGE:-}" ]; then
  top=$(mktemp -d)
  trap 'rm -rf "$top"' EXIT
  {
    # kustomize takes no absolute path to a base.
    echo "bases:"
    echo "- $(realpath --relative-to="$top" "$dir")"
    [ -n "${NAMESPACE:-}" ] && echo "namespace: $NAMESPACE"
    if [ -n "${IMAGE:-}" ]; then
      # A tag is a last ':' after the last '/' (a registry's port is not one).
      name=$IMAGE tag=latest
      case ${IMAGE##*/} in *:*) name=${IMAGE%:*} tag=${IMAGE##*:} ;; esac
      printf 'images:\n- name: inferload\n  newName: %s\n  newTag: "%s"\n' "$name" "$tag"
    fi
  } >"$top/kustomization.yaml"
  dir=$top
fi
rendered=$(kubectl kustomize "$dir" 2>/dev/null) || kubectl kustomize "$dir" >/dev/null
namespace=$(printf '%s\n' "$rendered" | sed -n 's/^  namespace: //p' | head -n 1)

pod_ip() {
  local ip
  ip=$(kubectl get pods -n "$namespace" -o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP}{"\n"}{end}' 2>/dev/null |
       awk -v p="$1" 'index($1, p) == 1 && NF == 2 { print $2; exit }')
  [ -n "$ip" ] || { echo "render.sh: no pod named $1* with an IP in namespace $namespace; set $2" >&2; exit 1; }
  echo "$ip"
}
uses() { printf '%s' "$rendered" | grep -q "\${$1}"; }

export SCHEDULER_ENDPOINT=${SCHEDULER_ENDPOINT:-seldon-scheduler}
export ENVOY_ENDPOINT=${ENVOY_ENDPOINT:-seldon-mesh}
if uses RPROXY_TRITON_ENDPOINT && [ -z "${RPROXY_TRITON_ENDPOINT:-}" ]; then
  RPROXY_TRITON_ENDPOINT=$(pod_ip triton-0 RPROXY_TRITON_ENDPOINT)
fi
if uses RPROXY_MLSERVER_ENDPOINT && [ -z "${RPROXY_MLSERVER_ENDPOINT:-}" ]; then
  RPROXY_MLSERVER_ENDPOINT=$(pod_ip mlserver-0 RPROXY_MLSERVER_ENDPOINT)
fi
if uses PIPELINE_ENDPOINT && [ -z "${PIPELINE_ENDPOINT:-}" ]; then
  PIPELINE_ENDPOINT=$(pod_ip seldon-pipelinegateway PIPELINE_ENDPOINT)
fi
export RPROXY_TRITON_ENDPOINT=${RPROXY_TRITON_ENDPOINT:-} RPROXY_MLSERVER_ENDPOINT=${RPROXY_MLSERVER_ENDPOINT:-}
export PIPELINE_ENDPOINT=${PIPELINE_ENDPOINT:-}
export START_AT=${START_AT:-$(date -u -d '+5 minutes' +%Y-%m-%dT%H:%M:%SZ)}

# Only these: the manifests' $(VAR) references are Kubernetes' own, expanded in the pod.
printf '%s\n' "$rendered" | envsubst '${SCHEDULER_ENDPOINT} ${ENVOY_ENDPOINT} ${RPROXY_TRITON_ENDPOINT} ${RPROXY_MLSERVER_ENDPOINT} ${PIPELINE_ENDPOINT} ${START_AT}'
