package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dkms-go/dkms/internal/testenv"
)

// signFiles returns every kernel sign-file on the machine (Debian keeps one
// per kbuild version), so the test compares against all of them.
func signFiles(t *testing.T) []string {
	t.Helper()
	if p := os.Getenv("DKMS_TEST_SIGN_FILE"); p != "" {
		return []string{p}
	}
	var found []string
	seen := map[string]bool{}
	for _, pattern := range []string{
		"/usr/lib/linux-kbuild-*/scripts/sign-file",
		"/usr/src/linux-headers-*/scripts/sign-file",
	} {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			if real, err := filepath.EvalSymlinks(m); err == nil && !seen[real] {
				seen[real] = true
				found = append(found, real)
			}
		}
	}
	if len(found) == 0 {
		testenv.Skipf(t, "no kernel scripts/sign-file found: install kernel headers (test/setup.sh)")
	}
	return found
}

func run(t *testing.T, name string, args ...string) ([]byte, error) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), name, args...).CombinedOutput()
	if err != nil {
		return out, errors.New(strings.TrimSpace(string(out)) + ": " + err.Error())
	}
	return out, nil
}

type keyPair struct {
	keyPath, certPath string
	key               crypto.Signer
	cert              *x509.Certificate
}

// newMOK makes a throwaway key pair with GenerateMOK, as dkms would.
func newMOK(t *testing.T) keyPair {
	t.Helper()
	dir := t.TempDir()
	kp := keyPair{keyPath: filepath.Join(dir, "mok.key"), certPath: filepath.Join(dir, "mok.pub")}
	if err := GenerateMOK(kp.keyPath, kp.certPath, time.Now()); err != nil {
		t.Fatal(err)
	}
	var err error
	if kp.key, kp.cert, err = LoadKeyPair(kp.keyPath, kp.certPath); err != nil {
		t.Fatal(err)
	}
	return kp
}

// testModule returns module-like bytes: sign-file does not parse ELF, so
// any content works; a NUL-heavy prefix mimics section padding.
func testModule(t *testing.T, size int) []byte {
	t.Helper()
	b := make([]byte, size)
	if _, err := rand.Read(b[size/4:]); err != nil {
		t.Fatal(err)
	}
	copy(b, "\x7fELF\x02\x01\x01")
	return b
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSignMatchesSignFile(t *testing.T) {
	tools := signFiles(t)
	kp := newMOK(t)
	module := testModule(t, 300_000)
	for _, tool := range tools {
		for _, hash := range Hashes() {
			t.Run(filepath.Base(filepath.Dir(filepath.Dir(tool)))+"/"+hash, func(t *testing.T) {
				path := writeFile(t, filepath.Join(t.TempDir(), "m.ko"), module)
				if out, err := run(t, tool, hash, kp.keyPath, kp.certPath, path); err != nil {
					testenv.Skipf(t, "%s cannot sign with %s: %v %s", tool, hash, err, out)
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Sign(module, kp.key, kp.cert, hash)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("Sign output (%d bytes) differs from sign-file (%d bytes)", len(got), len(want))
				}
			})
		}
	}
}

// TestSignMatchesSignFileKeyFormats covers keys made by openssl itself, in
// PKCS#8, traditional RSA and combined key+certificate PEM files.
func TestSignMatchesSignFileKeyFormats(t *testing.T) {
	tool := signFiles(t)[0]
	openssl := testenv.LookPath(t, "openssl")
	dir := t.TempDir()
	key, cert := filepath.Join(dir, "k.pem"), filepath.Join(dir, "c.der")
	if out, err := run(t, openssl, "req", "-new", "-x509", "-nodes", "-days", "36500",
		"-subj", "/CN=DKMS module signing key", "-newkey", "rsa:2048", "-keyout", key,
		"-addext", "extendedKeyUsage=codeSigning", "-outform", "DER", "-out", cert); err != nil {
		t.Fatal(err, string(out))
	}
	rsaKey := filepath.Join(dir, "rsa.pem")
	if out, err := run(t, openssl, "rsa", "-in", key, "-traditional", "-out", rsaKey); err != nil {
		t.Fatal(err, string(out))
	}
	certDER, _ := os.ReadFile(cert)
	keyPEM, _ := os.ReadFile(key)
	combined := writeFile(t, filepath.Join(dir, "both.pem"),
		append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}), keyPEM...))
	module := testModule(t, 50_000)
	for _, c := range []struct{ name, key, cert string }{
		{"pkcs8", key, cert},
		{"traditional", rsaKey, cert},
		{"combined", combined, combined},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(t.TempDir(), "m.ko"), module)
			if out, err := run(t, tool, "sha256", c.key, c.cert, path); err != nil {
				t.Fatal(err, string(out))
			}
			want, _ := os.ReadFile(path)
			k, crt, err := LoadKeyPair(c.key, c.cert)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Sign(module, k, crt, "sha256")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Error("Sign output differs from sign-file")
			}
		})
	}
}

