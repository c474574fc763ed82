package modsign

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
)

// Verify checks module's appended signature against cert as the kernel's
// module loader does (kernel/module/signing.c, crypto/asymmetric_keys/
// pkcs7_*): the CMS names cert as its signer, by issuer and serial number
// (or by subject key identifier, sign-file -k), has no signed attributes, and
// its signature is over the digest of the ELF image. An unsigned module is
// an error.
func Verify(module []byte, cert *x509.Certificate) error {
	image, sig, err := Split(module)
	if err != nil {
		return err
	}
	if sig == nil {
		return errors.New("module is not signed")
	}
	si, err := parseCMS(sig[:len(sig)-infoSize-len(Magic)])
	if err != nil {
		return err
	}
	if si.SID.Class == asn1.ClassContextSpecific && si.SID.Tag == 0 {
		if !bytes.Equal(si.SID.Bytes, cert.SubjectKeyId) {
			return errors.New("signed by another key: the signer's key identifier is not the certificate's")
		}
	} else if sid, err := signerID(cert); err != nil {
		return err
	} else if !bytes.Equal(si.SID.FullBytes, sid) {
		return errors.New("signed by another key: the signer's issuer and serial number are not the certificate's")
	}
	h, err := hashByOID(si.DigestAlgorithm.Algorithm)
	if err != nil {
		return err
	}
	d := h.hash.New()
	d.Write(image)
	digest := d.Sum(nil)
	alg := si.SignatureAlgorithm.Algorithm
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if !alg.Equal(oidRSAEncryption) {
			return fmt.Errorf("signature algorithm %v with an RSA key (the kernel reads rsaEncryption)", alg)
		}
		if rsa.VerifyPKCS1v15(pub, h.hash, digest, si.Signature) != nil {
			return errors.New("bad signature: the RSA signature does not match the module")
		}
	case *ecdsa.PublicKey:
		if !isECDSAAlg(alg) {
			return fmt.Errorf("signature algorithm %v with an ECDSA key (the kernel reads ecdsa-with-SHA*)", alg)
		}
		if !ecdsa.VerifyASN1(pub, digest, si.Signature) {
			return errors.New("bad signature: the ECDSA signature does not match the module")
		}
	default:
		return fmt.Errorf("unsupported key type %T in the certificate", cert.PublicKey)
	}
	return nil
}

// isECDSAAlg reports whether oid is an ecdsa-with-SHAxxx algorithm; the
// kernel takes any of them with any digest.
func isECDSAAlg(oid asn1.ObjectIdentifier) bool {
	for _, h := range hashAlgs {
		if h.ecdsa.Equal(oid) {
			return true
		}
	}
	return false
}
