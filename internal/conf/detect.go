package conf

import (
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// detect walks a parsed file for constructs that mvdan.cc/sh v3.14.1
// evaluates differently from bash (notes L6-L10). Each one found makes
// Eval use bash instead, so no value is silently wrong. Constructs whose
// arguments are only known at run time are checked by checkCall.
func detect(f *syntax.File) error {
	arrays := arrayNames(f)
	usesRematch := mentions(f, "BASH_REMATCH")
	var err error
	syntax.Walk(f, func(n syntax.Node) bool {
		if err != nil {
			return false
		}
		switch n := n.(type) {
		case *syntax.DeclClause:
			err = checkDecl(n)
		case *syntax.ParamExp:
			err = checkParamExp(n)
			if err == nil {
				err = checkIndexList(n, arrays)
			}
		case *syntax.CoprocClause:
			err = errorAt(n, "coproc")
		case *syntax.TestClause:
			err = checkTest(n)
		case *syntax.BinaryTest:
			err = checkRegexp(n, usesRematch)
		case *syntax.LetClause:
			err = checkLet(n)
		}
		return err == nil
	})
	return err
}

// errorAt returns an unsupported-construct error at a node; the caller
// fills in the file.
func errorAt(n syntax.Node, format string, args ...any) error {
	return &Error{Line: int(n.Pos().Line()), Err: unsupportedf(format, args...)}
}

// declFlags are the declare/local/typeset flags the interpreter implements
// as bash does; -A (notes L10) and -r (not enforced, mvdan/sh#1392) are
// left out on purpose.
const declFlags = "xagnfp"

// checkDecl rejects declare flags the interpreter lacks (notes L6).
func checkDecl(d *syntax.DeclClause) error {
	if d.Variant.Value == "readonly" {
		return errorAt(d, "readonly")
	}
	for _, as := range d.Args {
		if !as.Naked || as.Value == nil {
			continue
		}
		pre := wordPrefix(as.Value)
		if !strings.HasPrefix(pre, "-") && !strings.HasPrefix(pre, "+") {
			continue
		}
		lit := as.Value.Lit()
		if lit == "" || lit[0] == '+' || d.Variant.Value == "export" || strings.Trim(lit[1:], declFlags) != "" {
			return errorAt(as, "%s %s", d.Variant.Value, pre)
		}
	}
	return nil
}

// wordPrefix is the literal start of a word, for messages and flag checks.
func wordPrefix(w *syntax.Word) string {
	if len(w.Parts) == 0 {
		return ""
	}
	if l, ok := w.Parts[0].(*syntax.Lit); ok {
		return l.Value
	}
	return "$..."
}

// unsupportedParams are bash variables that reflect live shell state the
// interpreter does not keep (notes L4, L9).
var unsupportedParams = map[string]bool{
	"-": true, "PIPESTATUS": true, "SHELLOPTS": true, "BASHOPTS": true,
	"FUNCNAME": true, "BASH_LINENO": true, "BASH_ARGV": true, "BASH_ARGC": true,
	"BASH_COMMAND": true, "BASH_SUBSHELL": true, "BASHPID": true,
	"BASH_ALIASES": true, "BASH_CMDS": true, "EPOCHSECONDS": true,
	"EPOCHREALTIME": true, "LINENO": true, "BASH": true, "BASH_EXECUTION_STRING": true,
	"HISTCMD": true, "GROUPS": true, "HOSTNAME": true, "BASH_ARGV0": true,
	"BASH_COMPAT": true, "BASH_XTRACEFD": true, "GLOBIGNORE": true, "TIMEFORMAT": true,
	"SECONDS": true,
}

// checkParamExp rejects the ${...} forms the interpreter gets wrong
// (notes L7, L9): extglob in patterns, anchored and escaped replacements,
// ${x@op}, and bash's state variables.
func checkParamExp(p *syntax.ParamExp) error {
	if p.Param != nil && unsupportedParams[p.Param.Value] {
		return errorAt(p, "$%s", p.Param.Value)
	}
	if p.Repl != nil {
		if err := checkPattern(p, p.Repl.Orig, true); err != nil {
			return err
		}
		if p.Repl.With != nil && strings.Contains(wordSource(p.Repl.With), `\/`) {
			return errorAt(p, `escaped / in a ${.../.../...} replacement`)
		}
	}
	if p.Exp != nil {
		switch p.Exp.Op {
		case syntax.OtherParamOps:
			return errorAt(p, "${...@op}")
		case syntax.RemSmallPrefix, syntax.RemLargePrefix, syntax.RemSmallSuffix,
			syntax.RemLargeSuffix, syntax.UpperFirst, syntax.UpperAll,
			syntax.LowerFirst, syntax.LowerAll:
			return checkPattern(p, p.Exp.Word, false)
		}
	}
	return nil
}

// checkPattern rejects patterns with extglob groups and, for
// replacements, the # and % anchors.
func checkPattern(p *syntax.ParamExp, w *syntax.Word, repl bool) error {
	if w == nil {
		return nil
	}
	src := wordSource(w)
	if repl && (strings.HasPrefix(src, "#") || strings.HasPrefix(src, "%")) {
		return errorAt(p, "anchored pattern in ${.../%s...}", src[:1])
	}
	for _, op := range []string{"@(", "+(", "*(", "?(", "!("} {
		if strings.Contains(src, op) {
			return errorAt(p, "extglob pattern %q inside ${...}", src)
		}
	}
	return nil
}

// wordSource prints a word back to shell text.
func wordSource(w *syntax.Word) string {
	var b strings.Builder
	_ = syntax.NewPrinter().Print(&b, w)
	return b.String()
}

// checkTest rejects [[ -v a[i] ]] (notes L3: wrong on element-assigned
// arrays).
func checkTest(t *syntax.TestClause) error {
	var err error
	syntax.Walk(t.X, func(n syntax.Node) bool {
		u, ok := n.(*syntax.UnaryTest)
		if ok && u.Op == syntax.TsVarSet {
			if w, ok := u.X.(*syntax.Word); ok && strings.Contains(wordSource(w), "[") {
				err = errorAt(u, "[[ -v %s ]]", wordSource(w))
			}
		}
		return err == nil
	})
	return err
}

// unsupportedBuiltins are bash builtins the interpreter does not implement
// (notes L8).
var unsupportedBuiltins = map[string]bool{
	"bind": true, "caller": true, "compgen": true, "complete": true, "compopt": true,
	"disown": true, "enable": true, "fc": true, "history": true, "jobs": true,
	"logout": true, "suspend": true, "ulimit": true, "umask": true, "fg": true, "bg": true,
}

// supportedShopt are the shopt options the interpreter implements.
var supportedShopt = map[string]bool{
	"dotglob": true, "expand_aliases": true, "extglob": true,
	"globstar": true, "nocaseglob": true, "nullglob": true,
}

// checkCall checks a simple command's expanded arguments for builtin
// features the interpreter lacks (notes L8).
func checkCall(args []string) error {
	switch name := args[0]; {
	case unsupportedBuiltins[name]:
		return unsupportedf("builtin %s", name)
	case name == "printf":
		return checkPrintf(args[1:])
	case name == "shopt":
		return checkShopt(args[1:])
	case name == "set":
		return checkSet(args[1:])
	case name == "read":
		return checkFlags("read", args[1:], "rsap")
	case name == "trap":
		return checkTrap(args[1:])
	case name == "mapfile" || name == "readarray":
		return checkFlags(name, args[1:], "td")
	case name == "cd":
		// The interpreter's cd takes no options and at most one operand.
		if len(args) > 2 || (len(args) == 2 && strings.HasPrefix(args[1], "-") && args[1] != "-") {
			return unsupportedf("cd %s", strings.Join(args[1:], " "))
		}
	}
	return nil
}

func checkPrintf(args []string) error {
	if len(args) > 0 && strings.HasPrefix(args[0], "-v") {
		return unsupportedf("printf -v")
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) > 0 && !printfFormatOK(args[0]) {
		return unsupportedf("printf format %q", args[0])
	}
	return nil
}

// printfConversion matches the conversions the interpreter's printf
// implements: at most one of - + or space, a width, and one of s b d i u o
// x c (no precision, %f, %q, %(...)T, * or #).
var printfConversion = regexp.MustCompile(`%(?:%|[-+ ]?[0-9]*[sbdiuoxc])`)

func printfFormatOK(format string) bool {
	return !strings.Contains(printfConversion.ReplaceAllString(format, ""), "%")
}

func checkShopt(args []string) error {
	for _, a := range args {
		switch {
		case a == "-s" || a == "-u":
		case strings.HasPrefix(a, "-"):
			return unsupportedf("shopt %s", a)
		case !supportedShopt[a]:
			return unsupportedf("shopt option %s", a)
		}
	}
	return nil
}

// posixSetOptions are the set -o names the interpreter implements.
var posixSetOptions = map[string]bool{
	"allexport": true, "errexit": true, "noexec": true, "noglob": true,
	"nounset": true, "xtrace": true, "pipefail": true,
}

func checkSet(args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--" || a == "-" || (a[0] != '-' && a[0] != '+'):
			return nil
		case a == "-o" || a == "+o":
			if i+1 < len(args) && !posixSetOptions[args[i+1]] {
				return unsupportedf("set %s %s", a, args[i+1])
			}
			i++
		case strings.Trim(a[1:], "aefnux") != "":
			return unsupportedf("set %s", a)
		}
	}
	return nil
}

