package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/dkms-go/dkms/internal/archive"
	"github.com/dkms-go/dkms/internal/fileutil"
)

// Tarball layout, the reference's (dkms-behaviour §3.12): builds under
// dkms_main_tree/K/A, the source under dkms_source_tree, or, for
// --binaries-only, dkms_binaries_only holding PACKAGE_NAME,
// PACKAGE_VERSION and the dkms.conf.
const (
	tarMainTree     = "dkms_main_tree"
	tarSourceTree   = "dkms_source_tree"
	tarBinariesOnly = "dkms_binaries_only"
)

// tarballKernelRe is what a dkms_main_tree/K directory must look like to be
// loaded: a kernel release, as status requires. It keeps a hostile
// tarball from loading into DT/m/v/source or DT/m/v/build.
var tarballKernelRe = regexp.MustCompile(`^[0-9]+\.`)

// cmdMktarball archives a module's builds and its source (or only its
// dkms.conf, with --binaries-only) as the reference's mktarball does,
// printing the same lines. The archive is written in pure Go, compressed
// as its name says, under a temporary name and renamed into place.
func (a *app) cmdMktarball() error {
	m, v := a.o.module, a.o.version
	if _, err := a.readConf(confRequest{module: m, version: v, kernel: a.firstKernel(), arch: a.firstArch()}); err != nil {
		return err
	}
	staging, cleanup, err := a.stagingDir()
	if err != nil {
		return err
	}
	defer cleanup()
	tag, err := a.stageBuilds(staging, m, v)
	if err != nil {
		return err
	}
	if err := a.stageSource(staging, m, v); err != nil {
		return err
	}
	dir, name := a.tarballPath(m, v, tag)
	a.rep.say("")
	a.rep.say("Tarball location: %s/%s", dir, name)
	return a.writeTarball(staging, dir, name)
}

// stagingDir makes the reference's <tmp_location>/dkms.XXXXXX work
// directory; cleanup removes it.
func (a *app) stagingDir() (string, func(), error) {
	a.runner.Step("mkdtemp " + filepath.Join(a.tmp, "dkms.XXXXXX"))
	dir, err := os.MkdirTemp(a.tmp, "dkms.")
	if err != nil {
		return "", nil, errf(exitGeneric, "Unable to make temporary directory.")
	}
	return dir, func() { a.runner.RemoveAll(dir) }, nil
}

// stageBuilds copies DT/m/v/K/A of every requested kernel into
// dkms_main_tree and returns the name tag they make
// ("kernelK-A-kernelK2-A2", or "source-only").
func (a *app) stageBuilds(staging, m, v string) (string, error) {
	main := filepath.Join(staging, tarMainTree)
	if err := a.runner.MkdirAll(main); err != nil {
		return "", err
	}
	if a.o.sourceOnly {
		return "source-only", nil
	}
	var tags []string
	for i, k := range a.o.kernels {
		arch := a.o.arches[i]
		built := a.layout.Built(m, v, k, arch)
		if !isDir(built) {
			return "", errf(exitInstall, fmt.Sprintf("No modules built for %s (%s).", k, arch),
				"Modules must already be in the built state before using mktarball.")
		}
		a.rep.say("Marking modules for %s (%s) for archiving...", k, arch)
		tags = append(tags, "kernel"+k+"-"+arch)
		if err := a.runner.CopyTree(built, filepath.Join(main, k, arch)); err != nil {
			return "", fmt.Errorf("copying %s: %w", built, err)
		}
	}
	return strings.Join(tags, "-"), nil
}

