package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
	"github.com/rogpeppe/go-internal/txtar"
)

// TestScriptRules holds every CLI and dist script to the rules that keep
// it from passing vacuously: a failing command states its exact exit
// status (`fails N`, never `! exec`, which accepts any), a skip follows
// only the scripts' own conditions (which fail under the strict switch
// instead of skipping), and each script compares at least one output of
// the command under test exactly (cmp or cmpenv).
func TestScriptRules(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*.txtar")
	if err != nil || len(files) < 70 {
		t.Fatalf("found %d scripts (%v): the glob is not looking at testdata", len(files), err)
	}
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range scriptProblems(string(a.Comment)) {
			t.Errorf("%s:%s", f, p)
		}
	}
}

var (
	// condWord matches a leading condition like [!realheaders] or [short].
	condWord = regexp.MustCompile(`^\[[^\]]*\]\s*`)
	// ownSkip are the only conditions a skip may follow (see condition).
	ownSkip = regexp.MustCompile(`^\[!(realheaders|cmd:[A-Za-z0-9_.+-]+)\]$`)
	// exactCheck is a whole-output comparison of stdout or stderr.
	exactCheck = regexp.MustCompile(`^cmp(env)?\s+(stdout|stderr)\s`)
)

// scriptProblems returns "line: problem" for each rule the script breaks.
func scriptProblems(script string) []string {
	var problems []string
	exact := false
	for i, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var conds []string
		for m := condWord.FindString(line); m != ""; m = condWord.FindString(line) {
			conds = append(conds, strings.TrimSpace(m))
			line = line[len(m):]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		switch {
		case (fields[0] == "!" || fields[0] == "?") && len(fields) > 1 && fields[1] == "exec":
			problems = append(problems, fmt.Sprintf("%d: %q accepts any exit status: use `fails CODE %s`", i+1, fields[0]+" exec", strings.Join(fields[2:], " ")))
		case fields[0] == "skip" && (len(conds) != 1 || !ownSkip.MatchString(conds[0])):
			problems = append(problems, fmt.Sprintf("%d: skip may only follow [!realheaders] or [!cmd:NAME], which fail under the strict switch", i+1))
		case exactCheck.MatchString(line):
			exact = true
		}
	}
	if !exact {
		problems = append(problems, "0: no cmp/cmpenv of stdout or stderr: compare at least one output exactly")
	}
	return problems
}

func TestScriptProblems(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		want         []string // prefixes of the problems, in order
	}{
		{"clean", "fails 2 dkms x\ncmp stderr want\n[!cmd:tar] skip\n[!realheaders] skip\n", nil},
		{"negated exec", "! exec dkms status --bogus\ncmp stdout x\n", []string{"1: \"! exec\""}},
		{"maybe exec", "cmp stdout x\n? exec dkms status\n", []string{"2: \"? exec\""}},
		{"negated exec after condition", "[linux] ! exec dkms\ncmp stdout x\n", []string{"1: \"! exec\""}},
		{"bare skip", "skip\ncmp stdout x\n", []string{"1: skip"}},
		{"builtin condition", "[!exec:tar] skip\ncmp stdout x\n", []string{"1: skip"}},
		{"short", "[short] skip\ncmp stdout x\n", []string{"1: skip"}},
		{"two conditions", "[!cmd:tar] [!realheaders] skip\ncmp stdout x\n", []string{"1: skip"}},
		{"no exact check", "exec dkms status\nstdout 'x'\n", []string{"0: no cmp"}},
		{"cmp of a file only", "cmp a b\n", []string{"0: no cmp"}},
		{"comment ignored", "# ! exec dkms\ncmpenv stderr x\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scriptProblems(tc.script)
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %d starting %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("problem %q, want prefix %q", got[i], tc.want[i])
				}
			}
		})
	}
}

// TestConditionStrict checks the scripts' conditions: a missing program
// is false (the script skips) unless the strict switch is set, when it is
// an error (the script fails).
func TestConditionStrict(t *testing.T) {
	for _, tc := range []struct {
		cond, strict string
		want         bool
		wantErr      bool
	}{
		{"cmd:sh", "", true, false},
		{"cmd:sh", "1", true, false},
		{"cmd:dkms-test-no-such-program", "", false, false},
		{"cmd:dkms-test-no-such-program", "1", false, true},
		{"cmd:", "", false, true},
		{"exec:sh", "", false, true},
	} {
		t.Run(tc.cond+"/"+tc.strict, func(t *testing.T) {
			t.Setenv(testenv.StrictEnv, tc.strict)
			got, err := condition(tc.cond)
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("condition(%q) = %v, %v; want %v, error %v", tc.cond, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