// checkFlags rejects options of name outside the letters it supports.
func checkFlags(name string, args []string, letters string) error {
	for _, a := range args {
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			return nil
		}
		if strings.Trim(a[1:], letters) != "" {
			return unsupportedf("%s %s", name, a)
		}
		if strings.ContainsAny(a, "pd") { // -p and -d take a value
			return nil
		}
	}
	return nil
}

// checkTrap rejects traps the interpreter does not run as bash does; an
// EXIT trap in the conf's subshell would write into the written-back lines.
func checkTrap(args []string) error {
	for _, a := range args {
		switch a {
		case "DEBUG", "RETURN", "EXIT", "0":
			return unsupportedf("trap %s", a)
		}
	}
	return nil
}

// checkLet rejects quoted let expressions: the interpreter ignores
// `let "m = n + 2"` without a word of complaint.
func checkLet(l *syntax.LetClause) error {
	var err error
	for _, x := range l.Exprs {
		syntax.Walk(x, func(n syntax.Node) bool {
			switch n.(type) {
			case *syntax.DblQuoted, *syntax.SglQuoted:
				err = errorAt(l, "quoted let expression")
			}
			return err == nil
		})
	}
	return err
}

// arrayNames returns, for each variable the file assigns, whether every
// assignment makes it an array (NAME=(...), NAME[i]=..., read -a NAME,
// declare -a NAME); a plain NAME=value maps it to false.
func arrayNames(f *syntax.File) map[string]bool {
	names := map[string]bool{}
	note := func(name string, array bool) {
		if prev, ok := names[name]; ok {
			array = array && prev
		}
		names[name] = array
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Assign:
			if n.Name != nil && !n.Naked {
				note(n.Name.Value, n.Array != nil || n.Index != nil)
			}
		case *syntax.DeclClause:
			noteDeclArrays(n, note)
		case *syntax.CallExpr:
			noteReadArrays(n, note)
		}
		return true
	})
	return names
}

