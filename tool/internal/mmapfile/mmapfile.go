// Package mmapfile maps a whole file read-only, so that readers touch only
// the pages they use: a 600 MB vmlinux costs what its symbol table costs.
package mmapfile

import (
	"fmt"
	"os"
	"syscall"
)

// Map is a read-only mapping of a file.
type Map struct {
	Data []byte
}

// Open maps path read-only. An empty file yields an empty, unmapped Data.
func Open(path string) (*Map, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	size := st.Size()
	if size == 0 {
		return &Map{}, nil
	}
	if int64(int(size)) != size {
		return nil, fmt.Errorf("%s: too large to map (%d bytes)", path, size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("%s: mmap: %w", path, err)
	}
	return &Map{Data: data}, nil
}

// Close unmaps the file; Data must not be used afterwards.
func (m *Map) Close() error {
	if m.Data == nil {
		return nil
	}
	err := syscall.Munmap(m.Data)
	m.Data = nil
	return err
}
