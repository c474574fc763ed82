"""Analysis tests of module signing in kas_alias_modules."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")

def _signed_modules_test_impl(ctx):
    env = analysistest.begin(ctx)
    actions = analysistest.target_actions(env)
    asserts.equals(env, ["KasAliasModule", "KasAliasModule"], [a.mnemonic for a in actions])
    for a in actions:
        # Each rewrite signs its own module: key and certificate are inputs
        # of every one, and the flags say so.
        inputs = [f.basename for f in a.inputs.to_list() if f.is_source or f.path.startswith(analysistest.target_bin_dir_path(env))]
        out = a.outputs.to_list()[0].basename
        asserts.equals(env, sorted([out, out + ".plan.json", "signing_key.pem", "signing_key.x509"]), sorted(inputs))
        argv = a.argv
        flags = argv[argv.index("--sign-key"):argv.index("--sign-key") + 6]
        asserts.equals(env, ["--sign-key", "signing_key.pem", "--sign-cert", "signing_key.x509", "--sign-hash", "sha384"], [flags[0], flags[1].rpartition("/")[2], flags[2], flags[3].rpartition("/")[2], flags[4], flags[5]])
    return analysistest.end(env)

signed_modules_test = analysistest.make(_signed_modules_test_impl)
