package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/status"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestStatusJSONSchema checks `status --json` output of a tree holding
// every state (added, built, installed with an original, broken, a failed
// build, and installed-weak on a RHEL-family system) against
// docs/status.schema.json.
func TestStatusJSONSchema(t *testing.T) {
	bin := dkmsBinary(t)
	s := newSandbox(t, bin)
	for _, m := range []string{"hello", "other", "gone", "bad"} {
		s.addSource(m)
	}
	s.addOriginal("hello")
	s.mustDkms("install", "hello/1.0", "-k", fakeK, "-a", "x86_64")
	s.mustDkms("build", "other/1.0", "-k", fakeK, "-a", "x86_64")
	s.mustDkms("add", "gone/1.0")
	must(t, os.RemoveAll(filepath.Join(s.root, "src", "gone-1.0")))
	must(t, os.WriteFile(filepath.Join(s.root, "src", "bad-1.0", "bad.c"), []byte("not C"), 0o644))
	if out, err := s.dkms(nil, "build", "bad/1.0", "-k", fakeK, "-a", "x86_64"); err == nil {
		t.Fatalf("broken build succeeded:\n%s", out)
	}
	// hello linked into a second kernel as Rocky's weak-modules does
	weak := filepath.Join(s.root, "modules", "6.1.1-fake", "weak-updates")
	must(t, os.MkdirAll(weak, 0o755))
	must(t, os.Symlink(filepath.Join(s.root, "modules", fakeK, "updates", "dkms", "hello.ko"), filepath.Join(weak, "hello.ko")))
	sys := filepath.Join(s.root, "sys", "etc")
	must(t, os.MkdirAll(sys, 0o755))
	must(t, os.WriteFile(filepath.Join(sys, "os-release"), []byte("ID=rocky\nID_LIKE=\"rhel centos fedora\"\n"), 0o644))
	s.env = append(s.env, envSysRoot+"="+filepath.Join(s.root, "sys"))
	out, err := s.dkms(nil, "status", "--json")
	if err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	out = out[strings.Index(out, "{"):] // the broken entry's error block comes first on stderr
	sch, err := jsonschema.NewCompiler().Compile("../../docs/status.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("status --json does not match the schema: %v\n%s", err, out)
	}
	var st struct{ Modules []status.Entry }
	must(t, json.Unmarshal([]byte(out), &st))
	states := map[string]bool{}
	for _, e := range st.Modules {
		states[string(e.State)] = true
	}
	for _, want := range []string{"added", "built", "installed", "broken", "installed-weak"} {
		if !states[want] {
			t.Errorf("no %s entry in:\n%s", want, out)
		}
	}
}
