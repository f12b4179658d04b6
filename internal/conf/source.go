package conf

import (
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// call is the interpreter's CallHandler. It sees every simple command after
// expansion: `.`/`source` get their text prepared (prepare), `eval` strings
// and builtins are checked for what the interpreter lacks.
func (e *evaluator) call(ctx context.Context, args []string) ([]string, error) {
	hc := interp.HandlerCtx(ctx)
	switch args[0] {
	case ".", "source":
		return e.source(hc, args)
	case "__dkmsgo_isset":
		return testCommand(len(args) == 2 && isSet(hc.Env, args[1])), nil
	case "__dkmsgo_isalias":
		return testCommand(len(args) == 2 && e.job.mode != modeFramework && isAlias(args[1])), nil
	case "__dkmsgo_aliases":
		return append([]string{"builtin", "set", "--"}, e.aliasesSet(hc.Env)...), nil
	case "eval":
		text, err := e.prepareEval(strings.Join(args[1:], " "), hc.Pos.Line())
		if err != nil {
			e.fail(err)
			return nil, err
		}
		return []string{"eval", text}, nil
	default:
		if err := checkCall(args); err != nil {
			err = &Error{File: e.currentFile(), Line: int(hc.Pos.Line()), Err: err}
			e.fail(err)
			return nil, err
		}
	}
	return args, nil
}

// testCommand is the command a harness predicate becomes: builtin test,
// true when ok.
func testCommand(ok bool) []string {
	if ok {
		return []string{"builtin", "test", "x"}
	}
	return []string{"builtin", "test", ""}
}

// isSet reports whether name has an element, as bash's ${#name[@]} > 0.
func isSet(env expand.Environ, name string) bool {
	_, vr := env.Get(name).Resolve(env)
	return len(variableIndices(vr)) > 0
}

// aliasesSet lists the 2003 spellings (alias.go) that are set, sorted
// bytewise as bash lists ${!PATCH@}; none when reading framework.conf.
func (e *evaluator) aliasesSet(env expand.Environ) []string {
	if e.job.mode == modeFramework {
		return nil
	}
	seen := map[string]bool{}
	env.Each(func(name string, _ expand.Variable) bool {
		if isAlias(name) && isSet(env, name) {
			seen[name] = true
		}
		return true
	})
	return slices.Sorted(maps.Keys(seen))
}

// evalResult is a prepared eval string, or why it cannot run.
type evalResult struct {
	text string
	err  error
}

// parsers recycles parsers: a new one allocates large buffers, and the
// write-back parses a string per variable.
var parsers = sync.Pool{New: func() any { return syntax.NewParser() }}

// parse parses shell text with a recycled parser.
func parse(text, name string) (*syntax.File, error) {
	p := parsers.Get().(*syntax.Parser)
	defer parsers.Put(p)
	return p.Parse(strings.NewReader(text), name)
}

// harnessEval matches the eval strings of the harness's own write-back
// loop, which need no check and no rewrite.
var harnessEval = regexp.MustCompile(`^echo (\$\(__dkmsgo_indices [A-Za-z_][A-Za-z0-9_]*\)|\$_export_env\[\$_i\]=\\"\$\{[A-Za-z_][A-Za-z0-9_]*\[\$_i\]%\$CR\}\\")$`)

// prepareEval checks an eval string and rewrites its appends (notes L2),
// once per distinct string: eval joins its arguments with spaces, so one
// argument holding the joined text is equivalent.
func (e *evaluator) prepareEval(text string, line uint) (string, error) {
	if harnessEval.MatchString(text) {
		return text, nil
	}
	e.mu.Lock()
	r, ok := e.evals[text]
	e.mu.Unlock()
	if ok {
		return r.text, r.err
	}
	r.text, r.err = e.prepareText("eval", text, false, line)
	e.mu.Lock()
	e.evals[text] = r
	e.mu.Unlock()
	return r.text, r.err
}

// source prepares the file a `.` is about to read and registers the text
// for the open handler; the real builtin then runs it, so return, exit and
// the positional parameters behave natively.
func (e *evaluator) source(hc interp.HandlerContext, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	path := resolveSource(hc, args[1])
	if path == "/dev/stdin" || path == "/dev/fd/0" || path == "/proc/self/fd/0" {
		err := &Error{File: e.currentFile(), Line: int(hc.Pos.Line()), Err: unsupportedf("sourcing standard input")}
		e.fail(err)
		return nil, err
	}
	text, ok := e.readSource(path)
	if !ok {
		return args, nil // let the builtin report the error
	}
	e.mu.Lock()
	for _, f := range e.job.files {
		if f == path {
			e.current = path
		}
	}
	e.mu.Unlock()
	prepared, err := e.prepare(path, text, path == e.tmpfile)
	if err != nil {
		e.fail(err)
		return nil, err
	}
	e.mu.Lock()
	e.pending[path] = prepared
	e.mu.Unlock()
	out := append([]string{args[0], path}, args[2:]...)
	return out, nil
}

// resolveSource finds the file `. name` reads, as bash does: a name with a
// slash is taken relative to the current directory, one without is looked
// up in PATH first, then in the current directory.
func resolveSource(hc interp.HandlerContext, name string) string {
	if strings.Contains(name, "/") {
		if filepath.IsAbs(name) {
			return name
		}
		return filepath.Join(hc.Dir, name)
	}
	for _, dir := range filepath.SplitList(hc.Env.Get("PATH").String()) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if !filepath.IsAbs(p) {
			p = filepath.Join(hc.Dir, p)
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return filepath.Join(hc.Dir, name)
}

// readSource returns the text of a file about to be sourced: the virtual
// temp file, or a real file.
func (e *evaluator) readSource(path string) (string, bool) {
	if path == e.tmpfile {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.tmp.String(), true
	}
	b, err := os.ReadFile(path)
	return string(b), err == nil
}

// open is the interpreter's OpenHandler: it serves prepared text to `.`,
// keeps safe_source's temp file in memory, and opens everything else.
func (e *evaluator) open(ctx context.Context, path string, flag int, perm os.FileMode) (io.ReadWriteCloser, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(interp.HandlerCtx(ctx).Dir, path)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if text, ok := e.pending[path]; ok && flag == os.O_RDONLY {
		delete(e.pending, path)
		return nopCloser{strings.NewReader(text)}, nil
	}
	if path == e.tmpfile {
		return e.openTmp(flag), nil
	}
	if e.job.c.sandbox && flag != os.O_RDONLY && path != "/dev/null" {
		return nil, &os.PathError{Op: "open", Path: path, Err: os.ErrPermission}
	}
	return interp.DefaultOpenHandler()(ctx, path, flag, perm)
}

// openTmp opens the virtual temp file; the caller holds e.mu.
func (e *evaluator) openTmp(flag int) io.ReadWriteCloser {
	if flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return nopCloser{strings.NewReader(e.tmp.String())}
	}
	if flag&os.O_TRUNC != 0 {
		e.tmp.Reset()
	}
	return tmpWriter{e}
}

type nopCloser struct{ io.Reader }

func (nopCloser) Write([]byte) (int, error) { return 0, os.ErrPermission }
func (nopCloser) Close() error              { return nil }

type tmpWriter struct{ e *evaluator }

func (t tmpWriter) Read([]byte) (int, error) { return 0, io.EOF }
func (t tmpWriter) Close() error             { return nil }
func (t tmpWriter) Write(p []byte) (int, error) {
	t.e.mu.Lock()
	defer t.e.mu.Unlock()
	return t.e.tmp.Write(p)
}

// prepare turns the text of a sourced file into what the interpreter runs:
// checked for unsupported constructs (detect), with `a[i]+=v` rewritten
// (notes L2) and BASH_SOURCE pushed (notes L4). A syntax error in the
// written-back lines keeps the complete statements before it, as bash runs
// them (notes L5); a syntax error in a conf is left to bash, because the
// interpreter's parser may be the one at fault.
func (e *evaluator) prepare(path, text string, writeBack bool) (string, error) {
	out, err := e.prepareText(path, text, writeBack, 0)
	if err != nil {
		return "", err
	}
	out = "BASH_SOURCE=(" + shq(path) + ` "${BASH_SOURCE[@]}");` + out
	if strings.HasSuffix(out, "\\") {
		return out, nil // a newline would make it a line continuation
	}
	return out + sourcePop, nil
}

// sourcePop ends a prepared file: it pops BASH_SOURCE and keeps the exit
// status of the file's last command. A `return` in the file skips it, so
// BASH_SOURCE then keeps one entry too many.
// TODO(compat): pop on return too.
const sourcePop = "\n__dkmsgo_status=$?; BASH_SOURCE=(\"${BASH_SOURCE[@]:1}\"); return $__dkmsgo_status\n"

// prepareText parses, checks and rewrites text; line is added to error
// positions (for eval strings).
func (e *evaluator) prepareText(name, text string, writeBack bool, line uint) (string, error) {
	f, err := parse(text, name)
	if err != nil && writeBack {
		text, f = completePrefix(text)
		e.job.c.Stderr.Write([]byte(name + ": " + err.Error() + "\n"))
	} else if err != nil {
		return "", &Error{File: e.fileFor(name), Line: errLine(err, line), Err: unsupportedf("parsing: %v", err)}
	}
	if err := detect(f); err != nil {
		if de, ok := err.(*Error); ok {
			de.File = e.fileFor(name)
			if line > 0 {
				de.Line = int(line)
			}
		}
		return "", err
	}
	return rewriteAppends(text, f), nil
}

// fileFor names the file an error is about: the file itself, or the conf
// being read for eval strings and the harness's temp file.
func (e *evaluator) fileFor(name string) string {
	if name == "eval" || name == e.tmpfile {
		return e.currentFile()
	}
	return name
}

func errLine(err error, base uint) int {
	if base > 0 {
		return int(base)
	}
	if pe, ok := err.(syntax.ParseError); ok {
		return int(pe.Pos.Line())
	}
	return 0
}

// completePrefix keeps the complete statements before a syntax error.
func completePrefix(text string) (string, *syntax.File) {
	end := uint(0)
	for s, err := range syntax.NewParser().StmtsSeq(strings.NewReader(text)) {
		if err != nil {
			break
		}
		end = s.End().Offset()
	}
	prefix := text[:end]
	f, err := syntax.NewParser().Parse(strings.NewReader(prefix), "")
	if err != nil {
		return "", &syntax.File{}
	}
	return prefix, f
}

// rewriteAppends replaces `NAME[idx]+=` by `NAME[idx]="${NAME[idx]}"`
// (notes L2: the interpreter appends to element 0), keeping line numbers.
// Caveat: an index with side effects is evaluated twice.
func rewriteAppends(text string, f *syntax.File) string {
	type edit struct {
		start, end uint
		repl       string
	}
	var edits []edit
	syntax.Walk(f, func(n syntax.Node) bool {
		as, ok := n.(*syntax.Assign)
		if !ok || !as.Append || as.Index == nil || as.Array != nil || as.Name == nil {
			return true
		}
		start := as.Name.Pos().Offset()
		eq := strings.Index(text[start:], "+=")
		if eq < 0 {
			return true
		}
		lhs := text[start : start+uint(eq)]
		if strings.Contains(lhs, "\n") {
			return true
		}
		edits = append(edits, edit{start, start + uint(eq) + 2, lhs + `="${` + lhs + `}"`})
		return true
	})
	if len(edits) == 0 {
		return text
	}
	// Walk visits in source order; splice from the end so offsets hold.
	out := []byte(text)
	for _, ed := range slices.Backward(edits) {
		out = append(out[:ed.start:ed.start], append([]byte(ed.repl), out[ed.end:]...)...)
	}
	return string(out)
}
