package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/kernel"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/sign"
)

// kernelPrep is what building for one kernel/arch needs to know, worked
// out once per kernel/arch per run as the reference does.
type kernelPrep struct {
	*kernel.Target
	sign func(ctx context.Context, path string) error
}

// prepareKernel checks the headers and prepares signing for k/arch; it
// prints the signing prologue and the empty line that ends it.
func (a *app) prepareKernel(k, arch string) (*kernelPrep, error) {
	key := k + "/" + arch
	if p, ok := a.prepared[key]; ok {
		return p, nil
	}
	t, err := a.kernel(k, arch).Resolve(lookPath)
	if err != nil {
		return nil, errf(exitNoHeaders, "Your kernel headers for kernel "+k+" cannot be found at "+
			filepath.Join(a.layout.KernelDir(k), "build")+" or "+filepath.Join(a.layout.KernelDir(k), "source")+".",
			"Please install the linux-headers-"+k+" package or use the --kernelsourcedir option to tell DKMS where it's located.")
	}
	p := &kernelPrep{Target: t}
	a.prepareSigning(p)
	a.rep.say("")
	if a.prepared == nil {
		a.prepared = map[string]*kernelPrep{}
	}
	a.prepared[key] = p
	return p, nil
}

// kernel locates k/arch's headers and configuration.
func (a *app) kernel(k, arch string) *kernel.Kernel {
	return kernel.New(k, arch, kernel.Options{InstallTree: a.layout.Install, SourceDir: a.o.kernelSourceDir, ConfigPath: a.o.kernelConfig})
}

// prepareSigning decides whether and how modules are signed (§7.2) and
// prints the reference's prologue. Signing is native: the key and
// certificate are read here and each module is signed in-process, with
// output byte-identical to the kernel's sign-file. A sign_file set in
// framework.conf is run instead, as the reference runs it.
func (a *app) prepareSigning(p *kernelPrep) {
	if p.Config == nil {
		a.rep.say("Kernel config %s not found, modules won't be signed", p.ConfigPath)
		return
	}
	hash, ok := p.Config.Value("CONFIG_MODULE_SIG_HASH")
	if !ok {
		a.rep.say("The kernel is built without module signing facility, modules won't be signed")
		return
	}
	fw := a.frameworkFor(p.Release, p.Arch) // signing settings are read late, per kernel
	tool := fw["sign_file"]
	a.rep.say("Sign command: %s", a.pick(tool, a.referenceSignFile(p.Release)))
	if tool != "" && !executableFile(tool) {
		a.rep.say("Binary %s not found, modules won't be signed", tool)
		return
	}
	keyPath, certPath := mokPaths(fw, a.layout.DKMS)
	if tool == "" && strings.HasPrefix(keyPath, "pkcs11:") {
		// A key held by a token cannot be read here: let the kernel's
		// sign-file talk to it, as the reference does.
		tool = a.referenceSignFile(p.Release)
	}
	a.rep.say("Signing key: %s", keyPath)
	a.rep.say("Public certificate (MOK): %s", certPath)
	if !strings.HasPrefix(keyPath, "pkcs11:") && (!isFile(keyPath) || !isFile(certPath)) {
		if !a.generateMOK(keyPath, certPath, true) {
			return
		}
	}
	if tool != "" {
		p.sign = func(ctx context.Context, path string) error {
			return a.runner.Run(ctx, run.Cmd{Path: tool, Args: []string{hash, keyPath, certPath, path}})
		}
		return
	}
	p.sign = a.nativeSigner(hash, keyPath, certPath)
	a.secureBootHint(certPath)
}

// nativeSigner signs with the sign package; keys are loaded on first use.
func (a *app) nativeSigner(hash, keyPath, certPath string) func(context.Context, string) error {
	return func(_ context.Context, path string) error {
		key, cert, err := sign.LoadKeyPair(keyPath, certPath)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		a.runner.Step("sign " + path)
		out, err := sign.Sign(b, key, cert, hash)
		if err != nil {
			return err
		}
		return a.runner.WriteFile(path, out, 0o644)
	}
}

// referenceSignFile is the sign-file the reference would use for k; we
// name it in the prologue because our signatures are byte-identical to it.
func (a *app) referenceSignFile(k string) string {
	var p string
	switch {
	case strings.HasPrefix(a.distro, "debian"):
		if i := strings.LastIndex(k, "."); i >= 0 {
			p = "/usr/lib/linux-kbuild-" + k[:i] + "/scripts/sign-file"
		}
	case strings.HasPrefix(a.distro, "ubuntu"):
		p = "/usr/src/linux-headers-" + k + "/scripts/sign-file"
	case strings.HasPrefix(a.distro, "gentoo"):
		p = "/usr/src/linux-" + k + "/scripts/sign-file"
	}
	if p == "" || !isFile(p) {
		p = filepath.Join(a.layout.KernelDir(k), "build", "scripts", "sign-file")
	}
	return p
}

// mokPaths are the signing key and certificate: framework.conf's, else
// mok.key and mok.pub in the dkms tree (/var/lib/dkms by default, as the
// reference hardcodes).
func mokPaths(fw map[string]string, dkmsTree string) (string, string) {
	key, cert := fw["mok_signing_key"], fw["mok_certificate"]
	if key == "" {
		key = filepath.Join(dkmsTree, "mok.key")
	}
	if cert == "" {
		cert = filepath.Join(dkmsTree, "mok.pub")
	}
	return key, cert
}

func lookPath(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

func executableFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}
