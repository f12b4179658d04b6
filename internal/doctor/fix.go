package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/tree"
)

// Result is what Fix did about one finding: Fixed, or Err saying why the
// repair failed. Findings that need a person are returned untouched.
type Result struct {
	Finding
	Fixed bool
	Err   error
}

// fixPhases orders the repairs so that each sees the tree the earlier
// ones left: temporaries and source links first; then kernel links, whose
// removal turns the manifest of a broken install into an interrupted one;
// then the rollback of interrupted runs; then the install tree; depmod
// last, once per kernel whose modules changed.
var fixPhases = [][]Kind{
	{TempLeftover, SourceDangling, SourceNotLink, NoSource, InterruptedBuild, StaleLock},
	{KernelLinkDangling, KernelLinkUnbuilt},
	{InterruptedInstall},
	{InstalledMissing, UnmanagedModule},
	{DepmodPending},
}

// Fix repairs every finding that does not need a person, through env's
// Runner, and returns one Result per finding in the order given. Callers
// hold the tree lock.
func Fix(ctx context.Context, env *install.Env, findings []Finding) []Result {
	res := make([]Result, len(findings))
	for i, f := range findings {
		res[i].Finding = f
	}
	fx := &fixer{env: env, depmods: map[string]error{}, adopted: map[*tree.Manifest]error{}}
	for _, phase := range fixPhases {
		for i := range res {
			if res[i].NeedsPerson || !hasKind(phase, res[i].Kind) {
				continue
			}
			res[i].Err = fx.fix(ctx, res[i].Finding)
			res[i].Fixed = res[i].Err == nil
		}
	}
	return res
}

func hasKind(kinds []Kind, k Kind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// fixer holds what several repairs share: depmod runs once per kernel,
// RollBack once per Fix, an adoption manifest is written once.
type fixer struct {
	env       *install.Env
	depmods   map[string]error
	recovered bool
	adopted   map[*tree.Manifest]error
}

// fix repairs one finding (a flat switch over the kinds).
func (fx *fixer) fix(ctx context.Context, f Finding) error {
	r := fx.env.Runner
	switch f.Kind {
	case TempLeftover:
		return r.RemoveAll(f.Path)
	case SourceDangling, SourceNotLink:
		return r.Symlink(f.target, f.Path)
	case NoSource:
		if err := r.RemoveAll(f.Path); err != nil {
			return err
		}
		return removeIfEmpty(fx.env, filepath.Dir(f.Path))
	case InterruptedBuild:
		return r.RemoveTree(f.Path)
	case StaleLock:
		r.Step("truncate " + f.Path)
		return os.Truncate(f.Path, 0)
	case KernelLinkDangling, KernelLinkUnbuilt:
		return r.Remove(f.Path)
	case InterruptedInstall:
		return fx.rollBack(ctx, f)
	case InstalledMissing:
		if err := r.MkdirAll(filepath.Dir(f.Path)); err != nil {
			return err
		}
		if err := r.CopyFile(f.target, f.Path, 0o644); err != nil {
			return fmt.Errorf("copying %s back: %w", f.target, err)
		}
		return fx.depmod(ctx, f.kernel)
	case UnmanagedModule:
		return fx.adopt(f.adopt)
	case DepmodPending:
		if err := fx.depmod(ctx, f.kernel); err != nil {
			return err
		}
		return r.Remove(f.Path)
	}
	return fmt.Errorf("no repair for %s", f.Kind)
}

// rollBack finishes interrupted runs with the install package's RollBack,
// the same code every mutating action runs first, and checks that the
// manifest of f is settled afterwards.
func (fx *fixer) rollBack(ctx context.Context, f Finding) error {
	if !fx.recovered {
		fx.recovered = true
		fx.env.RollBack(ctx)
	}
	if interrupted(fx.env.Layout, f.Path) {
		return errors.New("the rollback did not settle the manifest")
	}
	return fx.depmod(ctx, f.kernel)
}

// interrupted reports whether the manifest at path still lacks its link.
func interrupted(l tree.Layout, path string) bool {
	for _, man := range l.Manifests() {
		if l.Manifest(man.Module, man.Kernel, man.Arch) == path {
			return l.InstalledVersion(man.Module, man.Kernel, man.Arch) != man.Version
		}
	}
	return false
}

// adopt writes an adoption manifest once, however many findings share it,
// and never over a manifest that appeared meanwhile.
func (fx *fixer) adopt(man *tree.Manifest) error {
	if err, done := fx.adopted[man]; done {
		return err
	}
	path := fx.env.Layout.Manifest(man.Module, man.Kernel, man.Arch)
	var err error
	if _, serr := os.Lstat(path); serr == nil {
		err = fmt.Errorf("%s appeared meanwhile", path)
	} else {
		err = fx.env.Runner.WriteFile(path, man.Encode(), 0o644)
	}
	fx.adopted[man] = err
	return err
}

// depmod runs depmod for kernel k once per Fix.
func (fx *fixer) depmod(ctx context.Context, k string) error {
	if err, done := fx.depmods[k]; done {
		return err
	}
	err := fx.env.Depmod(ctx, k)
	fx.depmods[k] = err
	return err
}

// removeIfEmpty removes dir when nothing is left in it.
func removeIfEmpty(env *install.Env, dir string) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) == 0 {
		return env.Runner.Remove(dir)
	}
	return nil
}
