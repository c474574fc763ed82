"""Finding vmlinux and module objects among any targets' files."""

_MODULE_SUFFIXES = [".ko", ".ko.xz", ".ko.zst", ".ko.gz", ".o"]

def is_module(f):
    """Tells a module object by its name.

    Args:
      f: a File.

    Returns:
      True for .ko, compressed .ko and .o files.
    """
    for s in _MODULE_SUFFIXES:
        if f.basename.endswith(s):
            return True
    return False

def module_name(f):
    """Names a module file as the tool does.

    Args:
      f: a module File.

    Returns:
      Its basename without a compression suffix ("foo.ko" for foo.ko.xz).
    """
    for s in [".xz", ".zst", ".gz"]:
        if f.basename.endswith(s):
            return f.basename[:-len(s)]
    return f.basename

def find_vmlinux(target):
    """Finds vmlinux among a target's files.

    A target with one file is that file; otherwise the file named `vmlinux`,
    as Kleaf's own post-processors find it in a kernel_build's outputs.

    Args:
      target: the `vmlinux` attribute's Target, or None.

    Returns:
      The vmlinux File, or None when target is None.
    """
    if target == None:
        return None
    files = target[DefaultInfo].files.to_list()
    if len(files) == 1 and not files[0].is_directory:
        return files[0]
    found = [f for f in files if f.basename == "vmlinux"]
    if not found:
        fail("%s: no file named vmlinux among its %d outputs" % (target.label, len(files)), "vmlinux")
    if len(found) > 1:
        fail("%s: %d files named vmlinux (%s); point `vmlinux` at one" % (
            target.label,
            len(found),
            ", ".join([f.short_path for f in found]),
        ), "vmlinux")
    return found[0]

def find_modules(targets):
    """Finds module objects among targets' files.

    Modules are picked by suffix, so a Kleaf kernel_build (whose outputs also
    hold vmlinux, System.map, ...) can be given as it is.

    Args:
      targets: the `modules` attribute's Targets.

    Returns:
      (modules, trees): module Files in order, and directories (tree
      artifacts), whose every module the scan reads.
    """
    modules = []
    trees = []
    names = {}
    for t in targets:
        for f in t[DefaultInfo].files.to_list():
            if f.is_directory:
                trees.append(f)
                continue
            if not is_module(f):
                continue
            name = module_name(f)
            if name in names:
                fail("two modules named %s: %s (from %s) and %s (from %s); their plans and rewritten objects would collide" % (
                    name,
                    names[name][0].short_path,
                    names[name][1],
                    f.short_path,
                    t.label,
                ), "modules")
            names[name] = (f, t.label)
            modules.append(f)
    return modules, trees

def module_list_args(ctx, modules, trees):
    """Passes module files and directories to the tool in a param file.

    Thousands of modules do not fit a command line: they go in a multiline
    param file (`@FILE`). A directory is passed as itself; the tool reads
    the modules under it.

    Args:
      ctx: the rule context.
      modules: module Files.
      trees: directory Files (tree artifacts).

    Returns:
      An Args object for `ctx.actions.run(arguments = [...])`.
    """
    args = ctx.actions.args()
    args.use_param_file("@%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add_all(modules)
    args.add_all(trees, expand_directories = False)
    return args
