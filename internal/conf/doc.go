// Package conf evaluates dkms.conf and framework.conf files the way upstream
// dkms 3.4.3 does (its read_conf is 3.2.2's but for the per-module
// BUILD_EXCLUSIVE_* and the OBSOLETE_BY notice), turns the values into a
// typed Config, and validates them.
//
// A conf file is a bash fragment, so it is run by a real shell interpreter
// (mvdan.cc/sh/v3/interp) inside a harness that reproduces upstream's
// read_conf/safe_source (tools/README.md, "How a file is read"): each file is
// sourced in a subshell from inside a function with its stdout discarded,
// the accepted variables are written back as NAME[i]="VALUE" lines by an
// unquoted echo (so word splitting and globbing apply), DKMS_DIRECTIVE*
// variables add lines, and the parent sources the lines, so every value is
// expanded twice. Later files see the earlier values.
//
// The interpreter differs from bash in known ways (shared notes L1-L11).
// The harness works around the ones real files need:
//   - L1: array indices are listed in Go (__dkmsgo_indices), keeping
//     upstream's `eval echo` so IFS, set -f and a redefined echo still act;
//   - L2: `a[i]+=v` is rewritten to `a[i]="${a[i]}"v` in every sourced
//     file and eval string;
//   - L3: a variable is set when it has elements, whatever its flag says;
//   - L4: BASH_SOURCE is pushed and popped around each sourced file;
//   - L5: a syntax error in the written-back lines keeps the complete
//     statements before it, as bash runs them.
//
// Every other known difference is detected (detect.go: declare -u/-l/-i/-A/-r,
// readonly, printf -v and unsupported formats, extglob and anchors inside
// ${...}, ${x@op}, ${!x[@]} on a name not known to be an array, failglob and
// other shopt/set options, bash's state variables, unsupported builtins and
// options, EXIT traps, regexps RE2 reads differently, quoted let, syntax the
// parser rejects) or recognised from the interpreter's complaints on stderr,
// and the files are then evaluated by bash with the same algorithm
// (bash.go). Without bash, Eval fails with an *Error naming the file and
// line: a value is never silently wrong.
//
// Ours: the 2003 spellings PATCH0, PATCH_<pattern> and MODULES_CONF0, which
// upstream ignores, are written back too and folded into the array forms
// (alias.go).
//
// Known gaps, tagged TODO(compat) where they live: glob results and
// [[ < ]] use byte order where bash uses the locale's collation; umask 022
// is process-wide and left to the caller; BASH_SOURCE is not popped after a
// `return` in a sourced file; FUNCNAME, $0 and set -x traces show this
// harness, not upstream; error messages use the interpreter's wording.
//
// This package prints nothing: what the conf writes goes to the writers in
// Context, and messages are returned as data (Message, Report).
package conf
