#!/usr/bin/env bash
# Runs every test of the project: the README's test command (`make test`).
# Each step prints one line; the go test and bazel test summaries follow.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
step() { printf '\n==> %s\n' "$*"; }

step "bootstrap"
./tools/bootstrap.sh
# Debian's linux-source tarballs: the kernel tests, and sign-file for the
# module signing tests, are built from them.
./tools/fetch-kernel-source.sh

export PATH="$ROOT/.bazeldeps/go_sdk/bin:$PATH" GOTOOLCHAIN=local GOFLAGS=-mod=vendor
GO_PKGS=./tool/...

step "gofmt"
bad="$(gofmt -l tool tests)"
[ -z "$bad" ] || { echo "gofmt would change: $bad"; exit 1; }

step "go vet"
go vet $GO_PKGS ./tests/realdata/...

step "go test"
go test -count=1 $GO_PKGS

step "real data: Debian 6.1 and 6.12, every module, against GNU nm, objcopy, readelf, llvm-addr2line, sign-file (tests/realdata/run.sh)"
./tests/realdata/run.sh

step "gazelle: checked-in BUILD files (and MODULE.bazel's use_repo of go.mod) are what gazelle makes"
./tools/gazelle.sh -mode=diff

step "buildifier"
mapfile -t starlark < <(git ls-files '*.bzl' '*.bazel' 'WORKSPACE' '*/WORKSPACE' '*.BUILD' 'WORKSPACE.bzlmod' '*/WORKSPACE.bzlmod')
# rules_shell (where buildifier 8 wants sh_* loaded from) does not exist for
# Bazel 4.2.3: the native sh rules are the only ones there are.
./.bazeldeps/bin/buildifier -mode=check -lint=warn --warnings=-native-sh-binary,-native-sh-test "${starlark[@]}"

step "bazel test //..."
bazel test //...

step "consumer workspace: rules_kas_alias loaded as an external repository (examples/consumer)"
(cd examples/consumer && bazel test //... && bazel shutdown)

step "Bazel 7.7.1 with bzlmod (tools/bazel7.sh): bazel test //..."
./tools/bazel7.sh test //...

step "bzlmod consumer: rules_kas_alias through bazel_dep on Bazel 7.7.1 (examples/consumer_bzlmod)"
(cd examples/consumer_bzlmod && ../../tools/bazel7.sh test //... && ../../tools/bazel7.sh shutdown)

step "same input bytes, two Bazels: KasAlias* outputs of 4.2.3 and 7.7.1 byte-identical (tests/integration/bazel4_vs_7.sh)"
./tests/integration/bazel4_vs_7.sh
./tools/bazel7.sh shutdown

step "kernel end to end, x86_64: linux-source-6.1 and 6.12 (signatures enforced) built with KAS_ALIAS, booted under QEMU (examples/kernel:e2e)"
bazel test //examples/kernel:e2e

step "kernel end to end, arm64: linux-source-6.12 with Clang ThinLTO and kCFI, signatures enforced, booted under qemu-system-aarch64 (examples/kernel:e2e_arm64)"
bazel test //examples/kernel:e2e_arm64

step "integration: remote cache across checkouts, determinism, incremental rebuild (tests/integration/remote_cache.sh)"
./tests/integration/remote_cache.sh