// TestSignSignedAppends pins the sign-file behaviour Sign copies: a signed
// module gets a second signature over module plus first signature.
func TestSignSignedAppends(t *testing.T) {
	kp := newMOK(t)
	module := testModule(t, 10_000)
	once, err := Sign(module, kp.key, kp.cert, "sha256")
	if err != nil {
		t.Fatal(err)
	}
	twice, err := Sign(once, kp.key, kp.cert, "sha256")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(twice, once) || len(twice)-len(once) != len(once)-len(module) {
		t.Fatalf("second signature not appended: %d, %d, %d bytes", len(module), len(once), len(twice))
	}
	tools := signFiles(t)
	path := writeFile(t, filepath.Join(t.TempDir(), "m.ko"), once)
	if out, err := run(t, tools[0], "sha256", kp.keyPath, kp.certPath, path); err != nil {
		t.Fatal(err, string(out))
	}
	if want, _ := os.ReadFile(path); !bytes.Equal(twice, want) {
		t.Error("re-signing differs from sign-file")
	}
}

func TestStrip(t *testing.T) {
	kp := newMOK(t)
	module := testModule(t, 5_000)
	signed, err := Sign(module, kp.key, kp.cert, "sha512")
	if err != nil {
		t.Fatal(err)
	}
	twice, err := Sign(signed, kp.key, kp.cert, "sha512")
	if err != nil {
		t.Fatal(err)
	}
	if IsSigned(module) || !IsSigned(signed) {
		t.Fatal("IsSigned wrong")
	}
	if got, err := Strip(twice); err != nil || !bytes.Equal(got, signed) {
		t.Fatalf("Strip(twice) = %d bytes, %v", len(got), err)
	}
	if got, err := Strip(signed); err != nil || !bytes.Equal(got, module) {
		t.Fatalf("Strip(signed) = %d bytes, %v", len(got), err)
	}
	if _, err := Strip(module); !errors.Is(err, ErrNotSigned) {
		t.Fatalf("Strip(unsigned) error = %v", err)
	}
	bad := bytes.Clone(signed)
	bad[len(bad)-len(Magic)-4] = 0xff // sig_len high byte: larger than the file
	if _, err := Strip(bad); err == nil {
		t.Fatal("Strip accepted an impossible sig_len")
	}
	if _, err := Strip([]byte(Magic)); err == nil {
		t.Fatal("Strip accepted a bare magic")
	}
}

func TestSignErrors(t *testing.T) {
	kp := newMOK(t)
	other := newMOK(t)
	module := []byte("module")
	if _, err := Sign(module, kp.key, other.cert, "sha256"); err == nil ||
		!strings.Contains(err.Error(), "does not match") {
		t.Errorf("mismatched key: err = %v", err)
	}
	if _, err := Sign(module, kp.key, kp.cert, "md5"); err == nil {
		t.Error("md5 accepted")
	}
	if _, err := Sign(module, nil, kp.cert, "sha256"); err == nil {
		t.Error("nil key accepted")
	}
	if _, _, err := LoadKeyPair("pkcs11:token=x", kp.certPath); !errors.Is(err, ErrPKCS11) {
		t.Errorf("pkcs11 key: err = %v", err)
	}
}

