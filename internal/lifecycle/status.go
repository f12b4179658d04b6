package lifecycle

import (
	"context"
	"io"
	"runtime"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/status"
)

// Status lists the entries `dkms status` shows for module m, version v,
// each of kernels (none: all) and arch ("" for all), with their flags
// and, with failures, their recorded failures; after each kernel's
// entries, on distributions with a weak-modules tool, its installed-weak
// ones, as the reference's show_status orders them. Status never fails: an
// entry it cannot read is shown as far as it can be.
func (s *Session) Status(ctx context.Context, m, v string, kernels []string, arch string, failures bool) []status.Entry {
	if len(kernels) == 0 {
		kernels = []string{""}
	}
	cache := conf.ReadCache(s.Layout.ConfCache())
	c := s.checker(ctx, cache)
	var all []status.Entry
	for _, k := range kernels {
		entries := status.Entries(s.Layout, m, v, k, arch)
		c.Flag(entries)
		if failures {
			status.AddFailures(s.Layout, entries)
		}
		all = append(all, entries...)
		if s.Weak != nil {
			all = append(all, status.Weak(s.Layout, m, v, k, arch)...)
		}
	}
	cache.Save(s.Runner, s.Layout.ConfCache(), func(m, v string) bool { return fileutil.IsDir(s.Layout.Version(m, v)) })
	return all
}

// checker is the status flag checker of the session: each entry's conf
// is read in a scope of its own, through cache, its messages kept with
// the entry.
func (s *Session) checker(ctx context.Context, cache *conf.Cache) *status.Checker {
	loader := *s.Loader
	loader.Cache = cache
	return &status.Checker{
		Layout:  s.Layout,
		Install: s.installer(),
		Files: func(e *status.Entry) []string {
			_, files := loader.Files(s.confRequest(entryTarget(e), false))
			return files
		},
		Modules: func(e *status.Entry, stderr io.Writer) ([]install.Module, bool) {
			t := entryTarget(e)
			cfg, err := loader.Read(ctx, nil, s.confRequest(t, false), s.Rep.Stdout(), stderr)
			if err != nil {
				return nil, false
			}
			return s.installRequest(cfg.Config, t).Modules, true
		},
		Workers: runtime.NumCPU(),
	}
}

func entryTarget(e *status.Entry) Target {
	return Target{Module: e.Module, Version: e.Version, Kernel: e.Kernel, Arch: e.Arch}
}
