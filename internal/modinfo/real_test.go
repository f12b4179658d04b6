package modinfo

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

// The tests in this file use the machine's kernel headers, gcc, make and
// kmod's modinfo. They skip loudly when those are missing; CI installs them.

// headerTrees returns the release names under /lib/modules that have headers.
func headerTrees(t *testing.T) []string {
	t.Helper()
	dirs, _ := filepath.Glob("/lib/modules/*/build/include")
	var releases []string
	for _, d := range dirs {
		releases = append(releases, filepath.Base(filepath.Dir(filepath.Dir(d))))
	}
	return releases
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		testenv.LookPath(t, tool, "/usr/sbin/"+tool, "/sbin/"+tool)
	}
}

// buildExample builds examples/<name> against release in a temp copy and
// returns the path of the built <name>.ko.
func buildExample(t *testing.T, release, example, module string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "examples", example))); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "make", "-C", filepath.Join("/lib/modules", release, "build"), "M="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make: %v\n%s", err, out)
	}
	return filepath.Join(dir, module+".ko")
}

// kmodField runs `modinfo -F key file` and returns its output lines.
func kmodField(t *testing.T, file, key string) []string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "modinfo", "-F", key, file).Output()
	if err != nil {
		t.Fatalf("modinfo -F %s %s: %v", key, file, err)
	}
	if len(out) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// compareWithKmod checks every .modinfo key, and the signature fields when
// present, against kmod's modinfo on the same file.
func compareWithKmod(t *testing.T, file string, info *Info) {
	t.Helper()
	var keys []string
	for _, f := range info.Fields {
		if !slices.Contains(keys, f.Key) && f.Key != "parm" && f.Key != "parmtype" {
			keys = append(keys, f.Key)
		}
	}
	for _, key := range keys {
		if got, want := info.Get(key), kmodField(t, file, key); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Get(%q) = %q, modinfo says %q", file, key, got, want)
		}
	}
	for _, key := range []string{"version", "srcversion", "vermagic", "name"} {
		if len(kmodField(t, file, key)) > 1 {
			continue
		}
		got := map[string]string{"version": info.Version(), "srcversion": info.SrcVersion(),
			"vermagic": info.Vermagic(), "name": info.Name()}[key]
		if want := strings.Join(kmodField(t, file, key), ""); got != want {
			t.Errorf("%s: %s accessor = %q, modinfo says %q", file, key, got, want)
		}
	}
	compareSignature(t, file, info)
}

func compareSignature(t *testing.T, file string, info *Info) {
	t.Helper()
	want := strings.Join(kmodField(t, file, "sig_id"), "")
	if (want != "") != (info.Signature != nil) {
		t.Fatalf("%s: Signature = %v, modinfo sig_id = %q", file, info.Signature, want)
	}
	if info.Signature == nil {
		return
	}
	s := info.Signature
	got := map[string]string{"sig_id": s.IDTypeName(), "signer": s.Signer, "sig_key": s.KeyIDHex(), "sig_hashalgo": s.HashAlgo}
	for key, value := range got {
		if want := strings.Join(kmodField(t, file, key), ""); value != want {
			t.Errorf("%s: %s = %q, modinfo says %q", file, key, value, want)
		}
	}
}

func readFile(t *testing.T, file string) *Info {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	info, err := ReadBytes(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return info
}

// TestRealModule builds examples/dkms-example against every installed header
// tree, compares with modinfo, then signs it with the kernel's sign-file and
// compares the signature fields too.
func TestRealModule(t *testing.T) {
	needTools(t, "make", "gcc", "modinfo")
	releases := headerTrees(t)
	if len(releases) == 0 {
		testenv.Skipf(t, "no kernel headers in /lib/modules/*/build; real-module test not run")
	}
	for _, release := range releases {
		t.Run(release, func(t *testing.T) {
			t.Parallel()
			ko := buildExample(t, release, "dkms-example", "dkms_example")
			info := readFile(t, ko)
			if info.Version() != "1.0" || !strings.HasPrefix(info.Vermagic(), release+" ") {
				t.Errorf("version %q vermagic %q; want 1.0 and %s", info.Version(), info.Vermagic(), release)
			}
			compareWithKmod(t, ko, info)
			signWithKernelTool(t, release, ko)
			signed := readFile(t, ko)
			if !signed.Signed || signed.Signature == nil || signed.Signature.Signer != "dkms-go test key" {
				t.Fatalf("after sign-file: Signed=%v Signature=%+v", signed.Signed, signed.Signature)
			}
			compareWithKmod(t, ko, signed)
		})
	}
}

func signWithKernelTool(t *testing.T, release, ko string) {
	t.Helper()
	tool := filepath.Join("/lib/modules", release, "build", "scripts", "sign-file")
	if _, err := os.Stat(tool); err != nil {
		testenv.Skipf(t, "%s missing; signature comparison not run", tool)
	}
	needTools(t, "openssl")
	dir := t.TempDir()
	key, cert := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.der")
	gen := exec.CommandContext(t.Context(), "openssl", "req", "-new", "-x509", "-nodes", "-days", "1",
		"-subj", "/CN=dkms-go test key", "-newkey", "rsa:2048", "-keyout", key, "-outform", "DER", "-out", cert)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	if out, err := exec.CommandContext(t.Context(), tool, "sha512", key, cert, ko).CombinedOutput(); err != nil {
		t.Fatalf("sign-file: %v\n%s", err, out)
	}
}

// TestDistroSignedModule reads an in-tree module shipped (signed, usually
// xz-compressed) by the distribution kernel package.
func TestDistroSignedModule(t *testing.T) {
	needTools(t, "modinfo", "xz")
	files, _ := filepath.Glob("/lib/modules/*/kernel/net/*/*.ko*")
	if len(files) == 0 {
		testenv.Skipf(t, "no distribution modules under /lib/modules/*/kernel/net")
	}
	file := files[0]
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(file, ".xz") {
		if data, err = exec.CommandContext(t.Context(), "xz", "-dc", file).Output(); err != nil {
			t.Fatalf("xz -dc %s: %v", file, err)
		}
	} else if filepath.Ext(file) != ".ko" {
		testenv.Skipf(t, "%s: only plain and .xz modules are handled here", file)
	}
	info, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	compareWithKmod(t, file, info)
}
