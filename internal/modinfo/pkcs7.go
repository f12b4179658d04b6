package modinfo

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
)

// oidSignedData is the PKCS#7 signedData content type.
var oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

// oidCommonName is the X.500 commonName attribute.
var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// digestNames maps digest OIDs to the OpenSSL long names kmod prints.
var digestNames = map[string]string{
	"1.2.840.113549.2.5":      "md5",
	"1.3.14.3.2.26":           "sha1",
	"2.16.840.1.101.3.4.2.1":  "sha256",
	"2.16.840.1.101.3.4.2.2":  "sha384",
	"2.16.840.1.101.3.4.2.3":  "sha512",
	"2.16.840.1.101.3.4.2.4":  "sha224",
	"2.16.840.1.101.3.4.2.8":  "sha3-256",
	"2.16.840.1.101.3.4.2.9":  "sha3-384",
	"2.16.840.1.101.3.4.2.10": "sha3-512",
	"1.2.156.10197.1.401":     "sm3",
}

var errPKCS7 = errors.New("malformed PKCS#7 message")

// parsePKCS7 fills sig from the first SignerInfo of a DER PKCS#7 signedData
// message, as kmod does with OpenSSL: Signer is the issuer's common name,
// KeyID the serial number (or the subjectKeyIdentifier when sign-file used
// one), HashAlgo the digest algorithm and Data the encryptedDigest.
//
// It walks the structure by hand because the optional [0]/[1] members of
// SignedData do not map onto encoding/asn1 struct tags.
func parsePKCS7(der []byte, sig *Signature) error {
	top, err := children(der)
	if err != nil || len(top) < 2 || !isOID(top[0], oidSignedData) {
		return errPKCS7
	}
	if top[1].Class != asn1.ClassContextSpecific || top[1].Tag != 0 {
		return errPKCS7
	}
	signedData, err := children(top[1].Bytes)
	if err != nil || len(signedData) < 4 {
		return errPKCS7
	}
	infos := signedData[len(signedData)-1]
	if infos.Class != asn1.ClassUniversal || infos.Tag != asn1.TagSet {
		return errPKCS7
	}
	first, err := childList(infos.Bytes)
	if err != nil || len(first) == 0 {
		return errPKCS7
	}
	return parseSignerInfo(first[0].Bytes, sig)
}

// parseSignerInfo reads version, sid, digestAlgorithm, [authenticated
// attributes], digestEncryptionAlgorithm and encryptedDigest.
func parseSignerInfo(der []byte, sig *Signature) error {
	els, err := childList(der)
	if err != nil || len(els) < 5 {
		return errPKCS7
	}
	if err := parseSignerID(els[1], sig); err != nil {
		return err
	}
	sig.HashAlgo = digestName(els[2])
	for _, el := range els[3:] {
		if el.Class == asn1.ClassUniversal && el.Tag == asn1.TagOctetString {
			sig.Data = el.Bytes
			return nil
		}
	}
	return errPKCS7
}

// parseSignerID handles both forms of the signer identifier: the classic
// issuerAndSerialNumber and CMS's [0] subjectKeyIdentifier.
func parseSignerID(el asn1.RawValue, sig *Signature) error {
	if el.Class == asn1.ClassContextSpecific && el.Tag == 0 {
		sig.KeyID = el.Bytes
		return nil
	}
	var ias struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}
	if rest, err := asn1.Unmarshal(el.FullBytes, &ias); err != nil || len(rest) > 0 {
		return errPKCS7
	}
	var rdns pkix.RDNSequence
	if _, err := asn1.Unmarshal(ias.Issuer.FullBytes, &rdns); err != nil {
		return errPKCS7
	}
	sig.Signer = commonName(rdns)
	sig.KeyID = ias.Serial.Bytes()
	return nil
}

// commonName returns the first commonName of the name; without one, kmod's
// loop ends on the last attribute and shows that, so this does too.
func commonName(rdns pkix.RDNSequence) string {
	var last any
	for _, rdn := range rdns {
		for _, atv := range rdn {
			if atv.Type.Equal(oidCommonName) {
				s, _ := atv.Value.(string)
				return s
			}
			last = atv.Value
		}
	}
	s, _ := last.(string)
	return s
}

// digestName names an AlgorithmIdentifier; unknown OIDs print dotted, as
// OpenSSL's OBJ_obj2txt does.
func digestName(el asn1.RawValue) string {
	var alg pkix.AlgorithmIdentifier
	if _, err := asn1.Unmarshal(el.FullBytes, &alg); err != nil {
		return ""
	}
	if name, ok := digestNames[alg.Algorithm.String()]; ok {
		return name
	}
	return alg.Algorithm.String()
}

func isOID(el asn1.RawValue, want asn1.ObjectIdentifier) bool {
	var oid asn1.ObjectIdentifier
	_, err := asn1.Unmarshal(el.FullBytes, &oid)
	return err == nil && oid.Equal(want)
}

// children parses the first element of der, which must be constructed, and
// returns its members. Trailing bytes are ignored, as OpenSSL's d2i does.
func children(der []byte) ([]asn1.RawValue, error) {
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(der, &outer); err != nil {
		return nil, err
	}
	if !outer.IsCompound {
		return nil, errPKCS7
	}
	return childList(outer.Bytes)
}

// childList splits concatenated DER elements.
func childList(b []byte) ([]asn1.RawValue, error) {
	var els []asn1.RawValue
	for len(b) > 0 {
		var el asn1.RawValue
		rest, err := asn1.Unmarshal(b, &el)
		if err != nil {
			return nil, err
		}
		els = append(els, el)
		b = rest
	}
	return els, nil
}
