"""The examples' golden tests: views of the rules' outputs (golden_view.sh) against golden/."""

load("@bazel_skylib//rules:diff_test.bzl", "diff_test")

def _view_test(golden, kind, srcs):
    # srcs in golden_view.sh's argument order: the output, then what else the view reads.
    tool = Label("//examples:golden_view.sh")
    native.genrule(
        name = golden + "_view",
        srcs = srcs,
        outs = [golden + ".view"],
        cmd = "$(location %s) %s $(SRCS) > $@" % (tool, kind),
        tools = [tool],
    )
    test = "golden_%s_test" % golden.replace(".", "_").replace("-", "_")
    diff_test(
        name = test,
        file1 = "golden/" + golden,
        file2 = golden + "_view",
    )
    return test

def golden_tests(name, prefix, symbols, groups, modules = {}, listings = {}):
    """Makes golden_<file>_test for outputs of a kas_alias_symbols target, and a test_suite of them.

    Args:
      name: the test_suite's name.
      prefix: the golden files' prefix: golden/<prefix>.syms, .map.tsv, .map.json.
      symbols: the kas_alias_symbols target.
      groups: which of its output groups syms, map_tsv and map_json have goldens.
      modules: module name (foo.ko) -> its file, for golden/<module>.plan.json.
      listings: golden file name -> a target with an nm listing, for its syms view.
    """
    tests = []
    for group in ["syms", "map_tsv"] + [g for g in groups if g not in ["syms", "map_tsv"]] + [m + ".plan.json" for m in modules]:
        native.filegroup(
            name = "%s_%s_out" % (prefix, group),
            srcs = [symbols],
            output_group = group,
        )
    syms = ":%s_syms_out" % prefix
    for group in groups:
        tests.append(_view_test(prefix + "." + group.replace("_", "."), group, [":%s_%s_out" % (prefix, group)] + ([] if group == "syms" else [syms])))
    for module, f in modules.items():
        tests.append(_view_test(module + ".plan.json", "plan", [":%s_%s.plan.json_out" % (prefix, module), f, ":%s_map_tsv_out" % prefix]))
    for golden, listing in listings.items():
        tests.append(_view_test(golden, "syms", [listing]))
    native.test_suite(
        name = name,
        tests = tests,
    )
