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
	fw := map[string]string{}
	for _, k := range []string{"parallel_jobs", "modprobe_on_install", "post_transaction", "sign_file", "mok_signing_key", "mok_certificate", "autoinstall_all_kernels"} {
		if v := envValue(a.env, k); v != "" {
			fw[k] = v
		}
	}
	vals, err := conf.ReadFramework(a.ctx, a.confDir, conf.Context{Environ: a.env, Stderr: a.rep.err})
	if err != nil {
		return nil, err
	}
	for k, v := range vals {
		fw[k] = strings.TrimSpace(v)
	}
	return fw, nil
}
