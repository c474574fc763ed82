// Package modsign reads, strips, makes and checks Linux module signatures,
// byte for byte as the kernel's scripts/sign-file makes them.
//
// A signed module is its ELF image followed by a CMS SignedData (DER), a
// 12-byte struct module_signature and the trailer "~Module signature
// appended~\n". sign-file makes the CMS with CMS_NOCERTS | CMS_BINARY |
// CMS_DETACHED | CMS_NOATTR: content type data with no content, one
// SignerInfo naming the certificate by issuer and serial number, no signed
// attributes (the signature is over the digest of the image itself), no
// certificates. module_signature is all zero but id_type = 2 (PKEY_ID_PKCS7)
// and sig_len, the CMS length, big-endian. With RSA (PKCS#1 v1.5) the bytes
// are a function of key, certificate, hash and image; ECDSA signatures are
// randomised.
//
// The CMS is written with encoding/asn1 and the standard crypto packages, not
// a library from the module proxy, because none makes sign-file's bytes:
// github.com/smallstep/pkcs7 v0.2.3 (the newest) always embeds the signer's
// certificate (SignWithoutAttr adds it, Finish always writes the
// certificates field: 2,007 bytes where sign-file writes 681 for a 4096-bit
// key) and names the signature algorithm sha256WithRSAEncryption where
// OpenSSL writes rsaEncryption with NULL parameters, an OID that the 6.1
// kernel's PKCS#7 parser does not accept; the newest
// github.com/digitorus/pkcs7 needs Go 1.27 (the project builds with 1.26);
// golang.org/x/crypto has no CMS at all. The fixed structure sign-file makes
// is about a hundred lines of encoding/asn1, with no dependency to vendor.
package modsign

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Magic ends a module file that carries an appended signature.
const Magic = "~Module signature appended~\n"

// infoSize is the size of struct module_signature {algo, hash, id_type,
// signer_len, key_id_len u8; pad [3]u8; sig_len be32}.
const infoSize = 12

// idPKCS7 is PKEY_ID_PKCS7, the only id_type the kernel accepts.
const idPKCS7 = 2

// HasSignature reports whether file ends in the signature trailer.
func HasSignature(file []byte) bool { return bytes.HasSuffix(file, []byte(Magic)) }

// TrailerSize is how many of a file's last bytes ImageSize needs.
const TrailerSize = infoSize + len(Magic)

// ImageSize returns the size of the ELF image in a module file of size
// bytes whose last bytes are tail (up to TrailerSize of them): size itself
// if unsigned. These are the checks of the kernel's mod_check_sig: a
// trailer whose lengths do not fit the file is truncated, one with another
// id_type or non-zero fields is foreign: both are errors, as they are to
// the kernel.
func ImageSize(size int, tail []byte) (int, error) {
	if !bytes.HasSuffix(tail, []byte(Magic)) {
		return size, nil
	}
	n := size - len(Magic)
	if n < infoSize || len(tail) < TrailerSize {
		return 0, errors.New("truncated module signature: no room for struct module_signature before the trailer")
	}
	info := tail[len(tail)-TrailerSize : len(tail)-len(Magic)]
	if info[2] != idPKCS7 {
		return 0, fmt.Errorf("foreign module signature: id_type %d, not PKCS#7 (%d)", info[2], idPKCS7)
	}
	if !bytes.Equal(info[:2], []byte{0, 0}) || !bytes.Equal(info[3:8], make([]byte, 5)) {
		return 0, fmt.Errorf("foreign module signature: struct module_signature has non-zero fields (% x)", info[:8])
	}
	sigLen := uint64(binary.BigEndian.Uint32(info[8:]))
	if sigLen >= uint64(n-infoSize) {
		return 0, fmt.Errorf("truncated module signature: %d signature bytes before the trailer, %d in the file", sigLen, n-infoSize)
	}
	return n - infoSize - int(sigLen), nil
}

// Split splits a module file into its ELF image and its appended signature
// (CMS, struct module_signature and trailer), as ImageSize decides. An
// unsigned file gives (file, nil, nil).
func Split(file []byte) (image, signature []byte, err error) {
	n, err := ImageSize(len(file), file[len(file)-min(len(file), TrailerSize):])
	if err != nil {
		return nil, nil, err
	}
	if n == len(file) {
		return file, nil, nil
	}
	return file[:n], file[n:], nil
}

// appendInfo appends struct module_signature for a CMS of cmsLen bytes and
// the trailer.
func appendInfo(b []byte, cmsLen int) []byte {
	b = append(b, 0, 0, idPKCS7, 0, 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(cmsLen))
	return append(b, Magic...)
}
