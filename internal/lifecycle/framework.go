package lifecycle

import (
	"context"

	"github.com/dkms-go/dkms/internal/conf"
)

// frameworkFor re-reads framework.conf in the context of kernel k/arch,
// as the reference does for the values it reads late: the signing
// settings at signing preparation and post_transaction right before it
// runs, so that $kernelver in them is the kernel being processed. The
// environment is scope sc's. When it cannot be read, the values read at
// start-up are used.
func (s *Session) frameworkFor(ctx context.Context, sc *conf.Scope, k, arch string) map[string]string {
	env := s.Loader.Environ(sc)
	c := conf.Context{Kernel: k, Arch: arch, DkmsTree: s.Layout.DKMS, SourceTree: s.Layout.Source,
		InstallTree: s.Layout.Install, Environ: env, Stderr: s.Rep.Stderr()}
	fw, err := conf.ReadFramework(ctx, s.ConfDir, c)
	if err != nil {
		return s.Framework
	}
	for k, v := range conf.EnvFramework(env) {
		if fw[k] == "" {
			fw[k] = v
		}
	}
	return fw
}

// extraLocations are the install locations to search beyond
// tree.ModuleLocations: ADDON_MODULES_DIR, when set.
func (s *Session) extraLocations() []string {
	if d := trimSlashes(s.AddonModulesDir); d != "" {
		return []string{d}
	}
	return nil
}

func trimSlashes(p string) string {
	for len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}
