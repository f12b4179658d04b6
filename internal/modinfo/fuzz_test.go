package modinfo

import (
	"debug/elf"
	"encoding/binary"
	"strings"
	"testing"
)

// FuzzRead checks that Read never panics and that what it reports is
// self-consistent. The seeds (run by plain `go test`) cover each ELF class
// and byte order, signed and malformed trailers.
func FuzzRead(f *testing.F) {
	for _, class := range []elf.Class{elf.ELFCLASS32, elf.ELFCLASS64} {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			f.Add(writeELF(f, elfSpec{class: class, order: order,
				sections: map[string][]byte{".modinfo": modinfoSection("version=1.0", "srcversion=AB", "intree")}}))
		}
	}
	mod := writeELF(f, elfSpec{class: elf.ELFCLASS64, order: binary.LittleEndian,
		sections: map[string][]byte{".modinfo": []byte("a=b")}})
	f.Add(appendSignature(mod, 0, 0, IDTypePKCS7, nil, nil, testPKCS7(f, "k", 5, sha256OID, []byte("s"))))
	f.Add(appendSignature(mod, 1, 4, IDTypeX509, []byte("n"), []byte{1}, []byte("sig")))
	f.Add(appendSignature(mod, 0, 0, IDTypePKCS7, nil, nil, nil))
	f.Add([]byte(SignatureMagic))
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ReadBytes(data)
		if err != nil {
			return
		}
		for _, fl := range info.Fields {
			if strings.ContainsAny(fl.Key, "=\x00") || strings.Contains(fl.Value, "\x00") {
				t.Errorf("field %q not split at '=' and NUL", fl)
			}
		}
		if info.Signature != nil && (!info.Signed || info.Signature.ModuleSize > int64(len(data))) {
			t.Errorf("inconsistent signature: Signed=%v %+v", info.Signed, info.Signature)
		}
		info.VerInfo()
	})
}
