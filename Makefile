# Gajyeogagu — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
CARGO ?= cargo
SPECTRAL := tools/node/node_modules/.bin/spectral

.PHONY: run test tools lint fmt-check clippy test-sqlite test-postgres openapi openapi-lint api-conformance bench-load help

help:
	@echo "make run        start crud-api on 0.0.0.0:8001 (SQLite under ./data, demo-ready)"
	@echo "make test       everything: tools, fmt, clippy, tests on SQLite and PostgreSQL, OpenAPI lint"
	@echo "make openapi    regenerate api/*.json from the code"
	@echo "make api-conformance  Bruno collection + schemathesis against a live server"
	@echo "make bench-load load-test identity and catalogue endpoints (see docs/benchmarks.md)"

## run: crud-api on the embedded defaults (SQLite file, generated signing key, bootstrap admin).
run:
	mkdir -p data
	DATABASE_URL=$${DATABASE_URL:-sqlite://data/gajyeogagu.db} DEMO_DATA=$${DEMO_DATA:-true} $(CARGO) run -p crud-api

## test: all set-up, then every check CI runs.
test: tools fmt-check clippy test-sqlite test-postgres openapi-lint api-conformance

tools:
	scripts/node-tools.sh

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Whole workspace on SQLite (the default backend of the integration tests).
test-sqlite:
	$(CARGO) test --workspace

# crud-api's integration suite again, on a throwaway PostgreSQL.
test-postgres:
	scripts/with-postgres.sh $(CARGO) test -p crud-api --test api

openapi:
	UPDATE_OPENAPI=1 $(CARGO) test -p crud-api --test api committed_openapi_matches_the_code

openapi-lint: tools
	$(SPECTRAL) lint api/*.openapi.json --ruleset tools/node/.spectral.yaml --fail-severity=warn

# Bruno collection + schemathesis against a live server (SQLite).
api-conformance: tools
	scripts/api-conformance.sh

bench-load:
	scripts/bench-load.sh
