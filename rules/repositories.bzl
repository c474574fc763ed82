"""What a consumer's WORKSPACE calls to use rules_kas_alias.

The rules need rules_go (to build the tool from source) and bazel_skylib; a
consumer that registers a prebuilt kas_alias toolchain needs no Go SDK.
"""

# buildifier: disable=unnamed-macro
def kas_alias_register_toolchains():
    """Registers the default toolchain: kas_alias built from source with rules_go."""
    native.register_toolchains(str(Label("//rules:default_toolchain")))
