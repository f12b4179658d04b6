package conf

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// OurFrameworkVariables are the framework.conf settings this program adds
// to the reference's: lock_timeout (seconds to wait for the tree lock),
// initramfs (=no: never regenerate initramfs images),
// strict_kernel_hooks (=yes: a failed module fails the kernel hook) and
// modules_conf_dir (a directory, e.g. /etc/modprobe.d: install writes the
// MODULES_CONF lines to <dir>/dkms-<module>.conf, uninstall deletes it).
var OurFrameworkVariables = []string{"lock_timeout", "initramfs", "strict_kernel_hooks", "modules_conf_dir"}

// ReadFramework reads dir/framework.conf and then dir/framework.conf.d/*.conf
// (in byte order; upstream's glob sorts by locale) the way upstream's
// read_framework_conf does: each file through the same two-pass safe
// source, importing only FrameworkVariables. Missing files are skipped.
//
// The result holds every framework variable that is set afterwards,
// including values that came from c (c.DkmsTree, c.Vars, ...) or from the
// environment, re-expanded once per file as upstream does. $i names the
// file being read. Functions a file defines have no effect.
func ReadFramework(ctx context.Context, dir string, c Context) (map[string]string, error) {
	files := []string{filepath.Join(dir, frameworkFile)}
	dropIns, err := filepath.Glob(filepath.Join(dir, frameworkDropInDir, frameworkDropInPattern))
	if err != nil {
		return nil, fmt.Errorf("reading framework: %w", err)
	}
	files = append(files, dropIns...)
	names := append(append([]string(nil), FrameworkVariables...), OurFrameworkVariables...)
	v, _, err := evalNames(ctx, files, c, names, modeFramework)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for name := range v {
		out[name] = v.Str(name)
	}
	return out, nil
}

// envFrameworkVariables are the framework variables the reference lets
// the environment set, because it never initialises them itself.
var envFrameworkVariables = []string{"parallel_jobs", "modprobe_on_install", "build_environment", "post_transaction", "sign_file", "mok_signing_key", "mok_certificate", "try_sign_modules", "autoinstall_all_kernels"}

// EnvFramework returns the framework variables set in env that the
// reference takes from the environment (envFrameworkVariables); values
// from framework.conf win over them. The first assignment of a name in
// env counts, as getenv reads it.
func EnvFramework(env []string) map[string]string {
	fw := map[string]string{}
	for _, name := range envFrameworkVariables {
		for _, kv := range env {
			if k, v, ok := strings.Cut(kv, "="); ok && k == name {
				if v != "" {
					fw[k] = v
				}
				break
			}
		}
	}
	return fw
}
