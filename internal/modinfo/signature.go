package modinfo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SignatureMagic ends every signed module file.
const SignatureMagic = "~Module signature appended~\n"

// ErrBadSignature reports a file that ends with SignatureMagic but whose
// trailer is inconsistent; kmod then treats the module as unsigned.
var ErrBadSignature = errors.New("malformed module signature trailer")

// trailerSize is the size of the kernel's struct module_signature.
const trailerSize = 12

// ID types of struct module_signature (enum pkey_id_type in the kernel).
const (
	IDTypePGP   = 0
	IDTypeX509  = 1
	IDTypePKCS7 = 2
)

var (
	idTypeNames = []string{"PGP", "X509", "PKCS#7"}
	algoNames   = []string{"DSA", "RSA"}
	hashNames   = []string{"md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512", "sha224", "sm3"}
)

// Signature describes a module signature: the fixed trailer written by
// sign-file, plus, for PKCS#7 signatures, what kmod's modinfo extracts from
// the message (signer, sig_key, sig_hashalgo).
//
// The file layout is: module, signer name, key id, signature data,
// struct module_signature (12 bytes, sig_len big endian), SignatureMagic.
type Signature struct {
	IDType int    // raw id_type byte, IDTypePKCS7 for every modern kernel
	Algo   string // from the trailer: "RSA", "DSA"; "" for PKCS#7 (unused there)
	// HashAlgo is the digest name: from the PKCS#7 digestAlgorithm when
	// parsable (e.g. "sha256"), else from the trailer's hash byte.
	HashAlgo string
	Signer   string // PKCS#7: common name of the issuer, as kmod shows it
	KeyID    []byte // PKCS#7: issuer serial number or subjectKeyIdentifier
	Data     []byte // raw signature bytes (PKCS#7: the encryptedDigest)
	// SigLen is the trailer's sig_len: the length of the PKCS#7 blob.
	SigLen int
	// ModuleSize is the size of the module without any signature: where
	// signing tools cut before appending a new signature.
	ModuleSize int64
}

// IDTypeName returns the name kmod shows as sig_id ("PKCS#7", "X509", "PGP").
func (s *Signature) IDTypeName() string {
	if s.IDType < len(idTypeNames) {
		return idTypeNames[s.IDType]
	}
	return fmt.Sprintf("unknown(%d)", s.IDType)
}

// KeyIDHex formats KeyID as modinfo's sig_key field shows it: upper-case
// hex bytes joined by colons ("15:FD:60").
func (s *Signature) KeyIDHex() string {
	parts := make([]string, len(s.KeyID))
	for i, b := range s.KeyID {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// ReadSignature parses the signature trailer of the size-byte module in r.
// signed reports whether the magic marker is present; sig is nil when it is
// not. A marker with a malformed trailer returns signed and ErrBadSignature.
func ReadSignature(r io.ReaderAt, size int64) (sig *Signature, signed bool, err error) {
	magicLen := int64(len(SignatureMagic))
	if size < magicLen {
		return nil, false, nil
	}
	tail := make([]byte, magicLen+trailerSize)
	off := size - int64(len(tail))
	if off < 0 {
		tail, off = tail[trailerSize:], size-magicLen
	}
	if _, err := r.ReadAt(tail, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, false, fmt.Errorf("reading signature trailer: %w", err)
	}
	if string(tail[len(tail)-int(magicLen):]) != SignatureMagic {
		return nil, false, nil
	}
	if len(tail) < int(magicLen)+trailerSize {
		return nil, true, ErrBadSignature
	}
	sig, err = readTrailer(r, tail[:trailerSize], off)
	return sig, true, err
}

// readTrailer checks struct module_signature the way kmod does and reads the
// signer, key id and signature data that precede it at end.
func readTrailer(r io.ReaderAt, t []byte, end int64) (*Signature, error) {
	algo, hash, idType := int(t[0]), int(t[1]), int(t[2])
	signerLen, keyIDLen := int64(t[3]), int64(t[4])
	sigLen := int64(binary.BigEndian.Uint32(t[8:12]))
	if algo >= len(algoNames) || hash >= len(hashNames) || idType >= len(idTypeNames) {
		return nil, ErrBadSignature
	}
	if sigLen == 0 || end < sigLen+signerLen+keyIDLen {
		return nil, ErrBadSignature
	}
	blob := make([]byte, signerLen+keyIDLen+sigLen)
	start := end - int64(len(blob))
	if _, err := r.ReadAt(blob, start); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading signature: %w", err)
	}
	sig := &Signature{
		IDType:     idType,
		HashAlgo:   hashNames[hash],
		SigLen:     int(sigLen),
		ModuleSize: start,
	}
	if idType == IDTypePKCS7 {
		// As kmod built with OpenSSL does. When the message does not
		// parse, fall back to the trailer fields (such a kmod would show
		// no signature at all; one without OpenSSL shows the trailer).
		if parsePKCS7(blob[signerLen+keyIDLen:], sig) == nil {
			return sig, nil
		}
	}
	sig.Algo = algoNames[algo]
	sig.Signer = string(blob[:signerLen])
	sig.KeyID = blob[signerLen : signerLen+keyIDLen]
	sig.Data = blob[signerLen+keyIDLen:]
	return sig, nil
}
