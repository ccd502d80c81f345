# Doric — `make run` starts the standalone server, `make test` runs the tests.
# Tools the build and tests need are installed into .tools/ (git-ignored) and reused.

SHELL       := /bin/bash
GO          ?= go
TOOLS       := $(CURDIR)/.tools
TOOLBIN     := $(TOOLS)/bin
BIN         := $(CURDIR)/bin
DATA_DIR    ?= $(CURDIR)/doric-data
MYSQL_PORT  ?= 9030
HTTP_PORT   ?= 8030
FUZZTIME    ?= 60s
# make test fuzzes for a number of inputs, not a duration: with a duration, Go 1.26's fuzzing
# coordinator can report "context deadline exceeded" as a failure when the time is up
# (golang/go#75804). The counts take about 60 s / 30 s each on 2 cores.
FUZZ_PARSE_EXECS ?= 2000000x
FUZZ_EXECS       ?= 300000x

PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.0
STATICCHECK_VERSION        := v0.8.0
VERSITYGW_VERSION          := v1.8.0
BENCHSTAT_VERSION          := v0.0.0-20250813145418-2f7363a06fe1

# Benchmarks against DuckDB live in their own module (cgo; see test/duckbench/doc.go). TPC-H data
# is generated into .tools/tpch/sf<SF>/ and reused.
SF          ?= 1
RUNS        ?= 2
TPCH_RUNS   ?= 3
TPCH_DIR    := $(TOOLS)/tpch
ACCEPTANCE  := $(CURDIR)/../shared/acceptance
DUCKBENCH   := $(CURDIR)/test/duckbench

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/doricdb/doric/internal/buildinfo.Version=$(VERSION)

PROTOS := api/commonpb/common.proto api/metapb/meta.proto api/planpb/plan.proto api/computepb/compute.proto \
          api/loadpb/load.proto

export PATH := $(TOOLBIN):$(PATH)

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

.PHONY: build
build: ## Build bin/doric
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/doric ./cmd/doric

.PHONY: run
run: build ## Start the standalone server (MySQL on 9030, HTTP on 8030, data in ./doric-data)
	$(BIN)/doric standalone --data-dir $(DATA_DIR) --mysql-port $(MYSQL_PORT) --http-port $(HTTP_PORT)

.PHONY: test
test: test-deps tools build ## Run the tests (what CI runs)
	$(GO) vet ./...
	DORIC_BIN=$(BIN)/doric DORIC_VERSITYGW=$(TOOLBIN)/versitygw $(GO) test -count=1 -timeout 25m ./...
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZ_PARSE_EXECS) ./frontend/parser
	$(GO) test -run '^$$' -fuzz '^FuzzBind$$' -fuzztime 120000x ./frontend/binder
	$(GO) test -run '^$$' -fuzz '^FuzzCSV$$' -fuzztime $(FUZZ_EXECS) ./compute/load/format
	$(GO) test -run '^$$' -fuzz '^FuzzJSON$$' -fuzztime $(FUZZ_EXECS) ./compute/load/format

.PHONY: test-long
test-long: test-deps tools build $(TPCH_DIR)/sf1/tables/lineitem.tbl ## Run the long suites too (TPC-H SF 1 among them)
	DORIC_BIN=$(BIN)/doric DORIC_VERSITYGW=$(TOOLBIN)/versitygw DORIC_TEST_LONG=1 DORIC_TPCH_SF1_DATA=$(TPCH_DIR)/sf1/tables \
		$(GO) test -count=1 -timeout 90m ./...

.PHONY: bench
bench: tools ## Run the Go benchmarks, then the load and TPC-H benchmarks (bench-load, bench-tpch)
	DORIC_VERSITYGW=$(TOOLBIN)/versitygw $(GO) test -run '^$$' -bench . -benchmem ./...
	$(MAKE) bench-load
	$(MAKE) bench-tpch

.PHONY: bench-tpch
bench-tpch: build $(TPCH_DIR)/sf$(SF)/tables/lineitem.tbl ## The 22 TPC-H queries in Doric and in DuckDB on the same data (SF=1 TPCH_RUNS=3)
	cd $(DUCKBENCH) && $(GO) build -o $(TOOLBIN)/tpchbench ./cmd/tpchbench
	$(TOOLBIN)/tpchbench -doric $(BIN)/doric -data $(TPCH_DIR)/sf$(SF)/tables -queries $(ACCEPTANCE)/tpch/queries -runs $(TPCH_RUNS)

# The eight TPC-H tables at scale factor N with go-tpc's dbgen (SF1: about 25 s, 1.1 GB).
$(TPCH_DIR)/sf%/tables/lineitem.tbl:
	cd $(DUCKBENCH) && $(GO) build -o $(TOOLBIN)/tpchgen ./cmd/tpchgen
	$(TOOLBIN)/tpchgen -sf $* -dir $(TPCH_DIR)/sf$*/tables

