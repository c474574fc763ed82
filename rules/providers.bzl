"""Providers of rules_kas_alias."""

KasAliasSymbolsInfo = provider(
    doc = "What one kas_alias scan produced: the aliased listing, the alias map and the module plans.",
    fields = {
        "scheme": "string: the naming scheme asked for (\"\" when the tool chose: tu where DWARF or STT_FILE symbols exist, else counter).",
        "vmlinux": "File: the vmlinux that was scanned, or None for a modules-only scan.",
        "syms": "File: `<name>.syms`, the vmlinux listing (GNU nm -n format) with alias lines; None without vmlinux.",
        "map_tsv": "File: the alias map as TSV (docs/alias-map.md).",
        "map_json": "File: the alias map as JSON (docs/alias-map.md).",
        "modules": "list of File: the module objects scanned, in order.",
        "trees": "list of File: directories (tree artifacts) whose modules were scanned after `modules`.",
        "plans": "dict of module name (\"foo.ko\") to File: the plan that `kas_alias rewrite` applies to that module; empty when `trees` is not.",
        "plan_dir": "File: with `trees`, the directory holding every module's plan; None otherwise.",
    },
)

KasAliasModulesInfo = provider(
    doc = "Module objects with their alias symbols added.",
    fields = {
        "originals": "dict of module name to File: each module as given.",
        "rewritten": "dict of module name to File: each module with its planned aliases added (uncompressed).",
        "rewritten_dir": "File: with directories among the scanned modules, the directory of every rewritten module (and `originals`, `rewritten` are empty); None otherwise.",
    },
)
