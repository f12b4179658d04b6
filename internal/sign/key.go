package sign

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrPKCS11 is returned for a "pkcs11:" key URI. sign-file hands those to
// an OpenSSL engine; a pure Go signer cannot, so callers fall back to the
// configured sign tool.
var ErrPKCS11 = errors.New("pkcs11 keys need an external sign tool")

// LoadKeyPair reads the private key and the certificate sign-file would be
// given as <key> and <x509>. The two paths may name the same PEM file
// holding both, like the kernel's certs/signing_key.pem.
func LoadKeyPair(keyPath, certPath string) (crypto.Signer, *x509.Certificate, error) {
	if strings.HasPrefix(keyPath, "pkcs11:") {
		return nil, nil, fmt.Errorf("loading key %s: %w", keyPath, ErrPKCS11)
	}
	keyData, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("loading key: %w", err)
	}
	key, err := ParseKey(keyData)
	if err != nil {
		return nil, nil, fmt.Errorf("loading key %s: %w", keyPath, err)
	}
	certData, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, fmt.Errorf("loading certificate: %w", err)
	}
	cert, err := ParseCertificate(certData)
	if err != nil {
		return nil, nil, fmt.Errorf("loading certificate %s: %w", certPath, err)
	}
	return key, cert, nil
}

// ParseKey returns the first private key in PEM data: PKCS#8 "PRIVATE KEY"
// (what openssl req and GenerateMOK write), "RSA PRIVATE KEY" or
// "EC PRIVATE KEY". Other blocks, such as a certificate in the same file,
// are skipped, as OpenSSL's PEM_read_bio_PrivateKey does.
func ParseKey(data []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		key, err := parseKeyBlock(block)
		if err != nil || key != nil {
			return key, err
		}
	}
}

// parseKeyBlock decodes one PEM block; it returns nil, nil for blocks that
// hold no private key.
func parseKeyBlock(block *pem.Block) (crypto.Signer, error) {
	var (
		key any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY", "EC PRIVATE KEY":
		if _, encrypted := block.Headers["DEK-Info"]; encrypted {
			// TODO(compat): sign-file reads the passphrase from KBUILD_SIGN_PIN.
			return nil, errors.New("encrypted private keys are not supported")
		}
		if block.Type == "RSA PRIVATE KEY" {
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		} else {
			key, err = x509.ParseECPrivateKey(block.Bytes)
		}
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("encrypted private keys are not supported")
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", key)
	}
	return signer, nil
}

// ParseCertificate accepts a certificate as DER (what dkms writes to
// mok.pub) or as PEM, possibly next to a private key. Like sign-file, data
// that starts like a DER SEQUENCE is read as DER, anything else as PEM.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	if len(data) >= 2 && data[0] == 0x30 && data[1] >= 0x81 && data[1] <= 0x84 {
		return x509.ParseCertificate(data)
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no certificate found (neither DER nor PEM)")
		}
		if block.Type == "CERTIFICATE" || block.Type == "X509 CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}
