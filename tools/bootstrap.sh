#!/usr/bin/env bash
# Prepares a fresh Debian 12 (amd64) machine for everything the README's
# commands do. It reaches only Debian's archive, the Go module proxy and the
# npm registry. Idempotent and stamped: a second run only checks stamps.
#
#   apt:       bazel-bootstrap 4.2.3 (+ bazel-skylib, bazel-platforms), binutils,
#              gcc cross compilers, llvm and clang, compressors, nginx (remote cache test),
#              kernel build + QEMU boot packages, x86_64 and arm64 (examples/kernel)
#   Go proxy:  golang.org/toolchain@v0.0.1-go$GO_SDK_VERSION -> .bazeldeps/go_sdk (+ std .a, pack)
#              github.com/bazelbuild/rules_go@v0.34.0         -> .bazeldeps/rules_go (patched)
#              github.com/bazelbuild/bazel-gazelle@v0.39.1    -> .bazeldeps/bin/gazelle
#              go.mod's requirements                          -> vendor/ (for go test) and
#                                                                .bazeldeps/go_deps/<repo> (BUILD files by gazelle)
#   npm:       @bazel/buildifier@8.2.1                        -> .bazeldeps/bin/buildifier
#   generated: .bazeldeps/stubs/{rules_cc,rules_java,remote_coverage_tools}
set -euo pipefail

RULES_GO_VERSION=v0.34.0
GAZELLE_VERSION=v0.39.1 # v0.26 (rules_go 0.34's match) thinks maps, slices, cmp are third-party
GO_SDK_VERSION=1.26.8 # keep equal to go.mod's go line (rules_go 0.34 passes no -lang)
BUILDIFIER_VERSION=8.2.1

