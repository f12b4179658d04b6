package main

import (
	"fmt"
	"io"
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

// usage prints a summary of the command line on stdout. The first line is
// the reference's; the rest is ours.
func (r reporter) usage(argv0 string) {
	fmt.Fprintf(r.out, `Usage: %s [action] [options]
Actions:
  add build unbuild install uninstall remove status match autoinstall
  mktarball ldtarball generate_mok kernel_preinst kernel_postinst kernel_prerm
  conf doctor
Module:   module/version | -m module[/version] [-v version] | DIR | DIR/dkms.conf
Kernels:  -k kernel[/arch] (repeatable) | -a arch | --all
Trees:    --dkmstree DIR --sourcetree DIR --installtree DIR --kernelsourcedir DIR
Other:    -c dkms.conf --config FILE --directive NAME=VALUE --archive FILE
          --templatekernel KERNEL --force --force-version-override --binaries-only
          --source-only --symlink-modules --no-depmod --modprobe-on-install
          --rpm_safe_upgrade -j N --json --fix --verbose -q -V -h
`, argv0)
}
