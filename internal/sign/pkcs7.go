package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
)

// The DER written here is the exact output of OpenSSL's CMS_sign with the
// flags sign-file passes (CMS_NOCERTS|CMS_PARTIAL|CMS_BINARY|CMS_DETACHED|
// CMS_NOATTR, no -k): a ContentInfo holding a version 1 SignedData with one
// digest algorithm (parameters absent), a detached id-data content, no
// certificates, and one version 1 SignerInfo identified by issuer and
// serial, without signed attributes. `openssl asn1parse -inform DER` on a
// sign-file signature shows this shape.

var (
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidRSA        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
)

// oidECDSA maps a digest to the ecdsa-with-<hash> OID OpenSSL uses as the
// signature algorithm of an EC key; the kernel's PKCS#7 parser accepts these.
var oidECDSA = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA1:     {1, 2, 840, 10045, 4, 1},
	crypto.SHA224:   {1, 2, 840, 10045, 4, 3, 1},
	crypto.SHA256:   {1, 2, 840, 10045, 4, 3, 2},
	crypto.SHA384:   {1, 2, 840, 10045, 4, 3, 3},
	crypto.SHA512:   {1, 2, 840, 10045, 4, 3, 4},
	crypto.SHA3_256: {2, 16, 840, 1, 101, 3, 4, 3, 10},
	crypto.SHA3_384: {2, 16, 840, 1, 101, 3, 4, 3, 11},
	crypto.SHA3_512: {2, 16, 840, 1, 101, 3, 4, 3, 12},
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signerInfo struct {
	Version            int
	SID                issuerAndSerial
	DigestAlgorithm    algorithmIdentifier
	SignatureAlgorithm algorithmIdentifier
	Signature          []byte
}

type encapContentInfo struct {
	ContentType asn1.ObjectIdentifier
}

type signedData struct {
	Version          int
	DigestAlgorithms []algorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	SignerInfos      []signerInfo `asn1:"set"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue
}

// signatureAlgorithm returns the SignerInfo signatureAlgorithm OpenSSL
// writes for the key: rsaEncryption with NULL parameters for RSA (whatever
// the digest), ecdsa-with-<hash> without parameters for EC keys.
func signatureAlgorithm(pub crypto.PublicKey, h crypto.Hash) (algorithmIdentifier, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		return algorithmIdentifier{Algorithm: oidRSA, Parameters: asn1.NullRawValue}, nil
	case *ecdsa.PublicKey:
		if oid, ok := oidECDSA[h]; ok {
			return algorithmIdentifier{Algorithm: oid}, nil
		}
		return algorithmIdentifier{}, fmt.Errorf("no ECDSA algorithm for %v", h)
	default:
		return algorithmIdentifier{}, fmt.Errorf("unsupported key type %T", pub)
	}
}

// marshalPKCS7 wraps a raw signature value in the CMS SignedData DER that
// sign-file produces.
func marshalPKCS7(cert *x509.Certificate, d digest, sigAlg algorithmIdentifier, sig []byte) ([]byte, error) {
	digestAlg := algorithmIdentifier{Algorithm: d.oid}
	sd := signedData{
		Version:          1,
		DigestAlgorithms: []algorithmIdentifier{digestAlg},
		EncapContentInfo: encapContentInfo{ContentType: oidData},
		SignerInfos: []signerInfo{{
			Version: 1,
			SID: issuerAndSerial{
				Issuer: asn1.RawValue{FullBytes: cert.RawIssuer},
				Serial: cert.SerialNumber,
			},
			DigestAlgorithm:    digestAlg,
			SignatureAlgorithm: sigAlg,
			Signature:          sig,
		}},
	}
	inner, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("encoding SignedData: %w", err)
	}
	ci := contentInfo{
		ContentType: oidSignedData,
		Content:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner},
	}
	out, err := asn1.Marshal(ci)
	if err != nil {
		return nil, fmt.Errorf("encoding ContentInfo: %w", err)
	}
	return out, nil
}
