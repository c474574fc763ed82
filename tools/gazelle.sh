#!/bin/sh
# Runs the gazelle that tools/bootstrap.sh built into .bazeldeps/bin, with
# third-party packages resolved to the vendor/ tree the bootstrap made.
set -eu
cd "${BUILD_WORKSPACE_DIRECTORY:?run me with: bazel run //:gazelle}"
exec ./.bazeldeps/bin/gazelle -repo_root . -external=vendored "$@"
