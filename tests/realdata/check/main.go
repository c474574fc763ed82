// Command realdata-check is the outside oracle of the real-data step
// (tests/realdata/run.sh): it checks what kas_alias wrote for a Debian
// kernel against GNU nm, GNU objcopy, readelf and llvm-addr2line, and reads
// ELF with Go's debug/elf only. It imports nothing of tool/: a check must not
// share code with what it checks.
//
//	realdata-check nm      compare `kas_alias nm` with `nm -n`, file by file
//	realdata-check unique  verify a scan's aliases from GNU nm listings and ELF
//	realdata-check rewrite compare `kas_alias rewrite` with `objcopy --add-symbol`
//	realdata-check srcline compare a srcline map with llvm-addr2line
//	realdata-check volume-plans  plans that alias every local function
//
// Each prints its figures on stdout; any mismatch is printed with the first
// differences on stderr and the exit status is 1.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: realdata-check nm|unique|rewrite|srcline|volume-plans|objcopy-args [flags]")
		os.Exit(2)
	}
	cmds := map[string]func([]string) error{
		"nm":           cmdNM,
		"unique":       cmdUnique,
		"rewrite":      cmdRewrite,
		"srcline":      cmdSrcline,
		"volume-plans": cmdVolumePlans,
		"objcopy-args": cmdObjcopyArgs,
	}
	run, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "realdata-check: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	if err := run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "realdata-check %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// problems collects the failures of one check: all are counted, the first
// few are kept for the report.
type problems struct {
	mu    sync.Mutex
	name  string
	n     int
	first []string
}

const shown = 8

func (p *problems) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if len(p.first) < shown {
		p.first = append(p.first, fmt.Sprintf(format, args...))
	}
}

// err reports the problems on stderr and returns an error if there are any.
func (p *problems) err() error {
	if p.n == 0 {
		return nil
	}
	fmt.Fprintf(os.Stderr, "FAIL %s: %d problems; the first:\n", p.name, p.n)
	for _, s := range p.first {
		fmt.Fprintf(os.Stderr, "  %s\n", strings.ReplaceAll(s, "\n", "\n    "))
	}
	return fmt.Errorf("%s: %d problems", p.name, p.n)
}

// errs joins the errors of several checks.
func errs(es ...error) error {
	var msgs []string
	for _, e := range es {
		if e != nil {
			msgs = append(msgs, e.Error())
		}
	}
	if msgs == nil {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

// tool runs name with args under LC_ALL=C and returns its standard output;
// a non-zero exit or anything on standard error is an error.
func tool(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || stderr.Len() > 0 {
		arg := strings.Join(args, " ")
		if len(arg) > 200 {
			arg = arg[:200] + "..."
		}
		return nil, fmt.Errorf("%s %s: %v: %s", name, arg, err, firstLines(stderr.String(), 5))
	}
	return stdout.Bytes(), nil
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, "\n")
}

// parallel runs f(i) for i in [0, n) on every core.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// readTable reads a file of tab-separated lines.
func readTable(path string, cols int) ([][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for i, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if l == "" {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != cols {
			return nil, fmt.Errorf("%s:%d: %d fields, want %d", path, i+1, len(f), cols)
		}
		rows = append(rows, f)
	}
	return rows, nil
}

// lineDiff describes the first difference between two texts.
func lineDiff(want, got []byte) string {
	w, g := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b []byte
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if !bytes.Equal(a, b) || (i >= len(w)) != (i >= len(g)) {
			return fmt.Sprintf("line %d (of %d / %d):\nwant: %q\ngot:  %q", i+1, len(w), len(g), a, b)
		}
	}
	return "equal"
}

// sortedLines is the lines of b, sorted (a multiset to compare).
func sortedLines(b []byte) []string {
	var l []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l = append(l, sc.Text())
	}
	sort.Strings(l)
	return l
}
