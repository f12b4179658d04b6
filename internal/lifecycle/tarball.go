package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/dkms-go/dkms/internal/archive"
	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/fileutil"
)

// Mktarball archives a module's builds and its source (or only its
// dkms.conf, with --binaries-only) as the reference's mktarball does,
// printing the same lines. The archive is written in pure Go, compressed
// as its name says, under a temporary name and renamed into place.
func (s *Session) Mktarball(ctx context.Context, req Request) error {
	m, v := req.Module, req.Version
	k, arch := s.first(req)
	if _, err := s.readConf(ctx, &conf.Scope{}, Target{Module: m, Version: v, Kernel: k, Arch: arch}, false); err != nil {
		return err
	}
	staging, cleanup, err := s.stagingDir()
	if err != nil {
		return err
	}
	defer cleanup()
	tags, err := s.stageBuilds(staging, req)
	if err != nil {
		return err
	}
	if err := s.stageSource(staging, m, v); err != nil {
		return err
	}
	dir, name := archive.Location(filepath.Join(s.Layout.Version(m, v), "tarball")+"/", archive.Name(m, v, tags), req.Archive)
	s.Rep.Say("")
	s.Rep.Say("Tarball location: %s/%s", dir, name)
	return s.writeTarball(staging, dir, name)
}

// stagingDir makes the reference's <tmp_location>/dkms.XXXXXX work
// directory; cleanup removes it.
func (s *Session) stagingDir() (string, func(), error) {
	s.Runner.Step("mkdtemp " + filepath.Join(s.Tmp, "dkms.XXXXXX"))
	dir, err := os.MkdirTemp(s.Tmp, "dkms.")
	if err != nil {
		return "", nil, &Error{Kind: NoTempDir, Err: err}
	}
	return dir, func() { s.Runner.RemoveAll(dir) }, nil
}

// stageBuilds copies DT/m/v/K/A of every requested kernel into
// dkms_main_tree and returns the name tags they make ("kernelK-A" each,
// or "source-only").
func (s *Session) stageBuilds(staging string, req Request) ([]string, error) {
	main := filepath.Join(staging, archive.MainTree)
	if err := s.Runner.MkdirAll(main); err != nil {
		return nil, err
	}
	if s.Flags.SourceOnly {
		return []string{"source-only"}, nil
	}
	var tags []string
	for i, k := range req.Kernels {
		t := Target{Module: req.Module, Version: req.Version, Kernel: k, Arch: req.Arches[i]}
		built := s.Layout.Built(t.Module, t.Version, k, t.Arch)
		if !fileutil.IsDir(built) {
			return nil, &Error{Kind: NotBuiltFor, Target: t, Detail: "mktarball"}
		}
		s.Rep.Say("Marking modules for %s (%s) for archiving...", k, t.Arch)
		tags = append(tags, "kernel"+k+"-"+t.Arch)
		if err := s.Runner.CopyTree(built, filepath.Join(main, k, t.Arch)); err != nil {
			return nil, fmt.Errorf("copying %s: %w", built, err)
		}
	}
	return tags, nil
}

// stageSource copies the module source into dkms_source_tree, or with
// --binaries-only writes dkms_binaries_only. As in the reference, a
// dkms.conf that cannot be copied there is silently left out.
func (s *Session) stageSource(staging, m, v string) error {
	src := s.Layout.SourceLink(m, v)
	s.Rep.Say("")
	if !s.Flags.BinariesOnly {
		s.Rep.Say("Marking %s for archiving...", src)
		real, err := filepath.EvalSymlinks(src)
		if err == nil {
			err = s.Runner.CopyTree(real, filepath.Join(staging, archive.SourceTree))
		}
		if err != nil {
			return fmt.Errorf("copying %s: %w", src, err)
		}
		return nil
	}
	s.Rep.Say("Creating tarball structure to specifically accommodate binaries.")
	dir := filepath.Join(staging, archive.BinariesOnly)
	if err := s.Runner.MkdirAll(dir); err != nil {
		return err
	}
	for name, val := range map[string]string{"PACKAGE_NAME": m, "PACKAGE_VERSION": v} {
		if err := s.Runner.WriteFile(filepath.Join(dir, name), []byte(val+"\n"), 0o644); err != nil {
			return err
		}
	}
	conf := s.Loader.ConfFile
	if conf == "" {
		conf = filepath.Join(src, "dkms.conf")
	}
	s.Runner.CopyFile(conf, filepath.Join(dir, "dkms.conf"), 0o644)
	return nil
}

