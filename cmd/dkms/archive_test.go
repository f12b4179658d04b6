package main

import (
	"os"

	"github.com/dkms-go/dkms/internal/archive/archivetest"
	"github.com/rogpeppe/go-internal/testscript"
)

// cmdMkTar is the testscript command
//
//	mktar OUT [-C DIR] [KIND:NAME[=VALUE]...]
//
// which writes the tarball OUT (gzip, xz or zstd as its name says): the
// tree of DIR as "./..." entries, as `tar -C DIR -caf OUT .` would, then
// the entries given (see archivetest.Parse), including hostile ones the
// tar program refuses to write.
func cmdMkTar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: mktar OUT [-C DIR] [KIND:NAME[=VALUE]...]")
	}
	out, args := args[0], args[1:]
	var entries []archivetest.Entry
	if len(args) >= 2 && args[0] == "-C" {
		fromDir, err := archivetest.FromDir(ts.MkAbs(args[1]))
		ts.Check(err)
		entries, args = fromDir, args[2:]
	}
	for _, spec := range args {
		e, err := archivetest.Parse(spec)
		ts.Check(err)
		entries = append(entries, e)
	}
	data, err := archivetest.Tar(entries...)
	ts.Check(err)
	data, err = archivetest.Compressed(out, data)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(out), data, 0o644))
}
