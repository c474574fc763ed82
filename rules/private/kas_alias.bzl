"""kas_alias: the macro for the common case, a scan and its module rewrites."""

load(":modules.bzl", "kas_alias_modules")
load(":scan.bzl", "kas_alias_symbols")

def kas_alias(
        name,
        vmlinux = None,
        modules = [],
        scheme = "",
        data = False,
        srctree = "",
        dwarf = None,
        mksysmap = "",
        drop_signature = False,
        signing_key = None,
        signing_cert = None,
        sign_hash = "sha256",
        **kwargs):
    """Aliases vmlinux and modules in one call.

    Makes `<name>_symbols` (a `kas_alias_symbols`: `<name>_symbols.syms`, the
    alias map, the plans), `<name>_modules` (a `kas_alias_modules`: the
    rewritten modules) and `<name>`, a filegroup of both.

    Args:
      name: name of the filegroup; the two rules' names derive from it.
      vmlinux: see kas_alias_symbols.
      modules: see kas_alias_symbols.
      scheme: see kas_alias_symbols.
      data: see kas_alias_symbols.
      srctree: see kas_alias_symbols.
      dwarf: see kas_alias_symbols.
      mksysmap: see kas_alias_symbols.
      drop_signature: see kas_alias_modules.
      signing_key: see kas_alias_modules.
      signing_cert: see kas_alias_modules.
      sign_hash: see kas_alias_modules.
      **kwargs: common attributes (visibility, tags, ...) for all three targets.
    """
    kas_alias_symbols(
        name = name + "_symbols",
        vmlinux = vmlinux,
        modules = modules,
        scheme = scheme,
        data = data,
        srctree = srctree,
        dwarf = dwarf,
        mksysmap = mksysmap,
        **kwargs
    )
    kas_alias_modules(
        name = name + "_modules",
        symbols = name + "_symbols",
        drop_signature = drop_signature,
        signing_key = signing_key,
        signing_cert = signing_cert,
        sign_hash = sign_hash,
        **kwargs
    )
    native.filegroup(
        name = name,
        srcs = [name + "_symbols", name + "_modules"],
        **kwargs
    )
