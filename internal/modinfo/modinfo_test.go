package modinfo

import (
	"bytes"
	"debug/elf"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

var sha256OID = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}

func TestReadFields(t *testing.T) {
	entries := []string{"version=1.0", "license=GPL", "alias=foo", "alias=bar",
		"srcversion=ABC123", "depends=", "name=demo", "vermagic=6.1.0-1-amd64 SMP mod_unload ", "intree"}
	want := []Field{{"version", "1.0"}, {"license", "GPL"}, {"alias", "foo"}, {"alias", "bar"},
		{"srcversion", "ABC123"}, {"depends", ""}, {"name", "demo"},
		{"vermagic", "6.1.0-1-amd64 SMP mod_unload "}, {"intree", ""}}
	formats := []struct {
		name  string
		class elf.Class
		order binary.ByteOrder
	}{
		{"elf64le", elf.ELFCLASS64, binary.LittleEndian},
		{"elf64be", elf.ELFCLASS64, binary.BigEndian},
		{"elf32le", elf.ELFCLASS32, binary.LittleEndian},
		{"elf32be", elf.ELFCLASS32, binary.BigEndian},
	}
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			data := writeELF(t, elfSpec{class: f.class, order: f.order,
				names:    []string{".text", ".modinfo"},
				sections: map[string][]byte{".text": {0x90, 0x90}, ".modinfo": modinfoSection(entries...)}})
			info, err := ReadBytes(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(info.Fields, want) {
				t.Errorf("Fields = %q, want %q", info.Fields, want)
			}
			if info.Signed || info.Signature != nil {
				t.Errorf("unsigned module reported signed")
			}
			checkAccessors(t, info)
		})
	}
}

func checkAccessors(t *testing.T, info *Info) {
	t.Helper()
	got := []string{info.Version(), info.SrcVersion(), info.Name(), info.Vermagic()}
	want := []string{"1.0", "ABC123", "demo", "6.1.0-1-amd64 SMP mod_unload "}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("accessors = %q, want %q", got, want)
	}
	if a := info.Get("alias"); !reflect.DeepEqual(a, []string{"foo", "bar"}) {
		t.Errorf("Get(alias) = %q", a)
	}
	if a := info.Get("missing"); a != nil {
		t.Errorf("Get(missing) = %q, want nil", a)
	}
}

func TestSectionEdges(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []Field
	}{
		{"empty", nil, nil},
		{"only padding", []byte{0, 0, 0, 0}, nil},
		{"no trailing NUL", []byte("a=1\x00b=2"), []Field{{"a", "1"}, {"b", "2"}}},
		{"value with equals", []byte("parm=x:int=5\x00"), []Field{{"parm", "x:int=5"}}},
		{"empty key", []byte("=v\x00"), []Field{{"", "v"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := writeELF(t, elfSpec{class: elf.ELFCLASS64, order: binary.LittleEndian,
				sections: map[string][]byte{".modinfo": tt.data}})
			info, err := ReadBytes(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(info.Fields, tt.want) {
				t.Errorf("Fields = %q, want %q", info.Fields, tt.want)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	noModinfo := writeELF(t, elfSpec{class: elf.ELFCLASS64, order: binary.LittleEndian,
		names: []string{".text"}, sections: map[string][]byte{".text": {1}}})
	if _, err := ReadBytes(noModinfo); !errors.Is(err, ErrNoModinfo) {
		t.Errorf("no .modinfo: err = %v, want ErrNoModinfo", err)
	}
	if _, err := ReadBytes([]byte("not an elf file at all, just text")); err == nil {
		t.Errorf("non-ELF input: no error")
	}
}

func TestVerInfo(t *testing.T) {
	tests := []struct {
		name           string
		entries        []string
		wantVer, wantS string
	}{
		{"version and srcversion", []string{"version=1.2", "srcversion=ABC"}, "1.2", "ABC"},
		{"old checksum word", []string{"version=1.2 D41D8CD98F00B204"}, "1.2", "D41D8CD98F00B204"},
		{"srcversion beats checksum", []string{"version=1.2 SUM", "srcversion=SRC"}, "1.2", "SRC"},
		{"empty srcversion falls back", []string{"version=1.2 SUM", "srcversion="}, "1.2", "SUM"},
		{"last occurrence wins", []string{"version=1", "version=2", "srcversion=A", "srcversion=B"}, "2", "B"},
		{"unversioned", []string{"license=GPL"}, "", ""},
		{"only srcversion", []string{"srcversion=XYZ"}, "", "XYZ"},
		{"spaces around", []string{"version=  3.0  "}, "3.0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := writeELF(t, elfSpec{class: elf.ELFCLASS64, order: binary.LittleEndian,
				sections: map[string][]byte{".modinfo": modinfoSection(tt.entries...)}})
			info, err := ReadBytes(data)
			if err != nil {
				t.Fatal(err)
			}
			v, s := info.VerInfo()
			if v != tt.wantVer || s != tt.wantS {
				t.Errorf("VerInfo() = %q, %q; want %q, %q", v, s, tt.wantVer, tt.wantS)
			}
		})
	}
}

// TestGCCObject reads an object file compiled by the system C compiler, the
// way MODULE_INFO() places its strings.
func TestGCCObject(t *testing.T) {
	cc := testenv.LookPath(t, "gcc")
	dir := t.TempDir()
	src := `#define INFO(id, s) static const char id[] __attribute__((section(".modinfo"), used, aligned(1))) = s
INFO(a, "version=2.5");
INFO(b, "license=Dual BSD/GPL");
INFO(c, "srcversion=0123456789ABCDEF");
int f(void) { return 1; }
`
	if err := os.WriteFile(filepath.Join(dir, "m.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	obj := filepath.Join(dir, "m.o")
	if out, err := exec.CommandContext(t.Context(), cc, "-c", "-o", obj, filepath.Join(dir, "m.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	data, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	info, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{{"version", "2.5"}, {"license", "Dual BSD/GPL"}, {"srcversion", "0123456789ABCDEF"}}
	if !reflect.DeepEqual(info.Fields, want) {
		t.Errorf("Fields = %q, want %q", info.Fields, want)
	}
}

func TestReadSignedModule(t *testing.T) {
	mod := writeELF(t, elfSpec{class: elf.ELFCLASS64, order: binary.LittleEndian,
		sections: map[string][]byte{".modinfo": modinfoSection("version=1.0")}})
	blob := testPKCS7(t, "DKMS module signing key", 0x1234ab, sha256OID, []byte{1, 2, 3, 4})
	signed := appendSignature(mod, 0, 0, IDTypePKCS7, nil, nil, blob)
	info, err := ReadBytes(signed)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Signed || info.Signature == nil {
		t.Fatalf("signed module: Signed=%v Signature=%v", info.Signed, info.Signature)
	}
	if info.Version() != "1.0" {
		t.Errorf("Version() = %q", info.Version())
	}
	if got := info.Signature.ModuleSize; got != int64(len(mod)) {
		t.Errorf("ModuleSize = %d, want %d", got, len(mod))
	}
	if !bytes.Equal(signed[:info.Signature.ModuleSize], mod) {
		t.Errorf("module bytes before the signature differ")
	}
}