// writeTarball archives the staging directory into dir/name, compressed as
// the name's extension says (.tar.gz, .tar.xz, .tar.zst, .tar).
func (s *Session) writeTarball(staging, dir, name string) error {
	mk := dir
	if mk == "" {
		mk = "/" // --archive /x.tar.gz
	}
	if err := s.Runner.MkdirAll(mk); err != nil || syscall.Access(mk, 2 /* W_OK */) != nil {
		return &Error{Kind: NotWritable, Path: dir}
	}
	method, err := archive.MethodFor(name)
	if err != nil {
		return &Error{Kind: TarballFailed, Detail: err.Error()}
	}
	var buf bytes.Buffer
	if err := archive.Write(&buf, staging, method); err != nil {
		return &Error{Kind: TarballFailed, Detail: err.Error()}
	}
	if err := s.Runner.WriteFile(filepath.Join(mk, name), buf.Bytes(), 0o644); err != nil {
		return &Error{Kind: TarballFailed, Detail: err.Error()}
	}
	return nil
}

// Ldtarball loads a tarball (dkms-behaviour §3.12 ldtarball): one made by
// mktarball (ours or the reference's), or any tarball holding a module
// source with a dkms.conf, which is then added as `add DIR` would.
//
// Deliberate differences from the reference: the archive is extracted
// safely (see package archive; a refused entry is ArchiveRefused); a
// binaries-only tarball leaves an ordinary added-and-built module and
// succeeds (see loadBinariesOnly; the reference exits 1 with a module
// status cannot see, §10.8); --force on an added module reloads it and
// succeeds instead of failing in the final add.
func (s *Session) Ldtarball(ctx context.Context, req Request) error {
	return s.newAction().ldtarball(ctx, &conf.Scope{}, req)
}

func (a *action) ldtarball(ctx context.Context, sc *conf.Scope, req Request) error {
	file := req.Archive
	if file == "" || !fileutil.Exists(file) {
		shown := file
		if shown == "" {
			shown = req.Arg
		}
		return &Error{Kind: ArchiveMissing, Path: shown}
	}
	if strings.HasSuffix(file, ".rpm") {
		// TODO(compat): the reference installs it with rpm -Uvh and autoinstalls.
		return &Error{Kind: RPMArchive, Path: file}
	}
	staging, cleanup, err := a.stagingDir()
	if err != nil {
		return err
	}
	defer cleanup()
	if err := a.extract(file, staging); err != nil {
		return err
	}
	if !fileutil.IsDir(filepath.Join(staging, archive.MainTree)) {
		return a.loadPlainSource(ctx, sc, req, staging)
	}
	return a.loadMadeTarball(ctx, sc, req, staging)
}

// extract unpacks file into the staging directory.
func (a *action) extract(file, staging string) error {
	a.Runner.Step("extract " + file + " " + staging)
	err := archive.ExtractFile(file, staging, archive.DefaultLimits)
	var ee *archive.EntryError
	switch {
	case errors.As(err, &ee):
		return &Error{Kind: ArchiveRefused, Path: file, Names: []string{ee.Entry, ee.Reason}}
	case err != nil:
		// Its file-system errors name paths inside staging.
		err = &fs.PathError{Op: "extracting " + file + " into", Path: staging, Err: err}
		return &Error{Kind: ArchiveMalformed, Detail: err.Error(), Err: err}
	}
	return nil
}

