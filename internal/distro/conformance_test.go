package distro

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

// The tests in this file run the reference's own code, taken at test time
// from ../shared/upstream-dkms/dkms.in (3.4.3) with bash, and compare its
// decisions with ours. Where the reference reads a fixed system path, the
// test rewrites the path into a temporary root.

// referenceFunctions extracts the shell functions the tests call from the
// reference dkms, and the main program's weak-modules block as a function
// select_weak, rewriting the fixed paths found in them.
func referenceFunctions(t *testing.T, root string) string {
	t.Helper()
	src := filepath.Join(testenv.Shared(t, filepath.Join("..", "..")), "upstream-dkms", "dkms.in")
	b, err := os.ReadFile(src)
	if err != nil {
		testenv.Skipf(t, "reference source: %v", err)
	}
	var out strings.Builder
	for _, f := range []string{"distro_version()", "override_dest_module_location()", "prepare_mok()"} {
		out.WriteString(linesBetween(t, string(b), f, "}"))
	}
	out.WriteString("select_weak() {\n" + linesBetween(t, string(b), "# Since initramfs/initrd rebuild is not requested", "fi") + "}\n")
	return strings.NewReplacer(
		"/etc/os-release /usr/lib/os-release", root+"/etc/os-release "+root+"/usr/lib/os-release",
		"/etc/portage/make.conf", root+"/etc/portage/make.conf",
		"/var/lib/shim-signed/", root+"/var/lib/shim-signed/",
	).Replace(out.String())
}

// linesBetween returns the lines from the one starting with first to the
// next one equal to last.
func linesBetween(t *testing.T, text, first, last string) string {
	t.Helper()
	var b strings.Builder
	in := false
	for _, l := range strings.Split(text, "\n") {
		if !in && strings.HasPrefix(l, first) {
			in = true
		}
		if in {
			b.WriteString(l + "\n")
			if l == last {
				return b.String()
			}
		}
	}
	t.Fatalf("reference source has no %q ... %q", first, last)
	return ""
}

// referenceBash runs script after the reference's functions, in bash,
// with env added, and returns its output.
func referenceBash(t *testing.T, root, script string, env ...string) string {
	t.Helper()
	bash := testenv.LookPath(t, "bash")
	prelude := "die() { echo \"die $1\"; exit \"$1\"; }\nopenssl() { :; }\n" // never make a key
	cmd := exec.CommandContext(t.Context(), bash, "-c", prelude+referenceFunctions(t, root)+script)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	return string(out)
}

// TestReferenceDistributions runs every os-release file of the table
// through the reference's distro_version, override_dest_module_location
// and weak-modules selection.
func TestReferenceDistributions(t *testing.T) {
	const k = "6.1.0-9-amd64"
	script := `running_distribution=$(distro_version)
addon_modules_dir=
echo "name=$running_distribution"
echo "location=$(override_dest_module_location /kernel/extra)"
addon_modules_dir=addon
echo "addon=$(override_dest_module_location /kernel/extra)"
select_weak
echo "weak=$weak_modules_add|$weak_modules_remove"
`
	for _, d := range distributions {
		t.Run(d.file, func(t *testing.T) {
			root := osReleaseRoot(t, d.file, "etc/os-release")
			want := referenceBash(t, root, script, "NO_WEAK_MODULES=")
			n, err := Detect(root)
			if err != nil {
				t.Fatal(err)
			}
			weak := "|"
			if w := n.WeakModules(""); w != nil {
				// The reference passes weak-modules2 the literal text
				// ${kernelver}: we pass the kernel.
				weak = strings.ReplaceAll(strings.Join(w.Add(k), " ")+"|"+strings.Join(w.Remove(k), " "), k, "${kernelver}")
			}
			got := "name=" + string(n) + "\nlocation=" + n.InstallLocation("", "/kernel/extra") +
				"\naddon=" + n.InstallLocation("addon", "/kernel/extra") + "\nweak=" + weak + "\n"
			if got != want {
				t.Errorf("ours:\n%s\nreference:\n%s", got, want)
			}
		})
	}
}

// TestReferenceGentooKeys runs the Gentoo cases through the reference's
// prepare_mok. Cases where we deliberately differ are skipped by name.
func TestReferenceGentooKeys(t *testing.T) {
	differ := map[string]bool{
		"make.conf, quotes removed":                           true, // the reference keeps single quotes
		"make.conf, last line wins, not indented or exported": true, // the reference joins every line
	}
	for _, tt := range gentooCases {
		if differ[tt.name] {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			root, src := gentooSystem(t, tt)
			cfg := filepath.Join(root, "kernel.config")
			configKey := strings.ReplaceAll(tt.configKey, "%ROOT%", root)
			if configKey != "" {
				writeTree(t, root, map[string]string{"kernel.config": "CONFIG_MODULE_SIG_KEY=\"" + configKey + "\"\n"})
			}
			env := []string{"MODULES_SIGN_KEY=" + tt.env["MODULES_SIGN_KEY"], "MODULES_SIGN_CERT=" + tt.env["MODULES_SIGN_CERT"]}
			ref := referenceBash(t, root, `running_distribution=gentoo
mok_signing_key= mok_certificate= kernel_config=`+cfg+` kernel_source_dir=`+src+`
prepare_mok | sed -n 's/^Signing key: //p; s/^Public certificate (MOK): //p'`, env...)
			k, _ := Name("gentoo").DefaultKeys(KeyFacts{Root: root, Getenv: mapEnv(tt.env), ConfigKey: configKey, SourceDir: src})
			if k.Key == "" {
				k.Key = "/var/lib/dkms/mok.key"
			}
			if k.Cert == "" {
				k.Cert = "/var/lib/dkms/mok.pub"
			}
			if got := k.Key + "\n" + k.Cert + "\n"; got != ref {
				t.Errorf("ours:\n%s\nreference:\n%s", got, ref)
			}
		})
	}
}

// TestReferenceUbuntuKeys: with the shim-signed pair present, the
// reference signs with it.
func TestReferenceUbuntuKeys(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"var/lib/shim-signed/mok/MOK.priv": "k", "var/lib/shim-signed/mok/MOK.der": "c"})
	ref := referenceBash(t, root, `running_distribution="ubuntu debian"
mok_signing_key= mok_certificate=
prepare_mok | sed -n 's/^Signing key: //p; s/^Public certificate (MOK): //p'`)
	k, _ := Name("ubuntu debian").DefaultKeys(KeyFacts{Root: root})
	if got := k.Key + "\n" + k.Cert + "\n"; got != ref || !k.Shim {
		t.Errorf("ours: %q (shim %v), reference: %q", got, k.Shim, ref)
	}
}
