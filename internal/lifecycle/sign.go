package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/distro"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/kernel"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/sign"
)

// signPlan is how modules are signed for a kernel: the kernel's hash,
// the key and certificate, and the external tool that signs (empty:
// natively, in-process).
type signPlan struct {
	hash, key, cert, tool string
}

// prepareSigning decides whether and how modules are signed for r (§7.2)
// and prints the reference's prologue. Signing is native: the key and
// certificate are read here and each module is signed in-process, with
// output byte-identical to the kernel's sign-file. A sign_file set in
// framework.conf is run instead, as the reference runs it.
func (a *action) prepareSigning(ctx context.Context, sc *conf.Scope, r *resolved) {
	p, ok := a.planSigning(ctx, sc, r)
	if !ok {
		return
	}
	if !strings.HasPrefix(p.key, "pkcs11:") && (!isFile(p.key) || !isFile(p.cert)) {
		if !a.generateMOK(p.key, p.cert, true) {
			return
		}
	}
	r.signing = &p
	if p.tool == "" {
		a.secureBootHint(p.cert)
	}
}

// signer returns the function that signs one built module in place: the
// external tool, run with env added to its environment (what
// build_environment exported), or natively with the sign package (keys
// loaded on first use). Nil signs nothing.
func (p *signPlan) signer(r *run.Runner, env []string) func(context.Context, string) error {
	if p == nil {
		return nil
	}
	if p.tool != "" {
		return func(ctx context.Context, path string) error {
			return r.Run(ctx, run.Cmd{Path: p.tool, Args: []string{p.hash, p.key, p.cert, path}, Env: env})
		}
	}
	return func(_ context.Context, path string) error {
		key, cert, err := sign.LoadKeyPair(p.key, p.cert)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		r.Step("sign " + path)
		out, err := sign.Sign(b, key, cert, p.hash)
		if err != nil {
			return err
		}
		return r.WriteFile(path, out, 0o644)
	}
}

// planSigning works out the signing facts of r and prints the prologue;
// it reports false when modules are not signed.
func (a *action) planSigning(ctx context.Context, sc *conf.Scope, r *resolved) (signPlan, bool) {
	fw := a.frameworkFor(ctx, sc, r.Release, r.Arch) // signing settings are read late, per kernel
	if !a.signingAllowed(fw["try_sign_modules"]) {
		return signPlan{}, false
	}
	if r.Config == nil {
		a.Rep.Say("Kernel config %s not found, modules won't be signed", r.ConfigPath)
		return signPlan{}, false
	}
	hash, ok := r.Config.SigHash()
	if !ok {
		a.Rep.Say("The kernel is built without module signing facility, modules won't be signed")
		return signPlan{}, false
	}
	p := signPlan{hash: hash, tool: fw["sign_file"]}
	shown := p.tool
	if shown == "" {
		shown = a.referenceSignFile(r.Release)
	}
	a.Rep.Say("Sign command: %s", shown)
	if p.tool != "" && !executableFile(p.tool) {
		a.Rep.Say("Binary %s not found, modules won't be signed", p.tool)
		return signPlan{}, false
	}
	keys, ok := a.signingKeys(ctx, fw, a.keyFacts(sc, r.Target))
	if !ok {
		return signPlan{}, false
	}
	p.key, p.cert = keys.Key, keys.Cert
	if p.tool == "" && strings.HasPrefix(p.key, "pkcs11:") {
		// A key held by a token cannot be read here: let the kernel's
		// sign-file talk to it, as the reference does.
		p.tool = a.referenceSignFile(r.Release)
	}
	a.Rep.Say("Signing key: %s", p.key)
	a.Rep.Say("Public certificate (MOK): %s", p.cert)
	return p, true
}

// signingAllowed applies framework.conf's try_sign_modules (dkms 3.4):
// "false" never signs, "true" always tries, anything else (unset,
// "not_in_chroot") tries unless dkms runs in a chroot, where the key
// would be one the target machine's firmware does not know. It prints
// the reference's line when modules won't be signed.
func (a *action) signingAllowed(try string) bool {
	switch try {
	case "false":
		a.Rep.Say("Module signing is disabled by policy, modules won't be signed")
		return false
	case "true":
		return true
	}
	c := kernel.InChroot(a.SysRoot, a.Loader.Base.Environ, os.Geteuid())
	if c.StatErr != "" {
		fmt.Fprintln(a.Rep.Stderr(), c.StatErr)
	}
	if c.In {
		a.Rep.Say("Running in chroot, modules won't be signed")
		return false
	}
	return true
}

