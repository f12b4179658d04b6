package kernel

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

// TestToolchain checks the compiler choice against the reference's
// do_build (§7.9), including the cases where its sed expression finds no
// compiler (no space after the first word) and where clang is configured
// but missing (the first word stays).
func TestToolchain(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		have      []string
		wantEnv   []string
		wantLLVM  bool
		wantStrip string
	}{
		{name: "no config", cfg: nil, have: []string{"gcc"}, wantStrip: "strip"},
		{name: "gcc found", cfg: Config{"CONFIG_CC_VERSION_TEXT": "gcc-12 (Debian 12.2.0-14) 12.2.0"},
			have: []string{"gcc-12"}, wantEnv: []string{"CC=gcc-12", "KERNEL_CC=gcc-12"}, wantStrip: "strip"},
		{name: "gcc missing", cfg: Config{"CONFIG_CC_VERSION_TEXT": "gcc-12 (Debian 12.2.0-14) 12.2.0"},
			wantStrip: "strip"},
		{name: "one word: the reference's sed needs a space", cfg: Config{"CONFIG_CC_VERSION_TEXT": "gcc"},
			have: []string{"gcc"}, wantStrip: "strip"},
		{name: "clang", cfg: Config{"CONFIG_CC_VERSION_TEXT": "Debian clang version 16.0.6", "CONFIG_CC_IS_CLANG": "y"},
			have: []string{"clang", "Debian"}, wantEnv: []string{"CC=clang", "KERNEL_CC=clang"}, wantLLVM: true, wantStrip: "llvm-strip"},
		{name: "clang configured but missing keeps the first word", cfg: Config{"CONFIG_CC_VERSION_TEXT": "cc-x (v) 1", "CONFIG_CC_IS_CLANG": "y"},
			have: []string{"cc-x"}, wantEnv: []string{"CC=cc-x", "KERNEL_CC=cc-x"}, wantLLVM: true, wantStrip: "strip"},
		{name: "lld", cfg: Config{"CONFIG_LD_IS_LLD": "y"}, have: []string{"ld.lld"},
			wantEnv: []string{"LD=ld.lld", "KERNEL_LD=ld.lld"}, wantStrip: "strip"},
		{name: "lld missing", cfg: Config{"CONFIG_LD_IS_LLD": "y"}, wantStrip: "strip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			has := func(cmd string) bool {
				for _, h := range tt.have {
					if h == cmd {
						return true
					}
				}
				return false
			}
			got := tt.cfg.Toolchain(has)
			want := Toolchain{Env: tt.wantEnv, LLVM: tt.wantLLVM, StripTool: tt.wantStrip}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Toolchain = %+v, want %+v", got, want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	root := t.TempDir()
	const rel = "6.1.0-1-amd64"
	none := func(string) bool { return false }
	k := New(rel, "x86_64", Options{InstallTree: root})
	if _, err := k.Resolve(none); !errors.Is(err, ErrNoHeaders) {
		t.Fatalf("Resolve without headers: %v, want ErrNoHeaders", err)
	}
	writeTree(t, root, map[string]string{
		rel + "/build/include/": "",
		rel + "/build/.config":  "CONFIG_MODULE_SIG_HASH=\"sha512\"\nCONFIG_MODULE_COMPRESS_XZ=y\n",
	})
	tg, err := k.Resolve(none)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := tg.Config.SigHash(); h != "sha512" || tg.CompressExt != ".xz" || tg.StripTool != "strip" ||
		tg.ConfigPath != filepath.Join(root, rel, "build", ".config") {
		t.Errorf("Resolve = %+v, config %v", tg, tg.Config)
	}
}
