package status

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/tree"
)

type fx struct {
	t    *testing.T
	l    tree.Layout
	root string
}

func newFx(t *testing.T) *fx {
	root := t.TempDir()
	return &fx{t: t, root: root, l: tree.Layout{DKMS: filepath.Join(root, "dkms"), Source: filepath.Join(root, "src"), Install: filepath.Join(root, "modules")}}
}

func (f *fx) file(p, content string) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fx) link(target, p string) {
	f.t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.Symlink(target, p); err != nil {
		f.t.Fatal(err)
	}
}

// added adds m/v; built builds it for K/A with one module file.
func (f *fx) added(m, v string) {
	f.file(filepath.Join(f.l.SourceDir(m, v), "dkms.conf"), "")
	f.link(f.l.SourceDir(m, v), f.l.SourceLink(m, v))
}

func (f *fx) built(m, v, k, a, content string) {
	f.file(filepath.Join(f.l.BuiltModules(m, v, k, a), m+".ko"), content)
}

func (f *fx) installed(m, v, k, a string) {
	f.link(filepath.Join(v, k, a), f.l.KernelLink(m, k, a))
}

func line(entries []Entry) string {
	var out []string
	for _, e := range entries {
		s := e.Module + "/" + e.Version
		if e.Kernel != "" {
			s += "," + e.Kernel + "," + e.Arch
		}
		s += ":" + string(e.State)
		for _, fl := range []struct {
			on   bool
			name string
		}{{e.Original, "O"}, {e.Missing, "M"}, {e.Differs, "D"}} {
			if fl.on {
				s += "+" + fl.name
			}
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestEntries(t *testing.T) {
	f := newFx(t)
	f.added("aa", "1")
	f.added("bb", "1")
	f.built("bb", "1", "6.1", "x86_64", "x")
	f.built("bb", "1", "6.2", "x86_64", "x")
	f.built("bb", "1", "6.2", "arm64", "x")
	f.installed("bb", "1", "6.2", "x86_64")
	f.file(filepath.Join(f.l.SourceDir("cc", "1"), "dkms.conf"), "")
	f.link(filepath.Join(f.root, "gone"), f.l.SourceLink("cc", "1")) // broken
	os.MkdirAll(f.l.Version("dd", "1"), 0o755)                       // neither added nor broken
	tests := []struct {
		m, v, k, a string
		want       string
	}{
		{want: "aa/1:added bb/1,6.1,x86_64:built bb/1,6.2,arm64:built bb/1,6.2,x86_64:installed cc/1:broken"},
		{m: "bb", k: "6.2", want: "bb/1,6.2,arm64:built bb/1,6.2,x86_64:installed"},
		{m: "bb", k: "6.2", a: "arm64", want: "bb/1,6.2,arm64:built"},
		{m: "bb", a: "x86_64", want: "bb/1,6.1,x86_64:built bb/1,6.2,x86_64:installed"},
		{k: "6.3", want: "aa/1:added bb/1:added cc/1:broken"},
		{m: "aa", v: "2", want: ""},
	}
	for _, tt := range tests {
		if got := line(Entries(f.l, tt.m, tt.v, tt.k, tt.a)); got != tt.want {
			t.Errorf("Entries(%q, %q, %q, %q) =\n%s\nwant\n%s", tt.m, tt.v, tt.k, tt.a, got, tt.want)
		}
	}
}

// checker returns a Checker whose conf evaluation gives the modules
// named in mods (none: the conf cannot be read) and counts its calls.
func (f *fx) checker(mods []string, calls *atomic.Int32, confText string) *Checker {
	confFile := filepath.Join(f.root, "etc", "dkms.conf")
	f.file(confFile, confText)
	return &Checker{
		Layout:  f.l,
		Install: &install.Env{Layout: f.l, Runner: run.New(nil, nil)},
		Files:   func(e *Entry) []string { return []string{confFile} },
		Modules: func(e *Entry, stderr io.Writer) ([]install.Module, bool) {
			calls.Add(1)
			io.WriteString(stderr, "read "+e.Kernel+"\n")
			var out []install.Module
			for _, m := range mods {
				out = append(out, install.Module{DestName: m, DestLocation: "/updates"})
			}
			return out, len(mods) > 0
		},
		Workers: 4,
	}
}

func TestFlags(t *testing.T) {
	f := newFx(t)
	f.added("bb", "1")
	f.built("bb", "1", "6.1", "x86_64", "built")
	f.installed("bb", "1", "6.1", "x86_64")
	f.file(filepath.Join(f.l.KernelDir("6.1"), "updates", "bb.ko"), "other") // no manifest: found where the reference looks
	f.built("bb", "1", "6.2", "x86_64", "built")
	f.installed("bb", "1", "6.2", "x86_64")
	f.file(filepath.Join(f.l.KernelDir("6.2"), "updates", "bb.ko"), "built")
	f.file(filepath.Join(f.l.Originals("bb", "6.2", "x86_64"), "bb.ko"), "orig")
	f.built("bb", "1", "6.3", "x86_64", "built")
	tests := []struct {
		name  string
		mods  []string
		want  string
		reads int // entries that show what evaluating their conf printed
	}{
		{name: "differs, same with original, built", mods: []string{"bb"}, reads: 3,
			want: "bb/1,6.1,x86_64:installed+D bb/1,6.2,x86_64:installed+O bb/1,6.3,x86_64:built"},
		{name: "a module not built", mods: []string{"bb", "zz"}, reads: 3,
			want: "bb/1,6.1,x86_64:installed+D bb/1,6.2,x86_64:installed+O+M bb/1,6.3,x86_64:built+M"},
		{name: "unreadable conf: no module flags", mods: nil, reads: 3,
			want: "bb/1,6.1,x86_64:installed bb/1,6.2,x86_64:installed+O bb/1,6.3,x86_64:built"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			entries := Entries(f.l, "", "", "", "")
			f.checker(tt.mods, &calls, "BUILT_MODULE_NAME[0]=bb\n").Flag(entries)
			if got := line(entries); got != tt.want {
				t.Errorf("flags =\n%s\nwant\n%s", got, tt.want)
			}
			reads := 0
			for _, e := range entries {
				if got := string(e.Stderr); got == "read "+e.Kernel+"\n" {
					reads++
				} else if got != "" {
					t.Errorf("%s's stderr = %q", e.Kernel, got)
				}
			}
			if reads != tt.reads {
				t.Errorf("%d entries show their conf's output, want %d", reads, tt.reads)
			}
		})
	}
}

// TestBuildRecord checks that a current build record spares the conf
// evaluation and a stale one does not.
func TestBuildRecord(t *testing.T) {
	f := newFx(t)
	f.added("bb", "1")
	f.built("bb", "1", "6.1", "x86_64", "x")
	var calls atomic.Int32
	c := f.checker([]string{"bb"}, &calls, "BUILT_MODULE_NAME[0]=bb\n")
	files := c.Files(nil)
	record := func(hash string) {
		rec := tree.BuildRecord{ConfHash: hash, Modules: []tree.RecordedModule{{DestName: "missing"}}}
		f.file(filepath.Join(f.l.Built("bb", "1", "6.1", "x86_64"), tree.BuildRecordName), string(rec.Encode()))
	}
	record(confHash(files))
	entries := Entries(f.l, "", "", "", "")
	c.Flag(entries)
	if calls.Load() != 0 || !entries[0].Missing {
		t.Errorf("with a current record: %d evaluations, flags %s", calls.Load(), line(entries))
	}
	record("stale")
	entries = Entries(f.l, "", "", "", "")
	c.Flag(entries)
	if calls.Load() != 1 || entries[0].Missing {
		t.Errorf("with a stale record: %d evaluations, flags %s", calls.Load(), line(entries))
	}
}

func TestDocumentAndFailures(t *testing.T) {
	b, err := Document(nil)
	if err != nil || string(b) != "{\n  \"format_version\": 1,\n  \"modules\": []\n}" {
		t.Errorf("Document(nil) = %s, %v", b, err)
	}
	f := newFx(t)
	f.added("bb", "1")
	f.built("bb", "1", "6.1", "x86_64", "x")
	r := run.New(nil, nil)
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	f.l.RecordFailure(r, "bb", "1", "6.1", "x86_64", 10, now)
	f.l.RecordFailure(r, "bb", "1", "6.2", "x86_64", 11, now)
	all := Entries(f.l, "", "", "", "")
	all = append(all, Entry{Module: "bb", Version: "1", State: Added})
	AddFailures(f.l, all)
	if len(all[0].Failures) != 1 || all[0].Failures[0].Kernel != "6.1" || len(all[1].Failures) != 2 {
		t.Errorf("failures: %+v", all)
	}
	b, _ = Document(all[:1])
	if !bytes.Contains(b, []byte(`"last_failure": "2024-01-02T03:04:05Z exit 10"`)) || bytes.Contains(b, []byte("Stderr")) {
		t.Errorf("Document:\n%s", b)
	}
}

func confHash(files []string) string { return conf.HashFiles(files) }