// stageSource copies the module source into dkms_source_tree, or with
// --binaries-only writes dkms_binaries_only. As in the reference, a
// dkms.conf that cannot be copied there is silently left out.
func (a *app) stageSource(staging, m, v string) error {
	src := a.layout.SourceLink(m, v)
	a.rep.say("")
	if !a.o.binariesOnly {
		a.rep.say("Marking %s for archiving...", src)
		real, err := filepath.EvalSymlinks(src)
		if err == nil {
			err = a.runner.CopyTree(real, filepath.Join(staging, tarSourceTree))
		}
		if err != nil {
			return fmt.Errorf("copying %s: %w", src, err)
		}
		return nil
	}
	a.rep.say("Creating tarball structure to specifically accomodate binaries.")
	dir := filepath.Join(staging, tarBinariesOnly)
	if err := a.runner.MkdirAll(dir); err != nil {
		return err
	}
	for name, val := range map[string]string{"PACKAGE_NAME": m, "PACKAGE_VERSION": v} {
		if err := a.runner.WriteFile(filepath.Join(dir, name), []byte(val+"\n"), 0o644); err != nil {
			return err
		}
	}
	a.runner.CopyFile(a.pick(a.o.confFile, filepath.Join(src, "dkms.conf")), filepath.Join(dir, "dkms.conf"), 0o644)
	return nil
}

// tarballPath returns where mktarball writes: DT/m/v/tarball/ (with the
// trailing slash the reference prints, giving "tarball//name") and
// m-v-tag.dkms.tar.gz, or what --archive says: its last element is the
// name and what comes before a slash the directory.
func (a *app) tarballPath(m, v, tag string) (dir, name string) {
	if len(tag) >= 200 { // the reference counts the newline of echo too
		tag = "manykernels"
	}
	dir = filepath.Join(a.layout.Version(m, v), "tarball") + "/"
	name = m + "-" + v + "-" + tag + ".dkms.tar.gz"
	if arc := a.o.archive; arc != "" {
		name = arc
		if i := strings.LastIndex(arc, "/"); i >= 0 {
			dir, name = arc[:i], arc[i+1:]
		}
	}
	return dir, name
}

// writeTarball archives the staging directory into dir/name, compressed as
// the name's extension says (.tar.gz, .tar.xz, .tar.zst, .tar).
func (a *app) writeTarball(staging, dir, name string) error {
	mk := dir
	if mk == "" {
		mk = "/" // --archive /x.tar.gz
	}
	if err := a.runner.MkdirAll(mk); err != nil || syscall.Access(mk, 2 /* W_OK */) != nil {
		return errf(exitNoConf, "Missing write permissions for "+dir+".")
	}
	method, err := archive.MethodFor(name)
	if err != nil {
		return errf(exitInstall, "Failed to make tarball.", err.Error())
	}
	var buf bytes.Buffer
	if err := archive.Write(&buf, staging, method); err != nil {
		return errf(exitInstall, "Failed to make tarball.", err.Error())
	}
	if err := a.runner.WriteFile(filepath.Join(mk, name), buf.Bytes(), 0o644); err != nil {
		return errf(exitInstall, "Failed to make tarball.", err.Error())
	}
	return nil
}

// cmdLdtarball loads a tarball (dkms-behaviour §3.12 ldtarball): one made
// by mktarball (ours or the reference's), or any tarball holding a module
// source with a dkms.conf, which is then added as `add DIR` would.
//
// Deliberate differences from the reference: the archive is extracted
// safely (see package archive; a refused entry is exit 7); a binaries-only
// tarball leaves an ordinary added-and-built module and exits 0 (see
// loadBinariesOnly; the reference exits 1 with a module status cannot
// see, §10.8); --force on an added module reloads it and exits 0 instead
// of failing in the final add with exit 3.
func (a *app) cmdLdtarball() error {
	file := a.o.archive
	if file == "" || !fileutil.Exists(file) {
		return errf(exitUsage, a.pick(file, a.o.mvArg)+" does not exist.")
	}
	if strings.HasSuffix(file, ".rpm") {
		// TODO(compat): the reference installs it with rpm -Uvh and autoinstalls.
		return errf(exitNoConf, "Unable to install "+file+" using rpm.", "Loading .rpm packages is not supported by this dkms.")
	}
	staging, cleanup, err := a.stagingDir()
	if err != nil {
		return err
	}
	defer cleanup()
	if err := a.extract(file, staging); err != nil {
		return err
	}
	if !isDir(filepath.Join(staging, tarMainTree)) {
		return a.loadPlainSource(staging)
	}
	return a.loadMadeTarball(staging, file)
}

