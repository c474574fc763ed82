"""Where examples/basic's sources are, seen from this module."""

# They compile as external/<rules_kas_alias's canonical name>/examples/basic/...,
# a name Bazel chooses (rules_kas_alias~ in 7, rules_kas_alias+ in 8).
BASIC_SRCTREE = Label("@rules_kas_alias//examples/basic:vmlinux").workspace_root + "/examples/basic"
