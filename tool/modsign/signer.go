package modsign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"os"
	"slices"
)

// A Signer signs module images with one private key, certificate and hash.
// It is made once per process (parsing a key costs more than signing a
// small module) and may be used by any number of goroutines.
type Signer struct {
	key    crypto.Signer
	hash   hashAlg
	sigAlg pkix.AlgorithmIdentifier
	sid    []byte // the DER IssuerAndSerialNumber naming the certificate
}

// Load reads a PEM private key (the kernel's certs/signing_key.pem, which
// also holds the certificate, will do), a DER or PEM X.509 certificate
// (certs/signing_key.x509) and the hash name (sha256, sha384, sha512), as
// `scripts/sign-file HASH KEY CERT` does. passphrase decrypts an encrypted
// key: sign-file's is $KBUILD_SIGN_PIN; nil means none was given. Errors
// name the file and never quote key material.
func Load(keyPath, certPath, hash string, passphrase *string) (*Signer, error) {
	h, err := hashByName(hash)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKey(keyPEM, passphrase)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", keyPath, err)
	}
	certData, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	cert, err := ParseCertificate(certData)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", certPath, err)
	}
	s := &Signer{key: key, hash: h}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		s.sigAlg = pkix.AlgorithmIdentifier{Algorithm: oidRSAEncryption, Parameters: asn1.NullRawValue}
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return nil, fmt.Errorf("%s: unsupported key type: ECDSA on %s (RSA, or ECDSA on P-256 or P-384)", keyPath, k.Curve.Params().Name)
		}
		s.sigAlg = pkix.AlgorithmIdentifier{Algorithm: h.ecdsa}
	default:
		return nil, fmt.Errorf("%s: unsupported key type %T (RSA, or ECDSA on P-256 or P-384)", keyPath, key)
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%s: private key does not match the certificate in %s", keyPath, certPath)
	}
	if s.sid, err = signerID(cert); err != nil {
		return nil, fmt.Errorf("%s: %v", certPath, err)
	}
	return s, nil
}

// Signature returns what sign-file appends to image: the CMS SignedData,
// struct module_signature and the trailer.
func (s *Signer) Signature(image []byte) ([]byte, error) {
	d := s.hash.hash.New()
	d.Write(image)
	// PKCS#1 v1.5 ignores the random source (the signature is deterministic);
	// ECDSA uses it.
	sig, err := s.key.Sign(rand.Reader, d.Sum(nil), s.hash.hash)
	if err != nil {
		return nil, fmt.Errorf("signing: %v", err)
	}
	cms, err := marshalCMS(s.hash, s.sigAlg, s.sid, sig)
	if err != nil {
		return nil, err
	}
	return appendInfo(cms, len(cms)), nil
}

// Sign returns module signed: its ELF image (an appended signature is
// replaced, never stacked) followed by Signature(image).
func (s *Signer) Sign(module []byte) ([]byte, error) {
	image, _, err := Split(module)
	if err != nil {
		return nil, err
	}
	sig, err := s.Signature(image)
	if err != nil {
		return nil, err
	}
	return slices.Concat(image, sig), nil
}

// signerID is the DER IssuerAndSerialNumber of cert, with the issuer and
// serial number bytes as the certificate has them (as OpenSSL copies them).
func signerID(cert *x509.Certificate) ([]byte, error) {
	var tbs struct {
		Version asn1.RawValue `asn1:"optional,explicit,tag:0"`
		Serial  asn1.RawValue
	}
	if _, err := asn1.Unmarshal(cert.RawTBSCertificate, &tbs); err != nil {
		return nil, fmt.Errorf("certificate serial number: %v", err)
	}
	return asn1.Marshal(struct{ Issuer, Serial asn1.RawValue }{
		asn1.RawValue{FullBytes: cert.RawIssuer}, asn1.RawValue{FullBytes: tbs.Serial.FullBytes},
	})
}
