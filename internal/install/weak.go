package install

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/tree"
)

// weakModules tells the distribution's weak-modules tool (RHEL's
// weak-modules, SUSE's weak-modules2; §7.6) about the module files of an
// install, once the kernel link is made (add), or of an uninstall, before
// any file goes, with the reference's "Adding/Removing linked weak
// modules..." line. The paths go on its stdin, one a line. A module whose
// dkms.conf sets NO_WEAK_MODULES is left out. The reference ignores what
// the tool does; we warn when it fails, and go on as it does.
func (e *Env) weakModules(ctx context.Context, req Request, files []tree.File, add bool) {
	if e.Weak == nil || req.NoWeakModules {
		return
	}
	argv := e.Weak.Remove(req.Kernel)
	what := "Removing"
	if add {
		argv, what = e.Weak.Add(req.Kernel), "Adding"
	}
	fmt.Fprintf(e.Out, "%s linked weak modules...\n", what)
	var list strings.Builder
	for _, f := range files {
		list.WriteString(f.Path + "\n")
	}
	err := e.Runner.Run(ctx, run.Cmd{Path: argv[0], Args: argv[1:], Stdin: strings.NewReader(list.String()), Stdout: e.Out, Stderr: e.Err})
	var pe *fs.PathError
	if errors.As(err, &pe) { // it could not start: say why, without exec's wording
		err = fmt.Errorf("%s: %w", run.Quote(argv), pe.Err)
	}
	if err != nil && e.Warn != nil {
		e.Warn(err.Error())
	}
}
