#!/usr/bin/env bash
# build.sh IMAGE: builds the top-level Dockerfile as IMAGE with the first OCI builder found:
# docker (when its daemon answers), podman, buildah; INFERLOAD_IMAGE_BUILDER names one instead.
# BASE_IMAGE and BUILD_IMAGE, when set, become the Dockerfile's build args.
set -euo pipefail
cd "$(dirname "$0")/../.."
image=${1:?usage: build.sh IMAGE}

builder=${INFERLOAD_IMAGE_BUILDER:-}
if [ -z "$builder" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then builder=docker
  elif command -v podman >/dev/null 2>&1; then builder=podman
  elif command -v buildah >/dev/null 2>&1; then builder=buildah
  else
    echo "image: no OCI builder: install docker, podman or buildah (tools/install-deps.sh installs podman and buildah)" >&2
    exit 1
  fi
fi

args=()
[ -n "${BASE_IMAGE:-}" ] && args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
[ -n "${BUILD_IMAGE:-}" ] && args+=(--build-arg "BUILD_IMAGE=$BUILD_IMAGE")
case $builder in
  buildah) cmd=(buildah bud) ;;
  docker | podman) cmd=("$builder" build) ;;
  *) echo "image: INFERLOAD_IMAGE_BUILDER=\"$builder\": not docker, podman or buildah" >&2; exit 1 ;;
esac
echo "image: ${cmd[*]} -t $image ${args[*]} ."
"${cmd[@]}" -t "$image" "${args[@]}" .
