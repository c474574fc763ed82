package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
)

// cmdNM compares `kas_alias nm` with `LC_ALL=C nm -n`, file by file. The
// list has one "NAME<TAB>OURS<TAB>GNU" line per file: kas_alias reads OURS
// (a module as shipped, .ko.xz included) and GNU nm reads GNU (the same
// object, decompressed). Files go in batches, one process of each tool per
// batch, as many batches at once as there are cores. With -gnu-out, GNU
// nm's listing of each file is kept as DIR/NAME.nm for `unique`.
func cmdNM(args []string) error {
	fs := flag.NewFlagSet("nm", flag.ExitOnError)
	kasAlias := fs.String("kas-alias", "", "the kas_alias binary")
	list := fs.String("list", "", "NAME<TAB>OURS<TAB>GNU lines")
	gnuOut := fs.String("gnu-out", "", "keep GNU nm's listings in this directory")
	fs.Parse(args)
	rows, err := readTable(*list, 3)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("%s: no files", *list)
	}
	// Batches of at most 200 files or 64 MB, so that vmlinux goes alone.
	var batches [][][]string
	var size int64
	for _, r := range rows {
		st, err := os.Stat(r[2])
		if err != nil {
			return err
		}
		if n := len(batches); n == 0 || len(batches[n-1]) == 200 || size+st.Size() > 64<<20 {
			batches = append(batches, nil)
			size = 0
		}
		batches[len(batches)-1] = append(batches[len(batches)-1], r)
		size += st.Size()
	}
	p := &problems{name: "nm"}
	var same, lines atomic.Int64
	parallel(len(batches), func(i int) {
		b := batches[i]
		var ours, gnu []string
		for _, r := range b {
			ours, gnu = append(ours, r[1]), append(gnu, r[2])
		}
		o, err := tool(*kasAlias, append([]string{"nm"}, ours...)...)
		if err != nil {
			p.add("%v", err)
			return
		}
		g, err := tool("nm", append([]string{"-n"}, gnu...)...)
		if err != nil {
			p.add("%v", err)
			return
		}
		ol, err := splitListings(o, ours)
		if err != nil {
			p.add("kas_alias nm: %v", err)
			return
		}
		gl, err := splitListings(g, gnu)
		if err != nil {
			p.add("nm -n: %v", err)
			return
		}
		for j, r := range b {
			lines.Add(int64(bytes.Count(gl[j], []byte("\n"))))
			if bytes.Equal(ol[j], gl[j]) {
				same.Add(1)
			} else {
				p.add("%s: kas_alias nm %s differs from nm -n %s at %s", r[0], r[1], r[2], lineDiff(gl[j], ol[j]))
			}
			if *gnuOut != "" {
				if err := writeFile(filepath.Join(*gnuOut, r[0]+".nm"), gl[j]); err != nil {
					p.add("%v", err)
				}
			}
		}
	})
	fmt.Printf("nm: %d/%d files identical (%d lines)\n", same.Load(), len(rows), lines.Load())
	return p.err()
}

// splitListings cuts nm's output for files into one listing per file:
// with several files nm puts "\nFILE:\n" before each listing.
func splitListings(out []byte, files []string) ([][]byte, error) {
	if len(files) == 1 {
		return [][]byte{out}, nil
	}
	res := make([][]byte, len(files))
	pos := 0
	for i, f := range files {
		hdr := []byte("\n" + f + ":\n")
		if !bytes.HasPrefix(out[pos:], hdr) {
			return nil, fmt.Errorf("no header for %s at byte %d", f, pos)
		}
		pos += len(hdr)
		end := len(out)
		if i+1 < len(files) {
			k := bytes.Index(out[pos:], []byte("\n"+files[i+1]+":\n"))
			if k < 0 {
				return nil, fmt.Errorf("no header for %s", files[i+1])
			}
			end = pos + k
		}
		res[i] = out[pos:end]
		pos = end
	}
	return res, nil
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
