"""Public API of rules_kas_alias: load everything from here."""

load("//rules:providers.bzl", _KasAliasModulesInfo = "KasAliasModulesInfo", _KasAliasSymbolsInfo = "KasAliasSymbolsInfo")
load("//rules/private:kas_alias.bzl", _kas_alias = "kas_alias")
load("//rules/private:modules.bzl", _kas_alias_modules = "kas_alias_modules")
load("//rules/private:scan.bzl", _kas_alias_symbols = "kas_alias_symbols")
load("//rules/private:toolchain.bzl", _KasAliasToolchainInfo = "KasAliasToolchainInfo", _kas_alias_toolchain = "kas_alias_toolchain")

kas_alias = _kas_alias
kas_alias_symbols = _kas_alias_symbols
kas_alias_modules = _kas_alias_modules
kas_alias_toolchain = _kas_alias_toolchain
KasAliasSymbolsInfo = _KasAliasSymbolsInfo
KasAliasModulesInfo = _KasAliasModulesInfo
KasAliasToolchainInfo = _KasAliasToolchainInfo
