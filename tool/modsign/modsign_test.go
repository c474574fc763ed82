package modsign

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

const moduleC = `
static int counter;
__attribute__((noinline)) static int s_show(int x) { return x * 3 + counter; }
int shown(int x) { counter++; return s_show(x) + 1; }
const char license[] __attribute__((section(".modinfo"), used)) = "license=GPL";
`

type module struct {
	name, path string
	data       []byte
}

// compileModules compiles module objects of a few shapes: 64-bit, with
// DWARF (larger), big- and little-endian cross objects, 32-bit.
func compileModules(t testing.TB) []module {
	t.Helper()
	dir := t.TempDir()
	ccfixture.WriteFiles(t, dir, map[string]string{"m.c": moduleC})
	var mods []module
	for _, c := range []struct {
		name   string
		target ccfixture.Target
		flags  []string
	}{
		{"x86_64.o", ccfixture.Host, []string{"-O2"}},
		{"x86_64-g.o", ccfixture.Host, []string{"-O2", "-g"}},
		{"s390x.o", ccfixture.Targets[4], []string{"-O2"}},
		{"arm.o", ccfixture.Targets[2], []string{"-O2"}},
	} {
		c.target.Compile(t, dir, append(c.flags, "-c", "m.c", "-o", c.name)...)
		mods = append(mods, module{c.name, filepath.Join(dir, c.name), readFile(t, filepath.Join(dir, c.name))})
	}
	return mods
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runSignFile returns `sign-file HASH KEY CERT MODULE OUT`'s output, with
// env added to the environment (KBUILD_SIGN_PIN).
func runSignFile(t *testing.T, hash, key, cert, mod string, env ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "signed")
	cmd := exec.Command(filepath.Join(signFile(t), "sign-file"), hash, key, cert, mod, out)
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sign-file %s %s %s %s: %v\n%s", hash, key, cert, mod, err, msg)
	}
	return readFile(t, out)
}

