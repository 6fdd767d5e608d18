# Thin wrapper over tools/install-deps.sh, CMake and CTest. Everything real lives in CMake.
BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?=
BENCH_ARGS ?=
FUZZ_SECONDS ?= 300
ASAN_DIR ?= build-asan

.PHONY: all deps configure build test asan-test image image-test demo bench bench-grpc bench-rate bench-outputs bench-kafka fuzz clean

all: build

deps:
	@./tools/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The hostile-peer (HTTP/1.1 and HTTP/2 gRPC), resource-limit, setup/teardown, TLS and Kafka tests once more, against inferload built with AddressSanitizer
# and UBSan (the peers stay the release build's): the paths where a crash would hide. UBSan's vptr
# check probes memory through a pipe, which fails once the process is out of descriptors, and then
# reports valid objects as broken: it is left out.
asan-test: build
	@cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINFERLOAD_BUILD_BENCH=OFF \
	  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
	@cmake --build $(ASAN_DIR) -j $(JOBS) --target inferload
	@for io in uring epoll; do for t in limits hostile grpc_hostile scv2_setup tls kafka; do \
	  echo "== $$t ($$io, sanitized)"; \
	  INFERLOAD=$(ASAN_DIR)/bin/inferload SCV2_SIM=$(BUILD_DIR)/bin/scv2-sim INFERLOAD_IO=$$io INFERLOAD_SANITIZED=1 \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 python3 tests/integration/$${t}_test.py; rc=$$?; \
	  if [ $$rc -eq 77 ]; then echo "skipped: io_uring is refused here"; elif [ $$rc -ne 0 ]; then exit $$rc; fi; \
	done; done; echo "asan-test: passed"

# The container image (Dockerfile) with docker, podman or buildah, whichever the machine has;
# BASE_IMAGE and BUILD_IMAGE override the Dockerfile's Debian bases (tools/image/debian-base.sh
# makes one where no registry is reachable).
IMAGE ?= inferload:latest
image:
	@BASE_IMAGE=$(BASE_IMAGE) BUILD_IMAGE=$(BUILD_IMAGE) ./tools/image/build.sh $(IMAGE)

# Builds the image with podman from a base made here with debootstrap and runs it against
# scv2-sim: epoll under podman's default seccomp profile, io_uring without it, SIGTERM's 105.
image-test: build
	@python3 tests/image/image_test.py --build $(BUILD_DIR)

demo: build
	@./tools/demo.sh $(BUILD_DIR)

bench: build
	@python3 bench/e2e/http1_vs_wrk.py --build $(BUILD_DIR) $(BENCH_ARGS)

# gRPC: inferload against h2load and a grpc++ client on scv2-sim (GRPC_BENCH_ARGS), then
# inferload with 100,000 gRPC VUs: RSS per VU and time to every VU's first request (GRPC_SCALE_ARGS).
GRPC_BENCH_ARGS ?=
# --sim-max-streams 1024: the simulator advertises MAX_CONCURRENT_STREAMS, without which inferload
# hangs past 256 streams on a connection (see bench/e2e/grpc_scale.py).
GRPC_SCALE_ARGS ?= --sim-max-streams 1024
bench-grpc: build
	@python3 bench/e2e/grpc_vs_h2load.py --build $(BUILD_DIR) $(GRPC_BENCH_ARGS)
	@python3 bench/e2e/grpc_scale.py --build $(BUILD_DIR) $(GRPC_SCALE_ARGS)

# Open-loop pacing: the constant-arrival-rate executor at 10k, 50k and 100k req/s against nginx,
# with and without --precise-timing: achieved rate, dropped iterations, schedule lateness, CPU.
RATE_BENCH_ARGS ?=
bench-rate: build
	@python3 bench/e2e/arrival_rate_lateness.py --build $(BUILD_DIR) $(RATE_BENCH_ARGS)

# What --out csv/json cost at 50k req/s: driver CPU per request with and without each, rows lost,
# and the rows per CPU-second the output thread sustains.
OUTPUTS_BENCH_ARGS ?=
bench-outputs: build
	@python3 bench/e2e/outputs_cost.py --build $(BUILD_DIR) $(OUTPUTS_BENCH_ARGS)

# Kafka direct mode against scv2-sim's mock cluster at 1k and 10k req/s, and a raw librdkafka
# client on the same topics: requests per driver CPU-second, latencies, librdkafka's CPU share.
KAFKA_BENCH_ARGS ?=
bench-kafka: build
	@python3 bench/e2e/kafka_mock.py --build $(BUILD_DIR) $(KAFKA_BENCH_ARGS)

# Each fuzzer runs for FUZZ_SECONDS, one after the other. The corpus in $(BUILD_DIR)/fuzz/ is
# kept, so each run goes on from what the last one found.
FUZZERS := http1_response http2_frames http2_connection grpc_message kafka_record

fuzz: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) $(foreach f,$(FUZZERS),--target $(f)_fuzz)
	@set -e; for f in $(FUZZERS); do \
	  dict=; if [ -f tests/fuzz/$$f.dict ]; then dict=-dict=tests/fuzz/$$f.dict; fi; \
	  echo "== $$f ($(FUZZ_SECONDS) s)"; \
	  ./tests/fuzz/run_fuzzer.sh $(BUILD_DIR)/tests/$${f}_fuzz tests/fuzz/corpus/$$f \
	    $(BUILD_DIR)/fuzz/$$f $(FUZZ_SECONDS) $$dict -max_len=4096; \
	done

clean:
	@rm -rf $(BUILD_DIR)
