package sign

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// MOKSubject is the common name of the certificate GenerateMOK makes; the
// reference passes the same -subj to openssl req.
const MOKSubject = "DKMS module signing key"

// mokValidityDays is openssl req -days 36500, as the reference uses.
const mokValidityDays = 36500

// oidModuleSigning is the extended key usage that limits a key to module
// signing (the OID Ubuntu's and Fedora's MOK tooling add), so that a MOK
// made by dkms is not trusted for kernel images or kexec.
var oidModuleSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 2312, 16, 1, 2}

// ErrMOKExists is returned by GenerateMOK when the key or the certificate
// is already there; the error text says which.
var ErrMOKExists = errors.New("MOK file exists")

// GenerateMOK creates an RSA-2048 private key at keyPath (PKCS#8 PEM, mode
// 0600) and a self-signed DER certificate for it at certPath, valid from now
// for 36500 days.
//
// The certificate has what `openssl req -x509` with the reference's
// arguments gives (subject and issuer CN=MOKSubject, a random 159-bit
// serial, subject and authority key ids, critical basicConstraints CA:TRUE,
// sha256WithRSAEncryption, codeSigning) plus the module-signing-only
// extended key usage. Unlike the reference, which regenerates both files when
// either is missing, it never overwrites: if either exists it returns
// ErrMOKExists and writes nothing. Each file is written to a temporary name,
// synced and linked into place, so a killed run leaves no partial file; if
// the certificate cannot be written the new key is removed again.
func GenerateMOK(keyPath, certPath string, now time.Time) error {
	if err := checkMOKAbsent(keyPath, certPath); err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generating MOK: %w", err)
	}
	certDER, err := selfSign(key, now)
	if err != nil {
		return fmt.Errorf("generating MOK: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("generating MOK: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := writeNew(keyPath, keyPEM, 0o600); err != nil {
		return fmt.Errorf("writing MOK key: %w", err)
	}
	if err := writeNew(certPath, certDER, 0o644); err != nil {
		os.Remove(keyPath)
		return fmt.Errorf("writing MOK certificate: %w", err)
	}
	return nil
}

// checkMOKAbsent refuses to go on when either file exists, naming which.
func checkMOKAbsent(keyPath, certPath string) error {
	keyExists, err := exists(keyPath)
	if err != nil {
		return fmt.Errorf("checking MOK key: %w", err)
	}
	certExists, err := exists(certPath)
	if err != nil {
		return fmt.Errorf("checking MOK certificate: %w", err)
	}
	switch {
	case keyExists && certExists:
		return fmt.Errorf("key %s and certificate %s: %w", keyPath, certPath, ErrMOKExists)
	case keyExists:
		return fmt.Errorf("key %s exists but certificate %s is missing: %w", keyPath, certPath, ErrMOKExists)
	case certExists:
		return fmt.Errorf("certificate %s exists but key %s is missing: %w", certPath, keyPath, ErrMOKExists)
	}
	return nil
}

func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// selfSign makes the MOK certificate described at GenerateMOK.
func selfSign(key *rsa.PrivateKey, now time.Time) ([]byte, error) {
	// Like OpenSSL: 20 random bytes with the top bit cleared, so the DER
	// INTEGER is positive and at most 20 bytes long (RFC 5280 4.1.2.2).
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159))
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, err
	}
	// The key id is the SHA-1 of the public key bits (RFC 5280 4.2.1.2
	// method 1), what openssl's subjectKeyIdentifier=hash computes.
	skid := sha1.Sum(info.PublicKey.Bytes)
	name := pkix.Name{CommonName: MOKSubject}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		Issuer:                name,
		NotBefore:             now.UTC().Truncate(time.Second),
		NotAfter:              now.UTC().Truncate(time.Second).AddDate(0, 0, mokValidityDays),
		SubjectKeyId:          skid[:],
		AuthorityKeyId:        skid[:],
		BasicConstraintsValid: true,
		IsCA:                  true,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{oidModuleSigning},
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	return x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
}

// writeNew writes data to path atomically without ever replacing an
// existing file: a synced temporary file in the same directory is
// hard-linked to path (link fails if path exists) and then removed. On file
// systems without hard links it falls back to rename after a fresh check.
func writeNew(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := writeSynced(tmp, data, perm); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", path, ErrMOKExists)
		}
		if ok, _ := exists(path); ok {
			return fmt.Errorf("%s: %w", path, ErrMOKExists)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

func writeSynced(f *os.File, data []byte, perm fs.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
