# Thin wrapper over tools/install-deps.sh, CMake and CTest. Everything real lives in CMake.
BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?=
BENCH_ARGS ?=
FUZZ_SECONDS ?= 300

.PHONY: all deps configure build test demo bench fuzz clean

all: build

deps:
	@./tools/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

demo: build
	@./tools/demo.sh $(BUILD_DIR)

bench: build
	@python3 bench/e2e/http1_vs_wrk.py --build $(BUILD_DIR) $(BENCH_ARGS)

# The corpus in $(BUILD_DIR)/fuzz/ is kept, so each run goes on from what the last one found.
fuzz: configure
	@cmake --build $(BUILD_DIR) --target http1_response_fuzz -j $(JOBS)
	@./tests/fuzz/run_fuzzer.sh $(BUILD_DIR)/tests/http1_response_fuzz \
	  tests/fuzz/corpus/http1_response $(BUILD_DIR)/fuzz/http1_response $(FUZZ_SECONDS) \
	  -dict=tests/fuzz/http1_response.dict -max_len=4096

clean:
	@rm -rf $(BUILD_DIR)
