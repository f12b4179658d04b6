package conf

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/dkms-go/dkms/internal/run"
)

// bashHarness is the same algorithm as harness, for real bash: upstream's
// safe_source with its own index listing and directive handling, a real
// temp file, and deprecation notices collected in an array. The prelude
// (globals) and the call come from the same code as for the interpreter.
const bashHarness = `
safe_source() {
    local to_source_file
    to_source_file="$1"; shift
    declare -a -r export_envs=( $@ )
    local -r CR=$'\r'
    local tmpfile
    tmpfile=$(mktemp "${TMPDIR:-/tmp}/dkms.XXXXXX") || exit 99
    ( exec >"$tmpfile"
    . "$to_source_file" >/dev/null
    __dkmsgo_a=()
    for _export_env in "${!MODULES_CONF@}" "${!PATCH@}"; do
        __dkmsgo_isalias "$_export_env" && __dkmsgo_a+=("$_export_env")
    done
    for _export_env in "${export_envs[@]}" "${__dkmsgo_a[@]}"; do
        for _i in $(eval echo \${!"${_export_env}"[@]}); do
            eval echo '$_export_env[$_i]=\"${'"${_export_env}"'[$_i]%$CR}\"'
        done
    done
    for directive in $(set | grep ^DKMS_DIRECTIVE | cut -d = -f 2-3); do
        directive_name=${directive%%=*}
        directive_value=${directive#*=}
        echo "$directive_name=\"$directive_value\""
    done
    )
    . "$tmpfile"
    rm -f -- "$tmpfile"
    __dkmsgo_sourced "$to_source_file"
}

__dkmsgo_sourced() {
    [[ $__dkmsgo_mode = framework ]] && return
    if (( ${#CLEAN[@]} )); then
        case "$CLEAN" in
            true|/bin/true|/usr/bin/true) ;;
            *) __dkmsgo_depr+=("CLEAN ($1)") ;;
        esac
    fi
    local __dkmsgo_n IFS=$' \t\n'
    for __dkmsgo_n in $__dkmsgo_deprecated; do
        eval "(( \${#${__dkmsgo_n}[@]} ))" && __dkmsgo_depr+=("$__dkmsgo_n ($1)")
    done
    for __dkmsgo_n in "${!MODULES_CONF@}" "${!PATCH@}"; do
        __dkmsgo_isalias "$__dkmsgo_n" && eval "(( \${#${__dkmsgo_n}[@]} ))" && __dkmsgo_depr+=("$__dkmsgo_n ($1)")
    done
}

__dkmsgo_isalias() {
    [[ $__dkmsgo_mode != framework && $1 =~ $__dkmsgo_alias_re ]]
}

__dkmsgo_emit() {
    local IFS=$' \t\n' __dkmsgo_n __dkmsgo_i __dkmsgo_d
    printf '\0%s\0' "$__dkmsgo_marker"
    local -a __dkmsgo_list=($__dkmsgo_names)
    for __dkmsgo_n in "${!MODULES_CONF@}" "${!PATCH@}"; do
        __dkmsgo_isalias "$__dkmsgo_n" && __dkmsgo_list+=("$__dkmsgo_n")
    done
    for __dkmsgo_n in "${__dkmsgo_list[@]}"; do
        eval "for __dkmsgo_i in \"\${!${__dkmsgo_n}[@]}\"; do printf 'V\0%s\0%s\0%s\0' \"\$__dkmsgo_n\" \"\$__dkmsgo_i\" \"\${${__dkmsgo_n}[\$__dkmsgo_i]}\"; done"
    done
    for __dkmsgo_d in "${__dkmsgo_depr[@]}"; do
        printf 'D\0%s\0' "$__dkmsgo_d"
    done
}
`

// bashPath returns the bash used for the fallback, or "" for none.
func bashPath(c Context) string {
	switch c.Bash {
	case "-":
		return ""
	case "":
		p, err := exec.LookPath("bash")
		if err != nil {
			return ""
		}
		return p
	}
	return c.Bash
}

