# pgdav — see README.md.
GO ?= go
BIN := bin/pgdav

.PHONY: all build run test vet clean bench bench-small bench-large bench-compare

all: build

build:
	$(GO) build -o $(BIN) ./cmd/pgdav

# Runs the server on 127.0.0.1:8080 with an embedded PostgreSQL in ./data;
# the first run creates a demo account and prints its password.
run: build
	./$(BIN) serve --demo

vet:
	$(GO) vet ./...

# Every test, against real PostgreSQL (private clusters the tests start).
# .ci/deps first installs (as root) or names the Debian packages the tests
# drive: PostgreSQL, nginx, Caddy, vdirsyncer, python3-caldav, litmus.
test: vet
	bash .ci/deps
	$(GO) test -count=1 -timeout 9m ./...

# Load and correctness benchmarks with cmd/davload (not part of make test;
# see docs/benchmarks.md). Each starts a fresh release-built pgdav with a
# throwaway embedded PostgreSQL; RUNS=3 runs per size, results in
# bench-results/ (OUT=DIR to change).
# davload against a fresh pgdav (embedded PostgreSQL) at both sizes of
# issue 9's budget, RUNS (default 3) runs each, medians in bench-results/
# (~15 min); bench-small and bench-large run one size.
bench:
	GO=$(GO) cmd/davload/scripts/bench.sh 10000:5000 100000:50000

bench-small:
	GO=$(GO) cmd/davload/scripts/bench.sh 10000:5000

bench-large:
	GO=$(GO) RUNS=$${RUNS:-1} cmd/davload/scripts/bench.sh 100000:50000

# pgdav, Radicale and Xandikos side by side on the same data set (installs
# the Debian packages radicale and xandikos when missing).
bench-compare:
	GO=$(GO) cmd/davload/scripts/compare.sh

clean:
	rm -rf bin
