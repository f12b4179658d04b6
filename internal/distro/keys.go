package distro

import (
	"os"
	"path/filepath"
	"strings"
)

// Keys is the signing key and certificate a distribution uses when
// framework.conf sets no mok_signing_key (prepare_mok). An empty path
// means the machine-wide default (/var/lib/dkms/mok.key or mok.pub),
// which the caller owns.
type Keys struct {
	Key, Cert string
	// Shim marks Ubuntu's pair, the one update-secureboot-policy makes
	// and enrolls: when either file is missing the reference has that
	// tool make a new pair before signing.
	Shim bool
}

// KeyFacts are what a distribution's default key is found from.
type KeyFacts struct {
	// Root prefixes the system files read: Ubuntu's shim-signed MOK and
	// Gentoo's /etc/portage/make.conf ("" for the machine's own).
	Root string
	// Getenv reads the environment (Gentoo's MODULES_SIGN_KEY and
	// MODULES_SIGN_CERT).
	Getenv func(string) string
	// ConfigKey is the kernel configuration's CONFIG_MODULE_SIG_KEY
	// (unquoted; "" when unset or when there is no configuration), and
	// SourceDir the kernel source dir a relative ConfigKey is relative to.
	ConfigKey, SourceDir string
}

// Paths of the distributions' keys, below KeyFacts.Root.
const (
	shimKey    = "var/lib/shim-signed/mok/MOK.priv"
	shimCert   = "var/lib/shim-signed/mok/MOK.der"
	portageEtc = "etc/portage/make.conf"
)

// DefaultKeys returns the key pair n signs with when framework.conf names
// no key, as the reference's prepare_mok chooses it: Ubuntu (and ID_LIKE
// ubuntu: Mint, Pop!_OS...) the MOK shim-signed's update-secureboot-policy
// enrolls at installation; Gentoo the key of its environment or of
// portage's make.conf (MODULES_SIGN_KEY, MODULES_SIGN_CERT), else the
// kernel's own CONFIG_MODULE_SIG_KEY, a PEM file holding both key and
// certificate. It reports false for every other distribution, which
// keeps framework.conf's mok_certificate; Ubuntu's and Gentoo's pair
// replaces it, as in the reference, even where Gentoo finds nothing and
// leaves both paths empty.
func (n Name) DefaultKeys(f KeyFacts) (Keys, bool) {
	switch {
	case n.is("ubuntu"):
		return Keys{Key: rooted(f.Root, shimKey), Cert: rooted(f.Root, shimCert), Shim: true}, true
	case n.is("gentoo"):
		return gentooKeys(f), true
	}
	return Keys{}, false
}

// gentooKeys follows the reference's Gentoo branch: the environment, then
// make.conf, each for the key and the certificate separately; only when
// no key is found that way, the kernel configuration's key, resolved in
// the kernel source dir, for both.
func gentooKeys(f KeyFacts) Keys {
	var k Keys
	if f.Getenv != nil {
		k.Key, k.Cert = f.Getenv("MODULES_SIGN_KEY"), f.Getenv("MODULES_SIGN_CERT")
	}
	makeConf, _ := os.ReadFile(rooted(f.Root, portageEtc))
	if k.Key == "" {
		k.Key = makeConfValue(string(makeConf), "MODULES_SIGN_KEY")
	}
	if k.Cert == "" {
		k.Cert = makeConfValue(string(makeConf), "MODULES_SIGN_CERT")
	}
	if k.Key == "" && f.ConfigKey != "" {
		k.Key = configKeyPath(f.ConfigKey, f.SourceDir)
		k.Cert = k.Key
	}
	return k
}

// makeConfValue reads NAME=value from portage's make.conf the way the
// reference greps it: a line starting with NAME=, the text up to the next
// '=', quotes removed. Where the reference removes only double quotes we
// remove single ones too (a single-quoted path is valid make.conf and
// would otherwise name a file with quotes in it), and of several lines
// the last one wins, as when portage sources the file.
func makeConfValue(text, name string) string {
	v := ""
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(line, name+"=")
		if !ok {
			continue
		}
		rest, _, _ = strings.Cut(rest, "=")
		v = strings.NewReplacer(`"`, "", "'", "").Replace(rest)
	}
	return v
}

// configKeyPath resolves CONFIG_MODULE_SIG_KEY as the reference does with
// `readlink -f` in the kernel source dir (3.4.0): a relative path (the
// default is certs/signing_key.pem) is relative to the source dir, and
// symbolic links are resolved. A path that cannot be resolved gives "",
// so the machine-wide default is used. A PKCS#11 URI is kept as written
// (the reference mangles it): sign-file reads such keys from a token.
func configKeyPath(value, sourceDir string) string {
	if strings.HasPrefix(value, "pkcs11:") {
		return value
	}
	p := value
	if !filepath.IsAbs(p) {
		p = filepath.Join(sourceDir, p)
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	// readlink -f also resolves a path whose last part does not exist.
	if dir, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		return filepath.Join(dir, filepath.Base(p))
	}
	return ""
}

// rooted joins a system path to root ("" for /).
func rooted(root, p string) string { return filepath.Join("/", root, p) }
