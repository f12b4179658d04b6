package main

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/sign"
	"github.com/dkms-go/dkms/internal/testenv"
)

// realSandbox is a hermetic set of trees whose install tree links real
// kernel headers, for tests that build real modules with our dkms.
type realSandbox struct {
	root string
	env  []string
}

// needRealKernels returns the Debian 6.1 and 6.12 releases, skipping the
// test when their headers are missing (failing when CI requires them).
func needRealKernels(t *testing.T) (k61, k612 string) {
	t.Helper()
	ks := realKernels()
	if len(ks) == 2 {
		return ks["KVER61"], ks["KVER612"]
	}
	testenv.Skipf(t, "real Debian 6.1 and 6.12 kernel headers are not installed: run test/setup.sh")
	return "", ""
}

// newRealSandbox makes the trees, links each kernel's headers and copies
// the example module's source into the source tree.
func newRealSandbox(t *testing.T, kernels ...string) *realSandbox {
	t.Helper()
	s := &realSandbox{root: t.TempDir()}
	etc := filepath.Join(s.root, "etc")
	for _, d := range []string{etc, filepath.Join(s.root, "dkms"), filepath.Join(s.root, "src")} {
		must(t, os.MkdirAll(d, 0o755))
	}
	r := s.root
	fw := fmt.Sprintf("dkms_tree=%s/dkms\nsource_tree=%s/src\ninstall_tree=%s/modules\nmok_signing_key=%s/mok.key\nmok_certificate=%s/mok.pub\ntry_sign_modules=true\n", r, r, r, r, r)
	must(t, os.WriteFile(filepath.Join(etc, "framework.conf"), []byte(fw), 0o644))
	for _, k := range kernels {
		headers, err := filepath.EvalSymlinks(filepath.Join("/lib/modules", k, "build"))
		must(t, err)
		kdir := filepath.Join(r, "modules", k)
		must(t, os.MkdirAll(kdir, 0o755))
		must(t, os.Symlink(headers, filepath.Join(kdir, "build")))
		must(t, os.WriteFile(filepath.Join(kdir, "modules.dep"), nil, 0o644))
	}
	example, err := filepath.Abs("../../examples/dkms-example")
	must(t, err)
	must(t, fileutil.CopyTree(example, filepath.Join(r, "src", "dkms_example-1.0")))
	s.env = append(os.Environ(), envConfDir+"="+etc, "parallel_jobs=2")
	return s
}

// run runs the dkms binary in the sandbox and fails the test on error.
func (s *realSandbox) run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dkms %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// installedModule returns the installed example module for k, decompressed.
func (s *realSandbox) installedModule(t *testing.T, k string) []byte {
	t.Helper()
	dir := filepath.Join(s.root, "modules", k, "updates", "dkms")
	if b, err := os.ReadFile(filepath.Join(dir, "dkms_example.ko")); err == nil {
		return b
	}
	out, err := exec.Command("xz", "-dc", filepath.Join(dir, "dkms_example.ko.xz")).Output()
	if err != nil {
		t.Fatalf("no installed dkms_example.ko[.xz] for %s: %v", k, err)
	}
	return out
}

