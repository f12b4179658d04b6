package kernel

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Config is a parsed kernel configuration (.config or
// include/config/auto.conf): symbol name with its CONFIG_ prefix mapped to
// the value, unquoted. "# CONFIG_X is not set" lines are absent symbols.
type Config map[string]string

// ReadConfig reads the configuration file at path.
func ReadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading kernel config: %w", err)
	}
	defer f.Close()
	cfg, err := ParseConfig(f)
	if err != nil {
		return nil, fmt.Errorf("reading kernel config %s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig parses configuration lines of the form CONFIG_X=value.
// Quoted values (all strings in .config; auto.conf writes them unquoted
// since Linux 5.x) lose their quotes and backslash escapes. The reference
// instead deletes every '"' with sed; both agree on real values. A symbol
// set twice keeps the last value, as kconfig does.
func ParseConfig(r io.Reader) (Config, error) {
	cfg := Config{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if !strings.HasPrefix(line, "CONFIG_") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		cfg[name] = unquote(value)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// unquote strips one level of kconfig quoting: "a \"b\" \\c" → a "b" \c.
// Anything after the closing quote is dropped; an unquoted value is kept
// as written.
func unquote(v string) string {
	if !strings.HasPrefix(v, `"`) {
		return v
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		switch c := v[i]; c {
		case '"':
			return b.String()
		case '\\':
			if i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// SigHash returns CONFIG_MODULE_SIG_HASH, e.g. "sha256", and whether it is
// set at all: the reference signs whenever the symbol is present, and says
// the kernel "is built without module signing facility" otherwise.
func (c Config) SigHash() (string, bool) {
	h, ok := c["CONFIG_MODULE_SIG_HASH"]
	return h, ok
}

// SigKey returns CONFIG_MODULE_SIG_KEY, the kernel's own signing key file
// (by default certs/signing_key.pem, relative to its source dir), which
// Gentoo signs modules with when nothing else names a key.
func (c Config) SigKey() string { return c["CONFIG_MODULE_SIG_KEY"] }

// CCIsClang reports a kernel built with clang: make gets LLVM=1 and CC=clang.
func (c Config) CCIsClang() bool { return c["CONFIG_CC_IS_CLANG"] == "y" }

// LDIsLLD reports a kernel linked with ld.lld, which dkms then uses as LD.
func (c Config) LDIsLLD() bool { return c["CONFIG_LD_IS_LLD"] == "y" }

// CCVersionText returns CONFIG_CC_VERSION_TEXT, e.g.
// "gcc-12 (Debian 12.2.0-14) 12.2.0".
func (c Config) CCVersionText() string { return c["CONFIG_CC_VERSION_TEXT"] }

// Compiler returns the compiler command the kernel was built with: the first
// word of CONFIG_CC_VERSION_TEXT. Like the reference's sed expression, it
// needs a space after that word and returns "" otherwise.
func (c Config) Compiler() string {
	word, _, ok := strings.Cut(c.CCVersionText(), " ")
	if !ok {
		return ""
	}
	return word
}

// CompressExt returns the extension the kernel's own modules_install
// compresses with: ".zst", ".xz", ".gz", or "" for
// CONFIG_MODULE_COMPRESS_NONE or no compression symbol at all.
func (c Config) CompressExt() string {
	switch {
	case c["CONFIG_MODULE_COMPRESS_ZSTD"] == "y":
		return ".zst"
	case c["CONFIG_MODULE_COMPRESS_XZ"] == "y":
		return ".xz"
	case c["CONFIG_MODULE_COMPRESS_GZIP"] == "y":
		return ".gz"
	}
	return ""
}
