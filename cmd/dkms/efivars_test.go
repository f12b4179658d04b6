package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/dkms-go/dkms/internal/sign"
	"github.com/rogpeppe/go-internal/testscript"
)

// EFI variable names as efivarfs spells them (name-GUID).
const (
	efiSecureBootName = "SecureBoot-8be4df61-93ca-11d2-aa0d-e0a9f70bd6c8"
	efiShimGUID       = "605dab50-e046-4300-abb6-3dd810dd8b23"
)

// efiCertX509 is EFI_CERT_X509_GUID a5c059a1-94e4-4aa7-87b5-ab155c2bf072 and
// efiShimOwner is shim's GUID 605dab50-..., both in on-disk byte order
// (first three fields little-endian).
var (
	efiCertX509  = []byte{0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72}
	efiShimOwner = []byte{0x50, 0xab, 0x5d, 0x60, 0x46, 0xe0, 0x00, 0x43, 0xab, 0xb6, 0x3d, 0xd8, 0x10, 0xdd, 0x8b, 0x23}
)

// cmdEFIVar is the testscript command
//
//	efivar DIR SecureBoot on|off
//	efivar DIR MokListRT|MokNew CERT...
//
// which writes an efivarfs-style variable file into DIR: the 4-byte
// attribute word, then the data. SecureBoot holds one byte; a MOK list
// holds one EFI_SIGNATURE_LIST of type X.509 per DER certificate file, as
// shim writes MokListRT. It lets scripts fake a Secure Boot machine under
// $DKMS_SYSROOT/sys/firmware/efi/efivars.
func cmdEFIVar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: efivar DIR SecureBoot on|off | efivar DIR MokListRT|MokNew CERT...")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	name, data := args[1], []byte(nil)
	switch name {
	case "SecureBoot":
		data = []byte{0}
		if args[2] == "on" {
			data[0] = 1
		}
		name = efiSecureBootName
	case "MokListRT", "MokNew":
		for _, cert := range args[2:] {
			der, err := os.ReadFile(ts.MkAbs(cert))
			ts.Check(err)
			data = append(data, efiSignatureList(der)...)
		}
		name += "-" + efiShimGUID
	default:
		ts.Fatalf("efivar: unknown variable %q", name)
	}
	attrs := []byte{0x06, 0, 0, 0} // EFI_VARIABLE_BOOTSERVICE_ACCESS | RUNTIME_ACCESS
	ts.Check(os.WriteFile(filepath.Join(dir, name), append(attrs, data...), 0o644))
}

// efiSignatureList wraps one DER certificate in an EFI_SIGNATURE_LIST (UEFI
// spec 32.4.1): type GUID, ListSize, HeaderSize (0), SignatureSize, then one
// EFI_SIGNATURE_DATA of owner GUID and certificate.
func efiSignatureList(der []byte) []byte {
	sigSize := 16 + len(der)
	b := append([]byte(nil), efiCertX509...)
	b = binary.LittleEndian.AppendUint32(b, uint32(28+sigSize))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(sigSize))
	b = append(b, efiShimOwner...)
	return append(b, der...)
}

// TestEFIVarMatchesReader checks the efivar command's encoding against the
// sign package's reader, so that a "no hint" script result cannot come
// from a list the reader fails to parse.
func TestEFIVarMatchesReader(t *testing.T) {
	dir := t.TempDir()
	ours, other := []byte{0x30, 0x03, 0x02, 0x01, 0x01}, []byte{0x30, 0x03, 0x02, 0x01, 0x02}
	list := append(efiSignatureList(other), efiSignatureList(ours)...)
	must(t, os.WriteFile(filepath.Join(dir, "MokListRT-"+efiShimGUID), append([]byte{6, 0, 0, 0}, list...), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, efiSecureBootName), []byte{6, 0, 0, 0, 1}, 0o644))
	on, err := sign.SecureBootState(dir)
	if err != nil || !on {
		t.Fatalf("SecureBootState = %v, %v; want true", on, err)
	}
	for _, c := range []struct {
		cert []byte
		want bool
	}{{ours, true}, {other, true}, {[]byte{0x30, 0x00}, false}} {
		enrolled, pending, err := sign.CertEnrolled(dir, c.cert)
		if err != nil || enrolled != c.want || pending {
			t.Errorf("CertEnrolled(%x) = %v, %v, %v; want %v, false, nil", c.cert, enrolled, pending, err, c.want)
		}
	}
}
