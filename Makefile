# gondb build, test and benchmark entry points. `make run` and `make test`
# are the two commands of the README's quick start; they install what they
# need on a fresh Debian machine.

GO        ?= go
# The SQL node's engine (go-mysql-server) links ICU through cgo for REGEXP
# unless built with gms_pure_go; the pure-Go build needs no C toolchain or
# libicu, and is what every target here builds and tests.
GOFLAGS := $(strip $(GOFLAGS) -tags=gms_pure_go)
export GOFLAGS
BIN       := bin/gondb
PKGS      := ./...
# Packages whose tests also run on big-endian ppc64 and on ppc64le under
# qemu-user: the byte-order-sensitive ones (hashing, row format, storage).
CROSS_TEST_PKGS := ./ndberr/... ./partition/... ./schema/... ./datanode/... ./signal/... ./block/... ./sim/... ./lcp/... ./ndbinfo/...
STATICCHECK_VERSION := v0.8.2

.PHONY: all build run test test-unit test-bigendian bench lint cross deps qemu soak clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gondb

# Starts the local demo (see README and docs/cli.md): a management server
# and two data nodes in one process, on free 127.0.0.1 ports; it prints a
# line starting with "ready:" and its connect strings, Ctrl-C stops it.
# Flags go in DEMO_FLAGS, e.g. make run DEMO_FLAGS="--data-nodes 4 --datadir /tmp/gondb-demo".
DEMO_FLAGS ?=
run: build
	./$(BIN) demo $(DEMO_FLAGS)

# The whole test suite: vet, the tests on this machine, and the byte-order
# sensitive packages again on big-endian ppc64 under qemu (-short).
test: deps test-unit test-bigendian

test-unit:
	$(GO) vet $(PKGS)
	$(GO) test -count=1 $(PKGS)

test-bigendian: qemu
	CGO_ENABLED=0 GOARCH=ppc64 $(GO) test -count=1 -short -exec qemu-ppc64-static $(CROSS_TEST_PKGS)

# Installs what the tests need from Debian when it is missing:
# qemu-user-static (big-endian runs), etcd-server (the management node's
# tests against an external etcd), mariadb-client (the SQL node's test
# with the mariadb command-line client), mariadb-server (the SQL node's
# comparison suite runs a private mariadbd; docs/sql-compare.md), and
# openjdk-17-jre-headless and libmariadb-java (the SQL node's Connector/J
# test), and sysbench (the SQL node's sysbench test).
deps:
	@missing=""; \
	command -v qemu-ppc64-static >/dev/null 2>&1 || missing="$$missing qemu-user-static"; \
	command -v etcd >/dev/null 2>&1 || missing="$$missing etcd-server"; \
	command -v mariadb >/dev/null 2>&1 || missing="$$missing mariadb-client"; \
	command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing="$$missing mariadb-server"; \
	command -v java >/dev/null 2>&1 || missing="$$missing openjdk-17-jre-headless"; \
	[ -f /usr/share/java/mariadb-java-client.jar ] || missing="$$missing libmariadb-java"; \
	command -v sysbench >/dev/null 2>&1 || missing="$$missing sysbench"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

qemu: deps

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

lint:
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)

# Builds for every supported platform and runs the byte-order-sensitive
# tests for ppc64le and big-endian ppc64 under qemu.
cross: qemu
	for arch in amd64 arm64 ppc64le ppc64; do \
		echo "build linux/$$arch"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -o /dev/null ./... || exit 1; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) vet $(PKGS) || exit 1; \
	done
	CGO_ENABLED=0 GOARCH=ppc64le $(GO) test -count=1 -short -exec qemu-ppc64le-static $(CROSS_TEST_PKGS)
	CGO_ENABLED=0 GOARCH=ppc64 $(GO) test -count=1 -short -exec qemu-ppc64-static $(CROSS_TEST_PKGS)

clean:
	rm -rf bin

# The deterministic simulator over many seeds (issue 3). Every test package
# under sim/ takes -sim.seeds; a failing seed prints the -sim.seed=N that
# replays it exactly. `make soak SEEDS=N` sets the count (default 2000: a few minutes
# on a 2-core machine; every workload over at least 1000 seeds).
# Then the durability crash test (issue 7): 20 rounds of kill -9 of every
# data node and restart, for each cluster variant (about 10 minutes), and
# the network partition test 5 times (two network namespaces; needs root),
# and 5 minutes of kill -9 of a data node every 20-30 s under writes, each
# killed node rejoining by a node restart (issue 8).
# datanode/tc's failure simulations run 1,000 seeds per cluster shape at
# SEEDS=2000: TestRegisterLinearizableFailures (crashes of any node at any
# signal, the TC mid-commit and the GCP master mid-round among them, then
# node restarts; porcupine over every key, replicas equal),
# TestPartitionBank and TestRegisterLinearizablePartition (splits decided
# by arbitration or by a missing node group; the losing side stops and
# rejoins by node restart; bank invariant, porcupine, replicas equal).
# About 2.5 minutes on 2 cores.
SEEDS ?= 2000
soak:
	$(GO) test -count=1 -timeout 60m ./sim/... ./datanode/tc/ ./datanode/gcp/ ./datanode/qmgr/ -sim.seeds=$(SEEDS)
	$(GO) test -count=1 -timeout 30m -run '^TestCrashRestart$$' ./cmd/gondb/ -crash.rounds=20
	$(GO) test -count=5 -timeout 20m -run '^TestNetworkPartition$$' ./cmd/gondb/
	$(GO) test -count=1 -timeout 20m -run '^TestKillNodeSoak$$' ./cmd/gondb/ -killsoak.duration=5m
