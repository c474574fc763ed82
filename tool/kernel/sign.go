package kernel

import (
	"errors"
	"fmt"
	"os"

	"github.com/kas-alias/rules_kas_alias/tool/internal/atomicfile"
	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
	"github.com/kas-alias/rules_kas_alias/tool/modsign"
)

// ErrSigned refuses a signed module: adding symbols would invalidate the
// signature. Sign it again (Signing), or drop it.
var ErrSigned = errors.New("module has an appended signature, which adding aliases would invalidate")

// Signing signs modules as the kernel's scripts/sign-file does
// (docs/signing.md).
type Signing struct {
	Key  string // PEM private key (certs/signing_key.pem)
	Cert string // its X.509 certificate, DER or PEM (certs/signing_key.x509)
	Hash string // sha256 (when empty), sha384 or sha512
}

func (s Signing) enabled() bool { return s.Key != "" || s.Cert != "" || s.Hash != "" }

// load reads the key and certificate, once for any number of modules; an
// encrypted key is decrypted with $KBUILD_SIGN_PIN, as sign-file does.
// nil when no signing is asked for.
func (s Signing) load() (*modsign.Signer, error) {
	if !s.enabled() {
		return nil, nil
	}
	if s.Key == "" || s.Cert == "" {
		return nil, errors.New("signing needs both a key and its certificate")
	}
	hash := s.Hash
	if hash == "" {
		hash = "sha256"
	}
	var pin *string
	if p, ok := os.LookupEnv("KBUILD_SIGN_PIN"); ok {
		pin = &p
	}
	return modsign.Load(s.Key, s.Cert, hash, pin)
}

// Sign writes module, signed (its old signature replaced, if any), to out.
func Sign(module, out string, s Signing) error {
	if modfile.Compressed(module) {
		// The kernel checks the signature of the decompressed image; kbuild
		// signs before it compresses.
		return fmt.Errorf("%s: compressed module: sign the uncompressed .ko, then compress it", module)
	}
	signer, err := s.load()
	if err != nil {
		return err
	}
	if signer == nil {
		return errors.New("give a key and a certificate")
	}
	data, err := os.ReadFile(module)
	if err != nil {
		return err
	}
	signed, err := signer.Sign(data)
	if err != nil {
		return fmt.Errorf("%s: %v", module, err)
	}
	return atomicfile.WriteFile(out, signed)
}
