package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

// opensslSigned is what sign-file makes of module, built from openssl's
// `cms -sign -noattr -nocerts -binary` (which the modsign tests show is
// sign-file's CMS), struct module_signature and the trailer.
func opensslSigned(t *testing.T, dir, module, key, cert, hash string, passin ...string) []byte {
	t.Helper()
	args := append([]string{"cms", "-sign", "-binary", "-noattr", "-nocerts", "-md", hash,
		"-signer", cert, "-inkey", key, "-outform", "DER", "-in", module}, passin...)
	cms := ccfixture.Run(t, dir, "openssl", args...)
	info := []byte{0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0} // id_type PKEY_ID_PKCS7, sig_len below
	binary.BigEndian.PutUint32(info[8:], uint32(len(cms)))
	return slices.Concat(readBytes(t, module), cms, info, []byte("~Module signature appended~\n"))
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signFixture compiles a module object and makes an RSA key with its
// certificate (PEM) and the certificate in DER.
func signFixture(t *testing.T) (dir, module, key, certPEM, certDER string) {
	t.Helper()
	dir = t.TempDir()
	module, _ = rewriteModule(t, dir, "m.o", false)
	ccfixture.Run(t, dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kas_alias sign test",
		"-days", "36500", "-keyout", "key.pem", "-out", "cert.pem")
	ccfixture.Run(t, dir, "openssl", "x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der")
	at := func(n string) string { return filepath.Join(dir, n) }
	return dir, module, at("key.pem"), at("cert.pem"), at("cert.der")
}

func TestSign(t *testing.T) {
	dir, module, key, certPEM, certDER := signFixture(t)
	out := filepath.Join(dir, "out", "m.ko")
	if err := os.Mkdir(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, stderr := rewriteMain("sign", "--key", key, "--cert", certDER, "-o", out, module); code != 0 {
		t.Fatalf("sign: exit %d: %s", code, stderr)
	}
	if got, want := readBytes(t, out), opensslSigned(t, dir, module, key, certPEM, "sha256"); !bytes.Equal(got, want) {
		t.Fatalf("sign: %d bytes, openssl's %d", len(got), len(want))
	}

	// Re-signing the signed output with another hash replaces its signature.
	resigned := filepath.Join(dir, "out", "m2.ko")
	if code, stderr := rewriteMain("sign", "--key", key, "--cert", certPEM, "--hash", "sha512", "-o", resigned, out); code != 0 {
		t.Fatalf("sign a signed module: exit %d: %s", code, stderr)
	}
	if got, want := readBytes(t, resigned), opensslSigned(t, dir, module, key, certPEM, "sha512"); !bytes.Equal(got, want) {
		t.Fatalf("re-signed: %d bytes, openssl's %d", len(got), len(want))
	}

	// An encrypted key takes its passphrase from KBUILD_SIGN_PIN.
	ccfixture.Run(t, dir, "openssl", "pkcs8", "-topk8", "-v2", "aes256", "-in", key, "-out", "enc.pem", "-passout", "pass:s3cret")
	t.Setenv("KBUILD_SIGN_PIN", "s3cret")
	enc := filepath.Join(dir, "enc.pem")
	if code, stderr := rewriteMain("sign", "--key", enc, "--cert", certPEM, "-o", out, module); code != 0 {
		t.Fatalf("sign with an encrypted key: exit %d: %s", code, stderr)
	}
	if got, want := readBytes(t, out), opensslSigned(t, dir, module, enc, certPEM, "sha256", "-passin", "pass:s3cret"); !bytes.Equal(got, want) {
		t.Fatalf("encrypted key: %d bytes, openssl's %d", len(got), len(want))
	}
}

// TestSignBadInput: one line naming the file and the mistake, exit status 1,
// no output file.
func TestSignBadInput(t *testing.T) {
	dir, module, key, certPEM, _ := signFixture(t)
	t.Setenv("KBUILD_SIGN_PIN", "") // restored after the test
	os.Unsetenv("KBUILD_SIGN_PIN")
	at := func(n string) string { return filepath.Join(dir, n) }
	ccfixture.Run(t, dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=other",
		"-keyout", "other.pem", "-out", "other.crt")
	ccfixture.Run(t, dir, "openssl", "pkcs8", "-topk8", "-v2", "aes256", "-in", key, "-out", "enc.pem", "-passout", "pass:x")
	image := readBytes(t, module)
	truncated := slices.Concat(image, []byte{0, 0, 2, 0, 0, 0, 0, 0, 0xff, 0, 0, 0}, []byte("~Module signature appended~\n"))
	if err := os.WriteFile(at("truncated.ko"), truncated, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(at("m.ko.xz"), image, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"key of another certificate", []string{"--key", at("other.pem"), "--cert", certPEM, module},
			at("other.pem") + ": private key does not match the certificate in " + certPEM},
		{"encrypted key without KBUILD_SIGN_PIN", []string{"--key", at("enc.pem"), "--cert", certPEM, module},
			at("enc.pem") + ": the private key is encrypted and no passphrase was given (KBUILD_SIGN_PIN)"},
		{"unsupported hash", []string{"--key", key, "--cert", certPEM, "--hash", "sha1", module},
			`unsupported hash "sha1" (supported: sha256, sha384, sha512)`},
		{"truncated trailer", []string{"--key", key, "--cert", certPEM, at("truncated.ko")},
			at("truncated.ko") + ": truncated module signature: 4278190080 signature bytes before the trailer, " + strconv.Itoa(len(image)) + " in the file"},
		{"compressed module", []string{"--key", key, "--cert", certPEM, at("m.ko.xz")},
			at("m.ko.xz") + ": compressed module: sign the uncompressed .ko, then compress it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.ko")
			args := append([]string{"sign", "-o", out}, c.args...)
			code, stderr := rewriteMain(args...)
			if code != 1 || stderr != "kas_alias sign: "+c.want+"\n" {
				t.Fatalf("exit %d, stderr %q\nwant exit 1, %q", code, stderr, "kas_alias sign: "+c.want+"\n")
			}
			if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
				t.Fatalf("output left behind: %v", entries)
			}
		})
	}
	if code, _ := rewriteMain("sign", "--key", key, "-o", at("x"), module); code != 2 {
		t.Fatalf("sign without --cert: exit %d, want 2 (usage)", code)
	}
	if strings.Contains(string(readBytes(t, module)), "Module signature") {
		t.Fatal("the input was modified")
	}
}

