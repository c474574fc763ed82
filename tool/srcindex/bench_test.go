package srcindex

import (
	"bufio"
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
)

// BenchmarkKernel is bench/srcindex.sh's driver: with -srcindex.image it
// computes the duplicate addresses of the image's .symtab (the address of
// every symbol nm prints whose name is at more than one distinct address), writes them to
// -srcindex.addrs (one hex address a line, llvm-addr2line's input), times
// mmap+Open+Locate -srcindex.runs times and writes our answers to
// -srcindex.out as "path:line" lines (llvm-addr2line's output form) and
// "addr tu file:line" lines to -srcindex.out.norm.
var (
	flagImage = flag.String("srcindex.image", "", "ELF image for the kernel driver")
	flagAddrs = flag.String("srcindex.addrs", "", "write the duplicate addresses here")
	flagOut   = flag.String("srcindex.out", "", "write llvm-style path:line answers here")
	flagNorm  = flag.String("srcindex.out.norm", "", "write normalised answers here")
	flagRuns  = flag.Int("srcindex.runs", 5, "timed runs")
	flagTree  = flag.String("srcindex.srctree", "", "srctree for the driver")
	flagLLVM  = flag.String("srcindex.llvm", "", "llvm-addr2line output for the addresses, to compare with")
)

func duplicateAddrs(tb testing.TB, p string) []uint64 {
	f, err := elf.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		tb.Fatal(err)
	}
	at := map[string]map[uint64]bool{}
	var all []elf.Symbol
	for _, s := range syms {
		t := elf.ST_TYPE(s.Info)
		if t == elf.STT_SECTION || t == elf.STT_FILE || s.Section == elf.SHN_UNDEF || s.Name == "" {
			continue
		}
		if at[s.Name] == nil {
			at[s.Name] = map[uint64]bool{}
		}
		at[s.Name][s.Value] = true
		all = append(all, s)
	}
	// One address per symbol of a duplicated name: every alias line needs
	// one lookup (nm lists a symbol twice if .symtab holds it twice).
	var out []uint64
	for _, s := range all {
		if len(at[s.Name]) > 1 {
			out = append(out, s.Value)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func BenchmarkKernel(t *testing.B) {
	if *flagImage == "" {
		t.Fatal("give -srcindex.image (bench/srcindex.sh does)")
	}
	addrs := duplicateAddrs(t, *flagImage)
	if *flagAddrs != "" {
		w, err := os.Create(*flagAddrs)
		if err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriter(w)
		for _, a := range addrs {
			fmt.Fprintf(bw, "%x\n", a)
		}
		bw.Flush()
		w.Close()
	}
	in := make([]Addr, len(addrs))
	for i, a := range addrs {
		in[i] = Addr{Value: a}
	}
	var times []time.Duration
	var locs []Location
	var open, tuTime time.Duration
	for range *flagRuns {
		t0 := time.Now()
		f, err := elfread.Open(*flagImage)
		if err != nil {
			t.Fatal(err)
		}
		x, err := Open(f, Options{Srctree: *flagTree})
		if err != nil {
			t.Fatal(err)
		}
		open = time.Since(t0)
		t1 := time.Now()
		for _, a := range in {
			x.TU(a)
		}
		tuTime = time.Since(t1)
		locs, err = x.Locate(in)
		if err != nil {
			t.Fatal(err)
		}
		times = append(times, time.Since(t0))
		f.Close()
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Printf("srcindex addresses %d runs %d median %.3f s (last run: mmap+Open %.3f s, TU of every address %.1f ms)\n", len(addrs), len(times), times[len(times)/2].Seconds(), open.Seconds(), float64(tuTime.Microseconds())/1000)
	if *flagOut != "" {
		w, _ := os.Create(*flagOut)
		bw := bufio.NewWriter(w)
		for _, l := range locs {
			if l.Path == "" {
				fmt.Fprintf(bw, "??:0\n")
			} else {
				fmt.Fprintf(bw, "%s:%d\n", l.Path, l.Line)
			}
		}
		bw.Flush()
		w.Close()
	}
	if *flagLLVM != "" {
		b, err := os.ReadFile(*flagLLVM)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(lines) != len(locs) {
			t.Fatalf("llvm-addr2line gave %d lines for %d addresses", len(lines), len(locs))
		}
		agree, known, knownAgree := 0, 0, 0
		for i, l := range lines {
			want := l
			if j := strings.LastIndexByte(l, ':'); j > 0 && l[:j] != "??" {
				want = path.Clean(l[:j]) + l[j:]
			}
			got := "??:0"
			if locs[i].Path != "" {
				got = fmt.Sprintf("%s:%d", locs[i].Path, locs[i].Line)
			}
			if want != "??:0" {
				known++
			}
			if got == want {
				agree++
				if want != "??:0" {
					knownAgree++
				}
			} else {
				t.Errorf("%#x: ours %s, llvm-addr2line %s", addrs[i], got, l)
			}
		}
		fmt.Printf("agreement with llvm-addr2line (paths cleaned lexically): %d of %d addresses; %d of %d that llvm locates\n", agree, len(lines), knownAgree, known)
	}
	if *flagNorm != "" {
		w, _ := os.Create(*flagNorm)
		bw := bufio.NewWriter(w)
		for i, l := range locs {
			fmt.Fprintf(bw, "%x %s %s:%d\n", addrs[i], l.TU, l.File, l.Line)
		}
		bw.Flush()
		w.Close()
	}
}
