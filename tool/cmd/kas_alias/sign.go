package main

import (
	"fmt"
	"io"
	"os"

	"github.com/kas-alias/rules_kas_alias/tool/internal/atomicfile"
	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
	"github.com/kas-alias/rules_kas_alias/tool/modsign"
)

const signDoc = `Appends a module signature exactly as the kernel's
"scripts/sign-file HASH KEY CERT MODULE OUT" does: the same bytes for an RSA
key. A module that is already signed is re-signed: its signature is
replaced, never stacked. The input is never modified; OUT is written
atomically.

KEY is a PEM private key (RSA, or ECDSA on P-256 or P-384), for example the
kernel's certs/signing_key.pem; an encrypted key is decrypted with
$KBUILD_SIGN_PIN, as sign-file does. CERT is its X.509 certificate, DER or
PEM (certs/signing_key.x509, or signing_key.pem itself).`

func runSign(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlags("sign", "--key KEY --cert CERT -o OUT MODULE", signDoc)
	key := fs.String("key", "", "PEM private `key`")
	cert := fs.String("cert", "", "X.509 `certificate` of the key, DER or PEM")
	hash := fs.String("hash", "sha256", "`hash` algorithm: "+modsign.Hashes())
	out := fs.String("o", "", "output `file`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *key == "" || *cert == "" || *out == "" || fs.NArg() != 1 {
		fmt.Fprintln(fs.Output(), "kas_alias sign: give --key, --cert, -o and one MODULE")
		fs.Usage()
		return errUsage
	}
	module := fs.Arg(0)
	if modfile.Compressed(module) {
		// The kernel checks the signature of the decompressed image; kbuild
		// signs before it compresses.
		return fmt.Errorf("%s: compressed module: sign the uncompressed .ko, then compress it", module)
	}
	var pin *string
	if p, ok := os.LookupEnv("KBUILD_SIGN_PIN"); ok {
		pin = &p
	}
	signer, err := modsign.Load(*key, *cert, *hash, pin)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(module)
	if err != nil {
		return err
	}
	signed, err := signer.Sign(data)
	if err != nil {
		return fmt.Errorf("%s: %v", module, err)
	}
	return atomicfile.WriteFile(*out, signed)
}
