package main

import (
	"fmt"

	"github.com/dkms-go/dkms/internal/status"
)

// cmdStatus prints the state of every module/version, filtered by -m, -v,
// -k and -a, exactly as the reference formats it; --json gives the same
// entries as one JSON document (docs/status.schema.json).
func (a *app) cmdStatus() error {
	arch := ""
	if len(a.o.arches) > 0 {
		arch = a.o.arches[0]
	}
	entries := a.s.Status(a.ctx, a.o.module, a.o.version, a.o.kernels, arch, a.o.json)
	if a.o.json {
		b, err := status.Document(entries)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.rep.out, "%s\n", b)
		return nil
	}
	for _, e := range entries {
		a.printStatusLine(e)
	}
	return nil
}

func (a *app) printStatusLine(e status.Entry) {
	a.rep.err.Write(e.Stderr)
	switch e.State {
	case status.Broken:
		a.rep.say("%s/%s: broken", e.Module, e.Version)
		a.rep.errorBlock(e.Module+"/"+e.Version+": Missing the module source directory or the symbolic link pointing to it.",
			"Manual intervention is required!")
	case status.Added:
		a.rep.say("%s/%s: added", e.Module, e.Version)
	case status.InstalledWeak:
		a.rep.say("%s/%s, %s, %s: installed-weak from %s", e.Module, e.Version, e.Kernel, e.Arch, e.From)
	default:
		line := fmt.Sprintf("%s/%s, %s, %s: %s", e.Module, e.Version, e.Kernel, e.Arch, e.State)
		if e.Original {
			line += " (Original modules exist)"
		}
		if e.Missing {
			line += " (Built modules are missing in the kernel modules folder)"
		} else if e.Differs {
			line += " (Differences between built and installed modules)"
		}
		a.rep.say("%s", line)
	}
}
