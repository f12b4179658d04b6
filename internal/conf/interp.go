package conf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// harness is upstream's safe_source, read_conf and their callers, written as
// shell code so that local, $1/$#, return and exit behave natively around the
// conf. The conf's 2003 spellings (alias.go) are written back after the
// accepted variables. __dkmsgo_isset, __dkmsgo_isalias and __dkmsgo_aliases
// (which sets "$@" to the aliases set) are served by evaluator.call, three
// more commands by evaluator.execMiddleware:
// __dkmsgo_indices lists an array's indices (notes L1: interp gets
// ${!a[@]} wrong on scalars and unset names), __dkmsgo_directives prints
// what upstream's `set | grep ^DKMS_DIRECTIVE | cut -d = -f 2-3` prints, and
// __dkmsgo_sourced records deprecation notices after each file.
const harness = `
safe_source() {
    local to_source_file
    to_source_file="$1"; shift
    declare -a -r export_envs=( $@ )
    local -r CR=$'\r'
    local tmpfile
    tmpfile=$__dkmsgo_tmpfile
    ( exec >"$tmpfile"
    __dkmsgo_write_back "$@"
    )
    . "$tmpfile"
    __dkmsgo_sourced "$to_source_file"
}

# __dkmsgo_write_back is the body of safe_source's subshell. It is a
# function of its own because the interpreter forgets, in a subshell, that
# it runs inside a function, so a conf's "local" would fail there (bash
# keeps the function scope; the conf's locals then live in this function
# instead of safe_source, which the write-back cannot tell apart).
__dkmsgo_write_back() {
    . "$to_source_file" >/dev/null
    # Like dkms-conf-ref, skip unset variables without a fork unless echo or
    # eval were redefined (then the index listing itself may print).
    local __dkmsgo_all=
    [[ "$(type -t echo; type -t eval; alias)" == $'builtin\nbuiltin' ]] || __dkmsgo_all=1
    # The accepted variables, then the 2003 spellings the conf set
    # (alias.go), which __dkmsgo_aliases puts in "$@".
    __dkmsgo_aliases
    for _export_env in "${export_envs[@]}" "$@"; do
        [[ $__dkmsgo_all ]] || __dkmsgo_isset "$_export_env" || continue
        for _i in $(eval echo \$\(__dkmsgo_indices "${_export_env}"\)); do
            eval echo '$_export_env[$_i]=\"${'"${_export_env}"'[$_i]%$CR}\"'
        done
    done
    for directive in $(__dkmsgo_directives); do
        directive_name=${directive%%=*}
        directive_value=${directive#*=}
        echo "$directive_name=\"$directive_value\""
    done
}

read_conf() {
    local return_value
    local read_conf_file
    return_value=0
    read_conf_file="$dkms_tree/$module/$module_version/source/dkms.conf"
    local kernelver
    local arch
    kernelver="$1"
    arch="$2"
    if [[ ! $ksourcedir_fromcli ]]; then
        kernel_source_dir="$install_tree/$1/build"
    fi
    if [[ ! $kconfig_fromcli ]]; then
        if [[ -e "${kernel_source_dir}/include/config/auto.conf" ]]; then
            kernel_config="${kernel_source_dir}/include/config/auto.conf"
        else
            kernel_config="${kernel_source_dir}/.config"
        fi
    fi
    read_conf_file="$3"
    # Ours: the 2003 spellings inherited from the environment are not the
    # conf's (alias.go).
    local __dkmsgo_v
    for __dkmsgo_v in "${!MODULES_CONF@}" "${!PATCH@}"; do
        __dkmsgo_isalias "$__dkmsgo_v" && unset "$__dkmsgo_v"
    done
    for var in $dkms_conf_variables; do
        unset "$var"
    done
    local _conf_file
    for _conf_file in "${__dkmsgo_files[@]}"; do
        [[ -e $_conf_file ]] && safe_source "$_conf_file" "$dkms_conf_variables"
    done
    return 0
}

add_source_tree() {
    local from
    from=${__dkmsgo_files[0]%/*}
    read_conf "${kernelver[0]}" "${arch[0]}" "${from:-/}/${__dkmsgo_files[0]##*/}"
}

add_module() {
    local source_conf
    source_conf=${__dkmsgo_files[0]}
    show_deprecation_warnings=1
    read_conf "${kernelver[0]}" "${arch[0]}" "$source_conf"
}

read_framework_conf() {
    for i in "${__dkmsgo_files[@]}"; do
        [[ -e "$i" ]] && safe_source "$i" "$@"
    done
}
`

