"""kas_alias_modules: the planned alias symbols added to each module."""

load("//rules:providers.bzl", "KasAliasModulesInfo", "KasAliasSymbolsInfo")
load(":inputs.bzl", "module_list_args", "module_name")
load(":toolchain.bzl", "TOOLCHAIN_TYPE", "kas_alias_tool")

def _rewrite_args(ctx):
    args = ctx.actions.args()
    args.add("rewrite")
    if ctx.attr.drop_signature:
        args.add("--drop-signature")
    return args

def _rewrite_all(ctx, info):
    """With directories among the modules: one action rewrites them all."""
    out = ctx.actions.declare_directory(ctx.label.name)
    args = _rewrite_args(ctx)
    args.add("--plan-dir", info.plan_dir.path)
    args.add("--out-dir", out.path)
    module_args = module_list_args(ctx, info.modules, info.trees)
    ctx.actions.run(
        executable = kas_alias_tool(ctx),
        arguments = [args, module_args],
        inputs = info.modules + info.trees + [info.plan_dir],
        outputs = [out],
        mnemonic = "KasAliasModule",
        progress_message = "Adding alias symbols to the modules of %s" % ctx.attr.symbols.label,
        use_default_shell_env = False,
    )
    return [
        DefaultInfo(files = depset([out])),
        KasAliasModulesInfo(originals = {}, rewritten = {}, rewritten_dir = out),
    ]

def _kas_alias_modules_impl(ctx):
    info = ctx.attr.symbols[KasAliasSymbolsInfo]
    if info.plan_dir:
        return _rewrite_all(ctx, info)
    originals = {}
    rewritten = {}
    for m in info.modules:
        name = module_name(m)
        plan = info.plans[name]
        out = ctx.actions.declare_file("%s/%s" % (ctx.label.name, name))
        args = _rewrite_args(ctx)
        args.add("--plan", plan)
        args.add("-o", out)
        args.add(m)

        # One action per module: a change to one module re-runs only its
        # rewrite (and the scan); every other rewrite stays a cache hit.
        ctx.actions.run(
            executable = kas_alias_tool(ctx),
            arguments = [args],
            inputs = [m, plan],
            outputs = [out],
            mnemonic = "KasAliasModule",
            progress_message = "Adding alias symbols to %s" % m.short_path,
            use_default_shell_env = False,
        )
        originals[name] = m
        rewritten[name] = out
    groups = {name: depset([f]) for name, f in rewritten.items()}
    return [
        DefaultInfo(files = depset(rewritten.values())),
        OutputGroupInfo(**groups),
        KasAliasModulesInfo(originals = originals, rewritten = rewritten, rewritten_dir = None),
    ]

kas_alias_modules = rule(
    implementation = _kas_alias_modules_impl,
    doc = """Writes each module of a `kas_alias_symbols` scan with its alias symbols added
(`<name>/<module>`, uncompressed), one action per module (mnemonic
`KasAliasModule`). Inputs are never modified. Output groups: one per module
name (`"foo.ko"`). When the scan read directories (tree artifacts), one action
rewrites every module into the directory `<name>` instead.

A signed module is refused unless `drop_signature` is set: sign after aliasing.""",
    attrs = {
        "symbols": attr.label(
            doc = "The `kas_alias_symbols` target whose plans to apply.",
            mandatory = True,
            providers = [KasAliasSymbolsInfo],
        ),
        "drop_signature": attr.bool(
            doc = "Drop an appended module signature (it would no longer match). Default: refuse signed modules.",
        ),
    },
    toolchains = [TOOLCHAIN_TYPE],
)
