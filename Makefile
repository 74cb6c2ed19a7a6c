# orderflow: the two commands are `make run` and `make test`.

# go.mod pins Go 1.26.8; auto lets a machine with an older Go fetch it.
export GOTOOLCHAIN := auto

GO ?= go
# Integration tests start Temporal servers and Postgres databases: give them room on 2 cores.
TEST_TIMEOUT ?= 45m

.PHONY: run test test-deps vet workflowcheck build token reset clean

## run: the whole system in one process (embedded Temporal + Web UI, worker, API). It builds
## bin/orderflow-dev first, showing its progress (the first build compiles the Temporal server:
## 15-20 minutes on 2 cores; then a few seconds), runs `bin/orderflow-dev dev` (Ctrl-C stops it)
## and prints where everything is once it is ready (scripts/run.sh)
run:
	@GO="$(GO)" bash scripts/run.sh

## test: unit and integration tests (real Temporal, Postgres, SendGrid stand-in), race detector on;
## they include replaying every history in testdata/histories (docs/versioning.md)
test: test-deps vet workflowcheck
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

## test-deps: what the tests need besides Go (scripts/test-deps.sh): installs gcc, poppler-utils,
## libxml2-utils and chromium with apt-get when missing, starts the local Postgres when it is down
test-deps:
	@bash scripts/test-deps.sh

vet:
	$(GO) vet ./...

## workflowcheck: static determinism check of the workflow code (a Go tool in go.mod;
## its known false positives are declared in workflows/workflowcheck.yaml)
workflowcheck:
	$(GO) tool workflowcheck -test=false -config workflows/workflowcheck.yaml ./workflows/...

## build: the production binary (no embedded Temporal server)
build:
	CGO_ENABLED=0 $(GO) build -tags nodev -o bin/orderflow ./cmd/orderflow

## token: mint a dev token, e.g. make token ROLE=member SUB=m-100
token:
	@$(GO) run ./cmd/orderflow token --role $(ROLE) --sub $(SUB)

## reset: a clean start for `make run` (scripts/reset.sh): deletes ./data (Temporal's state) and drops
## the dev database orderflow (read model, captured email); refuses while `make run` is running
reset:
	@bash scripts/reset.sh

## clean: deletes bin/ (binaries, bench reports) and ./data; the database stays (see reset)
clean:
	rm -rf bin data

## bench: 100 marketplace + 100 member orders through their lifecycles over the HTTP API, then the
## raw-Temporal baseline; starts its own `orderflow dev` (ports 18080/17233/18233, database
## orderflow_bench); prints the figures and writes bin/bench.json. BENCH_FLAGS="-n 20 -c 4" to change.
BENCH_FLAGS ?=
.PHONY: bench
bench:
	$(GO) build -o bin/orderflow-dev ./cmd/orderflow
	$(GO) run ./cmd/loadtest bench -start bin/orderflow-dev -out bin/bench.json $(BENCH_FLAGS)

## chaos: the fault run: 30 marketplace + 30 member orders (6 at a time) on its own `orderflow dev`
## (ports 18180/17333/18333, database orderflow_chaos, email through an in-process SendGrid
## stand-in) plus 2 extra `orderflow worker`s, while it SIGKILLs those workers, restarts the local
## Postgres once and has the stand-in answer bursts of 429 and 500; then it audits the end state
## and exits non-zero on any violation. CHAOS_FLAGS="-n 10 -pg-restart=false" to change.
CHAOS_FLAGS ?=
.PHONY: chaos
chaos:
	$(GO) build -o bin/orderflow-dev ./cmd/orderflow
	$(GO) build -o bin/loadtest ./cmd/loadtest
	bin/loadtest chaos -start bin/orderflow-dev $(CHAOS_FLAGS)

## scale: 10,000 orders left open on their timers (a third each: marketplace awaiting payment,
## member in smart_confirmation, member active) in its own `orderflow dev` without a worker (ports
## 18280/17433/18433, database orderflow_scale) plus one `orderflow worker` (metrics on 18490);
## then worker memory and API latency while they wait, at worker cache sizes 10000, 2000 and 500.
## Writes bin/scale.json. SCALE_FLAGS="-n 3000 -cache-sizes 3000,500" to change.
SCALE_FLAGS ?=
.PHONY: scale
scale:
	$(GO) build -o bin/orderflow-dev ./cmd/orderflow
	$(GO) build -o bin/loadtest ./cmd/loadtest
	bin/loadtest scale -start bin/orderflow-dev -out bin/scale.json $(SCALE_FLAGS)

## cluster: the production shape of docker-compose.yml run on this machine without containers
## (cmd/loadtest/cluster_stack.go): the Temporal server binary built from go.mod's
## go.temporal.io/server (cmd/server) on Postgres persistence and visibility (databases
## temporal_cluster and temporal_cluster_visibility, schemas by deploy/temporal/setup-schema.sh with
## temporal-sql-tool), the Web UI on 18533, 2 `orderflow worker`s and 2 `orderflow api` replicas
## (18580, 18581; database orderflow_cluster), as many as the compose file runs. It checks what
## only replicas can get wrong, drives both lifecycles and paid orders cancelled, raced and
## returned through the replicas in turn while it SIGKILLs workers and API replicas, restarts
## the Temporal server and rolls the workers from the previous release (bin/orderflow-previous,
## before version 3 of the lean engine) to this one, then audits as chaos does.
## CLUSTER_FLAGS="-n 10 -faults=false" to change.
CLUSTER_FLAGS ?=
.PHONY: cluster
cluster: build
	CGO_ENABLED=0 $(GO) build -tags nodev -ldflags "-X github.com/orderflow/orderflow/workflows.buildLeanVersion=3" -o bin/orderflow-previous ./cmd/orderflow
	$(GO) build -o bin/temporal-server go.temporal.io/server/cmd/server
	$(GO) build -o bin/temporal-sql-tool go.temporal.io/server/cmd/tools/sql
	$(GO) build -o bin/loadtest ./cmd/loadtest
	bin/loadtest cluster -start bin/orderflow -previous bin/orderflow-previous -schema-root "$$($(GO) list -m -f '{{.Dir}}' go.temporal.io/server)/schema/postgresql/v12" $(CLUSTER_FLAGS)
