package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/resolve"
)

const resolveDoc = `For a running kernel built without aliases: reads the alias map of its
build (--map, TSV or JSON) and its /proc/kallsyms (as root), checks that
the two are of one build, and prints one line per ALIAS, tab-separated:
  ALIAS  ADDRESS  KPROBE_EVENTS_LINE  BPFTRACE_PROBE  PERF_PROBE_ARGUMENT
for example
  echo "$(kas_alias resolve --map aliases.tsv s_show@kernel/kallsyms.c | cut -f3)" \
      >>/sys/kernel/tracing/kprobe_events
An alias the kernel refuses a kprobe on (the map's traceable column) gets
one line on stderr saying why, and exit status 1; the others are printed.
See docs/alias-map.md.`

func runResolve(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var mapPath, ksPath string
	fs := newFlags(stderr, "resolve", "ALIAS...", resolveDoc)
	fs.StringVar(&mapPath, "map", "", "the alias map `FILE` (kas_alias scan --map-tsv or --map-json)")
	fs.StringVar(&ksPath, "kallsyms", "/proc/kallsyms", "the running kernel's kallsyms `FILE`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if mapPath == "" || fs.NArg() == 0 {
		fmt.Fprintln(stderr, "kas_alias resolve: --map and at least one ALIAS are needed")
		fs.Usage()
		return errUsage
	}
	mf, err := os.Open(mapPath)
	if err != nil {
		return err
	}
	defer mf.Close()
	m, err := alias.ReadMap(mf, mapPath)
	if err != nil {
		return err
	}
	kf, err := os.Open(ksPath)
	if err != nil {
		return err
	}
	defer kf.Close()
	res, err := resolve.Resolve(m, mapPath, kf, ksPath, fs.Args())
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	for _, p := range res.Probes {
		if p.Traceable == alias.TraceUnknown {
			fmt.Fprintf(stderr, "kas_alias resolve: %s: %s\n", p.Alias, p.Traceable.Why())
		}
		fmt.Fprintf(w, "%s\t%x\t%s\t%s\t%s\n", p.Alias, p.Address, p.Events, p.Bpftrace, p.Perf)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, r := range res.Refused {
		fmt.Fprintf(stderr, "kas_alias resolve: %s\n", r)
	}
	if len(res.Refused) > 0 {
		return errRefused
	}
	return nil
}

// errRefused: the refusals are printed; exit status 1 without more words.
var errRefused = errors.New("refused")
