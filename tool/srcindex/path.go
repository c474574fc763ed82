package srcindex

import (
	"path"
	"path/filepath"
	"strings"
)

// topLevel are the directories at the top of a Linux source tree that hold
// sources a symbol can come from.
var topLevel = map[string]bool{
	"arch": true, "block": true, "certs": true, "crypto": true, "drivers": true,
	"fs": true, "include": true, "init": true, "io_uring": true, "ipc": true,
	"kernel": true, "lib": true, "mm": true, "net": true, "rust": true,
	"samples": true, "scripts": true, "security": true, "sound": true,
	"tools": true, "usr": true, "virt": true,
}

// trees returns the cleaned source-tree prefixes to strip for srctree: the
// tree as given and, when it is relative, also its absolute form (relative to
// the working directory, the way a user typing --srctree=../linux means it).
func trees(srctree string) []string {
	if srctree == "" {
		return nil
	}
	t := []string{path.Clean(filepath.ToSlash(srctree))}
	if !path.IsAbs(t[0]) {
		if abs, err := filepath.Abs(srctree); err == nil {
			t = append(t, path.Clean(filepath.ToSlash(abs)))
		}
	}
	return t
}

// NormalizePath turns a DWARF path into a source-tree-relative one; see the
// package documentation for the rules. p is the path as the DWARF spells it
// after its include directory is applied (never the compilation directory:
// a DWARF 5 file of directory 0, or a DWARF 4 file of directory 0, is just
// its name); compDir is the unit's DW_AT_comp_dir.
func NormalizePath(p, compDir, srctree string) string {
	return normalize(p, compDir, trees(srctree))
}

func normalize(p, compDir string, trees []string) string {
	if p == "" {
		return ""
	}
	c := path.Clean(p)
	full := c
	if !path.IsAbs(c) && compDir != "" {
		full = path.Clean(compDir + "/" + c)
	}
	// Rule 1: strip the source tree.
	for _, t := range trees {
		for _, q := range [...]string{full, c} {
			if rest, ok := under(q, t); ok {
				return rest
			}
		}
	}
	// Rule 2: a relative name that stays inside its base directory is
	// already source-tree-relative (kbuild's in-tree and prefix-mapped
	// builds).
	if !path.IsAbs(c) && c != ".." && !strings.HasPrefix(c, "../") {
		return c
	}
	// Rule 3: cut at the leftmost kernel top-level directory that is not the
	// last component (the file name).
	if rest, ok := cutTopLevel(full); ok {
		return rest
	}
	if full != c {
		if rest, ok := cutTopLevel(c); ok {
			return rest
		}
	}
	// Rule 4: nothing to anchor on; keep the cleaned path.
	return full
}

// under reports whether q is inside tree t (lexically) and returns the
// remainder.
func under(q, t string) (string, bool) {
	switch {
	case t == "/":
		if path.IsAbs(q) && q != "/" {
			return q[1:], true
		}
	case t == ".":
		if !path.IsAbs(q) && q != "." && q != ".." && !strings.HasPrefix(q, "../") {
			return q, true
		}
	case len(q) > len(t) && q[len(t)] == '/' && q[:len(t)] == t:
		return q[len(t)+1:], true
	}
	return "", false
}

func cutTopLevel(p string) (string, bool) {
	rest := p
	for {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return "", false
		}
		if topLevel[rest[:i]] {
			return rest, true
		}
		rest = rest[i+1:]
	}
}

// llvmJoin joins compDir, dir and name the way llvm-addr2line prints a file
// name (the absolute-file-path kind), then cleans it lexically.
func llvmJoin(compDir, dir, name string, dir0 bool) string {
	if path.IsAbs(name) {
		return path.Clean(name)
	}
	p := name
	if dir != "" {
		p = dir + "/" + name
	}
	if !path.IsAbs(p) && compDir != "" && (!dir0 || dir == "") {
		p = compDir + "/" + p
	}
	return path.Clean(p)
}
