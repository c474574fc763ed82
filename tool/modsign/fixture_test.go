package modsign

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

// The oracle: the kernel's scripts/sign-file, built from Debian's
// linux-source-6.1 by tools/build-sign-file.sh, and keys made as kbuild's
// certs/Makefile makes certs/signing_key.pem. Built once per test process.
var (
	fixDir  string // removed by TestMain
	fixOnce sync.Once
	fixErr  string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "modsign-test")
	if err != nil {
		panic(err)
	}
	fixDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tarballFlag is where Bazel puts Debian's kernel source among the test's
// runfiles ($(rootpath) in BUILD.bazel: the repository's directory is named
// otherwise under bzlmod than under WORKSPACE).
var tarballFlag = flag.String("tarball", "", "linux-source-6.1.tar.xz (Bazel passes its runfile)")

// tarball is Debian's kernel source: the runfile Bazel names, else where
// tools/fetch-kernel-source.sh puts it.
func tarball() string {
	if p := *tarballFlag; p != "" {
		// rules_go 0.34 expands $(rootpath) to "../REPO/PATH" (from the
		// runfiles' main directory), rules_go 0.59 to "external/REPO/PATH".
		if rest, ok := strings.CutPrefix(p, "external/"); ok {
			return filepath.Join(os.Getenv("TEST_SRCDIR"), rest)
		}
		return p
	}
	return "../../.bazeldeps/linux-source-6.1/linux-source-6.1.tar.xz"
}

// signFile returns the directory holding sign-file and default_x509.genkey,
// failing the test (never skipping it) if they cannot be built.
func signFile(t testing.TB) string {
	t.Helper()
	out := filepath.Join(fixDir, "kernel")
	fixOnce.Do(func() {
		cmd := exec.Command("bash", "../../tools/build-sign-file.sh", tarball(), out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			fixErr = fmt.Sprintf("tools/build-sign-file.sh: %v\n%s", err, msg)
		}
	})
	if fixErr != "" {
		t.Fatal(fixErr)
	}
	return out
}

// kbuildKey makes a key and certificate as certs/Makefile does
// (`openssl req -new -nodes -utf8 -HASH -days 36500 -batch -x509 -config
// x509.genkey -outform PEM -out signing_key.pem -keyout signing_key.pem`,
// plus `-newkey ec -pkeyopt ec_paramgen_curve:secp384r1` for ECDSA) with the
// kernel's default_x509.genkey, bits replacing its default_bits; and
// signing_key.x509, the certificate in DER as extract-cert writes it. It
// returns the two paths.
func kbuildKey(t testing.TB, name string, bits string, ecCurve string) (pem, x509 string) {
	t.Helper()
	kernel := signFile(t)
	dir := filepath.Join(fixDir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pem, x509 = filepath.Join(dir, "signing_key.pem"), filepath.Join(dir, "signing_key.x509")
	if _, err := os.Stat(x509); err == nil {
		return pem, x509
	}
	config, err := os.ReadFile(filepath.Join(kernel, "default_x509.genkey"))
	if err != nil {
		t.Fatal(err)
	}
	if bits != "" {
		config = []byte(strings.Replace(string(config), "default_bits = 4096", "default_bits = "+bits, 1))
	}
	ccfixture.WriteFiles(t, dir, map[string]string{"x509.genkey": string(config)})
	args := []string{"req", "-new", "-nodes", "-utf8", "-sha512", "-days", "36500", "-batch", "-x509",
		"-config", "x509.genkey", "-outform", "PEM", "-out", "signing_key.pem", "-keyout", "signing_key.pem"}
	if ecCurve != "" {
		args = append(args, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:"+ecCurve)
	}
	ccfixture.Run(t, dir, "openssl", args...)
	ccfixture.Run(t, dir, "openssl", "x509", "-in", "signing_key.pem", "-outform", "DER", "-out", "signing_key.x509")
	return pem, x509
}