// extract unpacks file into the staging directory and words its refusal.
func (a *app) extract(file, staging string) error {
	a.runner.Step("extract " + file + " " + staging)
	err := archive.ExtractFile(file, staging, archive.DefaultLimits)
	var ee *archive.EntryError
	switch {
	case errors.As(err, &ee):
		return errf(exitModuleMissing, fmt.Sprintf("Refusing to load %s: entry %q: %s.", file, ee.Entry, ee.Reason),
			file+" is not a valid DKMS tarball.")
	case err != nil:
		return errf(exitState, "Tarball does not appear to be a correctly formed DKMS archive.", err.Error())
	}
	return nil
}

// loadPlainSource loads a tarball mktarball did not make: the directory of
// its first dkms.conf is added as a source tree. The reference takes
// whatever `find` lists first; we take the shallowest, then by name, so
// the choice does not depend on directory order.
func (a *app) loadPlainSource(staging string) error {
	conf := findConf(staging)
	if conf == "" {
		return errf(exitState, "Tarball does not appear to be a correctly formed DKMS archive. No dkms.conf found within it.")
	}
	if err := a.addSourceTree(filepath.Dir(conf)); err != nil {
		return err
	}
	return a.addUnlessForced()
}

// findConf returns the shallowest file named dkms.conf under dir.
func findConf(dir string) string {
	best, depth := "", -1
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "dkms.conf" && !d.IsDir() {
			if n := strings.Count(p, "/"); depth < 0 || n < depth {
				best, depth = p, n
			}
		}
		return nil
	})
	return best
}

// addUnlessForced finishes a load with the reference's add, except that
// with --force a module that is already added just keeps its reloaded
// files.
func (a *app) addUnlessForced() error {
	if a.o.force && a.layout.IsAdded(a.o.module, a.o.version) {
		return nil
	}
	return a.add("add")
}

// loadMadeTarball loads a tarball in mktarball's layout: its source (or
// binaries-only stub), then each build it carries, then the add that
// links it all. Builds are copied in only after the add succeeded, so a
// failure or a killed run never leaves builds of a module that is not
// added; the lines are printed in the reference's order all the same.
func (a *app) loadMadeTarball(staging, file string) error {
	loc, err := a.tarballConf(staging, file)
	if err != nil {
		return err
	}
	m, v := a.o.module, a.o.version
	a.rep.say("")
	a.rep.say("Loading tarball for %s", moduleVersion(m, v))
	if loc == tarSourceTree {
		err = a.addSourceTree(filepath.Join(staging, tarSourceTree))
	} else {
		err = a.loadBinariesOnly(staging, m, v)
	}
	if err != nil {
		return err
	}
	plans := a.planBuilds(staging, m, v)
	if err := a.dropSourceStub(m, v); err != nil {
		return err
	}
	// The marker lets a rerun after a kill between the add and the last
	// build finish the load instead of refusing an added module.
	marker := a.layout.LoadMarker(m, v)
	if err := a.runner.WriteFile(marker, nil, 0o644); err != nil {
		return err
	}
	// Added already: with --force, or a dangling source link the source
	// copy has just mended.
	if !a.layout.IsAdded(m, v) {
		if err := a.add("add"); err != nil {
			return err
		}
	}
	if err := a.loadBuilds(plans); err != nil {
		return err
	}
	return a.runner.Remove(marker)
}

