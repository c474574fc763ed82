# Shared by the integration tests (sourced, not run). They run Bazel
# themselves, in throw-away copies of the repository with their own output
# bases, so they cannot run inside `bazel test`; tools/test.sh runs them last.
#
# Knobs (environment):
#   KAS_IT_SOURCE   head (default): copies are `git archive HEAD` of this checkout.
#                   worktree: its tracked and untracked, not ignored files as they
#                   are now (to test uncommitted changes).
#   KAS_IT_TARGETS  what to build (default //examples/basic/...).
#   KAS_IT_TIMEOUT  seconds allowed for one Bazel command (default 900).
#   KAS_IT_KEEP=1   keep the temporary directory (logs, copies) for inspection.
# shellcheck shell=bash

IT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IT_EXECLOG="$IT_ROOT/tests/integration/execlog.py"
IT_PYTHON="$(command -v /usr/bin/python3 || command -v python3)"
IT_SOURCE="${KAS_IT_SOURCE:-head}"
read -r -a IT_TARGETS <<<"${KAS_IT_TARGETS:-//examples/basic/...}"
IT_TIMEOUT="${KAS_IT_TIMEOUT:-900}"
# Every build here: no disk cache (empty local caches), and no --sandbox_debug
# (Debian's /etc/bazel/bazelrc sets it: every action's sandbox tree would stay
# in the output base, 13,000 files for the basic example, 20 s to delete).
IT_FLAGS=(--disk_cache= --nosandbox_debug)
IT_TMP=""
IT_OUTPUT_BASES=()
IT_NGINX_PID=""
IT_FAILED=0

it_log() { printf '%s: [%3d s] %s\n' "$IT_NAME" "$((SECONDS - ${IT_START:-0}))" "$*"; }
it_fail() {
  printf '%s: FAIL: %s\n' "$IT_NAME" "$*" >&2
  IT_FAILED=1
}
it_die() {
  it_fail "$*"
  exit 1
}
execlog() { "$IT_PYTHON" "$IT_EXECLOG" "$@"; }

# it_init NAME: a temporary directory and the trap that removes it, stops
# every Bazel server and nginx started here, whatever happens.
it_init() {
  IT_NAME="$1"
  IT_START=$SECONDS
  command -v bazel >/dev/null || it_die "no bazel: run tools/bootstrap.sh"
  [ -d "$IT_ROOT/.bazeldeps/go_sdk" ] && [ -d "$IT_ROOT/.bazeldeps/go_deps" ] ||
    it_die "no .bazeldeps/: run tools/bootstrap.sh"
  IT_TMP="$(mktemp -d "${TMPDIR:-/tmp}/kas_alias_it.XXXXXX")"
  trap it_cleanup EXIT
  # No silent exit under set -e: say which command failed.
  set -E
  trap 'it_fail "line $LINENO: $BASH_COMMAND exited $?"' ERR
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

it_cleanup() {
  local rc=$? ob pid
  trap - EXIT INT TERM ERR
  set +e
  for ob in "${IT_OUTPUT_BASES[@]}"; do
    [ -d "$ob/server" ] || continue
    (cd "$IT_TMP" && timeout 60 bazel --nohome_rc --output_base="$ob" shutdown) >/dev/null 2>&1
    # A server that did not stop (its pid file is still there): it is ours.
    pid="$(cat "$ob/server/server.pid.txt" 2>/dev/null)"
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
  done
  if [ -n "$IT_NGINX_PID" ]; then
    kill "$IT_NGINX_PID" 2>/dev/null
    wait "$IT_NGINX_PID" 2>/dev/null
  fi
  it_log "cleaning up"
  if [ -n "$IT_TMP" ] && [ -d "$IT_TMP" ]; then
    if [ "${KAS_IT_KEEP:-0}" = 1 ]; then
      it_log "kept $IT_TMP"
    else
      chmod -R u+w "$IT_TMP" 2>/dev/null
      rm -rf "$IT_TMP"
    fi
  fi
  [ "$rc" = 0 ] && [ "$IT_FAILED" = 1 ] && rc=1
  if [ "$rc" = 0 ]; then
    it_log "PASS ($((SECONDS - IT_START)) s)"
  else
    it_log "FAILED (exit $rc, $((SECONDS - IT_START)) s)"
  fi
  exit "$rc"
}

# it_snapshot: the source every copy is made from, taken once so that all
# copies are the same even while someone edits the checkout.
it_snapshot() {
  IT_SNAPSHOT="$IT_TMP/source.tar"
  case "$IT_SOURCE" in
  head)
    git -C "$IT_ROOT" archive --format=tar HEAD >"$IT_SNAPSHOT"
    IT_SOURCE_DESC="HEAD $(git -C "$IT_ROOT" rev-parse --short HEAD) (git archive)"
    ;;
  worktree)
    # Not what bootstrap or Bazel made (a symlinked .bazeldeps is not
    # matched by .gitignore's "/.bazeldeps/").
    (cd "$IT_ROOT" && git ls-files -z -co --exclude-standard |
      grep -zv -e '^\.bazeldeps' -e '^vendor/' -e '^bazel-' |
      tar --null -T - --ignore-failed-read -cf "$IT_SNAPSHOT" 2>/dev/null)
    IT_SOURCE_DESC="work tree of $IT_ROOT (tracked + untracked, not ignored)"
    ;;
  *) it_die "KAS_IT_SOURCE must be head or worktree, not $IT_SOURCE" ;;
  esac
}