// bashScript assembles the whole program run by bash.
func (j *job) bashScript(marker string) string {
	mode := map[evalMode]string{modeAddSourceTree: "add", modeAddModule: "add", modeFramework: "framework"}[j.mode]
	var b strings.Builder
	b.WriteString("shopt -s extglob\numask 022\nunset CC CXX CFLAGS CXXFLAGS LDFLAGS\n")
	b.WriteString(j.globals(false))
	fmt.Fprintf(&b, "__dkmsgo_marker=%s\n__dkmsgo_mode=%s\ndeclare -a __dkmsgo_depr=()\n", marker, mode)
	fmt.Fprintf(&b, "__dkmsgo_deprecated=%s\n", shq(variableList(deprecatedVariables[1:]))) // CLEAN is special
	fmt.Fprintf(&b, "__dkmsgo_alias_re=%s\n", shq(aliasPattern))
	b.WriteString(harness[strings.Index(harness, "\nread_conf()"):])
	b.WriteString(bashHarness)
	b.WriteString(harnessCall[j.mode])
	b.WriteString("__dkmsgo_emit\n")
	return b.String()
}

// bash evaluates the job with bash; why is the reason the interpreter was
// not used, kept in the report.
func (j *job) bash(ctx context.Context, bash string, why error) (Values, *Report, error) {
	rep := &Report{Engine: EngineBash, Reason: why.Error()}
	marker := newMarker()
	r := j.c.Runner
	if r == nil {
		r = &run.Runner{}
	}
	rctx, cancel := context.WithTimeout(ctx, j.c.Timeout)
	defer cancel()
	var out bytes.Buffer
	err := r.Run(rctx, run.Cmd{
		Path: bash, Args: []string{"-c", j.bashScript(marker), "dkms"},
		Dir: j.dir(), Env: j.c.Environ, Stdout: &out, Stderr: j.c.Stderr,
		Show: "bash -c '<evaluate " + j.files[0] + ">'",
	})
	switch {
	case ctx.Err() != nil:
		return nil, rep, fmt.Errorf("evaluating %s with bash: %w", j.files[0], ctx.Err())
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		return nil, rep, &Error{File: j.files[0], Err: fmt.Errorf("%w after %v", ErrTimeout, j.c.Timeout)}
	}
	head, body, found := bytes.Cut(out.Bytes(), []byte("\x00"+marker+"\x00"))
	j.c.Stdout.Write(head)
	if !found && run.ExitCode(err) < 0 {
		return nil, rep, fmt.Errorf("evaluating %s with bash: %w", j.files[0], err)
	}
	if !found {
		if err == nil {
			err = errors.New("exit status 0")
		}
		return nil, rep, &Error{File: j.files[0], Err: fmt.Errorf("%w (bash: %v)", ErrExit, err)}
	}
	v, depr := parseBashOutput(body, j.names, j.mode != modeFramework)
	rep.Deprecated = depr
	return v, rep, nil
}

// parseBashOutput reads the NUL-separated records __dkmsgo_emit prints:
// the variables of names and, when aliases is set, the 2003 spellings.
func parseBashOutput(body []byte, names []string, aliases bool) (Values, []Message) {
	accepted := map[string]bool{}
	for _, n := range names {
		accepted[n] = true
	}
	f := strings.Split(string(body), "\x00")
	v := Values{}
	var depr []Message
	for i := 0; i < len(f); i++ {
		switch {
		case f[i] == "V" && i+3 < len(f):
			idx, err := strconv.Atoi(f[i+2])
			if err == nil && (accepted[f[i+1]] || aliases && isAlias(f[i+1])) {
				if v[f[i+1]] == nil {
					v[f[i+1]] = map[int]string{}
				}
				v[f[i+1]][idx] = f[i+3]
			}
			i += 3
		case f[i] == "D" && i+1 < len(f):
			name, file, _ := strings.Cut(f[i+1], " (")
			depr = append(depr, deprecation(name, strings.TrimSuffix(file, ")")))
			i++
		}
	}
	return v, depr
}

func newMarker() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "dkmsgo-" + hex.EncodeToString(b)
}
