package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
)

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

// isModuleName tells the module objects inside a directory given as a
// module argument, as /lib/modules trees and Bazel tree artifacts hold them:
// .ko files, plain or compressed, and .o files.
func isModuleName(name string) bool {
	base, compressed := modfile.TrimCompression(name)
	return strings.HasSuffix(base, ".ko") || (!compressed && strings.HasSuffix(name, ".o"))
}
