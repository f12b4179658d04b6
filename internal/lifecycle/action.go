package lifecycle

import (
	"context"
	"fmt"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/kernel"
)

// action is what one action accumulates while it runs: the kernels it
// resolved (each once, as the reference prepares each kernel once) and
// when depmod runs. Each exported entry point makes its own; a background
// build gets one of its own too, so goroutines share nothing mutable.
type action struct {
	*Session
	kernels map[string]*resolved // by "K/A"
	hinted  bool                 // the Secure Boot hint was shown
	depmod  *depmods             // nil: depmod right after each change
}

func (s *Session) newAction() *action {
	return &action{Session: s, kernels: map[string]*resolved{}}
}

// resolved is a kernel prepared for building: its facts (kernel.Target)
// and how modules are signed for it.
type resolved struct {
	*kernel.Target
	// signing holds the signing facts; nil when modules are not signed.
	signing *signPlan
}

// prepare resolves k/arch for building, once per action: it checks the
// headers and prepares signing, printing the signing prologue and the
// empty line that ends it.
func (a *action) prepare(ctx context.Context, sc *conf.Scope, k, arch string) (*resolved, error) {
	key := k + "/" + arch
	if r, ok := a.kernels[key]; ok {
		return r, nil
	}
	t, err := a.kernel(k, arch).Resolve(a.has)
	if err != nil {
		return nil, &Error{Kind: NoHeaders, Target: Target{Kernel: k, Arch: arch}, Path: a.Layout.KernelDir(k)}
	}
	r := &resolved{Target: t}
	a.prepareSigning(ctx, sc, r)
	a.Rep.Say("")
	a.kernels[key] = r
	return r, nil
}

// background returns the action a background build on r's kernel runs
// in: reporting to rep, giving make -j<jobs>, with the kernel already
// resolved and nothing else shared with a.
func (a *action) background(rep Reporter, r *resolved, jobs int) *action {
	s := *a.Session
	s.Rep, s.Jobs = rep, jobs
	b := &action{Session: &s, kernels: map[string]*resolved{}, hinted: true}
	b.kernels[r.Release+"/"+r.Arch] = r
	return b
}

// depmods defers depmod to once per kernel at the end of a batch
// (autoinstall, the kernel hooks). With announce, each module's change
// still prints the reference's "Running depmod... done." line.
type depmods struct {
	announce bool
	pending  map[string]bool
	// installs are the batch's installs, finished or taken back once
	// their kernel's depmod has run.
	installs []install.Request
}

// runDepmod prints "Running depmod..." and runs depmod for k, or, in a
// batch, notes k for the batch's end.
func (a *action) runDepmod(ctx context.Context, k string) error {
	if a.depmod != nil {
		a.depmod.pending[k] = true
		if a.depmod.announce {
			a.Rep.Say("Running depmod... done.")
		}
		return nil
	}
	out := a.Rep.Stdout()
	if a.Flags.Verbose {
		a.Rep.Say("depmod %s", k)
	} else {
		fmt.Fprint(out, "Running depmod...")
	}
	if err := a.installer().Depmod(ctx, k); err != nil {
		fmt.Fprintln(out, "(bad exit status: 1)")
		return err
	}
	fmt.Fprintln(out, " done.")
	return nil
}
