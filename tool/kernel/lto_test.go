package kernel

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

// ltoSources are two units with a static s_show each; ThinLTO imports
// a_api into b.c's unit, so a.c's s_show is promoted and renamed
// s_show.llvm.<digits>, while b.c's keeps its name. Both are address-taken,
// so kCFI gives each a __cfi_s_show.
func ltoSources(version string) map[string]string {
	return map[string]string{
		"a.c": "const char linux_banner[] = \"Linux version " + version + " (clang) #1\\n\";\n" +
			"static __attribute__((noinline)) int s_show(int x) { return x * 3 + 1; }\n" +
			"int (*a_ops)(int) = s_show;\nint a_api(int x) { return s_show(x); }\n",
		"b.c": "static __attribute__((noinline)) int s_show(int x) { return x * 5 - 2; }\n" +
			"int a_api(int x);\nint (*b_ops)(int) = s_show;\n" +
			"int b_api(int x) { return b_ops(x) + a_api(x); }\nint _start(void) { return b_api(1); }\n",
	}
}

// TestThinLTO: names that differ only by .llvm.<digits> are one C name,
// duplicated, and aliased by it, on x86_64 (with kCFI's __cfi_ symbols,
// treated as __pfx_ ones are) and aarch64, whether the kernel's kallsyms
// strips the suffix (6.1) or keeps it (6.12): the aliases are the same.
// Without DWARF, the promoted s_show is a hidden local listed after every
// unit's own symbols, so no STT_FILE tells its unit: tu gives it no alias
// (rather than b.c's name).
func TestThinLTO(t *testing.T) {
	for _, c := range []struct {
		triple string
		flags  []string
	}{
		{"x86_64-linux-gnu", []string{"-fsanitize=kcfi"}},
		{"aarch64-linux-gnu", nil},
	} {
		for _, v := range []struct{ version, debug string }{
			{"6.1.0-57-arm64", "-g"}, {"6.12.48+deb12-arm64", "-g"}, {"6.12.48+deb12-arm64", "-g0"},
		} {
			version, dwarf := v.version, v.debug == "-g"
			t.Run(c.triple+"/"+version+v.debug, func(t *testing.T) {
				dir := t.TempDir()
				ccfixture.WriteFiles(t, dir, ltoSources(version))
				cc := append([]string{"--target=" + c.triple, "-O2", v.debug, "-flto=thin", "-ffreestanding", "-fno-pic"}, c.flags...)
				for _, u := range []string{"a", "b"} {
					ccfixture.Run(t, dir, ccfixture.Clang(t), append(cc, "-c", u+".c", "-o", u+".o")...)
				}
				ccfixture.Run(t, dir, ccfixture.Clang(t), "--target="+c.triple, "-fuse-ld=lld", "-flto=thin", "-O2", "-nostdlib", "-static",
					"-Wl,-e,_start", "-Wl,--build-id=none", "-o", "vmlinux", "a.o", "b.o")
				nm := string(ccfixture.Run(t, dir, "nm", "-n", filepath.Join(dir, "vmlinux")))
				promoted := regexp.MustCompile(`(?m)^([0-9a-f]+) t (s_show\.llvm\.[0-9]+)$`).FindStringSubmatch(nm)
				plain := regexp.MustCompile(`(?m)^([0-9a-f]+) t s_show$`).FindStringSubmatch(nm)
				if promoted == nil || plain == nil {
					t.Fatalf("the fixture did not make s_show and s_show.llvm.N:\n%s", nm)
				}
				for _, scheme := range []alias.Scheme{alias.TU, alias.Counter} {
					syms := filepath.Join(dir, string(scheme)+".syms")
					c := Scan{Vmlinux: filepath.Join(dir, "vmlinux"), Scheme: scheme, Syms: syms}
					if _, err := c.Run(); err != nil {
						t.Fatal(err)
					}
					got, err := os.ReadFile(syms)
					if err != nil {
						t.Fatal(err)
					}
					aliasLines := regexp.MustCompile(`(?m)^[0-9a-f]+ [tT] \S*(@|__[0-9]+$)\S*$`).FindAllString(string(got), -1)
					var want []string
					switch {
					case scheme == alias.TU && dwarf:
						want = []string{promoted[1] + " t s_show@a.c", plain[1] + " t s_show@b.c"}
					case scheme == alias.TU:
						want = []string{plain[1] + " t s_show@b.c"}
					default:
						// counter aliases every duplicate, __cfi_ and __pfx_ included.
						want = []string{promoted[1] + " t s_show__", plain[1] + " t s_show__"}
						if strings.Contains(nm, " __cfi_s_show\n") {
							want = append(want, " t __cfi_s_show__", " t __cfi_s_show__")
						}
					}
					if len(aliasLines) != len(want) {
						t.Fatalf("%s: alias lines\n%s\nwant %d like %q", scheme, strings.Join(aliasLines, "\n"), len(want), want)
					}
					for _, w := range want {
						if !strings.Contains(strings.Join(aliasLines, "\n"), w) {
							t.Errorf("%s: no alias line %q in\n%s", scheme, w, strings.Join(aliasLines, "\n"))
						}
					}
				}
			})
		}
	}
}
