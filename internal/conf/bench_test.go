package conf

import (
	"path/filepath"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

// BenchmarkEval measures a typical conf (seven assignments, no commands)
// evaluated in-process, everything included: runner, harness, subshell,
// write-back, second expansion.
func BenchmarkEval(b *testing.B) {
	benchmarkEval(b, false)
}

// BenchmarkEvalBash measures the same conf through the bash fallback (one
// bash process plus its mktemp).
func BenchmarkEvalBash(b *testing.B) {
	benchmarkEval(b, true)
}

func benchmarkEval(b *testing.B, bash bool) {
	f, err := filepath.Abs(filepath.Join("testdata", "typical.conf"))
	if err != nil {
		b.Fatal(err)
	}
	c := testContext()
	c.PreferBash = bash
	if bash && bashPath(c) == "" {
		testenv.Skipf(b, "bash not installed")
	}
	for b.Loop() {
		v, err := Eval(b.Context(), []string{f}, c)
		if err != nil || v.Str(PackageName) != "broadcom-wl" {
			b.Fatalf("Eval: %v %v", v, err)
		}
	}
}
