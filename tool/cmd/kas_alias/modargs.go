package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// moduleSuffixes are the names of module objects inside a directory given
// as a module argument: what /lib/modules trees and Bazel tree artifacts hold.
var moduleSuffixes = []string{".ko", ".ko.xz", ".ko.zst", ".ko.gz", ".o"}

// expandModuleDirs replaces each directory among args by the module files
// under it, in bytewise path order; files are kept as given.
func expandModuleDirs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			out = append(out, a) // opening it reports what is wrong
			continue
		}
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isModuleName(d.Name()) {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func isModuleName(name string) bool {
	for _, s := range moduleSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}