// harnessCall is the last line of the program for each mode.
var harnessCall = map[evalMode]string{
	modeAddSourceTree: "add_source_tree\n",
	modeAddModule:     "add_module\n",
	modeFramework:     "read_framework_conf \"$__dkmsgo_names\"\n",
}

// parsedHarness parses harness once; running a parsed file does not
// change it, so every evaluation can share it.
var parsedHarness = sync.OnceValue(func() *syntax.File {
	f, err := syntax.NewParser().Parse(strings.NewReader(harness), "dkms")
	if err != nil {
		panic("conf: harness does not parse: " + err.Error())
	}
	return f
})

// evaluator is the state of one in-process evaluation, shared by the
// interpreter's handlers.
type evaluator struct {
	job     *job
	tmpfile string // the virtual path of safe_source's temp file

	mu         sync.Mutex
	tmp        bytes.Buffer          // contents of the virtual temp file
	pending    map[string]string     // prepared text for the next `.` of a path
	evals      map[string]evalResult // eval strings already prepared
	current    string                // conf file being read
	unsup      error                 // first unsupported construct met at run time
	deprecated []Message
}

// interp evaluates the job in-process.
func (j *job) interp(ctx context.Context) (Values, *Report, error) {
	rep := &Report{Engine: EngineInterp}
	if len(j.files) == 0 {
		return Values{}, rep, nil
	}
	e := &evaluator{job: j, pending: map[string]string{}, evals: map[string]evalResult{}}
	e.tmpfile = fmt.Sprintf("%s/dkms.go%d", strings.TrimRight(j.c.TmpLocation, "/"), os.Getpid())
	for _, f := range j.files {
		if err := e.checkFile(f); err != nil {
			return nil, rep, err
		}
	}
	var stderr lockedBuffer
	r, err := e.runner(&stderr)
	if err != nil {
		return nil, rep, fmt.Errorf("evaluating %s: %w", j.files[0], err)
	}
	prog, err := syntax.NewParser().Parse(strings.NewReader(
		j.globals(true)+fmt.Sprintf("__dkmsgo_tmpfile=%s\n", shq(e.tmpfile))+harnessCall[j.mode]), "dkms")
	if err != nil {
		return nil, rep, fmt.Errorf("evaluating %s: harness: %w", j.files[0], err)
	}
	rctx, cancel := context.WithTimeout(ctx, j.c.Timeout)
	defer cancel()
	runErr := r.Run(rctx, parsedHarness())
	if runErr == nil {
		runErr = r.Run(rctx, prog)
	}
	if err := e.outcome(ctx, rctx, r, runErr, stderr.Bytes()); err != nil {
		return nil, rep, err
	}
	j.c.Stderr.Write(stderr.Bytes())
	rep.Deprecated = e.deprecated
	return valuesFrom(r.Vars, j.importNames(r.Vars)), rep, nil
}

// importNames lists the variables an evaluation returns: the accepted
// names and, for a dkms.conf, the aliases among vars (alias.go).
func (j *job) importNames(vars map[string]expand.Variable) []string {
	if j.mode == modeFramework {
		return j.names
	}
	names := slices.Clone(j.names)
	for name := range vars {
		if isAlias(name) {
			names = append(names, name)
		}
	}
	return names
}

// outcome turns the end of a run into an error: unsupported constructs met
// on the way (also recognised from the interpreter's own complaints on
// stderr), a time-out, cancellation or an injected exit.
func (e *evaluator) outcome(ctx, rctx context.Context, r *interp.Runner, runErr error, stderr []byte) error {
	e.mu.Lock()
	unsup, cur := e.unsup, e.current
	e.mu.Unlock()
	if cur == "" {
		cur = e.job.files[0]
	}
	switch {
	case unsup != nil:
		return unsup
	case ctx.Err() != nil:
		return fmt.Errorf("evaluating %s: %w", cur, ctx.Err())
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		return &Error{File: cur, Err: fmt.Errorf("%w after %v", ErrTimeout, e.job.c.Timeout)}
	}
	if line := interpComplaint(stderr); line != "" {
		return &Error{File: cur, Err: unsupportedf("the interpreter reported %q", line)}
	}
	var status interp.ExitStatus
	if runErr != nil && !errors.As(runErr, &status) {
		return &Error{File: cur, Err: runErr}
	}
	if r.Exited() {
		return &Error{File: cur, Err: ErrExit}
	}
	return nil
}

