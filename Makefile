# The README's two commands. Both bootstrap the machine first (idempotent).
.PHONY: demo test bootstrap

# Aliases the bundled example "kernel" and prints its aliased listing.
demo: bootstrap
	./tools/demo.sh

# Runs every test: formatting, vet, go test, gazelle and buildifier checks,
# bazel test //... (rules, examples, consumer workspace, determinism, remote cache).
test:
	./tools/test.sh

bootstrap:
	./tools/bootstrap.sh