APT_PACKAGES=(
  bazel-bootstrap bazel-skylib bazel-platforms patch git ca-certificates
  binutils gcc libc6-dev llvm clang clang-19 lld-19 llvm-19 xz-utils zstd gzip
  gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-riscv64-linux-gnu
  gcc-s390x-linux-gnu gcc-powerpc-linux-gnu gcc-powerpc64le-linux-gnu gcc-mips-linux-gnu
  nginx-light time hyperfine
  make flex bison bc libelf-dev libssl-dev openssl cpio kmod qemu-system-x86 qemu-system-arm busybox-static
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="$ROOT/.bazeldeps"
mkdir -p "$DEPS/bin"
log() { printf 'bootstrap: %s\n' "$*" >&2; }

[ "$(uname -m)" = x86_64 ] || { log "only linux amd64 is set up"; exit 1; }
[ "$(sed -n 's/^go \(.*\)$/\1/p' "$ROOT/go.mod")" = "$GO_SDK_VERSION" ] ||
  { log "go.mod's go line must be $GO_SDK_VERSION (the SDK pinned here)"; exit 1; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

# --- 1. Debian packages -------------------------------------------------------
missing=()
installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null || true)"
for p in "${APT_PACKAGES[@]}"; do
  grep -q "^$p install ok installed$" <<<"$installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # nginx-light's package starts a system nginx on port 80; our test runs its own.
  $SUDO systemctl disable --now nginx >/dev/null 2>&1 || $SUDO service nginx stop >/dev/null 2>&1 || true
fi
ln -sfn /usr/share/bazel/tools/skylib "$DEPS/bazel_skylib"
ln -sfn /usr/share/bazel/tools/platforms "$DEPS/platforms"

# --- 2. Go modules ------------------------------------------------------------
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
# Print the module-cache directory of MODULE@VERSION, downloading it if needed.
moddir() {
  (cd "$SCRATCH" && GOFLAGS= GOWORK=off GOTOOLCHAIN=local GO111MODULE=on "$GO" mod download -json "$1") |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}
# Replace directory $1 by the finished temporary directory $2 (atomic enough:
# a crash leaves either the old tree or no stamp).
install_dir() { rm -rf "$1"; mv "$2" "$1"; }

# 2a. Go SDK, from the module proxy. rules_go v0.34.0 wants the standard
# library's .a files in GOROOT/pkg (not shipped since Go 1.20) and the pack
# tool (not shipped since Go 1.25): add both.
if [ ! -f "$DEPS/go_sdk/.bootstrap-$GO_SDK_VERSION" ]; then
  log "Go SDK $GO_SDK_VERSION"
  src="$(moddir "golang.org/toolchain@v0.0.1-go$GO_SDK_VERSION.linux-amd64")"
  [ -d "$src" ] || { log "cannot download the go$GO_SDK_VERSION toolchain module"; exit 1; }
  tmp="$DEPS/go_sdk.tmp"
  rm -rf "$tmp"
  cp -r "$src" "$tmp"
  chmod -R u+w "$tmp"
  chmod +x "$tmp"/bin/* "$tmp"/pkg/tool/linux_amd64/* # module zips drop file modes
  (
    cd "$tmp"
    export GOROOT="$tmp" GOTOOLCHAIN=local GOFLAGS= GOWORK=off CGO_ENABLED=1
    GODEBUG=installgoroot=all ./bin/go install std
    [ -x pkg/tool/linux_amd64/pack ] || ./bin/go build -o pkg/tool/linux_amd64/pack cmd/pack
  )
  touch "$tmp/.bootstrap-$GO_SDK_VERSION"
  install_dir "$DEPS/go_sdk" "$tmp"
fi
GOSDK="$DEPS/go_sdk/bin/go"
export GOTOOLCHAIN=local GOWORK=off

# 2b. rules_go, patched for Go >= 1.20 SDKs (the patch file says why).
RULES_GO_PATCH="$ROOT/tools/rules_go-v0.34.0-go1.20.patch"
rules_go_stamp=".bootstrap-$RULES_GO_VERSION-$(sha256sum <"$RULES_GO_PATCH" | cut -c1-12)"
if [ ! -f "$DEPS/rules_go/$rules_go_stamp" ]; then
  log "rules_go $RULES_GO_VERSION"
  src="$(moddir "github.com/bazelbuild/rules_go@$RULES_GO_VERSION")"
  [ -d "$src" ] || { log "cannot download rules_go $RULES_GO_VERSION"; exit 1; }
  tmp="$DEPS/rules_go.tmp"
  rm -rf "$tmp"
  cp -r "$src" "$tmp"
  chmod -R u+w "$tmp"
  patch -s -p1 -d "$tmp" <"$RULES_GO_PATCH"
  touch "$tmp/$rules_go_stamp"
  install_dir "$DEPS/rules_go" "$tmp"
fi

# 2c. Gazelle, built with the SDK above (for `bazel run //:gazelle`).
if [ ! -f "$DEPS/bin/.gazelle-$GAZELLE_VERSION" ]; then
  log "gazelle $GAZELLE_VERSION"
  rm -f "$DEPS"/bin/.gazelle-*
  (cd "$SCRATCH" && GOBIN="$DEPS/bin" GOFLAGS=-trimpath "$GOSDK" install \
    "github.com/bazelbuild/bazel-gazelle/cmd/gazelle@$GAZELLE_VERSION")
  touch "$DEPS/bin/.gazelle-$GAZELLE_VERSION"
fi

# 2d. Third-party Go packages. go test reads vendor/ (GOFLAGS=-mod=vendor).
# Bazel (WORKSPACE mode; go_repository cannot fetch offline) gets one local
# repository per module in vendor/modules.txt, named as gazelle's go_deps
# names them under bzlmod (github.com/klauspost/compress ->
# @com_github_klauspost_compress), so one set of BUILD files under tool/ works
# in both modes: .bazeldeps/go_deps/<repo>/ holds the module's vendored
# packages with BUILD files by gazelle, deps.bzl declares them all (WORKSPACE
# calls it), repo_config names them for gazelle (tools/gazelle.sh).
GO_DEPS_LAYOUT=1 # raise when what this step writes changes
go_deps_stamp="$DEPS/go_deps/.bootstrap-$GO_DEPS_LAYOUT-$(cat "$ROOT/go.mod" "$ROOT/go.sum" | sha256sum | cut -c1-12)"
if [ ! -f "$go_deps_stamp" ]; then
  log "vendor/ and .bazeldeps/go_deps for go.mod's requirements"
  (cd "$ROOT" && GOFLAGS=-mod=mod "$GOSDK" mod vendor)
  tmp="$DEPS/go_deps.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # go_deps' repository names: host labels reversed, then the path, every
  # other character an underscore, lower case.
  repo_name() { awk -F/ '{ n = split($1, h, "."); s = h[n]; for (i = n - 1; i >= 1; i--) s = s "_" h[i];
    for (i = 2; i <= NF; i++) s = s "_" $i; s = tolower(s); gsub(/[^a-z0-9_]/, "_", s); print s }' <<<"$1"; }
  # modules.txt: "# MODULE VERSION" starts a module, then its packages, one a line.
  mapfile -t modules < <(awk '$1 == "#" { print $2 }' "$ROOT/vendor/modules.txt")
  {
    echo '# Generated by tools/bootstrap.sh from vendor/modules.txt: the repositories gazelle resolves imports to.'
    for m in "${modules[@]}"; do printf 'go_repository(name = "%s", importpath = "%s")\n' "$(repo_name "$m")" "$m"; done
  } >"$tmp/repo_config"
  mod=""
  while read -r first second _; do
    case "$first" in
      "#") mod="$second" && mkdir -p "$tmp/$(repo_name "$mod")" ;;
      "##") ;;
      *) # a package of $mod: its files (not its subdirectories, which are other packages or unused)
        dst="$tmp/$(repo_name "$mod")/${first#"$mod"}"
        mkdir -p "$dst"
        find "$ROOT/vendor/$first" -maxdepth 1 -type f ! -name 'BUILD*' -exec cp {} "$dst/" \; ;;
    esac
  done <"$ROOT/vendor/modules.txt"
  {
    echo '"""Generated by tools/bootstrap.sh from vendor/modules.txt: the modules of go.mod as repositories."""'
    echo
    echo 'def _go_module_impl(rctx):'
    echo '    src = rctx.path(Label("//:deps.bzl")).dirname.get_child(rctx.attr.name)'
    echo '    for f in src.readdir():'
    echo '        rctx.symlink(f, f.basename)'
    echo
    echo '_go_module = repository_rule(implementation = _go_module_impl, local = True)'
    echo
    echo 'def go_dependencies():'
    echo '    """Declares one repository per module."""'
    for m in "${modules[@]}"; do
      r="$(repo_name "$m")"
      printf 'workspace(name = "%s")\n' "$r" >"$tmp/$r/WORKSPACE"
      "$DEPS/bin/gazelle" -repo_root "$tmp/$r" -go_prefix "$m" -external=external -repo_config "$tmp/repo_config" \
        -go_naming_convention=import -go_naming_convention_external=import "$tmp/$r"
      printf '    _go_module(name = "%s")\n' "$r"
    done
    [ ${#modules[@]} -gt 0 ] || echo '    pass'
  } >"$tmp/deps.bzl"
  printf 'workspace(name = "kas_alias_go_deps")\n' >"$tmp/WORKSPACE"
  : >"$tmp/BUILD.bazel"
  touch "$tmp/${go_deps_stamp##*/}"
  install_dir "$DEPS/go_deps" "$tmp"
