package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// Bazel's multiline param files: one argument a line, "@FILE" anywhere.
func TestExpandParamFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mods.params")
	if err := os.WriteFile(p, []byte("a.ko\nb b.ko\n\nc.ko.xz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := expandParamFiles([]string{"--plan-dir", "d", "@" + p, "@", "z.ko"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--plan-dir", "d", "a.ko", "b b.ko", "c.ko.xz", "@", "z.ko"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, err := expandParamFiles([]string{"@" + p + ".missing"}); err == nil {
		t.Fatal("a missing param file is not an error")
	}
}
