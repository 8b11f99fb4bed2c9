# Strata — the two commands a new machine needs are `make demo` and `make test`.
# Everything else is here for development. Targets install missing Debian packages first
# (scripts/deps.sh), so they work on a fresh Debian bookworm machine.

PRESET        ?= release
BUILD_DIR     := build/$(PRESET)
STRATA        := $(BUILD_DIR)/bin/strata
FUZZ_SECONDS  ?= 60
JOBS          ?= $(shell nproc)

.PHONY: all deps build test demo bench fuzz format clean help

all: build

help:
	@echo "make demo    install what is missing, build, run broker + simulated plant + edge"
	@echo "make test    install what is missing, build (warnings are errors), run every test"
	@echo "make build   build into $(BUILD_DIR) (PRESET=release|debug|ci)"
	@echo "make bench   run the benchmarks (numbers go to docs/benchmarks.md by hand)"
	@echo "make fuzz    run every fuzz target for FUZZ_SECONDS=$(FUZZ_SECONDS) s (clang, libFuzzer)"
	@echo "make format  clang-format the sources"
	@echo "make deps    install the Debian packages in scripts/debian-packages.txt"

deps:
	@scripts/deps.sh

build: deps
	cmake --preset $(PRESET)
	cmake --build --preset $(PRESET) -j $(JOBS)

demo: build
	$(STRATA) demo

test: deps
	cmake --preset ci
	cmake --build --preset ci -j $(JOBS)
	ctest --preset ci

bench: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS)
	scripts/run-benchmarks.sh build/release

fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	scripts/run-fuzzers.sh build/fuzz $(FUZZ_SECONDS)

format:
	find src tests bench fuzz -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build
