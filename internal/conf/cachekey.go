package conf

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"
)

// A cached evaluation is only sound when the values are a function of
// what its key covers. cacheKey covers the files (names, physical names,
// contents), the context dkms gives every read (trees, framework values,
// module, distribution, ...), the kernel fields when the files name
// them, the environment variables the files name, and this program's
// build. So the files must not look anywhere else: they may assign,
// test strings and branch, and must not run a command, read or write a
// file, glob, do arithmetic (whose bare words name variables), reach a
// variable through another (${!x}, declare -n) or read a variable whose
// value changes from run to run ($RANDOM, $$, ...). pureFile checks that
// on the syntax tree, conservatively: what it does not know is impure.

// kernelNames are the variables dkms sets from the kernel being processed
// (the prelude's kernelver, arch, kernel_source_dir, kernel_config and
// their _fromcli flags). TestKernelNames checks the list against the
// prelude.
var kernelNames = []string{"kernelver", "arch", "kernel_source_dir", "kernel_config", "ksourcedir_fromcli", "kconfig_fromcli"}

// shellEnv are environment variables that change how the shell itself
// reads or expands, whether or not the files name them.
var shellEnv = []string{"IFS", "POSIXLY_CORRECT", "BASHOPTS", "SHELLOPTS", "GLOBIGNORE", "BASH_ENV", "ENV"}

// volatile are variables whose value differs from run to run or from
// user to user.
var volatile = map[string]bool{
	"$": true, "!": true, "RANDOM": true, "SRANDOM": true, "SECONDS": true,
	"EPOCHSECONDS": true, "EPOCHREALTIME": true, "BASHPID": true, "PPID": true,
	"UID": true, "EUID": true, "GROUPS": true, "HOSTNAME": true,
}

// pureBuiltins are commands that do nothing but set an exit status.
var pureBuiltins = map[string]bool{":": true, "true": true, "false": true}

// analyse parses text and reports whether it is pure and which variables
// it reads.
func analyse(text string) (pure bool, names []string) {
	f, err := parse(text, "")
	if err != nil {
		return false, nil
	}
	seen := map[string]bool{}
	if !pureFile(f, seen) {
		return false, nil
	}
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return true, names
}

// pureFile walks f, collecting the variables it reads into names, and
// reports whether nothing in it is impure (see the comment above).
func pureFile(f *syntax.File, names map[string]bool) bool {
	pure := true
	syntax.Walk(f, func(n syntax.Node) bool {
		if pure && n != nil { // Walk ends each node's children with nil
			pure = pureNode(n, names)
		}
		return pure
	})
	return pure
}

// pureNode checks one node; its children are walked separately.
func pureNode(n syntax.Node, names map[string]bool) bool {
	switch n := n.(type) {
	case *syntax.Stmt:
		return len(n.Redirs) == 0 && !n.Background && !n.Coprocess
	case *syntax.CallExpr:
		return pureCall(n)
	case *syntax.Assign:
		return (n.Index == nil || literalIndex(n.Index)) && !unquoted(n.Value, "~")
	case *syntax.ArrayElem:
		return (n.Index == nil || literalIndex(n.Index)) && !unquoted(n.Value, "~*?[")
	case *syntax.ParamExp:
		return pureParam(n, names)
	case *syntax.UnaryTest:
		return n.Op == syntax.TsEmpStr || n.Op == syntax.TsNempStr || n.Op == syntax.TsNot
	case *syntax.BinaryTest:
		switch n.Op {
		case syntax.TsMatch, syntax.TsMatchShort, syntax.TsNoMatch, syntax.TsReMatch,
			syntax.TsBefore, syntax.TsAfter, syntax.AndTest, syntax.OrTest:
			return true
		}
		return false
	case *syntax.File, *syntax.Word, *syntax.SglQuoted, *syntax.DblQuoted,
		*syntax.BinaryCmd, *syntax.IfClause, *syntax.CaseClause, *syntax.CaseItem,
		*syntax.Block, *syntax.Subshell, *syntax.TestClause, *syntax.ParenTest,
		*syntax.FuncDecl, *syntax.ArrayExpr, *syntax.Comment, *syntax.Lit:
		return true
	}
	return false // commands, loops, arithmetic, declare, substitutions, ...
}

// pureCall accepts assignments alone and the builtins that only set a
// status.
func pureCall(c *syntax.CallExpr) bool {
	switch len(c.Args) {
	case 0:
		return true
	case 1:
		return pureBuiltins[c.Args[0].Lit()]
	}
	return false
}

