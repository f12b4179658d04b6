package modinfo

import (
	"bytes"
	"crypto/x509/pkix"
	"debug/elf"
	"encoding/asn1"
	"encoding/binary"
	"math/big"
	"testing"
)

// elfSpec describes a minimal relocatable ELF file for tests: a null
// section, the named data sections and .shstrtab.
type elfSpec struct {
	class    elf.Class
	order    binary.ByteOrder
	sections map[string][]byte
	names    []string // section order; defaults to ".modinfo"
}

// writeELF builds the file described by s with debug/elf's own header and
// section-header structs, so the layout is what debug/elf expects to read.
func writeELF(t testing.TB, s elfSpec) []byte {
	t.Helper()
	names := s.names
	if names == nil {
		names = []string{".modinfo"}
	}
	shstr := []byte{0}
	nameOff := map[string]uint32{}
	for _, n := range append(append([]string{}, names...), ".shstrtab") {
		nameOff[n] = uint32(len(shstr))
		shstr = append(append(shstr, n...), 0)
	}
	hdrSize := 64
	if s.class == elf.ELFCLASS32 {
		hdrSize = 52
	}
	var body bytes.Buffer
	type sec struct{ name, off, size uint32 }
	secs := []sec{{}}
	for _, n := range names {
		secs = append(secs, sec{nameOff[n], uint32(hdrSize + body.Len()), uint32(len(s.sections[n]))})
		body.Write(s.sections[n])
	}
	secs = append(secs, sec{nameOff[".shstrtab"], uint32(hdrSize + body.Len()), uint32(len(shstr))})
	body.Write(shstr)
	for body.Len()%8 != 0 {
		body.WriteByte(0)
	}
	shoff := uint64(hdrSize + body.Len())

	var out bytes.Buffer
	writeHeader(t, &out, s, shoff, uint16(len(secs)))
	out.Write(body.Bytes())
	for i, sc := range secs {
		typ := elf.SHT_PROGBITS
		switch {
		case i == 0:
			typ = elf.SHT_NULL
		case i == len(secs)-1:
			typ = elf.SHT_STRTAB
		}
		writeSectionHeader(t, &out, s, sc.name, uint32(typ), sc.off, sc.size)
	}
	return out.Bytes()
}

// writeHeader writes the ELF file header; the last section is .shstrtab.
func writeHeader(t testing.TB, out *bytes.Buffer, s elfSpec, shoff uint64, shnum uint16) {
	ident := [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(s.class), dataOf(s.order), byte(elf.EV_CURRENT)}
	if s.class == elf.ELFCLASS32 {
		mustWrite(t, out, s.order, elf.Header32{Ident: ident, Type: uint16(elf.ET_REL), Machine: uint16(elf.EM_386),
			Version: 1, Shoff: uint32(shoff), Ehsize: 52, Shentsize: 40, Shnum: shnum, Shstrndx: shnum - 1})
		return
	}
	mustWrite(t, out, s.order, elf.Header64{Ident: ident, Type: uint16(elf.ET_REL), Machine: uint16(elf.EM_X86_64),
		Version: 1, Shoff: shoff, Ehsize: 64, Shentsize: 64, Shnum: shnum, Shstrndx: shnum - 1})
}

func writeSectionHeader(t testing.TB, out *bytes.Buffer, s elfSpec, name, typ, off, size uint32) {
	if s.class == elf.ELFCLASS32 {
		mustWrite(t, out, s.order, elf.Section32{Name: name, Type: typ, Off: off, Size: size, Addralign: 1})
		return
	}
	mustWrite(t, out, s.order, elf.Section64{Name: name, Type: typ, Off: uint64(off), Size: uint64(size), Addralign: 1})
}

func dataOf(o binary.ByteOrder) byte {
	if o == binary.BigEndian {
		return byte(elf.ELFDATA2MSB)
	}
	return byte(elf.ELFDATA2LSB)
}

func mustWrite(t testing.TB, buf *bytes.Buffer, o binary.ByteOrder, v any) {
	t.Helper()
	if err := binary.Write(buf, o, v); err != nil {
		t.Fatal(err)
	}
}

// modinfoSection joins entries into a .modinfo section, with the leading
// and doubled NULs that alignment leaves in real modules.
func modinfoSection(entries ...string) []byte {
	var b []byte
	for _, e := range entries {
		b = append(append(b, e...), 0, 0)
	}
	return append([]byte{0, 0}, b...)
}

// testPKCS7 builds a DER signedData message shaped like sign-file's output.
func testPKCS7(t testing.TB, cn string, serial int64, digest asn1.ObjectIdentifier, sig []byte) []byte {
	t.Helper()
	type algID struct{ Algorithm asn1.ObjectIdentifier }
	type ias struct {
		Issuer pkix.RDNSequence
		Serial *big.Int
	}
	type signerInfo struct {
		Version   int
		SID       ias
		Digest    algID
		DigestEnc algID
		Sig       []byte
	}
	type signedData struct {
		Version     int
		Digests     []algID `asn1:"set"`
		Content     struct{ Type asn1.ObjectIdentifier }
		SignerInfos []signerInfo `asn1:"set"`
	}
	type contentInfo struct {
		Type    asn1.ObjectIdentifier
		Content signedData `asn1:"explicit,tag:0"`
	}
	issuer := pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "Example Org"}},
		{{Type: oidCommonName, Value: cn}},
	}
	rsa := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	sd := signedData{Version: 1, Digests: []algID{{digest}}}
	sd.Content.Type = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	sd.SignerInfos = []signerInfo{{1, ias{issuer, big.NewInt(serial)}, algID{digest}, algID{rsa}, sig}}
	der, err := asn1.Marshal(contentInfo{oidSignedData, sd})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// appendSignature appends a sign-file style trailer carrying blob.
func appendSignature(mod []byte, algo, hash, idType byte, signer, keyID, blob []byte) []byte {
	out := append(append([]byte{}, mod...), signer...)
	out = append(append(out, keyID...), blob...)
	trailer := []byte{algo, hash, idType, byte(len(signer)), byte(len(keyID)), 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(trailer[8:], uint32(len(blob)))
	return append(append(out, trailer...), SignatureMagic...)
}
