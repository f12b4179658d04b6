package sign

import (
	"encoding/binary"
	"path/filepath"
	"testing"
)

// efiVar returns an efivarfs file: attributes (NV|BS|RT) then data.
func efiVar(data []byte) []byte {
	return append([]byte{7, 0, 0, 0}, data...)
}

// esl builds one EFI_SIGNATURE_LIST of the given type holding entries of
// equal size (each prefixed by a zero owner GUID).
func esl(sigType [16]byte, entries ...[]byte) []byte {
	sigSize := 16 + len(entries[0])
	b := make([]byte, 28, 28+len(entries)*sigSize)
	copy(b, sigType[:])
	binary.LittleEndian.PutUint32(b[16:], uint32(28+len(entries)*sigSize))
	binary.LittleEndian.PutUint32(b[24:], uint32(sigSize))
	for _, e := range entries {
		b = append(b, make([]byte, 16)...)
		b = append(b, e...)
	}
	return b
}

var sha256GUID = [16]byte{0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40, 0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28}

func TestSecureBootState(t *testing.T) {
	for _, c := range []struct {
		name    string
		file    []byte // nil: variable absent
		want    bool
		wantErr bool
	}{
		{"enabled", efiVar([]byte{1}), true, false},
		{"disabled", efiVar([]byte{0}), false, false},
		{"absent", nil, false, false},
		{"short", []byte{7, 0}, false, true},
		{"long", efiVar([]byte{1, 0}), false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.file != nil {
				writeFile(t, filepath.Join(dir, secureBootVar), c.file)
			}
			got, err := SecureBootState(dir)
			if got != c.want || (err != nil) != c.wantErr {
				t.Errorf("SecureBootState = %v, %v; want %v, error %v", got, err, c.want, c.wantErr)
			}
		})
	}
}

func TestCertEnrolled(t *testing.T) {
	mine, other := newMOK(t).cert.Raw, newMOK(t).cert.Raw
	hash := make([]byte, 32)
	padded := append(append([]byte{}, mine...), 0, 0, 0)
	for _, c := range []struct {
		name                  string
		vars                  map[string][]byte
		wantEnrolled, wantNew bool
		wantErr               bool
	}{
		{"no variables", nil, false, false, false},
		{"enrolled", map[string][]byte{"MokListRT": esl(certX509GUID, other), "MokListRT1": esl(certX509GUID, mine)}, true, false, false},
		{"hash entries only", map[string][]byte{"MokListRT": esl(sha256GUID, hash, hash)}, false, false, false},
		{"padded entry", map[string][]byte{"MokListRT": append(esl(sha256GUID, hash), esl(certX509GUID, padded)...)}, true, false, false},
		{"gap stops chunks", map[string][]byte{"MokListRT": esl(certX509GUID, other), "MokListRT2": esl(certX509GUID, mine)}, false, false, false},
		{"pending", map[string][]byte{"MokListRT": esl(certX509GUID, other), "MokNew": esl(certX509GUID, mine)}, false, true, false},
		{"other only", map[string][]byte{"MokListRT": esl(certX509GUID, other)}, false, false, false},
		{"truncated list", map[string][]byte{"MokListRT": esl(certX509GUID, mine)[:40]}, false, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range c.vars {
				writeFile(t, filepath.Join(dir, name+"-"+shimGUID), efiVar(data))
			}
			enrolled, pending, err := CertEnrolled(dir, mine)
			if enrolled != c.wantEnrolled || pending != c.wantNew || (err != nil) != c.wantErr {
				t.Errorf("CertEnrolled = %v, %v, %v; want %v, %v, error %v",
					enrolled, pending, err, c.wantEnrolled, c.wantNew, c.wantErr)
			}
		})
	}
}

// FuzzWalkSignatureLists feeds arbitrary EFI variable data to the parser;
// it must never panic or loop.
func FuzzWalkSignatureLists(f *testing.F) {
	f.Add(esl(certX509GUID, []byte{0x30, 0x03, 0x02, 0x01, 0x01}))
	f.Add(esl(sha256GUID, make([]byte, 32), make([]byte, 32)))
	f.Add([]byte{})
	f.Add(make([]byte, 28))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = walkSignatureLists(data, func([16]byte, []byte) {})
	})
}

// FuzzStrip checks that Strip never panics and returns a prefix.
func FuzzStrip(f *testing.F) {
	f.Add([]byte(Magic))
	f.Add(append(make([]byte, 14), Magic...))
	f.Add(append([]byte{1, 2, 3, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2}, Magic...))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Strip(data)
		if err == nil && len(out) >= len(data) {
			t.Fatalf("Strip returned %d of %d bytes", len(out), len(data))
		}
	})
}
