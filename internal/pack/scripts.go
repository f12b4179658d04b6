package pack

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"

	"github.com/goreleaser/nfpm/v2/files"
)

// The maintainer scripts of module packages. The source form's follow
// Debian's dh_dkms: postinst configure calls common.postinst with the
// module, its version, the directory of the prebuilt tarball, no arch and
// the version being upgraded from; prerm removes the module from dkms.
// The binary form's run depmod for their kernel, when that kernel is
// installed (its modules.order exists); DPKG_ROOT is honoured, so they
// also work for dpkg --root with --force-script-chrootless.

// script adds a generated maintainer script and returns its name.
func (s *spec) script(name, body string) string {
	if body == "" {
		return ""
	}
	s.gen = append(s.gen, generated{name: name, data: []byte("#!/bin/sh\n" + body)})
	return name
}

func (s *spec) debScripts(postinst, prerm string) {
	s.info.Scripts.PostInstall = s.script("postinst", postinst)
	s.info.Scripts.PreRemove = s.script("prerm", prerm)
}

func (s *spec) rpmScripts(post, preun string) {
	s.info.Scripts.PostInstall = s.script("post", post)
	s.info.Scripts.PreRemove = s.script("preun", preun)
}

// shq quotes s for a shell.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func sourcePostinst(o Options, share string) string {
	return fmt.Sprintf(`# Made by dkms mkdeb: register %[1]s/%[2]s with dkms, then build and
# install it (prebuilt modules first) through common.postinst.
set -e
if [ "$1" = configure ]; then
	if [ ! -x %[3]s ]; then
		echo "%[3]s is missing: is dkms installed?" >&2
		exit 1
	fi
	%[3]s %[4]s %[5]s %[6]s "" "$2"
fi
`, o.Module, o.Version, o.Target.CommonPostinst, shq(o.Module), shq(o.Version), shq(share))
}

func sourcePrerm(o Options) string {
	return fmt.Sprintf(`# Made by dkms mkdeb: take %[1]s/%[2]s out of dkms (uninstall, unbuild, remove).
set -e
case "$1" in
remove | upgrade | deconfigure)
	if [ -n "$(dkms status -m %[3]s -v %[4]s)" ]; then
		dkms remove -m %[3]s -v %[4]s --all
	fi
	;;
esac
`, o.Module, o.Version, shq(o.Module), shq(o.Version))
}

func rpmPost(o Options, share string) string {
	return fmt.Sprintf(`# Made by dkms mkrpm: register %[1]s/%[2]s with dkms, then build and
# install it (prebuilt modules first) through common.postinst.
%[3]s %[4]s %[5]s %[6]s || :
`, o.Module, o.Version, o.Target.CommonPostinst, shq(o.Module), shq(o.Version), shq(share))
}

// rpmPreun removes the module from dkms on erase and on an upgrade to
// another version. In an upgrade this runs after the new package's %%post;
// when the new package has the same version (a reinstall), that %%post
// has just registered the module again, so it is left alone.
func rpmPreun(o Options, name, version string) string {
	return fmt.Sprintf(`# Made by dkms mkrpm: take %[1]s/%[2]s out of dkms (uninstall, unbuild, remove).
if [ "$1" -ge 1 ] && [ "$(rpm -q --qf '%%{VERSION}\n' %[5]s 2>/dev/null | grep -cx %[6]s)" -gt 1 ]; then
	exit 0
fi
if [ -n "$(dkms status -m %[3]s -v %[4]s)" ]; then
	dkms remove -m %[3]s -v %[4]s --all || :
fi
`, o.Module, o.Version, shq(o.Module), shq(o.Version), shq(name), shq(version))
}

// binaryDepmod runs depmod for kernel k when the script's first argument
// matches when (a case pattern).
func binaryDepmod(o Options, k, when string) string {
	dir := target(o.Target.ModuleRoot, k)
	return fmt.Sprintf(`# Made by dkms mkbmdeb: make the modules known to (or forgotten by) modprobe.
set -e
case "$1" in
%[1]s)
	if [ -e "${DPKG_ROOT:-}"%[2]s/modules.order ]; then
		depmod ${DPKG_ROOT:+-b "$DPKG_ROOT"} -a %[3]s
	else
		echo "Linux %[4]s is not installed; its own depmod will find the modules."
	fi
	;;
esac
`, when, shq(dir), shq(k), k)
}

// debDocs adds the copyright file and changelog every Debian package
// carries (lintian's no-copyright-file and no-changelog errors) into dir.
// The changelog has one entry, change, dated mtime.
func (s *spec) debDocs(dir, copyright, change string) {
	info := s.info
	date := info.MTime.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700")
	changelog := fmt.Sprintf("%s (%s) unstable; urgency=medium\n\n  * %s\n\n -- %s  %s\n",
		info.Name, info.Version, change, info.Maintainer, date)
	// A version with a Debian revision is not a native package's.
	log := "changelog.gz"
	if strings.Contains(info.Version, "-") {
		log = "changelog.Debian.gz"
	}
	s.gen = append(s.gen, generated{name: "copyright", data: []byte(copyright)},
		generated{name: log, data: gzipped([]byte(changelog))})
	s.add(&files.Content{Source: "copyright", Destination: target(dir, "copyright"), FileInfo: &files.ContentFileInfo{Mode: 0o644}})
	s.add(&files.Content{Source: log, Destination: target(dir, log), FileInfo: &files.ContentFileInfo{Mode: 0o644}})
}

// moduleDocs are debDocs for a module package.
func (s *spec) moduleDocs(o Options) {
	copyright := fmt.Sprintf("This package was made by dkms from the %s kernel module, version %s.\n"+
		"The module's own copyright and license apply; see its source and the\n"+
		"MODULE_LICENSE of its modules (modinfo -F license).\n", o.Module, o.Version)
	s.debDocs(target(o.Target.DocDir, s.info.Name), copyright, fmt.Sprintf("Made by dkms from %s/%s.", o.Module, o.Version))
}

// gzipped compresses b as gzip -9n does: no name, no time stamp, so the
// same text gives the same bytes.
func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}
