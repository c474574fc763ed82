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
	"github.com/ulikunitz/xz"
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

// Read returns the file's bytes as stored (raw) and its ELF image, which is
// raw itself for an uncompressed file.
func Read(path string) (raw, image []byte, err error) {
	raw, err = os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	image, err = Decompress(path, raw)
	return raw, image, err
}

// Decompress returns the ELF image inside raw, the bytes of file path.
func Decompress(path string, raw []byte) ([]byte, error) {
	var r io.Reader
	var err error
	switch {
	case strings.HasSuffix(path, ".xz"):
		r, err = xz.NewReader(bytes.NewReader(raw))
	case strings.HasSuffix(path, ".zst"):
		var d *zstd.Decoder
		d, err = zstd.NewReader(bytes.NewReader(raw), zstd.WithDecoderConcurrency(1))
		if err == nil {
			defer d.Close()
			r = d
		}
	case strings.HasSuffix(path, ".gz"):
		r, err = gzip.NewReader(bytes.NewReader(raw))
	default:
		return raw, nil
	}
	if err == nil {
		var out bytes.Buffer
		out.Grow(4 * len(raw))
		_, err = io.Copy(&out, r)
		if err == nil {
			return out.Bytes(), nil
		}
	}
	return nil, fmt.Errorf("%s: cannot decompress: %v", path, err)
}
