"""A repository exposing one file tools/fetch-kernel-source.sh fetched (a kernel source tarball, busybox), for examples/kernel."""

def _kernel_source_repository_impl(rctx):
    root = rctx.path(Label("//:WORKSPACE")).dirname
    src = root
    for part in rctx.attr.path.split("/"):
        src = src.get_child(part)

    # The directory is linked, not its contents: a tarball fetched after this
    # repository was set up is still found. Without it, only the targets that
    # read the tarball fail ("missing input file").
    rctx.symlink(src, "src")
    rctx.file("BUILD.bazel", """\
# Filled by tools/fetch-kernel-source.sh (%s); run it if %s is missing.
exports_files(["src/%s"])
""" % (rctx.attr.path, rctx.attr.tarball, rctx.attr.tarball))

kernel_source_repository = repository_rule(
    implementation = _kernel_source_repository_impl,
    doc = "Exposes `src/<tarball>` of a directory of the main workspace that Bazel ignores.",
    attrs = {
        "path": attr.string(mandatory = True, doc = "The directory, relative to the workspace root."),
        "tarball": attr.string(mandatory = True, doc = "The tarball's file name in it."),
    },
    local = True,
)