// rewrite --sign-key/--sign-cert signs each output in the same step: the
// bytes sign-file makes of the unsigned rewrite. A signed input's old
// signature is replaced, for a module with aliases to add and for one with
// none.
func TestRewriteSigned(t *testing.T) {
	dir, _, key, certPEM, certDER := signFixture(t)
	signedIn, image := rewriteModule(t, dir, "s.ko", true) // an old signature
	plain := image[:len(image)-len("sig!!")-12-len(signatureMagic)]
	empty := filepath.Join(dir, "e.ko")
	if err := os.WriteFile(empty, image, 0o644); err != nil {
		t.Fatal(err)
	}
	plans := filepath.Join(dir, "plans")
	if err := os.Mkdir(plans, 0o755); err != nil {
		t.Fatal(err)
	}
	writePlan(t, plans, signedIn, rewriteSyms)
	writePlan(t, plans, empty, nil)
	signing := []string{"--sign-key", key, "--sign-cert", certDER}
	out, unsigned := filepath.Join(dir, "out"), filepath.Join(dir, "unsigned")
	if code, stderr := rewriteMain(append(append([]string{"rewrite"}, signing...), "--plan-dir", plans, "--out-dir", out, signedIn, empty)...); code != 0 {
		t.Fatalf("rewrite --sign-key: exit %d: %s", code, stderr)
	}
	if code, stderr := rewriteMain("rewrite", "--drop-signature", "--plan-dir", plans, "--out-dir", unsigned, signedIn); code != 0 {
		t.Fatalf("rewrite: exit %d: %s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "e.unsigned"), plain, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ out, unsigned string }{
		{filepath.Join(out, "s.ko"), filepath.Join(unsigned, "s.ko")},
		{filepath.Join(out, "e.ko"), filepath.Join(dir, "e.unsigned")},
	} {
		if got, want := readBytes(t, c.out), opensslSigned(t, dir, c.unsigned, key, certPEM, "sha256"); !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, not what sign-file makes of %s (%d bytes)", c.out, len(got), c.unsigned, len(want))
		}
	}
	// A key without its certificate is refused before anything is written.
	bad := filepath.Join(dir, "bad")
	if code, stderr := rewriteMain("rewrite", "--sign-key", key, "--plan-dir", plans, "--out-dir", bad, signedIn); code != 1 || !strings.Contains(stderr, "signing needs both a key and its certificate") {
		t.Errorf("--sign-key alone: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Error("output directory made")
	}
}
