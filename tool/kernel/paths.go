package kernel

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
	"github.com/kas-alias/rules_kas_alias/tool/plan"
)

// ModulePaths returns the module files that args and modulesOrder name, in
// order, each module name once: a directory among args stands for the
// module files under it (in bytewise path order); modulesOrder ("" for
// none) is a modules.order file whose lines are relative to orderDir
// (default: its own directory), each found as a distribution stores it
// (configfs.ko as configfs.ko.xz: modfile.Stored).
func ModulePaths(args []string, modulesOrder, orderDir string) ([]string, error) {
	paths, err := expandDirs(args)
	if err != nil {
		return nil, err
	}
	if modulesOrder != "" {
		listed, err := readModulesOrder(modulesOrder, orderDir)
		if err != nil {
			return nil, err
		}
		paths = append(paths, listed...)
	}
	return paths, checkNames(paths)
}

// expandDirs replaces each directory among args by the module files under
// it, in bytewise path order; files are kept as given.
func expandDirs(args []string) ([]string, error) {
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

// readModulesOrder reads modules.order: one path a line, relative to dir
// (default: the file's directory: the build tree's modules.order names
// fs/configfs/configfs.ko, the installed one kernel/fs/configfs/configfs.ko);
// kbuild 6.2+ writes .o names for .ko files.
func readModulesOrder(path, dir string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = filepath.Dir(path)
	}
	var mods []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasSuffix(line, ".o") {
			line = strings.TrimSuffix(line, ".o") + ".ko"
		}
		mods = append(mods, modfile.Stored(filepath.Join(dir, line)))
	}
	return mods, nil
}

// checkNames refuses two modules with one name: their plans and rewritten
// objects would overwrite each other.
func checkNames(paths []string) error {
	seen := make(map[string]string, len(paths))
	for _, m := range paths {
		name := plan.ModuleName(m)
		if prev, dup := seen[name]; dup {
			return fmt.Errorf("%s: module name %s already given by %s", m, name, prev)
		}
		seen[name] = m
	}
	return nil
}
