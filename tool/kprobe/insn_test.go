package kprobe

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

// Functions whose first instruction (assembled by GNU as, in a module-like
// object and a linked image) x86-64 kprobes take or refuse, by
// arch/x86/kernel/kprobes/core.c of Linux 6.1 and 6.12. The 6.12 guest of
// examples/kernel checks the same rule against the kernel itself.
func TestInsnRefused(t *testing.T) {
	cases := []struct {
		insn    string
		refused bool
	}{
		{"jmp *0x18(%rdi)", true},          // FF /4 through memory (8250's serial_out)
		{"call *0x8(%rax)", true},          // FF /2 through memory
		{"jmp *%rax", false},               // FF /4 through a register: emulated
		{"call *%r11", false},              // REX.B FF /2
		{"addr32 jmp *%rax", true},         // 0x67: another address size
		{"ljmp *(%rax)", true},             // FF /5
		{"lcall *(%rax)", true},            // FF /3
		{"int3", true},                     // CC
		{"iretq", true},                    // REX.W CF
		{"vmcall", true},                   // 0F 01 C1
		{"mov %eax, %ss", true},            // 8E /2
		{"mov %eax, %ds", false},           // 8E /3
		{"endbr64; jmp *0x18(%rdi)", true}, // the probe moves past ENDBR64
		{"endbr64; push %rbp", false},
		{"push %rbp", false},
		{"call 0f; 0:", false}, // E8: emulated (the fentry call)
		{"nopl 0x0(%rax,%rax,1)", false},
		{"ret", false},
		{"cli", false},
		{"incl 0x10(%rdi)", false}, // FF /0: an ordinary instruction
	}
	var src strings.Builder
	src.WriteString(".text\n")
	for i, c := range cases {
		fmt.Fprintf(&src, ".globl f%d\n.type f%d,@function\nf%d:\n%s\nint3\n.size f%d, .-f%d\n", i, i, i, c.insn, i, i)
	}
	dir := t.TempDir()
	ccfixture.WriteFiles(t, dir, map[string]string{"f.s": src.String()})
	ccfixture.Host.Compile(t, dir, "-c", "-o", "f.o", "f.s")
	ccfixture.Host.Compile(t, dir, "-nostdlib", "-no-pie", "-Wl,-e,f0", "-o", "img", "f.o")
	for _, obj := range []string{"f.o", "img"} {
		f, err := elfread.Open(filepath.Join(dir, obj))
		if err != nil {
			t.Fatal(err)
		}
		syms, err := f.Symbols()
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, s := range syms {
			var i int
			if _, err := fmt.Sscanf(s.Name, "f%d", &i); err != nil || fmt.Sprintf("f%d", i) != s.Name {
				continue
			}
			seen++
			if got := InsnRefused(f, s.Section, s.Value); got != cases[i].refused {
				t.Errorf("%s: %q: refused %v, want %v", obj, cases[i].insn, got, cases[i].refused)
			}
		}
		if seen != len(cases) {
			t.Errorf("%s: %d functions, want %d", obj, seen, len(cases))
		}
		f.Close()
	}
}
