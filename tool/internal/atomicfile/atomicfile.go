// Package atomicfile writes outputs so that a reader never sees a partial
// file: data goes to a temporary file in the same directory, which is renamed
// over the destination only once it is complete.
package atomicfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is an output being written; Commit publishes it, Abort discards it.
type File struct {
	w      *bufio.Writer // made on the first Write
	f      *os.File
	path   string
	done   bool
	direct bool // path is a pipe or device (/dev/stdout): written in place
}

// Create starts writing path (mode 0644 once committed). A path that is not
// a regular file (a pipe, /dev/stdout) cannot be renamed over and is written
// directly.
func Create(path string) (*File, error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		if st.IsDir() {
			return nil, fmt.Errorf("%s: is a directory", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		return &File{f: f, path: path, direct: true}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	return &File{f: f, path: path}, nil
}

// Write writes p through a buffer.
func (a *File) Write(p []byte) (int, error) {
	if a.w == nil {
		a.w = bufio.NewWriterSize(a.f, bufSize)
	}
	return a.w.Write(p)
}

// flush writes out what the buffer holds.
func (a *File) flush() error {
	if a.w == nil {
		return nil
	}
	return a.w.Flush()
}

// bufSize is the write buffer of a File: large enough for few system calls
// on a 10 MB listing, small enough for thousands of small files.
const bufSize = 64 << 10

// Commit flushes, closes and renames the file into place.
func (a *File) Commit() error {
	if a.done {
		return fmt.Errorf("%s: already committed or aborted", a.path)
	}
	a.done = true
	err := a.flush()
	if a.direct {
		if cerr := a.f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	if err == nil {
		err = a.f.Chmod(0o644)
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.path)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return fmt.Errorf("%s: %w", a.path, err)
	}
	return nil
}

// Abort discards the file; it is a no-op after Commit, so it can be deferred.
func (a *File) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Close()
	if !a.direct {
		os.Remove(a.f.Name())
	}
}

// WriteFile writes data to path atomically, in one write (no buffer). A
// regular file that already holds exactly data is left alone: replacing
// thousands of plan files by rename makes ext4 flush each one, and an
// untouched file keeps its time stamp for make.
func WriteFile(path string, data []byte) error {
	if same(path, data) {
		return nil
	}
	return Write(path, func(w io.Writer) error {
		_, err := w.(*File).f.Write(data) // unbuffered: one write
		return err
	})
}

// CopyFile writes the bytes of src, from its start, to path atomically;
// the kernel copies them (copy_file_range), no user-space buffer.
func CopyFile(path string, src *os.File) error {
	return Write(path, func(w io.Writer) error { return copyInto(w.(*File).f, src) })
}

// copyInto copies all of src into dst.
func copyInto(dst, src *os.File) error {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := dst.ReadFrom(src)
	return err
}

// Write runs fill on a new atomic file and commits it if fill succeeds.
func Write(path string, fill func(io.Writer) error) error {
	a, err := Create(path)
	if err != nil {
		return err
	}
	defer a.Abort()
	if err := fill(a); err != nil {
		return err
	}
	return a.Commit()
}

// same reports whether path is a regular 0644 file holding exactly data.
func same(path string, data []byte) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o644 || st.Size() != int64(len(data)) {
		return false
	}
	old, err := os.ReadFile(path)
	return err == nil && bytes.Equal(old, data)
}
