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
