"""kas_alias_symbols: one scan of vmlinux and modules."""

load("//rules:providers.bzl", "KasAliasSymbolsInfo")
load(":inputs.bzl", "find_modules", "find_vmlinux", "module_list_args", "module_name")
load(":toolchain.bzl", "TOOLCHAIN_TYPE", "kas_alias_tool")

SCHEMES = ["", "tu", "srcline", "counter"]

MKSYSMAP = ["", "auto", "6.1", "6.4"]

def _kas_alias_symbols_impl(ctx):
    vmlinux = find_vmlinux(ctx.attr.vmlinux)
    modules, trees = find_modules(ctx.attr.modules)
    if vmlinux == None and not modules and not trees:
        fail("nothing to scan: give vmlinux and/or modules")
    dwarf = ctx.file.dwarf

    outputs = []
    args = ctx.actions.args()
    inputs = modules + trees
    syms = None
    if vmlinux:
        syms = ctx.actions.declare_file(ctx.label.name + ".syms")
        args.add("--vmlinux", vmlinux)
        args.add("--syms", syms)
        if ctx.attr.mksysmap == "auto":
            args.add("--mksysmap")
        elif ctx.attr.mksysmap:
            args.add("--mksysmap=" + ctx.attr.mksysmap)
        inputs.append(vmlinux)
        outputs.append(syms)
    if dwarf:
        args.add("--dwarf", dwarf)
        inputs.append(dwarf)
    if ctx.attr.scheme:
        args.add("--scheme", ctx.attr.scheme)
    if ctx.attr.data:
        args.add("--data")
    if ctx.attr.srctree:
        args.add("--srctree", ctx.attr.srctree)
    map_tsv = ctx.actions.declare_file(ctx.label.name + ".map.tsv")
    map_json = ctx.actions.declare_file(ctx.label.name + ".map.json")
    args.add("--map-tsv", map_tsv)
    args.add("--map-json", map_json)
    outputs += [map_tsv, map_json]

    plans = {}
    plan_dir = None
    if trees:
        # What a directory holds is known only when the action runs: every
        # plan goes into one output directory.
        plan_dir = ctx.actions.declare_directory(ctx.label.name + "_plans")
        args.add("--plan-dir", plan_dir.path)
        outputs.append(plan_dir)
    else:
        for m in modules:
            name = module_name(m)
            plans[name] = ctx.actions.declare_file("%s_plans/%s.plan.json" % (ctx.label.name, name))
        if plans:
            args.add("--plan-dir", plans.values()[0].dirname)
            outputs += plans.values()

    module_args = module_list_args(ctx, modules, trees)

    ctx.actions.run(
        executable = kas_alias_tool(ctx),
        arguments = ["scan", args, module_args],
        inputs = inputs,
        outputs = outputs,
        mnemonic = "KasAliasScan",
        progress_message = "Scanning %s and %d modules for duplicate symbols (%s)" % (
            vmlinux.short_path if vmlinux else "no vmlinux",
            len(modules) + len(trees),
            ctx.label,
        ),
        use_default_shell_env = False,
    )
    default = ([syms] if syms else []) + [map_tsv, map_json]
    return [
        DefaultInfo(files = depset(default), runfiles = ctx.runfiles(files = default)),
        OutputGroupInfo(
            syms = depset([syms] if syms else []),
            map_tsv = depset([map_tsv]),
            map_json = depset([map_json]),
            plans = depset(plans.values() + ([plan_dir] if plan_dir else [])),
            **{p.basename: depset([p]) for p in plans.values()}
        ),
        KasAliasSymbolsInfo(
            scheme = ctx.attr.scheme,
            vmlinux = vmlinux,
            syms = syms,
            map_tsv = map_tsv,
            map_json = map_json,
            modules = modules,
            trees = trees,
            plans = plans,
            plan_dir = plan_dir,
        ),
    ]

kas_alias_symbols = rule(
    implementation = _kas_alias_symbols_impl,
    doc = """Scans vmlinux and module objects for symbol names that occur at more than one
address and names an alias for each, in one action (mnemonic `KasAliasScan`).

Outputs: `<name>.syms` (the vmlinux listing as `nm -n` prints it, with an alias
line after each aliased symbol), `<name>.map.tsv` and `<name>.map.json` (the
alias map), and `<name>_plans/<module>.plan.json` for each module, which
`kas_alias_modules` applies.

Output groups: `syms`, `map_tsv`, `map_json`, `plans` (all plans), and one
per plan named by its file name (`foo.ko.plan.json`).""",
    attrs = {
        "vmlinux": attr.label(
            doc = "A target whose files hold vmlinux: the file itself, or any target with a file named `vmlinux` (a Kleaf `kernel_build`). Optional for a modules-only scan.",
            allow_files = True,
        ),
        "modules": attr.label_list(
            doc = "Targets whose `.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz` and `.o` files are modules, scanned in the order given; other files are ignored. Directories (tree artifacts) are read whole, and then all plans go into one directory, `<name>_plans`.",
            allow_files = True,
        ),
        "scheme": attr.string(
            doc = "Naming scheme: `tu` (`name@path/of/unit.c`), `srcline` (`name@path_c_123`) or `counter` (`name__7`). Empty: tu where DWARF or STT_FILE symbols exist, counter otherwise.",
            values = SCHEMES,
            default = "",
        ),
        "data": attr.bool(
            doc = "tu and srcline: alias duplicated data symbols too, not only code.",
        ),
        "srctree": attr.string(
            doc = "The kernel source tree as DWARF names it, stripped from paths (e.g. `/build/linux`). Empty: paths are cut at the first kernel top-level directory.",
        ),
        "dwarf": attr.label(
            doc = "A separate file with vmlinux's DWARF (a -dbg vmlinux), when vmlinux itself has none.",
            allow_single_file = True,
        ),
        "mksysmap": attr.string(
            doc = "Keep in `<name>.syms` only what scripts/mksysmap keeps (the System.map form): `auto` by the rules of the kernel's own version (its `linux_banner`; 6.4+ rules without one), `6.1` or `6.4` by those of Linux 6.1-6.2 or 6.4 and later, which then also decide what counts as a duplicate. Empty: the whole listing.",
            values = MKSYSMAP,
            default = "",
        ),
    },
    toolchains = [TOOLCHAIN_TYPE],
)