// pureParam accepts ${name...} expansions without indirection and whose
// index and slice bounds are literal numbers; it adds name to names.
func pureParam(p *syntax.ParamExp, names map[string]bool) bool {
	if p.Excl || p.Param == nil || volatile[p.Param.Value] {
		return false
	}
	if p.Index != nil && !literalIndex(p.Index) {
		if w, ok := p.Index.(*syntax.Word); !ok || (w.Lit() != "@" && w.Lit() != "*") {
			return false
		}
	}
	if p.Slice != nil && (!literalIndex(p.Slice.Offset) || (p.Slice.Length != nil && !literalIndex(p.Slice.Length))) {
		return false
	}
	names[p.Param.Value] = true
	return true
}

// unquoted reports whether w has one of chars outside quotes: a tilde,
// which an assignment expands from $HOME or the password database, or a
// glob character, which an array element expands from the file system.
func unquoted(w *syntax.Word, chars string) bool {
	if w == nil {
		return false
	}
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok && strings.ContainsAny(l.Value, chars) {
			return true
		}
	}
	return false
}

// literalIndex reports whether an arithmetic expression is a plain
// number, the only kind whose value names no variable.
func literalIndex(x syntax.ArithmExpr) bool {
	w, ok := x.(*syntax.Word)
	if !ok {
		return false
	}
	lit := w.Lit()
	return lit != "" && strings.Trim(lit, "0123456789") == ""
}

// key returns the key under which the values of evaluating files in
// context c may be kept, and false when they cannot be: a file is impure,
// missing or unreadable.
func (cc *Cache) key(files []string, c Context) (string, bool) {
	fp := cc.filesPart(files)
	if !fp.ok {
		return "", false
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", buildID())
	h.Write(fp.sum[:])
	names := map[string]bool{}
	for _, n := range fp.names {
		names[n] = true
	}
	writeContext(h, withDefaults(c), names)
	return hex.EncodeToString(h.Sum(nil)), true
}

// filesPart is what a key takes from the files of a read: a hash of their
// names, physical names and contents, and the variables they read; ok is
// false when one is impure, missing or unreadable.
type filesPart struct {
	ok    bool
	sum   [sha256.Size]byte
	names []string
}

// readFiles computes the filesPart of files.
func readFiles(files []string) filesPart {
	abs, err := absFiles(files, false)
	if err != nil || len(abs) == 0 || abs[0] == "" {
		return filesPart{}
	}
	h := sha256.New()
	fmt.Fprintf(h, "physical %q\x00", abs)
	seen := map[string]bool{}
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			if i == 0 || !os.IsNotExist(err) {
				return filesPart{}
			}
			continue // a missing override file is not read
		}
		pure, names := analyse(string(b))
		if !pure {
			return filesPart{}
		}
		for _, n := range names {
			seen[n] = true
		}
		fmt.Fprintf(h, "file %q %d\x00", f, len(b))
		h.Write(b)
	}
	fp := filesPart{ok: true}
	h.Sum(fp.sum[:0])
	for n := range seen {
		fp.names = append(fp.names, n)
	}
	slices.Sort(fp.names)
	return fp
}

// writeContext adds to h the context of an evaluation: everything dkms
// sets for every read, the kernel fields when the files read one of
// kernelNames, and the environment variables they read (present or not),
// those of shellEnv and the DKMS_DIRECTIVE variables the harness reads.
func writeContext(h hash.Hash, c Context, names map[string]bool) {
	fmt.Fprintf(h, "ctx %q\x00", []string{c.DkmsTree, c.SourceTree, c.InstallTree, c.TmpLocation,
		c.Module, c.ModuleVersion, c.ParallelJobs, c.Verbose, c.RunningDistribution, c.CurrentKernel,
		c.CurrentOS, fmt.Sprint(c.Strict)})
	vars := make([]string, 0, len(c.Vars))
	for k, v := range c.Vars {
		vars = append(vars, k+"="+v)
	}
	slices.Sort(vars)
	fmt.Fprintf(h, "vars %q\x00", vars)
	for _, n := range kernelNames {
		if names[n] {
			fmt.Fprintf(h, "kernel %q\x00", []string{c.Kernel, c.Arch, c.KernelSourceDir, c.KernelConfig})
			break
		}
	}
	env := map[string]string{}
	for _, kv := range c.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
			if strings.HasPrefix(k, "DKMS_DIRECTIVE") {
				names[k] = true
			}
		}
	}
	for _, n := range shellEnv {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	slices.Sort(sorted)
	for _, n := range sorted {
		if v, ok := env[n]; ok {
			fmt.Fprintf(h, "env %q=%q\x00", n, v)
		} else {
			fmt.Fprintf(h, "noenv %q\x00", n)
		}
	}
}

// buildID names this program's build, so that a cache written by another
// build (whose evaluation may differ) is not used.
var buildID = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	id := bi.Main.Path + "@" + bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
			id += " " + s.Key + "=" + s.Value
		}
	}
	for _, d := range bi.Deps {
		if d.Path == "mvdan.cc/sh/v3" {
			id += " " + d.Path + "@" + d.Version
		}
	}
	return id
})
