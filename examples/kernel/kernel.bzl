"""kas_kernel_build: a kernel source tarball built without and with KAS_ALIAS in one action."""

# The kas_alias binary from the resolved toolchain, as the rules get it.
# buildifier: disable=bzl-visibility
load("//rules/private:toolchain.bzl", "TOOLCHAIN_TYPE", "kas_alias_tool")

def _outputs(variants):
    outs = {
        "configfs_ko": "%{name}/configfs.ko",
        "config": "%{name}/config",
        "gen_init_cpio": "%{name}/gen_init_cpio",
        "log": "%{name}/build.log",
        "baseline_bzimage": "%{name}/baseline.bzImage",
        "baseline_system_map": "%{name}/baseline.System.map",
    }
    for v in variants:
        outs[v + "_bzimage"] = "%{name}/" + v + ".bzImage"
        outs[v + "_system_map"] = "%{name}/" + v + ".System.map"
        outs[v + "_vmlinux"] = "%{name}/" + v + ".vmlinux"
    return outs

def _kas_kernel_build_impl(ctx):
    tool = kas_alias_tool(ctx)
    outs = [getattr(ctx.outputs, k) for k in sorted(_outputs(ctx.attr.variants).keys())]
    args = ctx.actions.args()
    args.add(ctx.file.tarball)
    args.add(ctx.file.patch)
    args.add(tool.executable)
    args.add(ctx.outputs.log.dirname)
    for f in ctx.files.configs:
        args.add("--config", f)
    for name, flags in sorted(ctx.attr.variants.items()):
        args.add("--variant", "%s=%s" % (name, flags))
    ctx.actions.run(
        executable = ctx.executable._build,
        arguments = [args],
        inputs = [ctx.file.tarball, ctx.file.patch] + ctx.files.configs,
        tools = [tool],
        outputs = outs,
        mnemonic = "KernelBuild",
        progress_message = "Building Linux from %s without KAS_ALIAS, then relinking with it (%s) (%s)" % (
            ctx.file.tarball.basename,
            ", ".join(sorted(ctx.attr.variants.keys())),
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
configures tinyconfig plus `configs`, builds bzImage and modules without
KAS_ALIAS (`baseline`), then relinks once per variant with KAS_ALIAS set to
the toolchain's kas_alias in filter mode with the variant's flags. Outputs
`<name>/baseline.{bzImage,System.map}`, per variant
`<name>/<variant>.{bzImage,System.map,vmlinux}`, and `configfs.ko`,
`gen_init_cpio`, `config`, `build.log`.""",
    attrs = {
        "tarball": attr.label(mandatory = True, allow_single_file = [".tar.xz"]),
        "patch": attr.label(mandatory = True, allow_single_file = [".patch"]),
        "configs": attr.label_list(
            mandatory = True,
            allow_files = True,
            doc = "Files of `OPTION y|m|n` lines applied on top of tinyconfig, the last one winning.",
        ),
        "variants": attr.string_dict(
            mandatory = True,
            doc = "Variant name -> flags of `kas_alias filter` for its relink.",
        ),
        "_build": attr.label(
            default = ":build_kernel.sh",
            executable = True,
            allow_single_file = True,
            cfg = "exec",
        ),
    },
    outputs = _outputs,
    toolchains = [TOOLCHAIN_TYPE],
)
