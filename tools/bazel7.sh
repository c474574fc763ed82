#!/usr/bin/env bash
# Bazel 7.7.1 with bzlmod on this checkout: Debian sid's bazel-bootstrap, run
# in a sid root file system (it needs glibc >= 2.38 and libstdc++ >= 14, which
# Debian 12 does not have), with an offline file registry.
#
#   tools/bazel7.sh ARGS...     bazel ARGS in the current directory (inside this checkout),
#                               with --enable_bzlmod --noenable_workspace (Bazel 8's defaults)
#   tools/bazel7.sh --prepare   only prepare (the steps below), then print the versions
#   tools/bazel7.sh --shell     an interactive shell in the root, in the current directory
#
# On first use, idempotently and stamped ($B7/stamps; a prepared root costs a
# few stat calls), under ${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}/bazel7 ($B7):
#   sid/                 debootstrap --variant=minbase sid, then bazel-bootstrap, bazel-rules-shell
#                        and the compilers and tools the tests run (SID_PACKAGES)
#   sid/usr/local/go     the Go SDK tools/bootstrap.sh took from the Go module proxy
#   sid/opt/bazel-offline/
#     modules/           rules_go and gazelle from the Go module proxy (RULES_GO_VERSION, GAZELLE_VERSION)
#     stubs/             empty modules for what @bazel_tools's graph names but nothing here uses
#                        (protobuf, zlib, apple_support, buildozer), and package_metadata
#     registry/          a file registry of the modules Debian does not override: rules_go, gazelle,
#                        rules_shell (Debian's), package_metadata (stub)
#     gomodcache/        the Go modules gazelle's go_repository rules read (GOPROXY=off): gazelle's
#                        own dependencies and go.mod's requirements
#   sid/etc/bazel.bazelrc  the flags for all of it (Debian's /etc/bazel/bazelrc imports it)
# Reaches only Debian's archive (debootstrap, apt-get) and the Go module proxy
# (go mod download on the host); Bazel itself downloads nothing.
#
# Each call runs in a private mount namespace: /proc, /dev, /sys and this
# checkout (at its own path) are mounted into the root for that call and the
# Bazel server it starts, never in the host's mount table. No convenience
# symlinks (--symlink_prefix=/) and no MODULE.bazel.lock (--lockfile_mode=off)
# are written into the checkout; outputs are in the root's output base
# ($B7/sid/root/.cache/bazel). `tools/bazel7.sh shutdown` ends the server.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}"
if [ "$(id -u)" != 0 ]; then # debootstrap, mount and chroot need root
  exec sudo --preserve-env=TERM,CI KAS_ALIAS_CACHE="$CACHE" "$0" "$@"
fi
B7="$CACHE/bazel7"
SID="$B7/sid"
STAMPS="$B7/stamps"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
OFFLINE=/opt/bazel-offline # in the root

BAZEL_VERSION=7.7.1
# rules_go 0.59.0 .. 0.63.0 work with Debian's bazel_features 1.11.0; 0.64 and
# later read feature flags only bazel_features >= 1.3x has.
RULES_GO_VERSION=0.59.0
# gazelle >= 0.50 keeps part of itself in a nested Go module (./v2) that the
# proxy serves separately; 0.53.0 is the newest whose tree matches a published
# v2 (v2.0.0-3): 0.54.0's main.go needs an unpublished one.
GAZELLE_VERSION=0.53.0
GAZELLE_V2_VERSION=v2.0.0-3
SID_PACKAGES=(
  bazel-bootstrap bazel-rules-shell
  gcc libc6-dev binutils llvm clang lld xz-utils zstd gzip openssl libssl-dev
  gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-riscv64-linux-gnu
  gcc-s390x-linux-gnu gcc-powerpc-linux-gnu gcc-powerpc64le-linux-gnu gcc-mips-linux-gnu
)

