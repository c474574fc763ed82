"""kas_kernel_build: a kernel source tarball built without and with KAS_ALIAS in one action."""

# The kas_alias binary from the resolved toolchain, as the rules get it.
# buildifier: disable=bzl-visibility
load("//rules/private:toolchain.bzl", "TOOLCHAIN_TYPE", "kas_alias_tool")

# The boot image kbuild makes, by ARCH.
_IMAGE = {"arm64": "Image", "x86_64": "bzImage"}

def _outputs(variants, arch, signing_key, extra_module):
    image = _IMAGE[arch]
    outs = {
        "configfs_ko": "%{name}/configfs.ko",
        "config": "%{name}/config",
        "gen_init_cpio": "%{name}/gen_init_cpio",
        "log": "%{name}/build.log",
        "baseline_image": "%{name}/baseline." + image,
        "baseline_system_map": "%{name}/baseline.System.map",
    }
    if signing_key:
        outs["sign_file"] = "%{name}/sign-file"
    if extra_module:
        outs["kas_e2e_ko"] = "%{name}/kas_e2e.ko"
    for v in variants:
        outs[v + "_image"] = "%{name}/" + v + "." + image
        outs[v + "_system_map"] = "%{name}/" + v + ".System.map"
        outs[v + "_vmlinux"] = "%{name}/" + v + ".vmlinux"
    return outs

def _kas_kernel_build_impl(ctx):
    tool = kas_alias_tool(ctx)
    outs = [getattr(ctx.outputs, k) for k in sorted(_outputs(ctx.attr.variants, ctx.attr.arch, ctx.attr.signing_key, ctx.attr.extra_module).keys())]
    args = ctx.actions.args()
    args.add(ctx.file.tarball)
    args.add(ctx.file.patch)
    args.add(tool.executable)
    args.add(ctx.outputs.log.dirname)
    args.add("--arch", ctx.attr.arch)
    if ctx.attr.llvm:
        args.add("--llvm", ctx.attr.llvm)
    inputs = [ctx.file.tarball, ctx.file.patch] + ctx.files.configs
    for f in ctx.files.extra_module:
        args.add("--extra-module", f)
    inputs += ctx.files.extra_module
    if ctx.file.signing_key:
        args.add("--signing-key", ctx.file.signing_key)
        inputs.append(ctx.file.signing_key)
    for f in ctx.files.configs:
        args.add("--config", f)
    for name, flags in sorted(ctx.attr.variants.items()):
        args.add("--variant", "%s=%s" % (name, flags))
    ctx.actions.run(
        executable = ctx.executable._build,
        arguments = [args],
        inputs = inputs,
        tools = [tool],
        outputs = outs,
        mnemonic = "KernelBuild",
        progress_message = "Building Linux (%s%s) from %s without KAS_ALIAS, then relinking with it (%s) (%s)" % (
            ctx.attr.arch,
            ", LLVM=" + ctx.attr.llvm if ctx.attr.llvm else "",
            ctx.file.tarball.basename,
            ", ".join(sorted(ctx.attr.variants.keys())),
            ctx.label,
        ),
        # make, gcc or clang, flex, bison... come from the host, as for any kbuild.
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
configures tinyconfig plus `configs` for `arch`, builds the boot image and
modules without KAS_ALIAS (`baseline`), then relinks once per variant with
KAS_ALIAS set to the toolchain's kas_alias in filter mode with the variant's
flags. Outputs `<name>/baseline.{IMAGE,System.map}`, per variant
`<name>/<variant>.{IMAGE,System.map,vmlinux}` (IMAGE: bzImage on x86_64, Image
on arm64), and `configfs.ko`, `gen_init_cpio`, `config`, `build.log`; with
`signing_key`, also the kernel's `sign-file`; with `extra_module`, `kas_e2e.ko`.""",
    attrs = {
        "tarball": attr.label(mandatory = True, allow_single_file = [".tar.xz"]),
        "patch": attr.label(mandatory = True, allow_single_file = [".patch"]),
        "configs": attr.label_list(
            mandatory = True,
            allow_files = True,
            doc = "Files of `OPTION y|m|n` lines applied on top of tinyconfig, the last one winning.",
        ),
        "arch": attr.string(
            default = "x86_64",
            values = sorted(_IMAGE.keys()),
            doc = "The kernel's ARCH.",
        ),
        "extra_module": attr.label_list(
            allow_files = True,
            doc = "The Kbuild and sources of the out-of-tree module `kas_e2e` " +
                  "(`obj-m := kas_e2e.o`), built against the baseline tree: `<name>/kas_e2e.ko`.",
        ),
        "llvm": attr.string(
            doc = "Build with `LLVM=<this>` (`-19`: clang-19, ld.lld-19...); gcc when empty.",
        ),
        "signing_key": attr.label(
            allow_single_file = True,
            doc = "The module signing key and certificate in one PEM file (kbuild's " +
                  "certs/signing_key.pem), for a config whose MODULE_SIG_KEY is " +
                  "\"kas_alias_signing_key.pem\".",
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
