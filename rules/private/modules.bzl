"""kas_alias_modules: the planned alias symbols added to each module."""

load("//rules:providers.bzl", "KasAliasModulesInfo", "KasAliasSymbolsInfo")
load(":inputs.bzl", "module_list_args", "module_name")
load(":toolchain.bzl", "TOOLCHAIN_TYPE", "kas_alias_tool")

def _rewrite_args(ctx):
    args = ctx.actions.args()
    args.add("rewrite")
    if ctx.attr.drop_signature:
        args.add("--drop-signature")
    if ctx.file.signing_key or ctx.file.signing_cert:
        if not (ctx.file.signing_key and ctx.file.signing_cert):
            fail("signing_key and signing_cert go together")
        args.add("--sign-key", ctx.file.signing_key)
        args.add("--sign-cert", ctx.file.signing_cert)
        args.add("--sign-hash", ctx.attr.sign_hash)
    return args

def _signing_inputs(ctx):
    """The key and certificate, as inputs of every rewrite action."""
    return [f for f in [ctx.file.signing_key, ctx.file.signing_cert] if f]

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
        inputs = info.modules + info.trees + [info.plan_dir] + _signing_inputs(ctx),
        outputs = [out],
        mnemonic = "KasAliasModule",
        progress_message = "Adding alias symbols to the modules of %s" % ctx.attr.symbols.label,
        use_default_shell_env = False,
    )
    return [
        # As runfiles too: a test or binary with the modules in its data
        # finds them there.
        DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out])),
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
            inputs = [m, plan] + _signing_inputs(ctx),
            outputs = [out],
            mnemonic = "KasAliasModule",
            progress_message = "Adding alias symbols to %s" % m.short_path,
            use_default_shell_env = False,
        )
        originals[name] = m
        rewritten[name] = out
    groups = {name: depset([f]) for name, f in rewritten.items()}
    return [
        DefaultInfo(files = depset(rewritten.values()), runfiles = ctx.runfiles(files = rewritten.values())),
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

With `signing_key` and `signing_cert`, every rewritten module is signed in its
own action, byte for byte as the kernel's `scripts/sign-file` signs it (an old
signature is replaced). Without them, a signed module is refused unless
`drop_signature` is set. The key is an input of every `KasAliasModule` action:
see docs/caching.md before using a remote cache or remote execution.""",
    attrs = {
        "symbols": attr.label(
            doc = "The `kas_alias_symbols` target whose plans to apply.",
            mandatory = True,
            providers = [KasAliasSymbolsInfo],
        ),
        "drop_signature": attr.bool(
            doc = "Without signing: drop an appended module signature (it would no longer match). Default: refuse signed modules.",
        ),
        "signing_key": attr.label(
            doc = "PEM private key to sign every rewritten module with (a kernel build's `certs/signing_key.pem`; RSA or ECDSA P-256/P-384). An encrypted key is decrypted with `KBUILD_SIGN_PIN` from the action's environment, which these actions do not pass: use an unencrypted key.",
            allow_single_file = True,
        ),
        "signing_cert": attr.label(
            doc = "The signing key's X.509 certificate, DER or PEM (`certs/signing_key.x509`).",
            allow_single_file = True,
        ),
        "sign_hash": attr.string(
            doc = "Signature hash: `sha256`, `sha384` or `sha512`, as `CONFIG_MODULE_SIG_HASH`.",
            values = ["sha256", "sha384", "sha512"],
            default = "sha256",
        ),
    },
    toolchains = [TOOLCHAIN_TYPE],
)
