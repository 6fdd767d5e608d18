#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and benchmarking inferload needs.
# Idempotent: when everything is present it changes nothing and does not touch the network.
#   tools/install-deps.sh           everything
#   tools/install-deps.sh --build   only what compiling inferload and scv2-sim needs (the image's build stage)
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config
  liburing-dev libnghttp2-dev libboost1.81-dev libssl-dev libcli11-dev libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc zlib1g-dev librdkafka-dev
)
packages=(
  "${build_packages[@]}" git
  # unit tests and micro benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev libsimdjson-dev
  # fuzzing: libFuzzer and the sanitizer runtimes are only a recommended package of clang
  clang libclang-rt-14-dev
  # tests and benchmarks: real peers and the tools that drive them
  python3 curl procps util-linux nginx wrk nghttp2-client nghttp2-server valgrind linux-perf prometheus
  # a Kafka client independent of inferload, against scv2-sim's mock cluster
  kcat
  # renders the HTML report in the tests (headless, offline)
  chromium
  # --out influxdb's integration test: influxd 1.x, started by the test with a config of its own
  influxdb
  # make image-test: builds the image from a base made with debootstrap and runs it (crun cannot
  # run on hybrid cgroup hosts, runc can)
  buildah podman runc debootstrap
)
case "${1:-}" in
  --build) packages=("${build_packages[@]}") ;;
  "") # The Kubernetes manifests' test renders them with kubectl's kustomize; apt's kubectl
      # (kubernetes-client) conflicts with a kubectl installed from Kubernetes' own packages.
      command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client) ;;
  *) echo "install-deps: unknown argument \"$1\" (only --build)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-deps: missing packages (${missing[*]}) and not root; run as root" >&2
    exit 1
  fi
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
