// Package modfile reads module objects as distributions ship them: plain, or
// compressed with xz, zstd or gzip (by file suffix). Modules are small, so
// they are read whole; vmlinux is never read through here.
package modfile

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/therootcompany/xz"
)

// compressions are the suffixes of the compressors modules ship with.
var compressions = []string{".xz", ".zst", ".gz"}

// TrimCompression returns path without a compressor's suffix, and whether
// it had one ("configfs.ko.xz" gives "configfs.ko", true).
func TrimCompression(path string) (string, bool) {
	for _, ext := range compressions {
		if base, ok := strings.CutSuffix(path, ext); ok {
			return base, true
		}
	}
	return path, false
}

// Stored returns the file a module path names as a distribution stores it:
// path itself if it exists, else the first of path.xz, path.zst, path.gz
// that does (modules.order names configfs.ko; Debian ships configfs.ko.xz,
// and depmod finds it the same way). Without any, path.
func Stored(path string) string {
	if _, err := os.Stat(path); err == nil {
		return path
	}
	for _, ext := range compressions {
		if _, err := os.Stat(path + ext); err == nil {
			return path + ext
		}
	}
	return path
}

// Compressed reports whether path names a compressed module.
func Compressed(path string) bool {
	_, c := TrimCompression(path)
	return c
}

// Reader reads module files, reusing its buffers from one file to the next:
// thousands of modules cost a few buffers, not a copy each. A Reader is
// not safe for concurrent use; give each goroutine its own.
type Reader struct {
	raw, image []byte
	file       bytes.Reader
	xz         *xz.Reader
	zstd       *zstd.Decoder
}

// Read returns the ELF image in the file at path: its bytes, decompressed
// when its name says it is compressed. The slice is valid until the next
// Read.
func (r *Reader) Read(path string) ([]byte, error) {
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
	r.raw = grow(r.raw, int(st.Size()))
	if _, err := io.ReadFull(f, r.raw); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if !Compressed(path) {
		return r.raw, nil
	}
	if err := r.decompress(path); err != nil {
		return nil, fmt.Errorf("%s: cannot decompress: %v", path, err)
	}
	return r.image, nil
}

// grow returns b resized to n bytes, reallocated only when too small.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n, n+n/4)
	}
	return b[:n]
}

// decompress decompresses r.raw into r.image.
func (r *Reader) decompress(path string) error {
	r.file.Reset(r.raw)
	var dec io.Reader
	switch {
	case strings.HasSuffix(path, ".xz"):
		if r.xz == nil {
			d, err := xz.NewReader(&r.file, 0)
			if err != nil {
				return err
			}
			r.xz = d
		} else if err := r.xz.Reset(&r.file); err != nil {
			return err
		}
		dec = r.xz
	case strings.HasSuffix(path, ".zst"):
		if r.zstd == nil {
			d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
			if err != nil {
				return err
			}
			r.zstd = d
		}
		if err := r.zstd.Reset(&r.file); err != nil {
			return err
		}
		dec = r.zstd
	case strings.HasSuffix(path, ".gz"):
		d, err := gzip.NewReader(&r.file)
		if err != nil {
			return err
		}
		dec = d
	}
	r.image = r.image[:0]
	for {
		if len(r.image) == cap(r.image) {
			r.image = append(r.image, 0)[:len(r.image)]
		}
		n, err := dec.Read(r.image[len(r.image):cap(r.image)])
		r.image = r.image[:len(r.image)+n]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
