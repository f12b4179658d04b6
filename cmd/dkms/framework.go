package main

import (
	"strings"

	"github.com/dkms-go/dkms/internal/conf"
)

// readFramework reads framework.conf and framework.conf.d/*.conf from the
// configuration directory (/etc/dkms, or DKMS_CONFDIR) by the same two-pass
// evaluation as dkms.conf (§5). Variables the reference lets the
// environment set are taken from there first.
func (a *app) readFramework() (map[string]string, error) {
	fw := envFramework(a.env)
	vals, err := conf.ReadFramework(a.ctx, a.confDir, conf.Context{Environ: a.env, Stderr: a.rep.err})
	if err != nil {
		return nil, err
	}
	for k, v := range vals {
		fw[k] = strings.TrimSpace(v)
	}
	return fw, nil
}

// envFramework returns the framework variables the reference lets the
// environment set, because it never initialises them itself.
func envFramework(env []string) map[string]string {
	fw := map[string]string{}
	for _, k := range []string{"parallel_jobs", "modprobe_on_install", "post_transaction", "sign_file", "mok_signing_key", "mok_certificate", "autoinstall_all_kernels"} {
		if v := envValue(env, k); v != "" {
			fw[k] = v
		}
	}
	return fw
}

// frameworkFor re-reads framework.conf in the context of kernel k/arch,
// as the reference does for the values it reads late: the signing
// settings at signing preparation and post_transaction right before it
// runs, so that $kernelver in them is the kernel being processed.
func (a *app) frameworkFor(k, arch string) map[string]string {
	c := conf.Context{Kernel: k, Arch: arch, DkmsTree: a.layout.DKMS, SourceTree: a.layout.Source,
		InstallTree: a.layout.Install, Environ: a.loader.Environ(a.scope), Stderr: a.rep.err}
	fw, err := conf.ReadFramework(a.ctx, a.confDir, c)
	if err != nil {
		return a.fw
	}
	for k, v := range envFramework(c.Environ) {
		if fw[k] == "" {
			fw[k] = v
		}
	}
	return fw
}