// tarballConf reads the dkms.conf of dkms_source_tree, else of
// dkms_binaries_only, sets module and version from it and says which one
// it used. An added module is refused without --force.
func (a *app) tarballConf(staging, file string) (string, error) {
	for _, loc := range []string{tarSourceTree, tarBinariesOnly} {
		conf := filepath.Join(staging, loc, "dkms.conf")
		if !isFile(conf) {
			continue
		}
		cfg, err := a.readConf(confRequest{kernel: a.firstKernel(), arch: a.firstArch(), path: conf})
		if err != nil {
			return "", err
		}
		m, v := cfg.PackageName, cfg.PackageVersion
		if m == "" || v == "" {
			fmt.Fprintln(a.rep.err)
			fmt.Fprintln(a.rep.err, "Malformed dkms.conf, refusing to load.")
			continue
		}
		if err := checkNames(m, v); err != nil {
			return "", err
		}
		if isFile(a.layout.LoadMarker(m, v)) {
			a.o.force = true // finishing a load a killed run began
		}
		if a.layout.IsAdded(m, v) && !a.o.force {
			return "", errf(exitBadConf, moduleVersion(m, v)+" is already added!", "Aborting.")
		}
		a.o.module, a.o.version = m, v
		return loc, nil
	}
	return "", errf(exitModuleMissing, "No valid dkms.conf in dkms_source_tree or dkms_binaries_only.",
		file+" is not a valid DKMS tarball.")
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
func (a *app) loadBinariesOnly(staging, m, v string) error {
	dst := a.layout.SourceDir(m, v)
	if isDir(dst) {
		return nil
	}
	a.rep.say("Creating %s", dst)
	a.rep.say("Copying dkms.conf to %s ...", dst)
	stub := filepath.Join(staging, "binaries_source")
	if err := a.runner.MkdirAll(stub); err != nil {
		return err
	}
	conf := filepath.Join(staging, tarBinariesOnly, "dkms.conf")
	if err := a.runner.CopyFile(conf, filepath.Join(stub, "dkms.conf"), 0o644); err != nil {
		return fmt.Errorf("copying %s: %w", conf, err)
	}
	return a.copySource(stub, dst)
}

// dropSourceStub removes the real DT/m/v/source directory a binaries-only
// load by the reference leaves (holding nothing but dkms.conf), so the add
// can put the source link in its place.
func (a *app) dropSourceStub(m, v string) error {
	src := a.layout.SourceLink(m, v)
	fi, err := os.Lstat(src)
	if err != nil || !fi.IsDir() {
		return nil
	}
	if ents, _ := os.ReadDir(src); len(ents) != 1 || ents[0].Name() != "dkms.conf" {
		return nil // not the reference's stub: leave it, the add will say
	}
	return a.runner.RemoveAll(src)
}

// loadPlan is one build to copy in: the tarball's dkms_main_tree/K/A and
// its place DT/m/v/K/A.
type loadPlan struct{ from, to string }

// planBuilds lists the tarball's builds in the reference's (glob) order
// and prints, for each, that it is loaded or, when it already exists and
// --force is not given, skipped. Symlinks and names that are no kernel
// release are not loaded.
func (a *app) planBuilds(staging, m, v string) []loadPlan {
	main := filepath.Join(staging, tarMainTree)
	var plans []loadPlan
	for _, k := range fileutil.Subdirs(main) {
		for _, arch := range fileutil.Subdirs(filepath.Join(main, k)) {
			to := a.layout.Built(m, v, k, arch)
			switch {
			case !tarballKernelRe.MatchString(k):
				a.rep.warn(filepath.Join(tarMainTree, k, arch) + " is not a kernel release. Skipping...")
			case isDir(to) && !a.o.force:
				a.rep.warn(to + " already exists. Skipping...")
			default:
				a.rep.say("Loading %s...", to)
				plans = append(plans, loadPlan{filepath.Join(main, k, arch), to})
			}
		}
	}
	return plans
}

// loadBuilds copies each planned build next to its place under a
// temporary name and swaps it in, so that a killed run leaves the old
// build, the new one, or (between the two renames) none, and never a
// half-copied one.
func (a *app) loadBuilds(plans []loadPlan) error {
	for _, p := range plans {
		tmp := filepath.Join(filepath.Dir(p.to), fileutil.TempPrefix+filepath.Base(p.to))
		old := tmp + "-old"
		a.runner.RemoveAll(tmp)
		a.runner.RemoveAll(old)
		if err := a.runner.MkdirAll(filepath.Dir(p.to)); err != nil {
			return err
		}
		if err := a.runner.CopyTree(p.from, tmp); err != nil {
			return fmt.Errorf("loading %s: %w", p.to, err)
		}
		if _, err := os.Lstat(p.to); err == nil {
			if err := a.runner.Rename(p.to, old); err != nil {
				return fmt.Errorf("loading %s: %w", p.to, err)
			}
		}
		if err := a.runner.Rename(tmp, p.to); err != nil {
			return fmt.Errorf("loading %s: %w", p.to, err)
		}
		a.runner.RemoveAll(old)
	}
	return nil
}