// runner builds the interpreter with upstream's settings: the cleaned
// environment, the conf's directory, extglob on.
func (e *evaluator) runner(stderr io.Writer) (*interp.Runner, error) {
	c := e.job.c
	return interp.New(
		interp.Env(expand.ListEnviron(c.Environ...)),
		interp.Dir(e.job.dir()),
		// TODO(compat): glob results are sorted bytewise; bash sorts by
		// the locale's collation. umask 022 is process-wide and is left to
		// the caller.
		interp.BashOpts("-s", "extglob"),
		interp.StdIO(nil, &lockedWriter{w: c.Stdout}, stderr),
		interp.CallHandler(e.call),
		interp.ExecHandlers(e.execMiddleware),
		interp.OpenHandler(e.open),
	)
}

// checkFile parses a top-level conf file before anything runs, so a
// construct the interpreter lacks sends the whole evaluation to bash before
// any of the conf's commands ran.
func (e *evaluator) checkFile(path string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	_, err = e.prepare(path, string(text), false)
	return err
}

// execMiddleware serves the harness's own commands and runs everything
// else with the interpreter's default handler (conf commands are part of
// the evaluation, in the environment the conf built, so they do not go
// through run.Runner, whose environment is fixed).
func (e *evaluator) execMiddleware(next interp.ExecHandlerFunc) interp.ExecHandlerFunc {
	return func(ctx context.Context, args []string) error {
		hc := interp.HandlerCtx(ctx)
		switch args[0] {
		case "__dkmsgo_indices":
			return e.indices(hc, args[1:])
		case "__dkmsgo_directives":
			return writeDirectives(hc)
		case "__dkmsgo_sourced":
			e.sourced(hc, args[1:])
			return nil
		}
		if e.job.c.sandbox {
			return interp.ExitStatus(127)
		}
		if r := e.job.c.Runner; r != nil {
			r.Step("exec " + strings.Join(args, " "))
		}
		return next(ctx, args)
	}
}

// indices prints the indices of the named variable, as bash's ${!NAME[@]}
// would (notes L1, L3).
func (e *evaluator) indices(hc interp.HandlerContext, args []string) error {
	if len(args) != 1 {
		return nil
	}
	_, vr := hc.Env.Get(args[0]).Resolve(hc.Env)
	if vr.Kind == expand.Associative && len(vr.Map) > 0 {
		// bash lists keys in hash-table order (notes L10).
		err := &Error{File: e.currentFile(), Err: unsupportedf("associative array %s", args[0])}
		e.fail(err)
		return err
	}
	idx := variableIndices(vr)
	if len(idx) == 0 {
		return nil
	}
	s := make([]string, len(idx))
	for i, n := range idx {
		s[i] = fmt.Sprint(n)
	}
	fmt.Fprintln(hc.Stdout, strings.Join(s, " "))
	return nil
}

// sourced records upstream's deprecation notices for the file just read.
func (e *evaluator) sourced(hc interp.HandlerContext, args []string) {
	if len(args) != 1 || e.job.mode == modeFramework {
		return
	}
	get := func(name string) (expand.Variable, bool) {
		vr := hc.Env.Get(name)
		return vr, len(variableIndices(vr)) > 0
	}
	var msgs []Message
	for _, name := range deprecatedVariables {
		vr, ok := get(name)
		if !ok || (name == Clean && isTrueCommand(vr.String())) {
			continue
		}
		msgs = append(msgs, deprecation(name, args[0]))
	}
	for _, name := range e.aliasesSet(hc.Env) {
		msgs = append(msgs, deprecation(name, args[0]))
	}
	e.mu.Lock()
	e.deprecated = append(e.deprecated, msgs...)
	e.mu.Unlock()
}

// isTrueCommand reports the CLEAN values upstream does not complain about.
func isTrueCommand(s string) bool {
	return s == "true" || s == "/bin/true" || s == "/usr/bin/true"
}

func (e *evaluator) fail(err error) {
	e.mu.Lock()
	if e.unsup == nil {
		e.unsup = err
	}
	e.mu.Unlock()
}

func (e *evaluator) currentFile() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.current == "" {
		return e.job.files[0]
	}
	return e.current
}

// complaints are fragments of the interpreter's own error messages for
// features it lacks (bash either supports them or words its errors
// differently), e.g. `declare: invalid option "-u"`.
var complaints = []string{`invalid option "`, "unsupported", "not supported", "invalid indirect expansion",
	"not implemented", "invalid format char"}

// interpComplaint returns the first stderr line that is such a complaint.
func interpComplaint(stderr []byte) string {
	for _, line := range strings.Split(string(stderr), "\n") {
		for _, c := range complaints {
			if strings.Contains(line, c) {
				return line
			}
		}
	}
	return ""
}

// lockedWriter serialises writes: the commands of a pipeline write to the
// same stream from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Bytes returns the contents; call it once the writers are done.
func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Bytes()
}