# it_checkout DIR: a copy of the snapshot at DIR, with what tools/bootstrap.sh
# made in this checkout: .bazeldeps/ linked (local repositories, the Go
# modules among them; the Go SDK is found through it by absolute path).
it_checkout() {
  local dir="$1" sum
  [ -n "${IT_SNAPSHOT:-}" ] || it_snapshot
  mkdir -p "$dir"
  tar -C "$dir" -xf "$IT_SNAPSHOT"
  rm -rf "$dir/.bazeldeps" "$dir/vendor"
  ln -s "$IT_ROOT/.bazeldeps" "$dir/.bazeldeps"
  # .bazeldeps/go_deps must be the one for this copy's go.mod and go.sum.
  sum="$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-12)"
  compgen -G "$dir/.bazeldeps/go_deps/.bootstrap-*-$sum" >/dev/null ||
    it_die ".bazeldeps/go_deps was made for another go.mod/go.sum than the copy's: run tools/bootstrap.sh"
}

# it_bazel DIR OUTPUT_BASE LOG COMMAND ARGS...: Bazel in checkout DIR, bounded
# in time, its output in LOG (the end of it shown on failure). No ~/.bazelrc:
# a developer's own caches or flags must not leak in.
it_bazel() {
  local dir="$1" ob="$2" log="$3"
  shift 3
  case " ${IT_OUTPUT_BASES[*]} " in *" $ob "*) ;; *) IT_OUTPUT_BASES+=("$ob") ;; esac
  it_log "bazel $1 in ${dir#"$IT_TMP"/} (output base ${ob#"$IT_TMP"/})"
  if ! (cd "$dir" && timeout --kill-after=30 "$IT_TIMEOUT" \
    bazel --nohome_rc --output_base="$ob" --max_idle_secs=300 "$@") >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    it_die "bazel $1 failed in $dir (the end of its log is above; KAS_IT_KEEP=1 keeps $log)"
  fi
}

# it_shutdown DIR OUTPUT_BASE: stop a server no longer needed (memory).
it_shutdown() {
  (cd "$1" && timeout 60 bazel --nohome_rc --output_base="$2" shutdown) >/dev/null 2>&1 || true
  it_log "stopped the Bazel server of ${2#"$IT_TMP"/}"
}

