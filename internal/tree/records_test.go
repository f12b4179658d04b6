package tree

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dkms-go/dkms/internal/run"
)

func mkfile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newLayout(t *testing.T) Layout {
	root := t.TempDir()
	return Layout{DKMS: filepath.Join(root, "dkms"), Source: filepath.Join(root, "src"), Install: filepath.Join(root, "modules")}
}

// TestBuildRecordFormat pins the JSON of a build record: trees written by
// earlier releases must stay readable.
func TestBuildRecordFormat(t *testing.T) {
	rec := BuildRecord{ConfHash: "ab", Modules: []RecordedModule{{DestName: "foo", DestLocation: "/updates"}}}
	const want = `{"conf_sha256":"ab","modules":[{"DestName":"foo","DestLocation":"/updates"}]}`
	if got := string(rec.Encode()); got != want {
		t.Fatalf("Encode = %s, want %s", got, want)
	}
	l := newLayout(t)
	if l.ReadBuildRecord("foo", "1", "6.1", "x86_64") != nil {
		t.Error("a missing record reads as non-nil")
	}
	mkfile(t, filepath.Join(l.Built("foo", "1", "6.1", "x86_64"), BuildRecordName), want)
	if got := l.ReadBuildRecord("foo", "1", "6.1", "x86_64"); !reflect.DeepEqual(got, &rec) {
		t.Errorf("ReadBuildRecord = %+v, want %+v", got, rec)
	}
	mkfile(t, filepath.Join(l.Built("foo", "1", "6.2", "x86_64"), BuildRecordName), "{")
	if l.ReadBuildRecord("foo", "1", "6.2", "x86_64") != nil {
		t.Error("a corrupt record reads as non-nil")
	}
}

func TestDepRecord(t *testing.T) {
	l := newLayout(t)
	mkfile(t, filepath.Join(l.Built("foo", "1", "6.1", "x86_64"), DepRecordName("bar")), "2.0\n")
	for _, tc := range []struct {
		dep, want string
		ok        bool
	}{{"bar", "2.0", true}, {"baz", "", false}} {
		if got, ok := l.DepRecord("foo", "1", "6.1", "x86_64", tc.dep); got != tc.want || ok != tc.ok {
			t.Errorf("DepRecord(%s) = %q, %v; want %q, %v", tc.dep, got, ok, tc.want, tc.ok)
		}
	}
}

// TestFailureRecords records, lists and clears failures through the
// Runner, which counts one side effect per change and none for a clear
// with nothing to clear.
func TestFailureRecords(t *testing.T) {
	l := newLayout(t)
	r := run.New(nil, nil)
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	if err := l.RecordFailure(r, "foo", "1", "6.1-1", "x86_64", 10, now); err != nil || r.Steps() != 0 {
		t.Fatalf("a version not in the tree: err %v, %d steps, want none", err, r.Steps())
	}
	mkfile(t, filepath.Join(l.BuildDir("foo", "1"), "make.log"), "")
	if err := l.RecordFailure(r, "foo", "1", "6.1-1", "x86_64", 10, now); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordFailure(r, "foo", "1", "6.2", "arm64", 7, now); err != nil {
		t.Fatal(err)
	}
	want := []Failure{
		{Kernel: "6.1-1", Arch: "x86_64", Text: "2024-05-01T10:00:00Z exit 10 log " + filepath.Join(l.BuildDir("foo", "1"), "make.log")},
		{Kernel: "6.2", Arch: "arm64", Text: "2024-05-01T10:00:00Z exit 7 log " + filepath.Join(l.BuildDir("foo", "1"), "make.log")},
	}
	if got := l.Failures("foo", "1"); !reflect.DeepEqual(got, want) {
		t.Errorf("Failures = %+v, want %+v", got, want)
	}
	steps := r.Steps()
	l.ClearFailure(r, "foo", "1", "6.3", "x86_64")
	if r.Steps() != steps {
		t.Error("clearing a missing record counted a side effect")
	}
	l.ClearFailure(r, "foo", "1", "6.1-1", "x86_64")
	if r.Steps() != steps+1 || len(l.Failures("foo", "1")) != 1 {
		t.Errorf("ClearFailure: %d steps, failures %v", r.Steps()-steps, l.Failures("foo", "1"))
	}
}

func TestDepmodMarkers(t *testing.T) {
	l := newLayout(t)
	for _, ka := range [][2]string{{"6.1.0-1-amd64", "x86_64"}, {"6.1.0-1-amd64", "i386"}, {"6.12.1", "x86_64"}} {
		mkfile(t, l.DepmodMarker(ka[0], ka[1]), "")
	}
	if got := l.DepmodMarker("6.1", "x86_64"); got != filepath.Join(l.DKMS, "depmod-pending-6.1-x86_64") {
		t.Errorf("DepmodMarker = %s", got)
	}
	var all []string
	for _, mk := range l.DepmodMarkers("") {
		all = append(all, mk.Kernel+"/"+mk.Arch)
	}
	if want := []string{"6.1.0-1-amd64/i386", "6.1.0-1-amd64/x86_64", "6.12.1/x86_64"}; !reflect.DeepEqual(all, want) {
		t.Errorf("DepmodMarkers(\"\") = %v, want %v", all, want)
	}
	if got := l.DepmodMarkers("6.1.0-1-amd64"); len(got) != 2 {
		t.Errorf("DepmodMarkers(6.1.0-1-amd64) = %v, want 2", got)
	}
	if got := l.DepmodMarkers("6.1"); len(got) != 0 {
		t.Errorf("DepmodMarkers(6.1) = %v: a prefix of a kernel is another kernel", got)
	}
}

// TestTemporaries lists what recovery deletes and doctor reports.
func TestTemporaries(t *testing.T) {
	l := newLayout(t)
	tmp := ".dkms-tmp-x"
	found := []string{
		filepath.Join(l.DKMS, tmp),
		filepath.Join(l.DKMS, "foo", tmp),
		filepath.Join(l.DKMS, "foo", "1", "6.1", "x86_64", "module", tmp),
		filepath.Join(l.DKMS, "foo", "1", "6.1", ".tmp_x86_64_abc") + "/",
		filepath.Join(l.Source, tmp),
		filepath.Join(l.Install, "6.1", "updates", "dkms", tmp),
		filepath.Join(l.Install, "6.1", "addon", tmp),
	}
	ignored := []string{
		filepath.Join(l.DKMS, "foo", "1", "build", tmp),              // a source copy
		filepath.Join(l.DKMS, "foo", "1", "6.1", "x86_64", ".tmp_x"), // not a staging dir
		filepath.Join(l.Source, "foo-1", tmp),
		filepath.Join(l.Install, "6.1", "kernel", "drivers", tmp),
	}
	for _, p := range append(append([]string(nil), found...), ignored...) {
		if strings.HasSuffix(p, "/") {
			os.MkdirAll(p, 0o755)
			continue
		}
		mkfile(t, p, "")
	}
	var want []string
	for _, p := range found {
		want = append(want, strings.TrimSuffix(p, "/"))
	}
	got := l.Temporaries("addon")
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Temporaries =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
