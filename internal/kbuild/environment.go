package kbuild

import (
	"context"
	"os"
	"strings"

	"github.com/dkms-go/dkms/internal/run"
)

// environmentScript follows the lines that set dkms's own variables
// (unexported, as the file would see them in the reference's shell): it
// sources $__dkms_file in a subshell, with its output discarded, then
// prints every variable exported at its end, NUL-terminated.
const environmentScript = `(
    source "$__dkms_file" </dev/null >/dev/null 2>&1
    for __dkms_n in $(compgen -e); do
        printf '%s=%s\0' "$__dkms_n" "${!__dkms_n}"
    done
)
`

// shellOwn are variables bash itself exports or updates; they are no
// part of what a build environment file sets.
var shellOwn = map[string]bool{"SHLVL": true, "PWD": true, "OLDPWD": true, "_": true}

// SourceEnvironment applies framework.conf's build_environment (dkms
// 3.3): file is sourced by bash in a subshell, everything it prints is
// discarded, and the variables exported when it ends are returned
// (NAME=value, those new or changed), to be added to the environment of
// every command of the build. So `export X=...` and assignments to
// exported names (PATH, CC) count; unexported variables, unset and
// functions are lost; `exit` or a failure imports what was printed, as
// the reference's `source <(...; export -p)` does. vars are dkms's
// shell variables ($kernelver, $arch, $module...), which the file sees
// unexported; env is the environment the build runs with. It is meant
// for files such as a toolchain's enable script, so it takes real bash.
func SourceEnvironment(ctx context.Context, r *run.Runner, file string, vars, env []string) []string {
	var script strings.Builder
	script.WriteString("__dkms_file=$1\nset --\n")
	for _, kv := range vars {
		name, val, _ := strings.Cut(kv, "=")
		script.WriteString(name + "=" + run.Quote([]string{val}) + "\n")
	}
	script.WriteString(environmentScript)
	out, _ := r.Output(ctx, run.Cmd{Path: "bash", Args: []string{"-c", script.String(), "dkms", file}, Env: env,
		Show: "bash -c 'source " + file + "; export -p'", NoEcho: true})
	return changedVars(out, startEnv(r, env))
}

// startEnv is the environment bash starts with: the runner's, then env.
func startEnv(r *run.Runner, env []string) map[string]string {
	base := r.Env
	if base == nil {
		base = os.Environ()
	}
	m := map[string]string{}
	for _, kv := range append(append([]string(nil), base...), env...) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// changedVars parses NUL-terminated NAME=value records and keeps those
// that differ from start.
func changedVars(out []byte, start map[string]string) []string {
	var vars []string
	for _, rec := range strings.Split(string(out), "\x00") {
		name, val, ok := strings.Cut(rec, "=")
		if !ok || shellOwn[name] {
			continue
		}
		if old, had := start[name]; had && old == val {
			continue
		}
		vars = append(vars, name+"="+val)
	}
	return vars
}
