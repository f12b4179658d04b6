package kernel

import "errors"

// ErrNoHeaders is returned by Resolve for a kernel whose header tree has
// no include directory: the reference's exit 21, "Your kernel headers for
// kernel K cannot be found".
var ErrNoHeaders = errors.New("kernel headers not found")

// Toolchain is how modules for a kernel are compiled and finished, as the
// reference's do_build works it out from the kernel configuration (§7.9).
type Toolchain struct {
	// Env holds CC=/KERNEL_CC= and LD=/KERNEL_LD= for make, each only
	// when that command exists.
	Env []string
	// LLVM adds LLVM=1 to the make command: the kernel was built with
	// clang (whether or not clang is installed, as in the reference).
	LLVM bool
	// StripTool is llvm-strip when CC is exactly clang, else strip.
	StripTool string
}

// Toolchain returns the compiler environment of a kernel built with this
// configuration. has reports whether a command is on PATH. As the
// reference: CC is the first word of CONFIG_CC_VERSION_TEXT when that
// command exists (Compiler), then clang when CONFIG_CC_IS_CLANG=y and
// clang exists; LD is ld.lld when CONFIG_LD_IS_LLD=y and it exists. A nil
// configuration (no config file) sets nothing.
func (c Config) Toolchain(has func(string) bool) Toolchain {
	t := Toolchain{StripTool: "strip"}
	if c == nil {
		return t
	}
	cc := ""
	if w := c.Compiler(); w != "" && has(w) {
		cc = w
	}
	if c.CCIsClang() {
		t.LLVM = true
		if has("clang") {
			cc = "clang"
		}
	}
	if cc != "" {
		t.Env = append(t.Env, "CC="+cc, "KERNEL_CC="+cc)
	}
	if c.LDIsLLD() && has("ld.lld") {
		t.Env = append(t.Env, "LD=ld.lld", "KERNEL_LD=ld.lld")
	}
	if cc == "clang" {
		t.StripTool = "llvm-strip"
	}
	return t
}

// Target is a kernel resolved for building: its directories, its parsed
// configuration and what follows from it. It is worked out once per
// kernel and run, and handed down to conf, build and install, so that no
// later step looks the same facts up again.
type Target struct {
	*Kernel
	// Config is the parsed configuration; nil when ConfigPath is absent
	// (modules are then not signed).
	Config Config
	Toolchain
	// CompressExt is the module extension to install with (see
	// ModuleCompression).
	CompressExt string
}

// Resolve checks that the kernel's headers are present (ErrNoHeaders
// otherwise) and reads what building for it needs. has reports whether a
// command is on PATH.
func (k *Kernel) Resolve(has func(string) bool) (*Target, error) {
	if !k.HeadersPresent() {
		return nil, ErrNoHeaders
	}
	cfg, _ := k.Config() // a missing config is reported by signing
	return &Target{Kernel: k, Config: cfg, Toolchain: cfg.Toolchain(has), CompressExt: k.Compression(cfg)}, nil
}
