package modsign

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"strings"
)

var errWrongPassphrase = errors.New("cannot decrypt the private key: wrong passphrase (KBUILD_SIGN_PIN)")

// parsePrivateKey returns the first private key of a PEM file, as OpenSSL's
// PEM_read_bio_PrivateKey does: other blocks (a certificate, EC PARAMETERS)
// are skipped. Encrypted keys, PKCS#8 (PBES2) or legacy PEM (DEK-Info),
// need a passphrase.
func parsePrivateKey(data []byte, passphrase *string) (crypto.Signer, error) {
	var b *pem.Block
	for rest := data; ; {
		if b, rest = pem.Decode(rest); b == nil {
			return nil, errors.New("no PEM private key in the file (sign-file reads PEM)")
		}
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			break
		}
	}
	der := b.Bytes
	if x509.IsEncryptedPEMBlock(b) || b.Type == "ENCRYPTED PRIVATE KEY" {
		if passphrase == nil {
			return nil, errors.New("the private key is encrypted and no passphrase was given (KBUILD_SIGN_PIN)")
		}
		var err error
		if b.Type == "ENCRYPTED PRIVATE KEY" {
			der, err = decryptPKCS8(der, *passphrase)
		} else {
			// RFC 1423 encryption (DEK-Info) is weak, but OpenSSL still
			// reads it, and so does sign-file.
			der, err = x509.DecryptPEMBlock(b, []byte(*passphrase))
			if errors.Is(err, x509.IncorrectPasswordError) {
				err = errWrongPassphrase
			} else if err != nil {
				err = fmt.Errorf("unsupported key encryption: %v", err)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	var key any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(der)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(der)
	case "PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(der)
	default:
		return nil, fmt.Errorf("unsupported key type: PEM %q (RSA, or ECDSA on P-256 or P-384)", b.Type)
	}
	if err != nil {
		if b.Type == "ENCRYPTED PRIVATE KEY" || x509.IsEncryptedPEMBlock(b) {
			return nil, errWrongPassphrase // the padding happened to look right
		}
		return nil, fmt.Errorf("unsupported key type or malformed key: %v", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T (RSA, or ECDSA on P-256 or P-384)", key)
	}
	return signer, nil
}

// ParseCertificate reads an X.509 certificate as sign-file does: DER if the
// data starts like a DER SEQUENCE with a long length, otherwise the first
// CERTIFICATE block of a PEM file.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	var der []byte
	if len(data) >= 2 && data[0] == 0x30 && data[1] >= 0x81 && data[1] <= 0x84 {
		// d2i_X509_bio reads one certificate and ignores what follows.
		var raw asn1.RawValue
		if _, err := asn1.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("not an X.509 certificate (DER): %v", err)
		}
		der = raw.FullBytes
	} else {
		for rest := data; der == nil; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				return nil, errors.New("not an X.509 certificate: neither DER nor PEM with a CERTIFICATE block")
			}
			if b.Type == "CERTIFICATE" || b.Type == "X509 CERTIFICATE" {
				der = b.Bytes
			}
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("not an X.509 certificate: %v", err)
	}
	return cert, nil
}

// The OIDs of PKCS#8 encryption (RFC 8018) that OpenSSL writes.
var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7} // hmacWithSHA1, PBKDF2's default
	prfs      = []struct {
		oid asn1.ObjectIdentifier
		new func() hash.Hash
	}{
		{oidSHA1, sha1.New},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}, sha256.New224},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, sha256.New},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}, sha512.New384},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}, sha512.New},
	}
	ciphers = []struct {
		oid    asn1.ObjectIdentifier
		keyLen int
		new    func([]byte) (cipher.Block, error)
	}{
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}, 16, aes.NewCipher},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}, 24, aes.NewCipher},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}, 32, aes.NewCipher},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}, 24, des.NewTripleDESCipher},
	}
)

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo made with PBES2, PBKDF2
// and a CBC cipher (what `openssl pkcs8 -topk8` and `openssl genpkey
// -aes256` write) and returns the PKCS#8 PrivateKeyInfo.
func decryptPKCS8(der []byte, passphrase string) ([]byte, error) {
	var info struct {
		Algo pkix.AlgorithmIdentifier
		Data []byte
	}
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("malformed encrypted private key: %v", err)
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("unsupported key encryption %v (PBES2 is read)", info.Algo.Algorithm)
	}
	var params struct{ KDF, Scheme pkix.AlgorithmIdentifier }
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("malformed PBES2 parameters: %v", err)
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("unsupported key derivation %v (PBKDF2 is read)", params.KDF.Algorithm)
	}
	var kdf struct {
		Salt      []byte
		Iter      int
		KeyLength int                      `asn1:"optional"`
		PRF       pkix.AlgorithmIdentifier `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("malformed PBKDF2 parameters: %v", err)
	}
	if kdf.PRF.Algorithm == nil {
		kdf.PRF.Algorithm = oidSHA1
	}
	prf := -1
	for i, p := range prfs {
		if p.oid.Equal(kdf.PRF.Algorithm) {
			prf = i
		}
	}
	c := -1
	for i, ci := range ciphers {
		if ci.oid.Equal(params.Scheme.Algorithm) {
			c = i
		}
	}
	if prf < 0 || c < 0 {
		return nil, fmt.Errorf("unsupported key encryption: PBKDF2 with %v, cipher %v (HMAC-SHA1/SHA-2, AES-CBC or 3DES-CBC are read)", kdf.PRF.Algorithm, params.Scheme.Algorithm)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Scheme.Parameters.FullBytes, &iv); err != nil {
		return nil, fmt.Errorf("malformed cipher parameters: %v", err)
	}
	if kdf.KeyLength != 0 && kdf.KeyLength != ciphers[c].keyLen {
		return nil, fmt.Errorf("malformed PBKDF2 parameters: key length %d for a %d byte key", kdf.KeyLength, ciphers[c].keyLen)
	}
	key, err := pbkdf2.Key(prfs[prf].new, passphrase, kdf.Salt, kdf.Iter, ciphers[c].keyLen)
	if err != nil {
		return nil, fmt.Errorf("PBKDF2: %v", err)
	}
	block, err := ciphers[c].new(key)
	if err != nil {
		return nil, err
	}
	n := len(info.Data)
	if len(iv) != block.BlockSize() || n == 0 || n%block.BlockSize() != 0 {
		return nil, errors.New("malformed encrypted private key: IV or data length is not a multiple of the cipher's block")
	}
	plain := make([]byte, n)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)
	// PKCS#7 padding; a wrong passphrase most often breaks it.
	pad := int(plain[n-1])
	if pad == 0 || pad > block.BlockSize() {
		return nil, errWrongPassphrase
	}
	for _, p := range plain[n-pad:] {
		if int(p) != pad {
			return nil, errWrongPassphrase
		}
	}
	return plain[:n-pad], nil
}
