package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/kas-alias/rules_kas_alias/tool/kernel"
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

func runSign(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var sg kernel.Signing
	fs := newFlags(stderr, "sign", "--key KEY --cert CERT -o OUT MODULE", signDoc)
	fs.StringVar(&sg.Key, "key", "", "PEM private `key`")
	fs.StringVar(&sg.Cert, "cert", "", "X.509 `certificate` of the key, DER or PEM")
	fs.StringVar(&sg.Hash, "hash", "sha256", "`hash` algorithm: "+modsign.Hashes())
	out := fs.String("o", "", "output `file`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if sg.Key == "" || sg.Cert == "" || *out == "" || fs.NArg() != 1 {
		fmt.Fprintln(fs.Output(), "kas_alias sign: give --key, --cert, -o and one MODULE")
		fs.Usage()
		return errUsage
	}
	return kernel.Sign(fs.Arg(0), *out, sg)
}

// signingFlags adds --sign-key, --sign-cert and --sign-hash to fs.
func signingFlags(fs *flag.FlagSet, sg *kernel.Signing) {
	fs.StringVar(&sg.Key, "sign-key", "", "sign every output with this PEM private `key` (as scripts/sign-file; docs/signing.md)")
	fs.StringVar(&sg.Cert, "sign-cert", "", "the signing key's X.509 `certificate`, DER or PEM")
	fs.StringVar(&sg.Hash, "sign-hash", "", "signature `hash`: "+modsign.Hashes()+" (default sha256)")
}
