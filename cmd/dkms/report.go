package main

import (
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/dkms-go/dkms/internal/lifecycle"
)

// Output rules, the reference's (dkms-behaviour §2.2):
//   - an error is an empty line, then "Error! " and the first line, then
//     each further line, on stderr;
//   - a warning is "Warning: " and the first line, then the further lines,
//     on stderr, with no empty line before;
//   - informational lines go to stdout, written line by line as they
//     happen, because the reference's test suite merges both streams.
// This file holds the only functions that write those prefixes.

// reporter writes dkms's user-visible text. It is the lifecycle package's
// Reporter: actions print through it, and report failed steps with Fail,
// which words them in errors.go.
type reporter struct {
	out, err io.Writer
}

var _ lifecycle.Reporter = reporter{}

// errorBlock prints an "Error!" block.
func (r reporter) errorBlock(lines ...string) {
	fmt.Fprintf(r.err, "\nError! %s\n", strings.Join(lines, "\n"))
}

// warn prints a "Warning:" block.
func (r reporter) warn(lines ...string) {
	fmt.Fprintf(r.err, "Warning: %s\n", strings.Join(lines, "\n"))
}

// deprecated prints a "Deprecated feature:" line.
func (r reporter) deprecated(what string) {
	fmt.Fprintf(r.err, "Deprecated feature: %s\n", what)
}

// say prints an informational line on stdout.
func (r reporter) say(format string, args ...any) {
	fmt.Fprintf(r.out, format+"\n", args...)
}

// The lifecycle.Reporter methods.

func (r reporter) Say(format string, args ...any) { r.say(format, args...) }
func (r reporter) Warn(lines ...string)           { r.warn(lines...) }
func (r reporter) Error(lines ...string)          { r.errorBlock(lines...) }
func (r reporter) Fail(err error) int             { return r.report(err) }
func (r reporter) Stdout() io.Writer              { return r.out }
func (r reporter) Stderr() io.Writer              { return r.err }

func (r reporter) To(stdout, stderr io.Writer) lifecycle.Reporter {
	return reporter{out: stdout, err: stderr}
}

// usage prints the reference's usage text on stdout, byte for byte: for
// -h, an unknown option and an unknown action alike. name is the
// reference's $0 (scriptName). Our own actions (conf, doctor, mkdeb,
// mkbmdeb, mkrpm) are described in dkms(8), not here.
func (r reporter) usage(name string) {
	fmt.Fprintf(r.out, `Usage: %s [action] [options]
  [action]  = { add | remove | build | unbuild | install | uninstall | match |
               autoinstall | mktarball | ldtarball | status | generate_mok |
               kernel_preinst | kernel_postinst | kernel_prerm }
  [options] = [-m module] [-v module-version] [-k kernel-version] [-a arch]
              [-c dkms.conf-location] [-q] [--force] [--force-version-override] [--all]
              [--templatekernel=kernel] [--directive='cli-directive=cli-value']
              [--config=kernel-include/config/auto.conf-location] [--archive=tarball-location]
              [--kernelsourcedir=source-location] [--rpm_safe_upgrade]
              [--dkmstree path] [--sourcetree path] [--installtree path]
              [--binaries-only] [--source-only] [--verbose]
              [--no-depmod] [--modprobe-on-install] [-j number] [--version] [--help]
`, name)
}

// scriptName is what the reference's $0 holds when it prints its usage:
// the program as typed when that has a slash, else the path the shell
// found it at on PATH.
func scriptName(argv0 string) string {
	if strings.Contains(argv0, "/") {
		return argv0
	}
	if p, err := exec.LookPath(argv0); err == nil {
		return p
	}
	return argv0
}
