package modsign

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
)

// The OIDs of what sign-file writes (RFC 5652, RFC 8017, RFC 5758).
var (
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
)

// A hashAlg is a digest that modules can be signed with, and the OIDs it
// is written as.
type hashAlg struct {
	name  string
	hash  crypto.Hash
	oid   asn1.ObjectIdentifier // the digest algorithm
	ecdsa asn1.ObjectIdentifier // ecdsa-with-SHAxxx, the ECDSA signature algorithm
}

var hashAlgs = []hashAlg{
	{"sha256", crypto.SHA256, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}},
	{"sha384", crypto.SHA384, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}},
	{"sha512", crypto.SHA512, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}},
}

// Hashes lists the hash names Load accepts.
func Hashes() string {
	names := make([]string, len(hashAlgs))
	for i, h := range hashAlgs {
		names[i] = h.name
	}
	return strings.Join(names, ", ")
}

func hashByName(name string) (hashAlg, error) {
	for _, h := range hashAlgs {
		if h.name == name {
			return h, nil
		}
	}
	return hashAlg{}, fmt.Errorf("unsupported hash %q (supported: %s)", name, Hashes())
}

func hashByOID(oid asn1.ObjectIdentifier) (hashAlg, error) {
	for _, h := range hashAlgs {
		if h.oid.Equal(oid) {
			return h, nil
		}
	}
	return hashAlg{}, fmt.Errorf("unsupported digest algorithm %v (supported: %s)", oid, Hashes())
}

// contentInfo is ContentInfo; signed data's content is [0] EXPLICIT.
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"optional"`
}

// signedData is SignedData. sign-file writes no certificates and no CRLs
// (zero values, left out) and an EncapsulatedContentInfo of type data
// without content.
type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo contentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

// signerInfo is SignerInfo without signed or unsigned attributes. SID is
// IssuerAndSerialNumber (version 1; sign-file -k writes the [0]
// subjectKeyIdentifier and version 3, which Verify also reads).
type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

// marshalCMS returns the ContentInfo sign-file writes around one signature.
// sid is the DER of the signer's IssuerAndSerialNumber.
func marshalCMS(h hashAlg, sigAlg pkix.AlgorithmIdentifier, sid, sig []byte) ([]byte, error) {
	digestAlg := pkix.AlgorithmIdentifier{Algorithm: h.oid} // OpenSSL omits the parameters of SHA-2
	sd, err := asn1.Marshal(signedData{
		Version:          1,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{digestAlg},
		EncapContentInfo: contentInfo{ContentType: oidData},
		SignerInfos: []signerInfo{{
			Version:            1,
			SID:                asn1.RawValue{FullBytes: sid},
			DigestAlgorithm:    digestAlg,
			SignatureAlgorithm: sigAlg,
			Signature:          sig,
		}},
	})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(contentInfo{
		ContentType: oidSignedData,
		Content:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sd},
	})
}

// parseCMS reads the one SignerInfo of a module signature's CMS, refusing
// what the kernel refuses for a module (no content type data, several
// signers, trailing bytes) and what sign-file never writes (signed
// attributes, embedded content).
func parseCMS(der []byte) (*signerInfo, error) {
	var ci contentInfo
	if rest, err := asn1.Unmarshal(der, &ci); err != nil {
		return nil, fmt.Errorf("CMS: %v", err)
	} else if len(rest) != 0 {
		return nil, fmt.Errorf("CMS: %d bytes after the ContentInfo", len(rest))
	}
	if !ci.ContentType.Equal(oidSignedData) || ci.Content.Class != asn1.ClassContextSpecific || ci.Content.Tag != 0 {
		return nil, fmt.Errorf("CMS: content type %v, not signed data", ci.ContentType)
	}
	var sd signedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("CMS SignedData: %v", err)
	} else if len(rest) != 0 {
		return nil, errors.New("CMS SignedData: trailing bytes")
	}
	switch {
	case !sd.EncapContentInfo.ContentType.Equal(oidData):
		return nil, fmt.Errorf("CMS: encapsulated content type %v, not data", sd.EncapContentInfo.ContentType)
	case len(sd.EncapContentInfo.Content.FullBytes) != 0:
		return nil, errors.New("CMS: content is embedded, not detached")
	case len(sd.SignerInfos) != 1:
		return nil, fmt.Errorf("CMS: %d signers, want 1", len(sd.SignerInfos))
	case len(sd.SignerInfos[0].SignedAttrs.FullBytes) != 0:
		return nil, errors.New("CMS: signed attributes are not supported (sign-file writes none)")
	}
	return &sd.SignerInfos[0], nil
}
