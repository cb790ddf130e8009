# make run | make test | make bench — each installs what is missing, configures and builds first.
# make test-asan: the tests built with AddressSanitizer + UBSan; make fuzz: every fuzz target
# (fuzz/) for FUZZ_SECONDS each.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc)
# Two cores: tests and runs use both through OpenMP/oneDNN, never more.
export OMP_NUM_THREADS ?= 2

.PHONY: all setup build run test test-asan test-slurm fuzz bench install clean

all: build

setup:
	@scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/pipe run experiments/multiscript.yaml

test: build
	cd $(BUILD) && ctest --output-on-failure -j 1

test-asan: setup
	@[ -f $(ASAN_BUILD)/CMakeCache.txt ] || cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Release -DPIPE_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j 1

fuzz:
	@scripts/setup.sh --fuzz
	@[ -f $(FUZZ_BUILD)/CMakeCache.txt ] || CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DPIPE_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Starts a one-node Slurm cluster on this machine (as root), runs the tests that
# need one, and stops it.
test-slurm: build
	tests/slurm/cluster.sh start || { tests/slurm/cluster.sh stop; exit 1; }
	SLURM_CONF=$$(tests/slurm/cluster.sh conf) $(BUILD)/slurm_tests; rc=$$?; tests/slurm/cluster.sh stop; exit $$rc

bench:
	@scripts/setup.sh --bench
	@$(MAKE) --no-print-directory build
	bench/run.sh $(BUILD)

# Installs pipe under PREFIX (default /usr/local): a cluster puts it on a prefix
# every node mounts, so jobs run the same pipe as the driver.
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
