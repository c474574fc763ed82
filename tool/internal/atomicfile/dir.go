package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Dir writes many files into one directory so that a reader sees all of
// them or none: they go into a new temporary directory beside it, which
// Commit renames into place. Thousands of small files cost one rename
// instead of one each (a rename over a file costs ~0.3 ms on ext4).
type Dir struct {
	path, tmp string
	names     []string
	done      bool
}

// CreateDir starts writing the directory path. Its files may be written
// concurrently.
func CreateDir(path string) (*Dir, error) {
	// A symbolic link to a directory (out -> /scratch/out) is kept: the
	// directory it names is the one replaced, from beside it.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	parent := filepath.Dir(filepath.Clean(path))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	return &Dir{path: path, tmp: tmp}, nil
}

// WriteFile writes one file of the directory (mode 0644). Record the
// names first with Add when calling it from several goroutines.
func (d *Dir) WriteFile(name string, data []byte) error {
	return os.WriteFile(filepath.Join(d.tmp, name), data, 0o644)
}

// CopyFile writes src's bytes as file name of the directory (mode 0644).
func (d *Dir) CopyFile(name string, src *os.File) error {
	f, err := os.OpenFile(filepath.Join(d.tmp, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	err = copyInto(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Add records the names of the files written, for Commit's fallback.
func (d *Dir) Add(names ...string) { d.names = append(d.names, names...) }

// Commit puts the files in place: the whole directory by one rename where
// path is absent or empty (as Bazel leaves a declared output's directory);
// otherwise file by file, each file atomically, files already holding the
// same bytes left alone.
func (d *Dir) Commit() error {
	if d.done {
		return fmt.Errorf("%s: already committed or aborted", d.path)
	}
	d.done = true
	if err := os.Chmod(d.tmp, 0o755); err != nil {
		d.abort()
		return err
	}
	err := os.Rename(d.tmp, d.path)
	if err == nil {
		return nil
	}
	if !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
		d.abort()
		return fmt.Errorf("%s: %w", d.path, err)
	}
	defer d.abort()
	for _, name := range d.names {
		dst := filepath.Join(d.path, name)
		data, err := os.ReadFile(filepath.Join(d.tmp, name))
		if err != nil {
			return err
		}
		if same(dst, data) {
			continue
		}
		if err := os.Rename(filepath.Join(d.tmp, name), dst); err != nil {
			return fmt.Errorf("%s: %w", dst, err)
		}
	}
	return nil
}

// Abort discards what was written; a no-op after Commit, so it can be
// deferred.
func (d *Dir) Abort() {
	if !d.done {
		d.done = true
		d.abort()
	}
}

func (d *Dir) abort() { os.RemoveAll(d.tmp) }
