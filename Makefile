# pgdav — see README.md.
GO ?= go
BIN := bin/pgdav

.PHONY: all build run test vet clean

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
test: vet
	$(GO) test -count=1 -timeout 9m ./...

clean:
	rm -rf bin
