# Thin wrapper over tools/install-deps.sh, CMake and CTest. Everything real lives in CMake.
BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?=

.PHONY: all deps configure build test demo bench clean

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
	@python3 bench/e2e/http1_vs_wrk.py --build $(BUILD_DIR)

clean:
	@rm -rf $(BUILD_DIR)