.PHONY: bench-load
bench-load: build test-deps $(TPCH_DIR)/sf$(SF)/lineitem.tbl ## Stream Load of TPC-H lineitem (SF=1 RUNS=2) beside DuckDB COPY
	cd $(DUCKBENCH) && $(GO) build -o $(TOOLBIN)/loadbench ./cmd/loadbench
	$(TOOLBIN)/loadbench -doric $(BIN)/doric -file $(TPCH_DIR)/sf$(SF)/lineitem.tbl -runs $(RUNS)

# lineitem.tbl at scale factor N with go-tpc's dbgen (SF1: about 25 s, 760 MB).
$(TPCH_DIR)/sf%/lineitem.tbl:
	cd $(DUCKBENCH) && $(GO) build -o $(TOOLBIN)/tpchgen ./cmd/tpchgen
	$(TOOLBIN)/tpchgen -sf $* -out $@

.PHONY: fuzz
fuzz: ## Fuzz everything that parses bytes (FUZZTIME each)
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./frontend/parser
	$(GO) test -run '^$$' -fuzz '^FuzzBind$$' -fuzztime $(FUZZTIME) ./frontend/binder
	$(GO) test -run '^$$' -fuzz '^FuzzRoundTrip$$' -fuzztime $(FUZZTIME) ./metaservice/keys
	$(GO) test -run '^$$' -fuzz '^FuzzOrder$$' -fuzztime $(FUZZTIME) ./metaservice/keys
	$(GO) test -run '^$$' -fuzz '^FuzzOpen$$' -fuzztime $(FUZZTIME) ./compute/segment
	$(GO) test -run '^$$' -fuzz '^FuzzStreams$$' -fuzztime $(FUZZTIME) ./compute/segment/encoding
	$(GO) test -run '^$$' -fuzz '^FuzzDecoders$$' -fuzztime $(FUZZTIME) ./compute/segment/index
	$(GO) test -run '^$$' -fuzz '^FuzzCSV$$' -fuzztime $(FUZZTIME) ./compute/load/format
	$(GO) test -run '^$$' -fuzz '^FuzzJSON$$' -fuzztime $(FUZZTIME) ./compute/load/format
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./compute/load/stream

# System packages the tests use: the mysql CLI (mariadb-client), pymysql for Debian's python3 and
# curl (the stream load system test loads exactly as Doris's documentation shows).
.PHONY: test-deps
test-deps:
	@if ! command -v mysql >/dev/null || ! command -v curl >/dev/null || ! /usr/bin/python3 -c 'import pymysql' 2>/dev/null; then \
		echo "installing mariadb-client, python3-pymysql and curl (apt-get)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq mariadb-client python3-pymysql curl >/dev/null; \
	fi

.PHONY: tools
tools: $(TOOLBIN)/versitygw ## Build the servers tests start (VersityGW S3) into .tools/bin

# VersityGW (Apache-2.0): the S3 server of the vault and file-cache tests. When the module proxy
# refuses `go install pkg@version` (it may refuse version lists), build from a wrapper module.
$(TOOLBIN)/versitygw:
	@mkdir -p $(TOOLBIN)
	GOBIN=$(TOOLBIN) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION) || { \
		w=$$(mktemp -d) && cd $$w && \
		printf 'module doric.local/tools\n\ngo 1.26.0\n\nrequire github.com/versity/versitygw $(VERSITYGW_VERSION)\n' > go.mod && \
		printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/versity/versitygw/cmd/versitygw"\n' > tools.go && \
		$(GO) mod tidy && $(GO) build -o $(TOOLBIN)/versitygw github.com/versity/versitygw/cmd/versitygw; }

$(TOOLBIN)/protoc-gen-go:
	GOBIN=$(TOOLBIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)

$(TOOLBIN)/protoc-gen-go-grpc:
	GOBIN=$(TOOLBIN) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

# benchstat compares benchmark runs: benchstat old.txt new.txt
$(TOOLBIN)/benchstat:
	GOBIN=$(TOOLBIN) $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

$(TOOLBIN)/staticcheck:
	GOBIN=$(TOOLBIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: protoc
protoc:
	@command -v protoc >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq protobuf-compiler >/dev/null; }

.PHONY: generate
generate: protoc $(TOOLBIN)/protoc-gen-go $(TOOLBIN)/protoc-gen-go-grpc ## Regenerate checked-in code (protobuf, gRPC)
	cd api && protoc -I . --go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative $(PROTOS:api/%=%)

.PHONY: verify
verify: generate ## Fail when generated code drifts from its sources, or go.mod is untidy
	$(GO) mod tidy
	@git diff --exit-code -- api go.mod go.sum || { echo "generated code or go.mod drifted: run 'make generate' / 'go mod tidy' and commit"; exit 1; }

.PHONY: lint
lint: $(TOOLBIN)/staticcheck ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...

.PHONY: clean
clean: ## Remove build outputs (not .tools)
	rm -rf $(BIN)
