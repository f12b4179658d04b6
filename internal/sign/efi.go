package sign

import (
	"bytes"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// EFI variable file names under efivarfs (/sys/firmware/efi/efivars on
// Linux; callers pass the directory). Each file is a 4-byte little-endian
// attribute word followed by the variable's data.
const (
	secureBootVar = "SecureBoot-8be4df61-93ca-11d2-aa0d-e0a9f70bd6c8"
	mokListRTVar  = "MokListRT"
	mokNewVar     = "MokNew"
	shimGUID      = "605dab50-e046-4300-abb6-3dd810dd8b23"
)

// certX509GUID is EFI_CERT_X509_GUID a5c059a1-94e4-4aa7-87b5-ab155c2bf072
// in its on-disk byte order (first three fields little-endian).
var certX509GUID = [16]byte{
	0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
	0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72,
}

// SecureBootState reports whether the firmware booted with Secure Boot on,
// from the SecureBoot variable in efivarsDir. A system without the variable
// (legacy BIOS, or efivarfs not mounted) reports false without error, since
// unsigned modules load there.
func SecureBootState(efivarsDir string) (enabled bool, err error) {
	data, err := readEFIVar(efivarsDir, secureBootVar)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading Secure Boot state: %w", err)
	}
	if len(data) != 1 {
		return false, fmt.Errorf("reading Secure Boot state: %d data bytes, want 1", len(data))
	}
	return data[0] == 1, nil
}

// CertEnrolled reports whether certDER is among the MOKs shim passed to the
// running kernel (MokListRT, continued in MokListRT1, MokListRT2, ... when
// large) and whether it waits in MokNew for enrollment at the next boot
// (what `mokutil --import` requests). Missing variables mean "not there".
func CertEnrolled(efivarsDir string, certDER []byte) (enrolled, pending bool, err error) {
	list, err := readMOKList(efivarsDir)
	if err != nil {
		return false, false, fmt.Errorf("reading enrolled MOKs: %w", err)
	}
	enrolled, err = hasCert(list, certDER)
	if err != nil {
		return false, false, fmt.Errorf("reading enrolled MOKs: %w", err)
	}
	newList, err := readEFIVar(efivarsDir, mokNewVar+"-"+shimGUID)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, false, fmt.Errorf("reading pending MOKs: %w", err)
	}
	pending, err = hasCert(newList, certDER)
	if err != nil {
		return false, false, fmt.Errorf("reading pending MOKs: %w", err)
	}
	return enrolled, pending, nil
}

// readMOKList concatenates MokListRT and its numbered continuations; shim
// splits the list at signature-list boundaries, so the result parses as one
// sequence of EFI_SIGNATURE_LISTs.
func readMOKList(efivarsDir string) ([]byte, error) {
	var all []byte
	for i := 0; ; i++ {
		name := mokListRTVar
		if i > 0 {
			name += strconv.Itoa(i)
		}
		data, err := readEFIVar(efivarsDir, name+"-"+shimGUID)
		if errors.Is(err, fs.ErrNotExist) {
			return all, nil
		}
		if err != nil {
			return nil, err
		}
		all = append(all, data...)
	}
}

// readEFIVar returns a variable's data without the attribute word.
func readEFIVar(dir, name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	if len(b) < 4 {
		return nil, fmt.Errorf("%s: %d bytes, shorter than the attribute word", name, len(b))
	}
	return b[4:], nil
}

// hasCert walks EFI_SIGNATURE_LISTs (UEFI spec 32.4.1: SignatureType GUID,
// ListSize, HeaderSize, SignatureSize, header, then signatures of an owner
// GUID and data) and reports whether an X.509 entry equals certDER.
func hasCert(lists, certDER []byte) (bool, error) {
	found := false
	err := walkSignatureLists(lists, func(sigType [16]byte, data []byte) {
		if sigType == certX509GUID && bytes.Equal(trimDER(data), certDER) {
			found = true
		}
	})
	return found, err
}

// walkSignatureLists calls fn with the data of every signature in lists.
func walkSignatureLists(lists []byte, fn func(sigType [16]byte, data []byte)) error {
	const hdrLen = 28
	for len(lists) > 0 {
		if len(lists) < hdrLen {
			return errors.New("truncated EFI_SIGNATURE_LIST header")
		}
		var sigType [16]byte
		copy(sigType[:], lists)
		listSize := uint64(binary.LittleEndian.Uint32(lists[16:]))
		headerSize := uint64(binary.LittleEndian.Uint32(lists[20:]))
		sigSize := uint64(binary.LittleEndian.Uint32(lists[24:]))
		if listSize < hdrLen+headerSize || listSize > uint64(len(lists)) || sigSize < 16 ||
			(listSize-hdrLen-headerSize)%sigSize != 0 {
			return fmt.Errorf("malformed EFI_SIGNATURE_LIST (size %d, header %d, signature %d)", listSize, headerSize, sigSize)
		}
		sigs := lists[hdrLen+headerSize : listSize]
		for ; len(sigs) > 0; sigs = sigs[sigSize:] {
			fn(sigType, sigs[16:sigSize])
		}
		lists = lists[listSize:]
	}
	return nil
}

// trimDER drops padding after a DER value; some tools pad certificate
// entries to a fixed SignatureSize.
func trimDER(b []byte) []byte {
	var v asn1.RawValue
	if rest, err := asn1.Unmarshal(b, &v); err == nil {
		return b[:len(b)-len(rest)]
	}
	return b
}
