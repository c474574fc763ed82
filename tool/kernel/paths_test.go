package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func touch(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A directory stands for the module files under it, in path order; files
// are kept as given; modules.order lines are found compressed too; a name
// given twice is refused.
func TestModulePaths(t *testing.T) {
	d := t.TempDir()
	tree := filepath.Join(d, "tree")
	touch(t, filepath.Join(tree, "b/m-1.ko"), filepath.Join(tree, "a/z.ko.xz"), filepath.Join(tree, "a/readme.txt"),
		filepath.Join(tree, "a/y.o"), filepath.Join(tree, "a/y.o.xz"),
		filepath.Join(d, "inst/kernel/fs/c.ko.zst"), filepath.Join(d, "inst/kernel/fs/p.ko"), filepath.Join(d, "given.ko"))
	order := filepath.Join(d, "inst", "modules.order")
	if err := os.WriteFile(order, []byte("kernel/fs/c.ko\n\nkernel/fs/p.o\nkernel/gone.ko\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ModulePaths([]string{filepath.Join(d, "given.ko"), tree}, order, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"given.ko", "tree/a/y.o", "tree/a/z.ko.xz", "tree/b/m-1.ko",
		"inst/kernel/fs/c.ko.zst", "inst/kernel/fs/p.ko", "inst/kernel/gone.ko"}
	for i := range want {
		want[i] = filepath.Join(d, want[i])
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ModulePaths =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := ModulePaths([]string{filepath.Join(d, "given.ko"), filepath.Join(tree, "b/m-1.ko"), filepath.Join(d, "x/given.ko.gz")}, "", ""); err == nil ||
		err.Error() != filepath.Join(d, "x/given.ko.gz")+": module name given.ko already given by "+filepath.Join(d, "given.ko") {
		t.Errorf("same name twice: %v", err)
	}
}