// loadPlainSource loads a tarball mktarball did not make: the directory
// of its first dkms.conf (archive.FindConf) is added as a source tree.
// With --force, a module that is already added just keeps its reloaded
// files.
func (a *action) loadPlainSource(ctx context.Context, sc *conf.Scope, req Request, staging string) error {
	found := archive.FindConf(staging)
	if found == "" {
		return &Error{Kind: ArchiveMalformed}
	}
	m, v, err := a.addSourceTree(ctx, sc, req, filepath.Dir(found))
	if err != nil {
		return err
	}
	if a.Flags.Force && a.Layout.IsAdded(m, v) {
		return nil
	}
	req.Module, req.Version = m, v
	_, err = a.add(ctx, sc, req)
	return err
}

// loadMadeTarball loads a tarball in mktarball's layout: its source (or
// binaries-only stub), then each build it carries, then the add that
// links it all. Builds are copied in only after the add succeeded, so a
// failure or a killed run never leaves builds of a module that is not
// added; the lines are printed in the reference's order all the same.
func (a *action) loadMadeTarball(ctx context.Context, sc *conf.Scope, req Request, staging string) error {
	loc, t, resumed, err := a.tarballConf(ctx, sc, req, staging)
	if err != nil {
		return err
	}
	if resumed {
		a = a.forced() // finishing a load a killed run began
	}
	a.Rep.Say("")
	a.Rep.Say("Loading tarball for %s", t.mv())
	if loc == archive.SourceTree {
		_, _, err = a.addSourceTree(ctx, sc, req, filepath.Join(staging, archive.SourceTree))
	} else {
		err = a.loadBinariesOnly(staging, t.Module, t.Version)
	}
	if err != nil {
		return err
	}
	plans := a.planLoads(staging, t)
	if err := a.dropSourceStub(t.Module, t.Version); err != nil {
		return err
	}
	// The marker lets a rerun after a kill between the add and the last
	// build finish the load instead of refusing an added module.
	marker := a.Layout.LoadMarker(t.Module, t.Version)
	if err := a.Runner.WriteFile(marker, nil, 0o644); err != nil {
		return err
	}
	// Added already: with --force, or a dangling source link the source
	// copy has just mended.
	if !a.Layout.IsAdded(t.Module, t.Version) {
		req.Module, req.Version = t.Module, t.Version
		if _, err := a.add(ctx, sc, req); err != nil {
			return err
		}
	}
	if err := a.loadBuilds(plans); err != nil {
		return err
	}
	return a.Runner.Remove(marker)
}

// forced returns the action with --force in effect.
func (a *action) forced() *action {
	s := *a.Session
	s.Flags.Force = true
	b := *a
	b.Session = &s
	return &b
}

// tarballConf reads the dkms.conf of the first of archive.ConfDirs that
// has one, and returns which one it used and the module version it
// names; resumed says a killed run's load of it is to be finished. An
// added module is refused without --force.
func (a *action) tarballConf(ctx context.Context, sc *conf.Scope, req Request, staging string) (string, Target, bool, error) {
	k, arch := a.first(req)
	for _, loc := range archive.ConfDirs {
		path := filepath.Join(staging, loc, "dkms.conf")
		if !isFile(path) {
			continue
		}
		cfg, err := a.readConfFile(ctx, sc, path, k, arch)
		if err != nil {
			return "", Target{}, false, err
		}
		m, v := cfg.PackageName, cfg.PackageVersion
		if m == "" || v == "" {
			fmt.Fprintln(a.Rep.Stderr())
			fmt.Fprintln(a.Rep.Stderr(), "Malformed dkms.conf, refusing to load.")
			continue
		}
		if err := checkNames(m, v); err != nil {
			return "", Target{}, false, err
		}
		t := Target{Module: m, Version: v}
		resumed := isFile(a.Layout.LoadMarker(m, v))
		if a.Layout.IsAdded(m, v) && !a.Flags.Force && !resumed {
			return "", t, false, &Error{Kind: TarballAdded, Target: t}
		}
		return loc, t, resumed, nil
	}
	return "", Target{}, false, &Error{Kind: TarballNoConf, Path: req.Archive}
}

