// Command kas_alias gives every Linux kernel symbol a name that can be
// probed: it lists ELF symbols exactly as GNU nm -n does, adds alias lines
// for names that occur at more than one address, writes the alias map and
// per-module plans, and adds the planned alias symbols to module objects.
//
// Usage:
//
//	kas_alias <command> [flags] [args]
//
// Run "kas_alias help" for the commands, "kas_alias <command> --help" for one.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// A command is one subcommand: run parses args itself (with newFlags) and
// returns an error that main prints as one line.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

var commands = []command{
	{"nm", "print the symbol listing of ELF files, byte for byte as LC_ALL=C nm -n", runNM},
	{"scan", "find duplicate names in vmlinux and modules; write the aliased listing, alias map and module plans", runScan},
	{"filter", "read an nm/mksysmap listing on stdin, write it with alias lines (for scripts/link-vmlinux.sh)", runFilter},
	{"rewrite", "write module objects with their planned alias symbols added", runRewrite},
	{"sign", "sign a module as the kernel's scripts/sign-file does (a signed module is re-signed)", runSign},
	{"resolve", "print live addresses and probes of aliases for a running kernel built without them", runResolve},
}

// errUsage reports a command-line mistake; the flag package has already
// printed what was wrong.
var errUsage = errors.New("usage")

func main() {
	// A short-lived batch tool that holds whole symbol tables (150 MB for
	// a distribution kernel and its 4,000 modules): garbage is collected
	// rarely (a third less CPU), and the collector's soft limit holds the
	// heap near 256 MiB. GOGC and GOMEMLIMIT in the environment win.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(256 << 20)
	}
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Main runs the tool and returns its exit status: 0 on success, 1 on bad
// input or failure, 2 on a command-line mistake.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		rest, err := expandParamFiles(args[1:])
		if err == nil {
			err = c.run(rest, stdin, stdout, stderr)
		}
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.Is(err, errRefused):
			return 1
		default:
			fmt.Fprintf(stderr, "kas_alias %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "kas_alias: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kas_alias <command> [flags] [args]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'kas_alias <command> --help' for a command's flags.")
}

// newFlags makes a command's flag set; its errors and --help go to stderr.
func newFlags(stderr io.Writer, name, args, doc string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: kas_alias %s [flags] %s\n\n%s\n\nflags:\n", name, args, doc)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args with fs, mapping the flag package's errors to ours.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}
