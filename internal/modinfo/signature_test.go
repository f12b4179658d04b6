package modinfo

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"reflect"
	"testing"
)

func TestReadSignature(t *testing.T) {
	body := []byte("\x7fELF pretend module body")
	pkcs7 := testPKCS7(t, "Build key", 0x00ff01, sha256OID, []byte("sigbytes"))
	sha512 := testPKCS7(t, "Other", 7, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, []byte("s"))
	tooLong := appendSignature(body, 0, 0, IDTypePKCS7, nil, nil, pkcs7)
	tooLong[len(tooLong)-len(SignatureMagic)-1] = 0xff // sig_len low byte
	tests := []struct {
		name       string
		data       []byte
		wantSigned bool
		wantErr    error
		want       *Signature
	}{
		{name: "unsigned", data: body},
		{name: "tiny file", data: []byte("x")},
		{name: "pkcs7", data: appendSignature(body, 0, 0, IDTypePKCS7, nil, nil, pkcs7), wantSigned: true,
			want: &Signature{IDType: IDTypePKCS7, HashAlgo: "sha256", Signer: "Build key",
				KeyID: []byte{0xff, 0x01}, Data: []byte("sigbytes"), SigLen: len(pkcs7), ModuleSize: int64(len(body))}},
		{name: "pkcs7 sha512", data: appendSignature(body, 0, 0, IDTypePKCS7, nil, nil, sha512), wantSigned: true,
			want: &Signature{IDType: IDTypePKCS7, HashAlgo: "sha512", Signer: "Other",
				KeyID: []byte{7}, Data: []byte("s"), SigLen: len(sha512), ModuleSize: int64(len(body))}},
		{name: "x509 trailer fields", data: appendSignature(body, 1, 4, IDTypeX509, []byte("signer"), []byte{0xab, 0xcd}, []byte("raw")),
			wantSigned: true,
			want: &Signature{IDType: IDTypeX509, Algo: "RSA", HashAlgo: "sha256", Signer: "signer",
				KeyID: []byte{0xab, 0xcd}, Data: []byte("raw"), SigLen: 3, ModuleSize: int64(len(body))}},
		{name: "pkcs7 unparsable falls back", data: appendSignature(body, 0, 2, IDTypePKCS7, nil, nil, []byte("junk")),
			wantSigned: true,
			want: &Signature{IDType: IDTypePKCS7, Algo: "DSA", HashAlgo: "sha1", Signer: "", KeyID: []byte{},
				Data: []byte("junk"), SigLen: 4, ModuleSize: int64(len(body))}},
		{name: "zero sig_len", data: appendSignature(body, 0, 0, IDTypePKCS7, nil, nil, nil), wantSigned: true, wantErr: ErrBadSignature},
		{name: "bad hash", data: appendSignature(body, 0, 99, IDTypePKCS7, nil, nil, pkcs7), wantSigned: true, wantErr: ErrBadSignature},
		{name: "bad id type", data: appendSignature(body, 0, 0, 3, nil, nil, pkcs7), wantSigned: true, wantErr: ErrBadSignature},
		{name: "sig_len past start", data: tooLong, wantSigned: true, wantErr: ErrBadSignature},
		{name: "magic only", data: []byte(SignatureMagic), wantSigned: true, wantErr: ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, signed, err := ReadSignature(bytes.NewReader(tt.data), int64(len(tt.data)))
			if signed != tt.wantSigned || !errors.Is(err, tt.wantErr) {
				t.Fatalf("signed=%v err=%v; want %v, %v", signed, err, tt.wantSigned, tt.wantErr)
			}
			if !reflect.DeepEqual(sig, tt.want) {
				t.Errorf("got  %+v\nwant %+v", sig, tt.want)
			}
		})
	}
}

func TestCommonNameFallback(t *testing.T) {
	blob := testPKCS7(t, "", 1, sha256OID, []byte("s"))
	// Replace the CN attribute type with another (2.5.4.11, OU) of the same
	// encoded length, so the issuer has no commonName.
	cn := []byte{0x06, 0x03, 0x55, 0x04, 0x03}
	blob = bytes.Replace(blob, cn, []byte{0x06, 0x03, 0x55, 0x04, 0x0b}, 1)
	var sig Signature
	if err := parsePKCS7(blob, &sig); err != nil {
		t.Fatal(err)
	}
	if sig.Signer != "" {
		t.Errorf("Signer = %q, want the last attribute value (empty)", sig.Signer)
	}
}

func TestIDTypeName(t *testing.T) {
	for id, want := range map[int]string{0: "PGP", 1: "X509", 2: "PKCS#7", 9: "unknown(9)"} {
		if got := (&Signature{IDType: id}).IDTypeName(); got != want {
			t.Errorf("IDTypeName(%d) = %q, want %q", id, got, want)
		}
	}
}

func TestKeyIDHex(t *testing.T) {
	for _, tt := range []struct {
		in   []byte
		want string
	}{{nil, ""}, {[]byte{0x0f}, "0F"}, {[]byte{0x15, 0xfd, 0x60}, "15:FD:60"}} {
		if got := (&Signature{KeyID: tt.in}).KeyIDHex(); got != tt.want {
			t.Errorf("KeyIDHex(%x) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