NICE=(nice -n 10)
log() { printf 'bazel7: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}
[ "$(uname -m)" = x86_64 ] || die "only linux amd64 is set up"
case "$PWD/" in "$ROOT"/*) ;; *) die "run me inside the checkout $ROOT (it is what the root sees)" ;; esac

stamp_ok() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp() { printf '%s\n' "$2" >"$STAMPS/$1"; }
timed() { # timed LABEL CMD...
  local label="$1" t0=$SECONDS
  shift
  "$@"
  log "$label: $((SECONDS - t0)) s"
}

# in_root DIR CMD...: CMD as root in the sid root, in DIR, with a fixed
# environment (/usr/local/bin/b7env). A call for a workspace whose Bazel server
# runs joins that server's mount namespace: the client checks that the
# server's working directory is its output base, which it sees only through
# the same mounts. Other calls get a mount namespace of their own.
in_root() {
  local dir="$1" pid
  shift
  pid="$(server_pid "$dir")"
  if [ -n "$pid" ]; then
    nsenter --mount="/proc/$pid/ns/mnt" -- chroot "$SID" /usr/local/bin/b7env /bin/sh -c 'cd "$0" && exec "$@"' "$dir" "$@"
    return
  fi
  # The cache too, read-only: .bazeldeps links to the kernel source
  # tarballs there (tools/fetch-kernel-source.sh).
  unshare --mount --propagation private -- /bin/sh -euc '
    sid="$1" root="$2" dir="$3" cache="$4"
    shift 4
    mount -t proc proc "$sid/proc"
    mount --rbind /dev "$sid/dev"
    mount --rbind /sys "$sid/sys"
    mkdir -p "$sid$root" "$sid$cache"
    mount --bind "$root" "$sid$root"
    mount --bind -o ro "$cache" "$sid$cache"
    exec chroot "$sid" /usr/local/bin/b7env /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$dir" "$@"
  ' b7 "$SID" "$ROOT" "$dir" "$CACHE" "$@"
}

# server_pid DIR: the pid of the live Bazel server of DIR's workspace in the
# root, if any (its output base is named by the MD5 of the workspace path).
server_pid() {
  local ws="$1" pid
  while [ "$ws" != / ] && ! [ -e "$ws/MODULE.bazel" ] && ! [ -e "$ws/WORKSPACE" ] && ! [ -e "$ws/WORKSPACE.bazel" ] && ! [ -e "$ws/REPO.bazel" ]; do
    ws="$(dirname "$ws")"
  done
  pid="$(cat "$SID/root/.cache/bazel/_bazel_root/$(printf %s "$ws" | md5sum | cut -c1-32)/server/server.pid.txt" 2>/dev/null)" || return 0
  [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$SID" ] && echo "$pid"
  return 0
}

# --- the root file system ------------------------------------------------------
step_debootstrap() {
  stamp_ok debootstrap "sid $MIRROR" && return
  command -v debootstrap >/dev/null || {
    log "apt-get install debootstrap (host)"
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  }
  # Nothing is mounted there outside a call's own namespace: removing is safe.
  rm -rf "$SID" "$SID.tmp"
  log "debootstrap --variant=minbase sid"
  timed debootstrap "${NICE[@]}" debootstrap --variant=minbase sid "$SID.tmp" "$MIRROR" >"$B7/debootstrap.log"
  mv "$SID.tmp" "$SID"
  rm -f "$STAMPS"/*
  stamp debootstrap "sid $MIRROR"
}

step_apt() {
  local key="${SID_PACKAGES[*]}"
  stamp_ok apt "$key" && return
  # This mirror's Release files can be older than their Valid-Until; the
  # packages are still signed and checked.
  echo 'Acquire::Check-Valid-Until "false";' >"$SID/etc/apt/apt.conf.d/90b7-no-valid-until"
  echo 'APT::Install-Recommends "false";' >"$SID/etc/apt/apt.conf.d/90b7-no-recommends"
  cp /etc/resolv.conf "$SID/etc/resolv.conf"
  write_wrapper
  log "apt-get install ${#SID_PACKAGES[@]} packages in the root (about 1 GB)"
  in_root / apt-get update -qq
  timed apt-get in_root / env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${SID_PACKAGES[@]}" >"$B7/apt.log"
  in_root / apt-get clean
  local v
  v="$(in_root / bazel --version)"
  [ "$v" = "bazel $BAZEL_VERSION" ] || die "sid's bazel-bootstrap is '$v', not $BAZEL_VERSION: the registry and flags here are for $BAZEL_VERSION"
  stamp apt "$key"
}

# The fixed environment of every command in the root.
write_wrapper() {
  cat >"$SID/usr/local/bin/b7env.tmp" <<EOF
#!/bin/sh
# Written by tools/bazel7.sh: the environment of every command in this root.
exec env -i HOME=/root PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
  TERM="\${TERM:-dumb}" LANG=C.UTF-8 GOTOOLCHAIN=local ${NICE[*]} "\$@"
EOF
  chmod +x "$SID/usr/local/bin/b7env.tmp"
  mv "$SID/usr/local/bin/b7env.tmp" "$SID/usr/local/bin/b7env"
}

# The Go SDK of tools/bootstrap.sh (Go module proxy), for go_sdk.host() and
# for gazelle's repository rules.
GO_SDK="$ROOT/.bazeldeps/go_sdk"
GO="$GO_SDK/bin/go"
step_go_sdk() {
  local want
  want="$(sed -n 's/^go \(.*\)$/\1/p' "$ROOT/go.mod")"
  [ -f "$GO_SDK/.bootstrap-$want" ] || "$ROOT/tools/bootstrap.sh"
  local key
  key="$("$GO" version) $(cat "$GO_SDK"/.bootstrap-*)"
  stamp_ok go_sdk "$key" && return
  log "Go SDK: $("$GO" version) -> /usr/local/go"
  rm -rf "$SID/usr/local/go.tmp"
  cp -a "$GO_SDK" "$SID/usr/local/go.tmp"
  rm -rf "$SID/usr/local/go"
  mv "$SID/usr/local/go.tmp" "$SID/usr/local/go"
  stamp go_sdk "$key"
}

# --- rules_go and gazelle from the Go module proxy ------------------------------
host_go() { (cd "$B7/gomod" && env -u GOFLAGS GOFLAGS=-modcacherw GOTOOLCHAIN=local GOWORK=off "${NICE[@]}" "$GO" "$@"); }
moddir() { host_go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }
# copy_module SRC DST: a module-cache directory -> a writable copy (module
# zips drop file modes: scripts get their x bit back).
copy_module() {
  rm -rf "$2.tmp"
  cp -r "$1" "$2.tmp"
  chmod -R u+w "$2.tmp"
  find "$2.tmp" -name '*.sh' -exec chmod +x {} +
  rm -rf "$2"
  mv "$2.tmp" "$2"
}

step_modules() {
  local key="rules_go $RULES_GO_VERSION gazelle $GAZELLE_VERSION $GAZELLE_V2_VERSION" m="$SID$OFFLINE/modules" src
  stamp_ok modules "$key" && return
  mkdir -p "$B7/gomod" "$m"
  log "Go proxy: rules_go v$RULES_GO_VERSION, gazelle v$GAZELLE_VERSION (+ v2 $GAZELLE_V2_VERSION)"
  src="$(moddir "github.com/bazelbuild/rules_go@v$RULES_GO_VERSION")"
  [ -d "$src" ] || die "no rules_go v$RULES_GO_VERSION from the Go proxy"
  copy_module "$src" "$m/rules_go"
  src="$(moddir "github.com/bazelbuild/bazel-gazelle@v$GAZELLE_VERSION")"
  [ -d "$src" ] || die "no gazelle v$GAZELLE_VERSION from the Go proxy"
  copy_module "$src" "$m/gazelle.new"
  # The nested module ./v2 (go.work uses it) is not in the module zip. Its
  # go.sum is empty in the repository and absent from its zip; gazelle's
  # repository rule checks its file list (go_repository_tools_srcs.bzl).
  src="$(moddir "github.com/bazel-contrib/bazel-gazelle/v2@$GAZELLE_V2_VERSION")"
  [ -d "$src" ] || die "no gazelle/v2 $GAZELLE_V2_VERSION from the Go proxy"
  copy_module "$src" "$m/gazelle.new/v2"
  : >"$m/gazelle.new/v2/go.sum"
  (cd "$m/gazelle.new" && env -u GOFLAGS GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod "$GO" run internal/list_repository_tools_srcs.go \
    -dir="$PWD" -check=internal/go_repository_tools_srcs.bzl) ||
    die "gazelle v$GAZELLE_VERSION and v2 $GAZELLE_V2_VERSION do not match (pick the v2 its go.mod requires)"
  rm -rf "$m/gazelle"
  mv "$m/gazelle.new" "$m/gazelle"
  rm -f "$STAMPS/gomodcache" "$STAMPS/gomodcache_project"
  stamp modules "$key"
}

# Gazelle's go_repository rules run `go mod download`; with GOPROXY=off they
# read this module cache. First what building gazelle itself needs, at the
# versions go_deps picks (the highest rules_go's or gazelle's go.mod asks for).
step_gomodcache() {
  local key="gazelle $GAZELLE_VERSION rules_go $RULES_GO_VERSION" g="$SID$OFFLINE/modules/gazelle" cache="$SID$OFFLINE/gomodcache"
  stamp_ok gomodcache "$key" && return
  log "Go module cache for gazelle's go_repository rules"
  rm -rf "$cache.tmp"
  local mods
  mods="$(cd "$g" && env -u GOFLAGS GOMODCACHE="$cache.tmp" GOFLAGS=-modcacherw GOTOOLCHAIN=local GOWORK="$g/go.work" "${NICE[@]}" "$GO" list -deps \
    -f '{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}' \
    github.com/bazel-contrib/bazel-gazelle/v2/cmd/gazelle ./cmd/gazelle ./cmd/fetch_repo ./cmd/generate_repo_config | sort -u)"
  # buildtools' BUILD files run goyacc from golang.org/x/tools.
  mods="$mods golang.org/x/tools"
  local want=() mod v
  for mod in $mods; do
    v="$(awk -v m="$mod" '$1 == m && $2 ~ /^v/ {print $2} $1 == "require" && $2 == m {print $3}' \
      "$g/go.mod" "$SID$OFFLINE/modules/rules_go/go.mod" | sort -V | tail -1)"
    [ -n "$v" ] && want+=("$mod@$v")
  done
  GOMODCACHE="$cache.tmp" host_go mod download "${want[@]}"
  rm -rf "$cache"
  mv "$cache.tmp" "$cache"
  rm -f "$STAMPS/gomodcache_project"
  stamp gomodcache "$key"
}

# Then go.mod's requirements (go_deps in MODULE.bazel reads go.mod): the stamp
# follows go.mod and go.sum.
step_gomodcache_project() {
  local key
  key="$(cat "$ROOT/go.mod" "$ROOT/go.sum" | sha256sum | cut -c1-16)"
  stamp_ok gomodcache_project "$key" && return
  log "Go module cache: go.mod's requirements"
  (cd "$ROOT" && env -u GOFLAGS GOMODCACHE="$SID$OFFLINE/gomodcache" GOFLAGS=-modcacherw GOTOOLCHAIN=local GOWORK=off \
    "${NICE[@]}" "$GO" mod download all)
  stamp gomodcache_project "$key"
}

# --- stand-ins for modules in @bazel_tools's graph that Debian does not package --
# Debian's /etc/bazel/bazelrc overrides platforms, rules_java, rules_cc,
# bazel_features, bazel_skylib, rules_license, rules_python and rules_proto
# with its packages in /usr/share/bazel. @bazel_tools also depends on
# protobuf, zlib, buildozer and apple_support, which no build here uses;
# gazelle depends on package_metadata, whose rule it declares in every
# go_repository.
write_stubs() {
  local s="$SID$OFFLINE/stubs" n
  rm -rf "$s.tmp"
  for n in protobuf zlib apple_support buildozer package_metadata; do
    mkdir -p "$s.tmp/$n"
    printf '# Offline stand-in written by tools/bazel7.sh.\nmodule(name = "%s", version = "0.0.0-offline-stub")\n' "$n" >"$s.tmp/$n/MODULE.bazel"
    : >"$s.tmp/$n/BUILD.bazel"
  done
  cat >"$s.tmp/buildozer/buildozer_binary.bzl" <<'EOF'
"""Stand-in: @bazel_tools uses buildozer only for `bazel mod tidy`."""

def _empty_repo_impl(rctx):
    rctx.file("BUILD.bazel", "")

_empty_repo = repository_rule(implementation = _empty_repo_impl)

def _buildozer_binary_impl(_mctx):
    _empty_repo(name = "buildozer_binary")

buildozer_binary = module_extension(implementation = _buildozer_binary_impl)
EOF
  mkdir -p "$s.tmp/package_metadata/providers" "$s.tmp/package_metadata/rules"
  printf 'exports_files(glob(["*.bzl"]))\n' >"$s.tmp/package_metadata/providers/BUILD.bazel"
  printf 'exports_files(glob(["*.bzl"]))\n' >"$s.tmp/package_metadata/rules/BUILD.bazel"
  cat >"$s.tmp/package_metadata/providers/package_metadata_info.bzl" <<'EOF'
"""Stand-in for package_metadata's provider (no target here provides it)."""

PackageMetadataInfo = provider(
    doc = "Offline stand-in.",
    fields = ["metadata", "purl"],
)
EOF
  cat >"$s.tmp/package_metadata/rules/package_metadata.bzl" <<'EOF'
"""Stand-in for package_metadata's rule, which gazelle declares in every go_repository.

It records nothing and provides no PackageMetadataInfo, so rules_go embeds no
package metadata.
"""

def _package_metadata_impl(_ctx):
    return []

_package_metadata = rule(
    implementation = _package_metadata_impl,
    attrs = {
        "attributes": attr.label_list(),
        "purl": attr.string(),
    },
)

def package_metadata(name, **kwargs):
    # As rules_license's rules do: the package's default metadata (this very
    # target) must not apply to itself.
    _package_metadata(name = name, applicable_licenses = [], **kwargs)
EOF
  rm -rf "$s"
  mv "$s.tmp" "$s"
}

# --- the registry ----------------------------------------------------------------
# A module outside a graph cannot be --override_module'd from a global
# bazelrc (Bazel 7 refuses overrides of nonexistent modules), so these come
# from a file registry: each served at every version that any module here asks
# for in a non-dev bazel_dep (Bazel reads the MODULE.bazel of each, then picks
# the highest), all pointing at the one local directory.
SERVED=(
  "rules_go@$RULES_GO_VERSION=$OFFLINE/modules/rules_go"
  "gazelle@$GAZELLE_VERSION=$OFFLINE/modules/gazelle"
  "rules_shell=/usr/share/bazel/rules/shell"
  "package_metadata=$OFFLINE/stubs/package_metadata"
)

# wanted_versions NAME FILE...: the versions of NAME that the MODULE.bazel
# FILEs ask for in non-dev bazel_dep calls.
wanted_versions() {
  local name="$1"
  shift
  awk -v want="$name" '
    { sub(/#.*/, ""); text = text $0 " " }
    END {
      while (match(text, /bazel_dep\([^)]*\)/)) {
        call = substr(text, RSTART, RLENGTH); text = substr(text, RSTART + RLENGTH)
        if (call ~ /dev_dependency *= *True/) continue
        if (!match(call, /name *= *"[^"]*"/)) continue
        n = substr(call, RSTART, RLENGTH); sub(/^name *= *"/, "", n); sub(/"$/, "", n)
        if (n != want || !match(call, /version *= *"[^"]*"/)) continue
        v = substr(call, RSTART, RLENGTH); sub(/^version *= *"/, "", v); sub(/"$/, "", v)
        print v
      }
    }' "$@"
}

