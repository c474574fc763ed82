// Package mmapfile maps a whole file read-only, so that readers touch only
// the pages they use: a 600 MB vmlinux costs what its symbol table costs.
package mmapfile

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// Map is a read-only mapping of a file, which also reads it with pread:
// sparse reads through a mapping map whole runs of pages around each
// fault (fault-around), and count them in the process's resident set.
type Map struct {
	Data []byte
	f    *os.File
}

// ReadAt reads from the file itself, not through the mapping.
func (m *Map) ReadAt(p []byte, off int64) (int, error) {
	if m.f == nil {
		return 0, io.EOF
	}
	return m.f.ReadAt(p, off)
}

// Open maps path read-only. An empty file yields an empty, unmapped Data.
func Open(path string) (*Map, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	size := st.Size()
	if size == 0 {
		return &Map{f: f}, nil
	}
	if int64(int(size)) != size {
		f.Close()
		return nil, fmt.Errorf("%s: too large to map (%d bytes)", path, size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: mmap: %w", path, err)
	}
	return &Map{Data: data, f: f}, nil
}

// Close unmaps and closes the file; Data must not be used afterwards.
func (m *Map) Close() error {
	var err error
	if m.Data != nil {
		err = syscall.Munmap(m.Data)
		m.Data = nil
	}
	if m.f != nil {
		if cerr := m.f.Close(); err == nil {
			err = cerr
		}
		m.f = nil
	}
	return err
}
