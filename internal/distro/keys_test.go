package distro

import (
	"path/filepath"
	"strings"
	"testing"
)

// gentooCase is a Gentoo system: environment, make.conf and kernel
// configuration key, and the pair expected. In paths, %ROOT% is the
// system root and %SRC% the kernel source dir (which is below a symlink,
// as /lib/modules/K/build is).
type gentooCase struct {
	name      string
	env       map[string]string
	makeConf  string // "" for no file
	configKey string
	files     map[string]string // more files below the root
	key, cert string
}

var gentooCases = []gentooCase{
	{name: "nothing: machine-wide default"},
	{name: "environment", env: map[string]string{"MODULES_SIGN_KEY": "/env/key.pem", "MODULES_SIGN_CERT": "/env/cert.pem"},
		makeConf: "MODULES_SIGN_KEY=/mc/key.pem\nMODULES_SIGN_CERT=/mc/cert.pem\n", configKey: "certs/signing_key.pem",
		key: "/env/key.pem", cert: "/env/cert.pem"},
	{name: "make.conf, quotes removed", makeConf: "# portage\nCOMMON_FLAGS=\"-O2\"\nMODULES_SIGN_KEY=\"/root/kernel_key.pem\"\nMODULES_SIGN_CERT='/root/kernel_cert.pem'\n",
		key: "/root/kernel_key.pem", cert: "/root/kernel_cert.pem"},
	{name: "make.conf, last line wins, not indented or exported", makeConf: "MODULES_SIGN_KEY=/a\nMODULES_SIGN_KEY=/b\n  MODULES_SIGN_KEY=/c\nexport MODULES_SIGN_CERT=/d\n",
		key: "/b"},
	{name: "key from environment, certificate from make.conf", env: map[string]string{"MODULES_SIGN_KEY": "/env/key.pem"},
		makeConf: "MODULES_SIGN_CERT=/mc/cert.pem\n", key: "/env/key.pem", cert: "/mc/cert.pem"},
	{name: "kernel config, relative to the source dir, symlink resolved", configKey: "certs/signing_key.pem",
		files: map[string]string{"usr/src/linux-6.6/certs/signing_key.pem": "k"},
		key:   "%ROOT%/usr/src/linux-6.6/certs/signing_key.pem", cert: "%ROOT%/usr/src/linux-6.6/certs/signing_key.pem"},
	{name: "kernel config key overrides a certificate found before", env: map[string]string{"MODULES_SIGN_CERT": "/env/cert.pem"},
		configKey: "certs/signing_key.pem", files: map[string]string{"usr/src/linux-6.6/certs/signing_key.pem": "k"},
		key: "%ROOT%/usr/src/linux-6.6/certs/signing_key.pem", cert: "%ROOT%/usr/src/linux-6.6/certs/signing_key.pem"},
	{name: "kernel config key is itself a symlink", configKey: "certs/signing_key.pem",
		files: map[string]string{"usr/src/linux-6.6/certs/signing_key.pem": "->../../../../keys/real.pem", "keys/real.pem": "k"},
		key:   "%ROOT%/keys/real.pem", cert: "%ROOT%/keys/real.pem"},
	{name: "kernel config key not there yet: readlink -f still names it", configKey: "certs/new.pem",
		files: map[string]string{"usr/src/linux-6.6/certs/": ""},
		key:   "%ROOT%/usr/src/linux-6.6/certs/new.pem", cert: "%ROOT%/usr/src/linux-6.6/certs/new.pem"},
	{name: "kernel config key unresolvable: default", configKey: "nodir/sub/key.pem"},
	{name: "kernel config absolute key", configKey: "%ROOT%/keys/k.pem", files: map[string]string{"keys/k.pem": "k"},
		key: "%ROOT%/keys/k.pem", cert: "%ROOT%/keys/k.pem"},
}

func TestGentooKeys(t *testing.T) {
	for _, tt := range gentooCases {
		t.Run(tt.name, func(t *testing.T) {
			root, src := gentooSystem(t, tt)
			got, own := Name("gentoo").DefaultKeys(KeyFacts{Root: root, Getenv: mapEnv(tt.env),
				ConfigKey: strings.ReplaceAll(tt.configKey, "%ROOT%", root), SourceDir: src})
			if !own {
				t.Error("Gentoo has no key of its own")
			}
			want := Keys{Key: strings.ReplaceAll(tt.key, "%ROOT%", root), Cert: strings.ReplaceAll(tt.cert, "%ROOT%", root)}
			if got != want {
				t.Errorf("DefaultKeys = %+v, want %+v", got, want)
			}
		})
	}
}

// gentooSystem writes tt's files below a new root and returns it and the
// kernel source dir, a symlink lib/modules/6.6/build -> usr/src/linux-6.6.
func gentooSystem(t *testing.T, tt gentooCase) (root, src string) {
	t.Helper()
	root = t.TempDir()
	files := map[string]string{"usr/src/linux-6.6/Makefile": "", "lib/modules/6.6/build": "->../../../usr/src/linux-6.6"}
	for p, c := range tt.files {
		files[p] = c
	}
	if tt.makeConf != "" {
		files["etc/portage/make.conf"] = tt.makeConf
	}
	writeTree(t, root, files)
	return root, filepath.Join(root, "lib/modules/6.6/build")
}

func mapEnv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

func TestDefaultKeys(t *testing.T) {
	tests := []struct {
		name Name
		root string
		want Keys
		own  bool
	}{
		{"ubuntu", "", Keys{Key: "/var/lib/shim-signed/mok/MOK.priv", Cert: "/var/lib/shim-signed/mok/MOK.der", Shim: true}, true},
		{"ubuntu debian", "/sysroot", Keys{Key: "/sysroot/var/lib/shim-signed/mok/MOK.priv", Cert: "/sysroot/var/lib/shim-signed/mok/MOK.der", Shim: true}, true},
		{"gentoo", "/nonexistent", Keys{}, true},
		{"debian", "", Keys{}, false},
		{"rhel centos fedora", "", Keys{}, false},
		{"arch", "", Keys{}, false},
	}
	for _, tt := range tests {
		if got, own := tt.name.DefaultKeys(KeyFacts{Root: tt.root}); got != tt.want || own != tt.own {
			t.Errorf("Name(%q).DefaultKeys = %+v, %v; want %+v, %v", tt.name, got, own, tt.want, tt.own)
		}
	}
}

func TestConfigKeyPKCS11(t *testing.T) {
	uri := "pkcs11:token=kernel;object=signing"
	if got, _ := Name("gentoo").DefaultKeys(KeyFacts{ConfigKey: uri, SourceDir: t.TempDir()}); got.Key != uri || got.Cert != uri {
		t.Errorf("DefaultKeys = %+v, want the URI kept", got)
	}
}