# it_hash EXECROOT < paths: "sha256  path" for each execroot-relative path
# (each file under it, for a directory: a tree artifact).
it_hash() {
  local root="$1" p
  while IFS= read -r p; do
    [ -n "$p" ] || continue
    if [ -f "$root/$p" ]; then
      (cd "$root" && sha256sum -- "$p")
    elif [ -d "$root/$p" ]; then
      (cd "$root" && find "$p" -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum --)
      printf 'directory  %s\n' "$p"
    else
      printf 'missing  %s\n' "$p"
    fi
  done
}

# it_check OK MESSAGE: one line of a summary's checks; OK is 1 for a pass.
it_check() {
  if [ "$1" = 1 ]; then
    echo "  ok    $2"
  else
    echo "  FAIL  $2"
    IT_FAILED=1
  fi
}

# it_incremental DIR OUTPUT_BASE LOGS BAZEL_FLAGS...: after one module's
# source changes, only that module's rewrite (and the scan, which reads every
# module) runs again. DIR must have been built in OUTPUT_BASE with the same
# flags. Changes a constant in examples/basic/modules/nf-nat.c in DIR, builds
# //examples/basic/... again with an execution log (it lists every action
# Bazel ran or fetched; actions up to date in the action cache are not in
# it) and asserts from it: exactly one KasAliasScan and one KasAliasModule,
# which writes nf-nat.ko; configfs.ko neither compiled nor rewritten again.
it_incremental() {
  local dir="$1" ob="$2" logs="$3" src=examples/basic/modules/nf-nat.c edit t
  local scan mods mod_outs kas_hits compiled plans
  shift 3
  # The edit: the first integer initialiser of the module gets "+ 1"
  # (`static int depth = 4;` -> `static int depth = 4 + 1;`).
  cp "$dir/$src" "$logs/nf-nat.c.orig"
  sed -E -i '0,/= ([0-9]+);/s//= \1 + 1;/' "$dir/$src"
  ! cmp -s "$logs/nf-nat.c.orig" "$dir/$src" || it_die "$src has no '= N;' left to change: update it_incremental's edit"
  edit="$({ diff "$logs/nf-nat.c.orig" "$dir/$src" || true; } | sed -n 's/^> *//p')"
  t=$SECONDS
  it_bazel "$dir" "$ob" "$logs/incremental.log" build "$@" \
    --execution_log_json_file="$logs/incremental.json" //examples/basic/...
  t=$((SECONDS - t))
  scan="$(execlog count "$logs/incremental.json" KasAliasScan all)"
  mods="$(execlog count "$logs/incremental.json" KasAliasModule all)"
  kas_hits="$(execlog count "$logs/incremental.json" 'KasAlias.*' hit)"
  mod_outs="$(execlog outputs "$logs/incremental.json" KasAliasModule)"
  compiled="$(execlog outputs "$logs/incremental.json" CppCompile | grep '\.o$' || true)"
  plans="$(execlog outputs "$logs/incremental.json" KasAliasScan)"

  echo
  echo "=== incremental summary ==="
  echo "  checkout  $dir   output base $ob"
  echo "  edit      $src: $edit"
  echo "rebuild after the edit, $t s (every action that ran):"
  execlog summary "$logs/incremental.json"
  echo "  KasAliasModule ran for: $(echo ${mod_outs:-nothing})"
  echo "  compiled: $(echo ${compiled:-nothing})"
  echo "checks:"
  it_check "$(grep -q '/nf-nat\.pic\.o$\|/nf-nat\.o$' <<<"$compiled" && echo 1)" "the edit took effect: nf-nat.c compiled again"
  it_check "$([ "$scan" = 1 ] && [ "$kas_hits" = 0 ] && echo 1)" "KasAliasScan executed exactly once: $scan"
  it_check "$([ "$mods" = 1 ] && [ "$kas_hits" = 0 ] && grep -q '/nf-nat\.ko$' <<<"$mod_outs" && echo 1)" \
    "KasAliasModule executed exactly once, for nf-nat.ko: $mods"
  it_check "$(grep -q '/configfs\.ko\.plan\.json$' <<<"$plans" && ! grep -q 'configfs' <<<"$mod_outs$compiled" && echo 1)" \
    "configfs.ko (planned by the scan) neither compiled nor rewritten again"
}