// loadBinariesOnly gives a binaries-only tarball a source tree to be added
// from: ST/m-v holding only the tarball's dkms.conf (an existing ST/m-v
// is kept, as the reference keeps it).
//
// The reference instead makes DT/m/v/source a real directory holding the
// dkms.conf and skips the add, which leaves a module that status does not
// list and an exit status of 1 (§10.8). With the stub the module is an
// ordinary added one, built for the loaded kernels: status lists it,
// install installs the loaded binaries, the reference reads the tree the
// same way, and building it for another kernel fails cleanly ("does not
// appear to have module source", exit 8).
func (a *action) loadBinariesOnly(staging, m, v string) error {
	dst := a.Layout.SourceDir(m, v)
	if fileutil.IsDir(dst) {
		return nil
	}
	a.Rep.Say("Creating %s", dst)
	a.Rep.Say("Copying dkms.conf to %s ...", dst)
	stub := filepath.Join(staging, "binaries_source")
	if err := a.Runner.MkdirAll(stub); err != nil {
		return err
	}
	conf := filepath.Join(staging, archive.BinariesOnly, "dkms.conf")
	if err := a.Runner.CopyFile(conf, filepath.Join(stub, "dkms.conf"), 0o644); err != nil {
		return fmt.Errorf("copying %s: %w", conf, err)
	}
	return a.copySource(stub, dst)
}

// dropSourceStub removes the real DT/m/v/source directory a binaries-only
// load by the reference leaves (holding nothing but dkms.conf), so the add
// can put the source link in its place.
func (a *action) dropSourceStub(m, v string) error {
	src := a.Layout.SourceLink(m, v)
	fi, err := os.Lstat(src)
	if err != nil || !fi.IsDir() {
		return nil
	}
	if ents, _ := os.ReadDir(src); len(ents) != 1 || ents[0].Name() != "dkms.conf" {
		return nil // not the reference's stub: leave it, the add will say
	}
	return a.Runner.RemoveAll(src)
}

// load is one build to copy in: the tarball's dkms_main_tree/K/A and its
// place DT/m/v/K/A.
type load struct{ from, to string }

// planLoads prints, for each build of the tarball (archive.Plan), that
// it is loaded or why it is skipped, and returns the ones to load.
func (a *action) planLoads(staging string, t Target) []load {
	dest := func(k, arch string) string { return a.Layout.Built(t.Module, t.Version, k, arch) }
	var out []load
	for _, p := range archive.Plan(staging, dest, a.Flags.Force) {
		switch p.Skip {
		case archive.NotRelease:
			a.Rep.Warn(filepath.Join(archive.MainTree, p.Kernel, p.Arch) + " is not a kernel release. Skipping...")
		case archive.Exists:
			a.Rep.Warn(p.To + " already exists. Skipping...")
		default:
			a.Rep.Say("Loading %s...", p.To)
			out = append(out, load{p.From, p.To})
		}
	}
	return out
}

// loadBuilds copies each planned build next to its place under a
// temporary name and swaps it in, so that a killed run leaves the old
// build, the new one, or (between the two renames) none, and never a
// half-copied one.
func (a *action) loadBuilds(loads []load) error {
	r := a.Runner
	for _, p := range loads {
		tmp := filepath.Join(filepath.Dir(p.to), fileutil.TempPrefix+filepath.Base(p.to))
		old := tmp + "-old"
		r.RemoveAll(tmp)
		r.RemoveAll(old)
		if err := r.MkdirAll(filepath.Dir(p.to)); err != nil {
			return err
		}
		if err := r.CopyTree(p.from, tmp); err != nil {
			return fmt.Errorf("loading %s: %w", p.to, err)
		}
		if _, err := os.Lstat(p.to); err == nil {
			if err := r.Rename(p.to, old); err != nil {
				return fmt.Errorf("loading %s: %w", p.to, err)
			}
		}
		if err := r.Rename(tmp, p.to); err != nil {
			return fmt.Errorf("loading %s: %w", p.to, err)
		}
		r.RemoveAll(old)
	}
	return nil
}
