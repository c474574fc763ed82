"""kas_kernel_build: Debian's linux-source-6.1 built three ways in one action."""

# The kas_alias binary from the resolved toolchain, as the rules get it.
# buildifier: disable=bzl-visibility
load("//rules/private:toolchain.bzl", "TOOLCHAIN_TYPE", "kas_alias_tool")

_VARIANTS = ["baseline", "counter", "tu"]

def _outputs():
    outs = {
        "configfs_ko": "%{name}/configfs.ko",
        "config": "%{name}/config",
        "gen_init_cpio": "%{name}/gen_init_cpio",
        "log": "%{name}/build.log",
    }
    for v in _VARIANTS:
        outs[v + "_bzimage"] = "%{name}/" + v + ".bzImage"
        outs[v + "_system_map"] = "%{name}/" + v + ".System.map"
    for v in _VARIANTS[1:]:
        outs[v + "_vmlinux"] = "%{name}/" + v + ".vmlinux"
    return outs

def _kas_kernel_build_impl(ctx):
    tool = kas_alias_tool(ctx)
    outs = [getattr(ctx.outputs, k) for k in sorted(_outputs().keys())]
    ctx.actions.run(
        executable = ctx.executable._build,
        arguments = [
            ctx.file.tarball.path,
            ctx.file.patch.path,
            ctx.file.config.path,
            tool.executable.path,
            ctx.outputs.log.dirname,
        ],
        inputs = [ctx.file.tarball, ctx.file.patch, ctx.file.config],
        tools = [tool],
        outputs = outs,
        mnemonic = "KernelBuild",
        progress_message = "Building Linux from %s: baseline, then KAS_ALIAS relinks (counter, tu) (%s)" % (
            ctx.file.tarball.basename,
            ctx.label,
        ),
        # make, gcc, flex, bison... come from the host, as for any kbuild.
        use_default_shell_env = True,
        execution_requirements = {
            # Gigabytes of scratch space, minutes of CPU: never remote.
            "no-remote": "1",
        },
    )
    return [DefaultInfo(files = depset(outs))]

kas_kernel_build = rule(
    implementation = _kas_kernel_build_impl,
    doc = """Extracts a kernel source tarball, applies the kas_alias kbuild patch,
configures tinyconfig plus `config` and builds bzImage and modules without
KAS_ALIAS (baseline), then relinks with KAS_ALIAS set to the toolchain's
kas_alias in filter mode, `--scheme=counter` and the default (tu). Outputs
`<name>/{baseline,counter,tu}.bzImage`, `.System.map`,
`{counter,tu}.vmlinux`, `configfs.ko`, `gen_init_cpio`, `config`, `build.log`.""",
    attrs = {
        "tarball": attr.label(mandatory = True, allow_single_file = [".tar.xz"]),
        "patch": attr.label(mandatory = True, allow_single_file = [".patch"]),
        "config": attr.label(mandatory = True, allow_single_file = True, doc = "Lines `OPTION y|m|n` applied on top of tinyconfig."),
        "_build": attr.label(
            default = ":build_kernel.sh",
            executable = True,
            allow_single_file = True,
            cfg = "exec",
        ),
    },
    outputs = _outputs(),
    toolchains = [TOOLCHAIN_TYPE],
)