fi

# --- 3. buildifier, from npm (the package ships the binary) -------------------
if [ ! -f "$DEPS/bin/.buildifier-$BUILDIFIER_VERSION" ]; then
  log "buildifier $BUILDIFIER_VERSION"
  rm -rf "$DEPS/npm"
  npm install --silent --no-audit --no-fund --prefix "$DEPS/npm" "@bazel/buildifier@$BUILDIFIER_VERSION" >/dev/null
  ln -sfn "$DEPS/npm/node_modules/@bazel/buildifier/buildifier-linux_amd64" "$DEPS/bin/buildifier"
  chmod +x "$DEPS/npm/node_modules/@bazel/buildifier/buildifier-linux_amd64"
  "$DEPS/bin/buildifier" --version >/dev/null
  touch "$DEPS/bin/.buildifier-$BUILDIFIER_VERSION"
fi

# --- 4. Stub repositories -----------------------------------------------------
# Bazel 4.2.3's built-in WORKSPACE suffix http_archives rules_cc, rules_java and
# remote_coverage_tools (needed by every cc_* rule and every test). These stubs
# forward to the native rules, as Debian's own build of Bazel does.
stub() { # stub REPO PATH CONTENT
  mkdir -p "$(dirname "$DEPS/stubs/$1/$2")"
  printf '%s\n' "$3" >"$DEPS/stubs/$1/$2.tmp"
  mv "$DEPS/stubs/$1/$2.tmp" "$DEPS/stubs/$1/$2"
}
forwarders() { for r in "$@"; do printf 'def %s(**kwargs):\n    native.%s(**kwargs)\n\n' "$r" "$r"; done; }
stub rules_cc WORKSPACE 'workspace(name = "rules_cc")'
stub rules_cc BUILD ''
stub rules_cc cc/BUILD ''
stub rules_cc cc/defs.bzl "\"\"\"Stub of rules_cc: forwards to Bazel's native rules.\"\"\"

$(forwarders cc_binary cc_import cc_library cc_proto_library cc_test cc_toolchain \
  cc_toolchain_suite fdo_prefetch_hints fdo_profile objc_import objc_library)"
stub rules_java WORKSPACE 'workspace(name = "rules_java")'
stub rules_java BUILD ''
stub rules_java java/BUILD ''
stub rules_java java/defs.bzl "\"\"\"Stub of rules_java: forwards to Bazel's native rules.\"\"\"

$(forwarders java_binary java_import java_library java_lite_proto_library \
  java_package_configuration java_plugin java_proto_library java_runtime java_test java_toolchain)"
stub remote_coverage_tools WORKSPACE 'workspace(name = "remote_coverage_tools")'
stub remote_coverage_tools BUILD '# Stub: `bazel coverage` is not supported offline.
package(default_visibility = ["//visibility:public"])

filegroup(name = "coverage_report_generator")

filegroup(name = "lcov_merger")'

log "ready: bazel $(dpkg-query -W -f='${Version}' bazel-bootstrap), go$GO_SDK_VERSION, rules_go $RULES_GO_VERSION, gazelle $GAZELLE_VERSION, buildifier $BUILDIFIER_VERSION"
