package kernel

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Config
	}{
		{"dot config", "#\n# comment\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m\n",
			Config{"CONFIG_A": "y", "CONFIG_C": "m"}},
		{"quoted string", `CONFIG_MODULE_SIG_HASH="sha256"`, Config{"CONFIG_MODULE_SIG_HASH": "sha256"}},
		{"unquoted auto.conf string", "CONFIG_CC_VERSION_TEXT=gcc-12 (Debian 12.2.0-14) 12.2.0",
			Config{"CONFIG_CC_VERSION_TEXT": "gcc-12 (Debian 12.2.0-14) 12.2.0"}},
		{"escapes", `CONFIG_S="a \"b\" \\c"`, Config{"CONFIG_S": `a "b" \c`}},
		{"empty string", `CONFIG_S=""`, Config{"CONFIG_S": ""}},
		{"unterminated quote", `CONFIG_S="abc`, Config{"CONFIG_S": "abc"}},
		{"value with equals", "CONFIG_CMDLINE=\"a=b c=d\"", Config{"CONFIG_CMDLINE": "a=b c=d"}},
		{"number and hex", "CONFIG_N=64\nCONFIG_H=0x1000\n", Config{"CONFIG_N": "64", "CONFIG_H": "0x1000"}},
		{"crlf", "CONFIG_A=y\r\n", Config{"CONFIG_A": "y"}},
		{"last wins", "CONFIG_A=y\nCONFIG_A=n\n", Config{"CONFIG_A": "n"}},
		{"junk ignored", "FOO=bar\nCONFIG_NOEQUALS\n  CONFIG_X=y\n", Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConfigAccessors(t *testing.T) {
	tests := []struct {
		name              string
		cfg               Config
		sigHash, ext, cc  string
		signs, clang, lld bool
	}{
		{name: "empty", cfg: Config{}},
		{name: "nil", cfg: nil},
		{name: "debian 6.1", cfg: Config{"CONFIG_MODULE_SIG_HASH": "sha256", "CONFIG_MODULE_COMPRESS_NONE": "y",
			"CONFIG_CC_VERSION_TEXT": "gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0", "CONFIG_X": "m"},
			sigHash: "sha256", signs: true, cc: "gcc-12"},
		{name: "clang lld zstd", cfg: Config{"CONFIG_CC_IS_CLANG": "y", "CONFIG_LD_IS_LLD": "y",
			"CONFIG_MODULE_COMPRESS_ZSTD": "y", "CONFIG_CC_VERSION_TEXT": "clang version 17.0.6", "CONFIG_X": "y"},
			ext: ".zst", cc: "clang", clang: true, lld: true},
		{name: "xz", cfg: Config{"CONFIG_MODULE_COMPRESS": "y", "CONFIG_MODULE_COMPRESS_XZ": "y", "CONFIG_X": "n"}, ext: ".xz"},
		{name: "gzip", cfg: Config{"CONFIG_MODULE_COMPRESS_GZIP": "y"}, ext: ".gz"},
		{name: "compiler needs a space", cfg: Config{"CONFIG_CC_VERSION_TEXT": "gcc"}},
		{name: "empty hash still signs", cfg: Config{"CONFIG_MODULE_SIG_HASH": ""}, signs: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			hash, signs := c.SigHash()
			got := []any{hash, signs, c.CompressExt(), c.Compiler(), c.CCIsClang(), c.LDIsLLD()}
			want := []any{tt.sigHash, tt.signs, tt.ext, tt.cc, tt.clang, tt.lld}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("SigHash, CompressExt, Compiler, CCIsClang, LDIsLLD = %v, want %v", got, want)
			}
		})
	}
}

func TestReadConfigMissing(t *testing.T) {
	_, err := ReadConfig(filepath.Join(t.TempDir(), ".config"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want fs.ErrNotExist", err)
	}
}