// TestSignVerifiesWithOpenSSL checks RSA and ECDSA signatures with an
// independent CMS implementation, and that tampering is detected.
func TestSignVerifiesWithOpenSSL(t *testing.T) {
	openssl := testenv.LookPath(t, "openssl")
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	kp := newMOK(t)
	for _, c := range []struct {
		name string
		key  crypto.Signer
		cert *x509.Certificate
	}{
		{"rsa", kp.key, kp.cert},
		{"ecdsa", ecKey, selfSignedFor(t, ecKey)},
	} {
		for _, hash := range []string{"sha256", "sha384", "sha512"} {
			t.Run(c.name+"/"+hash, func(t *testing.T) {
				verifyWithOpenSSL(t, openssl, c.key, c.cert, hash)
			})
		}
	}
}

func verifyWithOpenSSL(t *testing.T, openssl string, key crypto.Signer, cert *x509.Certificate, hash string) {
	dir := t.TempDir()
	module := testModule(t, 20_000)
	signed, err := Sign(module, key, cert, hash)
	if err != nil {
		t.Fatal(err)
	}
	blob := signed[len(module) : len(signed)-trailerLen-len(Magic)]
	sig := writeFile(t, filepath.Join(dir, "sig.der"), blob)
	certPEM := writeFile(t, filepath.Join(dir, "cert.pem"),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	content := writeFile(t, filepath.Join(dir, "m.ko"), module)
	verify := func() error {
		_, err := run(t, openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", sig,
			"-content", content, "-certfile", certPEM, "-nointern", "-noverify", "-out", os.DevNull)
		return err
	}
	if err := verify(); err != nil {
		t.Fatalf("openssl rejects our signature: %v", err)
	}
	module[len(module)-1] ^= 1
	writeFile(t, content, module)
	if err := verify(); err == nil {
		t.Fatal("openssl accepts a tampered module")
	}
}

func selfSignedFor(t *testing.T, key *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	tmpl.Subject.CommonName = "ec test"
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestModinfoReadsSignature signs a minimal ELF object with a .modinfo
// section and checks that kmod's modinfo sees our signer and hash.
func TestModinfoReadsSignature(t *testing.T) {
	gcc := testenv.LookPath(t, "gcc")
	modinfo := testenv.LookPath(t, "modinfo", "/usr/sbin/modinfo", "/sbin/modinfo")
	dir := t.TempDir()
	src := writeFile(t, filepath.Join(dir, "m.c"),
		[]byte(`static const char m[] __attribute__((section(".modinfo"), used)) = "license=GPL";`+"\n"))
	obj := filepath.Join(dir, "m.ko")
	if out, err := run(t, gcc, "-c", src, "-o", obj); err != nil {
		t.Fatal(err, string(out))
	}
	module, _ := os.ReadFile(obj)
	kp := newMOK(t)
	signed, err := Sign(module, kp.key, kp.cert, "sha512")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, obj, signed)
	out, err := run(t, modinfo, obj)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{MOKSubject, "sha512", "PKCS#7"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("modinfo output lacks %q:\n%s", want, out)
		}
	}
}

// BenchmarkSign signs 1 MB and 20 MB modules with sha256 and sha512; run
// bench/sign-compress.sh to compare with sign-file.
func BenchmarkSign(b *testing.B) {
	dir := b.TempDir()
	keyPath, certPath := filepath.Join(dir, "k"), filepath.Join(dir, "c")
	if err := GenerateMOK(keyPath, certPath, time.Now()); err != nil {
		b.Fatal(err)
	}
	key, cert, err := LoadKeyPair(keyPath, certPath)
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{1 << 20, 20 << 20} {
		module := make([]byte, size)
		for _, hash := range []string{"sha256", "sha512"} {
			b.Run(hash+"/"+strconv.Itoa(size>>20)+"MB", func(b *testing.B) {
				b.SetBytes(int64(size))
				for b.Loop() {
					if _, err := Sign(module, key, cert, hash); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