// referenceSignFile is the sign-file the reference would use for k; we
// name it in the prologue because our signatures are byte-identical to it.
func (s *Session) referenceSignFile(k string) string {
	kmodsign, _ := exec.LookPath("kmodsign")
	p := s.Distro.SignFile(s.SysRoot, k, kmodsign)
	if p == "" || !isFile(p) {
		p = filepath.Join(s.Layout.KernelDir(k), "build", "scripts", "sign-file")
	}
	return p
}

// signingKeys returns the key pair to sign with, as the reference's
// prepare_mok picks it: framework.conf's mok_signing_key (with its
// mok_certificate); else the distribution's own pair, if it has one
// (distro.Name.DefaultKeys), made first by update-secureboot-policy on
// Ubuntu when it is missing; the machine-wide pair (Session.MOK) for
// whatever is still unnamed. It reports false, having said why, when no
// pair can be had.
func (s *Session) signingKeys(ctx context.Context, fw map[string]string, facts distro.KeyFacts) (KeyPair, bool) {
	kp := KeyPair{Key: fw["mok_signing_key"], Cert: fw["mok_certificate"]}
	if kp.Key == "" {
		if own, ok := s.Distro.DefaultKeys(facts); ok {
			kp = KeyPair{Key: own.Key, Cert: own.Cert}
			if own.Shim && (!isFile(kp.Key) || !isFile(kp.Cert)) && !s.shimKeys(ctx, kp) {
				return KeyPair{}, false
			}
		}
	}
	if kp.Key == "" {
		kp.Key = s.MOK.Key
	}
	if kp.Cert == "" {
		kp.Cert = s.MOK.Cert
	}
	return kp, true
}

// shimKeys has Ubuntu's update-secureboot-policy make a new MOK and queue
// it for enrollment, as the reference does when the shim-signed pair is
// incomplete: it makes no key while the certificate exists, so that goes
// first. The tool's exit status is not checked (nor by the reference):
// what it leaves is checked next, and a missing pair is then generated
// natively. It reports false when the tool is not on PATH.
func (s *Session) shimKeys(ctx context.Context, kp KeyPair) bool {
	const tool = "update-secureboot-policy"
	if !s.has(tool) {
		s.Rep.Say("Binary update-secureboot-policy not found, modules won't be signed")
		return false
	}
	if isFile(kp.Cert) {
		s.Runner.Remove(kp.Cert)
	}
	s.Rep.Say("Certificate or key are missing, generating them using update-secureboot-policy...")
	s.Runner.Run(ctx, run.Cmd{Path: tool, Args: []string{"--new-key"}, Env: []string{"SHIM_NOTRIGGER=y"},
		Stdout: io.Discard, Stderr: io.Discard})
	s.Runner.Run(ctx, run.Cmd{Path: tool, Args: []string{"--enroll-key"}, Stdout: s.Rep.Stdout(), Stderr: s.Rep.Stderr()})
	return true
}

// keyFacts are what the distribution's default key is found from: the
// system root, the environment of scope sc and, when building, kernel
// t's configured key and source dir.
func (s *Session) keyFacts(sc *conf.Scope, t *kernel.Target) distro.KeyFacts {
	f := distro.KeyFacts{Root: s.SysRoot, Getenv: func(name string) string { return s.Loader.Getenv(sc, name) }}
	if t != nil && t.Config != nil {
		f.ConfigKey, f.SourceDir = t.Config.SigKey(), t.SourceDir
	}
	return f
}

func executableFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// GenerateMOK makes the signing key and certificate if they are missing
// (§3.13), natively: no openssl needed.
func (s *Session) GenerateMOK(ctx context.Context, req Request) error {
	k, arch := s.first(req)
	sc := &conf.Scope{}
	kp, ok := s.signingKeys(ctx, s.frameworkFor(ctx, sc, k, arch), s.keyFacts(sc, nil))
	if !ok {
		return Status(1)
	}
	keyPath, certPath := kp.Key, kp.Cert
	s.Rep.Say("Signing key: %s", keyPath)
	s.Rep.Say("Public certificate (MOK): %s", certPath)
	if isFile(keyPath) && isFile(certPath) {
		return nil
	}
	if !s.generateMOK(keyPath, certPath, false) {
		return Status(1)
	}
	return nil
}

