package conf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// loaderFixture is a dkms tree with module foo/1.0 added (its source link
// pointing at ST/foo-1.0) and an override directory.
type loaderFixture struct {
	l            *Loader
	dkms, src    string
	confDir, mod string
}

func newLoaderFixture(t *testing.T, conf string) *loaderFixture {
	t.Helper()
	root := t.TempDir()
	f := &loaderFixture{dkms: filepath.Join(root, "dkms"), src: filepath.Join(root, "src"), confDir: filepath.Join(root, "etc")}
	f.mod = filepath.Join(f.src, "foo-1.0")
	for _, d := range []string{f.mod, filepath.Join(f.dkms, "foo", "1.0"), f.confDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(f.mod, filepath.Join(f.dkms, "foo", "1.0", "source")); err != nil {
		t.Fatal(err)
	}
	f.write(t, filepath.Join(f.mod, "dkms.conf"), conf)
	f.l = &Loader{
		Base:    Context{DkmsTree: f.dkms, SourceTree: f.src, InstallTree: filepath.Join(root, "modules"), Environ: []string{"PATH=" + os.Getenv("PATH")}},
		ConfDir: f.confDir,
	}
	return f
}

func (f *loaderFixture) write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const fooConf = `PACKAGE_NAME=foo
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=foo
DEST_MODULE_LOCATION[0]=/updates
MAKE[0]="make ${FROM_ENV:-plain}"
`

func TestLoaderFiles(t *testing.T) {
	f := newLoaderFixture(t, fooConf)
	for _, name := range []string{"foo.conf", "foo-1.0-6.1-x86_64.conf", "foo--6.1.conf", "bar.conf"} {
		f.write(t, filepath.Join(f.confDir, name), "")
	}
	def := filepath.Join(f.dkms, "foo", "1.0", "source", "dkms.conf")
	tests := []struct {
		name      string
		confFile  string
		r         Request
		wantMain  string
		wantFiles []string
	}{
		{name: "default with overrides in the reference's order", r: Request{Module: "foo", Version: "1.0", Kernel: "6.1", Arch: "x86_64"},
			wantMain: def, wantFiles: []string{def, filepath.Join(f.confDir, "foo.conf"), filepath.Join(f.confDir, "foo-1.0-6.1-x86_64.conf"), filepath.Join(f.confDir, "foo--6.1.conf")}},
		{name: "other kernel", r: Request{Module: "foo", Version: "1.0", Kernel: "6.2", Arch: "x86_64"},
			wantMain: def, wantFiles: []string{def, filepath.Join(f.confDir, "foo.conf")}},
		{name: "-c wins over the default", confFile: "/x/dkms.conf", r: Request{Module: "foo", Version: "1.0", Kernel: "6.2"},
			wantMain: "/x/dkms.conf", wantFiles: []string{"/x/dkms.conf", filepath.Join(f.confDir, "foo.conf")}},
		{name: "an explicit path wins over -c", confFile: "/x/dkms.conf", r: Request{Module: "foo", Path: "/y/dkms.conf"},
			wantMain: "/y/dkms.conf", wantFiles: []string{"/y/dkms.conf", filepath.Join(f.confDir, "foo.conf")}},
		{name: "a directory's conf has no overrides", r: Request{Path: "/y/dkms.conf"},
			wantMain: "/y/dkms.conf", wantFiles: []string{"/y/dkms.conf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := *f.l
			l.ConfFile = tt.confFile
			main, files := l.Files(tt.r)
			if main != tt.wantMain || !reflect.DeepEqual(files, tt.wantFiles) {
				t.Errorf("Files = %s, %q; want %s, %q", main, files, tt.wantMain, tt.wantFiles)
			}
		})
	}
}

// TestLoaderScope checks the reference's subshell semantics kept in a
// Scope: the first read prints the DIRECTIVE lines and exports them; a
// read of the same module/kernel reuses it silently; a fork sees the
// exports and the cache, but what it does never reaches its parent.
func TestLoaderScope(t *testing.T) {
	f := newLoaderFixture(t, fooConf)
	f.l.Directives = []string{"FROM_ENV=dir", "bad", "=x"}
	r := Request{Module: "foo", Version: "1.0", Kernel: "6.1", Arch: "x86_64"}
	read := func(sc *Scope, r Request) (string, string) {
		t.Helper()
		var out, errw bytes.Buffer
		res, err := f.l.Read(t.Context(), sc, r, &out, &errw)
		if err != nil {
			t.Fatalf("Read: %v\n%s", err, errw.String())
		}
		return res.Values.Str("MAKE") + "|" + res.Values.Str("FROM_ENV"), out.String()
	}
	top := &Scope{}
	if env := f.l.Environ(top); len(env) != 1 {
		t.Fatalf("Environ before any read = %q, want the base only", env)
	}
	child := top.Fork()
	got, out := read(child, r)
	if got != "make plain|dir" || out != "DIRECTIVE: FROM_ENV=\"dir\"\n" {
		t.Errorf("first read: %q, printed %q", got, out)
	}
	if env := f.l.Environ(child); !reflect.DeepEqual(env[1:], []string{"FROM_ENV=dir"}) {
		t.Errorf("Environ after a read = %q, want the valid directive exported", env)
	}
	if got, out = read(child, r); got != "make plain|dir" || out != "" {
		t.Errorf("cached read: %q, printed %q; want the first read's values, nothing printed", got, out)
	}
	r2 := r
	r2.Kernel = "6.2"
	if got, out = read(child.Fork(), r2); got != "make dir|dir" || out == "" {
		t.Errorf("read of another kernel after the export: %q, printed %q; want the export seen", got, out)
	}
	if env := f.l.Environ(top); len(env) != 1 {
		t.Errorf("the parent scope saw its fork's export: %q", env)
	}
	if _, out = read(top, r); out == "" {
		t.Error("the parent scope reused its fork's cache")
	}
}

func TestLoaderErrors(t *testing.T) {
	tests := []struct {
		name, conf string
		path       string
		check      func(error) bool
		wantErr    string // in what the read printed
	}{
		{name: "missing", path: "/nonexistent/dkms.conf",
			check: func(err error) bool {
				var e *MissingError
				return errors.As(err, &e) && e.File == "/nonexistent/dkms.conf"
			}},
		{name: "invalid", conf: "PACKAGE_NAME=foo\n",
			check:   func(err error) bool { var e *InvalidError; return errors.As(err, &e) && errors.Is(err, ErrInvalid) },
			wantErr: "PACKAGE_VERSION"},
		{name: "unsafe location", conf: fooConf + "BUILT_MODULE_LOCATION[0]=../x\n",
			check:   func(err error) bool { return errors.Is(err, ErrInvalid) },
			wantErr: "'BUILT_MODULE_LOCATION[0]' must stay inside the build directory"},
		{name: "unsafe name", conf: fooConf + "DEST_MODULE_NAME[0]=a/b\n",
			check:   func(err error) bool { return errors.Is(err, ErrInvalid) },
			wantErr: "'DEST_MODULE_NAME[0]' must be a file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newLoaderFixture(t, tt.conf)
			var out, errw bytes.Buffer
			_, err := f.l.Read(t.Context(), &Scope{}, Request{Module: "foo", Version: "1.0", Kernel: "6.1", Arch: "x86_64", Path: tt.path, Strict: true}, &out, &errw)
			if !tt.check(err) {
				t.Errorf("Read error = %#v (%v)", err, err)
			}
			if !strings.Contains(errw.String(), tt.wantErr) {
				t.Errorf("printed %q, want %q in it", errw.String(), tt.wantErr)
			}
		})
	}
}

func TestHashFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("x"), 0o644)
	os.WriteFile(b, []byte("x"), 0o644)
	if HashFiles([]string{a}) == HashFiles([]string{b}) {
		t.Error("the hash ignores the file name")
	}
	if HashFiles([]string{a}) == HashFiles([]string{a, b}) {
		t.Error("the hash ignores a file")
	}
	if HashFiles([]string{a, filepath.Join(dir, "missing")}) != "" {
		t.Error("a missing file gives a hash")
	}
}
