package main

import (
	"bytes"
	"flag"
	"fmt"
	"os/exec"
	"path"
	"strings"
)

// cmdSrcline checks the srcline column of a map's vmlinux aliases against
// one llvm-addr2line process over their addresses. The map's file is
// relative to the source tree, llvm's is joined with the compile
// directory: they agree when llvm's cleaned path is the map's or ends in
// "/" and the map's, and the lines are equal.
func cmdSrcline(args []string) error {
	fs := flag.NewFlagSet("srcline", flag.ExitOnError)
	vmlinux := fs.String("vmlinux", "", "vmlinux with DWARF")
	tsv := fs.String("map-tsv", "", "the map of a srcline scan")
	fs.Parse(args)
	rows, err := readTable(*tsv, 11)
	if err != nil {
		return err
	}
	var want [][]string
	var in bytes.Buffer
	for _, r := range rows[1:] {
		if r[2] == "vmlinux" {
			want = append(want, r)
			in.WriteString("0x" + r[4] + "\n")
		}
	}
	if len(want) == 0 {
		return fmt.Errorf("%s: no vmlinux aliases", *tsv)
	}
	cmd := exec.Command("llvm-addr2line", "-e", *vmlinux)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		return fmt.Errorf("llvm-addr2line: %v: %s", err, firstLines(stderr.String(), 5))
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != len(want) {
		return fmt.Errorf("llvm-addr2line: %d lines for %d addresses", len(got), len(want))
	}
	p := &problems{name: "srcline"}
	same := 0
	for i, r := range want {
		l, _, _ := strings.Cut(got[i], " (discriminator ")
		j := strings.LastIndexByte(l, ':')
		k := strings.LastIndexByte(r[7], ':')
		if j < 0 || k < 0 {
			p.add("%s at %s: map %q, llvm-addr2line %q", r[0], r[4], r[7], got[i])
			continue
		}
		file, line := path.Clean(l[:j]), l[j+1:]
		if (file == r[7][:k] || strings.HasSuffix(file, "/"+r[7][:k])) && line == r[7][k+1:] {
			same++
		} else {
			p.add("%s at %s: map %q, llvm-addr2line %q", r[0], r[4], r[7], got[i])
		}
	}
	fmt.Printf("srcline: %d/%d vmlinux aliases at the file and line llvm-addr2line gives\n", same, len(want))
	return p.err()
}
