"""Analysis tests of the kas_alias rules: providers, actions, errors."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules:defs.bzl", "KasAliasModulesInfo", "KasAliasSymbolsInfo")

def _basenames(files):
    return [f.basename for f in files]

def _target_inputs(env, action):
    """Basenames of an action's inputs that are sources or built for the target.

    Leaves out the tool, which is built in the exec configuration: under
    bazel-out/host/ in Bazel 4, under bazel-out/<cpu>-opt-exec-<hash>/ in Bazel
    6 and later (which also lists its runfiles as one more input).
    """
    bin_dir = analysistest.target_bin_dir_path(env) + "/"
    return [f.basename for f in action.inputs.to_list() if f.is_source or f.path.startswith(bin_dir)]

def _symbols_provider_test_impl(ctx):
    env = analysistest.begin(ctx)
    info = analysistest.target_under_test(env)[KasAliasSymbolsInfo]
    asserts.equals(env, "vmlinux", info.vmlinux.basename)
    asserts.equals(env, "scan_symbols.syms", info.syms.basename)
    asserts.equals(env, "scan_symbols.map.tsv", info.map_tsv.basename)
    asserts.equals(env, "scan_symbols.map.json", info.map_json.basename)
    asserts.equals(env, ["configfs.ko", "nf-nat.ko"], _basenames(info.modules))
    asserts.equals(env, ["configfs.ko", "nf-nat.ko"], sorted(info.plans.keys()))
    asserts.equals(env, "configfs.ko.plan.json", info.plans["configfs.ko"].basename)
    asserts.equals(env, "counter", info.scheme)

    # One scan action. (Its module list goes through a param file, which
    # analysis tests see expanded in argv.)
    actions = analysistest.target_actions(env)
    asserts.equals(env, ["KasAliasScan"], [a.mnemonic for a in actions])
    argv = actions[0].argv
    asserts.equals(env, "scan", argv[1])
    asserts.equals(env, ["--scheme", "counter"], argv[argv.index("--scheme"):argv.index("--scheme") + 2])
    asserts.equals(
        env,
        sorted(["scan_symbols.syms", "scan_symbols.map.tsv", "scan_symbols.map.json", "configfs.ko.plan.json", "nf-nat.ko.plan.json"]),
        sorted(_basenames(actions[0].outputs.to_list())),
    )
    return analysistest.end(env)

symbols_provider_test = analysistest.make(_symbols_provider_test_impl)

def _modules_actions_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    info = target[KasAliasModulesInfo]
    asserts.equals(env, ["configfs.ko", "nf-nat.ko"], sorted(info.rewritten.keys()))
    asserts.equals(env, "configfs.ko", info.rewritten["configfs.ko"].basename)
    asserts.equals(env, "configfs.ko", info.originals["configfs.ko"].basename)

    # N modules give N rewrite actions, each reading only its module and plan.
    actions = analysistest.target_actions(env)
    asserts.equals(env, ["KasAliasModule", "KasAliasModule"], [a.mnemonic for a in actions])
    for a in actions:
        outs = _basenames(a.outputs.to_list())
        asserts.equals(env, 1, len(outs))

        # Besides the tool and its runfiles, only this module and its plan.
        data = _target_inputs(env, a)
        asserts.equals(env, sorted([outs[0], outs[0] + ".plan.json"]), sorted(data))
    groups = target[OutputGroupInfo]
    asserts.equals(env, ["nf-nat.ko"], _basenames(getattr(groups, "nf-nat.ko").to_list()))
    return analysistest.end(env)

modules_actions_test = analysistest.make(_modules_actions_test_impl)

def _kleaf_shaped_test_impl(ctx):
    env = analysistest.begin(ctx)
    info = analysistest.target_under_test(env)[KasAliasSymbolsInfo]
    asserts.equals(env, "vmlinux", info.vmlinux.basename)
    asserts.equals(env, ["configfs.ko", "nf-nat.ko"], _basenames(info.modules))
    return analysistest.end(env)

kleaf_shaped_test = analysistest.make(_kleaf_shaped_test_impl)

def _analysis_failure_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, ctx.attr.message)
    return analysistest.end(env)

analysis_failure_test = analysistest.make(
    _analysis_failure_test_impl,
    expect_failure = True,
    attrs = {"message": attr.string(doc = "What the analysis error must say.")},
)

def _module_tree_impl(ctx):
    out = ctx.actions.declare_directory(ctx.label.name)
    ctx.actions.run_shell(
        inputs = ctx.files.srcs,
        outputs = [out],
        command = 'mkdir -p "$1/sub" && shift_out="$1" && shift && cp "$@" "$shift_out/sub/"',
        arguments = [out.path] + [f.path for f in ctx.files.srcs],
        mnemonic = "ModuleTree",
    )
    return [DefaultInfo(files = depset([out]))]

module_tree = rule(
    implementation = _module_tree_impl,
    doc = "A directory (tree artifact) of module files, as some kernel builds output.",
    attrs = {"srcs": attr.label_list(allow_files = True)},
)

def _tree_modules_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    info = target[KasAliasModulesInfo]
    asserts.equals(env, {}, info.rewritten)
    asserts.equals(env, "tree_rewrite", info.rewritten_dir.basename)
    asserts.true(env, info.rewritten_dir.is_directory)

    # One action for every module, reading the plan directory and the tree.
    actions = analysistest.target_actions(env)
    asserts.equals(env, ["KasAliasModule"], [a.mnemonic for a in actions])
    ins = _target_inputs(env, actions[0])
    asserts.equals(env, sorted(["configfs.ko", "module_tree", "tree_scan_plans"]), sorted(ins))
    return analysistest.end(env)

tree_modules_test = analysistest.make(_tree_modules_test_impl)
