package kernel

import (
	"os"
	"path/filepath"
	"testing"
)

// writeTree creates files (path → content) below root; a path ending in
// "/" is an empty directory, content "->target" a symbolic link.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for path, content := range files {
		full := filepath.Join(root, path)
		dir := full
		if path[len(path)-1] != '/' {
			dir = filepath.Dir(full)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case path[len(path)-1] == '/':
		case len(content) > 2 && content[:2] == "->":
			if err := os.Symlink(content[2:], full); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestNew(t *testing.T) {
	const rel = "6.1.0-13-amd64"
	tests := []struct {
		name        string
		files       map[string]string
		opts        func(root string) Options
		wantSrc     string // relative to root
		wantConfig  string // relative to root
		wantHeaders bool
	}{
		{name: "auto.conf preferred",
			files:   map[string]string{"lib/modules/" + rel + "/build/include/config/auto.conf": "", "lib/modules/" + rel + "/build/.config": ""},
			opts:    func(r string) Options { return Options{InstallTree: r + "/lib/modules"} },
			wantSrc: "lib/modules/" + rel + "/build", wantConfig: "lib/modules/" + rel + "/build/include/config/auto.conf", wantHeaders: true},
		{name: ".config fallback",
			files:   map[string]string{"lib/modules/" + rel + "/build/include/": "", "lib/modules/" + rel + "/build/.config": ""},
			opts:    func(r string) Options { return Options{InstallTree: r + "/lib/modules"} },
			wantSrc: "lib/modules/" + rel + "/build", wantConfig: "lib/modules/" + rel + "/build/.config", wantHeaders: true},
		{name: "no headers",
			files:   map[string]string{"lib/modules/" + rel + "/kernel/": ""},
			opts:    func(r string) Options { return Options{InstallTree: r + "/lib/modules"} },
			wantSrc: "lib/modules/" + rel + "/build", wantConfig: "lib/modules/" + rel + "/build/.config"},
		{name: "kernelsourcedir and config options",
			files: map[string]string{"src/include/config/auto.conf": "", "my.config": ""},
			opts: func(r string) Options {
				return Options{InstallTree: r + "/lib/modules", SourceDir: r + "/src", ConfigPath: r + "/my.config"}
			},
			wantSrc: "src", wantConfig: "my.config", wantHeaders: true},
		{name: "kernelsourcedir picks its auto.conf",
			files:   map[string]string{"src/include/config/auto.conf": ""},
			opts:    func(r string) Options { return Options{InstallTree: r + "/lib/modules", SourceDir: r + "/src"} },
			wantSrc: "src", wantConfig: "src/include/config/auto.conf", wantHeaders: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tt.files)
			k := New(rel, "x86_64", tt.opts(root))
			if k.SourceDir != filepath.Join(root, tt.wantSrc) || k.ConfigPath != filepath.Join(root, tt.wantConfig) {
				t.Errorf("SourceDir, ConfigPath = %s, %s", k.SourceDir, k.ConfigPath)
			}
			if k.ModuleDir != filepath.Join(root, "lib/modules", rel) || k.Release != rel || k.Arch != "x86_64" {
				t.Errorf("ModuleDir, Release, Arch = %s, %s, %s", k.ModuleDir, k.Release, k.Arch)
			}
			if got := k.HeadersPresent(); got != tt.wantHeaders {
				t.Errorf("HeadersPresent() = %v, want %v", got, tt.wantHeaders)
			}
		})
	}
}

func TestKernelConfig(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"6.1/build/.config": "CONFIG_MODULE_SIG_HASH=\"sha512\"\nCONFIG_MODULE_COMPRESS_XZ=y\n"})
	k := New("6.1", "x86_64", Options{InstallTree: root})
	cfg, err := k.Config()
	if err != nil {
		t.Fatal(err)
	}
	if h, ok := cfg.SigHash(); h != "sha512" || !ok {
		t.Errorf("SigHash() = %q, %v", h, ok)
	}
	if got := k.Compression(cfg); got != ".xz" {
		t.Errorf("Compression() with no modules = %q, want the config's .xz", got)
	}
}
