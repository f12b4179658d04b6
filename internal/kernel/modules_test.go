package kernel

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestModuleCompression(t *testing.T) {
	xzConfig := Config{"CONFIG_MODULE_COMPRESS_XZ": "y"}
	tests := []struct {
		name  string
		files map[string]string
		cfg   Config
		want  string
	}{
		{name: "missing dir, no config", want: ""},
		{name: "missing dir follows config", cfg: xzConfig, want: ".xz"},
		{name: "empty dir follows config", files: map[string]string{"build/": ""}, cfg: Config{"CONFIG_MODULE_COMPRESS_ZSTD": "y"}, want: ".zst"},
		{name: "uncompressed modules beat config", files: map[string]string{"kernel/a/x.ko": ""}, cfg: xzConfig, want: ""},
		{name: "gz", files: map[string]string{"kernel/a/x.ko.gz": "", "kernel/b/y.ko": ""}, want: ".gz"},
		{name: "xz over gz", files: map[string]string{"kernel/a/x.ko.gz": "", "updates/y.ko.xz": ""}, want: ".xz"},
		{name: "zst over all", files: map[string]string{"kernel/a/x.ko.xz": "", "kernel/b/y.ko.gz": "", "extra/z.ko.zst": ""}, want: ".zst"},
		{name: "outside kernel/ only", files: map[string]string{"updates/dkms/x.ko.zst": ""}, cfg: xzConfig, want: ".zst"},
		{name: "symlinked build dir not followed", files: map[string]string{"build": "->../elsewhere", "../elsewhere/x.ko.zst": "", "kernel/y.ko": ""}, want: ""},
		{name: "names of any type count", files: map[string]string{"kernel/odd.ko.xz/": ""}, want: ".xz"},
		{name: "not modules", files: map[string]string{"kernel/x.ko.bak": "", "kernel/x.kozst": "", "modules.order": "kernel/x.ko\n"}, cfg: xzConfig, want: ".xz"},
		{name: "modules.dep decides", files: map[string]string{"modules.dep": "kernel/a.ko.xz: kernel/b.ko.xz\nkernel/b.ko.xz:\n", "kernel/c.ko": ""}, want: ".xz"},
		{name: "modules.dep with zst", files: map[string]string{"modules.dep": "kernel/a.ko.xz:\nupdates/dkms/d.ko.zst:\n"}, want: ".zst"},
		{name: "empty modules.dep walks", files: map[string]string{"modules.dep": "", "kernel/a.ko.gz": ""}, want: ".gz"},
		{name: "uncompressed modules.dep", files: map[string]string{"modules.dep": "kernel/a.ko:\n"}, cfg: xzConfig, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "6.1.0-1-amd64")
			if tt.files != nil {
				writeTree(t, dir, tt.files)
			}
			if got := ModuleCompression(dir, tt.cfg); got != tt.want {
				t.Errorf("ModuleCompression() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestModuleCompressionPerKernel pins the §10.10 fix: the choice for one
// kernel never leaks into the next.
func TestModuleCompressionPerKernel(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"a/kernel/x.ko.zst": "", "b/kernel/x.ko": ""})
	got := []string{ModuleCompression(filepath.Join(root, "a"), nil), ModuleCompression(filepath.Join(root, "b"), nil)}
	if want := []string{".zst", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("per-kernel compression = %q, want %q", got, want)
	}
}

func TestFindModules(t *testing.T) {
	files := map[string]string{
		"kernel/drivers/net/foo.ko.xz": "",
		"updates/dkms/foo.ko":          "",
		"extra/foo.ko.xz":              "",
		"extra/foo.ko.gz":              "",
		"extra/foobar.ko":              "",
		"weak-updates/foo.ko":          "->../updates/dkms/foo.ko",
		"kernel/foo.ko/":               "",
		"build":                        "->../src",
		"../src/foo.ko":                "",
	}
	tests := []struct {
		name, module, ext string
		want              []string
	}{
		{"xz tree", "foo", ".xz", []string{"extra/foo.ko.xz", "kernel/drivers/net/foo.ko.xz", "updates/dkms/foo.ko"}},
		{"gz", "foo", ".gz", []string{"extra/foo.ko.gz", "updates/dkms/foo.ko"}},
		{"uncompressed", "foo", "", []string{"updates/dkms/foo.ko"}},
		{"exact name", "foobar", ".xz", []string{"extra/foobar.ko"}},
		{"absent", "bar", ".xz", nil},
	}
	root := t.TempDir()
	dir := filepath.Join(root, "6.1")
	writeTree(t, dir, files)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range FindModules(dir, tt.module, tt.ext) {
				rel, _ := filepath.Rel(dir, p)
				got = append(got, rel)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FindModules(%s, %q) = %q, want %q", tt.module, tt.ext, got, tt.want)
			}
		})
	}
	if got := FindModules(filepath.Join(root, "missing"), "foo", ""); got != nil {
		t.Errorf("missing dir: %q", got)
	}
}

func TestOriginalModule(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		dest  string
		want  string
	}{
		{"none", map[string]string{"kernel/x.ko": ""}, "/updates/dkms", ""},
		{"extra first", map[string]string{"extra/foo.ko.xz": "", "updates/foo.ko": "", "kernel/foo.ko": ""}, "/kernel", "extra/foo.ko.xz"},
		{"plain before compressed", map[string]string{"extra/foo.ko.xz": "", "extra/foo.ko": ""}, "", "extra/foo.ko"},
		{"updates second", map[string]string{"updates/foo.ko": "", "kernel/foo.ko": ""}, "/kernel", "updates/foo.ko"},
		{"dest location third", map[string]string{"kernel/drivers/foo.ko.xz": "", "a/foo.ko": ""}, "/kernel/drivers", "kernel/drivers/foo.ko.xz"},
		{"recursive search last", map[string]string{"kernel/drivers/net/foo.ko.xz": "", "zzz/foo.ko": ""}, "/updates/dkms", "kernel/drivers/net/foo.ko.xz"},
		{"directory candidate skipped", map[string]string{"extra/foo.ko/": "", "extra/foo.ko.xz": "", "updates/foo.ko.xz": ""}, "", "updates/foo.ko.xz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "6.1")
			writeTree(t, dir, tt.files)
			got := OriginalModule(dir, tt.dest, "foo", ".xz")
			if got != "" {
				got, _ = filepath.Rel(dir, got)
			}
			if got != tt.want {
				t.Errorf("OriginalModule() = %q, want %q", got, tt.want)
			}
		})
	}
}
