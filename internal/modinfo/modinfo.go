// Package modinfo reads the metadata of a Linux kernel module file (.ko):
// the key=value strings of its .modinfo ELF section, in the order modinfo(8)
// prints them, and the signature appended by scripts/sign-file.
//
// It reads from an io.ReaderAt and never opens files by itself, so callers
// decompress .ko.gz/.ko.xz/.ko.zst first (internal/compress does that). The
// parsing follows kmod's libkmod (kmod_elf_get_strings, kmod_module_get_info,
// kmod_module_signature_info), because the reference dkms shells out to
// `modinfo` and acts on its output.
package modinfo

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNoModinfo reports an ELF file without a .modinfo section; kmod's modinfo
// fails on such a file, and the reference then sees empty version strings.
var ErrNoModinfo = errors.New("no .modinfo section")

// Field is one key=value entry of .modinfo. An entry without '=' has the whole
// string as Key and an empty Value, as kmod reports it.
type Field struct {
	Key   string
	Value string
}

// Info is what modinfo(8) shows for a module file.
type Info struct {
	// Fields holds the .modinfo entries in section order. Keys repeat
	// (alias, depends, parm, ...).
	Fields []Field
	// Signed reports that the file ends with the "~Module signature
	// appended~\n" marker, whether or not the trailer parses.
	Signed bool
	// Signature is the parsed trailer; nil when unsigned or malformed (kmod
	// then shows no signature fields either).
	Signature *Signature
}

// Read parses the module held in r, which is size bytes long.
func Read(r io.ReaderAt, size int64) (*Info, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("reading module: %w", err)
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, ErrNoModinfo
	}
	var data []byte
	if sec.Type != elf.SHT_NOBITS {
		data, err = sec.Data()
		if err != nil {
			return nil, fmt.Errorf("reading .modinfo: %w", err)
		}
	}
	info := &Info{Fields: parseFields(data)}
	info.Signature, info.Signed, err = ReadSignature(r, size)
	if err != nil && !errors.Is(err, ErrBadSignature) {
		return nil, err
	}
	return info, nil
}

// ReadBytes parses a module held in memory, typically a decompressed image.
func ReadBytes(b []byte) (*Info, error) {
	return Read(bytes.NewReader(b), int64(len(b)))
}

// parseFields splits the section into its NUL-terminated strings, skipping
// the empty ones alignment padding leaves, and each string at its first '='.
// A last string without a terminating NUL still counts, as in kmod.
func parseFields(data []byte) []Field {
	var fields []Field
	for _, s := range bytes.Split(data, []byte{0}) {
		if len(s) == 0 {
			continue
		}
		key, value, _ := strings.Cut(string(s), "=")
		fields = append(fields, Field{Key: key, Value: value})
	}
	return fields
}

// Get returns every value of key, in section order.
func (i *Info) Get(key string) []string {
	var values []string
	for _, f := range i.Fields {
		if f.Key == key {
			values = append(values, f.Value)
		}
	}
	return values
}

// last returns the last value of key, or "" when absent. The reference reads
// `modinfo` output in a loop that overwrites, so the last occurrence wins.
func (i *Info) last(key string) string {
	for j := len(i.Fields) - 1; j >= 0; j-- {
		if i.Fields[j].Key == key {
			return i.Fields[j].Value
		}
	}
	return ""
}

// Version returns the MODULE_VERSION string ("" when the module has none).
func (i *Info) Version() string { return i.last("version") }

// SrcVersion returns the checksum modpost computes over the module's sources.
func (i *Info) SrcVersion() string { return i.last("srcversion") }

// Vermagic returns the kernel release and feature string the module was built
// for; its first word is the release.
func (i *Info) Vermagic() string { return i.last("vermagic") }

// Name returns the module name modpost recorded (kernels since 5.x).
func (i *Info) Name() string { return i.last("name") }

// VerInfo returns the two strings the reference's install-time version check
// (get_module_verinfo, behaviour §7.1) compares: the first word of the
// version, and the first word of srcversion or, when srcversion is absent or
// empty, the old-style checksum word that follows the version.
//
// The reference word-splits `modinfo` output lines; a value spanning several
// lines is not split further here (only its first line counts).
func (i *Info) VerInfo() (version, srcVersion string) {
	var checksum string
	for _, f := range i.Fields {
		words := strings.Fields(firstLine(f.Value))
		switch f.Key {
		case "version":
			version, checksum = word(words, 0), word(words, 1)
		case "srcversion":
			srcVersion = word(words, 0)
		}
	}
	if srcVersion == "" {
		srcVersion = checksum
	}
	return version, srcVersion
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func word(words []string, n int) string {
	if n < len(words) {
		return words[n]
	}
	return ""
}