# with_version VERSION < MODULE.bazel: the file with its module() version set.
with_version() {
  local text pre rest body post re='version *= *"[^"]*"'
  text="$(cat)"
  pre="${text%%module(*}" rest="${text#*module(}"
  body="${rest%%)*}" post="${rest#*)}"
  if [[ $body =~ $re ]]; then
    body="${body/"${BASH_REMATCH[0]}"/version = \"$1\"}"
  else
    body="version = \"$1\", $body"
  fi
  printf '%smodule(%s)%s\n' "$pre" "$body" "$post"
}

write_registry() {
  local reg="$SID$OFFLINE/registry" entry name dir pinned v versions scan=()
  rm -rf "$reg.tmp"
  mkdir -p "$reg.tmp/modules"
  echo '{}' >"$reg.tmp/bazel_registry.json"
  # Every MODULE.bazel of a module that can be in a graph here: Debian's
  # packaged modules, the served ones, this checkout's.
  mapfile -t scan < <(find "$SID/usr/share/bazel" -maxdepth 4 -name MODULE.bazel)
  for entry in "${SERVED[@]}"; do scan+=("$SID${entry#*=}/MODULE.bazel"); done
  mapfile -t -O "${#scan[@]}" scan < <(find "$ROOT" -name MODULE.bazel -not -path '*/.bazeldeps/*' -not -path '*/bazel-*')
  for entry in "${SERVED[@]}"; do
    name="${entry%%=*}" dir="${entry#*=}"
    pinned=""
    case "$name" in *@*) pinned="${name#*@}" name="${name%@*}" ;; esac
    mapfile -t versions < <({ [ -z "$pinned" ] || echo "$pinned"; wanted_versions "$name" "${scan[@]}"; } | sort -uV)
    [ ${#versions[@]} -gt 0 ] || versions=(0.0.0)
    for v in "${versions[@]}"; do
      mkdir -p "$reg.tmp/modules/$name/$v"
      with_version "$v" <"$SID$dir/MODULE.bazel" >"$reg.tmp/modules/$name/$v/MODULE.bazel"
      printf '{"type": "local_path", "path": "%s"}\n' "$dir" >"$reg.tmp/modules/$name/$v/source.json"
    done
    printf '{"homepage": "", "maintainers": [], "versions": [%s], "yanked_versions": {}}\n' \
      "$(printf '"%s",' "${versions[@]}" | sed 's/,$//')" >"$reg.tmp/modules/$name/metadata.json"
  done
  rm -rf "$reg"
  mv "$reg.tmp" "$reg"
}

# Read by Debian's /etc/bazel/bazelrc (try-import /etc/bazel.bazelrc).
write_bazelrc() {
  cat >"$SID/etc/bazel.bazelrc.tmp" <<EOF
# Written by tools/bazel7.sh: offline bzlmod. Debian's /etc/bazel/bazelrc
# (which imports this file at its end) overrides the modules Debian packages.
common --enable_bzlmod
common --noenable_workspace
# Only the local registry, never the Bazel Central Registry.
common --registry=file://$OFFLINE/registry
# In every graph (@bazel_tools depends on them), so they can be overridden here.
common --override_module=protobuf=$OFFLINE/stubs/protobuf
common --override_module=zlib=$OFFLINE/stubs/zlib
common --override_module=buildozer=$OFFLINE/stubs/buildozer
common --override_module=apple_support=$OFFLINE/stubs/apple_support
common --repository_disable_download
# The lock file would record this root's registry paths in the checkout.
common --lockfile_mode=off
# Convenience symlinks in the checkout would point into this root.
build --symlink_prefix=/
# Shared by the output bases of this module and examples/consumer_bzlmod (the
# Go standard library, go_deps' packages).
build --disk_cache=/root/.cache/bazel-disk-cache
# Gazelle's go_repository rules run \`go mod download\`: from the prepared cache only.
common --repo_env=GOPROXY=off
common --repo_env=GOSUMDB=off
common --repo_env=GO_REPOSITORY_USE_HOST_MODCACHE=1
common --repo_env=GOMODCACHE=$OFFLINE/gomodcache
EOF
  mv "$SID/etc/bazel.bazelrc.tmp" "$SID/etc/bazel.bazelrc"
}

prepare() {
  mkdir -p "$STAMPS"
  exec 9>"$B7/lock"
  flock 9
  local t0=$SECONDS
  step_debootstrap
  step_apt
  write_wrapper
  step_go_sdk
  step_modules
  step_gomodcache
  step_gomodcache_project
  # Cheap: written on every call, so they always match this script.
  write_stubs
  write_registry
  write_bazelrc
  flock -u 9
  [ $((SECONDS - t0)) -lt 5 ] || log "prepared in $((SECONDS - t0)) s"
}

versions() {
  in_root / sh -c 'bazel --version; go version; dpkg-query -W -f "\${Package} \${Version}\n" \
    bazel-bootstrap bazel-rules-shell bazel-skylib bazel-platforms bazel-rules-cc bazel-features \
    libc6 gcc-16 binutils llvm clang openjdk-25-jre-headless 2>/dev/null; \
    for c in aarch64-linux-gnu arm-linux-gnueabihf riscv64-linux-gnu s390x-linux-gnu powerpc-linux-gnu mips-linux-gnu; do \
      printf "%s %s\n" "$c-gcc" "$($c-gcc -dumpfullversion)"; done'
  echo "rules_go $RULES_GO_VERSION, gazelle $GAZELLE_VERSION (v2 $GAZELLE_V2_VERSION), from the Go module proxy"
  echo "registry: $(cd "$SID$OFFLINE/registry/modules" && for m in *; do printf '%s %s; ' "$m" "$(ls "$m" | grep -v metadata.json | tr '\n' ' ')"; done)"
}

prepare
case "${1:-}" in
  --prepare) versions ;;
  --shell) in_root "$PWD" bash -i ;;
  "") die "usage: tools/bazel7.sh ARGS... | --prepare | --shell" ;;
  *) in_root "$PWD" bazel "$@" ;;
esac
