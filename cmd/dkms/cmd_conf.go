package main

import (
	"fmt"

	"github.com/dkms-go/dkms/internal/conf"
)

// cmdConf is our inspector: it evaluates a dkms.conf the way build would
// (same shell variables, override files and two passes) and prints the
// accepted variables, as NAME[i]="value" lines or, with --json, in the
// format of the reference evaluator (shared/tools/README.md).
func (a *app) cmdConf() error {
	o := a.o
	k, arch := a.host.Release, a.host.Machine
	if len(o.kernels) > 0 {
		k = o.kernels[0]
	}
	if len(o.arches) > 0 {
		arch = o.arches[0]
	}
	r := a.s.ConfRequest(k, arch)
	r.Path = o.confFile
	if r.Path == "" {
		if o.module == "" || o.version == "" {
			return missingModuleVersion("conf")
		}
		r.Module, r.Version = o.module, o.version
	}
	vals, report, _, err := a.s.Loader.Evaluate(a.ctx, &conf.Scope{}, r, a.rep.err)
	if err != nil {
		return err
	}
	if o.verbose {
		a.rep.say("# evaluated by %s %s", report.Engine, report.Reason)
	}
	for _, d := range report.Deprecated {
		fmt.Fprintln(a.rep.err, d) // the text has its "Deprecated feature: "
	}
	if o.json {
		a.rep.out.Write(vals.JSON())
		return nil
	}
	a.rep.out.Write(vals.Text())
	return nil
}
