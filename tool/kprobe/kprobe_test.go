package kprobe

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

// Images whose ftrace locations cannot be read are refused with one line
// naming the file and what is wrong (the kernel's fixtures, tool/kernel,
// test what is read from good ones).
func TestBadImages(t *testing.T) {
	const fn = "int global_fn(int x) { return x + 1; }\n"
	cases := []struct {
		name, target, src, script, ldflags, want string
	}{
		{
			// The linker symbols point outside every section.
			name: "outside", target: "x86_64", src: fn,
			script:  "SECTIONS { . = 0x1000000; .text : { *(.text) } __start_mcount_loc = 0x50000000; __stop_mcount_loc = 0x50000010; }",
			ldflags: "-no-pie",
			want:    "img (__mcount_loc): addresses 0x50000000..0x50000010 are in no section",
		},
		{
			// A relocatable image whose ftrace location is a relocation
			// against a symbol, which the kernel's own relocation at boot
			// does not resolve.
			name: "symbolic", target: "aarch64",
			src:     fn + "__asm__(\".pushsection __patchable_function_entries,\\\"aw\\\"\\n.quad global_fn\\n.popsection\\n\");\n",
			script:  "SECTIONS { . = 0x1000000; .text : { *(.text) } .init.data : { . = ALIGN(8); __start_mcount_loc = .; KEEP(*(__patchable_function_entries)) __stop_mcount_loc = .; } }",
			ldflags: "-shared -fPIC -Wl,--no-apply-dynamic-relocs",
			want:    "(.rela.dyn): relocation 0 (type 257 at 0x",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ccfixture.WriteFiles(t, dir, map[string]string{"f.c": c.src, "img.lds": c.script})
			var tg ccfixture.Target
			for _, x := range ccfixture.Targets {
				if x.Name == c.target {
					tg = x
				}
			}
			args := append(strings.Fields(c.ldflags), "-O2", "-nostdlib", "-Wl,-T,img.lds", "-Wl,--no-warn-rwx-segments", "-o", "img", "f.c")
			tg.Compile(t, dir, args...)
			f, err := elfread.Open(filepath.Join(dir, "img"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = Read(f)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), filepath.Join(dir, "img")) {
				t.Errorf("Read: %v, want an error naming the file with %q", err, c.want)
			}
		})
	}
}
