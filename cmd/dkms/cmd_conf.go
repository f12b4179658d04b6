package main

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
	vals, report, _, err := a.loader.Evaluate(a.ctx, a.scope, a.request(r), a.rep.err)
	if err != nil {
		return err
	}
	if o.verbose {
		a.rep.say("# evaluated by %s %s", report.Engine, report.Reason)
	}
	for _, d := range report.Deprecated {
		a.rep.deprecated(d.String())
	}
	if o.json {
		a.rep.out.Write(vals.JSON())
		return nil
	}
	a.rep.out.Write(vals.Text())
	return nil
}