func load(t testing.TB, key, cert, hash string, pin *string) *Signer {
	t.Helper()
	s, err := Load(key, cert, hash, pin)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sign(t testing.TB, s *Signer, mod []byte) []byte {
	t.Helper()
	got, err := s.Sign(mod)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// cmsOf returns the CMS of a signed module.
func cmsOf(t testing.TB, signed []byte) []byte {
	t.Helper()
	_, sig, err := Split(signed)
	if err != nil || sig == nil {
		t.Fatalf("Split: %d signature bytes, %v", len(sig), err)
	}
	return sig[:len(sig)-infoSize-len(Magic)]
}

// rsaKeys are RSA keys in the forms sign-file is given them: kbuild's own
// (4096 bits, key and certificate in signing_key.pem, DER signing_key.x509),
// and a 2048-bit key as a PKCS#1 PEM file with a PEM certificate.
func rsaKeys(t *testing.T) (keys []struct{ name, key, cert string }) {
	t.Helper()
	pem4096, x509_4096 := kbuildKey(t, "rsa4096", "", "")
	pem2048, _ := kbuildKey(t, "rsa2048", "2048", "")
	dir := filepath.Dir(pem2048)
	ccfixture.Run(t, dir, "openssl", "pkey", "-in", "signing_key.pem", "-traditional", "-out", "pkcs1.pem")
	ccfixture.Run(t, dir, "openssl", "x509", "-in", "signing_key.pem", "-out", "cert.pem")
	return []struct{ name, key, cert string }{
		{"rsa4096", pem4096, x509_4096},
		{"rsa2048-pkcs1", filepath.Join(dir, "pkcs1.pem"), filepath.Join(dir, "cert.pem")},
	}
}

// TestSignMatchesSignFile: for RSA keys, every hash and module shape, the
// signed module is sign-file's byte for byte, whether the input is unsigned
// or already signed (by another key: the signature is replaced).
func TestSignMatchesSignFile(t *testing.T) {
	mods := compileModules(t)
	keys := rsaKeys(t)
	other := keys[1]
	for _, k := range keys {
		for _, h := range hashAlgs {
			s := load(t, k.key, k.cert, h.name, nil)
			cert, err := ParseCertificate(readFile(t, k.cert))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range mods {
				t.Run(k.name+"/"+h.name+"/"+m.name, func(t *testing.T) {
					want := runSignFile(t, h.name, k.key, k.cert, m.path)
					if got := sign(t, s, m.data); !bytes.Equal(got, want) {
						t.Fatalf("Sign: %d bytes, sign-file %d; first difference at %d", len(got), len(want), firstDiff(got, want))
					}
					signed := runSignFile(t, "sha256", other.key, other.cert, m.path)
					if got := sign(t, s, signed); !bytes.Equal(got, want) {
						t.Fatalf("re-signing a signed module: %d bytes, sign-file on the unsigned one %d", len(got), len(want))
					}
					image, sig, err := Split(want)
					if err != nil || !bytes.Equal(image, m.data) || !bytes.Equal(sig, want[len(m.data):]) {
						t.Fatalf("Split(sign-file's output) = %d, %d bytes, %v", len(image), len(sig), err)
					}
					if err := Verify(want, cert); err != nil {
						t.Fatalf("Verify(sign-file's output): %v", err)
					}
					tampered := slices.Clone(want)
					tampered[len(m.data)/2] ^= 1
					if err := Verify(tampered, cert); err == nil || !strings.Contains(err.Error(), "bad signature") {
						t.Fatalf("Verify(one byte changed) = %v, want a bad signature", err)
					}
				})
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestOpenSSLCMSIsSignFile: `openssl cms -sign -noattr -nocerts -binary`
// makes sign-file's CMS, so the CLI tests can use it as their oracle.
func TestOpenSSLCMSIsSignFile(t *testing.T) {
	m := compileModules(t)[0]
	key, cert := kbuildKey(t, "rsa2048", "2048", "")
	want := cmsOf(t, runSignFile(t, "sha384", key, cert, m.path))
	got := ccfixture.Run(t, ".", "openssl", "cms", "-sign", "-binary", "-noattr", "-nocerts", "-md", "sha384",
		"-signer", key, "-inkey", key, "-outform", "DER", "-in", m.path)
	if !bytes.Equal(got, want) {
		t.Fatalf("openssl cms: %d bytes, sign-file's CMS %d", len(got), len(want))
	}
}

// TestEncryptedKeys: keys encrypted as OpenSSL writes them (PKCS#8 PBES2
// with AES or 3DES, legacy PEM with DEK-Info) sign with the passphrase
// sign-file takes from KBUILD_SIGN_PIN, byte for byte as sign-file.
func TestEncryptedKeys(t *testing.T) {
	m := compileModules(t)[0]
	pem, x509 := kbuildKey(t, "rsa2048", "2048", "")
	dir := t.TempDir()
	const pin = "correct horse"
	for _, c := range []struct {
		name string
		args []string
	}{
		{"pbes2-aes256", []string{"pkcs8", "-topk8", "-v2", "aes256"}},
		{"pbes2-aes128-sha1", []string{"pkcs8", "-topk8", "-v2", "aes128", "-v2prf", "hmacWithSHA1"}},
		{"pbes2-des3-sha512", []string{"pkcs8", "-topk8", "-v2", "des3", "-v2prf", "hmacWithSHA512"}},
		{"legacy-aes128", []string{"rsa", "-aes128", "-traditional"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := filepath.Join(dir, c.name+".pem")
			ccfixture.Run(t, dir, "openssl", append(c.args, "-in", pem, "-out", key, "-passout", "pass:"+pin)...)
			want := runSignFile(t, "sha256", key, x509, m.path, "KBUILD_SIGN_PIN="+pin)
			p := pin
			if got := sign(t, load(t, key, x509, "sha256", &p), m.data); !bytes.Equal(got, want) {
				t.Fatalf("Sign: %d bytes, sign-file %d", len(got), len(want))
			}
		})
	}
}

// TestECDSA: ECDSA signatures are randomised, so instead of bytes: openssl
// verifies ours against the certificate and the module body, Verify reads
// ours and sign-file's, and both name the same signer and algorithms.
func TestECDSA(t *testing.T) {
	m := compileModules(t)[0]
	for _, curve := range []string{"prime256v1", "secp384r1"} {
		key, x509 := kbuildKey(t, "ecdsa-"+curve, "", curve)
		cert, err := ParseCertificate(readFile(t, x509))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hashAlgs {
			t.Run(curve+"/"+h.name, func(t *testing.T) {
				dir := t.TempDir()
				got := sign(t, load(t, key, x509, h.name, nil), m.data)
				if image, _, err := Split(got); err != nil || !bytes.Equal(image, m.data) {
					t.Fatalf("Split = %d bytes, %v; want the module", len(image), err)
				}
				sigPath := filepath.Join(dir, "sig.p7s")
				if err := os.WriteFile(sigPath, cmsOf(t, got), 0o644); err != nil {
					t.Fatal(err)
				}
				opensslVerify := func(content string) error {
					return exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sigPath,
						"-content", content, "-certfile", key, "-CAfile", key, "-purpose", "any", "-out", os.DevNull).Run()
				}
				if err := opensslVerify(m.path); err != nil {
					t.Fatalf("openssl cms -verify: %v", err)
				}
				other := filepath.Join(dir, "other.o")
				if err := os.WriteFile(other, append(slices.Clone(m.data), 0), 0o644); err != nil {
					t.Fatal(err)
				}
				if opensslVerify(other) == nil {
					t.Fatal("openssl cms -verify accepted the signature for another module")
				}
				if err := Verify(got, cert); err != nil {
					t.Fatalf("Verify(ours): %v", err)
				}
				want := runSignFile(t, h.name, key, x509, m.path)
				if err := Verify(want, cert); err != nil {
					t.Fatalf("Verify(sign-file's): %v", err)
				}
				g, err := parseCMS(cmsOf(t, got))
				if err != nil {
					t.Fatal(err)
				}
				w, err := parseCMS(cmsOf(t, want))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(g.SID.FullBytes, w.SID.FullBytes) || !g.DigestAlgorithm.Algorithm.Equal(w.DigestAlgorithm.Algorithm) ||
					!g.SignatureAlgorithm.Algorithm.Equal(w.SignatureAlgorithm.Algorithm) ||
					!bytes.Equal(g.SignatureAlgorithm.Parameters.FullBytes, w.SignatureAlgorithm.Parameters.FullBytes) {
					t.Fatalf("signer info differs from sign-file's: %+v vs %+v", g, w)
				}
			})
		}
	}
}

// TestBadInput: each mistake gives one line naming the file and what is
// wrong, and never quotes the key.
func TestBadInput(t *testing.T) {
	m := compileModules(t)[0]
	rsa4096, x509_4096 := kbuildKey(t, "rsa4096", "", "")
	rsa2048, _ := kbuildKey(t, "rsa2048", "2048", "")
	dir := t.TempDir()
	openssl := func(args ...string) { ccfixture.Run(t, dir, "openssl", args...) }
	openssl("pkcs8", "-topk8", "-v2", "aes256", "-in", rsa2048, "-out", "enc.pem", "-passout", "pass:pin")
	openssl("genpkey", "-algorithm", "ed25519", "-out", "ed25519.pem")
	openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-out", "p521.pem")
	openssl("x509", "-in", rsa4096, "-out", "cert.pem")
	ccfixture.WriteFiles(t, dir, map[string]string{"garbage": "not a certificate\n"})
	at := func(name string) string { return filepath.Join(dir, name) }
	wrong, empty := "nope", ""
	for _, c := range []struct {
		name, key, cert, hash string
		pin                   *string
		want                  string
	}{
		{"key of another certificate", rsa2048, x509_4096, "sha256", nil, rsa2048 + ": private key does not match the certificate in " + x509_4096},
		{"encrypted without passphrase", at("enc.pem"), x509_4096, "sha256", nil, at("enc.pem") + ": the private key is encrypted and no passphrase was given (KBUILD_SIGN_PIN)"},
		{"wrong passphrase", at("enc.pem"), x509_4096, "sha256", &wrong, at("enc.pem") + ": cannot decrypt the private key: wrong passphrase (KBUILD_SIGN_PIN)"},
		{"empty passphrase", at("enc.pem"), x509_4096, "sha256", &empty, at("enc.pem") + ": cannot decrypt the private key: wrong passphrase (KBUILD_SIGN_PIN)"},
		{"sha1", rsa4096, x509_4096, "sha1", nil, `unsupported hash "sha1" (supported: sha256, sha384, sha512)`},
		{"upper case hash", rsa4096, x509_4096, "SHA256", nil, `unsupported hash "SHA256" (supported: sha256, sha384, sha512)`},
		{"ed25519", at("ed25519.pem"), x509_4096, "sha256", nil, at("ed25519.pem") + ": unsupported key type ed25519.PrivateKey (RSA, or ECDSA on P-256 or P-384)"},
		{"P-521", at("p521.pem"), x509_4096, "sha256", nil, at("p521.pem") + ": unsupported key type: ECDSA on P-521 (RSA, or ECDSA on P-256 or P-384)"},
		{"certificate as key", at("cert.pem"), x509_4096, "sha256", nil, at("cert.pem") + ": no PEM private key in the file (sign-file reads PEM)"},
		{"garbage certificate", rsa4096, at("garbage"), "sha256", nil, at("garbage") + ": not an X.509 certificate: neither DER nor PEM with a CERTIFICATE block"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.key, c.cert, c.hash, c.pin)
			if err == nil || err.Error() != c.want {
				t.Fatalf("Load = %v\nwant %s", err, c.want)
			}
			noKeyMaterial(t, err.Error(), rsa4096, rsa2048, at("enc.pem"))
		})
	}

	s := load(t, rsa4096, x509_4096, "sha256", nil)
	info := func(idType byte, sigLen uint32) []byte {
		b := []byte{0, 0, idType, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[8:], sigLen)
		return append(b, Magic...)
	}
	pgpish := info(1, 4)
	nonZero := info(2, 4)
	nonZero[5] = 1
	for _, c := range []struct {
		name, want string
		file       []byte
	}{
		{"trailer alone", "truncated module signature: no room for struct module_signature before the trailer", []byte("ab" + Magic)},
		{"sig_len past the start", "truncated module signature: 4294967295 signature bytes before the trailer, " + strconv.Itoa(len(m.data)) + " in the file", slices.Concat(m.data, info(2, 0xffffffff))},
		{"sig_len the whole file", "truncated module signature: " + strconv.Itoa(len(m.data)) + " signature bytes before the trailer, " + strconv.Itoa(len(m.data)) + " in the file", slices.Concat(m.data, info(2, uint32(len(m.data))))},
		{"id_type PGP", "foreign module signature: id_type 1, not PKCS#7 (2)", slices.Concat(m.data, []byte("sig!"), pgpish)},
		{"non-zero pad", "foreign module signature: struct module_signature has non-zero fields (00 00 02 00 00 01 00 00)", slices.Concat(m.data, []byte("sig!"), nonZero)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.Sign(c.file); err == nil || err.Error() != c.want {
				t.Fatalf("Sign = %v\nwant %s", err, c.want)
			}
			if _, _, err := Split(c.file); err == nil || err.Error() != c.want {
				t.Fatalf("Split = %v\nwant %s", err, c.want)
			}
		})
	}
}

// noKeyMaterial fails if msg quotes any line of the PEM files' bodies.
func noKeyMaterial(t *testing.T, msg string, pemFiles ...string) {
	t.Helper()
	for _, f := range pemFiles {
		for _, line := range strings.Split(string(readFile(t, f)), "\n") {
			if len(line) >= 16 && !strings.HasPrefix(line, "-----") && strings.Contains(msg, line[:16]) {
				t.Fatalf("the error quotes %s: %s", f, msg)
			}
		}
	}
}

// TestVerifyRefuses: what the kernel would refuse, Verify refuses.
func TestVerifyRefuses(t *testing.T) {
	m := compileModules(t)[0]
	keys := rsaKeys(t)
	cert, err := ParseCertificate(readFile(t, keys[0].cert))
	if err != nil {
		t.Fatal(err)
	}
	byOther := runSignFile(t, "sha256", keys[1].key, keys[1].cert, m.path)
	for _, c := range []struct {
		name, want string
		file       []byte
	}{
		{"unsigned", "module is not signed", m.data},
		{"signed by another key", "signed by another key: the signer's issuer and serial number are not the certificate's", byOther},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := Verify(c.file, cert); err == nil || err.Error() != c.want {
				t.Fatalf("Verify = %v\nwant %s", err, c.want)
			}
		})
	}
}

// BenchmarkSign: the in-process cost of signing one module with kbuild's
// default key (RSA 4096, sha256), the key loaded once; bench/sign.sh compares
// whole processes with sign-file's.
func BenchmarkSign(b *testing.B) {
	m := compileModules(b)[1]
	key, cert := kbuildKey(b, "rsa4096", "", "")
	s := load(b, key, cert, "sha256", nil)
	b.SetBytes(int64(len(m.data)))
	for b.Loop() {
		sign(b, s, m.data)
	}
}
