package alias

import "testing"

// The C name of a ThinLTO-promoted static: only a whole .llvm.<digits>
// suffix goes.
func TestCName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"s_show.llvm.8812345", "s_show"},
		{"s_show", "s_show"},
		{"foo.constprop.0", "foo.constprop.0"},
		{"foo.constprop.0.llvm.12", "foo.constprop.0"},
		{"foo.llvm.", "foo.llvm."},
		{"foo.llvm.12a", "foo.llvm.12a"},
		{"foo.llvm.1.llvm.2", "foo.llvm.1"},
		{".llvm.5", ".llvm.5"},
		{"x.llvm.5", "x"},
		{"foo_llvm.5", "foo_llvm.5"},
		{"12", "12"},
		{"", ""},
	} {
		if got := cName(c.in); got != c.want {
			t.Errorf("cName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