// generateMOK creates a missing key pair and says so. It never overwrites
// an existing key. When building (replaceOrphanCert) a certificate whose
// key is gone is replaced, as the reference replaces it; generate_mok
// leaves it for the user to decide. It reports whether both now exist.
func (s *Session) generateMOK(keyPath, certPath string, replaceOrphanCert bool) bool {
	s.Rep.Say("Certificate or key are missing, generating self signed certificate for MOK...")
	if replaceOrphanCert && !isFile(keyPath) && isFile(certPath) && fileutil.IsDir(filepath.Dir(keyPath)) {
		// A certificate whose key is gone signs nothing: it is replaced,
		// as the reference replaces it, when a new key can be written at
		// all. A key is never replaced.
		s.Runner.Remove(certPath)
	}
	s.Runner.Step("generate_mok " + keyPath)
	if err := sign.GenerateMOK(keyPath, certPath, s.now()); err != nil {
		// The reference's openssl writes the key, then the certificate,
		// and its message names the first file that is missing after that.
		// Nothing we could not write in full is left, but the message names
		// the same file.
		if isFile(keyPath) || (fileutil.IsDir(filepath.Dir(keyPath)) && !fileutil.IsDir(filepath.Dir(certPath))) {
			s.Rep.Say("Certificate file %s not found and can't be generated, modules won't be signed", certPath)
		} else {
			s.Rep.Say("Key file %s not found and can't be generated, modules won't be signed", keyPath)
		}
		s.mokFailed(keyPath, certPath, err)
		return false
	}
	return true
}

// mokFailed explains why no key pair was generated. Half a pair is the
// case to spell out: unlike the reference, which regenerates both files,
// we never overwrite a key (modules already signed with it and a MOK
// already enrolled would stop matching), so the user has to choose.
func (s *Session) mokFailed(keyPath, certPath string, err error) {
	// Only when the missing file could have been written is the refusal
	// ours to explain; otherwise the reference's line above says it all.
	canWrite := fileutil.IsDir(filepath.Dir(keyPath)) && fileutil.IsDir(filepath.Dir(certPath))
	switch {
	case errors.Is(err, sign.ErrMOKExists) && !canWrite:
	case errors.Is(err, sign.ErrMOKExists) && isFile(keyPath):
		s.Rep.Warn("The signing key "+keyPath+" exists but its certificate "+certPath+" is missing.",
			"dkms never overwrites a signing key: restore the certificate, or move the key away to generate a new pair.")
	case errors.Is(err, sign.ErrMOKExists):
		s.Rep.Warn("The certificate "+certPath+" exists but its signing key "+keyPath+" is missing.",
			"dkms never overwrites a certificate: restore the key, or move the certificate away to generate a new pair.")
	default:
		if s.Flags.Verbose { // the reference's output has no such line
			s.Rep.Warn("Generating the signing key failed: " + err.Error())
		}
	}
}

// secureBootHint tells the user, once per action, when Secure Boot is on
// and the certificate modules are signed with is neither enrolled nor
// pending enrollment: such modules would be refused with "Key was
// rejected by service". It prints the command that enrolls it.
func (a *action) secureBootHint(certPath string) {
	if a.hinted {
		return
	}
	a.hinted = true
	efivars := a.sysPath("/sys/firmware/efi/efivars")
	on, err := sign.SecureBootState(efivars)
	if err != nil || !on {
		return
	}
	der, err := os.ReadFile(certPath)
	if err != nil {
		return
	}
	enrolled, pending, err := sign.CertEnrolled(efivars, der)
	if err != nil || enrolled || pending {
		return
	}
	a.Rep.Warn("Secure Boot is enabled and the module signing certificate "+certPath,
		"is not enrolled: the kernel will refuse modules signed with it.",
		"Enroll it with: mokutil --import "+certPath,
		"then reboot and confirm the enrollment in the MOK manager.")
}
