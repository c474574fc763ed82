package listing

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
)

func TestWriteParseRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		width int
		lines []Line
		text  string
	}{
		{16, []Line{{0, 'U', "printk"}, {0, 'w', "weak"}, {0, 'v', "weakobj"}, {0xffffffff81000000, 'T', "_text"}, {0x10, 't', ""}},
			"                 U printk\n                 w weak\n                 v weakobj\nffffffff81000000 T _text\n0000000000000010 t \n"},
		{8, []Line{{0, 'U', "x"}, {0xc0008000, 'T', "stext"}, {0x1_0000_0001, 'a', "wrapped"}},
			"         U x\nc0008000 T stext\n00000001 a wrapped\n"},
	} {
		var b bytes.Buffer
		if err := Write(&b, tc.lines, tc.width); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.text {
			t.Errorf("Write:\n%q\nwant\n%q", b.String(), tc.text)
		}
		lines, width, err := Parse(strings.NewReader(tc.text), "in")
		if err != nil {
			t.Fatal(err)
		}
		if width != tc.width || len(lines) != len(tc.lines) {
			t.Fatalf("Parse: width %d, %d lines", width, len(lines))
		}
		for i := range lines {
			want := tc.lines[i]
			if tc.width == 8 {
				want.Value &= 0xffffffff
			}
			if lines[i] != want {
				t.Errorf("Parse line %d: %+v, want %+v", i, lines[i], want)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ffffffff81000000 T a\nffff T b\n", "sys.map:2: value field is 4 characters wide, earlier lines have 16"},
		{"zz T a\n", `sys.map:1: bad hex value "zz"`},
		{"nonsense\n", `sys.map:1: malformed listing line "nonsense"`},
		{"00000000 TT a\n", `sys.map:1: malformed listing line "00000000 TT a"`},
		{"         T a\n", `sys.map:1: no value for a symbol of type 'T'`},
	} {
		_, _, err := Parse(strings.NewReader(tc.in), "sys.map")
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q): %v, want %s", tc.in, err, tc.want)
		}
	}
}

func TestSort(t *testing.T) {
	lines := []Line{
		{0x20, 't', "b"}, {0, 'U', "z"}, {0x10, 'T', "\xc3\xa9"}, {0x10, 'T', "_x"},
		{0x10, 't', "Z"}, {0, 'w', "a"}, {0x10, 'd', "a"}, {0x10, 't', "a"}, {5, 'a', ""},
	}
	Sort(lines)
	var b bytes.Buffer
	Write(&b, lines, 8)
	want := "         w a\n         U z\n00000005 a \n00000010 t Z\n00000010 T _x\n00000010 d a\n00000010 t a\n00000010 T \xc3\xa9\n00000020 t b\n"
	if b.String() != want {
		t.Errorf("Sort:\n%s\nwant\n%s", b.String(), want)
	}
	if !Less(&Line{0, 'U', "z"}, &Line{0, 'T', "a"}) || Less(&Line{2, 'T', "a"}, &Line{1, 'T', "b"}) {
		t.Errorf("Less")
	}
}

func TestMksysmap(t *testing.T) {
	for _, tc := range []struct {
		typ       byte
		name      string
		keep61    bool
		keepNewer bool
	}{
		{'T', "start_kernel", true, true},
		{'t', "s_show", true, true},
		{'a', "abs_local", false, false},
		{'A', "abs_global", true, true},
		{'N', "debug", false, false},
		{'U', "undef", false, false},
		{'w', "weak_undef", false, false},
		{'W', "weak_def", true, true},
		{'v', "weak_obj_undef", true, true}, // only a N U w are dropped
		{'t', "$x", false, false},
		{'t', "$d.1", false, false},
		{'r', ".LC0", false, false},
		{'A', "__crc_printk", false, false},
		{'r', "__kstrtab_printk", false, false},
		{'r', "__kstrtabns_printk", false, false},
		{'t', "L0", false, false},
		{'t', "L01", true, true},
		{'t', "__efistub_memcpy", true, false},
		{'t', "__pi_$x", true, false},
		{'t', "__pi_.Ltmp", true, false},
		{'t', "__pi_memcpy", true, true},
		{'t', "__kvm_nvhe_$d", true, false},
		{'t', "__kvm_nvhe_.L1", true, false},
		{'t', "__kvm_nvhe_handle_trap", true, true},
		{'A', "__kcfi_typeid_foo", true, false},
		{'A', "__kvm_nvhe___kcfi_typeid_foo", true, false},
		{'t', "__AArch64ADRPThunk_foo", true, false},
		{'t', "__ARMV7PILongThunk_x", true, false},
		{'t', "__Thunk_x", true, false},
		{'t', "__a_Thunk_x", true, true}, // '_' is not alnum
		{'t', "foo_veneer", true, false},
		{'t', "foo_veneer2", true, true},
		{'t', "x_from_arm", true, false},
		{'t', "x_from_thumb", true, false},
		{'D', "_SDA_BASE_", true, false},
		{'D', "_SDA2_BASE_", true, false},
		{'D', "x_SDA_BASE_", true, true},
		{'t', "a.long_branch.b", true, false},
		{'t', "12345678.plt_branch.r2off+0", true, false},
		{'t', "odd a name", false, false}, // " a " matches the type pattern
	} {
		l := Line{0x1000, tc.typ, tc.name}
		if got := Mksysmap61.Keep(&l); got != tc.keep61 {
			t.Errorf("Mksysmap61.Keep(%c %q) = %v", tc.typ, tc.name, got)
		}
		if got := Mksysmap64.Keep(&l); got != tc.keepNewer {
			t.Errorf("Mksysmap64.Keep(%c %q) = %v", tc.typ, tc.name, got)
		}
	}
	for in, want := range map[string]Rules{"6.1": Mksysmap61, "5.15": Mksysmap61, "6.2": Mksysmap61, "6.4": Mksysmap64, "6.12": Mksysmap64} {
		if r, err := ParseRules(in); err != nil || r != want {
			t.Errorf("ParseRules(%s) = %v, %v", in, r, err)
		}
	}
	for _, in := range []string{"6.3", "six", "6.1.2", ""} {
		if _, err := ParseRules(in); err == nil {
			t.Errorf("ParseRules(%q): no error", in)
		}
	}
}

// The shortcut for plain names gives what the patterns give, for names
// made of the characters the patterns use.
func TestMksysmapPlain(t *testing.T) {
	parts := []string{"", "a", "L", "0", "_", "__", ".", " ", "$", "x", "Thunk", "_from_arm", "_veneer", "__crc_", "L0", "pi_", "_SDA_BASE_", ".long_branch."}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 200000; i++ {
		var b strings.Builder
		for n := r.Intn(5); n >= 0; n-- {
			b.WriteString(parts[r.Intn(len(parts))])
		}
		l := Line{Value: 0x1000, Type: "tTdDaNUwbr"[r.Intn(10)], Name: b.String()}
		for _, rules := range []Rules{Mksysmap61, Mksysmap64} {
			if got, want := rules.Keep(&l), rules.keep(&l); got != want {
				t.Fatalf("%v.Keep(%c %q) = %v, the patterns say %v", rules, l.Type, l.Name, got, want)
			}
		}
	}
}
