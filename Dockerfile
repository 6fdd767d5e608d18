# inferload's container image: inferload and scv2-sim, their shared libraries, and the entrypoint
# that runs a test the way SCv2's Job runs k6wrapper.sh (docs/kubernetes.md).
#   make image                  (docker, podman or buildah, whichever the machine has)
#   docker build -t inferload .  --build-arg BASE_IMAGE=... --build-arg BUILD_IMAGE=... for other bases
# Both bases must be Debian 12: the runtime stage installs the build's shared libraries by the
# names of the Debian packages that hold them in the build stage.
ARG BUILD_IMAGE=debian:bookworm
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY tools/install-deps.sh tools/install-deps.sh
RUN tools/install-deps.sh --build && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt ./
COPY proto proto
COPY include include
COPY src src
COPY tools/scv2-sim tools/scv2-sim
# Only the two programs: no tests, no benchmarks.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DINFERLOAD_BUILD_TESTS=OFF -DINFERLOAD_BUILD_BENCH=OFF \
 && cmake --build build -j "$(nproc)" --target inferload scv2-sim \
 && mkdir -p /out/bin \
 && strip -o /out/bin/inferload build/bin/inferload \
 && strip -o /out/bin/scv2-sim build/bin/scv2-sim
# The Debian packages that hold the libraries the two programs load: the runtime stage installs
# exactly these (and what they depend on), nothing of the toolchain.
RUN for b in /out/bin/*; do ldd "$b"; done \
    | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u \
    | while read -r lib; do dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib"; done \
    | cut -d: -f1 | sort -u > /out/runtime-packages \
 && test -s /out/runtime-packages && cat /out/runtime-packages

FROM ${BASE_IMAGE}
COPY --from=build /out/runtime-packages /usr/local/share/inferload/runtime-packages
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive xargs apt-get install -y -q --no-install-recommends \
      < /usr/local/share/inferload/runtime-packages \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
 && useradd --uid 10001 --user-group --create-home --home-dir /home/inferload inferload \
 && mkdir /home/inferload/results && chown inferload:inferload /home/inferload/results
COPY --from=build /out/bin/inferload /out/bin/scv2-sim /usr/local/bin/
COPY tools/image/entrypoint.sh /usr/local/bin/inferload-entrypoint
# A numeric user, so that Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001
WORKDIR /home/inferload
# The Job mounts its results volume on results/: the args' relative paths (results/base.json) land in it.
ENTRYPOINT ["/usr/local/bin/inferload-entrypoint", "run"]
CMD ["-u", "5", "scenarios/infer_constant_vu.js"]
