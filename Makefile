# Lambda Connect build, test and lint entry points. `sam build` calls build-<LogicalId> targets
# (template.yaml: Metadata BuildMethod makefile) with ARTIFACTS_DIR set.

GO          ?= go
CFN_LINT    ?= cfn-lint
FUZZTIME    ?= 10s
BENCHTIME   ?= 1s
ARTIFACTS_DIR ?= $(CURDIR)/bin/lambda/s3-sink
# Go files to format-check: everything but dependency and tool caches.
GO_FILES     = $(shell find . \( -name .git -o -name node_modules -o -name .aws-sam -o -name .cache \) -prune -o -name '*.go' -print)
# Packages holding commands (go build -o DIR/ writes one executable per main package).
MAIN_PATTERNS = $(addprefix ./,$(addsuffix /...,$(wildcard functions cmd)))

# Lambda binaries: arm64 (template.yaml Architectures), static, stripped, no RPC mode
# (provided.al2023 speaks the Runtime API only).
LAMBDA_ENV   = GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS = -trimpath -ldflags="-s -w" -tags lambda.norpc

.PHONY: all build build-S3SinkFunction build-S3SourceFunction build-DynamoDbSinkFunction test dev bench fuzz lint clean

all: build

## build-S3SinkFunction: the s3-sink Lambda bootstrap into $(ARTIFACTS_DIR) (sam build)
build-S3SinkFunction:
	mkdir -p "$(ARTIFACTS_DIR)"
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/s3-sink

## build-S3SourceFunction: the s3-source Lambda bootstrap into $(ARTIFACTS_DIR) (sam build)
build-S3SourceFunction:
	mkdir -p "$(ARTIFACTS_DIR)"
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/s3-source

## build-DynamoDbSinkFunction: the dynamodb-sink Lambda bootstrap into $(ARTIFACTS_DIR) (sam build)
build-DynamoDbSinkFunction:
	mkdir -p "$(ARTIFACTS_DIR)"
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/dynamodb-sink

## build: every function and command, for this machine, into bin/
build:
	mkdir -p bin
	$(GO) build -o bin/ $(MAIN_PATTERNS)

## test: vet, then every test against one DynamoDB Local (with-dynamodb-local fetches and starts it)
test:
	$(GO) mod download
	$(GO) vet ./...
	$(GO) run ./infra/cmd/with-dynamodb-local -- $(GO) test -count=1 ./...

## dev: one local pass of the dev loop
dev:
	$(GO) run ./cmd/lambda-connect dev --once

## bench: the S3 sink's whole-handler table (with its plain reference, same run), the S3 source on a
## generated 1 GiB JSON-lines object next to kcat -P (same run, same broker), then every go benchmark
bench:
	$(GO) run ./bench/s3sink
	$(GO) run ./bench/s3source
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

## fuzz: every Fuzz target for $(FUZZTIME) each (go test -fuzz takes one target of one package at a time)
fuzz:
	@set -e; n=0; \
	for pkg in $$($(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); do \
		list=$$($(GO) test -list '^Fuzz' "$$pkg"); \
		for target in $$(printf '%s\n' "$$list" | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
			n=$$((n+1)); \
		done; \
	done; \
	echo "fuzzed $$n targets for $(FUZZTIME) each"

## lint: gofmt, go vet, cfn-lint
lint:
	@unformatted=$$(gofmt -l $(GO_FILES)); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@if command -v $(CFN_LINT) >/dev/null 2>&1; then $(CFN_LINT) template.yaml; \
		else echo "cfn-lint not installed: template.yaml not linted"; fi

## clean: build outputs and test leftovers
clean:
	rm -rf bin .aws-sam coverage.out coverage.html *.coverprofile cover.out
	$(GO) clean -testcache
