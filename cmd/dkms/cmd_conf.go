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
	r := confRequest{kernel: a.firstKernel(), arch: a.firstArch(), path: o.confFile}
	if r.path == "" {
		if o.module == "" || o.version == "" {
			return missingModuleVersion("conf")
		}
		r.module, r.version = o.module, o.version
	}
	main, files := a.confFiles(r)
	if !isFile(main) {
		return errf(exitConfMissing, "Could not locate dkms.conf file.", "File: "+main+" does not exist.")
	}
	var report conf.Report
	vals, err := conf.Eval(a.ctx, files, a.confContext(r, &report))
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