// TestSignVerifyRealKernels builds the example module with our dkms for the
// real Debian 6.1 and 6.12 headers and checks the signature dkms appended:
// OpenSSL verifies the PKCS#7 blob over the unsigned module with our
// certificate, rejects it over a tampered module, and the kernel's own
// sign-file, given the same key, certificate and unsigned module, writes
// exactly the same bytes.
func TestSignVerifyRealKernels(t *testing.T) {
	k61, k612 := needRealKernels(t)
	testenv.LookPath(t, "openssl")
	s := newRealSandbox(t, k61, k612)
	out := s.run(t, dkmsBinary(t), "install", "dkms_example/1.0", "-k", k61, "-k", k612, "-a", "x86_64")
	if !strings.Contains(out, "Installing "+filepath.Join(s.root, "modules", k612, "updates/dkms/dkms_example.ko.xz")) {
		t.Errorf("6.12 module not installed as .ko.xz:\n%s", out)
	}
	certPEM := filepath.Join(s.root, "mok.pem")
	der, err := os.ReadFile(filepath.Join(s.root, "mok.pub"))
	must(t, err)
	must(t, os.WriteFile(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	for _, k := range []string{k61, k612} {
		t.Run(k, func(t *testing.T) {
			signed := s.installedModule(t, k)
			dir := t.TempDir()
			unsigned := verifySignature(t, dir, signed, certPEM)
			compareWithSignFile(t, dir, k, unsigned, signed, s.root)
		})
	}
}

// verifySignature splits signed into module and PKCS#7 blob, checks the
// blob with openssl cms over the module and over a tampered copy, and
// returns the unsigned module.
func verifySignature(t *testing.T, dir string, signed []byte, certPEM string) []byte {
	t.Helper()
	unsigned, err := sign.Strip(signed)
	must(t, err)
	// Layout: module | PKCS#7 DER | 12-byte trailer | magic.
	blob := signed[len(unsigned) : len(signed)-len(sign.Magic)-12]
	sigPath, modPath := filepath.Join(dir, "sig.der"), filepath.Join(dir, "unsigned.ko")
	must(t, os.WriteFile(sigPath, blob, 0o644))
	must(t, os.WriteFile(modPath, unsigned, 0o644))
	if out, err := opensslVerify(sigPath, modPath, certPEM); err != nil {
		t.Fatalf("openssl cms -verify rejected our signature: %v\n%s", err, out)
	}
	tampered := bytes.Clone(unsigned)
	tampered[len(tampered)/2] ^= 0x01
	badPath := filepath.Join(dir, "tampered.ko")
	must(t, os.WriteFile(badPath, tampered, 0o644))
	if out, err := opensslVerify(sigPath, badPath, certPEM); err == nil {
		t.Fatalf("openssl cms -verify accepted a tampered module:\n%s", out)
	}
	return unsigned
}

// opensslVerify checks a detached DER PKCS#7 signature over content, with
// the signer's certificate given and its chain not checked (a MOK is
// self-signed and trusted by enrollment, not by a CA).
func opensslVerify(sig, content, certPEM string) ([]byte, error) {
	return exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig,
		"-content", content, "-certfile", certPEM, "-noverify", "-out", os.DevNull).CombinedOutput()
}

// compareWithSignFile signs the unsigned module with the kernel's
// scripts/sign-file and the same key and certificate, and wants our bytes.
func compareWithSignFile(t *testing.T, dir, k string, unsigned, signed []byte, root string) {
	t.Helper()
	tool := kernelSignFile(k)
	if tool == "" {
		testenv.Skipf(t, "no scripts/sign-file for %s", k)
	}
	p := filepath.Join(dir, "by-sign-file.ko")
	must(t, os.WriteFile(p, unsigned, 0o644))
	out, err := exec.Command(tool, "sha256", filepath.Join(root, "mok.key"), filepath.Join(root, "mok.pub"), p).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
	want, err := os.ReadFile(p)
	must(t, err)
	if !bytes.Equal(signed, want) {
		t.Errorf("our signed module (%d bytes) differs from %s's (%d bytes)", len(signed), tool, len(want))
	}
}

// kernelSignFile finds the sign-file Debian ships for k: in linux-kbuild
// (named after the release without its last "." or "-" component: 6.1 for
// 6.1.0-56-amd64, 6.12.117+deb12 for 6.12.117+deb12-amd64), else in the
// headers' scripts directory.
func kernelSignFile(k string) string {
	candidates := []string{filepath.Join("/lib/modules", k, "build/scripts/sign-file")}
	for _, sep := range []string{".", "-"} {
		if i := strings.LastIndex(k, sep); i > 0 {
			candidates = append([]string{"/usr/lib/linux-kbuild-" + k[:i] + "/scripts/sign-file"}, candidates...)
		}
	}
	for _, c := range candidates {
		if executableFile(c) {
			return c
		}
	}
	return ""
}