// noteDeclArrays records `declare -a NAME` without a value.
func noteDeclArrays(d *syntax.DeclClause, note func(string, bool)) {
	isArray := false
	for _, as := range d.Args {
		if as.Naked && as.Value != nil && strings.HasPrefix(wordPrefix(as.Value), "-") {
			isArray = isArray || strings.Contains(as.Value.Lit(), "a")
		} else if as.Naked && as.Name != nil && isArray {
			note(as.Name.Value, true)
		}
	}
}

// noteReadArrays records the arrays filled by read -a, mapfile and readarray.
func noteReadArrays(c *syntax.CallExpr, note func(string, bool)) {
	if len(c.Args) < 2 {
		return
	}
	switch c.Args[0].Lit() {
	case "read":
		for i, w := range c.Args[1:] {
			if l := w.Lit(); strings.HasPrefix(l, "-") && strings.Contains(l, "a") && i+2 < len(c.Args) {
				note(c.Args[i+2].Lit(), true)
			}
		}
	case "mapfile", "readarray":
		note(c.Args[len(c.Args)-1].Lit(), true)
	}
}

// checkIndexList rejects ${!NAME[@]} unless the file only ever assigns
// NAME as an array (notes L1: the interpreter reads it as ${!NAME} on a
// scalar and fails on an unset name).
func checkIndexList(p *syntax.ParamExp, arrays map[string]bool) error {
	if !p.Excl || p.Index == nil || p.Param == nil {
		return nil
	}
	w, ok := p.Index.(*syntax.Word)
	if !ok || (w.Lit() != "@" && w.Lit() != "*") {
		return nil
	}
	if !arrays[p.Param.Value] {
		return errorAt(p, "${!%s[%s]} on a variable not known to be an array", p.Param.Value, w.Lit())
	}
	return nil
}

// checkRegexp rejects [[ x =~ re ]] patterns whose meaning differs between
// Go's RE2, which the interpreter uses, and bash's POSIX ERE:
// back-references and GNU word anchors, literal patterns RE2 rejects, and
// alternations whose submatches are read (POSIX takes the longest match).
func checkRegexp(b *syntax.BinaryTest, usesRematch bool) error {
	if b.Op != syntax.TsReMatch {
		return nil
	}
	w, ok := b.Y.(*syntax.Word)
	if !ok {
		return nil
	}
	src := wordSource(w)
	switch {
	case ereOnly.MatchString(src):
		return errorAt(b, "back-reference or word anchor in =~ %s", src)
	case usesRematch && strings.Contains(src, "|"):
		return errorAt(b, "alternation in =~ %s with BASH_REMATCH", src)
	case w.Lit() != "":
		if _, err := regexp.Compile(w.Lit()); err != nil {
			return errorAt(b, "=~ %s: %v", src, err)
		}
	}
	return nil
}

// ereOnly matches the ERE escapes RE2 lacks: \1-\9, \< and \>.
var ereOnly = regexp.MustCompile(`\\[1-9<>]`)

// mentions reports whether a parameter named name appears in f.
func mentions(f *syntax.File, name string) bool {
	found := false
	syntax.Walk(f, func(n syntax.Node) bool {
		if p, ok := n.(*syntax.ParamExp); ok && p.Param != nil && p.Param.Value == name {
			found = true
		}
		return !found
	})
	return found
}
