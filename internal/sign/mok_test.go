package sign

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dkms-go/dkms/internal/testenv"
)

func TestGenerateMOK(t *testing.T) {
	dir := t.TempDir()
	keyPath, certPath := filepath.Join(dir, "mok.key"), filepath.Join(dir, "mok.pub")
	now := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	if err := GenerateMOK(keyPath, certPath, now); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key mode = %v, %v; want 0600", fi.Mode(), err)
	}
	keyPEM, _ := os.ReadFile(keyPath)
	if !bytes.HasPrefix(keyPEM, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("key is not PKCS#8 PEM:\n%.40s", keyPEM)
	}
	key, cert, err := LoadKeyPair(keyPath, certPath)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := key.(*rsa.PrivateKey); !ok || k.N.BitLen() != 2048 {
		t.Errorf("key is %T, want RSA-2048", key)
	}
	checkMOKCert(t, cert, now)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("directory holds %d entries, want key and cert only", len(entries))
	}
}

func checkMOKCert(t *testing.T, cert *x509.Certificate, now time.Time) {
	t.Helper()
	if cert.Subject.CommonName != MOKSubject || cert.Issuer.CommonName != MOKSubject {
		t.Errorf("subject %q issuer %q", cert.Subject, cert.Issuer)
	}
	if !cert.NotBefore.Equal(now) || !cert.NotAfter.Equal(now.AddDate(0, 0, 36500)) {
		t.Errorf("validity %v .. %v", cert.NotBefore, cert.NotAfter)
	}
	if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageCodeSigning ||
		len(cert.UnknownExtKeyUsage) != 1 || !cert.UnknownExtKeyUsage[0].Equal(oidModuleSigning) {
		t.Errorf("EKU %v %v", cert.ExtKeyUsage, cert.UnknownExtKeyUsage)
	}
	if len(cert.SubjectKeyId) != 20 || !bytes.Equal(cert.SubjectKeyId, cert.AuthorityKeyId) {
		t.Errorf("key ids %x %x", cert.SubjectKeyId, cert.AuthorityKeyId)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() > 159 {
		t.Errorf("serial %v", cert.SerialNumber)
	}
}

// TestGenerateMOKOpenSSL checks that openssl reads the certificate and
// shows the extensions the reference's openssl req gives, plus ours.
func TestGenerateMOKOpenSSL(t *testing.T) {
	openssl := testenv.LookPath(t, "openssl")
	kp := newMOK(t)
	out, err := run(t, openssl, "x509", "-inform", "DER", "-in", kp.certPath, "-noout", "-text")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Subject: CN = DKMS module signing key",
		"Code Signing, 1.3.6.1.4.1.2312.16.1.2",
		"X509v3 Subject Key Identifier",
		"CA:TRUE",
		"sha256WithRSAEncryption",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("openssl x509 output lacks %q", want)
		}
	}
	if _, err := run(t, openssl, "pkey", "-in", kp.keyPath, "-noout"); err != nil {
		t.Errorf("openssl cannot read the key: %v", err)
	}
}

func TestGenerateMOKNeverOverwrites(t *testing.T) {
	for _, c := range []struct {
		name     string
		existing []string
		wantText string
	}{
		{"both", []string{"mok.key", "mok.pub"}, "and certificate"},
		{"key only", []string{"mok.key"}, "certificate " + "%DIR%/mok.pub is missing"},
		{"cert only", []string{"mok.pub"}, "key " + "%DIR%/mok.key is missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, name := range c.existing {
				writeFile(t, filepath.Join(dir, name), []byte("old"))
			}
			err := GenerateMOK(filepath.Join(dir, "mok.key"), filepath.Join(dir, "mok.pub"), time.Now())
			if !errors.Is(err, ErrMOKExists) {
				t.Fatalf("err = %v, want ErrMOKExists", err)
			}
			if want := strings.ReplaceAll(c.wantText, "%DIR%", dir); !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q, want it to mention %q", err, want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != len(c.existing) {
				t.Errorf("%d files in dir, want %d", len(entries), len(c.existing))
			}
			for _, name := range c.existing {
				if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != "old" {
					t.Errorf("%s was changed", name)
				}
			}
		})
	}
}

// TestGenerateMOKCleansUp checks that a failure writing the certificate
// leaves neither file behind.
func TestGenerateMOKCleansUp(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "mok.key")
	err := GenerateMOK(keyPath, filepath.Join(dir, "missing", "mok.pub"), time.Now())
	if err == nil {
		t.Fatal("no error for a certificate in a missing directory")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %d entries behind", len(entries))
	}
}

func TestWriteNewRefusesExisting(t *testing.T) {
	path := writeFile(t, filepath.Join(t.TempDir(), "f"), []byte("old"))
	if err := writeNew(path, []byte("new"), 0o644); !errors.Is(err, ErrMOKExists) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatal("file replaced")
	}
}
