# ecs-operator's build. Everything it needs is built from the Go module proxy into bin/.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

LOCALBIN ?= $(CURDIR)/bin
export PATH := $(LOCALBIN):$(PATH)
export GOFLAGS ?= -buildvcs=false

CONTROLLER_TOOLS_VERSION ?= v0.23.0
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
GOLANGCI_LINT_VERSION ?= v2.15.0
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
# Helm, built from helm.sh/helm/v4 (hack/helm), lints and renders the charts in the tests.
HELM_VERSION ?= v4.3.2
HELM ?= $(LOCALBIN)/helm-$(HELM_VERSION)
export HELM

# The Kubernetes control plane that envtest and `make run` start, built from k8s.io/kubernetes
# (hack/k8s) and go.etcd.io/etcd (hack/etcd) into bin/k8s/<version>/.
K8S_VERSION ?= 1.37.2
K8S_MINOR := $(word 2,$(subst ., ,$(K8S_VERSION)))
K8S_ASSETS ?= $(LOCALBIN)/k8s/$(K8S_VERSION)
K8S_LDFLAGS := -s -w \
	-X k8s.io/component-base/version.gitVersion=v$(K8S_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 \
	-X k8s.io/component-base/version.gitMinor=$(K8S_MINOR) \
	-X k8s.io/component-base/version.gitTreeState=clean
export KUBEBUILDER_ASSETS ?= $(K8S_ASSETS)

GO_TEST_FLAGS ?= -race
TEST_TIMEOUT ?= 30m

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %-14s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate the deepcopy functions of the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs, RBAC and webhook configurations into config/, and the charts' parts made from them.
	$(CONTROLLER_GEN) crd:allowDangerousTypes=true rbac:roleName=manager-role webhook paths="./..." \
		output:crd:artifacts:config=config/crd/bases \
		output:rbac:artifacts:config=config/rbac \
		output:webhook:artifacts:config=config/webhook
	go run ./hack/chartgen

# verify regenerates and fails when that changed anything, so stale generated files never reach
# a test or a commit; it compares the tree before and after rather than against git, so it also
# works on a tree with uncommitted edits.
.PHONY: verify
verify: $(CONTROLLER_GEN) ## Fail (after regenerating) when generated files were not up to date.
	@before=$$(find api config charts -type f -print0 | sort -z | xargs -0 sha256sum); \
	$(MAKE) --no-print-directory -s generate manifests; \
	after=$$(find api config charts -type f -print0 | sort -z | xargs -0 sha256sum); \
	if [ "$$before" != "$$after" ]; then \
		echo "generated files were out of date and have been regenerated; review and commit:"; \
		diff <(echo "$$before") <(echo "$$after") | grep '^[<>]' | awk '{print "  " $$3}' | sort -u; \
		exit 1; fi

.PHONY: fmt
fmt: ## Format the Go code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: lint
lint: $(GOLANGCI_LINT) ## gofmt, go vet and golangci-lint, for the operator and the hack modules.
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './bin/*')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	cd hack/k8s && go vet ./...
	cd hack/etcd && go vet ./...
	$(GOLANGCI_LINT) run ./...

.PHONY: helm-lint
helm-lint: $(HELM) ## helm lint both charts.
	$(HELM) lint --strict charts/ecs-operator charts/ecs-operator-crds

.PHONY: test
test: verify lint helm-lint local-cluster-bins ## Check generated files and lint, then run every test: against a real kube-apiserver, and end to end on the local cluster (with and without webhooks, and on kubelets that predate container restart policies), then the short fault tests.
	$(MAKE) --no-print-directory test-only

.PHONY: test-only
# The fault tests (test/chaos) time how fast the operator recovers, so they run last and alone
# rather than beside the other packages.
test-only: local-cluster-bins $(HELM) ## Run the tests without verify and lint.
	go test $(GO_TEST_FLAGS) -timeout $(TEST_TIMEOUT) $$(go list ./... | grep -v /test/chaos)
	E2E_WEBHOOKS=false go test $(GO_TEST_FLAGS) -count=1 -timeout $(TEST_TIMEOUT) ./test/e2e
	E2E_LEGACY_KUBELETS=true go test $(GO_TEST_FLAGS) -count=1 -timeout $(TEST_TIMEOUT) ./test/e2e
	go test $(GO_TEST_FLAGS) -count=1 -timeout $(TEST_TIMEOUT) ./test/chaos

