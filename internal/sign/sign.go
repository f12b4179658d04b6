// Package sign signs kernel modules natively and manages the Machine Owner
// Key (MOK) dkms signs them with.
//
// A signed module is the module bytes followed by a detached PKCS#7 (CMS)
// signature over them, a 12-byte struct module_signature trailer and the
// magic string "~Module signature appended~\n" (include/linux/module_signature.h).
// Sign reproduces the kernel's scripts/sign-file byte for byte for RSA keys,
// whose PKCS#1 v1.5 signatures are deterministic, so a module signed here is
// indistinguishable from one the reference dkms signed with sign-file.
//
// Signing works on bytes: LoadKeyPair reads the key files, and callers read
// the module and write the result (atomically) themselves. GenerateMOK
// writes a new key pair; SecureBootState and CertEnrolled read EFI
// variables from a directory the caller names. Nothing here execs or prints.
package sign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Magic ends every signed module (MODULE_SIG_STRING plus a newline).
const Magic = "~Module signature appended~\n"

// trailerLen is sizeof(struct module_signature): algo, hash, id_type,
// signer_len, key_id_len, 3 pad bytes, big-endian sig_len.
const trailerLen = 12

// idPKCS7 is PKEY_ID_PKCS7, the only id_type sign-file writes; the other
// trailer fields stay zero because the PKCS#7 blob carries that information.
const idPKCS7 = 2

// ErrNotSigned is returned by Strip for a module without a signature.
var ErrNotSigned = errors.New("module is not signed")

// Sign returns module with a signature appended, made with key (whose public
// half must be cert's) over a digest named as in CONFIG_MODULE_SIG_HASH
// ("sha256", "sha512", ... see Hashes).
//
// Like sign-file, Sign does not look for an existing signature: signing a
// signed module appends a second signature that covers the first, and the
// kernel checks only the last one. Callers that want to re-sign call Strip
// first. module is not modified.
func Sign(module []byte, key crypto.Signer, cert *x509.Certificate, hash string) ([]byte, error) {
	sig, err := Signature(bytes.NewReader(module), key, cert, hash)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(module)+len(sig))
	return append(append(out, module...), sig...), nil
}

// Signature reads the module content from r and returns what sign-file
// appends to it: the PKCS#7 blob, the trailer and Magic. It lets callers
// sign a large file by streaming it and appending the result.
func Signature(r io.Reader, key crypto.Signer, cert *x509.Certificate, hash string) ([]byte, error) {
	blob, err := pkcs7(r, key, cert, hash)
	if err != nil {
		return nil, fmt.Errorf("signing module: %w", err)
	}
	var trailer [trailerLen]byte
	trailer[2] = idPKCS7
	binary.BigEndian.PutUint32(trailer[8:], uint32(len(blob)))
	out := make([]byte, 0, len(blob)+trailerLen+len(Magic))
	out = append(append(out, blob...), trailer[:]...)
	return append(out, Magic...), nil
}

// pkcs7 digests r and returns the CMS SignedData DER sign-file would write.
func pkcs7(r io.Reader, key crypto.Signer, cert *x509.Certificate, hash string) ([]byte, error) {
	if key == nil || cert == nil {
		return nil, errors.New("missing key or certificate")
	}
	d, err := lookupHash(hash)
	if err != nil {
		return nil, err
	}
	if err := checkKeyPair(key, cert); err != nil {
		return nil, err
	}
	sigAlg, err := signatureAlgorithm(key.Public(), d.hash)
	if err != nil {
		return nil, err
	}
	h := d.hash.New()
	if _, err := io.Copy(h, r); err != nil {
		return nil, fmt.Errorf("reading module: %w", err)
	}
	sig, err := key.Sign(rand.Reader, h.Sum(nil), d.hash)
	if err != nil {
		return nil, err
	}
	return marshalPKCS7(cert, d, sigAlg, sig)
}

// checkKeyPair mirrors OpenSSL's X509_check_private_key in CMS_add1_signer:
// a signature the certificate cannot verify is refused up front.
func checkKeyPair(key crypto.Signer, cert *x509.Certificate) error {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return errors.New("private key does not match certificate")
	}
	return nil
}

// IsSigned reports whether b ends with an appended module signature, the
// same test modinfo and the kernel make (the magic string only).
func IsSigned(b []byte) bool {
	return bytes.HasSuffix(b, []byte(Magic))
}

// Strip returns b without its last appended signature (a sub-slice of b).
// It checks the trailer so that a truncated or foreign trailer is an error
// rather than a silently mangled module. Modules signed several times keep
// their earlier signatures; call Strip until ErrNotSigned to remove all.
func Strip(b []byte) ([]byte, error) {
	if !IsSigned(b) {
		return nil, ErrNotSigned
	}
	end := len(b) - len(Magic)
	if end < trailerLen {
		return nil, errors.New("stripping signature: truncated trailer")
	}
	trailer := b[end-trailerLen : end]
	if trailer[2] != idPKCS7 {
		return nil, fmt.Errorf("stripping signature: unknown id_type %d", trailer[2])
	}
	sigLen := uint64(binary.BigEndian.Uint32(trailer[8:]))
	if sigLen > uint64(end-trailerLen) {
		return nil, fmt.Errorf("stripping signature: sig_len %d exceeds module size", sigLen)
	}
	return b[:end-trailerLen-int(sigLen)], nil
}
