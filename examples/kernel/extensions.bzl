"""The kernel source repositories under bzlmod (WORKSPACE calls the repository rule itself)."""

load(":source.bzl", "kernel_source_repository")

_tarball = tag_class(
    doc = "A kernel source tarball in a directory of the main module that Bazel ignores.",
    attrs = {
        "name": attr.string(mandatory = True, doc = "The repository's name."),
        "path": attr.string(mandatory = True, doc = "The directory, relative to the module root."),
        "tarball": attr.string(mandatory = True, doc = "The tarball's file name in it."),
    },
)

def _kernel_sources_impl(mctx):
    for mod in mctx.modules:
        for t in mod.tags.tarball:
            kernel_source_repository(name = t.name, path = t.path, tarball = t.tarball)

kernel_sources = module_extension(
    implementation = _kernel_sources_impl,
    doc = "Declares one kernel_source_repository per `tarball` tag.",
    tag_classes = {"tarball": _tarball},
)
