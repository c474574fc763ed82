"""The toolchain through which the rules get the kas_alias binary."""

KasAliasToolchainInfo = provider(
    doc = "The kas_alias binary the rules run.",
    fields = {
        "tool": "FilesToRunProvider of the kas_alias executable.",
    },
)

def _kas_alias_toolchain_impl(ctx):
    return [platform_common.ToolchainInfo(
        kas_alias = KasAliasToolchainInfo(tool = ctx.attr.tool[DefaultInfo].files_to_run),
    )]

kas_alias_toolchain = rule(
    implementation = _kas_alias_toolchain_impl,
    doc = """Declares a kas_alias binary for the `@rules_kas_alias//rules:toolchain_type`.

The default toolchain builds it from source with rules_go (pure Go, static). To
use a prebuilt binary instead, declare `kas_alias_toolchain(tool = "//path:kas_alias")`
with a `toolchain()` around it and register that before
`kas_alias_register_toolchains()`.""",
    attrs = {
        "tool": attr.label(
            doc = "The kas_alias executable (a go_binary, or a prebuilt file).",
            mandatory = True,
            executable = True,
            allow_files = True,
            cfg = "exec",
        ),
    },
)

TOOLCHAIN_TYPE = str(Label("//rules:toolchain_type"))

def kas_alias_tool(ctx):
    """Returns the FilesToRunProvider of the resolved kas_alias toolchain."""
    return ctx.toolchains[TOOLCHAIN_TYPE].kas_alias.tool