# bench is not part of test or CI: it runs for 15-20 minutes on two cores and wants the machine
# to itself. BENCH_FLAGS passes flags, e.g. BENCH_FLAGS="-services 200 -tenants 5" for a quick
# run (docs/benchmarks.md lists them).
BENCH_FLAGS ?=
.PHONY: bench
bench: local-cluster-bins ## Benchmark the operator against a floor (docs/benchmarks.md); results in bin/bench/.
	go run ./test/bench -assets $(K8S_ASSETS) $(BENCH_FLAGS)

# chaos is not part of test or CI: the long versions of the fault tests (docs/reliability.md),
# which `make test` runs short: the leader killed every 30 s for 10 minutes under churn, the API
# server down 30 s, 2 minutes of conflicting writers; then every fuzz test for FUZZ_TIME each.
CHAOS_CHURN ?= 10m
CHAOS_CONFLICTS ?= 2m
FUZZ_TIME ?= 10m
FUZZ_TARGETS ?= internal/ecsjson:FuzzRead internal/ecs:FuzzParseExpression internal/ecs:FuzzParseValues internal/translate:FuzzPodTemplate internal/webhook:FuzzAdmission
.PHONY: chaos
chaos: local-cluster-bins $(HELM) ## The long fault tests and every fuzz test for FUZZ_TIME (about an hour and a half; not CI).
	CHAOS_CHURN=$(CHAOS_CHURN) CHAOS_CONFLICTS=$(CHAOS_CONFLICTS) go test -count=1 -v -timeout 60m -run TestChaos ./test/chaos
	for target in $(FUZZ_TARGETS); do \
		go test -run '^$$' -fuzz "^$${target#*:}$$" -fuzztime $(FUZZ_TIME) ./$${target%%:*} || exit 1; \
	done

##@ Build

.PHONY: build
build: ## Build the operator into bin/manager and the kubectl plugin into bin/kubectl-ecs.
	go build -o $(LOCALBIN)/manager ./cmd/manager
	go build -o $(LOCALBIN)/kubectl-ecs ./cmd/kubectl-ecs

# PLUGIN_VERSION names the plugin's release for krew.
PLUGIN_VERSION ?= v0.1.0
.PHONY: plugin-dist
plugin-dist: ## Cross-build kubectl-ecs archives and the krew manifest (dist/krew/ecs.yaml).
	go run ./hack/krew --version $(PLUGIN_VERSION) --out dist/krew

# The image: IMG names it for docker-build and docker-push; `make image` needs no container
# engine and writes an OCI layout tarball (linux/amd64 and linux/arm64) to bin/image/.
IMG ?= ghcr.io/ecs-operator/ecs-operator:dev
IMAGE_TAG ?= $(lastword $(subst :, ,$(IMG)))
IMAGE_PLATFORMS ?= linux/amd64,linux/arm64

.PHONY: image
image: ## Build the operator's image without a container engine into bin/image/ecs-operator.tar (OCI layout).
	go run ./hack/image --out $(LOCALBIN)/image/ecs-operator.tar --tag $(IMAGE_TAG) \
		--platforms $(IMAGE_PLATFORMS) --revision "$$(git rev-parse HEAD 2>/dev/null)"

.PHONY: docker-build
docker-build: ## Build the operator's image with Docker (the Dockerfile), tagged $(IMG).
	docker build -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push $(IMG) with Docker.
	docker push $(IMG)

# `make run KUBECONFIG=<file>` runs the operator against that cluster instead of a local one
# (only a KUBECONFIG given on the command line counts, never one from the environment, so that
# `make run` never touches a cluster by accident).
ifeq ($(origin KUBECONFIG),command line)
RUN_DEPS :=
RUN_FLAGS := --kubeconfig $(KUBECONFIG)
else
RUN_DEPS := local-cluster-bins
RUN_FLAGS :=
endif

.PHONY: run
run: build $(RUN_DEPS) ## Start a local cluster (fake nodes), install CRDs and webhooks, run the operator, apply the samples.
	go build -o $(LOCALBIN)/localcluster ./hack/localcluster
	$(LOCALBIN)/localcluster --assets $(K8S_ASSETS) --manager $(LOCALBIN)/manager \
		--crds config/crd/bases --webhooks config/webhook --samples config/samples --dir $(LOCALBIN)/local $(RUN_FLAGS)

##@ Deployment

