# make run | make test | make bench — each installs what is missing, configures and builds first.
BUILD ?= build
JOBS ?= $(shell nproc)
# Two cores: tests and runs use both through OpenMP/oneDNN, never more.
export OMP_NUM_THREADS ?= 2

.PHONY: all setup build run test test-slurm bench install clean

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

# Starts a one-node Slurm cluster on this machine (as root), runs the tests that
# need one, and stops it.
test-slurm: build
	tests/slurm/cluster.sh start
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
	rm -rf $(BUILD)