# it_free_port: a TCP port free on 127.0.0.1 now.
it_free_port() {
  "$IT_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# it_nginx_start: nginx with WebDAV PUT serving $IT_TMP/cache on a free
# loopback port, as Bazel's HTTP cache (/ac/, /cas/). Sets IT_CACHE_URL.
it_nginx_start() {
  local d="$IT_TMP/nginx" port try
  command -v nginx >/dev/null || PATH="$PATH:/usr/sbin"
  command -v nginx >/dev/null || it_die "no nginx (nginx-light): run tools/bootstrap.sh"
  mkdir -p "$d/tmp" "$IT_TMP/cache"
  for try in 1 2 3 4 5; do
    port="$(it_free_port)"
    cat >"$d/nginx.conf" <<EOF
# Workers run as the user running the test (root by default would switch to nobody).
user $(id -un) $(id -gn);
worker_processes 1;
pid $d/nginx.pid;
daemon off;
error_log $d/error.log warn;
events { worker_connections 256; }
http {
  access_log $d/access.log;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:$port;
    root $IT_TMP/cache;
    log_not_found off;
    location / {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw;
    }
  }
}
EOF
    # Bounded even if this script is killed before its trap runs (timeout
    # passes the trap's TERM on to nginx).
    timeout --kill-after=10 "$((IT_TIMEOUT * 6))" \
      nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >>"$d/stderr.log" 2>&1 &
    IT_NGINX_PID=$!
    # Up within 10 s, WebDAV PUT works and GET returns what was PUT (python3,
    # not curl: bazel-bootstrap depends on python3, nothing here on curl).
    if "$IT_PYTHON" - "$port" "$IT_NGINX_PID" <<'PY'; then
import os, sys, time, urllib.request
url, pid = "http://127.0.0.1:%s/probe/x" % sys.argv[1], int(sys.argv[2])
urlopen = urllib.request.build_opener(urllib.request.ProxyHandler({})).open  # no http_proxy
for _ in range(50):
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)  # nginx exited (port taken?)
    try:
        urlopen(urllib.request.Request(url, data=b"probe", method="PUT"), timeout=5)
        break
    except OSError as e:
        if getattr(e, "code", None):
            sys.exit("nginx refuses PUT: %s" % e)
        time.sleep(0.2)
else:
    sys.exit("nginx does not answer on %s" % url)
if urlopen(url, timeout=5).read() != b"probe":
    sys.exit("nginx does not return what was PUT")
PY
      IT_CACHE_URL="http://127.0.0.1:$port"
      rm -rf "$IT_TMP/cache/probe"
      it_log "remote cache: nginx $(nginx -v 2>&1 | sed 's/.*\///') WebDAV at $IT_CACHE_URL (pid $IT_NGINX_PID)"
      return 0
    fi
    kill "$IT_NGINX_PID" 2>/dev/null || true
    wait "$IT_NGINX_PID" 2>/dev/null || true
    IT_NGINX_PID=""
    grep -q 'in use' "$d/error.log" "$d/stderr.log" 2>/dev/null ||
      it_die "nginx did not start: $(tail -n 5 "$d/error.log" "$d/stderr.log" 2>/dev/null)"
  done
  it_die "nginx: no free port after 5 tries"
}

# it_nginx_requests: what the cache server was asked, from its access log.
it_nginx_requests() {
  awk '$7 ~ "^/(ac|cas)/" { split($7, p, "/"); k = $6 " /" p[2] "/ " $9; n[k]++ }
       END { for (k in n) printf "    %-18s %5d\n", k, n[k] }' "$IT_TMP/nginx/access.log" |
    tr -d '"' | sort
}