# build-installer renders the chart as plain manifests: the release's namespace first, then
# every object of `helm install` but the hooks (kubectl has none; `kubectl delete -f` removes
# the webhook configurations with the rest). IMG, when given, sets the manager's image;
# otherwise it is the chart's appVersion.
INSTALL_NAMESPACE ?= ecs-operator-system
INSTALLER ?= dist/install.yaml
ifneq ($(filter command line environment,$(origin IMG)),)
INSTALLER_VALUES := --set image.repository=$(patsubst %:$(IMAGE_TAG),%,$(IMG)) --set image.tag=$(IMAGE_TAG)
endif

.PHONY: build-installer
build-installer: $(HELM) ## Write dist/install.yaml (CRDs, RBAC, webhooks, the manager) for kubectl apply --server-side -f.
	@mkdir -p $(dir $(INSTALLER))
	{ printf '%s\n' \
		'# ecs-operator: generated from charts/ecs-operator by make build-installer.' \
		'# Install with: kubectl apply --server-side -f install.yaml' \
		'apiVersion: v1' 'kind: Namespace' 'metadata:' '  name: $(INSTALL_NAMESPACE)' '  labels:' \
		'    pod-security.kubernetes.io/enforce: restricted'; \
	  $(HELM) template ecs-operator charts/ecs-operator --namespace $(INSTALL_NAMESPACE) --no-hooks $(INSTALLER_VALUES); \
	} > $(INSTALLER).tmp && mv $(INSTALLER).tmp $(INSTALLER)
	@echo "wrote $(INSTALLER)"

##@ Dependencies

.PHONY: envtest
envtest: $(K8S_ASSETS)/kube-apiserver $(K8S_ASSETS)/etcd ## Build etcd and kube-apiserver into bin/k8s/<version>.

$(K8S_ASSETS)/kube-apiserver: hack/k8s/go.mod hack/k8s/go.sum hack/k8s/kube-apiserver/main.go
	@mkdir -p $(@D)
	@echo "building kube-apiserver v$(K8S_VERSION) (a few minutes when cold)"
	cd hack/k8s && go build -trimpath -ldflags "$(K8S_LDFLAGS)" -o $@ ./kube-apiserver

$(K8S_ASSETS)/etcd: hack/etcd/go.mod hack/etcd/go.sum hack/etcd/main.go
	@mkdir -p $(@D)
	@echo "building etcd"
	cd hack/etcd && go build -trimpath -ldflags "-s -w" -o $@ .

# The rest of the local cluster (issue 5): kube-controller-manager and kube-scheduler from the
# same module as kube-apiserver, and kwok, which plays the kubelet of fake nodes.
.PHONY: local-cluster-bins
local-cluster-bins: envtest $(K8S_ASSETS)/kube-controller-manager $(K8S_ASSETS)/kube-scheduler $(K8S_ASSETS)/kwok ## Build kube-controller-manager, kube-scheduler and kwok into bin/k8s/<version>.

$(K8S_ASSETS)/kube-controller-manager: hack/k8s/go.mod hack/k8s/go.sum hack/k8s/kube-controller-manager/main.go
	@mkdir -p $(@D)
	cd hack/k8s && go build -trimpath -ldflags "$(K8S_LDFLAGS)" -o $@ ./kube-controller-manager

$(K8S_ASSETS)/kube-scheduler: hack/k8s/go.mod hack/k8s/go.sum hack/k8s/kube-scheduler/main.go
	@mkdir -p $(@D)
	cd hack/k8s && go build -trimpath -ldflags "$(K8S_LDFLAGS)" -o $@ ./kube-scheduler

$(K8S_ASSETS)/kwok: hack/kwok/go.mod hack/kwok/go.sum
	@mkdir -p $(@D)
	cd hack/kwok && go build -trimpath -ldflags "-s -w" -o $@ sigs.k8s.io/kwok/cmd/kwok

$(CONTROLLER_GEN):
	@mkdir -p $(LOCALBIN)
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(LOCALBIN)/controller-gen $@

$(HELM): hack/helm/go.mod hack/helm/go.sum
	@mkdir -p $(@D)
	@echo "building helm $(HELM_VERSION) (a few minutes when cold)"
	cd hack/helm && go build -trimpath -ldflags "-s -w" -o $@ helm.sh/helm/v4/cmd/helm

$(GOLANGCI_LINT):
	@mkdir -p $(LOCALBIN)
	@echo "building golangci-lint $(GOLANGCI_LINT_VERSION) (a few minutes when cold)"
	GOBIN=$(LOCALBIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(LOCALBIN)/golangci-lint $@
